package projections

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"
)

// Snapshotter is a read model that can save its state and start again from
// a saved state instead of from the first event of the log (DESIGN.md §4:
// fast restart).
//
// A snapshot is the model's state after the event at the sequence that
// Snapshot returns, and nothing else: the Runner feeds a restored model
// only the events after that sequence.
type Snapshotter interface {
	ReadModel
	// SnapshotName names the model's snapshot in the store: stable, short,
	// one per model ("case_view").
	SnapshotName() string
	// SnapshotVersion is the version of the model's snapshot format. It is
	// bumped whenever the state the snapshot holds changes shape or meaning
	// (a field added, removed or computed differently), so that a snapshot
	// written by older code is discarded and the model rebuilt from the
	// log, never misread.
	SnapshotVersion() int
	// Snapshot writes the model's state to w, deterministically (the same
	// state always gives the same bytes), and returns the sequence of the
	// last event it reflects. It holds the model's read lock while it
	// encodes: queries go on, Apply waits. Write to a buffer, not to the
	// network.
	Snapshot(w io.Writer) (seq uint64, err error)
	// Restore replaces the model's state with a snapshot taken at seq. It
	// fails, leaving the model as it was, if the data is not a snapshot of
	// this model at this version and sequence.
	Restore(r io.Reader, seq uint64) error
}

// SnapshotMeta describes a stored snapshot.
type SnapshotMeta struct {
	Model   string    // SnapshotName
	Version int       // SnapshotVersion of the code that wrote it
	Seq     uint64    // the last event it reflects
	Created time.Time // when it was written
}

// ErrNoSnapshot is returned by a SnapshotStore that holds no snapshot of a
// model.
var ErrNoSnapshot = errors.New("projections: no snapshot")

// SnapshotStore keeps the latest snapshot of each model. The JetStream
// object store implements it (eventstore.Snapshots).
type SnapshotStore interface {
	// SaveSnapshot replaces the model's snapshot.
	SaveSnapshot(ctx context.Context, meta SnapshotMeta, data []byte) error
	// LoadSnapshot returns the model's snapshot, whole and checked against
	// its digest, or an error wrapping ErrNoSnapshot if there is none (or
	// none that belongs to the log being followed).
	LoadSnapshot(ctx context.Context, model string) (SnapshotMeta, []byte, error)
}

// SnapshotConfig turns snapshots on for a Runner.
type SnapshotConfig struct {
	Store SnapshotStore
	// Every writes the snapshots once this many events have been applied
	// since the last ones; 0 never (by count).
	Every uint64
	// Interval writes the snapshots this often, when events were applied
	// since the last ones; 0 never (by time).
	Interval time.Duration
}

// UseSnapshots makes Run restore the models that implement Snapshotter
// from cfg.Store before it follows the log, and write their snapshots
// periodically as cfg says. Call it before Run.
func (r *Runner) UseSnapshots(cfg SnapshotConfig) {
	if cfg.Store == nil {
		panic("projections: nil snapshot store")
	}
	r.snapCfg = cfg
}

// restore loads each model's snapshot and returns, per model, the
// sequence it was restored at (0: rebuilt from the log). A snapshot is
// used only if it was written by the model's current version and reflects
// no event the log does not hold (a log recreated since); anything else,
// a corrupt snapshot included, is discarded with a warning and the model
// is rebuilt from the start.
func (r *Runner) restore(ctx context.Context, target uint64) []uint64 {
	from := make([]uint64, len(r.models))
	if r.snapCfg.Store == nil {
		return from
	}
	r.snapMu.Lock()
	defer r.snapMu.Unlock()
	for i, m := range r.models {
		s, ok := m.(Snapshotter)
		if !ok {
			continue
		}
		name := s.SnapshotName()
		log := r.log.With("model", name)
		meta, data, err := r.snapCfg.Store.LoadSnapshot(ctx, name)
		switch {
		case errors.Is(err, ErrNoSnapshot):
			log.Info("no projection snapshot; rebuilding from the log", "reason", err)
			continue
		case err != nil:
			log.Warn("projection snapshot unreadable; rebuilding from the log", "err", err)
			continue
		case meta.Model != name:
			log.Warn("projection snapshot of another model; rebuilding from the log", "snapshot_model", meta.Model)
			continue
		case meta.Version != s.SnapshotVersion():
			log.Info("projection snapshot of another version; rebuilding from the log",
				"snapshot_version", meta.Version, "version", s.SnapshotVersion())
			continue
		case meta.Seq > target:
			log.Warn("projection snapshot ahead of the log; rebuilding from the log",
				"snapshot_seq", meta.Seq, "log_last_seq", target)
			continue
		}
		if err := s.Restore(bytes.NewReader(data), meta.Seq); err != nil {
			log.Warn("projection snapshot corrupt; rebuilding from the log", "seq", meta.Seq, "err", err)
			continue
		}
		from[i] = meta.Seq
		r.saved[name] = meta.Seq
		log.Info("projection restored from snapshot", "seq", meta.Seq, "version", meta.Version,
			"bytes", len(data), "created", meta.Created)
	}
	return from
}

// snapshotLoop writes snapshots when Every events have been applied or
// Interval has passed, until ctx is done.
func (r *Runner) snapshotLoop(ctx context.Context) {
	var tick <-chan time.Time
	if r.snapCfg.Interval > 0 {
		t := time.NewTicker(r.snapCfg.Interval)
		defer t.Stop()
		tick = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick:
		case <-r.snapDue:
		}
		if err := r.SnapshotNow(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("projection snapshot failed", "err", err)
		}
	}
}

// SnapshotNow writes the snapshot of every model that implements
// Snapshotter and has applied events since its last snapshot. It does
// nothing without UseSnapshots. App.Close calls it before stopping the
// runner, so a clean restart replays nothing.
//
// Each model is encoded to memory under its read lock (Apply waits that
// long: BenchmarkSnapshotCaseView measures it) and then uploaded without
// any lock held.
func (r *Runner) SnapshotNow(ctx context.Context) error {
	if r.snapCfg.Store == nil {
		return nil
	}
	r.snapMu.Lock()
	defer r.snapMu.Unlock()
	var errs []error
	for _, m := range r.models {
		s, ok := m.(Snapshotter)
		if !ok {
			continue
		}
		name := s.SnapshotName()
		var buf bytes.Buffer
		start := time.Now()
		seq, err := s.Snapshot(&buf)
		encoded := time.Since(start)
		if err != nil {
			errs = append(errs, fmt.Errorf("projections: snapshot %s: %w", name, err))
			continue
		}
		if seq == 0 || seq == r.saved[name] {
			continue // nothing applied, or nothing since the last snapshot
		}
		meta := SnapshotMeta{Model: name, Version: s.SnapshotVersion(), Seq: seq, Created: time.Now().UTC()}
		if err := r.snapCfg.Store.SaveSnapshot(ctx, meta, buf.Bytes()); err != nil {
			errs = append(errs, fmt.Errorf("projections: save snapshot %s at %d: %w", name, seq, err))
			continue
		}
		r.saved[name] = seq
		r.log.Info("projection snapshot written", "model", name, "seq", seq, "bytes", buf.Len(),
			"encode_ms", float64(encoded.Microseconds())/1000)
	}
	return errors.Join(errs...)
}
