// The citizen's report form. The report id (its retry key; the case's id
// comes back in the receipt) is made here, in the browser, and the report
// waits in an outbox (IndexedDB) until the server has it: a send that
// fails for want of a network, or that the server asks to repeat later
// (busy: 429, 408, 5xx), is retried with the same id; the API answers a
// repeat with 200 and the same receipt, so nothing is ever stored twice.
// Only a refusal for good (another 4xx) drops a report, and says why.
'use strict';
(function () {
  var P = window.P, $ = P.$, t;
  var text = {
    vi: { queued: 'Chưa có mạng: phản ánh đã được lưu trên máy này và sẽ tự động gửi khi có kết nối. Đừng xoá dữ liệu trình duyệt.',
      sending: 'Đang gửi…', pending: 'Có {n} phản ánh đang chờ gửi.', tooBig: 'quá lớn (tối đa 10 MB)',
      photoFailed: 'Phản ánh đã gửi nhưng chưa gửi được tệp đính kèm; tệp sẽ được tự động gửi lại sau.',
      busy: 'Hệ thống đang bận: phản ánh đã được lưu trên máy này và sẽ tự động gửi lại sau ít phút. Đừng xoá dữ liệu trình duyệt.',
      located: 'Đã lấy vị trí: {n}', noGeo: 'Không lấy được vị trí. Bạn có thể nhập địa chỉ.',
      unit: 'Đơn vị xử lý: {n}' },
    en: { queued: 'No connection: the report is saved on this device and will be sent automatically when you are back online. Do not clear the browser data.',
      sending: 'Sending…', pending: '{n} report(s) waiting to be sent.', tooBig: 'too large (10 MB at most)',
      photoFailed: 'The report was sent but not all attachments; they will be sent again automatically later.',
      busy: 'The service is busy: the report is saved on this device and will be sent again automatically in a few minutes. Do not clear the browser data.',
      located: 'Location: {n}', noGeo: 'Could not get your location. You can type the address.',
      unit: 'Handling unit: {n}' }
  }[P.L];
  t = function (k, n) { var s = text[k]; return n === undefined ? s : s.replace('{n}', String(n)); };
  var MAX = 10 << 20;

  // uuid: crypto.randomUUID where the page is a secure context, else a
  // version 4 UUID from crypto.getRandomValues.
  function uuid() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  // The outbox: one IndexedDB store keyed by report id; each entry holds
  // the report, the files still to upload, and the receipt once known.
  var dbp = null;
  function db() {
    if (!dbp) {
      dbp = new Promise(function (resolve, reject) {
        var req = indexedDB.open('phananh', 1);
        req.onupgradeneeded = function () { req.result.createObjectStore('outbox', { keyPath: 'id' }); };
        req.onsuccess = function () { resolve(req.result); };
        req.onerror = function () { reject(req.error); };
      });
    }
    return dbp;
  }
  function store(mode, fn) {
    return db().then(function (d) {
      return new Promise(function (resolve, reject) {
        var tx = d.transaction('outbox', mode);
        var req = fn(tx.objectStore('outbox'));
        tx.oncomplete = function () { resolve(req && req.result); };
        tx.onerror = function () { reject(tx.error); };
      });
    });
  }
  var outbox = {
    put: function (item) { return store('readwrite', function (s) { return s.put(item); }); },
    del: function (id) { return store('readwrite', function (s) { return s.delete(id); }); },
    all: function () { return store('readonly', function (s) { return s.getAll(); }); }
  };

  var form = $('report-form'), err = $('form-error'), note = $('outbox'), files = [];

  function collect() {
    var f = new FormData(form);
    var r = {
      id: uuid(), category: f.get('category') || '', title: String(f.get('title') || '').trim(),
      description: String(f.get('description') || '').trim(),
      location: { commune: f.get('commune') || '', address: String(f.get('address') || '').trim() },
      anonymous: $('anonymous').checked,
      language: P.L // notifications come in the language of the page the citizen used
    };
    if (form.dataset.lat) { r.location.lat = Number(form.dataset.lat); r.location.lon = Number(form.dataset.lon); }
    if (!r.anonymous) {
      r.reporter = { name: String(f.get('name') || '').trim() };
      if (String(f.get('phone') || '').trim()) { r.reporter.phone = String(f.get('phone')).trim(); }
      if (String(f.get('email') || '').trim()) { r.reporter.email = String(f.get('email')).trim(); }
    }
    return r;
  }

  // send delivers one outbox entry: the report (201 or 200 for a repeat),
  // then its files one by one. It resolves to the receipt, or to null when
  // the network is down or the server busy (the entry stays for the next
  // try); a refusal for good rejects with the response.
  var sending = {};
  // later says whether an answer asks for the same request again later
  // (busy or unavailable) rather than refusing it for good.
  function later(status) { return status >= 500 || status === 429 || status === 408; }
  function busy(status) { var e = new TypeError('try again later: ' + status); e.busy = true; return e; }
  // waiting says why the outbox waits: 'queued' (no network) or 'busy'.
  var waiting = 'queued';
  function send(item) {
    if (sending[item.id]) { return sending[item.id]; }
    var p = (item.receipt ? Promise.resolve({ status: 200, data: item.receipt }) : P.api('POST', '/api/v1/reports', item.report))
      .then(function (res) {
        if (later(res.status)) { throw busy(res.status); }
        if (res.status !== 200 && res.status !== 201) {
          return outbox.del(item.id).then(function () { throw res; });
        }
        item.receipt = res.data;
        return uploadFiles(item);
      })
      .catch(function (e) {
        if (!(e instanceof TypeError)) { throw e; }
        waiting = e.busy ? 'busy' : 'queued';
        if (!item.receipt) { return null; }
        // The report arrived; a file did not: keep it for the next try.
        return outbox.put(item).then(function () { P.show(note, t('photoFailed')); return item.receipt; });
      });
    sending[item.id] = p;
    return p.finally(function () { delete sending[item.id]; });
  }
  function uploadFiles(item) {
    if (!item.files || !item.files.length) {
      return outbox.del(item.id).then(function () { return item.receipt; });
    }
    var file = item.files[0];
    var fd = new FormData();
    fd.append('file', file.blob, file.name);
    return P.api('POST', '/api/v1/reports/' + encodeURIComponent(item.receipt.id) + '/attachments', fd, { 'X-Tracking-Code': item.receipt.tracking_code })
      .then(function (res) {
        if (later(res.status)) { throw busy(res.status); }
        // Sent, or refused for good (type, size): either way it is done.
        item.files = item.files.slice(1);
        return outbox.put(item).then(function () { return uploadFiles(item); });
      });
  }

  function showReceipt(r) {
    form.hidden = true;
    $('receipt-code').textContent = r.tracking_code;
    $('receipt-id').textContent = r.id;
    P.loadNames().then(function () { $('receipt-unit').textContent = t('unit', P.nameOf('unit', r.unit)); });
    $('receipt-link').href = '/track#id=' + encodeURIComponent(r.id) + '&code=' + encodeURIComponent(r.tracking_code);
    $('receipt').hidden = false;
    $('receipt').focus();
  }

  // flush sends whatever waits in the outbox; the last receipt is shown.
  var flushing = null;
  function flush() {
    if (flushing) { return flushing; }
    flushing = outbox.all().then(function (items) {
      return items.reduce(function (p, item) {
        return p.then(function (shown) {
          // A receipt is shown when it arrives, not again at every try of
          // its waiting files (that would hide a new report being typed).
          var had = !!item.receipt;
          return send(item).then(function (receipt) {
            if (receipt && !had) { showReceipt(receipt); return true; }
            return shown;
          }, function (res) {
            // A report waiting in the outbox was refused for good: say so
            // in the notice, which shows beside the form and the receipt.
            refused = P.errorText(res);
            return shown;
          });
        });
      }, Promise.resolve(false));
    }).then(updatePending, updatePending).finally(function () { flushing = null; });
    return flushing;
  }
  // refused is the refusal of a report that waited in the outbox, kept in
  // the notice until the next report is sent.
  var refused = '';
  function updatePending() {
    return outbox.all().then(function (items) {
      var parts = refused ? [refused] : [];
      if (items.length) { parts.push(t(waiting) + ' ' + t('pending', items.length)); }
      P.show(note, parts.join(' '));
    });
  }

  form.addEventListener('submit', function (ev) {
    ev.preventDefault();
    P.show(err, '');
    refused = '';
    if (!form.checkValidity()) { form.reportValidity(); return; }
    var big = files.filter(function (f) { return f.size > MAX; });
    if (big.length) { P.show(err, big[0].name + ': ' + t('tooBig')); return; }
    var item = { id: '', report: collect(), files: files.map(function (f) { return { name: f.name, blob: f }; }) };
    item.id = item.report.id;
    var btn = $('submit');
    btn.disabled = true;
    P.show(note, t('sending'));
    outbox.put(item).then(function () { return send(item); }).then(function (receipt) {
      if (receipt) {
        P.show(note, ''); showReceipt(receipt); updatePending();
      } else {
        // Kept in the outbox: clear the form so a second tap cannot make a
        // second report (with another id) of the same thing.
        form.reset(); files = []; renderFiles(); $('contact').hidden = false; delete form.dataset.lat; delete form.dataset.lon;
        P.show(note, t(waiting));
        note.scrollIntoView();
      }
    }, function (res) {
      P.show(note, '');
      P.show(err, P.errorText(res));
      err.scrollIntoView();
    }).finally(function () { btn.disabled = false; });
  });

  $('receipt-new').addEventListener('click', function () {
    form.reset(); files = []; renderFiles(); delete form.dataset.lat; delete form.dataset.lon;
    P.show($('located'), ''); $('receipt').hidden = true; form.hidden = false; $('contact').hidden = false;
  });

  $('anonymous').addEventListener('change', function () {
    $('contact').hidden = this.checked;
    ['name'].forEach(function (id) { $(id).required = !$('anonymous').checked; });
  });
  $('name').required = true;

  $('photos').addEventListener('change', function () {
    files = Array.prototype.slice.call(this.files);
    renderFiles();
  });
  function renderFiles() {
    var list = $('photo-list');
    P.clear(list);
    files.forEach(function (f) {
      var li = P.el('li', { class: f.size > MAX ? 'overdue' : '' }, f.name + ' — ' + P.fmtSize(f.size) + (f.size > MAX ? ' — ' + t('tooBig') : ''));
      if (/^image\//.test(f.type)) { li.appendChild(P.el('img', { src: URL.createObjectURL(f), alt: '' })); }
      list.appendChild(li);
    });
  }

  $('locate').addEventListener('click', function () {
    if (!navigator.geolocation) { P.show($('located'), t('noGeo')); return; }
    navigator.geolocation.getCurrentPosition(function (pos) {
      form.dataset.lat = pos.coords.latitude.toFixed(6);
      form.dataset.lon = pos.coords.longitude.toFixed(6);
      $('located').textContent = t('located', form.dataset.lat + ', ' + form.dataset.lon);
    }, function () { $('located').textContent = t('noGeo'); }, { enableHighAccuracy: true, timeout: 15000 });
  });

  window.addEventListener('online', flush);
  setInterval(function () { if (navigator.onLine !== false) { flush(); } }, 5000);
  flush();
}());
