package projections_test

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"phananh/domain"
	"phananh/eventstore"
	"phananh/projections"
)

// BenchmarkReplayRatio is `phananh bench`'s replay phase in small: one
// log of 4,000 cases × 5 events, read in each operation first by a raw
// ordered consumer that only counts messages, then by a runner with the
// case view, the queues and the dashboard until every event is applied.
// Taking turns within an operation puts a burst of another tenant's load
// on both. It reports both rates, their ratio, and the process's CPU time
// per event of each (client, models and the embedded server together),
// which moves less than wall time on a shared machine.
func BenchmarkReplayRatio(b *testing.B) {
	const cases = 4_000
	js := startJetStream(b)
	ctx := testContext(b)
	s, err := eventstore.Open(ctx, js, eventstore.Config{})
	if err != nil {
		b.Fatal(err)
	}
	last := fillLifecycles(b, s, cases)

	discard := slog.New(slog.DiscardHandler)
	var raw, models, rawCPU, modelsCPU time.Duration
	for b.Loop() {
		c0, t0 := cpuTime(), time.Now()
		if err := countAll(ctx, js, last); err != nil {
			b.Fatal(err)
		}
		raw += time.Since(t0)
		rawCPU += cpuTime() - c0

		c0, t0 = cpuTime(), time.Now()
		view, queues := projections.NewCaseView(), projections.NewQueues()
		dash := projections.NewDashboard(domain.DefaultGeography())
		r := projections.NewRunner(s, discard, view, queues, dash)
		runCtx, stop := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- r.Run(runCtx) }()
		if err := r.WaitFor(ctx, last); err != nil {
			b.Fatal(err)
		}
		models += time.Since(t0)
		modelsCPU += cpuTime() - c0
		if view.Len() != cases {
			b.Fatalf("view holds %d cases, want %d", view.Len(), cases)
		}
		b.StopTimer()
		stop()
		<-done
		b.StartTimer()
	}
	n := float64(b.N) * float64(last)
	b.ReportMetric(n/raw.Seconds(), "raw-events/s")
	b.ReportMetric(n/models.Seconds(), "model-events/s")
	b.ReportMetric(raw.Seconds()/models.Seconds(), "ratio")
	b.ReportMetric(float64(rawCPU.Nanoseconds())/n, "raw-cpu-ns/event")
	b.ReportMetric(float64(modelsCPU.Nanoseconds())/n, "model-cpu-ns/event")
}

// fillLifecycles appends n lifecycles from eight writers, one event per
// append as the service does, and returns the log's last sequence.
func fillLifecycles(b *testing.B, s *eventstore.Store, n int) uint64 {
	ctx := testContext(b)
	units := []string{"ubnd.lao-cai", "ubnd.sa-pa", "ubnd.bat-xat", "so.tnmt"}
	work := make(chan int)
	var writers sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		writers.Go(func() {
			for i := range work {
				id := uuid.Must(uuid.NewV7())
				actor := officer
				actor.Unit = units[i%len(units)]
				var version uint64
				for j, e := range lifecycle(i) {
					if r, ok := e.(domain.Reported); ok {
						r.Unit = actor.Unit
						r.Location.Commune = fmt.Sprintf("xa-%d", i%30)
						e = r
					}
					env := envelopeAt(id, actor, t0.Add(time.Duration(j)*time.Hour), e)
					seq, err := s.Append(ctx, version, []domain.Envelope{env})
					if err != nil {
						errs <- fmt.Errorf("append %s to case %d: %w", e.EventType(), i, err)
						return
					}
					version = seq
				}
			}
		})
	}
	for i := range n {
		select {
		case work <- i:
		case err := <-errs:
			b.Fatal(err)
		}
	}
	close(work)
	writers.Wait()
	close(errs)
	for err := range errs {
		b.Fatal(err)
	}
	last, err := s.LastSeq(ctx)
	if err != nil {
		b.Fatal(err)
	}
	if want := uint64(n * len(lifecycle(0))); last != want {
		b.Fatalf("stream holds %d events, want %d", last, want)
	}
	return last
}

// countAll reads the whole stream with an ordered consumer and does
// nothing with the messages, as `phananh bench`'s replay_raw does.
func countAll(ctx context.Context, js jetstream.JetStream, events uint64) error {
	cons, err := js.OrderedConsumer(ctx, eventstore.StreamName, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return err
	}
	it, err := cons.Messages()
	if err != nil {
		return err
	}
	defer it.Stop()
	for n := uint64(0); n < events; n++ {
		if _, err := it.Next(jetstream.NextContext(ctx)); err != nil {
			return fmt.Errorf("after %d of %d events: %w", n, events, err)
		}
	}
	return nil
}

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
