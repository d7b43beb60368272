package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
	"phananh/eventstore"
)

// TestReporterReerase: after REPORTER_KEYS came back from an old backup,
// "phananh reporter reerase" destroys the keys the log says were erased.
func TestReporterReerase(t *testing.T) {
	url := startJetStream(t)
	if _, err := through(t, "reporter", "reerase", "--nats-url", url); err == nil || !strings.Contains(err.Error(), "CASES") {
		t.Errorf("reerase before any stream exists: %v, want an error naming CASES", err)
	}

	js := jetStream(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	store, err := eventstore.Open(ctx, js, eventstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := store.Seal(ctx, []byte(`{"name":"Lò Thị Xuyến","phone":"0987 654 321"}`))
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.Must(uuid.NewV7())
	envelope := func(e domain.Event) []domain.Envelope {
		return []domain.Envelope{{ID: uuid.Must(uuid.NewV7()), CaseID: id, Time: time.Now().UTC(),
			Actor: domain.Actor{ID: "quan.tri", Role: domain.RoleAdmin}, Event: e}}
	}
	version, err := store.Append(ctx, 0, envelope(domain.Reported{Kind: domain.KindIncident, Category: "pollution.water",
		Title: "Nước suối đổi màu", Description: "Nước suối đổi màu đen.", Location: domain.Location{Commune: "lao-cai"},
		Reporter: &sealed, Unit: "ubnd.lao-cai", Clock: domain.ClockAcknowledge, Deadline: time.Now().Add(24 * time.Hour).UTC(), Digest: "d"}))
	if err != nil {
		t.Fatal(err)
	}
	// The erasure is in the log, but the key is there: a restored bucket.
	if _, err := store.Append(ctx, version, envelope(domain.ReporterErased{KeyID: sealed.KeyID, Reason: "yêu cầu"})); err != nil {
		t.Fatal(err)
	}

	out, err := through(t, "reporter", "reerase", "--nats-url", url)
	if err != nil {
		t.Fatalf("reporter reerase: %v", err)
	}
	if !strings.HasPrefix(out, "1 recorded erasures applied again") {
		t.Errorf("printed %q", out)
	}
	if _, err := store.Open(ctx, sealed); !errors.Is(err, eventstore.ErrErased) {
		t.Errorf("the erased reporter's key opens after reerase: %v", err)
	}
	if _, err := through(t, "reporter", "forget"); err == nil {
		t.Error("an unknown reporter command succeeded")
	}
}
