package projections

import (
	"maps"
	"sync"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
)

// TimelineEntry is one step of a case as people see it. Public entries are
// shown to the citizen; internal ones (inspection findings, internal
// comments, who was assigned) only to staff.
type TimelineEntry struct {
	Seq    uint64         `json:"seq"`
	Type   string         `json:"type"`
	Time   time.Time      `json:"time"`
	Public bool           `json:"public"`
	Role   domain.Role    `json:"role,omitempty"`
	Unit   string         `json:"unit,omitempty"`
	Actor  string         `json:"-"` // staff id: internal views only
	Text   string         `json:"text,omitempty"`
	Data   map[string]any `json:"data,omitempty"`
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
	lastSeq uint64
}

// CaseViewSnapshotVersion is the version of the case view's snapshot
// (snapshot_caseview.go). Bump it whenever the state the view keeps changes:
// a field of CaseRecord, TimelineEntry, domain.Case or domain.AttachmentAdded
// added, removed or retyped, or Apply filling any of them differently. A
// snapshot of another version is discarded and the view rebuilt from the
// log. TestSnapshotVersionsFollowStateShapes catches a changed struct that
// kept its version; a changed Apply is for the reviewer to catch.
const CaseViewSnapshotVersion = 1

// NewCaseView returns an empty case view.
func NewCaseView() *CaseView {
	return &CaseView{cases: make(map[uuid.UUID]*CaseRecord)}
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
	rec.Case = domain.Evolve(rec.Case, e)
	rec.UpdatedAt = e.Time
	entry := TimelineEntry{Seq: e.Seq, Type: e.Type(), Time: e.Time, Role: e.Actor.Role, Unit: e.Actor.Unit, Actor: e.Actor.ID}
	switch ev := e.Event.(type) {
	case domain.Reported:
		rec.Description, rec.OccurredAt = ev.Description, ev.OccurredAt
		entry.Public = true
		entry.Unit = ev.Unit
		entry.Data = map[string]any{"deadline": ev.Deadline, "clock": ev.Clock}
	case domain.Accepted:
		entry.Public, entry.Text = true, ev.Note
		entry.Data = map[string]any{"deadline": ev.Deadline, "clock": ev.Clock}
	case domain.Rejected:
		entry.Public, entry.Text = true, ev.Reason
	case domain.Assigned:
		entry.Public = true // the citizen sees that someone works on it, not who
		entry.Data = map[string]any{"assignee": ev.Assignee}
	case domain.Transferred:
		entry.Public, entry.Text = true, ev.Reason
		entry.Data = map[string]any{"from": ev.From, "to": ev.To}
	case domain.InspectionRecorded:
		entry.Text = ev.Findings
		entry.Data = map[string]any{"inspected_at": ev.InspectedAt}
	case domain.MediationScheduled:
		entry.Public, entry.Text = true, ev.Place
		entry.Data = map[string]any{"at": ev.At}
	case domain.MediationHeld:
		entry.Public = true
		entry.Data = map[string]any{"outcome": ev.Outcome}
		entry.Text = ev.Minutes
	case domain.DeadlineExtended:
		entry.Public, entry.Text = true, ev.Reason
		entry.Data = map[string]any{"deadline": ev.Deadline, "days": ev.Days, "decision": ev.Decision}
	case domain.Escalated:
		entry.Public, entry.Text = true, ev.Reason
		entry.Data = map[string]any{"from": ev.From, "to": ev.To}
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
		entry.Data = map[string]any{"filename": ev.Filename, "content_type": ev.ContentType, "size": ev.Size}
	case domain.DuplicateLinked:
		entry.Data = map[string]any{"of": ev.Of}
	case domain.FeedbackGiven:
		entry.Public, entry.Text = true, ev.Comment
		entry.Data = map[string]any{"rating": ev.Rating}
	case domain.Reclassified:
		entry.Public, entry.Text = true, ev.Reason
		entry.Data = map[string]any{"category": ev.ToCategory, "kind": ev.ToKind}
	case domain.ReporterErased:
		entry.Text = ev.Reason
	}
	rec.Timeline = append(rec.Timeline, entry)
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
	out.Timeline = append([]TimelineEntry(nil), rec.Timeline...)
	for i := range out.Timeline {
		// The entries' Data maps would otherwise be shared with the view:
		// a caller changing its copy would change the view, racing with
		// every other reader.
		out.Timeline[i].Data = maps.Clone(out.Timeline[i].Data)
	}
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
