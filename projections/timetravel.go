package projections

import (
	"context"
	"errors"
	"fmt"
	"time"

	"phananh/domain"
)

// Time travel (DESIGN.md §4): a read model as it stood at a past moment,
// computed from the log with the model's own Apply, so there is no second
// implementation of any view to keep in step.
//
// "As of T" means the log up to, not including, its first event whose time
// (ce-time: when the command was decided, moments before the append) is
// after T. Times mostly rise along the log, but two commands decided at
// once may be appended in the other order. Stopping at the first later
// event keeps the answer a state the log really passed through: every
// event after it was appended after it, so after T, even if it was decided
// a moment before T.

// CaseAsOf folds the events of one case, as eventstore.Store.Load returns
// them (in log order), up to as of asOf, through a case view of its own. It
// returns false if the case had not been reported by then.
func CaseAsOf(events []domain.Envelope, asOf time.Time) (CaseRecord, bool) {
	if len(events) == 0 {
		return CaseRecord{}, false
	}
	view := NewCaseView()
	id := events[0].CaseID
	for _, e := range events {
		if e.Time.After(asOf) {
			break
		}
		if e.CaseID != id {
			continue // not this case's event: Load never returns one
		}
		view.Apply(e)
	}
	return view.Get(id)
}

// MaxConcurrentReplays bounds how many RebuildAsOf and RebuildTo run at
// once in a process: each replays the log from its first event, which is
// as costly as a replica's start-up rebuild without a snapshot (see
// BenchmarkRunnerRebuild), so audits must not crowd out the live service.
const MaxConcurrentReplays = 2

var replaySlots = make(chan struct{}, MaxConcurrentReplays)

// errReplayDone stops a bounded replay's feed.
var errReplayDone = errors.New("projections: replay done")

// RebuildAsOf feeds fresh models every event of the log as of asOf (see
// above) and returns the sequence of the last event fed, 0 if none. The
// models must be new and empty: this is a full replay from the first
// event, with one ordered consumer, costing what a start-up rebuild costs
// up to asOf. At most MaxConcurrentReplays run at once; others wait, bounded
// by ctx, which also bounds the replay itself.
//
// For example, a dashboard as of a past moment:
//
//	d := projections.NewDashboard(...) // a new, empty model
//	seq, err := projections.RebuildAsOf(ctx, store, asOf, d)
//	// d now answers as the live model did then; seq is its "seq".
func RebuildAsOf(ctx context.Context, src Source, asOf time.Time, models ...ReadModel) (uint64, error) {
	return replay(ctx, src, ^uint64(0), func(e domain.Envelope) bool { return e.Time.After(asOf) }, models)
}

// RebuildTo feeds fresh models the events of the log from the first up to
// and including seq (or the last event, if the log is shorter) and returns
// the sequence of the last event fed. Costs and limits are RebuildAsOf's.
func RebuildTo(ctx context.Context, src Source, seq uint64, models ...ReadModel) (uint64, error) {
	return replay(ctx, src, seq, func(domain.Envelope) bool { return false }, models)
}

func replay(ctx context.Context, src Source, upTo uint64, past func(domain.Envelope) bool, models []ReadModel) (uint64, error) {
	select {
	case replaySlots <- struct{}{}:
		defer func() { <-replaySlots }()
	case <-ctx.Done():
		return 0, fmt.Errorf("projections: waiting to replay the log: %w", ctx.Err())
	}
	last, err := src.LastSeq(ctx)
	if err != nil {
		return 0, fmt.Errorf("projections: replay: %w", err)
	}
	upTo = min(upTo, last)
	if upTo == 0 {
		return 0, nil
	}
	var applied uint64
	err = src.Follow(ctx, 1, func(e domain.Envelope) error {
		if past(e) {
			return errReplayDone
		}
		for _, m := range models {
			m.Apply(e)
		}
		applied = e.Seq
		if e.Seq >= upTo {
			return errReplayDone
		}
		return nil
	})
	if !errors.Is(err, errReplayDone) {
		return applied, fmt.Errorf("projections: replay up to %d (at %d): %w", upTo, applied, err)
	}
	return applied, nil
}
