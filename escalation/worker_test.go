package escalation_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"phananh/cases"
	"phananh/domain"
	"phananh/escalation"
	"phananh/eventstore"
	"phananh/projections"
)

// clock is a settable time shared by the service and the workers.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time                           { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Set(t time.Time)                          { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }
func (noStaff) Member(string) (string, domain.Role, bool) { return "", "", false }

type noStaff struct{}

// replica is one API process: its own connection, read models, service and worker.
type replica struct {
	svc    *cases.Service
	view   *projections.CaseView
	worker *escalation.Worker
}

func startReplica(t *testing.T, url string, clk *clock, secret []byte) *replica {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	nc, err := nats.Connect(url, nats.SyncQueueLen(1024))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	store, err := eventstore.Open(ctx, js, eventstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	view, queues := projections.NewCaseView(), projections.NewQueues()
	runner := projections.NewRunner(store, log, view, queues)
	go runner.Run(ctx)
	svc, err := cases.New(cases.Deps{Store: store, Vault: store, Files: store, Waiter: runner, View: view,
		Queues: queues, Staff: noStaff{}, Secret: secret, Log: log, Now: clk.Now,
		Rules: domain.Rules{Geo: domain.DefaultGeography(), Policy: domain.DefaultPolicy()}})
	if err != nil {
		t.Fatal(err)
	}
	w, err := escalation.New(ctx, js, svc, view, escalation.Config{Grace: 24 * time.Hour, Interval: time.Hour, Now: clk.Now, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	go w.Run(ctx)
	return &replica{svc: svc, view: view, worker: w}
}

func TestOverdueCaseIsEscalatedOnceAcrossReplicas(t *testing.T) {
	emb, err := eventstore.StartEmbedded(eventstore.EmbeddedOptions{DataDir: t.TempDir(), Listen: "127.0.0.1:-1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emb.Shutdown)
	// Friday 6 March 2026, 17:00 in Vietnam: an incident's acknowledge clock
	// (1 working day) ends on Monday 9 March at 23:59:59.
	clk := &clock{now: time.Date(2026, 3, 6, 17, 0, 0, 0, domain.Vietnam)}
	secret := []byte("0123456789abcdef0123456789abcdef")
	a := startReplica(t, emb.ClientURL(), clk, secret)
	b := startReplica(t, emb.ClientURL(), clk, secret)

	ctx := context.Background()
	receipt, _, err := a.svc.Submit(ctx, domain.SubmitReport{
		ID: uuid.Must(uuid.NewV7()), Category: "pollution.air", Title: "Khói đốt rác", Description: "Khói đen mỗi tối.",
		Location: domain.Location{Commune: "cam-duong"}, Anonymous: true,
	}, "test")
	if err != nil {
		t.Fatal(err)
	}

	// Past the deadline but within the grace day: nothing is due.
	clk.Set(time.Date(2026, 3, 10, 12, 0, 0, 0, domain.Vietnam))
	for _, r := range []*replica{a, b} {
		if n, err := r.worker.Scan(ctx); err != nil || n != 0 {
			t.Fatalf("scan within grace: %d due, %v", n, err)
		}
	}
	// Past the grace: both replicas scan, repeatedly, at once.
	clk.Set(time.Date(2026, 3, 11, 0, 30, 0, 0, domain.Vietnam))
	var wg sync.WaitGroup
	for _, r := range []*replica{a, b, a, b} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := r.worker.Scan(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()

	deadline := time.Now().Add(15 * time.Second)
	for {
		// Both replicas' views must show it (the scans below read each
		// one's own). Until a view holds the case, both times are zero.
		escalated := 0
		for _, r := range []*replica{a, b} {
			rec, ok := r.view.Get(receipt.ID)
			if ok && !rec.Case.Deadline.IsZero() && rec.Case.OverdueEscalated.Equal(rec.Case.Deadline) {
				escalated++
			}
		}
		if escalated == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the overdue case was not escalated")
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Scan again after it was done: the case is no longer due anywhere.
	for _, r := range []*replica{a, b} {
		if n, _ := r.worker.Scan(ctx); n != 0 {
			t.Errorf("after escalation a scan still finds %d due", n)
		}
	}
	// Exactly one escalated event in the log (notify tells the unit: its tests).
	rec, _ := a.view.Get(receipt.ID)
	escalations := 0
	for _, e := range rec.Timeline {
		if e.Type == "escalated" {
			escalations++
		}
	}
	if escalations != 1 {
		t.Errorf("%d escalated events, want exactly 1", escalations)
	}
	if rec.Case.Status != domain.StatusReceived || rec.Case.Unit != "ubnd.cam-duong" {
		t.Errorf("status, unit = %s, %s; an overdue escalation keeps both", rec.Case.Status, rec.Case.Unit)
	}
}
