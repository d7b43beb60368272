package app_test

import (
	"context"
	"net/http"
	"testing"

	"phananh/api"
	"phananh/domain"
)

// A state-changing staff request authenticated by the session cookie must
// carry X-Requested-With: phananh, which a cross-site form cannot send; a
// bearer token and safe methods are exempt.
func TestCookieAuthenticatedWritesNeedTheCSRFHeader(t *testing.T) {
	a := startAuthApp(t, "")
	if err := a.Users.Add(context.Background(), "an.nguyen", "ubnd.lao-cai", domain.RoleOfficer, "Mật khẩu của An 2026"); err != nil {
		t.Fatal(err)
	}
	r := postJSON(t, a, "/api/v1/reports", validReport(""))
	if r.Status != http.StatusCreated {
		t.Fatalf("submit = %d %s", r.Status, r.Body)
	}
	id := mustString(t, r.json(t), "id")
	lr := login(t, a, "an.nguyen", "Mật khẩu của An 2026")
	token := mustString(t, lr.json(t), "token")
	cookie := api.SessionCookie + "=" + token
	accept := "/api/v1/cases/" + id + "/accept"

	if g := do(t, a, http.MethodGet, "/api/v1/cases/"+id, "", nil, "Cookie", cookie); g.Status != http.StatusOK {
		t.Fatalf("GET with the cookie and no header = %d %s, want 200", g.Status, g.Body)
	}
	forged := postJSON(t, a, accept, map[string]any{}, "Cookie", cookie, "If-Match", `"1"`)
	if forged.Status != http.StatusForbidden || forged.errorCode(t) != "csrf_header_required" {
		t.Fatalf("POST with the cookie and no header = %d %s, want 403 csrf_header_required", forged.Status, forged.Body)
	}
	wrong := postJSON(t, a, accept, map[string]any{}, "Cookie", cookie, "If-Match", `"1"`, api.CSRFHeader, "XMLHttpRequest")
	if wrong.Status != http.StatusForbidden {
		t.Fatalf("POST with the cookie and a wrong header value = %d %s, want 403", wrong.Status, wrong.Body)
	}
	ok := postJSON(t, a, accept, map[string]any{}, "Cookie", cookie, "If-Match", `"1"`, api.CSRFHeader, api.CSRFValue)
	if ok.Status != http.StatusOK {
		t.Fatalf("POST with the cookie and the header = %d %s, want 200", ok.Status, ok.Body)
	}
	version := ok.Header.Get("ETag")
	bearer := postJSON(t, a, "/api/v1/cases/"+id+"/comment", map[string]any{"text": "ghi chú"},
		"Authorization", "Bearer "+token, "If-Match", version)
	if bearer.Status != http.StatusOK {
		t.Fatalf("POST with a bearer token and no header = %d %s, want 200", bearer.Status, bearer.Body)
	}
	// Another site's form must not end the session either.
	if out := do(t, a, http.MethodPost, "/api/v1/auth/logout", "", nil, "Cookie", cookie); out.Status != http.StatusForbidden || out.errorCode(t) != "csrf_header_required" {
		t.Errorf("logout with the cookie and no header = %d %s, want 403 csrf_header_required", out.Status, out.Body)
	}
	if g := do(t, a, http.MethodGet, "/api/v1/cases/"+id, "", nil, "Cookie", cookie); g.Status != http.StatusOK {
		t.Fatalf("after a refused logout the session = %d %s, want it still valid", g.Status, g.Body)
	}
	if out := do(t, a, http.MethodPost, "/api/v1/auth/logout", "", nil, "Cookie", cookie, api.CSRFHeader, api.CSRFValue); out.Status != http.StatusNoContent {
		t.Errorf("logout with the cookie and the header = %d %s, want 204", out.Status, out.Body)
	}
}
