package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"phananh/app"
	"phananh/domain"
	"phananh/notify"
)

// TestReportSubscribesASignedWebhookOverHTTP: a citizen subscribes a
// webhook with the report, gets its secret in the receipt, and the
// notification that the report was received arrives signed with it. No
// SMTP server is configured: email is off and webhooks still go.
func TestReportSubscribesASignedWebhookOverHTTP(t *testing.T) {
	var mu sync.Mutex
	var secret string
	var got []notify.Payload
	const unitSecret = "the-operator's-webhook-secret"
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		key := []byte(secret)
		if r.URL.Path == "/unit" {
			key = []byte(unitSecret)
		}
		if !notify.Verify(key, r.Header.Get(notify.HeaderTimestamp), body, r.Header.Get(notify.HeaderSignature)) {
			t.Errorf("webhook signature %q does not verify with the receipt's secret", r.Header.Get(notify.HeaderSignature))
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		var p notify.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("webhook body %s: %v", body, err)
		}
		got = append(got, p)
	}))
	defer hook.Close()

	// The unit the report goes to has a webhook in the geography file.
	geo := domain.DefaultGeography()
	for i := range geo.Units {
		if geo.Units[i].Code == "ubnd.lao-cai" {
			geo.Units[i].WebhookURL = hook.URL + "/unit"
			geo.Units[i].Email = "vanthu@lao-cai.example.vn"
		}
	}
	geoFile := filepath.Join(t.TempDir(), "geo.json")
	data, _ := json.Marshal(geo)
	if err := os.WriteFile(geoFile, data, 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := app.Start(ctx, app.Config{
		DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", NATSListen: "127.0.0.1:-1", GeoFile: geoFile,
		Log:                 slog.New(slog.NewTextHandler(io.Discard, nil)),
		WebhookAllowPrivate: true, WebhookAllowHTTP: true, // the receiver is on loopback, plain http
		WebhookSecret: unitSecret,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Close(context.Background()) })
	waitReady(t, a)

	bad := validReport("")
	bad["webhook_url"] = "ftp://example.vn/hook"
	if r := postJSON(t, a, "/api/v1/reports", bad); r.Status != http.StatusBadRequest || r.errorCode(t) != "invalid_webhook" {
		t.Fatalf("ftp webhook: %d %s", r.Status, r.Body)
	}

	report := validReport("")
	report["webhook_url"] = hook.URL + "/my-app"
	mu.Lock() // the secret is known only once the receipt is read
	r := postJSON(t, a, "/api/v1/reports", report, "Accept-Language", "en")
	if r.Status != http.StatusCreated {
		mu.Unlock()
		t.Fatalf("submit: %d %s", r.Status, r.Body)
	}
	receipt := r.json(t)
	secret = mustString(t, receipt, "webhook_secret")
	mu.Unlock()

	checkFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(got) < 2 {
			return fmt.Errorf("%d webhooks, want the reporter's and the unit's", len(got))
		}
		return nil
	})
	mu.Lock()
	defer mu.Unlock()
	recipients := map[string]bool{}
	for _, p := range got {
		if p.CaseID.String() != receipt["id"] || p.EventType != "reported" || p.Status != "received" || p.Unit != "ubnd.lao-cai" {
			t.Errorf("payload %+v", p)
		}
		recipients[p.Recipient] = true
	}
	if !recipients[notify.ToReporter] || !recipients[notify.ToUnit] {
		t.Errorf("webhooks went to %v, want the reporter and the unit", recipients)
	}
	// The public list of units shows none of their notification addresses.
	if units := do(t, a, http.MethodGet, "/api/v1/units", "", nil); units.Status != http.StatusOK ||
		strings.Contains(string(units.Body), "webhook") || strings.Contains(string(units.Body), "vanthu@") {
		t.Errorf("/api/v1/units: %d %s", units.Status, units.Body)
	}
	// The reporter's language came from Accept-Language and is in the log.
	first, err := stream(t, a).GetMsg(context.Background(), uint64(receipt["seq"].(float64)))
	if err != nil {
		t.Fatal(err)
	}
	var reported struct{ Language string }
	if err := json.Unmarshal(first.Data, &reported); err != nil || reported.Language != "en" {
		t.Errorf("reported event language %q (%v), want en", reported.Language, err)
	}
	// An anonymous report gets no secret: it cannot subscribe.
	anon := validReport("")
	delete(anon, "reporter")
	anon["anonymous"] = true
	if r := postJSON(t, a, "/api/v1/reports", anon); r.Status != http.StatusCreated || r.json(t)["webhook_secret"] != nil {
		t.Errorf("anonymous report: %d %s", r.Status, r.Body)
	}
}
