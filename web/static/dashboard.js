// The leaders' monthly dashboard: key figures, bars per category and
// commune, days to resolve, the on-time rate through the year, exports.
'use strict';
(function () {
  var P = window.P, $ = P.$;
  var text = {
    vi: { received: 'Tiếp nhận', accepted: 'Thụ lý', resolved: 'Đã giải quyết', backlog: 'Tồn cuối kỳ', overdue: 'Quá hạn',
      ontime: 'Đúng hạn', median: 'Trung vị ngày giải quyết', rating: 'Mức hài lòng', days: 'ngày',
      months: ['Th1', 'Th2', 'Th3', 'Th4', 'Th5', 'Th6', 'Th7', 'Th8', 'Th9', 'Th10', 'Th11', 'Th12'] },
    en: { received: 'Received', accepted: 'Accepted', resolved: 'Resolved', backlog: 'Backlog', overdue: 'Overdue',
      ontime: 'On time', median: 'Median days to resolve', rating: 'Average rating', days: 'days',
      months: ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] }
  }[P.L];
  function pct(v) { return v === null || v === undefined ? P.t('none') : Math.round(v * 100) + ' %'; }
  function num(v) { return v === null || v === undefined ? P.t('none') : (Math.round(v * 10) / 10).toLocaleString(P.L); }

  function kpis(m) {
    var ul = $('kpis');
    P.clear(ul);
    [['received', m.received], ['accepted', m.accepted], ['resolved', m.resolved], ['backlog', m.backlog], ['overdue', m.overdue],
      ['ontime', pct(m.on_time_rate)], ['median', num(m.median_days_to_resolve)], ['rating', num(m.rating_avg)]].forEach(function (k) {
      ul.appendChild(P.el('li', { id: 'kpi-' + k[0] }, P.el('strong', { text: String(k[1]) }), text[k[0]]));
    });
  }

  function lines(map, kind, field) {
    return Object.keys(map || {}).map(function (code) {
      return { key: code, label: P.nameOf(kind, code), value: map[code][field] };
    }).filter(function (r) { return r.value; }).sort(function (a, b) { return b.value - a.value; });
  }

  function exportLinks(month) {
    var year = month.slice(0, 4);
    $('x-month-csv').href = '/api/v1/dashboard/monthly?month=' + month + '&format=csv';
    $('x-month-xlsx').href = '/api/v1/dashboard/monthly?month=' + month + '&format=xlsx';
    $('x-year-csv').href = '/api/v1/dashboard/annual?year=' + year + '&format=csv';
    $('x-year-xlsx').href = '/api/v1/dashboard/annual?year=' + year + '&format=xlsx';
  }

  function load() {
    var month = $('d-month').value;
    P.show($('dash-error'), '');
    exportLinks(month);
    return Promise.all([P.api('GET', '/api/v1/dashboard/monthly?month=' + month),
      P.api('GET', '/api/v1/dashboard/annual?year=' + month.slice(0, 4))]).then(function (r) {
      if (r[0].status !== 200) { P.show($('dash-error'), P.errorText(r[0])); $('dash').hidden = true; return; }
      var m = r[0].data;
      kpis(m);
      P.bars($('chart-category'), lines(m.by_category, 'category', 'received'), { labelledby: 'cap-category' });
      P.bars($('chart-commune'), lines(m.by_commune, 'commune', 'received'), { labelledby: 'cap-commune' });
      var days = Object.keys(m.by_category || {}).filter(function (c) { return m.by_category[c].median_days_to_resolve !== null; })
        .map(function (c) { var f = m.by_category[c]; return { key: c, label: P.nameOf('category', c), value: f.median_days_to_resolve, value2: f.p90_days_to_resolve || 0 }; });
      P.bars($('chart-days'), days, { value2: true, format: num, labelledby: 'cap-days' });
      if (r[1].status === 200) {
        var months = (r[1].data.months || []).map(function (am) {
          var f = am.figures || am;
          return { key: am.month, label: text.months[Number(am.month.slice(5, 7)) - 1], value: f.on_time_rate === undefined ? null : f.on_time_rate };
        });
        P.bars($('chart-ontime'), months, { format: pct, labelledby: 'cap-ontime' });
        P.bars($('chart-year'), (r[1].data.months || []).map(function (am) {
          return { key: am.month, label: text.months[Number(am.month.slice(5, 7)) - 1], value: am.received, value2: am.resolved };
        }), { value2: true, labelledby: 'cap-year' });
      }
      $('dash').hidden = false;
    }, function () { P.show($('dash-error'), P.t('offline')); });
  }

  var now = new Date();
  $('d-month').value = now.toLocaleDateString('sv-SE', { timeZone: 'Asia/Ho_Chi_Minh' }).slice(0, 7);
  $('dash-form').addEventListener('submit', function (ev) { ev.preventDefault(); load(); });
  P.me().then(function () { return P.loadNames().then(load); }, function (res) { P.show($('dash-error'), P.errorText(res)); });
}());
