package web

import (
	"encoding/json"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"phananh/domain"
)

func get(t *testing.T, e *echo.Echo, path string, cookies ...*http.Cookie) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, path, nil)
	for _, c := range cookies {
		req.AddCookie(c)
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

func TestEveryPageHasTheCSPAndBothLanguages(t *testing.T) {
	e := echo.New()
	Register(e, Options{})
	for _, path := range []string{"/", "/track", "/staff/login", "/staff", "/staff/cases/0192f3e0-8d5c-7a4e-9b1a-3c2d4e5f6a7b", "/dashboard", "/public"} {
		vi := get(t, e, path)
		if vi.Code != http.StatusOK {
			t.Fatalf("GET %s = %d", path, vi.Code)
		}
		if got := vi.Header().Get("Content-Security-Policy"); got != CSP {
			t.Errorf("%s: CSP = %q", path, got)
		}
		if !strings.Contains(vi.Body.String(), `<html lang="vi">`) {
			t.Errorf("%s: not Vietnamese by default", path)
		}
		en := get(t, e, path+"?lang=en")
		if !strings.Contains(en.Body.String(), `<html lang="en">`) {
			t.Errorf("%s?lang=en: not English", path)
		}
		ck := en.Result().Cookies()
		if len(ck) != 1 || ck[0].Name != LangCookie || ck[0].Value != "en" {
			t.Fatalf("%s?lang=en set cookies %v, want lang=en", path, ck)
		}
		if again := get(t, e, path, ck[0]); !strings.Contains(again.Body.String(), `<html lang="en">`) {
			t.Errorf("%s: the lang cookie is not honoured", path)
		}
		for _, body := range []string{vi.Body.String(), en.Body.String()} {
			if strings.Contains(body, "<script>") || strings.Contains(body, "style=") || strings.Contains(body, "<style") {
				t.Errorf("%s: inline script or style", path)
			}
		}
	}
	if rec := get(t, e, "/static/common.js"); rec.Code != http.StatusOK || !strings.Contains(rec.Header().Get("Content-Type"), "javascript") {
		t.Errorf("GET /static/common.js = %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
}

// TestFormsNeverPutWhatIsTypedInTheAddress: the pages' scripts send every
// form. Should one be sent before its script runs (a slow link, a script
// blocked), a form without a method would be a GET that puts a reporter's
// name and phone, a tracking code or a password in the address, where
// history and proxies keep it; each form says POST.
func TestFormsNeverPutWhatIsTypedInTheAddress(t *testing.T) {
	e := echo.New()
	Register(e, Options{})
	form := regexp.MustCompile(`<form\b[^>]*>`)
	seen := 0
	for _, path := range []string{"/", "/track", "/staff/login", "/staff", "/staff/cases/0192f3e0-8d5c-7a4e-9b1a-3c2d4e5f6a7b", "/dashboard", "/public"} {
		for _, tag := range form.FindAllString(get(t, e, path).Body.String(), -1) {
			seen++
			if !strings.Contains(tag, `method="post"`) {
				t.Errorf("%s: %s has no method=\"post\"", path, tag)
			}
		}
	}
	if seen < 20 {
		t.Errorf("found only %d forms on the pages", seen)
	}
}

// TestFormsLimitTextsAsTheServerDoes: each citizen form field's maxlength
// is the domain's limit for it, so the browser never lets through a text
// the API refuses.
func TestFormsLimitTextsAsTheServerDoes(t *testing.T) {
	e := echo.New()
	Register(e, Options{})
	maxlength := regexp.MustCompile(`id="([a-z-]+)"[^>]*maxlength="([^"]*)"`)
	want := map[string]map[string]int{
		"/": {"title": domain.MaxTitle, "description": domain.MaxDescription, "address": domain.MaxAddress,
			"name": domain.MaxName, "phone": domain.MaxPhone, "email": domain.MaxEmail},
		"/track": {"fb-comment": domain.MaxComment, "ro-reason": domain.MaxReason},
	}
	for path, fields := range want {
		got := map[string]string{}
		for _, m := range maxlength.FindAllStringSubmatch(get(t, e, path).Body.String(), -1) {
			got[m[1]] = m[2]
		}
		if len(got) != len(fields) {
			t.Errorf("%s: maxlength on %v, want on the %d fields %v", path, got, len(fields), fields)
		}
		for id, limit := range fields {
			if got[id] != strconv.Itoa(limit) {
				t.Errorf("%s: #%s maxlength %q, want %d", path, id, got[id], limit)
			}
		}
	}
}

// Every text key a template uses has both languages, and the Vietnamese
// is not a copy of the English.
func TestEveryMessageHasBothLanguages(t *testing.T) {
	for key, m := range messages {
		if m[0] == "" || m[1] == "" {
			t.Errorf("message %q lacks a language: %q", key, m)
		}
	}
	used := regexp.MustCompile(`\.T "([^"]+)"`)
	err := fs.WalkDir(files, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(files, path)
		if err != nil {
			return err
		}
		for _, m := range used.FindAllStringSubmatch(string(data), -1) {
			if _, ok := messages[m[1]]; !ok {
				t.Errorf("%s uses %q, which has no message", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// The scripts never build markup from strings: user text only ever goes
// through textContent.
func TestScriptsNeverWriteMarkup(t *testing.T) {
	bad := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function|setAttribute\('on|\.on\w+ = ['"]`)
	err := fs.WalkDir(files, "static", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".js") {
			return err
		}
		data, err := fs.ReadFile(files, path)
		if err != nil {
			return err
		}
		for _, line := range strings.Split(string(data), "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "//") {
				continue
			}
			if bad.MatchString(line) {
				t.Errorf("%s: %s", path, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPublicMapShowsOnlyPublicIncidents(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	now := time.Now().In(domain.Vietnam)
	month := now.Format("2006-01")
	at := func(lat, lon float64) domain.Location {
		return domain.Location{Commune: "lao-cai", Address: "nhà ông A", Lat: f(lat), Lon: f(lon)}
	}
	all := []domain.Case{
		{Category: "pollution.water", Kind: domain.KindIncident, Status: domain.StatusReceived, Location: at(22.48561, 103.97071), ReceivedAt: now, Title: "Nguyễn Văn A báo"},
		{Category: "pollution.waste", Kind: domain.KindIncident, Status: domain.StatusResolved, Location: at(22.3, 104.1), ReceivedAt: now},
		{Category: "pollution.mining", Kind: domain.KindDenunciation, Status: domain.StatusReceived, Location: at(22.1, 104.2), ReceivedAt: now},
		{Category: "land.boundary", Kind: domain.KindLandDispute, Status: domain.StatusReceived, Location: at(22.2, 104.3), ReceivedAt: now},
		{Category: "pollution.air", Kind: domain.KindIncident, Status: domain.StatusReceived, Location: domain.Location{Commune: "lao-cai"}, ReceivedAt: now},
		{Category: "pollution.air", Kind: domain.KindIncident, Status: domain.StatusRejected, Location: at(22.0, 104.0), ReceivedAt: now},
		{Category: "pollution.air", Kind: domain.KindIncident, Status: domain.StatusReceived, Location: at(22.0, 104.0), ReceivedAt: now, DuplicateOf: uuid.New()},
		{Category: "pollution.air", Kind: domain.KindIncident, Status: domain.StatusReceived, Location: at(22.0, 104.0), ReceivedAt: now.AddDate(0, -2, 0)},
	}
	e := echo.New()
	Register(e, Options{Cases: func(fn func(domain.Case)) {
		for _, c := range all {
			fn(c)
		}
	}})
	rec := get(t, e, "/public/incidents?month="+month)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /public/incidents = %d %s", rec.Code, rec.Body)
	}
	var got []map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("incidents = %v, want the two public pollution incidents", got)
	}
	for _, p := range got {
		if len(p) != 4 {
			t.Errorf("an incident carries %v; want only lat, lon, category, status", p)
		}
	}
	if got[1]["lat"] != 22.49 || got[1]["lon"] != 103.97 || got[1]["status"] != "open" {
		t.Errorf("incident = %v, want rounded to 0.01° and open", got[1])
	}
	if got[0]["status"] != "closed" {
		t.Errorf("a resolved incident = %v, want closed", got[0])
	}
	if rec := get(t, e, "/public/incidents?month=2026-13"); rec.Code != http.StatusBadRequest {
		t.Errorf("a bad month = %d, want 400", rec.Code)
	}
}
