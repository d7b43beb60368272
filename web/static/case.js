// The staff case page: everything about the case, internal notes included,
// and the actions the role and the status allow. The server decides; the
// page only hides buttons that would certainly be refused. Every action
// states the version seen (If-Match); a stale one shows the latest state
// with a warning.
'use strict';
(function () {
  var P = window.P, $ = P.$;
  var id = decodeURIComponent(location.pathname.split('/').pop());
  var user = null, version = 0, caseData = null;
  var done = { vi: 'Đã lưu.', en: 'Saved.' }[P.L];

  // A mirror of domain/authz.go (which events each role may cause, and on
  // which cases) and of the lifecycle table in domain/case.go.
  var officer = { accepted: 'own', rejected: 'own', inspection_recorded: 'own', mediation_scheduled: 'own', mediation_held: 'own',
    escalated: 'own', resolved: 'own', closed: 'own', reopened: 'own', comment_added: 'own', attachment_added: 'own', duplicate_linked: 'own' };
  var unitHead = Object.assign({}, officer, { assigned: 'own', deadline_extended: 'own', reclassified: 'own' });
  var permissions = {
    officer: officer, unit_head: unitHead,
    coordinator: { transferred: 'any', reclassified: 'any', duplicate_linked: 'any', comment_added: 'any' },
    supervisor: { comment_added: 'any' }, leader: {}, admin: { reporter_erased: 'any' }
  };
  var allowedFrom = {
    accepted: ['received'], rejected: ['received'],
    assigned: ['accepted', 'assigned', 'in_progress', 'escalated'],
    transferred: ['received', 'accepted', 'assigned', 'in_progress', 'escalated'],
    inspection_recorded: ['assigned', 'in_progress'],
    deadline_extended: ['accepted', 'assigned', 'in_progress', 'mediation_scheduled', 'escalated'],
    escalated: ['accepted', 'assigned', 'in_progress', 'mediated'],
    resolved: ['assigned', 'in_progress', 'mediated'],
    closed: ['resolved'], reopened: ['resolved', 'closed'],
    mediation_scheduled: ['assigned', 'in_progress', 'mediation_scheduled'], mediation_held: ['mediation_scheduled'],
    comment_added: ['received', 'accepted', 'rejected', 'assigned', 'in_progress', 'mediation_scheduled', 'mediated', 'escalated', 'resolved', 'closed']
  };
  function may(event, c) {
    var reach = (permissions[user.role] || {})[event];
    if (!reach) { return false; }
    if (reach === 'own' && (!user.unit || user.unit !== c.unit.code)) { return false; }
    // Only land disputes go to commune mediation.
    if ((event === 'mediation_scheduled' || event === 'mediation_held') && c.kind !== 'land_dispute') { return false; }
    return (allowedFrom[event] || []).indexOf(c.status) >= 0;
  }

  function load() {
    return P.api('GET', '/api/v1/cases/' + encodeURIComponent(id)).then(function (res) {
      if (res.status !== 200) { $('case').hidden = true; P.show($('case-error'), P.errorText(res)); return; }
      render(res.data);
    }, function () { P.show($('case-error'), P.t('offline')); });
  }

  function render(c) {
    caseData = c;
    version = c.version;
    document.title = c.title + ' · ' + document.title.split(' · ').pop();
    $('c-title').textContent = c.title;
    $('c-status').textContent = P.statusText(c.status);
    $('c-kind').textContent = P.t('k.' + c.kind);
    $('c-category').textContent = P.nameOf('category', c.category);
    $('c-unit').textContent = (P.L === 'en' && c.unit.name_en) ? c.unit.name_en : c.unit.name;
    $('c-assignee').textContent = c.assignee || P.t('none');
    var loc = [c.location.address, P.nameOf('commune', c.location.commune)].filter(Boolean).join(', ');
    if (c.location.lat !== undefined) { loc += ' (' + c.location.lat + ', ' + c.location.lon + ')'; }
    $('c-location').textContent = loc;
    $('c-received').textContent = P.fmtTime(c.received_at);
    var cd = P.countdown(c.deadline);
    $('c-deadline').textContent = c.deadline ? P.fmtDate(c.deadline) + ' (' + cd.text + ')' : P.t('none');
    $('c-deadline').className = c.overdue ? 'overdue' : '';
    var rep = c.reporter;
    $('c-reporter').textContent = c.anonymous ? P.t('anonymous') :
      (rep ? [rep.name, rep.phone, rep.email].filter(Boolean).join(' · ') : P.t('none'));
    $('c-version').textContent = String(c.version);
    $('c-description').textContent = c.description;
    var atts = $('c-attachments');
    P.clear(atts);
    (c.attachments || []).forEach(function (a) {
      var file = a.object.split('/').pop();
      atts.appendChild(P.el('li', null, P.el('a', { href: '/api/v1/cases/' + encodeURIComponent(c.id) + '/attachments/' + encodeURIComponent(file), text: a.filename }),
        ' — ' + P.fmtSize(a.size)));
    });
    var tl = $('c-timeline');
    P.clear(tl);
    (c.timeline || []).forEach(function (e) { tl.appendChild(P.timelineItem(e)); });
    var any = false;
    Array.prototype.forEach.call(document.querySelectorAll('#actions details'), function (d) {
      var ok = may(d.dataset.event, c);
      d.hidden = !ok;
      if (!ok) { d.open = false; }
      any = any || ok;
    });
    // A supervisor's notes are internal only.
    var pub = document.querySelector('#a-cm-vis option[data-public]');
    pub.hidden = pub.disabled = user.role === 'supervisor';
    $('no-actions').hidden = any;
    $('case').hidden = false;
  }

  function lines(s) { return s.split('\n').map(function (x) { return x.trim(); }).filter(Boolean); }

  function body(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (f) {
      if (f.dataset.council) {
        out.council = (out.council || []).concat(lines(f.value).map(function (n) { return { name: n, role: f.dataset.council }; }));
        return;
      }
      if (f.dataset.attendance) {
        out.attendance = (out.attendance || []).concat(lines(f.value).map(function (n) {
          return { name: n, party: true, present: f.dataset.attendance === 'present' };
        }));
        return;
      }
      if (!f.name) { return; }
      // A local date and time is Vietnam time (UTC+7, no daylight saving).
      if (f.dataset.type === 'local-time') { out[f.name] = f.value + (f.value.length === 16 ? ':00' : '') + '+07:00'; return; }
      if (f.dataset.type === 'bool') { out[f.name] = f.checked; return; }
      var v = f.value.trim();
      if (v === '') { return; }
      out[f.name] = f.dataset.type === 'int' ? parseInt(v, 10) : v;
    });
    return out;
  }

  Array.prototype.forEach.call(document.querySelectorAll('#actions details'), function (d) {
    var form = d.querySelector('form');
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      if (!form.checkValidity()) { form.reportValidity(); return; }
      P.show($('case-error'), ''); P.show($('case-msg'), ''); $('conflict').hidden = true;
      var btn = form.querySelector('button[type=submit]');
      btn.disabled = true;
      P.api('POST', '/api/v1/cases/' + encodeURIComponent(id) + '/' + d.dataset.action, body(form), { 'If-Match': '"' + version + '"' })
        .then(function (res) {
          if (res.status === 409 && res.data && res.data.error && res.data.error.current_version) {
            $('conflict').hidden = false;
            return load();
          }
          if (res.status !== 200) { P.show($('case-error'), P.errorText(res)); return; }
          form.reset();
          d.open = false;
          return load().then(function () { P.show($('case-msg'), done); });
        }, function () { P.show($('case-error'), P.t('offline')); })
        .finally(function () { btn.disabled = false; });
    });
  });

  P.me().then(function (u) { user = u; return P.loadNames().then(load); },
    function (res) { P.show($('case-error'), P.errorText(res)); });
}());
