package eventstore

import (
	"context"
	"testing"

	"github.com/google/uuid"

	"phananh/domain"
)

// BenchmarkEncode builds the message an append publishes for one event:
// the body's JSON and the CloudEvents headers, the codec's other half
// beside BenchmarkDecode. It goes through newAppendReq, as Append does.
func BenchmarkEncode(b *testing.B) {
	caseID := uuid.Must(uuid.NewV7())
	actor := domain.Actor{ID: "lc.officer", Role: domain.RoleOfficer, Unit: "ubnd.lao-cai"}
	for _, e := range []struct {
		name  string
		event domain.Event
	}{
		{"reported", reportedEvent()},
		{"accepted", domain.Accepted{Clock: domain.ClockResolve, Deadline: event(caseID, nil).Time}},
		{"comment_added", domain.CommentAdded{Text: "Đã liên hệ tổ dân phố để xác minh."}},
	} {
		env := event(caseID, e.event)
		env.Actor, env.CorrelationID = actor, "req-1"
		b.Run(e.name, func(b *testing.B) {
			events := []domain.Envelope{env}
			r, err := newAppendReq(context.Background(), 7, events)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(len(r.msgs[0].Data)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := newAppendReq(context.Background(), 7, events); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
