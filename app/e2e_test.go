package app_test

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"

	"phananh/domain"
)

func TestSubmitTrackAndSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	a := startApp(t, dir)

	resp := postJSON(t, a, "/api/v1/reports", validReport(""))
	if resp.Status != http.StatusCreated {
		t.Fatalf("submit = %d %s, want 201", resp.Status, resp.Body)
	}
	receipt := resp.json(t)
	id, code := mustString(t, receipt, "id"), mustString(t, receipt, "tracking_code")
	if got, want := receipt["status"], "received"; got != want {
		t.Errorf("status = %v, want %v", got, want)
	}
	if got, want := receipt["unit"], "ubnd.lao-cai"; got != want {
		t.Errorf("unit = %v, want %v (pollution goes to the commune first)", got, want)
	}
	if code == id || strings.Contains(id, strings.ReplaceAll(code, "-", "")) {
		t.Errorf("tracking code %q must be distinct from the id %q", code, id)
	}
	mustString(t, receipt, "deadline")

	// The write answered only after this server's read models applied it:
	// the very next read sees it, without ?after.
	view := do(t, a, http.MethodGet, "/api/v1/reports/"+id, "", nil, "X-Tracking-Code", code)
	if view.Status != http.StatusOK {
		t.Fatalf("track = %d %s", view.Status, view.Body)
	}
	v := view.json(t)
	if got, want := v["status"], "received"; got != want {
		t.Errorf("tracked status = %v, want %v", got, want)
	}
	if bytes.Contains(view.Body, []byte("Nguyễn")) || bytes.Contains(view.Body, []byte("0912")) {
		t.Errorf("the citizen view leaks the reporter's identity: %s", view.Body)
	}
	tl, _ := v["timeline"].([]any)
	if len(tl) != 1 {
		t.Errorf("timeline has %d entries, want 1 (reported)", len(tl))
	}

	// The log holds no plaintext identity either.
	s := stream(t, a)
	msg, err := s.GetLastMsgForSubject(context.Background(), "cases."+id)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(msg.Data, []byte("Nguyễn")) || bytes.Contains(msg.Data, []byte("0912")) {
		t.Errorf("the reported event holds the reporter in plaintext: %s", msg.Data)
	}

	// Restart on the same data directory: the case is rebuilt from the log.
	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	b := startApp(t, dir)
	view = do(t, b, http.MethodGet, "/api/v1/reports/"+id+"?code="+code, "", nil)
	if view.Status != http.StatusOK {
		t.Fatalf("after restart: track = %d %s", view.Status, view.Body)
	}
	if got, want := view.json(t)["status"], "received"; got != want {
		t.Errorf("after restart: status = %v, want %v", got, want)
	}
}

func TestWrongTrackingCodeRevealsNothing(t *testing.T) {
	a := startApp(t, t.TempDir())
	receipt := postJSON(t, a, "/api/v1/reports", validReport("")).json(t)
	id := mustString(t, receipt, "id")

	wrong := do(t, a, http.MethodGet, "/api/v1/reports/"+id, "", nil, "X-Tracking-Code", "AAAA-BBBB-CCCC-DDDD")
	missing := do(t, a, http.MethodGet, "/api/v1/reports/"+uuid.Must(uuid.NewV7()).String(), "", nil, "X-Tracking-Code", "AAAA-BBBB-CCCC-DDDD")
	none := do(t, a, http.MethodGet, "/api/v1/reports/"+id, "", nil)
	for name, r := range map[string]response{"wrong code": wrong, "unknown case": missing, "no code": none} {
		if r.Status != http.StatusNotFound {
			t.Errorf("%s: status = %d, want 404", name, r.Status)
		}
	}
	if !bytes.Equal(wrong.Body, missing.Body) {
		t.Errorf("a wrong code and an unknown case answer differently:\n%s\n%s", wrong.Body, missing.Body)
	}
	// The code is forgiving about how a person types it.
	code := strings.ToLower(strings.ReplaceAll(mustString(t, receipt, "tracking_code"), "-", " "))
	if r := do(t, a, http.MethodGet, "/api/v1/reports/"+id, "", nil, "X-Tracking-Code", code); r.Status != http.StatusOK {
		t.Errorf("lower-case spaced code: status = %d, want 200", r.Status)
	}
}

func TestConcurrentRetriesMakeOneCase(t *testing.T) {
	a := startAppWith(t, t.TempDir(), noRateLimits) // 50 requests at once from one address
	s := stream(t, a)
	before := streamState(t, s).Msgs
	id := uuid.Must(uuid.NewV7()).String()
	report := validReport(id)

	const retries = 50
	var wg sync.WaitGroup
	results := make([]response, retries)
	for i := range retries {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = postJSON(t, a, "/api/v1/reports", report)
		}()
	}
	wg.Wait()

	created := 0
	var first map[string]any
	for i, r := range results {
		switch r.Status {
		case http.StatusCreated:
			created++
		case http.StatusOK:
		default:
			t.Fatalf("retry %d: status %d %s", i, r.Status, r.Body)
		}
		got := r.json(t)
		if first == nil {
			first = got
		}
		for _, k := range []string{"id", "tracking_code", "unit", "deadline"} {
			if got[k] != first[k] {
				t.Errorf("retry %d: %s = %v, another answer had %v", i, k, got[k], first[k])
			}
		}
	}
	if created != 1 {
		t.Errorf("%d answers were 201, want exactly 1", created)
	}
	caseID := mustString(t, first, "id")
	if caseID == id {
		t.Errorf("the case's id is the client's id %s: whoever sees the case could retry it for its receipt", id)
	}
	if n := eventsOn(t, s, caseID); n != 1 {
		t.Errorf("the case has %d events, want exactly one reported event", n)
	}
	if got := streamState(t, s).Msgs - before; got != 1 {
		t.Errorf("the stream grew by %d events, want 1", got)
	}

	// The same id and content with another reporter is a different
	// report: refused (the reporter is compared sealed, not digested).
	otherReporter := validReport(id)
	otherReporter["reporter"] = map[string]any{"name": "Nguyễn Văn An", "phone": "0912 000 000"}
	if r := postJSON(t, a, "/api/v1/reports", otherReporter); r.Status != http.StatusConflict || r.errorCode(t) != "duplicate_id" {
		t.Errorf("same id and content, another reporter: %d %s, want 409 duplicate_id", r.Status, r.Body)
	}
	anonymous := validReport(id)
	delete(anonymous, "reporter")
	anonymous["anonymous"] = true
	if r := postJSON(t, a, "/api/v1/reports", anonymous); r.Status != http.StatusConflict || r.errorCode(t) != "duplicate_id" {
		t.Errorf("same id and content, anonymous: %d %s, want 409 duplicate_id", r.Status, r.Body)
	}

	// The same id with other content is a different report: refused.
	other := validReport(id)
	other["title"] = "Một phản ánh khác"
	r := postJSON(t, a, "/api/v1/reports", other)
	if r.Status != http.StatusConflict || r.errorCode(t) != "duplicate_id" {
		t.Errorf("same id, other content: %d %s, want 409 duplicate_id", r.Status, r.Body)
	}
	if n := eventsOn(t, s, caseID); n != 1 {
		t.Errorf("after the conflicting submission the case has %d events, want 1", n)
	}
}

// TestACaseIDIsNoKeyToItsReceipt: a retry answers the receipt, tracking
// code and all, to whoever sends the report's id and content again. Staff
// and partners see a case's id and its content (not always its reporter),
// so the client's id must not be the case's. Two denunciations are filed
// alike; sent with either case's id, with the right reporter or a wrong
// one, the same report files a new case (201, another id and code): the
// answer is the same whatever the guess, so it confirms none.
func TestACaseIDIsNoKeyToItsReceipt(t *testing.T) {
	a := startAppWith(t, t.TempDir(), noRateLimits)
	file := func(clientID, phone string) response {
		r := validReport(clientID)
		r["kind"] = "denunciation"
		r["reporter"] = map[string]any{"name": "Nguyễn Văn An", "phone": phone}
		return postJSON(t, a, "/api/v1/reports", r)
	}
	for _, guess := range []string{"0912 345 678", "0912 345 679"} { // the reporter's phone, and another
		first := file(uuid.Must(uuid.NewV7()).String(), "0912 345 678")
		if first.Status != http.StatusCreated {
			t.Fatalf("the report: %d %s", first.Status, first.Body)
		}
		caseID, code := mustString(t, first.json(t), "id"), mustString(t, first.json(t), "tracking_code")
		r := file(caseID, guess)
		if r.Status != http.StatusCreated {
			t.Errorf("the case's id as a client id, phone %s: %d %s, want 201 (a new report)", guess, r.Status, r.Body)
			continue
		}
		if got := r.json(t); got["tracking_code"] == code || got["id"] == caseID {
			t.Errorf("the case's id as a client id, phone %s, answered the case's receipt: %s", guess, r.Body)
		}
	}
}

func TestConcurrentCommandsOneWins(t *testing.T) {
	a := startApp(t, t.TempDir())
	receipt := postJSON(t, a, "/api/v1/reports", validReport("")).json(t)
	id := uuid.MustParse(mustString(t, receipt, "id"))
	version := uint64(receipt["seq"].(float64))

	officer := domain.Actor{ID: "officer-1", Role: domain.RoleOfficer, Unit: "ubnd.lao-cai"}
	commands := []domain.Command{domain.Accept{Note: "thụ lý"}, domain.Reject{Reason: "không thuộc thẩm quyền"}}
	errs := make([]error, len(commands))
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, cmd := range commands {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = a.Service.Execute(context.Background(), id, version, cmd, officer, "test")
		}()
	}
	close(start)
	wg.Wait()

	won, conflicted := 0, 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case errors.Is(err, domain.ErrConcurrency):
			conflicted++
		default:
			t.Fatalf("unexpected error: %v", err)
		}
	}
	if won != 1 || conflicted != 1 {
		t.Fatalf("won %d, conflicted %d; want one of each (errors %v)", won, conflicted, errs)
	}
	if n := eventsOn(t, stream(t, a), id.String()); n != 2 {
		t.Errorf("case has %d events, want 2 (reported + the winner's)", n)
	}
	view := do(t, a, http.MethodGet, "/api/v1/reports/"+id.String(), "", nil, "X-Tracking-Code", mustString(t, receipt, "tracking_code")).json(t)
	if st := view["status"]; st != "accepted" && st != "rejected" {
		t.Errorf("status = %v, want the winner's accepted or rejected", st)
	}
}

func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	a := startApp(t, t.TempDir())
	s := stream(t, a)
	receipt := postJSON(t, a, "/api/v1/reports", validReport("")).json(t)
	id, code := mustString(t, receipt, "id"), mustString(t, receipt, "tracking_code")

	with := func(change func(r map[string]any)) []byte {
		r := validReport("")
		change(r)
		body, err := jsonMarshal(r)
		if err != nil {
			t.Fatal(err)
		}
		return body
	}
	tests := []struct {
		name        string
		contentType string
		body        []byte
		wantStatus  int
		wantCode    string
		wantField   string
	}{
		{"unknown category", "application/json", with(func(r map[string]any) { r["category"] = "pollution.radiation" }), 400, "invalid_category", "category"},
		{"missing title", "application/json", with(func(r map[string]any) { delete(r, "title") }), 400, "required", "title"},
		{"blank description", "application/json", with(func(r map[string]any) { r["description"] = "   " }), 400, "required", "description"},
		{"title too long", "application/json", with(func(r map[string]any) { r["title"] = strings.Repeat("ô", 201) }), 400, "too_long", "title"},
		{"description too long", "application/json", with(func(r map[string]any) { r["description"] = strings.Repeat("a", 5001) }), 400, "too_long", "description"},
		{"invalid UTF-8", "application/json", []byte("{\"category\":\"pollution.water\",\"title\":\"\xff\xfe\"}"), 400, "invalid_text", ""},
		{"coordinates in Bangkok", "application/json", with(func(r map[string]any) {
			r["location"] = map[string]any{"commune": "lao-cai", "lat": 13.75, "lon": 100.5}
		}), 400, "invalid_location", "location"},
		{"coordinates swapped", "application/json", with(func(r map[string]any) {
			r["location"] = map[string]any{"commune": "lao-cai", "lat": 103.97, "lon": 22.48}
		}), 400, "invalid_location", "location"},
		{"latitude alone", "application/json", with(func(r map[string]any) {
			r["location"] = map[string]any{"commune": "lao-cai", "lat": 22.48}
		}), 400, "invalid_location", "location"},
		{"unknown commune", "application/json", with(func(r map[string]any) {
			r["location"] = map[string]any{"commune": "ha-noi"}
		}), 400, "invalid_commune", "location.commune"},
		{"bad client id", "application/json", with(func(r map[string]any) { r["id"] = "report-1" }), 400, "invalid_id", "id"},
		{"future occurrence", "application/json", with(func(r map[string]any) { r["occurred_at"] = "2999-01-01T00:00:00Z" }), 400, "invalid_time", "occurred_at"},
		{"anonymous with a name", "application/json", with(func(r map[string]any) { r["anonymous"] = true }), 400, "invalid_reporter", "reporter"},
		{"unknown field", "application/json", with(func(r map[string]any) { r["titel"] = "x" }), 400, "unknown_field", "titel"},
		{"lat is a string", "application/json", with(func(r map[string]any) {
			r["location"] = map[string]any{"commune": "lao-cai", "lat": "22.4", "lon": 103.9}
		}), 400, "invalid", "location.lat"},
		{"not JSON", "application/json", []byte("category=pollution.water"), 400, "invalid_json", ""},
		{"wrong content type", "text/plain", with(func(map[string]any) {}), 415, "unsupported_media_type", ""},
		{"body over the limit", "application/json", with(func(r map[string]any) { r["description"] = strings.Repeat("x", 70<<10) }), 413, "body_too_large", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := streamState(t, s)
			r := do(t, a, http.MethodPost, "/api/v1/reports", tt.contentType, tt.body)
			if r.Status != tt.wantStatus {
				t.Errorf("status = %d, want %d: %s", r.Status, tt.wantStatus, r.Body)
			}
			e, _ := r.json(t)["error"].(map[string]any)
			if got := e["code"]; got != tt.wantCode {
				t.Errorf("code = %v, want %s", got, tt.wantCode)
			}
			if tt.wantField != "" && e["field"] != tt.wantField {
				t.Errorf("field = %v, want %s", e["field"], tt.wantField)
			}
			if msg, _ := e["message"].(string); msg == "" {
				t.Errorf("no message for a person: %s", r.Body)
			}
			after := streamState(t, s)
			if after.Msgs != before.Msgs || after.LastSeq != before.LastSeq {
				t.Errorf("a refused request changed the stream: %d→%d events", before.Msgs, after.Msgs)
			}
		})
	}

	t.Run("attachments", func(t *testing.T) {
		before := streamState(t, s)
		for _, tt := range []struct {
			name, filename string
			data           []byte
			wantStatus     int
			wantCode       string
		}{
			{"text disguised as a photo", "photo.jpg", []byte("this is not an image at all"), 415, "invalid_file_type"},
			{"file over the limit", "big.png", append(pngBytes(t), bytes.Repeat([]byte{0}, 10<<20)...), 413, "file_too_large"},
			{"upload far over the limit", "huge.png", append(pngBytes(t), bytes.Repeat([]byte{0}, 11<<20)...), 413, "file_too_large"},
		} {
			r := upload(t, a, id, code, tt.filename, tt.data)
			if r.Status != tt.wantStatus || r.errorCode(t) != tt.wantCode {
				t.Errorf("%s: %d %s, want %d %s", tt.name, r.Status, r.Body, tt.wantStatus, tt.wantCode)
			}
		}
		if r := upload(t, a, id, "WRONG-CODE", "p.png", pngBytes(t)); r.Status != http.StatusNotFound {
			t.Errorf("upload with a wrong code: %d, want 404", r.Status)
		}
		after := streamState(t, s)
		if after.Msgs != before.Msgs {
			t.Errorf("refused uploads changed the stream: %d→%d events", before.Msgs, after.Msgs)
		}
	})
}

func TestErrorsSpeakTheCallersLanguage(t *testing.T) {
	a := startApp(t, t.TempDir())
	body, _ := jsonMarshal(map[string]any{"category": "x", "title": "t", "description": "d"})
	vi := do(t, a, http.MethodPost, "/api/v1/reports", "application/json", body).json(t)["error"].(map[string]any)
	en := do(t, a, http.MethodPost, "/api/v1/reports", "application/json", body, "Accept-Language", "en-US,en;q=0.9,vi;q=0.5").json(t)["error"].(map[string]any)
	if vi["code"] != en["code"] || vi["code"] != "invalid_category" {
		t.Fatalf("codes differ or are wrong: vi %v, en %v", vi["code"], en["code"])
	}
	if msg := vi["message"].(string); !strings.Contains(msg, "Lĩnh vực") {
		t.Errorf("default (Vietnamese) message = %q", msg)
	}
	if msg := en["message"].(string); !strings.Contains(msg, "category") {
		t.Errorf("English message = %q", msg)
	}
}

func TestAttachmentIsStoredStrippedAndListed(t *testing.T) {
	a := startApp(t, t.TempDir())
	receipt := postJSON(t, a, "/api/v1/reports", validReport("")).json(t)
	id, code := mustString(t, receipt, "id"), mustString(t, receipt, "tracking_code")
	r := upload(t, a, id, code, "../../ảnh suối.png", pngBytes(t))
	if r.Status != http.StatusCreated {
		t.Fatalf("upload = %d %s", r.Status, r.Body)
	}
	att := r.json(t)
	if got, want := att["content_type"], "image/png"; got != want {
		t.Errorf("content_type = %v, want %v", got, want)
	}
	if name := att["filename"].(string); strings.Contains(name, "/") {
		t.Errorf("filename %q keeps a path", name)
	}
	view := do(t, a, http.MethodGet, "/api/v1/reports/"+id, "", nil, "X-Tracking-Code", code).json(t)
	if atts, _ := view["attachments"].([]any); len(atts) != 1 {
		t.Errorf("view lists %d attachments, want 1", len(atts))
	}
}

func TestReferenceData(t *testing.T) {
	a := startApp(t, t.TempDir())
	for path, want := range map[string]string{
		"/api/v1/categories": "pollution.water",
		"/api/v1/communes":   "lao-cai",
		"/api/v1/units":      "ubnd.lao-cai",
		"/api/v1/kinds":      "land_dispute",
	} {
		r := do(t, a, http.MethodGet, path, "", nil)
		if r.Status != http.StatusOK {
			t.Errorf("%s = %d", path, r.Status)
			continue
		}
		var list []map[string]any
		if err := jsonUnmarshal(r.Body, &list); err != nil {
			t.Errorf("%s is not a JSON list of objects: %v", path, err)
			continue
		}
		found := false
		for _, item := range list {
			if item["code"] == want && item["name"] != "" && item["name"] != nil {
				found = true
			}
		}
		if !found {
			t.Errorf("%s lacks %s with a name: %s", path, want, r.Body)
		}
	}
	if r := do(t, a, http.MethodGet, "/healthz", "", nil); r.Status != http.StatusOK {
		t.Errorf("/healthz = %d", r.Status)
	}
}

func upload(t testing.TB, a interface{ HTTPAddr() string }, id, code, filename string, data []byte) response {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("file", filename)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, "http://"+a.HTTPAddr()+"/api/v1/reports/"+id+"/attachments", &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("X-Tracking-Code", code)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	out.ReadFrom(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: out.Bytes()}
}

func pngBytes(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for x := range 8 {
		img.Set(x, x, color.RGBA{R: 200, A: 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
