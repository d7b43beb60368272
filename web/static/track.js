// The citizen's tracking page: the public timeline, deadline and unit,
// and, once resolved, the rating and the request to reopen.
'use strict';
(function () {
  var P = window.P, $ = P.$;
  var text = {
    vi: { thanks: 'Cảm ơn bạn đã đánh giá.', reopened: 'Đã gửi đề nghị mở lại hồ sơ.' },
    en: { thanks: 'Thank you for your rating.', reopened: 'Your request to reopen has been sent.' }
  }[P.L];
  var current = null; // {id, code}

  function load(id, code) {
    P.show($('track-error'), '');
    return Promise.all([P.loadNames(), P.api('GET', '/api/v1/reports/' + encodeURIComponent(id), undefined, { 'X-Tracking-Code': code })])
      .then(function (r) {
        var res = r[1];
        if (res.status !== 200) { $('case').hidden = true; P.show($('track-error'), P.errorText(res)); return; }
        current = { id: id, code: code };
        render(res.data);
      }, function () { P.show($('track-error'), P.t('offline')); });
  }

  function render(c) {
    $('c-title').textContent = c.title;
    $('c-status').textContent = P.statusText(c.status);
    $('c-category').textContent = P.nameOf('category', c.category);
    $('c-unit').textContent = (P.L === 'en' && c.unit.name_en) ? c.unit.name_en : c.unit.name;
    $('c-received').textContent = P.fmtTime(c.received_at);
    var cd = P.countdown(c.deadline);
    var dl = $('c-deadline');
    dl.textContent = c.deadline ? P.fmtDate(c.deadline) + ' (' + cd.text + ')' : P.t('none');
    dl.className = c.overdue ? 'overdue' : '';
    $('c-description').textContent = c.description;
    var atts = $('c-attachments');
    P.clear(atts);
    (c.attachments || []).forEach(function (a) {
      atts.appendChild(P.el('li', null, a.filename + ' — ' + P.fmtSize(a.size)));
    });
    var tl = $('c-timeline');
    P.clear(tl);
    (c.timeline || []).forEach(function (e) { tl.appendChild(P.timelineItem(e)); });
    $('after-resolution').hidden = !(c.status === 'resolved' || c.status === 'closed');
    $('case').hidden = false;
  }

  $('track-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var id = $('case-id').value.trim(), code = $('code').value.trim();
    if (!id || !code) { $('track-form').reportValidity(); return; }
    load(id, code);
  });

  function citizenAct(action, body, done) {
    if (!current) { return; }
    P.show($('track-msg'), '');
    P.show($('track-error'), '');
    P.api('POST', '/api/v1/reports/' + encodeURIComponent(current.id) + '/' + action, body, { 'X-Tracking-Code': current.code })
      .then(function (res) {
        if (res.status !== 200) { P.show($('track-error'), P.errorText(res)); return; }
        return load(current.id, current.code).then(function () { P.show($('track-msg'), done); });
      }, function () { P.show($('track-error'), P.t('offline')); });
  }

  $('feedback-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var f = new FormData(this);
    if (!f.get('rating')) { this.reportValidity(); return; }
    citizenAct('feedback', { rating: Number(f.get('rating')), comment: String(f.get('comment') || '').trim() }, text.thanks);
    this.reset();
  });
  $('reopen-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    if (!this.checkValidity()) { this.reportValidity(); return; }
    citizenAct('reopen', { reason: $('ro-reason').value.trim() }, text.reopened);
    this.reset();
  });

  // The link after a report carries id and code in the fragment, which
  // never leaves the browser (no server log, no Referer).
  var h = new URLSearchParams(location.hash.slice(1));
  if (h.get('id') && h.get('code')) {
    $('case-id').value = h.get('id');
    $('code').value = h.get('code');
    load(h.get('id'), h.get('code'));
  }
}());
