package app_test

import (
	"bytes"
	"context"
	"mime/multipart"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"phananh/domain"
	"phananh/eventstore"
)

// TestAttachmentsAreServedOnlyToThoseWhoMaySeeThem: a citizen downloads the
// public files of their case with its code; staff add internal files
// (signed minutes) that the citizen cannot reach, even knowing the name.
func TestAttachmentsAreServedOnlyToThoseWhoMaySeeThem(t *testing.T) {
	a := startAuthApp(t, "")
	ctx := context.Background()
	if err := a.Users.Add(ctx, "an.nguyen", "ubnd.lao-cai", domain.RoleOfficer, "Mật khẩu của An 2026"); err != nil {
		t.Fatal(err)
	}
	if err := a.Users.Add(ctx, "binh.tran", "ubnd.cam-duong", domain.RoleOfficer, "Mật khẩu của Bình 2026"); err != nil {
		t.Fatal(err)
	}
	token := mustString(t, login(t, a, "an.nguyen", "Mật khẩu của An 2026").json(t), "token")
	other := mustString(t, login(t, a, "binh.tran", "Mật khẩu của Bình 2026").json(t), "token")

	receipt := postJSON(t, a, "/api/v1/reports", validReport("")).json(t)
	id, code := mustString(t, receipt, "id"), mustString(t, receipt, "tracking_code")
	photo := pngBytes(t)
	pub := upload(t, a, id, code, "ảnh.png", photo).json(t)
	pubFile := strings.TrimPrefix(mustString(t, pub, "object"), id+"/")

	// Staff add an internal file.
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	mw.WriteField("visibility", "internal")
	fw, _ := mw.CreateFormFile("file", "bien-ban.png")
	fw.Write(photo)
	mw.Close()
	r := do(t, a, http.MethodPost, "/api/v1/cases/"+id+"/attachments", mw.FormDataContentType(), buf.Bytes(), "Authorization", "Bearer "+token)
	if r.Status != http.StatusCreated || r.json(t)["public"] != false {
		t.Fatalf("staff upload = %d %s, want 201 internal", r.Status, r.Body)
	}
	internalFile := strings.TrimPrefix(mustString(t, r.json(t), "object"), id+"/")

	tests := []struct {
		name       string
		path       string
		headers    []string
		wantStatus int
	}{
		{"citizen downloads a public file", "/api/v1/reports/" + id + "/attachments/" + pubFile, []string{"X-Tracking-Code", code}, 200},
		{"citizen with a wrong code", "/api/v1/reports/" + id + "/attachments/" + pubFile, []string{"X-Tracking-Code", "WRONG"}, 404},
		{"citizen asks for an internal file", "/api/v1/reports/" + id + "/attachments/" + internalFile, []string{"X-Tracking-Code", code}, 404},
		{"staff of the unit download the internal file", "/api/v1/cases/" + id + "/attachments/" + internalFile, []string{"Authorization", "Bearer " + token}, 200},
		{"staff of another unit", "/api/v1/cases/" + id + "/attachments/" + internalFile, []string{"Authorization", "Bearer " + other}, 403},
		{"nobody", "/api/v1/cases/" + id + "/attachments/" + internalFile, nil, 401},
	}
	for _, tt := range tests {
		r := do(t, a, http.MethodGet, tt.path, "", nil, tt.headers...)
		if r.Status != tt.wantStatus {
			t.Errorf("%s: %d %s, want %d", tt.name, r.Status, r.Body, tt.wantStatus)
			continue
		}
		if r.Status == 200 {
			if !bytes.Equal(r.Body, photo) {
				t.Errorf("%s: the file changed on its way (%d bytes, want %d)", tt.name, len(r.Body), len(photo))
			}
			if got := r.Header.Get("Content-Disposition"); !strings.HasPrefix(got, "attachment") {
				t.Errorf("%s: Content-Disposition = %q, want a download", tt.name, got)
			}
		}
	}
}

// TestARetriedUploadIsRecordedOnce: the same file sent again (a retry
// whose first answer was lost), six at once and once after, is recorded
// once: one answer is 201, the others 200 with the same record, the case holds one attachment and one attachment_added event,
// and the bucket keeps no copy of the repeats. The same bytes under
// another name are another file.
func TestARetriedUploadIsRecordedOnce(t *testing.T) {
	a := startAppWith(t, t.TempDir(), noRateLimits)
	receipt := postJSON(t, a, "/api/v1/reports", validReport("")).json(t)
	id, code := mustString(t, receipt, "id"), mustString(t, receipt, "tracking_code")
	photo := pngBytes(t)

	// Six at once, as an app retrying on a weak link may send: one records.
	answers := make([]response, 6)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Go(func() { answers[i] = upload(t, a, id, code, "ảnh hiện trường.png", photo) })
	}
	wg.Wait()
	answers = append(answers, upload(t, a, id, code, "ảnh hiện trường.png", photo)) // and once more after
	created, objects := 0, map[string]bool{}
	for i, r := range answers {
		switch r.Status {
		case http.StatusCreated:
			created++
		case http.StatusOK:
		default:
			t.Fatalf("upload %d: %d %s", i, r.Status, r.Body)
		}
		objects[mustString(t, r.json(t), "object")] = true
	}
	if created != 1 || len(objects) != 1 || answers[len(answers)-1].Status != http.StatusOK {
		t.Errorf("%d uploads of one file: %d answered 201, %d records named; want one 201 and one record", len(answers), created, len(objects))
	}
	if r := upload(t, a, id, code, "ảnh khác.png", photo); r.Status != http.StatusCreated {
		t.Errorf("the same bytes under another name: %d %s, want 201", r.Status, r.Body)
	}

	view := do(t, a, http.MethodGet, "/api/v1/reports/"+id, "", nil, "X-Tracking-Code", code).json(t)
	if atts, _ := view["attachments"].([]any); len(atts) != 2 {
		t.Errorf("the case lists %d attachments, want 2 (the photo once, and its copy under another name)", len(atts))
	}
	if n := eventsOn(t, stream(t, a), id); n != 3 {
		t.Errorf("the case has %d events, want 3 (reported and two attachment_added)", n)
	}
	nc, err := nats.Connect(a.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	bucket, err := js.ObjectStore(context.Background(), eventstore.AttachmentsBucket)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := bucket.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 2 {
		t.Errorf("the bucket holds %d objects, want 2: the repeats' copies were kept", len(stored))
	}
}

// TestAnUploadToTheClientsIDReachesItsCase: a page loaded before case ids
// were derived from client ids uploads a report's photos to the id it sent
// with the report. With the case's tracking code the photo reaches the
// case; without it, nothing does.
func TestAnUploadToTheClientsIDReachesItsCase(t *testing.T) {
	a := startAppWith(t, t.TempDir(), noRateLimits)
	clientID := uuid.Must(uuid.NewV7()).String()
	receipt := postJSON(t, a, "/api/v1/reports", validReport(clientID)).json(t)
	id, code := mustString(t, receipt, "id"), mustString(t, receipt, "tracking_code")
	if r := upload(t, a, clientID, "WRONG-CODE", "ảnh.png", pngBytes(t)); r.Status != http.StatusNotFound {
		t.Errorf("to the client's id with a wrong code: %d %s, want 404", r.Status, r.Body)
	}
	r := upload(t, a, clientID, code, "ảnh.png", pngBytes(t))
	if r.Status != http.StatusCreated || !strings.HasPrefix(mustString(t, r.json(t), "object"), id+"/") {
		t.Fatalf("to the client's id with the code: %d %s, want 201 on case %s", r.Status, r.Body, id)
	}
	view := do(t, a, http.MethodGet, "/api/v1/reports/"+id, "", nil, "X-Tracking-Code", code).json(t)
	if atts, _ := view["attachments"].([]any); len(atts) != 1 {
		t.Errorf("the case lists %d attachments, want the photo", len(atts))
	}
}
