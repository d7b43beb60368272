package projections

import (
	"sync"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
)

// TimelineEntry is one step of a case as people see it. Public entries are
// shown to the citizen; internal ones (inspection findings, internal
// comments, who was assigned) only to staff.
type TimelineEntry struct {
	Seq    uint64      `json:"seq"`
	Type   string      `json:"type"`
	Time   time.Time   `json:"time"`
	Public bool        `json:"public"`
	Role   domain.Role `json:"role,omitempty"`
	Unit   string      `json:"unit,omitempty"`
	Actor  string      `json:"-"` // staff id: internal views only
	Text   string      `json:"text,omitempty"`
	// Data holds the event's details; nil for an event without any. It is
	// shared by every copy of the entry and never changed.
	Data *EntryData `json:"data,omitempty"`
}

// CaseRecord is everything the case view knows about one case.
type CaseRecord struct {
	Case        domain.Case
	Description string
	OccurredAt  *time.Time
	UpdatedAt   time.Time
	Timeline    []TimelineEntry
	Attachments []domain.AttachmentAdded
}

// CaseView answers a case's status, timeline, unit, deadline and version.
type CaseView struct {
	mu      sync.RWMutex
	cases   map[uuid.UUID]*CaseRecord
	names   names
	lastSeq uint64
}

// CaseViewSnapshotVersion is the version of the case view's snapshot
// (snapshot_caseview.go). Bump it whenever the state the view keeps changes:
// a field of CaseRecord, TimelineEntry, domain.Case or domain.AttachmentAdded
// added, removed or retyped, or Apply filling any of them differently. A
// snapshot of another version is discarded and the view rebuilt from the
// log. TestSnapshotVersionsFollowStateShapes catches a changed struct that
// kept its version; a changed Apply is for the reviewer to catch.
const CaseViewSnapshotVersion = 2

// NewCaseView returns an empty case view.
func NewCaseView() *CaseView {
	return &CaseView{cases: make(map[uuid.UUID]*CaseRecord), names: make(names)}
}

// LastSeq implements ReadModel.
func (v *CaseView) LastSeq() uint64 {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return v.lastSeq
}

// Len returns how many cases the view holds.
func (v *CaseView) Len() int {
	v.mu.RLock()
	defer v.mu.RUnlock()
	return len(v.cases)
}

// Apply implements ReadModel.
func (v *CaseView) Apply(e domain.Envelope) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.lastSeq = e.Seq
	rec := v.cases[e.CaseID]
	if rec == nil {
		if _, ok := e.Event.(domain.Reported); !ok {
			return // an event of a case we never saw opened: nothing to attach it to
		}
		rec = &CaseRecord{}
		v.cases[e.CaseID] = rec
	}
	rec.Case = v.names.internCase(rec.Case, domain.Evolve(rec.Case, e))
	rec.UpdatedAt = e.Time
	entry := TimelineEntry{Seq: e.Seq, Type: e.Type(), Time: e.Time, Role: domain.Role(v.names.intern(string(e.Actor.Role))),
		Unit: v.names.intern(e.Actor.Unit), Actor: v.names.intern(e.Actor.ID), Data: v.names.entryDataOf(e.Event)}
	switch ev := e.Event.(type) {
	case domain.Reported:
		rec.Description, rec.OccurredAt = ev.Description, ev.OccurredAt
		entry.Public = true
		entry.Unit = rec.Case.Unit
	case domain.Accepted:
		entry.Public, entry.Text = true, ev.Note
	case domain.Rejected:
		entry.Public, entry.Text = true, ev.Reason
	case domain.Assigned:
		entry.Public = true // the citizen sees that someone works on it, not who
	case domain.Transferred:
		entry.Public, entry.Text = true, ev.Reason
	case domain.InspectionRecorded:
		entry.Text = ev.Findings
	case domain.MediationScheduled:
		entry.Public, entry.Text = true, ev.Place
	case domain.MediationHeld:
		entry.Public = true
		entry.Text = ev.Minutes
	case domain.DeadlineExtended:
		entry.Public, entry.Text = true, ev.Reason
	case domain.Escalated:
		entry.Public, entry.Text = true, ev.Reason
	case domain.Resolved:
		entry.Public, entry.Text = true, ev.Summary
	case domain.Closed:
		entry.Public, entry.Text = true, ev.Note
	case domain.Reopened:
		entry.Public, entry.Text = true, ev.Reason
	case domain.CommentAdded:
		entry.Public, entry.Text = ev.Public, ev.Text
	case domain.AttachmentAdded:
		rec.Attachments = append(rec.Attachments, ev)
		entry.Public = ev.Public
	case domain.FeedbackGiven:
		entry.Public, entry.Text = true, ev.Comment
	case domain.Reclassified:
		entry.Public, entry.Text = true, ev.Reason
	case domain.ReporterErased:
		entry.Text = ev.Reason
	}
	rec.Timeline = appendEntry(rec.Timeline, entry)
}

// appendEntry appends to a timeline growing it by a quarter rather than
// doubling it: most cases stop after a handful of events, and a timeline
// doubled to eight places for five entries wastes three entries a case.
func appendEntry(tl []TimelineEntry, e TimelineEntry) []TimelineEntry {
	if len(tl) == cap(tl) {
		grown := make([]TimelineEntry, len(tl), len(tl)+len(tl)/4+1)
		copy(grown, tl)
		tl = grown
	}
	return append(tl, e)
}

// Scan calls fn with the state of every case, under the view's read lock:
// fn must be quick and must not call back into the view.
func (v *CaseView) Scan(fn func(c domain.Case)) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	for _, rec := range v.cases {
		fn(rec.Case)
	}
}

// Get returns a copy of a case's record, or false if the view does not
// hold it (yet).
func (v *CaseView) Get(id uuid.UUID) (CaseRecord, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	rec, ok := v.cases[id]
	if !ok {
		return CaseRecord{}, false
	}
	out := *rec
	// The entries' Data are shared with the view: they are never changed.
	out.Timeline = append([]TimelineEntry(nil), rec.Timeline...)
	out.Attachments = append([]domain.AttachmentAdded(nil), rec.Attachments...)
	return out, true
}

// PublicTimeline returns the entries a citizen may see, without staff ids
// or internal details such as who the case is assigned to.
func (r CaseRecord) PublicTimeline() []TimelineEntry {
	out := make([]TimelineEntry, 0, len(r.Timeline))
	for _, e := range r.Timeline {
		if !e.Public {
			continue
		}
		e.Actor = ""
		if e.Type == "assigned" {
			e.Data = nil
		}
		if e.Type == "mediation_held" {
			e.Text = "" // the minutes go to the parties on paper, not to a web page
		}
		out = append(out, e)
	}
	return out
}
