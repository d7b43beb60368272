package eventstore_test

import (
	"testing"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"phananh/domain"
	"phananh/eventstore"
)

// BenchmarkDecode decodes stored events exactly as the server returns them
// (headers and body read back from the stream): the per-event cost of
// Load, Follow and so of every rebuild, without the network.
func BenchmarkDecode(b *testing.B) {
	ts := startServer(b, b.TempDir(), false)
	store := openStore(b, ts.js, eventstore.Config{})
	ctx := testContext(b)
	caseID := uuid.Must(uuid.NewV7())
	events := []struct {
		name  string
		event domain.Event
	}{
		{"reported", reported()},
		{"accepted", domain.Accepted{Clock: domain.ClockResolve, Deadline: at}},
		{"comment_added", domain.CommentAdded{Text: "Đã liên hệ tổ dân phố để xác minh."}},
	}
	stream, err := ts.js.Stream(ctx, eventstore.StreamName)
	if err != nil {
		b.Fatal(err)
	}
	var version uint64
	stored := make([]*jetstream.RawStreamMsg, len(events))
	for i, e := range events {
		if version, err = store.Append(ctx, version, []domain.Envelope{envelope(caseID, e.event)}); err != nil {
			b.Fatal(err)
		}
		if stored[i], err = stream.GetMsg(ctx, version); err != nil {
			b.Fatal(err)
		}
	}
	for i, e := range events {
		msg := stored[i]
		b.Run(e.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(msg.Data)))
			for b.Loop() {
				if _, err := eventstore.Decode(msg.Sequence, msg.Header, msg.Data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
