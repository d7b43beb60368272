package eventstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"

	"phananh/domain"
)

// ReapplyErasures destroys, again, the key of every reporter_erased event
// in the log, and returns how many such events it found. It is for after a
// restore of the REPORTER_KEYS bucket from a backup taken before some
// erasures: such a backup still holds those keys, and restoring it would
// un-erase the reporters (docs/operations.md). Erase is idempotent, so it is
// safe to run at any time.
//
// It binds the existing stream and bucket and creates nothing, so it never
// changes their configuration (an operator's tool must not turn an R3
// stream into R1), and reads the log with an ordered consumer up to the
// last event that existed when it started.
func ReapplyErasures(ctx context.Context, js jetstream.JetStream) (int, error) {
	stream, err := js.Stream(ctx, StreamName)
	if err != nil {
		return 0, fmt.Errorf("eventstore: reapply erasures: stream %s: %w", StreamName, err)
	}
	keysStream, err := js.Stream(ctx, "KV_"+KeysBucket)
	if err != nil {
		return 0, fmt.Errorf("eventstore: reapply erasures: bucket %s: %w", KeysBucket, err)
	}
	keys, err := js.KeyValue(ctx, KeysBucket)
	if err != nil {
		return 0, fmt.Errorf("eventstore: reapply erasures: bucket %s: %w", KeysBucket, err)
	}
	s := &Store{js: js, stream: stream, keys: keys, keysStream: keysStream}
	last, err := s.LastSeq(ctx)
	if err != nil || last == 0 {
		return 0, err
	}
	consumer, err := js.OrderedConsumer(ctx, StreamName, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return 0, fmt.Errorf("eventstore: reapply erasures: %w", err)
	}
	msgs, err := consumer.Messages()
	if err != nil {
		return 0, fmt.Errorf("eventstore: reapply erasures: %w", err)
	}
	defer msgs.Stop()
	erasedType := typePrefix + domain.ReporterErased{}.EventType() + typeSuffix
	var found int
	for {
		msg, err := msgs.Next(jetstream.NextContext(ctx))
		if err != nil {
			return found, fmt.Errorf("eventstore: reapply erasures: %w", err)
		}
		meta, err := msg.Metadata()
		if err != nil {
			return found, fmt.Errorf("eventstore: reapply erasures: %w", err)
		}
		if msg.Headers().Get(HeaderType) == erasedType {
			env, err := DecodeMsg(msg)
			if err != nil {
				return found, fmt.Errorf("eventstore: reapply erasures: %w", err)
			}
			x, ok := env.Event.(domain.ReporterErased)
			if !ok {
				return found, errors.New("eventstore: reapply erasures: a reporter_erased that does not decode as one")
			}
			if err := s.Erase(ctx, x.KeyID); err != nil {
				return found, fmt.Errorf("eventstore: reapply erasures: case %s: %w", env.CaseID, err)
			}
			found++
		}
		if meta.Sequence.Stream >= last {
			return found, nil
		}
	}
}
