package projections_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"phananh/domain"
	"phananh/eventstore"
	"phananh/projections"
)

// startStore starts a real embedded JetStream server in tb.TempDir() on a
// random loopback port, connects to it and opens the event store. Cleanup
// closes the connection and shuts the server down.
//
// The projections never depend on fsync, so the server runs with
// SyncAlways off to keep the tests fast.
func startStore(tb testing.TB) *eventstore.Store {
	tb.Helper()
	s, err := eventstore.Open(testContext(tb), startJetStream(tb), eventstore.Config{})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	return s
}

// startJetStream starts the embedded server and connects to it.
func startJetStream(tb testing.TB) jetstream.JetStream {
	tb.Helper()
	emb, err := eventstore.StartEmbedded(eventstore.EmbeddedOptions{DataDir: tb.TempDir(), Listen: "127.0.0.1:-1"})
	if err != nil {
		tb.Fatalf("StartEmbedded: %v", err)
	}
	tb.Cleanup(emb.Shutdown)
	nc, err := nats.Connect(emb.ClientURL(), nats.SyncQueueLen(1024))
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatalf("jetstream: %v", err)
	}
	return js
}

// testContext bounds everything a test asks of the server.
func testContext(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

// testLogger writes the runner's log to the test's output, which go test
// shows only for a failed test or with -v.
func testLogger(tb testing.TB) *slog.Logger {
	var w io.Writer = io.Discard
	if t, ok := tb.(*testing.T); ok {
		w = t.Output()
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// startRunner runs a runner over src in the background. Cleanup stops it and
// checks that it stopped the normal way, with ctx's error.
func startRunner(tb testing.TB, src projections.Source, models ...projections.ReadModel) *projections.Runner {
	tb.Helper()
	r := projections.NewRunner(src, testLogger(tb), models...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				tb.Errorf("Run returned %v, want context.Canceled", err)
			}
		case <-time.After(10 * time.Second):
			tb.Errorf("Run did not return within 10s of its context being cancelled")
		}
	})
	return r
}

// checkFor polls check every `every` until it returns nil, and fails the
// test with check's last error if that does not happen within total (the
// nats-server tests' helper of the same name).
func checkFor(tb testing.TB, total, every time.Duration, check func() error) {
	tb.Helper()
	deadline := time.Now().Add(total)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("not settled after %s: %v", total, err)
		}
		<-tick.C
	}
}

// waitReady waits, bounded, until the runner has caught up with the log.
func waitReady(tb testing.TB, r *projections.Runner) {
	tb.Helper()
	checkFor(tb, 10*time.Second, 5*time.Millisecond, func() error {
		if !r.Ready() {
			return fmt.Errorf("runner not ready (applied %d)", r.Applied())
		}
		return nil
	})
}

// t0 is when the first test event happened.
var t0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

// officer is the staff member who acts on every test case after the report.
var officer = domain.Actor{ID: "officer-7f3a", Role: domain.RoleOfficer, Unit: "ubnd.lao-cai"}

// citizen files the reports.
var citizen = domain.Actor{ID: "citizen-c41", Role: domain.RoleCitizen}

// reported is a report of an incident in Lào Cai, due at the end of the
// day after t0 plus n days, so cases can be told apart by their deadline.
func reported(n int) domain.Reported {
	return domain.Reported{
		Kind:        domain.KindIncident,
		Category:    "pollution.water",
		Title:       fmt.Sprintf("Nước suối đổi màu (%d)", n),
		Description: "Nước suối gần chợ có màu đục và mùi hôi từ sáng nay.",
		Location:    domain.Location{Commune: "lao-cai"},
		Unit:        "ubnd.lao-cai",
		Clock:       domain.ClockAcknowledge,
		Deadline:    t0.AddDate(0, 0, 1+n),
		Digest:      "d",
	}
}

// accepted takes a case on, due to be resolved ten days after t0.
func accepted() domain.Accepted {
	return domain.Accepted{Note: "thụ lý", Clock: domain.ClockResolve, Deadline: t0.AddDate(0, 0, 10)}
}

// history is one case's events, in order.
type history struct {
	caseID uuid.UUID
	events []domain.Event
}

// stored is what appendRoundRobin wrote: every envelope with its sequence,
// per case and in log order.
type stored struct {
	byCase map[uuid.UUID][]domain.Envelope
	all    []domain.Envelope
	last   uint64
}

// appendRoundRobin appends the cases' events one at a time, taking the
// cases in turn, so that the log interleaves them as real traffic does. Each
// append states the case's expected version.
func appendRoundRobin(tb testing.TB, s *eventstore.Store, cases []history) stored {
	tb.Helper()
	ctx := testContext(tb)
	out := stored{byCase: make(map[uuid.UUID][]domain.Envelope)}
	for step := 0; ; step++ {
		more := false
		for _, h := range cases {
			if step >= len(h.events) {
				continue
			}
			more = true
			actor := officer
			if step == 0 {
				actor = citizen
			}
			env := envelopeAt(h.caseID, actor, t0.Add(time.Duration(len(out.all))*time.Minute), h.events[step])
			prev := out.byCase[h.caseID]
			var version uint64
			if len(prev) > 0 {
				version = prev[len(prev)-1].Seq
			}
			seq, err := s.Append(ctx, version, []domain.Envelope{env})
			if err != nil {
				tb.Fatalf("append %s (step %d) to case %s: %v", env.Type(), step, h.caseID, err)
			}
			env.Seq = seq
			out.byCase[h.caseID] = append(prev, env)
			out.all = append(out.all, env)
			out.last = seq
		}
		if !more {
			return out
		}
	}
}

// envelopeAt wraps an event as it would have been decided at `at` by actor.
func envelopeAt(caseID uuid.UUID, actor domain.Actor, at time.Time, e domain.Event) domain.Envelope {
	return domain.Envelope{
		ID:            uuid.Must(uuid.NewV7()),
		CaseID:        caseID,
		Time:          at,
		Actor:         actor,
		CorrelationID: "req-" + uuid.NewString(),
		Event:         e,
	}
}

// appendOne appends a single event to a case at its expected version and
// returns the new version.
func appendOne(tb testing.TB, s *eventstore.Store, caseID uuid.UUID, version uint64, e domain.Event) uint64 {
	tb.Helper()
	actor := officer
	if _, ok := e.(domain.Reported); ok {
		actor = citizen
	}
	seq, err := s.Append(testContext(tb), version, []domain.Envelope{envelopeAt(caseID, actor, time.Now().UTC(), e)})
	if err != nil {
		tb.Fatalf("append %s: %v", e.EventType(), err)
	}
	return seq
}

func newCaseID() uuid.UUID { return uuid.Must(uuid.NewV7()) }
