package app_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"phananh/api"
	"phananh/app"
	"phananh/domain"
)

// startAuthApp is startApp with the cheapest bcrypt cost (a cost-12 hash
// takes seconds under the race detector) and, when natsURL is set, no
// embedded server of its own: a second replica of the first.
func startAuthApp(t *testing.T, natsURL string) *app.App {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := app.Start(ctx, app.Config{
		DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", NATSListen: "127.0.0.1:-1", NATSURL: natsURL,
		SyncAlways: true, PasswordCost: bcrypt.MinCost,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatalf("start app: %v", err)
	}
	t.Cleanup(func() { a.Close(context.Background()) })
	waitReady(t, a)
	return a
}

func login(t *testing.T, a *app.App, name, password string, headers ...string) response {
	t.Helper()
	return postJSON(t, a, "/api/v1/auth/login", map[string]string{"name": name, "password": password}, headers...)
}

func TestStaffLogin(t *testing.T) {
	a := startAuthApp(t, "")
	ctx := context.Background()
	const password = "Mật khẩu của An 2026"
	if err := a.Users.Add(ctx, "an.nguyen", "ubnd.lao-cai", domain.RoleOfficer, password); err != nil {
		t.Fatal(err)
	}
	if err := a.Users.Add(ctx, "binh.tran", "ubnd.cam-duong", domain.RoleUnitHead, "Mật khẩu của Bình"); err != nil {
		t.Fatal(err)
	}

	// Login: a token in the body, the same token in a locked-down cookie.
	resp := login(t, a, "An.Nguyen", password)
	if resp.Status != http.StatusOK {
		t.Fatalf("login = %d %s, want 200", resp.Status, resp.Body)
	}
	body := resp.json(t)
	token := mustString(t, body, "token")
	if got, want := body["role"], "officer"; got != want {
		t.Errorf("role = %v, want %v", got, want)
	}
	if got, want := body["unit"], "ubnd.lao-cai"; got != want {
		t.Errorf("unit = %v, want %v", got, want)
	}
	expires, err := time.Parse(time.RFC3339, mustString(t, body, "expires_at"))
	if err != nil {
		t.Fatalf("expires_at: %v", err)
	}
	if d := time.Until(expires); d < 7*time.Hour || d > 8*time.Hour {
		t.Errorf("the token expires in %s, want about 8 hours", d)
	}
	if got := resp.Header.Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", got)
	}
	cookies := (&http.Response{Header: resp.Header}).Cookies()
	if len(cookies) != 1 {
		t.Fatalf("login set %d cookies, want 1: %v", len(cookies), resp.Header.Values("Set-Cookie"))
	}
	ck := cookies[0]
	if ck.Name != api.SessionCookie || ck.Value != token || !ck.HttpOnly || !ck.Secure ||
		ck.SameSite != http.SameSiteStrictMode || ck.Path != "/" || !ck.Expires.Equal(expires) {
		t.Errorf("session cookie = %+v (%q), want %s=<token>; HttpOnly; Secure; SameSite=Strict; Path=/; Expires=%s",
			ck, resp.Header.Get("Set-Cookie"), api.SessionCookie, expires)
	}

	// The token works as a bearer token and as the cookie.
	for _, h := range [][]string{{"Authorization", "Bearer " + token}, {"Cookie", api.SessionCookie + "=" + token}} {
		me := do(t, a, http.MethodGet, "/api/v1/auth/me", "", nil, h...)
		if me.Status != http.StatusOK {
			t.Fatalf("me with %s = %d %s", h[0], me.Status, me.Body)
		}
		if got := me.json(t); got["name"] != "an.nguyen" || got["role"] != "officer" || got["unit"] != "ubnd.lao-cai" {
			t.Errorf("me with %s = %v", h[0], got)
		}
	}
	for _, h := range [][]string{nil, {"Authorization", "Bearer " + token + "x"}, {"Authorization", "Basic " + token},
		{"Cookie", api.SessionCookie + "=garbage"}} {
		me := do(t, a, http.MethodGet, "/api/v1/auth/me", "", nil, h...)
		if me.Status != http.StatusUnauthorized || me.errorCode(t) != "unauthenticated" {
			t.Errorf("me with %q = %d %s, want 401 unauthenticated", h, me.Status, me.Body)
		}
		if me.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("me with %q: 401 without WWW-Authenticate", h)
		}
	}

	// A wrong password and an unknown name get the very same answer.
	for _, lang := range []string{"vi", "en"} {
		wrong := login(t, a, "an.nguyen", password+"!", "Accept-Language", lang)
		unknown := login(t, a, "khong.co.ai", password, "Accept-Language", lang)
		if wrong.Status != http.StatusUnauthorized || wrong.errorCode(t) != "invalid_credentials" {
			t.Errorf("[%s] wrong password = %d %s, want 401 invalid_credentials", lang, wrong.Status, wrong.Body)
		}
		if unknown.Status != wrong.Status || !bytes.Equal(unknown.Body, wrong.Body) {
			t.Errorf("[%s] unknown name answers %d %s, wrong password %d %s: they must not differ",
				lang, unknown.Status, unknown.Body, wrong.Status, wrong.Body)
		}
		if len((&http.Response{Header: wrong.Header}).Cookies()) != 0 {
			t.Errorf("[%s] a failed login set a cookie", lang)
		}
		t.Logf("[%s] %s", lang, wrong.Body)
	}

	// Five failures for one name lock it: the sixth attempt is refused
	// before the password is looked at, the right one included.
	for i := 1; i <= 5; i++ {
		if r := login(t, a, "binh.tran", fmt.Sprintf("sai mật khẩu %d", i)); r.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d = %d %s, want 401", i, r.Status, r.Body)
		}
	}
	locked := login(t, a, "binh.tran", "Mật khẩu của Bình")
	if locked.Status != http.StatusTooManyRequests || locked.errorCode(t) != "rate_limited" {
		t.Fatalf("sixth attempt = %d %s, want 429 rate_limited", locked.Status, locked.Body)
	}
	if s, err := strconv.Atoi(locked.Header.Get("Retry-After")); err != nil || s < 1 || s > 60 {
		t.Errorf("Retry-After = %q, want 1 to 60 seconds", locked.Header.Get("Retry-After"))
	}
	// Another account is not locked by it.
	if r := login(t, a, "an.nguyen", password); r.Status != http.StatusOK {
		t.Errorf("another account's login during the lock = %d %s, want 200", r.Status, r.Body)
	}

	// Logout clears the cookie.
	out := do(t, a, http.MethodPost, "/api/v1/auth/logout", "", nil, "Cookie", api.SessionCookie+"="+token, api.CSRFHeader, api.CSRFValue)
	if out.Status != http.StatusNoContent {
		t.Fatalf("logout = %d %s, want 204", out.Status, out.Body)
	}
	cleared := (&http.Response{Header: out.Header}).Cookies()
	if len(cleared) != 1 || cleared[0].Name != api.SessionCookie || cleared[0].Value != "" || cleared[0].MaxAge >= 0 ||
		!cleared[0].HttpOnly || !cleared[0].Secure || cleared[0].Path != "/" {
		t.Errorf("logout cookies = %v, want %s cleared", out.Header.Values("Set-Cookie"), api.SessionCookie)
	}
}

func TestDisabledStaffIsRefusedOnTheNextRequest(t *testing.T) {
	a := startAuthApp(t, "")
	b := startAuthApp(t, a.NATSURL()) // a second replica on the same JetStream
	ctx := context.Background()
	const password = "Mật khẩu của An 2026"
	if err := a.Users.Add(ctx, "an.nguyen", "ubnd.lao-cai", domain.RoleOfficer, password); err != nil {
		t.Fatal(err)
	}
	resp := login(t, a, "an.nguyen", password)
	if resp.Status != http.StatusOK {
		t.Fatalf("login = %d %s", resp.Status, resp.Body)
	}
	bearer := "Bearer " + mustString(t, resp.json(t), "token")
	// Replicas share the signing secret, so the token is good on both.
	checkFor(t, time.Second, 10*time.Millisecond, func() error {
		if r := do(t, b, http.MethodGet, "/api/v1/auth/me", "", nil, "Authorization", bearer); r.Status != http.StatusOK {
			return fmt.Errorf("me on the second replica = %d %s", r.Status, r.Body)
		}
		return nil
	})

	if err := a.Users.Disable(ctx, "an.nguyen"); err != nil {
		t.Fatal(err)
	}
	me := do(t, a, http.MethodGet, "/api/v1/auth/me", "", nil, "Authorization", bearer)
	if me.Status != http.StatusUnauthorized || me.errorCode(t) != "unauthenticated" {
		t.Errorf("the request after Disable = %d %s, want 401 unauthenticated", me.Status, me.Body)
	}
	// The other replica learns it through its watch, within a second.
	checkFor(t, time.Second, 10*time.Millisecond, func() error {
		if r := do(t, b, http.MethodGet, "/api/v1/auth/me", "", nil, "Authorization", bearer); r.Status != http.StatusUnauthorized {
			return fmt.Errorf("me on the second replica after Disable = %d %s", r.Status, r.Body)
		}
		return nil
	})
	// Nor can the disabled account log in again; the answer gives nothing away.
	again := login(t, a, "an.nguyen", password)
	if again.Status != http.StatusUnauthorized || again.errorCode(t) != "invalid_credentials" {
		t.Errorf("login of a disabled account = %d %s, want 401 invalid_credentials", again.Status, again.Body)
	}
}
