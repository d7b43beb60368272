package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"

	"phananh/api"
	"phananh/app"
	"phananh/domain"
	"phananh/staff"
)

// hostile is one bad request of the catalogue and the refusal it must get.
type hostile struct {
	name        string
	method      string
	path        string
	contentType string
	body        []byte
	headers     []string
	// before runs just before the request (e.g. logging out the token).
	before     func(t *testing.T)
	wantStatus int
	wantCode   string
	// open311: the answer is in Open311's error shape, not the API's.
	open311 bool
	// lang is the language asked for; rows alternate when it is empty.
	lang string
}

// multipartFile is a multipart body with one part named "file".
func multipartFile(t *testing.T, filename string, data []byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	return mw.FormDataContentType(), buf.Bytes()
}

// reportWith is a valid anonymous report's JSON with one change made to it.
func reportWith(t *testing.T, change func(map[string]any)) []byte {
	t.Helper()
	r := map[string]any{
		"category": "pollution.water", "title": "Nước suối đổi màu đen",
		"description": "Nước suối chảy qua thôn có màu đen, cá chết.",
		"location":    map[string]any{"commune": "lao-cai", "address": "Tổ 5"}, "anonymous": true,
	}
	change(r)
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tamper rewrites a token's claims and keeps its signature.
func tamper(t *testing.T, token string, change func(map[string]any)) string {
	t.Helper()
	body, sig, _ := strings.Cut(token, ".")
	raw, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	change(claims)
	raw, _ = json.Marshal(claims)
	return base64.RawURLEncoding.EncodeToString(raw) + "." + sig
}

// TestBadInputCatalogue sends hostile and broken requests to a running
// service over real HTTP. Each must be refused with a clear 4xx in the one
// error shape, in Vietnamese or English as asked, store nothing (the CASES
// stream's message count and last sequence stay put), and leave the server
// healthy: /healthz answers 200 and a valid report is still filed.
func TestBadInputCatalogue(t *testing.T) {
	defaults := api.DefaultLimits()
	a := startAppWith(t, t.TempDir(), func(cfg *app.Config) {
		cfg.PasswordCost = bcrypt.MinCost
		// Submission is unlimited here because every row is followed by a
		// valid report; login and lookups keep the defaults, which the last
		// row (brute-forcing a tracking code) runs into.
		cfg.Limits = &api.Limits{Login: defaults.Login, Lookup: defaults.Lookup}
	})
	ctx := context.Background()
	s := stream(t, a)

	// The world the rows attack: a case with its code, an officer of its
	// unit with live tokens, and tokens that must not work.
	clientID := uuid.Must(uuid.NewV7()).String() // the setup report's retry key
	first := postJSON(t, a, "/api/v1/reports", validReport(clientID))
	if first.Status != http.StatusCreated {
		t.Fatalf("setup report: %d %s", first.Status, first.Body)
	}
	id, code := mustString(t, first.json(t), "id"), mustString(t, first.json(t), "tracking_code")
	const password = "Mật khẩu đủ dài của An"
	if err := a.Users.Add(ctx, "an.nguyen", "ubnd.lao-cai", domain.RoleOfficer, password); err != nil {
		t.Fatal(err)
	}
	tokenOf := func() string {
		r := login(t, a, "an.nguyen", password)
		if r.Status != http.StatusOK {
			t.Fatalf("login: %d %s", r.Status, r.Body)
		}
		return mustString(t, r.json(t), "token")
	}
	token, loggedOut := tokenOf(), tokenOf()
	secret, err := a.Store.Secret(ctx, "auth")
	if err != nil {
		t.Fatal(err)
	}
	tokens, err := staff.NewTokens(secret, 0)
	if err != nil {
		t.Fatal(err)
	}
	an, err := a.Users.Get(ctx, "an.nguyen")
	if err != nil {
		t.Fatal(err)
	}
	expired, _ := tokens.Issue(an, time.Now().Add(-9*time.Hour))
	otherKey, _ := staff.NewTokens(bytes.Repeat([]byte("k"), 32), 0)
	forged, _ := otherKey.Issue(staff.User{Name: "an.nguyen", Role: domain.RoleAdmin}, time.Now())
	asAdmin := tamper(t, token, func(c map[string]any) { c["role"] = "admin"; c["unit"] = "" })
	longLived := tamper(t, token, func(c map[string]any) { c["exp"] = time.Now().Add(1000 * time.Hour).Unix() })
	bearer := func(tok string) []string { return []string{"Authorization", "Bearer " + tok} }
	caseURL := "/api/v1/cases/" + id
	withIfMatch := func(h ...string) []string { return append(h, "If-Match", `"1"`) }

	png := pngBytes(t)
	elf := append([]byte("\x7fELF\x02\x01\x01\x00"), bytes.Repeat([]byte{0x90}, 512)...)
	pe := append([]byte("MZ\x90\x00\x03\x00\x00\x00"), bytes.Repeat([]byte{0}, 512)...)
	type file struct {
		name string
		data []byte
	}
	upload := func(f file) (string, []byte) { return multipartFile(t, f.name, f.data) }
	elfCT, elfBody := upload(file{"anh-hien-truong.png", elf})
	peCT, peBody := upload(file{"anh.jpg", pe})
	htmlCT, htmlBody := upload(file{"anh.png", []byte("<html><script>alert(document.cookie)</script></html>")})
	svgCT, svgBody := upload(file{"ban-do.png", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)})
	truncCT, truncBody := upload(file{"anh.png", png[:len(png)/2]})
	travCT, travBody := upload(file{"../../../etc/cron.d/x.png", []byte("#!/bin/sh\nrm -rf /\n")})
	gifCT, gifBody := upload(file{"anh.png", []byte("GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x00\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;")})
	zipCT, zipBody := upload(file{"bien-ban.pdf", append([]byte("PK\x03\x04\x14\x00\x06\x00"), bytes.Repeat([]byte{0}, 200)...)})
	pngCT, pngBody := upload(file{"a.png", png})
	bigCT, bigBody := upload(file{"anh.png", append(png, make([]byte, api.DefaultMaxUploadBytes+1)...)})
	emptyCT, emptyBody := func() (string, []byte) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		mw.WriteField("note", "không có tệp")
		mw.Close()
		return mw.FormDataContentType(), buf.Bytes()
	}()
	deep := strings.Repeat("[", 20000) + strings.Repeat("]", 20000)
	deepField := reportWith(t, func(r map[string]any) { r["title"] = "x" })
	deepField = bytes.Replace(deepField, []byte(`"x"`), []byte(strings.Repeat(`{"a":`, 5000)+"1"+strings.Repeat("}", 5000)), 1)
	tooBig := reportWith(t, func(r map[string]any) { r["description"] = strings.Repeat("Ô nhiễm ", 10000) })
	json400 := "application/json"

	rows := []hostile{
		// The report form's JSON.
		{name: "body over 64 KB", path: "/api/v1/reports", body: tooBig, wantStatus: 413, wantCode: "body_too_large"},
		{name: "20 000 nested arrays", path: "/api/v1/reports", body: []byte(deep), wantStatus: 400, wantCode: "invalid_json"},
		{name: "5 000 nested objects in a field", path: "/api/v1/reports", body: deepField, wantStatus: 400, wantCode: "invalid"},
		{name: "invalid UTF-8 in the title", path: "/api/v1/reports", body: bytes.Replace(reportWith(t, func(r map[string]any) { r["title"] = "TITLE" }), []byte("TITLE"), []byte("Nư\xffớc"), 1), wantStatus: 400, wantCode: "invalid_text"},
		{name: "NUL escaped in the title", path: "/api/v1/reports", body: reportWith(t, func(r map[string]any) { r["title"] = "Nước\x00đen" }), wantStatus: 400, wantCode: "invalid_text"},
		{name: "raw NUL byte in the body", path: "/api/v1/reports", body: append(reportWith(t, func(map[string]any) {}), 0), wantStatus: 400, wantCode: "invalid_json"},
		{name: "bell and escape characters", path: "/api/v1/reports", body: reportWith(t, func(r map[string]any) { r["description"] = "a\x07b\x1b[31m" }), wantStatus: 400, wantCode: "invalid_text"},
		{name: "a number beyond float64", path: "/api/v1/reports", body: []byte(`{"category":"pollution.water","title":"a","description":"b","location":{"commune":"lao-cai","lat":1e400,"lon":1},"anonymous":true}`), wantStatus: 400, wantCode: "invalid"},
		{name: "coordinates at 1e300", path: "/api/v1/reports", body: reportWith(t, func(r map[string]any) {
			r["location"] = map[string]any{"commune": "lao-cai", "lat": 1e300, "lon": -1e300}
		}), wantStatus: 400, wantCode: "invalid_location"},
		{name: "category as a number", path: "/api/v1/reports", body: []byte(`{"category":12345678901234567890}`), wantStatus: 400, wantCode: "invalid"},
		{name: "anonymous as a string", path: "/api/v1/reports", body: []byte(`{"anonymous":"true"}`), wantStatus: 400, wantCode: "invalid"},
		{name: "an unknown field", path: "/api/v1/reports", body: reportWith(t, func(r map[string]any) { r["is_admin"] = true }), wantStatus: 400, wantCode: "unknown_field"},
		{name: "two JSON values", path: "/api/v1/reports", body: append(reportWith(t, func(map[string]any) {}), []byte(` {"again":1}`)...), wantStatus: 400, wantCode: "invalid_json"},
		{name: "an empty body", path: "/api/v1/reports", body: nil, wantStatus: 400, wantCode: "invalid_json"},
		{name: "a UTF-8 BOM before the JSON", path: "/api/v1/reports", body: append([]byte("\xef\xbb\xbf"), reportWith(t, func(map[string]any) {})...), wantStatus: 400, wantCode: "invalid_json"},
		{name: "JSON null", path: "/api/v1/reports", body: []byte(`null`), wantStatus: 400, wantCode: "invalid_category"},
		{name: "JSON sent as text/plain", path: "/api/v1/reports", contentType: "text/plain", body: reportWith(t, func(map[string]any) {}), wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "JSON sent as a form", path: "/api/v1/reports", contentType: "application/x-www-form-urlencoded", body: []byte("category=pollution.water"), wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "no content type", path: "/api/v1/reports", contentType: "-", body: reportWith(t, func(map[string]any) {}), wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "SQL in the commune", path: "/api/v1/reports", body: reportWith(t, func(r map[string]any) { r["location"] = map[string]any{"commune": "lao-cai' OR '1'='1"} }), wantStatus: 400, wantCode: "invalid_commune"},
		{name: "path traversal as the commune", path: "/api/v1/reports", body: reportWith(t, func(r map[string]any) { r["location"] = map[string]any{"commune": "../../../etc/passwd"} }), wantStatus: 400, wantCode: "invalid_commune"},
		{name: "path traversal as the report id", path: "/api/v1/reports", body: reportWith(t, func(r map[string]any) { r["id"] = "../../cases/" + id }), wantStatus: 400, wantCode: "invalid_id"},
		{name: "a UUID in braces as the id", path: "/api/v1/reports", body: reportWith(t, func(r map[string]any) { r["id"] = "{" + uuid.NewString() + "}" }), wantStatus: 400, wantCode: "invalid_id"},
		{name: "the year 10000", path: "/api/v1/reports", body: reportWith(t, func(r map[string]any) { r["occurred_at"] = "10000-01-01T00:00:00Z" }), wantStatus: 400, wantCode: "invalid_time"},
		{name: "a 201-character title", path: "/api/v1/reports", body: reportWith(t, func(r map[string]any) { r["title"] = strings.Repeat("ô", 201) }), wantStatus: 400, wantCode: "too_long"},
		{name: "a shell command as the phone", path: "/api/v1/reports", body: reportWith(t, func(r map[string]any) {
			delete(r, "anonymous")
			r["reporter"] = map[string]any{"name": "An", "phone": "0912345678; rm -rf /"}
		}), wantStatus: 400, wantCode: "invalid_reporter"},
		{name: "a mail header injected in the email", path: "/api/v1/reports", body: reportWith(t, func(r map[string]any) {
			delete(r, "anonymous")
			r["reporter"] = map[string]any{"name": "An", "email": "an@example.vn\r\nBcc: all@example.vn"}
		}), wantStatus: 400, wantCode: "invalid_reporter"},
		{name: "anonymous but named", path: "/api/v1/reports", body: reportWith(t, func(r map[string]any) {
			r["reporter"] = map[string]any{"name": "An", "phone": "0912345678"}
		}), wantStatus: 400, wantCode: "invalid_reporter"},
		// A message may name the bad value, but not repeat 30 KB of it.
		{name: "a 30 KB category", lang: "en", path: "/api/v1/reports", body: reportWith(t, func(r map[string]any) { r["category"] = strings.Repeat("ô", 15<<10) }), wantStatus: 400, wantCode: "invalid_category"},
		{name: "a 30 KB commune", lang: "en", path: "/api/v1/reports", body: reportWith(t, func(r map[string]any) { r["location"] = map[string]any{"commune": strings.Repeat("x", 30<<10)} }), wantStatus: 400, wantCode: "invalid_commune"},
		{name: "a 30 KB id", lang: "en", path: "/api/v1/reports", body: reportWith(t, func(r map[string]any) { r["id"] = strings.Repeat("0", 30<<10) }), wantStatus: 400, wantCode: "invalid_id"},
		{name: "a 30 KB email", lang: "en", path: "/api/v1/reports", body: reportWith(t, func(r map[string]any) {
			delete(r, "anonymous")
			r["reporter"] = map[string]any{"name": "An", "email": strings.Repeat("a", 30<<10)}
		}), wantStatus: 400, wantCode: "too_long"},
		{name: "a 30 KB unknown field name", lang: "en", path: "/api/v1/reports", body: reportWith(t, func(r map[string]any) { r[strings.Repeat("k", 30<<10)] = 1 }), wantStatus: 400, wantCode: "unknown_field"},
		{name: "the same id with other content", path: "/api/v1/reports", body: reportWith(t, func(r map[string]any) { r["id"] = clientID }), wantStatus: 409, wantCode: "duplicate_id"},

		// Looking a case up.
		{name: "path traversal as the case id", method: http.MethodGet, path: "/api/v1/reports/..%2F..%2F..%2Fetc%2Fpasswd", headers: []string{"X-Tracking-Code", code}, wantStatus: 404, wantCode: "not_found"},
		{name: "a wrong tracking code", method: http.MethodGet, path: "/api/v1/reports/" + id, headers: []string{"X-Tracking-Code", "AAAA-BBBB-CCCC-DDDD"}, wantStatus: 404, wantCode: "not_found"},
		{name: "SQL as the tracking code", method: http.MethodGet, path: "/api/v1/reports/" + id + "?code=" + url.QueryEscape("' OR 1=1 --"), wantStatus: 404, wantCode: "not_found"},
		{name: "no tracking code", method: http.MethodGet, path: "/api/v1/reports/" + id, wantStatus: 404, wantCode: "not_found"},
		{name: "a read position beyond the log", method: http.MethodGet, path: "/api/v1/reports/" + id + "?after=18446744073709551615", headers: []string{"X-Tracking-Code", code}, wantStatus: 400, wantCode: "invalid"},
		{name: "a negative read position", method: http.MethodGet, path: "/api/v1/reports/" + id + "?after=-1", headers: []string{"X-Tracking-Code", code}, wantStatus: 400, wantCode: "invalid"},
		{name: "path traversal as an attachment name", method: http.MethodGet, path: "/api/v1/reports/" + id + "/attachments/..%2F..%2F" + uuid.NewString() + "%2Fsecret.pdf", headers: []string{"X-Tracking-Code", code}, wantStatus: 404, wantCode: "not_found"},
		{name: "feedback on a case not resolved", path: "/api/v1/reports/" + id + "/feedback", body: []byte(`{"rating":5}`), headers: []string{"X-Tracking-Code", code}, wantStatus: 409, wantCode: "illegal_transition"},
		{name: "a rating of 10^30", path: "/api/v1/reports/" + id + "/feedback", body: []byte(`{"rating":1000000000000000000000000000000}`), headers: []string{"X-Tracking-Code", code}, wantStatus: 400, wantCode: "invalid"},

		// Files: checked by content, whatever the name or the type claimed.
		{name: "an ELF executable named .png", path: "/api/v1/reports/" + id + "/attachments", contentType: elfCT, body: elfBody, headers: []string{"X-Tracking-Code", code}, wantStatus: 415, wantCode: "invalid_file_type"},
		{name: "a Windows executable named .jpg", path: "/api/v1/reports/" + id + "/attachments", contentType: peCT, body: peBody, headers: []string{"X-Tracking-Code", code}, wantStatus: 415, wantCode: "invalid_file_type"},
		{name: "HTML with script named .png", path: "/api/v1/reports/" + id + "/attachments", contentType: htmlCT, body: htmlBody, headers: []string{"X-Tracking-Code", code}, wantStatus: 415, wantCode: "invalid_file_type"},
		{name: "SVG with onload named .png", path: "/api/v1/reports/" + id + "/attachments", contentType: svgCT, body: svgBody, headers: []string{"X-Tracking-Code", code}, wantStatus: 415, wantCode: "invalid_file_type"},
		{name: "half a PNG", path: "/api/v1/reports/" + id + "/attachments", contentType: truncCT, body: truncBody, headers: []string{"X-Tracking-Code", code}, wantStatus: 415, wantCode: "invalid_file_type"},
		{name: "a shell script with a traversing name", path: "/api/v1/reports/" + id + "/attachments", contentType: travCT, body: travBody, headers: []string{"X-Tracking-Code", code}, wantStatus: 415, wantCode: "invalid_file_type"},
		{name: "a GIF named .png", path: "/api/v1/reports/" + id + "/attachments", contentType: gifCT, body: gifBody, headers: []string{"X-Tracking-Code", code}, wantStatus: 415, wantCode: "invalid_file_type"},
		{name: "a ZIP (an Office file) named .pdf", path: "/api/v1/reports/" + id + "/attachments", contentType: zipCT, body: zipBody, headers: []string{"X-Tracking-Code", code}, wantStatus: 415, wantCode: "invalid_file_type"},
		{name: "a file over 10 MB", path: "/api/v1/reports/" + id + "/attachments", contentType: bigCT, body: bigBody, headers: []string{"X-Tracking-Code", code}, wantStatus: 413, wantCode: "file_too_large"},
		{name: "a multipart body without a file", path: "/api/v1/reports/" + id + "/attachments", contentType: emptyCT, body: emptyBody, headers: []string{"X-Tracking-Code", code}, wantStatus: 400, wantCode: "required"},
		{name: "a file sent as JSON", path: "/api/v1/reports/" + id + "/attachments", contentType: json400, body: []byte(`{"file":"iVBORw0KGgo="}`), headers: []string{"X-Tracking-Code", code}, wantStatus: 415, wantCode: "unsupported_media_type"},
		{name: "a real PNG with a wrong code", path: "/api/v1/reports/" + id + "/attachments", contentType: pngCT, body: pngBody, headers: []string{"X-Tracking-Code", "AAAA-BBBB-CCCC-DDDD"}, wantStatus: 404, wantCode: "not_found"},

		// Staff: tokens that must not work, and requests that must not pass.
		{name: "no token", method: http.MethodGet, path: caseURL, wantStatus: 401, wantCode: "unauthenticated"},
		{name: "a token whose role was changed to admin", method: http.MethodGet, path: caseURL, headers: bearer(asAdmin), wantStatus: 401, wantCode: "unauthenticated"},
		{name: "a token whose expiry was pushed back", method: http.MethodGet, path: caseURL, headers: bearer(longLived), wantStatus: 401, wantCode: "unauthenticated"},
		{name: "a token signed with another key", method: http.MethodGet, path: caseURL, headers: bearer(forged), wantStatus: 401, wantCode: "unauthenticated"},
		{name: "an unsigned JWT (alg none)", method: http.MethodGet, path: caseURL, headers: bearer("eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbi5uZ3V5ZW4iLCJyb2xlIjoiYWRtaW4ifQ."), wantStatus: 401, wantCode: "unauthenticated"},
		{name: "an expired token", method: http.MethodGet, path: caseURL, headers: bearer(expired), wantStatus: 401, wantCode: "unauthenticated"},
		{name: "a token replayed after logout", method: http.MethodGet, path: caseURL, headers: bearer(loggedOut), before: func(t *testing.T) {
			if r := do(t, a, http.MethodPost, "/api/v1/auth/logout", "", nil, bearer(loggedOut)...); r.Status != http.StatusNoContent {
				t.Fatalf("logout: %d %s", r.Status, r.Body)
			}
		}, wantStatus: 401, wantCode: "unauthenticated"},
		// (Headers over 64 KB in all are refused by Go's server itself: 431, plain text.)
		{name: "a 20 KB token", method: http.MethodGet, path: caseURL, headers: bearer(strings.Repeat("A", 20<<10)), wantStatus: 401, wantCode: "unauthenticated"},
		{name: "Basic instead of Bearer", method: http.MethodGet, path: caseURL, headers: []string{"Authorization", "Basic " + base64.StdEncoding.EncodeToString([]byte("an.nguyen:"+password))}, wantStatus: 401, wantCode: "unauthenticated"},
		{name: "a cookie write without X-Requested-With (CSRF)", path: caseURL + "/comment", body: []byte(`{"text":"giả mạo","visibility":"public"}`), headers: withIfMatch("Cookie", api.SessionCookie+"="+token), wantStatus: 403, wantCode: "csrf_header_required"},
		{name: "an action without If-Match", path: caseURL + "/accept", body: []byte(`{}`), headers: bearer(token), wantStatus: 428, wantCode: "precondition_required"},
		{name: "If-Match that is not a version", path: caseURL + "/accept", body: []byte(`{}`), headers: append(bearer(token), "If-Match", `"1 OR 1=1"`), wantStatus: 400, wantCode: "invalid"},
		{name: "an action that does not exist", path: caseURL + "/delete", body: []byte(`{}`), headers: withIfMatch(bearer(token)...), wantStatus: 404, wantCode: "not_found"},
		{name: "path traversal as the staff case id", method: http.MethodGet, path: "/api/v1/cases/..%2F..%2Fqueues%2Fubnd.lao-cai", headers: bearer(token), wantStatus: 404, wantCode: "not_found"},
		{name: "days as a string", path: caseURL + "/extend-deadline", body: []byte(`{"days":"ba mươi","decision_ref":"QĐ-1","reason":"r"}`), headers: withIfMatch(bearer(token)...), wantStatus: 400, wantCode: "invalid"},
		{name: "a comment body of 65 KB", path: caseURL + "/comment", body: []byte(`{"text":"` + strings.Repeat("a", 65<<10) + `"}`), headers: withIfMatch(bearer(token)...), wantStatus: 413, wantCode: "body_too_large"},
		{name: "a login body of 5 KB", path: "/api/v1/auth/login", body: []byte(`{"name":"an.nguyen","password":"` + strings.Repeat("x", 5<<10) + `"}`), wantStatus: 413, wantCode: "body_too_large"},
		{name: "SQL as the login name", path: "/api/v1/auth/login", body: []byte(`{"name":"' OR '1'='1' --","password":"x"}`), wantStatus: 401, wantCode: "invalid_credentials"},
		{name: "a password as an object", path: "/api/v1/auth/login", body: []byte(`{"name":"an.nguyen","password":{"$ne":""}}`), wantStatus: 400, wantCode: "invalid"},

		// Open311 answers in its own standard shape ([{"code","description"}]).
		{name: "Open311: a form over 64 KB", path: "/open311/v2/requests.json", contentType: "application/x-www-form-urlencoded", body: []byte("api_key=x&description=" + strings.Repeat("a", 70<<10)), wantStatus: 413, open311: true},
		{name: "Open311: a JSON body", path: "/open311/v2/requests.json", contentType: json400, body: []byte(`{"service_code":"pollution.water"}`), wantStatus: 415, open311: true},
		{name: "Open311: a 30 KB service code", method: http.MethodGet, path: "/open311/v2/services/" + strings.Repeat("x", 30<<10) + ".json", wantStatus: 404, open311: true},
		{name: "Open311: a 30 KB request id", method: http.MethodGet, path: "/open311/v2/requests/" + strings.Repeat("x", 30<<10) + ".json", wantStatus: 404, open311: true},
	}

	tried := 0
	lastHealthy := func(t *testing.T, row string) {
		t.Helper()
		if r := do(t, a, http.MethodGet, "/healthz", "", nil); r.Status != http.StatusOK {
			t.Fatalf("after %q: /healthz = %d", row, r.Status)
		}
		if r := postJSON(t, a, "/api/v1/reports", validReport("")); r.Status != http.StatusCreated {
			t.Fatalf("after %q: a valid report = %d %s", row, r.Status, r.Body)
		}
	}
	for i, row := range rows {
		t.Run(row.name, func(t *testing.T) {
			if row.before != nil {
				row.before(t)
			}
			lang := []string{"vi", "en"}[i%2]
			if row.lang != "" {
				lang = row.lang
			}
			method := row.method
			if method == "" {
				method = http.MethodPost
			}
			ct := row.contentType
			switch {
			case ct == "-":
				ct = ""
			case ct == "" && method == http.MethodPost:
				ct = "application/json"
			}
			before := streamState(t, s)
			r := do(t, a, method, row.path, ct, row.body, append([]string{"Accept-Language", lang}, row.headers...)...)
			tried++
			if r.Status != row.wantStatus {
				t.Errorf("status = %d, want %d: %s", r.Status, row.wantStatus, truncate(r.Body))
			}
			if row.open311 {
				var list []struct {
					Code        int    `json:"code"`
					Description string `json:"description"`
				}
				if err := json.Unmarshal(r.Body, &list); err != nil || len(list) != 1 || list[0].Code != row.wantStatus || list[0].Description == "" {
					t.Errorf("not Open311's error shape: %s", truncate(r.Body))
				}
				if len(r.Body) > maxErrorBytes {
					t.Errorf("an error answer of %d bytes, want at most %d: %s", len(r.Body), maxErrorBytes, truncate(r.Body))
				}
			} else {
				checkErrorShape(t, r, row.wantCode, lang)
			}
			if after := streamState(t, s); after.Msgs != before.Msgs || after.LastSeq != before.LastSeq {
				t.Errorf("the stream changed: %d messages (last %d) → %d (last %d)", before.Msgs, before.LastSeq, after.Msgs, after.LastSeq)
			}
			lastHealthy(t, row.name)
		})
	}

	// Brute-forcing a tracking code: wrong codes from one address run into
	// the lookup limit; once it refills, the owner's code works again.
	t.Run("brute-forced tracking codes", func(t *testing.T) {
		before := streamState(t, s)
		var limited response
		attempts := 0
		began := time.Now()
		// The bucket refills at one lookup a second while the guesses run,
		// more slowly on a loaded machine; past that, 404s mean no limit.
		for attempts < defaults.Lookup.Burst+2+int(time.Since(began).Seconds()) {
			attempts++
			tried++
			r := do(t, a, http.MethodGet, fmt.Sprintf("/api/v1/reports/%s", id), "", nil, "X-Tracking-Code", fmt.Sprintf("ZZZZ-ZZZZ-ZZZZ-%04d", attempts))
			if r.Status == http.StatusTooManyRequests {
				limited = r
				break
			}
			if r.Status != http.StatusNotFound {
				t.Fatalf("wrong code %d: status %d %s", attempts, r.Status, r.Body)
			}
		}
		if limited.Status != http.StatusTooManyRequests {
			t.Fatalf("%d wrong codes in a row were all answered 404; want 429 within the burst of %d", attempts, defaults.Lookup.Burst)
		}
		limitedAt := time.Now()
		checkErrorShape(t, limited, "rate_limited", "vi")
		wait, err := strconv.Atoi(limited.Header.Get("Retry-After"))
		if err != nil || wait < 1 || wait > 60 {
			t.Fatalf("Retry-After = %q, want 1..60 seconds", limited.Header.Get("Retry-After"))
		}
		if r := do(t, a, http.MethodGet, "/api/v1/reports/"+id, "", nil, "X-Tracking-Code", code); r.Status != http.StatusTooManyRequests && time.Since(limitedAt) < 900*time.Millisecond {
			t.Errorf("the right code inside the window = %d, want 429 too (the limit is per address)", r.Status)
		}
		time.Sleep(time.Duration(wait) * time.Second)
		if r := do(t, a, http.MethodGet, "/api/v1/reports/"+id, "", nil, "X-Tracking-Code", code); r.Status != http.StatusOK {
			t.Errorf("the right code after Retry-After = %d %s, want 200", r.Status, r.Body)
		}
		if after := streamState(t, s); after.Msgs != before.Msgs {
			t.Errorf("guessing codes stored %d events", after.Msgs-before.Msgs)
		}
		lastHealthy(t, "brute force")
	})
	t.Logf("bad inputs tried: %d (%d catalogue rows + tracking-code guesses)", tried, len(rows))
	fmt.Printf("bad inputs tried: %d\n", tried)
}

// maxErrorBytes bounds an error answer: a message may name the bad value,
// shortened, but does not send a request's bulk back.
const maxErrorBytes = 1 << 10

// checkErrorShape holds an answer to the one error shape: {"error":{"code",
// "message"}}, the code wanted, the message in the language asked for, and
// at most maxErrorBytes in all.
func checkErrorShape(t *testing.T, r response, wantCode, lang string) {
	t.Helper()
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
			Field   string `json:"field"`
		} `json:"error"`
	}
	if err := json.Unmarshal(r.Body, &body); err != nil {
		t.Fatalf("not the error shape (%v): %s", err, truncate(r.Body))
	}
	if body.Error.Code != wantCode {
		t.Errorf("code = %q, want %q: %s", body.Error.Code, wantCode, truncate(r.Body))
	}
	msg := body.Error.Message
	if msg == "" || !utf8.ValidString(msg) {
		t.Errorf("message %q", msg)
	}
	vietnamese := strings.ContainsFunc(msg, func(r rune) bool { return r > 0x7f })
	if lang == "vi" && !vietnamese {
		t.Errorf("asked for Vietnamese, got %q", msg)
	}
	if lang == "en" && vietnamese && !strings.Contains(msg, "\"") {
		t.Errorf("asked for English, got %q", msg)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q", ct)
	}
	if len(r.Body) > maxErrorBytes {
		t.Errorf("an error answer of %d bytes, want at most %d: %s", len(r.Body), maxErrorBytes, truncate(r.Body))
	}
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// TestHostileTextIsStoredAsText files markup, script and SQL as a report's
// text and a photo's name: they are kept as the citizen typed them (the
// name made safe) and answered as escaped JSON data that no browser runs.
func TestHostileTextIsStoredAsText(t *testing.T) {
	a := startApp(t, t.TempDir())
	title := `<script>alert("xss")</script><img src=x onerror=alert(1)>`
	description := "Robert'); DROP TABLE cases; -- \n{{.Secret}} ${7*7} <iframe src=javascript:alert(1)>"
	r := do(t, a, http.MethodPost, "/api/v1/reports", "application/json", reportWith(t, func(r map[string]any) {
		r["title"], r["description"] = title, description
		r["location"] = map[string]any{"commune": "lao-cai", "address": `"><svg onload=alert(1)>`}
	}))
	if r.Status != http.StatusCreated {
		t.Fatalf("report with markup: %d %s", r.Status, r.Body)
	}
	id, code := mustString(t, r.json(t), "id"), mustString(t, r.json(t), "tracking_code")
	if up := upload(t, a, id, code, `..\..\<script>x</script>/../../etc/passwd.png`, pngBytes(t)); up.Status != http.StatusCreated {
		t.Fatalf("a real PNG with a hostile name: %d %s", up.Status, up.Body)
	}
	view := do(t, a, http.MethodGet, "/api/v1/reports/"+id, "", nil, "X-Tracking-Code", code)
	if view.Status != http.StatusOK {
		t.Fatalf("citizen view: %d %s", view.Status, view.Body)
	}
	for _, raw := range []string{"<script", "<img", "<iframe", "<svg"} {
		if bytes.Contains(view.Body, []byte(raw)) {
			t.Errorf("the JSON carries %q unescaped", raw)
		}
	}
	got := view.json(t)
	if got["title"] != title || got["description"] != description {
		t.Errorf("the text did not come back as typed: %q / %q", got["title"], got["description"])
	}
	atts, _ := got["attachments"].([]any)
	if len(atts) != 1 {
		t.Fatalf("attachments = %v", got["attachments"])
	}
	name := atts[0].(map[string]any)["filename"].(string)
	if strings.ContainsAny(name, `/\`) || strings.Contains(name, "..") {
		t.Errorf("stored filename %q still holds a path", name)
	}
	h := view.Header
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("API Content-Security-Policy = %q, want default-src 'none'", csp)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		t.Errorf("Content-Type %q, X-Content-Type-Options %q", h.Get("Content-Type"), h.Get("X-Content-Type-Options"))
	}
	if h.Get("Cache-Control") != "no-store" {
		t.Errorf("the citizen's view: Cache-Control = %q, want no-store", h.Get("Cache-Control"))
	}
	// The pages render case data with textContent (web/static/common.js)
	// under a policy that runs no inline script, so markup that slipped
	// into a page could not run either.
	page := do(t, a, http.MethodGet, "/track", "", nil)
	csp := page.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		t.Errorf("page Content-Security-Policy = %q", csp)
	}
	if h := page.Header.Get("Strict-Transport-Security"); h != "" {
		t.Errorf("HSTS %q sent without being configured", h)
	}
}

// TestRateLimitsWithDefaults shows the default limits at work: a burst of
// reports from one address is cut at the default burst with 429
// rate_limited and Retry-After, in Vietnamese or English, storing nothing;
// Open311 draws on the same allowance; another address is not affected.
func TestRateLimitsWithDefaults(t *testing.T) {
	a := startApp(t, t.TempDir())
	s := stream(t, a)
	start, began := streamState(t, s), time.Now()
	rate := api.DefaultLimits().Submit
	key, err := a.APIKeys.Add(context.Background(), "ung-dung-311")
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"api_key": {key}, "service_code": {"pollution.water"}, "attribute[commune]": {"lao-cai"},
		"address_string": {"Tổ 5"}, "description": {"Nước suối đổi màu đen"}}
	created := 0
	// refilled is how many tokens the bucket may have gained meanwhile: a
	// slow machine takes a while over the burst.
	refilled := func() int { return int(time.Since(began).Seconds()/rate.Per.Seconds()*rate.Events) + 1 }
	// refuse sends report requests until one is refused with 429.
	refuse := func(send func() response) response {
		t.Helper()
		for range rate.Burst + refilled() + 1 {
			r := send()
			if r.Status != http.StatusCreated {
				return r
			}
			created++
		}
		t.Fatalf("%d reports were accepted from one address; the default burst is %d", created, rate.Burst)
		return response{}
	}
	for _, lang := range []string{"vi", "en"} {
		r := refuse(func() response { return postJSON(t, a, "/api/v1/reports", validReport(""), "Accept-Language", lang) })
		if r.Status != http.StatusTooManyRequests {
			t.Fatalf("%s: %d %s, want 429", lang, r.Status, r.Body)
		}
		checkErrorShape(t, r, "rate_limited", lang)
		if n, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || n < 1 || n > 60 {
			t.Errorf("Retry-After = %q, want 1..60 seconds", r.Header.Get("Retry-After"))
		}
	}
	if created < rate.Burst || created > rate.Burst+refilled() {
		t.Errorf("%d reports accepted before the limit, want the burst of %d (plus at most %d refilled)", created, rate.Burst, refilled())
	}
	// Open311 draws on the same allowance and answers in its own shape.
	o := refuse(func() response {
		return do(t, a, http.MethodPost, "/open311/v2/requests.json", "application/x-www-form-urlencoded", []byte(form.Encode()))
	})
	if o.Status != http.StatusTooManyRequests || o.Header.Get("Retry-After") == "" || !bytes.Contains(o.Body, []byte(`"code":429`)) {
		t.Errorf("Open311 POST after the burst: %d %s (Retry-After %q), want 429 in Open311's shape", o.Status, o.Body, o.Header.Get("Retry-After"))
	}
	// Every accepted report is one event; the refused ones stored nothing.
	if after := streamState(t, s); after.Msgs-start.Msgs != uint64(created) {
		t.Errorf("%d events stored for %d accepted reports", after.Msgs-start.Msgs, created)
	}
	// Reading is not submitting: the public reference data still answers.
	if r := do(t, a, http.MethodGet, "/api/v1/categories", "", nil); r.Status != http.StatusOK {
		t.Errorf("categories after the submit limit: %d", r.Status)
	}
}

// TestTrustedProxyNamesTheClient: behind a configured proxy each citizen
// has their own allowance, while X-Forwarded-For from anyone else is
// ignored (or a script would name a fresh address for every request).
func TestTrustedProxyNamesTheClient(t *testing.T) {
	limit := api.Limits{Submit: api.DefaultLimits().Submit}
	limit.Submit.Burst, limit.Submit.Events = 2, 1
	run := func(t *testing.T, proxies []netip.Prefix, wantThird int) {
		a := startAppWith(t, t.TempDir(), func(cfg *app.Config) { cfg.Limits, cfg.TrustedProxies = &limit, proxies })
		for i := range 3 {
			want := http.StatusCreated
			if i == 2 {
				want = wantThird
			}
			// Each request claims to come from a different citizen.
			r := postJSON(t, a, "/api/v1/reports", validReport(""), "X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i+1))
			if r.Status != want {
				t.Fatalf("request %d: %d %s, want %d", i+1, r.Status, r.Body, want)
			}
		}
	}
	t.Run("untrusted", func(t *testing.T) { run(t, nil, http.StatusTooManyRequests) })
	t.Run("loopback proxy trusted", func(t *testing.T) {
		run(t, []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}, http.StatusCreated)
	})
}

// TestLogoutRevokesTokenOnEveryReplica: a token copied before logout is
// refused afterwards by the replica that logged out and by another one.
func TestLogoutRevokesTokenOnEveryReplica(t *testing.T) {
	first := startAuthApp(t, "")
	second := startAuthApp(t, first.NATSURL())
	const password = "Mật khẩu đủ dài của Bình"
	if err := first.Users.Add(context.Background(), "binh.tran", "ubnd.cam-duong", domain.RoleUnitHead, password); err != nil {
		t.Fatal(err)
	}
	// The account reaches the second replica by its watch. Wait for it
	// there rather than retry the login: five failed logins lock the name
	// for a minute, which a slow watch on a loaded machine would reach.
	checkFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if _, ok := second.Users.Active("binh.tran"); !ok {
			return errors.New("the account has not reached the second replica")
		}
		return nil
	})
	loginOn := func(a *app.App) string {
		r := login(t, a, "binh.tran", password)
		if r.Status != http.StatusOK {
			t.Fatalf("login: %d %s", r.Status, r.Body)
		}
		return mustString(t, r.json(t), "token")
	}
	stolen, kept := loginOn(first), loginOn(second)
	me := func(a *app.App, tok string) int {
		return do(t, a, http.MethodGet, "/api/v1/auth/me", "", nil, "Authorization", "Bearer "+tok).Status
	}
	for _, a := range []*app.App{first, second} {
		if got := me(a, stolen); got != http.StatusOK {
			t.Fatalf("before logout: %d", got)
		}
	}
	// Logging out through the cookie, as the browser does.
	if r := do(t, first, http.MethodPost, "/api/v1/auth/logout", "", nil, "Cookie", api.SessionCookie+"="+stolen, api.CSRFHeader, api.CSRFValue); r.Status != http.StatusNoContent {
		t.Fatalf("logout: %d %s", r.Status, r.Body)
	}
	if got := me(first, stolen); got != http.StatusUnauthorized {
		t.Errorf("the replica that logged out still accepts the token: %d", got)
	}
	start := time.Now()
	checkFor(t, 2*time.Second, 5*time.Millisecond, func() error {
		if got := me(second, stolen); got != http.StatusUnauthorized {
			return fmt.Errorf("the other replica answers %d %s after logout", got, time.Since(start))
		}
		return nil
	})
	if got := me(second, kept); got != http.StatusOK {
		t.Errorf("logging out one session ended another: %d", got)
	}
}

// TestRequestIDIsBounded: a client's X-Request-ID is kept as the events'
// correlation id only when it is a short plain id; anything else (64 KiB
// of text, bytes that are not ASCII) is replaced by the server's own, so
// it never reaches the log or the event stream.
func TestRequestIDIsBounded(t *testing.T) {
	a := startApp(t, t.TempDir())
	for _, tc := range []struct {
		name, sent string
		kept       bool
	}{
		{"a proxy's uuid", "0192f3e0-8d5c-7a4e-9b1a-3c2d4e5f6a7b", true},
		{"a short plain id", "edge-7.req_42:1", true},
		{"base64 and a counter", "aGVsbG8+d29ybGQ/IQ==#17", true},
		{"too long", strings.Repeat("R", 65), false},
		{"a header's worth of text", strings.Repeat("R", 50_000), false},
		{"not ASCII", "yêu-cầu-1", false},
		{"spaces", "id with spaces", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := postJSON(t, a, "/api/v1/reports", validReport(""), "X-Request-ID", tc.sent)
			if r.Status != http.StatusCreated {
				t.Fatalf("submit: %d %s", r.Status, r.Body)
			}
			got := r.Header.Get("X-Request-ID")
			events := storedEvents(t, a, mustString(t, r.json(t), "id"))
			if len(events) != 1 || events[0].CorrelationID != got {
				t.Fatalf("stored correlation %q, answered X-Request-ID %q", events[0].CorrelationID, got)
			}
			if kept := got == tc.sent; kept != tc.kept {
				t.Errorf("sent %.40q, answered %.40q: kept = %v, want %v", tc.sent, got, kept, tc.kept)
			}
			if !tc.kept {
				if _, err := uuid.Parse(got); err != nil || len(got) != 36 {
					t.Errorf("the replacement %.40q is not the server's own uuid", got)
				}
			}
		})
	}
}

// TestHSTSOnlyWhenConfigured: Strict-Transport-Security is for a
// deployment behind TLS, and only on requests that came over it.
func TestHSTSOnlyWhenConfigured(t *testing.T) {
	a := startAppWith(t, t.TempDir(), func(cfg *app.Config) { cfg.HSTSMaxAge = 365 * 24 * time.Hour })
	if h := do(t, a, http.MethodGet, "/healthz", "", nil).Header.Get("Strict-Transport-Security"); h != "" {
		t.Errorf("plain HTTP request: HSTS %q", h)
	}
	h := do(t, a, http.MethodGet, "/healthz", "", nil, "X-Forwarded-Proto", "https").Header.Get("Strict-Transport-Security")
	if !strings.Contains(h, "max-age=31536000") {
		t.Errorf("request through a TLS proxy: HSTS %q, want max-age=31536000", h)
	}
}
