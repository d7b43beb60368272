package app_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"phananh/domain"
)

// TestEveryStoredEventIsACloudEvent reads the whole CASES stream as an
// outside consumer would and decodes each message as a CloudEvent in the
// NATS binding's binary mode: the attributes in ce-* headers, the data in
// the body with its content type.
func TestEveryStoredEventIsACloudEvent(t *testing.T) {
	a := startAuthApp(t, "")
	ctx := context.Background()
	if err := a.Users.Add(ctx, "head.laocai", "ubnd.lao-cai", domain.RoleUnitHead, "Mật khẩu trưởng phòng"); err != nil {
		t.Fatal(err)
	}
	token := mustString(t, login(t, a, "head.laocai", "Mật khẩu trưởng phòng").json(t), "token")

	// A few cases with several kinds of events, a named reporter among them.
	for i := range 3 {
		receipt := postJSON(t, a, "/api/v1/reports", validReport("")).json(t)
		id := mustString(t, receipt, "id")
		version := uint64(receipt["seq"].(float64))
		for _, step := range []struct{ action, body string }{
			{"accept", `{}`},
			{"comment", `{"text":"Đã tiếp nhận","visibility":"public"}`},
		}[:i] {
			r := do(t, a, http.MethodPost, "/api/v1/cases/"+id+"/"+step.action, "application/json", []byte(step.body),
				"Authorization", "Bearer "+token, "If-Match", `"`+strconv.FormatUint(version, 10)+`"`)
			if r.Status != http.StatusOK {
				t.Fatalf("%s: %d %s", step.action, r.Status, r.Body)
			}
			version = uint64(r.json(t)["version"].(float64))
		}
	}

	s := stream(t, a)
	total := streamState(t, s).Msgs
	cons, err := s.OrderedConsumer(ctx, jetstream.OrderedConsumerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	typePattern := regexp.MustCompile(`^vn\.phananh\.case\.[a-z_]+\.v1$`)
	known := map[string]bool{}
	for _, name := range domain.EventTypes() {
		known[name] = true
	}
	seen := map[string]bool{}
	for n := uint64(0); n < total; n++ {
		msg, err := cons.Next(jetstream.FetchMaxWait(5 * time.Second))
		if err != nil {
			t.Fatalf("message %d of %d: %v", n+1, total, err)
		}
		h := msg.Headers()
		where := msg.Subject()
		if got := h.Get("ce-specversion"); got != "1.0" {
			t.Errorf("%s: ce-specversion = %q, want 1.0", where, got)
		}
		id := h.Get("ce-id")
		if _, err := uuid.Parse(id); err != nil || seen[id] {
			t.Errorf("%s: ce-id %q is not a unique UUID", where, id)
		}
		seen[id] = true
		if src := h.Get("ce-source"); src == "" || strings.ContainsAny(src, " \t") {
			t.Errorf("%s: ce-source %q is not a URI-reference", where, src)
		}
		ceType := h.Get("ce-type")
		if !typePattern.MatchString(ceType) || !known[strings.TrimSuffix(strings.TrimPrefix(ceType, "vn.phananh.case."), ".v1")] {
			t.Errorf("%s: ce-type %q is not one of ours", where, ceType)
		}
		if got, want := "cases."+h.Get("ce-subject"), msg.Subject(); got != want {
			t.Errorf("ce-subject names %s, the message is on %s", got, want)
		}
		if _, err := time.Parse(time.RFC3339Nano, h.Get("ce-time")); err != nil {
			t.Errorf("%s: ce-time %q is not RFC 3339: %v", where, h.Get("ce-time"), err)
		}
		if got := h.Get("content-type"); got != "application/json" {
			t.Errorf("%s: content-type = %q", where, got)
		}
		if !json.Valid(msg.Data()) {
			t.Errorf("%s: data is not JSON: %s", where, msg.Data())
		}
	}
	if len(seen) != int(total) || total < 6 {
		t.Errorf("decoded %d distinct events of %d stored; want all, at least 6", len(seen), total)
	}
}
