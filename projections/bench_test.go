package projections_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
	"phananh/projections"
)

// lifecycle is a typical short case: the report and four more events.
func lifecycle(n int) []domain.Event {
	return []domain.Event{
		reported(n % 30),
		accepted(),
		domain.Assigned{Assignee: "officer-42"},
		domain.CommentAdded{Text: "Đã liên hệ người phản ánh", Public: false},
		domain.Resolved{Summary: "Đã xử lý xong"},
	}
}

// BenchmarkCaseViewApply applies pre-built envelopes to a fresh case view in
// memory: 1,000 cases of five events per operation. ns/event is the cost
// of one Apply.
func BenchmarkCaseViewApply(b *testing.B) {
	const cases = 1_000
	var envs []domain.Envelope
	for i := range cases {
		id := uuid.Must(uuid.NewV7())
		for j, e := range lifecycle(i) {
			env := envelopeAt(id, officer, t0.Add(time.Duration(j)*time.Hour), e)
			envs = append(envs, env)
		}
	}
	// Interleave the cases as the log does, and number the events.
	ordered := make([]domain.Envelope, 0, len(envs))
	for j := range 5 {
		for i := range cases {
			ordered = append(ordered, envs[i*5+j])
		}
	}
	for i := range ordered {
		ordered[i].Seq = uint64(i + 1)
	}

	b.ReportAllocs()
	var ops int
	for b.Loop() {
		view := projections.NewCaseView()
		for _, env := range ordered {
			view.Apply(env)
		}
		if view.Len() != cases {
			b.Fatalf("view holds %d cases, want %d", view.Len(), cases)
		}
		ops++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(ops*len(ordered)), "ns/event")
}

// BenchmarkRunnerRebuild rebuilds a fresh case view from a real embedded
// JetStream holding 10,000 events in 2,000 cases: what a replica does at
// start. Each operation runs a new runner until it has caught up.
func BenchmarkRunnerRebuild(b *testing.B) {
	const cases = 2_000 // of 5 events each (lifecycle)
	s := startStore(b)  // SyncAlways off: setup only, the benchmark reads
	ctx := testContext(b)

	// Eight writers append cases one event at a time, as the service does,
	// so the log interleaves cases. (An atomic batch per case would be
	// slower: the server stages every batch in a store of its own.)
	last := fillLifecycles(b, s, cases)

	discard := slog.New(slog.DiscardHandler)
	var ops int
	for b.Loop() {
		view := projections.NewCaseView()
		r := projections.NewRunner(s, discard, view)
		runCtx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- r.Run(runCtx) }()
		if err := r.WaitFor(ctx, last); err != nil {
			b.Fatal(err)
		}
		if !r.Ready() || view.Len() != cases {
			b.Fatalf("after rebuild: ready %v, %d cases; want true, %d", r.Ready(), view.Len(), cases)
		}
		b.StopTimer()
		stop()
		<-done
		b.StartTimer()
		ops++
	}
	b.ReportMetric(float64(ops)*float64(last)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkCaseViewGet reads cases of ten events (commentedLife) from a
// case view: the copy a case page or a timeline answer starts from.
// ns/op is one Get.
func BenchmarkCaseViewGet(b *testing.B) {
	const cases = 1_000
	view := projections.NewCaseView()
	var ids []uuid.UUID
	heapLogOf(b, cases, 10, commentedLife, func(env domain.Envelope) {
		if env.Seq <= cases {
			ids = append(ids, env.CaseID)
		}
		view.Apply(env)
	})
	b.ReportAllocs()
	var i int
	for b.Loop() {
		if rec, ok := view.Get(ids[i%cases]); !ok || len(rec.Timeline) != 10 {
			b.Fatalf("Get: ok %v, %d entries; want true, 10", ok, len(rec.Timeline))
		}
		i++
	}
}
