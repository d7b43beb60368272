// phananh: helpers shared by every page. No data is ever written with
// innerHTML: text goes through textContent (el() below).
'use strict';
(function () {
  var L = document.documentElement.lang === 'en' ? 'en' : 'vi';
  var dict = {
    vi: {
      offline: 'Không có kết nối mạng. Vui lòng thử lại khi có mạng.',
      error: 'Đã có lỗi. Vui lòng thử lại.',
      reported: 'Tiếp nhận phản ánh', accepted: 'Thụ lý', rejected: 'Không thụ lý', assigned: 'Giao xử lý',
      transferred: 'Chuyển đơn vị', inspection_recorded: 'Kiểm tra hiện trường', mediation_scheduled: 'Lên lịch hòa giải',
      mediation_held: 'Tổ chức hòa giải', deadline_extended: 'Gia hạn', escalated: 'Chuyển cấp trên', resolved: 'Đã giải quyết',
      closed: 'Đóng hồ sơ', reopened: 'Mở lại', comment_added: 'Ghi chú', attachment_added: 'Thêm tệp đính kèm',
      duplicate_linked: 'Gộp hồ sơ trùng', feedback_given: 'Người phản ánh đánh giá', reclassified: 'Phân loại lại',
      reporter_erased: 'Xoá thông tin người phản ánh',
      'st.received': 'Mới tiếp nhận', 'st.accepted': 'Đã thụ lý', 'st.rejected': 'Không thụ lý', 'st.assigned': 'Đã giao xử lý',
      'st.in_progress': 'Đang xử lý', 'st.mediation_scheduled': 'Đã lên lịch hòa giải', 'st.mediated': 'Đã hòa giải',
      'st.escalated': 'Đã chuyển cấp trên', 'st.resolved': 'Đã giải quyết', 'st.closed': 'Đã đóng',
      left: 'còn {n} ngày', today: 'hết hạn hôm nay', over: 'quá hạn {n} ngày', internal: 'nội bộ', anonymous: 'Ẩn danh',
      none: '—', rating: 'Mức hài lòng: {n}/5', at: 'Thời gian: {n}',
      'k.complaint': 'Khiếu nại', 'k.denunciation': 'Tố cáo', 'k.land_dispute': 'Tranh chấp đất đai',
      'k.incident': 'Sự cố, ô nhiễm môi trường', 'k.petition': 'Kiến nghị, phản ánh'
    },
    en: {
      offline: 'No network connection. Please try again when you are online.',
      error: 'Something went wrong. Please try again.',
      reported: 'Report received', accepted: 'Accepted', rejected: 'Rejected', assigned: 'Assigned',
      transferred: 'Transferred', inspection_recorded: 'Inspection', mediation_scheduled: 'Mediation scheduled',
      mediation_held: 'Mediation held', deadline_extended: 'Deadline extended', escalated: 'Escalated', resolved: 'Resolved',
      closed: 'Closed', reopened: 'Reopened', comment_added: 'Comment', attachment_added: 'Attachment added',
      duplicate_linked: 'Linked as duplicate', feedback_given: 'Reporter\'s rating', reclassified: 'Reclassified',
      reporter_erased: 'Reporter erased',
      'st.received': 'Received', 'st.accepted': 'Accepted', 'st.rejected': 'Rejected', 'st.assigned': 'Assigned',
      'st.in_progress': 'In progress', 'st.mediation_scheduled': 'Mediation scheduled', 'st.mediated': 'Mediated',
      'st.escalated': 'Escalated', 'st.resolved': 'Resolved', 'st.closed': 'Closed',
      left: '{n} days left', today: 'due today', over: '{n} days overdue', internal: 'internal', anonymous: 'Anonymous',
      none: '—', rating: 'Rating: {n}/5', at: 'When: {n}',
      'k.complaint': 'Complaint', 'k.denunciation': 'Denunciation', 'k.land_dispute': 'Land dispute',
      'k.incident': 'Environmental incident', 'k.petition': 'Petition'
    }
  };

  function t(key, n) {
    var s = dict[L][key];
    if (s === undefined) { return key; }
    return n === undefined ? s : s.replace('{n}', String(n));
  }

  // el builds an element; strings among children become text nodes.
  function el(tag, attrs) {
    var e = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        if (k === 'text') { e.textContent = attrs[k]; } else if (k === 'class') { e.className = attrs[k]; } else { e.setAttribute(k, attrs[k]); }
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined) { continue; }
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    }
    return e;
  }

  function $(id) { return document.getElementById(id); }

  function clear(node) { while (node.firstChild) { node.removeChild(node.firstChild); } }

  // api calls the JSON API. It resolves to {status, data, etag}; it
  // rejects (a TypeError) only when the network fails.
  function api(method, path, body, headers) {
    var h = { 'Accept': 'application/json', 'Accept-Language': L, 'X-Requested-With': 'phananh' };
    Object.keys(headers || {}).forEach(function (k) { h[k] = headers[k]; });
    var opts = { method: method, headers: h, credentials: 'same-origin', cache: 'no-store' };
    if (body instanceof FormData) {
      opts.body = body;
    } else if (body !== undefined) {
      h['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    return fetch(path, opts).then(function (r) {
      return r.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        return { status: r.status, data: data, etag: r.headers.get('ETag') };
      });
    });
  }

  // errorText is the API's localised message, or a generic one.
  function errorText(res) {
    if (res && res.data && res.data.error && res.data.error.message) { return res.data.error.message; }
    return t('error');
  }

  function show(node, text) {
    node.textContent = text;
    node.hidden = !text;
  }

  var tz = 'Asia/Ho_Chi_Minh';
  function fmtTime(iso) {
    if (!iso) { return t('none'); }
    return new Date(iso).toLocaleString(L === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: tz, dateStyle: 'short', timeStyle: 'short' });
  }
  function fmtDate(iso) {
    if (!iso) { return t('none'); }
    return new Date(iso).toLocaleDateString(L === 'vi' ? 'vi-VN' : 'en-GB', { timeZone: tz });
  }

  // countdown says how long until a deadline, or how long past it.
  function countdown(iso) {
    if (!iso) { return { text: t('none'), overdue: false }; }
    var ms = new Date(iso).getTime() - Date.now();
    var days = Math.ceil(ms / 86400000);
    if (ms < 0) { return { text: t('over', Math.max(1, Math.floor(-ms / 86400000))), overdue: true }; }
    if (days <= 0) { return { text: t('today'), overdue: false }; }
    return { text: t('left', days), overdue: false };
  }

  function statusText(s) { return t('st.' + s); }

  // names of categories, communes and units, from the API (cached by the
  // browser for an hour).
  var names = null;
  function loadNames() {
    if (names) { return Promise.resolve(names); }
    return Promise.all(['/api/v1/categories', '/api/v1/communes', '/api/v1/units'].map(function (p) {
      return api('GET', p).then(function (r) { return r.status === 200 ? r.data : []; }, function () { return []; });
    })).then(function (lists) {
      names = { category: {}, commune: {}, unit: {} };
      ['category', 'commune', 'unit'].forEach(function (kind, i) {
        (lists[i] || []).forEach(function (x) { names[kind][x.code] = (L === 'en' && x.name_en) ? x.name_en : x.name; });
      });
      return names;
    });
  }
  function nameOf(kind, code) {
    return (names && names[kind][code]) || code || t('none');
  }

  // timelineItem renders one timeline entry: type, time, and its text.
  function timelineItem(e) {
    var li = el('li', { class: e.public === false ? 'internal' : '' },
      el('strong', { text: t(e.type) }), ' ',
      el('span', { class: 'when', text: fmtTime(e.time) }));
    if (e.public === false) { li.appendChild(el('span', { class: 'tag', text: t('internal') })); }
    if (e.actor) { li.appendChild(el('span', { class: 'when', text: ' · ' + e.actor })); }
    var d = e.data || {};
    var extra = [];
    if (e.text) { extra.push(e.text); }
    ['assignee', 'to', 'filename'].forEach(function (k) {
      if (typeof d[k] === 'string' && d[k] && d[k] !== e.text) { extra.push(d[k]); }
    });
    if (typeof d.rating === 'number') { extra.push(t('rating', d.rating)); }
    if (e.type === 'mediation_scheduled' && d.at) { extra.push(t('at', fmtTime(d.at))); }
    if (extra.length) { li.appendChild(el('div', { class: 'pre', text: extra.join('\n') })); }
    return li;
  }

  function fmtSize(bytes) {
    if (bytes < 1024) { return bytes + ' B'; }
    if (bytes < 1048576) { return (bytes / 1024).toFixed(0) + ' KB'; }
    return (bytes / 1048576).toFixed(1) + ' MB';
  }

  // me returns who is logged in, or sends the browser to the login page.
  var roles = {
    vi: { officer: 'cán bộ', unit_head: 'lãnh đạo đơn vị', coordinator: 'điều phối', supervisor: 'giám sát (MTTQ)', leader: 'lãnh đạo', admin: 'quản trị' },
    en: { officer: 'officer', unit_head: 'unit head', coordinator: 'coordinator', supervisor: 'supervisor', leader: 'leader', admin: 'administrator' }
  }[L];
  function me() {
    return api('GET', '/api/v1/auth/me').then(function (res) {
      if (res.status === 401) {
        location.assign('/staff/login?next=' + encodeURIComponent(location.pathname + location.search));
        return new Promise(function () {});
      }
      if (res.status !== 200) { throw res; }
      var who = $('who');
      if (who) { who.textContent = res.data.name + ' (' + (roles[res.data.role] || res.data.role) + (res.data.unit ? ' · ' + res.data.unit : '') + ')'; }
      var out = $('logout');
      if (out) {
        out.addEventListener('click', function () {
          api('POST', '/api/v1/auth/logout').then(function () { location.assign('/staff/login'); });
        });
      }
      return res.data;
    });
  }

  // bars draws a horizontal bar chart as SVG: one row per {label, value}
  // (and value2, a second, lighter bar). Labels are text nodes, never markup.
  var SVG = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, txt) {
    var e = document.createElementNS(SVG, tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (txt !== undefined) { e.textContent = txt; }
    return e;
  }
  function bars(container, rows, opts) {
    opts = opts || {};
    clear(container);
    if (!rows.length) { container.appendChild(el('p', { text: t('none') })); return; }
    var fmt = opts.format || function (v) { return String(v); };
    var max = Math.max.apply(null, rows.map(function (r) { return Math.max(r.value || 0, r.value2 || 0); })) || 1;
    var rowH = opts.value2 ? 34 : 24, labelW = 150, barW = 220, w = labelW + barW + 60;
    var s = svg('svg', { viewBox: '0 0 ' + w + ' ' + (rows.length * rowH + 8), role: 'img', 'aria-labelledby': opts.labelledby || '' });
    rows.forEach(function (r, i) {
      var y = i * rowH + 4;
      var g = svg('g', { 'data-key': r.key || '' });
      g.appendChild(svg('title', {}, r.label + ': ' + fmt(r.value) + (opts.value2 ? ' / ' + fmt(r.value2) : '')));
      g.appendChild(svg('text', { x: labelW - 6, y: y + 14, 'text-anchor': 'end' }, r.label.length > 24 ? r.label.slice(0, 23) + '…' : r.label));
      g.appendChild(svg('rect', { class: 'bar', x: labelW, y: y + 2, height: 14, width: Math.max(1, (r.value || 0) / max * barW) }));
      g.appendChild(svg('text', { x: labelW + (r.value || 0) / max * barW + 4, y: y + 14, class: 'value' }, fmt(r.value)));
      if (opts.value2) {
        g.appendChild(svg('rect', { class: 'bar2', x: labelW, y: y + 18, height: 10, width: Math.max(1, (r.value2 || 0) / max * barW) }));
        g.appendChild(svg('text', { x: labelW + (r.value2 || 0) / max * barW + 4, y: y + 28 }, fmt(r.value2)));
      }
      s.appendChild(g);
    });
    s.appendChild(svg('line', { class: 'axis', x1: labelW, x2: labelW, y1: 0, y2: rows.length * rowH + 8 }));
    container.appendChild(s);
  }

  // The language switch keeps the fragment (the tracking page's id and code).
  document.addEventListener('DOMContentLoaded', function () {
    var sw = $('lang-switch');
    if (sw) { sw.addEventListener('click', function () { sw.href = sw.getAttribute('href').split('#')[0] + location.hash; }); }
  });

  window.P = { me: me, bars: bars, L: L, t: t, el: el, $: $, clear: clear, api: api, errorText: errorText, show: show,
    fmtTime: fmtTime, fmtDate: fmtDate, countdown: countdown, statusText: statusText,
    loadNames: loadNames, nameOf: nameOf, timelineItem: timelineItem, fmtSize: fmtSize };
}());
