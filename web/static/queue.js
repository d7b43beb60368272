// The unit's queue: filters, search (diacritics ignored by the server),
// overdue cases highlighted, deadline countdown, pages by cursor.
'use strict';
(function () {
  var P = window.P, $ = P.$;
  var cursors = [''], page = 0, user = null;

  function query() {
    var p = new URLSearchParams();
    var st = $('q-status').value;
    if (st === '') { p.set('open', 'true'); } else if (st !== 'all') { p.set('status', st); }
    if ($('q-search').value.trim()) { p.set('q', $('q-search').value.trim()); }
    if ($('q-overdue').checked) { p.set('overdue', 'true'); }
    p.set('sort', 'deadline');
    p.set('limit', '20');
    if (cursors[page]) { p.set('cursor', cursors[page]); }
    return '/api/v1/queues/' + encodeURIComponent($('q-unit').value) + '?' + p.toString();
  }

  // Only the latest load renders: on a slow link the first page's answer
  // may arrive after the one a new filter asked for, and must not replace it.
  var latest = 0;
  function load() {
    var mine = ++latest;
    P.show($('queue-error'), '');
    return P.api('GET', query()).then(function (res) {
      if (mine !== latest) { return; }
      if (res.status !== 200) { P.show($('queue-error'), P.errorText(res)); return; }
      render(res.data);
    }, function () { if (mine === latest) { P.show($('queue-error'), P.t('offline')); } });
  }

  var heads = Array.prototype.map.call(document.querySelectorAll('#queue thead th'), function (th) { return th.textContent; });
  function render(d) {
    var body = $('queue-body');
    P.clear(body);
    d.items.forEach(function (it) {
      var cd = P.countdown(it.deadline);
      var tr = P.el('tr', { class: it.overdue ? 'overdue' : '' },
        P.el('td', null, P.el('a', { href: '/staff/cases/' + encodeURIComponent(it.id), text: it.title })),
        P.el('td', { text: P.statusText(it.status) }),
        P.el('td', { text: P.nameOf('category', it.category) }),
        P.el('td', { text: P.nameOf('commune', it.commune) }),
        P.el('td', { text: it.assignee || P.t('none') }),
        P.el('td', { class: it.overdue ? 'overdue' : '' }, it.deadline ? P.fmtDate(it.deadline) + ' · ' + cd.text : P.t('none')));
      // Each cell names its column, for the stacked layout on a phone.
      Array.prototype.forEach.call(tr.children, function (td, i) { td.setAttribute('data-label', heads[i]); });
      body.appendChild(tr);
    });
    $('queue-empty').hidden = d.items.length > 0;
    cursors[page + 1] = d.next || '';
    $('next').disabled = !d.next;
    $('prev').disabled = page === 0;
  }

  $('filters').addEventListener('submit', function (ev) {
    ev.preventDefault();
    cursors = ['']; page = 0;
    load();
  });
  $('next').addEventListener('click', function () { page++; load(); });
  $('prev').addEventListener('click', function () { if (page > 0) { page--; load(); } });

  P.me().then(function (u) {
    user = u;
    var sel = $('q-unit');
    if (u.role === 'officer' || u.role === 'unit_head') {
      sel.value = u.unit;
      sel.disabled = true;
    }
    $('dash-link').hidden = ['leader', 'unit_head', 'coordinator', 'supervisor', 'admin'].indexOf(u.role) < 0;
    if (u.role === 'leader') { location.assign('/dashboard'); return; }
    return P.loadNames().then(load);
  }, function (res) { P.show($('queue-error'), P.errorText(res)); });
}());
