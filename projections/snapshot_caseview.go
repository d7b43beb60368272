package projections

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
)

// caseViewSnapshot is the case view's state: every case in id order, so the
// same state always encodes to the same bytes.
type caseViewSnapshot struct {
	Cases []caseSnapshot
}

// caseSnapshot is one case's record, its timeline kept apart because each
// entry's Data has no exported fields for gob to write.
type caseSnapshot struct {
	Case        domain.Case
	Description string
	OccurredAt  *time.Time
	Attachments []domain.AttachmentAdded
	Timeline    []timelineSnapshot
}

// timelineSnapshot is one TimelineEntry.
type timelineSnapshot struct {
	Seq    uint64
	Type   string
	Time   time.Time
	Public bool
	Role   domain.Role
	Unit   string
	Actor  string
	Text   string
	Data   *dataSnapshot
}

// SnapshotName implements Snapshotter.
func (v *CaseView) SnapshotName() string { return "case_view" }

// SnapshotVersion implements Snapshotter.
func (v *CaseView) SnapshotVersion() int { return CaseViewSnapshotVersion }

// Snapshot implements Snapshotter. Apply waits while it encodes, about
// 3 µs per timeline entry (BenchmarkSnapshotCaseView: 10,000 cases of five
// events in ≈ 0.16 s, 9.5 MB); queries do not wait.
func (v *CaseView) Snapshot(w io.Writer) (uint64, error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	ids := make([]uuid.UUID, 0, len(v.cases))
	for id := range v.cases {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	snap := caseViewSnapshot{Cases: make([]caseSnapshot, len(ids))}
	for i, id := range ids {
		rec := *v.cases[id]
		tl := make([]timelineSnapshot, len(rec.Timeline))
		for j, e := range rec.Timeline {
			x := v.tl.expand(e)
			tl[j] = timelineSnapshot{Seq: x.Seq, Type: x.Type, Time: x.Time, Public: x.Public, Role: x.Role,
				Unit: x.Unit, Actor: x.Actor, Text: x.Text, Data: x.Data.snapshot()}
		}
		snap.Cases[i] = caseSnapshot{Case: rec.Case, Description: v.tl.texts.get(rec.Description), OccurredAt: rec.OccurredAt,
			Attachments: v.files[id], Timeline: tl}
	}
	h := snapshotHeader{Model: v.SnapshotName(), Version: CaseViewSnapshotVersion, Seq: v.lastSeq}
	if err := encodeSnapshot(w, h, snap); err != nil {
		return 0, fmt.Errorf("encode case view: %w", err)
	}
	return v.lastSeq, nil
}

// Restore implements Snapshotter. The snapshot is decoded and checked
// whole before it replaces the view's state.
func (v *CaseView) Restore(r io.Reader, seq uint64) error {
	var snap caseViewSnapshot
	if err := decodeSnapshot(r, v.SnapshotName(), CaseViewSnapshotVersion, seq, &snap); err != nil {
		return fmt.Errorf("restore case view: %w", err)
	}
	cases, files := make(map[uuid.UUID]*caseRec, len(snap.Cases)), make(map[uuid.UUID][]domain.AttachmentAdded)
	n, tls := newSymbols(), newTimelines()
	for _, cs := range snap.Cases {
		rec := caseRec{Case: cs.Case, Description: tls.texts.add(cs.Description), OccurredAt: cs.OccurredAt}
		id := rec.Case.ID
		switch {
		case id == uuid.Nil:
			return fmt.Errorf("restore case view: a case without an id")
		case cases[id] != nil:
			return fmt.Errorf("restore case view: case %s twice", id)
		case rec.Case.Version > seq:
			return fmt.Errorf("restore case view: case %s at version %d, after the snapshot's seq %d", id, rec.Case.Version, seq)
		case len(cs.Timeline) == 0:
			return fmt.Errorf("restore case view: case %s without a timeline", id)
		}
		rec.Timeline = make([]entry, len(cs.Timeline))
		for j, e := range cs.Timeline {
			data, ok := e.Data.restore(n)
			if !ok {
				return fmt.Errorf("restore case view: case %s: entry %d with details of an unknown shape", id, e.Seq)
			}
			rec.Timeline[j] = tls.entry(n, e.Seq, e.Time, e.Text, data,
				entryHead{Type: e.Type, Public: e.Public, Role: e.Role, Unit: e.Unit, Actor: e.Actor})
		}
		rec.Case = n.internCase(domain.Case{}, rec.Case)
		cases[id] = &rec
		if len(cs.Attachments) > 0 {
			files[id] = cs.Attachments
		}
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.cases, v.files, v.syms, v.tl, v.lastSeq = cases, files, n, tls, seq
	return nil
}
