package projections

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"phananh/domain"
)

// Source is the log a Runner follows. The JetStream event store implements it.
type Source interface {
	// LastSeq returns the sequence of the last event in the log (0 if empty).
	LastSeq(ctx context.Context) (uint64, error)
	// Follow calls fn with every event from fromSeq on, in log order, until
	// ctx is done or fn fails.
	Follow(ctx context.Context, fromSeq uint64, fn func(domain.Envelope) error) error
}

// ReadModel is a view folded from events. Apply is called from one
// goroutine, in log order; queries may run concurrently with it, so a model
// guards its own state.
type ReadModel interface {
	Apply(e domain.Envelope)
	// LastSeq is the sequence of the last event the model applied.
	LastSeq() uint64
}

// Runner feeds the log to its read models.
type Runner struct {
	src    Source
	models []ReadModel
	log    *slog.Logger

	mu       sync.Mutex
	applied  uint64
	advanced chan struct{} // closed and replaced whenever applied moves
	ready    bool
	target   uint64 // the log's last sequence when the runner started
}

// NewRunner returns a runner for the models. It refuses a nil source.
func NewRunner(src Source, log *slog.Logger, models ...ReadModel) *Runner {
	if src == nil {
		panic("projections: nil source")
	}
	if log == nil {
		log = slog.Default()
	}
	return &Runner{src: src, models: models, log: log, advanced: make(chan struct{})}
}

// Run rebuilds the models from the start of the log and then follows it
// until ctx is done. It returns ctx's error on a normal stop.
func (r *Runner) Run(ctx context.Context) error {
	target, err := r.src.LastSeq(ctx)
	if err != nil {
		return fmt.Errorf("projections: read log position: %w", err)
	}
	r.mu.Lock()
	r.target = target
	r.ready = target == 0
	r.mu.Unlock()
	r.log.Info("projections rebuilding", "events", target)

	for {
		err := r.src.Follow(ctx, r.Applied()+1, r.apply)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		// The feed broke (a lost connection, a restarted server): resume
		// after the last applied event, never from the start again.
		r.log.Warn("projections feed stopped; resuming", "after", r.Applied(), "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func (r *Runner) apply(e domain.Envelope) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.Seq <= r.applied {
		return nil // already applied before a resume
	}
	for _, m := range r.models {
		m.Apply(e)
	}
	r.applied = e.Seq
	if !r.ready && e.Seq >= r.target {
		r.ready = true
		r.log.Info("projections caught up", "seq", e.Seq)
	}
	close(r.advanced)
	r.advanced = make(chan struct{})
	return nil
}

// Applied returns the sequence of the last event applied to every model.
func (r *Runner) Applied() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.applied
}

// Ready reports whether the models have caught up with the log as it was
// when the runner started.
func (r *Runner) Ready() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ready
}

// WaitFor blocks until every model has applied seq, or ctx is done.
func (r *Runner) WaitFor(ctx context.Context, seq uint64) error {
	for {
		r.mu.Lock()
		applied, advanced := r.applied, r.advanced
		r.mu.Unlock()
		if applied >= seq {
			return nil
		}
		select {
		case <-advanced:
		case <-ctx.Done():
			return fmt.Errorf("projections: waiting for event %d (applied %d): %w", seq, applied, ctx.Err())
		}
	}
}
