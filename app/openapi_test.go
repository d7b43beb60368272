package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"phananh/api"
	"phananh/api/openapitest"
	"phananh/app"
	"phananh/domain"
	"phananh/ratelimit"
)

// apiCheck checks every answer the tests get through http.DefaultClient
// (do, postJSON, http.Get…) against api/openapi.json.
var apiCheck *openapitest.Transport

// TestMain installs the OpenAPI check and fails the run if any answer of
// the native API did not match its document, whichever test received it.
func TestMain(m *testing.M) {
	tr, err := openapitest.Install(api.OpenAPI())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	apiCheck = tr
	os.Exit(tr.Report(m.Run()))
}

// TestOpenAPIDescribesEveryRoute holds the document to the routes the
// running app registers: each route of the native API has an operation,
// and each operation is a registered route (no stale paths).
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	a := startApp(t, t.TempDir())

	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for method := range item {
			switch method {
			case "get", "put", "post", "delete", "options", "head", "patch", "trace":
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
	}

	param := regexp.MustCompile(`:([a-z_]+)`)
	registered := map[string]bool{}
	for _, r := range a.Routes() {
		if !openapitest.Covered(r.Path) {
			continue
		}
		path := param.ReplaceAllString(r.Path, "{$1}")
		if path == "/api/v1/cases/{id}/{action}" {
			// One route serves every staff action; the document gives each
			// its own path, with its own body.
			for _, action := range api.ActionNames() {
				registered[r.Method+" /api/v1/cases/{id}/"+action] = true
			}
			continue
		}
		registered[r.Method+" "+path] = true
	}
	if len(registered) < 20 {
		t.Fatalf("only %d routes registered under the native API: %v", len(registered), registered)
	}
	for _, missing := range difference(registered, documented) {
		t.Errorf("route %s has no operation in api/openapi.json", missing)
	}
	for _, stale := range difference(documented, registered) {
		t.Errorf("api/openapi.json documents %s, which no route serves", stale)
	}
}

func difference(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// TestOpenAPIDocumentIsServed: GET /api/v1/openapi.json answers the
// embedded document, as JSON; the check itself saw the answer.
func TestOpenAPIDocumentIsServed(t *testing.T) {
	a := startApp(t, t.TempDir())
	before := apiCheck.Checked()
	r := do(t, a, http.MethodGet, "/api/v1/openapi.json", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json = %d: %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if !bytes.Equal(r.Body, api.OpenAPI()) {
		t.Errorf("served document differs from the embedded one (%d bytes, want %d)", len(r.Body), len(api.OpenAPI()))
	}
	if got := apiCheck.Checked(); got <= before {
		t.Errorf("the OpenAPI check saw no answer (checked %d before, %d after): is it installed on http.DefaultClient?", before, got)
	}
}

// TestRefusalsMatchTheDocument sends the refusals the other tests rarely
// provoke, so that the check holds their answers to the document too:
// the shared error responses of staff actions (428, 415, 400, 413, 404,
// 409), of uploads, of login and of the citizen's view.
func TestRefusalsMatchTheDocument(t *testing.T) {
	a := startApp(t, t.TempDir())
	c := hire(t, a, member{"lc.officer", "ubnd.lao-cai", domain.RoleOfficer})
	s := submit(t, a, report("pollution.water", "lao-cai", "Nước suối đổi màu", "Nước suối có màu đen và mùi hôi."))
	v := strconv.FormatUint(s.version, 10)
	bearer := c.headers(t, "lc.officer")
	big := []byte(`{"reason":"` + strings.Repeat("x", 70<<10) + `"}`)
	multipart := func(part string) (string, []byte) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		w, err := mw.CreateFormField(part)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte("public"))
		mw.Close()
		return mw.FormDataContentType(), buf.Bytes()
	}
	noFileType, noFile := multipart("visibility")

	cases := []struct {
		name         string
		method, path string
		ctype        string
		body         []byte
		headers      []string
		status       int
		code         string
	}{
		{"action without If-Match", "POST", "/api/v1/cases/" + s.id + "/accept", "application/json", []byte(`{}`), bearer, 428, "precondition_required"},
		{"action If-Match not a version", "POST", "/api/v1/cases/" + s.id + "/accept", "application/json", []byte(`{}`), append([]string{"If-Match", `"abc"`}, bearer...), 400, "invalid"},
		{"action body not JSON", "POST", "/api/v1/cases/" + s.id + "/reject", "text/plain", []byte(`lý do`), append([]string{"If-Match", v}, bearer...), 415, "unsupported_media_type"},
		{"action body broken JSON", "POST", "/api/v1/cases/" + s.id + "/reject", "application/json", []byte(`{"reason":`), append([]string{"If-Match", v}, bearer...), 400, "invalid_json"},
		{"action body too large", "POST", "/api/v1/cases/" + s.id + "/reject", "application/json", big, append([]string{"If-Match", v}, bearer...), 413, "body_too_large"},
		{"action on no case", "POST", "/api/v1/cases/01a22224-0000-7000-8000-000000000000/accept", "application/json", []byte(`{}`), append([]string{"If-Match", "1"}, bearer...), 404, "not_found"},
		{"action the state forbids", "POST", "/api/v1/cases/" + s.id + "/resolve", "application/json", []byte(`{"summary":"xong"}`), append([]string{"If-Match", v}, bearer...), 409, "illegal_transition"},
		{"staff upload without login", "POST", "/api/v1/cases/" + s.id + "/attachments", noFileType, noFile, nil, 401, "unauthenticated"},
		{"staff upload not multipart", "POST", "/api/v1/cases/" + s.id + "/attachments", "application/json", []byte(`{}`), bearer, 415, "unsupported_media_type"},
		{"staff file that is not there", "GET", "/api/v1/cases/" + s.id + "/attachments/khong-co.jpg", "", nil, bearer, 404, "not_found"},
		{"citizen upload without a file", "POST", "/api/v1/reports/" + s.id + "/attachments", noFileType, noFile, []string{"X-Tracking-Code", s.code}, 400, "required"},
		{"citizen view, bad after", "GET", "/api/v1/reports/" + s.id + "?after=abc", "", nil, []string{"X-Tracking-Code", s.code}, 400, "invalid"},
		{"citizen feedback broken JSON", "POST", "/api/v1/reports/" + s.id + "/feedback", "application/json", []byte(`{`), []string{"X-Tracking-Code", s.code}, 400, "invalid_json"},
		{"login not JSON", "POST", "/api/v1/auth/login", "text/plain", []byte(`name=x`), nil, 415, "unsupported_media_type"},
		{"login unknown field", "POST", "/api/v1/auth/login", "application/json", []byte(`{"user":"x"}`), []string{"Accept-Language", "en"}, 400, "unknown_field"},
		{"login too large", "POST", "/api/v1/auth/login", "application/json", big, nil, 413, "body_too_large"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, a, tc.method, tc.path, tc.ctype, tc.body, tc.headers...)
			if r.Status != tc.status {
				t.Fatalf("%s %s = %d %s, want %d", tc.method, tc.path, r.Status, r.Body, tc.status)
			}
			if got := r.errorCode(t); got != tc.code {
				t.Errorf("error code = %q, want %q", got, tc.code)
			}
		})
	}
}

// TestEveryLimitedRouteDocumentsItsRefusal runs the app with allowances of
// one request an hour and calls every route that draws on one until it is
// refused, so that the check holds each 429 to the document: a client
// generated from it must expect the refusal where it can come.
func TestEveryLimitedRouteDocumentsItsRefusal(t *testing.T) {
	once := ratelimit.Rate{Events: 1, Per: time.Hour, Burst: 1}
	a := startAppWith(t, t.TempDir(), func(cfg *app.Config) {
		cfg.Limits = &api.Limits{Submit: once, Lookup: once, Login: once}
	})
	// The one report of the hour; the lookups below are the first of theirs.
	s := submit(t, a, report("pollution.water", "lao-cai", "Nước suối đổi màu", "Nước suối có màu đen và mùi hôi."))
	code := []string{"X-Tracking-Code", s.code}
	reports := "/api/v1/reports/" + s.id
	for _, route := range []struct {
		method, path, ctype string
		body                []byte
		headers             []string
	}{
		{"POST", "/api/v1/reports", "application/json", []byte(`{}`), nil},
		{"GET", reports, "", nil, code},
		{"POST", reports + "/attachments", "multipart/form-data; boundary=x", []byte("--x--\r\n"), code},
		{"GET", reports + "/attachments/khong-co.jpg", "", nil, code},
		{"POST", reports + "/feedback", "application/json", []byte(`{"rating":5}`), code},
		{"POST", reports + "/reopen", "application/json", []byte(`{"reason":"chưa xong"}`), code},
		{"POST", "/api/v1/auth/login", "application/json", []byte(`{"name":"khong-co","password":"sai"}`), nil},
	} {
		var r response
		for range 3 {
			if r = do(t, a, route.method, route.path, route.ctype, route.body, route.headers...); r.Status == http.StatusTooManyRequests {
				break
			}
		}
		if r.Status != http.StatusTooManyRequests {
			t.Errorf("%s %s: %d %s after three tries at one request an hour, want 429", route.method, route.path, r.Status, r.Body)
		}
	}
}
