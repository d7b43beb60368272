// The public monthly figures: counts only, no personal data.
'use strict';
(function () {
  var P = window.P, $ = P.$;
  var text = {
    vi: { received: 'Tiếp nhận', accepted: 'Thụ lý', resolved: 'Đã giải quyết', backlog: 'Đang xử lý cuối tháng', overdue: 'Quá hạn', open: 'đang xử lý', closed: 'đã xử lý xong' },
    en: { received: 'Received', accepted: 'Accepted', resolved: 'Resolved', backlog: 'Open at month end', overdue: 'Overdue', open: 'open', closed: 'closed' }
  }[P.L];
  function lines(map, kind) {
    return Object.keys(map || {}).map(function (code) { return { key: code, label: P.nameOf(kind, code), value: map[code].received }; })
      .filter(function (r) { return r.value; }).sort(function (a, b) { return b.value - a.value; });
  }
  // The map: an equirectangular plot of the province's extent with a
  // graticule every half degree, the communes whose centres are known, and
  // the incidents. No tiles: nothing is fetched from elsewhere.
  var SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, txt) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (txt !== undefined) { e.textContent = txt; }
    return e;
  }
  function drawMap(points, communes) {
    var box = $('map').dataset.box.split(',').map(Number); // south, west, north, east
    var W = 440, k = W / (box[3] - box[1]), kLat = k / Math.cos((box[0] + box[2]) / 2 * Math.PI / 180);
    var H = Math.round((box[2] - box[0]) * kLat);
    function x(lon) { return (lon - box[1]) * k; }
    function y(lat) { return (box[2] - lat) * kLat; }
    var s = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-labelledby': 'cap-map' });
    for (var lat = Math.ceil(box[0] * 2) / 2; lat <= box[2]; lat += 0.5) {
      s.appendChild(svg('line', { class: 'grid', x1: 0, x2: W, y1: y(lat), y2: y(lat) }));
      s.appendChild(svg('text', { class: 'grid-label', x: 2, y: y(lat) - 2 }, lat.toFixed(1) + '°N'));
    }
    for (var lon = Math.ceil(box[1] * 2) / 2; lon <= box[3]; lon += 0.5) {
      s.appendChild(svg('line', { class: 'grid', y1: 0, y2: H, x1: x(lon), x2: x(lon) }));
      s.appendChild(svg('text', { class: 'grid-label', x: x(lon) + 2, y: H - 3 }, lon.toFixed(1) + '°E'));
    }
    (communes || []).forEach(function (c) {
      if (typeof c.lat !== 'number') { return; }
      s.appendChild(svg('rect', { class: 'commune', x: x(c.lon) - 2, y: y(c.lat) - 2, width: 4, height: 4 }));
      s.appendChild(svg('text', { x: x(c.lon) + 4, y: y(c.lat) + 4 }, P.L === 'en' && c.name_en ? c.name_en : c.name));
    });
    points.forEach(function (p) {
      var c = svg('circle', { class: p.status === 'open' ? 'open' : 'closed', cx: x(p.lon), cy: y(p.lat), r: 6 });
      c.appendChild(svg('title', {}, P.nameOf('category', p.category) + ' · ' + text[p.status === 'open' ? 'open' : 'closed']));
      s.appendChild(c);
    });
    P.clear($('map'));
    $('map').appendChild(s);
  }

  var communes = [];
  function load() {
    P.show($('pub-error'), '');
    return P.api('GET', '/api/v1/public/monthly?month=' + $('p-month').value).then(function (res) {
      if (res.status !== 200) { P.show($('pub-error'), P.errorText(res)); return; }
      var m = res.data, ul = $('kpis');
      P.clear(ul);
      ['received', 'accepted', 'resolved', 'backlog', 'overdue'].forEach(function (k) {
        ul.appendChild(P.el('li', null, P.el('strong', { text: String(m[k]) }), text[k]));
      });
      P.bars($('chart-category'), lines(m.by_category, 'category'));
      P.bars($('chart-commune'), lines(m.by_commune, 'commune'));
      $('pub').hidden = false;
      return P.api('GET', '/public/incidents?month=' + $('p-month').value).then(function (r) {
        drawMap(r.status === 200 ? r.data : [], communes);
      });
    }, function () { P.show($('pub-error'), P.t('offline')); });
  }
  $('p-month').value = new Date().toLocaleDateString('sv-SE', { timeZone: 'Asia/Ho_Chi_Minh' }).slice(0, 7);
  $('pub-form').addEventListener('submit', function (ev) { ev.preventDefault(); load(); });
  Promise.all([P.loadNames(), P.api('GET', '/api/v1/communes').then(function (r) { communes = r.status === 200 ? r.data : []; })]).then(load);
}());
