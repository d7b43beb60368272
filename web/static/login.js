// Staff login: the server sets the session in an HttpOnly cookie; the
// script never sees the token it could leak.
'use strict';
(function () {
  var P = window.P, $ = P.$;
  $('login-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    P.show($('login-error'), '');
    if (!this.checkValidity()) { this.reportValidity(); return; }
    P.api('POST', '/api/v1/auth/login', { name: $('login-name').value.trim(), password: $('login-password').value })
      .then(function (res) {
        if (res.status !== 200) { P.show($('login-error'), P.errorText(res)); $('login-password').value = ''; return; }
        var next = new URLSearchParams(location.search).get('next') || '';
        // Only a path of this site: never an open redirect.
        if (!/^\/[a-zA-Z]/.test(next)) { next = res.data.role === 'leader' ? '/dashboard' : '/staff'; }
        location.assign(next);
      }, function () { P.show($('login-error'), P.t('offline')); });
  });
}());
