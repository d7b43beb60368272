package projections

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"slices"
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
	// from holds, per model, the sequence its snapshot restored it at: the
	// model is given only the events after it. Set once before the feed
	// starts.
	from      []uint64
	started   time.Time
	rebuild   time.Duration // from started until caught up
	sinceSnap uint64        // events applied since the last periodic snapshot

	gcRestore func() // ends the rebuild's GC target (rebuildGC); nil outside a rebuild

	snapCfg SnapshotConfig
	snapDue chan struct{} // a periodic snapshot is due
	snapMu  sync.Mutex    // one snapshot at a time; guards saved
	saved   map[string]uint64
}

// NewRunner returns a runner for the models. It refuses a nil source.
func NewRunner(src Source, log *slog.Logger, models ...ReadModel) *Runner {
	if src == nil {
		panic("projections: nil source")
	}
	if log == nil {
		log = slog.Default()
	}
	return &Runner{src: src, models: models, log: log, advanced: make(chan struct{}),
		from: make([]uint64, len(models)), snapDue: make(chan struct{}, 1), saved: make(map[string]uint64)}
}

// Run rebuilds the models and then follows the log until ctx is done. It
// returns ctx's error on a normal stop.
//
// With UseSnapshots, each model that implements Snapshotter starts from its
// snapshot when one of its current version exists; the feed then starts
// after the lowest sequence any model stands at, and each event is applied
// only to the models that have not seen it, so models restored at
// different sequences end up exactly where a full rebuild would put them.
// Without snapshots every model is rebuilt from the first event.
func (r *Runner) Run(ctx context.Context) error {
	started := time.Now()
	target, err := r.logPosition(ctx)
	if err != nil {
		return err
	}
	from := r.restore(ctx, target)
	lowest := uint64(0)
	if len(from) > 0 {
		lowest = slices.Min(from)
	}
	r.mu.Lock()
	r.from = from
	r.applied = lowest
	r.target = target
	r.started = started
	r.ready = target <= lowest
	if r.ready {
		r.rebuild = time.Since(started)
	} else {
		r.gcRestore = rebuildGC()
		defer r.endRebuildGC()
	}
	close(r.advanced) // waiters for what the snapshots hold need wait no more
	r.advanced = make(chan struct{})
	r.mu.Unlock()
	r.log.Info("projections rebuilding", "events", target, "from", lowest+1)

	if r.snapCfg.Store != nil && (r.snapCfg.Every > 0 || r.snapCfg.Interval > 0) {
		var loop sync.WaitGroup
		loopCtx, stop := context.WithCancel(ctx)
		loop.Go(func() { r.snapshotLoop(loopCtx) })
		defer loop.Wait()
		defer stop()
	}

	for {
		err := r.follow(ctx)
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

// logPosition reads where the log ends, trying again while it cannot (a
// second, then doubling up to half a minute): a stream whose leader is
// being elected (a cluster starting, a node lost) does not answer for a
// while, and the models must not stop for good because of that. Only ctx
// ends the wait, and then its error is returned, so a shutdown reads as
// one.
func (r *Runner) logPosition(ctx context.Context) (uint64, error) {
	delay := time.Second
	for {
		target, err := r.src.LastSeq(ctx)
		if err == nil {
			return target, nil
		}
		if ctx.Err() == nil {
			r.log.Warn("projections cannot read the log position; retrying", "err", err, "in", delay)
			select {
			case <-ctx.Done():
			case <-time.After(delay):
			}
		}
		if ctx.Err() != nil {
			return 0, fmt.Errorf("projections: read log position: %w (last: %v)", ctx.Err(), err)
		}
		delay = min(2*delay, 30*time.Second)
	}
}

// feedBuffer is how many decoded events may wait for the models.
const feedBuffer = 1024

// follow runs one Follow of the log as a pipeline of two goroutines: the
// source decodes events on its own while this one applies them to the
// models, in log order (one channel, one reader). A rebuild uses both
// cores instead of decoding and applying in turn. It returns once every
// event the source delivered has been applied, so a resume starts after
// the last of them.
func (r *Runner) follow(ctx context.Context) error {
	feed := make(chan domain.Envelope, feedBuffer)
	var applier sync.WaitGroup
	applier.Go(func() {
		for e := range feed {
			r.apply(e)
		}
	})
	err := r.src.Follow(ctx, r.Applied()+1, func(e domain.Envelope) error {
		select {
		case feed <- e:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(feed)
	applier.Wait()
	return err
}

func (r *Runner) apply(e domain.Envelope) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e.Seq <= r.applied {
		return // already applied before a resume
	}
	for i, m := range r.models {
		if e.Seq > r.from[i] { // not already in the model's snapshot
			m.Apply(e)
		}
	}
	r.applied = e.Seq
	if !r.ready && e.Seq >= r.target {
		r.ready = true
		r.rebuild = time.Since(r.started)
		r.log.Info("projections caught up", "seq", e.Seq, "took", r.rebuild.String())
		if r.gcRestore != nil {
			r.gcRestore()
			r.gcRestore = nil
		}
	}
	if r.snapCfg.Every > 0 {
		if r.sinceSnap++; r.sinceSnap >= r.snapCfg.Every {
			r.sinceSnap = 0
			select {
			case r.snapDue <- struct{}{}:
			default: // one is already due
			}
		}
	}
	close(r.advanced)
	r.advanced = make(chan struct{})
}

// endRebuildGC ends the rebuild's GC target if the rebuild did not finish
// (Run stopped before the models caught up).
func (r *Runner) endRebuildGC() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gcRestore != nil {
		r.gcRestore()
		r.gcRestore = nil
	}
}

// rebuildGCPercent is the garbage collector's target (GOGC) while runners
// rebuild their models at start. A rebuild allocates fast (the NATS
// client's messages and headers, decoded events) into a heap that grows
// with the models, and with GOGC=100 the collector took a fifth of a
// rebuild's CPU in phananh bench (BENCHMARKS.md). The cost is memory:
// the heap may reach three times the live data instead of twice until
// the models have caught up, then the previous target is restored (400
// saved more CPU but doubled the bench's peak RSS). A memory limit
// (GOMEMLIMIT) still holds throughout: the collector runs sooner when it
// is near. `phananh serve` itself runs at 400 unless GOGC says otherwise
// (cmd/phananh/gc.go), and then this raise leaves it as it is.
const rebuildGCPercent = 200

// gcBoost counts the runners rebuilding now: the first raises the GC
// target, the last one done puts the previous target back.
var gcBoost struct {
	sync.Mutex
	n    int
	prev int
}

// rebuildGC raises the GC target to rebuildGCPercent, unless the process
// set a higher one or turned the collector off, for one rebuild; the
// function it returns ends that.
func rebuildGC() (restore func()) {
	gcBoost.Lock()
	defer gcBoost.Unlock()
	if gcBoost.n == 0 {
		gcBoost.prev = debug.SetGCPercent(rebuildGCPercent)
		if gcBoost.prev < 0 || gcBoost.prev > rebuildGCPercent {
			debug.SetGCPercent(gcBoost.prev)
		}
	}
	gcBoost.n++
	return func() {
		gcBoost.Lock()
		defer gcBoost.Unlock()
		if gcBoost.n--; gcBoost.n == 0 {
			debug.SetGCPercent(gcBoost.prev)
		}
	}
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

// Startup says how the models started: which were restored from a
// snapshot, and how long it took to catch up with the log.
type Startup struct {
	// Restored holds every model that can snapshot, by SnapshotName: the
	// sequence its snapshot restored it at, 0 if it was rebuilt from the log.
	Restored map[string]uint64
	// Ready is whether the models have caught up; Rebuild how long that
	// took from the start of Run (snapshot loading included).
	Ready   bool
	Rebuild time.Duration
}

// Startup reports how the last Run started.
func (r *Runner) Startup() Startup {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := Startup{Restored: make(map[string]uint64), Ready: r.ready, Rebuild: r.rebuild}
	for i, m := range r.models {
		if s, ok := m.(Snapshotter); ok {
			out.Restored[s.SnapshotName()] = r.from[i]
		}
	}
	return out
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
