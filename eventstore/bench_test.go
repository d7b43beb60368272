package eventstore_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"

	"phananh/domain"
	"phananh/eventstore"
)

// syncModes are the server's durability modes, and for fsync on every
// write, appends published one by one and grouped into batches.
var syncModes = []struct {
	name        string
	syncAlways  bool
	groupCommit bool
}{
	{"sync=always", true, false},
	{"sync=always/group", true, true},
	{"sync=relaxed", false, false},
}

func benchStore(b *testing.B, syncAlways, groupCommit bool) *eventstore.Store {
	b.Helper()
	ts := startServer(b, b.TempDir(), syncAlways)
	return openStore(b, ts.js, eventstore.Config{GroupCommit: groupCommit})
}

// BenchmarkAppend appends one first event to a new case per operation, from
// one publisher: the latency of submitting a report.
func BenchmarkAppend(b *testing.B) {
	for _, mode := range syncModes {
		b.Run(mode.name, func(b *testing.B) {
			s := benchStore(b, mode.syncAlways, mode.groupCommit)
			ctx := context.Background()
			events := make([]domain.Envelope, b.N)
			for i := range events {
				events[i] = envelope(uuid.Must(uuid.NewV7()), reported())
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if _, err := s.Append(ctx, 0, events[i:i+1]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAppendParallel appends first events to new cases from 16
// publishers per CPU sharing one connection (32 on two CPUs, as in the
// measurements of DESIGN.md §3): the throughput ceiling. ns/op is wall
// time per append, so 1e9/ns_op is appends per second.
func BenchmarkAppendParallel(b *testing.B) {
	for _, mode := range syncModes {
		b.Run(mode.name, func(b *testing.B) {
			s := benchStore(b, mode.syncAlways, mode.groupCommit)
			ctx := context.Background()
			b.ReportAllocs()
			b.SetParallelism(16)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					env := envelope(uuid.Must(uuid.NewV7()), reported())
					if _, err := s.Append(ctx, 0, []domain.Envelope{env}); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// BenchmarkLoad loads a case of 10 events with batch direct get, on a
// connection with default options and on one with a small sync queue (see
// Store.Load).
func BenchmarkLoad(b *testing.B) {
	ts := startServer(b, b.TempDir(), true)
	ctx := context.Background()
	caseID := uuid.Must(uuid.NewV7())
	events := []domain.Envelope{envelope(caseID, reported())}
	for range 9 {
		events = append(events, envelope(caseID, domain.CommentAdded{Text: "Đã liên hệ người phản ánh", Public: true}))
	}
	if _, err := openStore(b, ts.js, eventstore.Config{}).Append(ctx, 0, events); err != nil {
		b.Fatal(err)
	}
	for _, conn := range []struct {
		name string
		opts []nats.Option
	}{
		{"conn=default", nil},
		{"conn=SyncQueueLen1024", []nats.Option{nats.SyncQueueLen(1024)}},
	} {
		b.Run(conn.name, func(b *testing.B) {
			s := openStore(b, startClient(b, ts, conn.opts...), eventstore.Config{})
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				got, _, err := s.Load(ctx, caseID)
				if err != nil {
					b.Fatal(err)
				}
				if len(got) != 10 {
					b.Fatalf("loaded %d events, want 10", len(got))
				}
			}
		})
	}
}
