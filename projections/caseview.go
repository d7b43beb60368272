package projections

import (
	"slices"
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

// caseRec is a CaseRecord as the view keeps it, in 512 bytes: the timeline
// in compact entries, expanded to TimelineEntry values by Get; the
// description among the timelines' texts. It keeps no UpdatedAt: every
// event a case has adds an entry, so the last entry's time is when the
// case was last updated. Attachments, which most cases lack, are kept in
// the view beside the records. Each of these takes a few bytes off a
// record that the view keeps for every case, and together they take it
// from the 576-byte size class to the 512-byte one.
type caseRec struct {
	Case        domain.Case
	Description textRef
	OccurredAt  *time.Time
	Timeline    []entry // never empty
}

// entry is a TimelineEntry as the view keeps it: 32 bytes instead of 128,
// and no pointers. What repeats across cases (the type, who acted, whether
// it is public, the time's zone) sits in one shared entryHead, the time is
// kept as Unix nanoseconds rather than a 24-byte time.Time, and the head,
// the details and the text are numbers into the view's timelines.
//
// Without pointers a timeline is an object the collector marks but never
// scans, and its texts are not objects of their own. With pointers (a
// head, the details and the text string, as it was until the sixth
// session) the case view was most of what a collection marked of the read
// models: at 100 000 cases of ten events, three million pointers and seven
// hundred thousand strings in each one, while requests waited
// (BENCHMARKS.md, sixth session).
type entry struct {
	Seq  uint64
	At   int64   // the time in Unix nanoseconds, in its head's Zone; unused if the head is Far
	Text textRef // the entry's text in the view's texts
	Head uint32  // the entry's head: its index in the view's heads
	Data uint32  // its details: 1 + their index in the view's details; 0 for none
}

// entryHead is the part of a timeline entry that repeats across cases.
type entryHead struct {
	Type   string
	Public bool
	Role   domain.Role
	Unit   string
	Actor  string
	// Zone is the location of the entry's time, so Get gives back the
	// time.Time Apply was given: UTC for every event decoded from the log
	// (ce-time) and for every UTC time a snapshot restores, so one head
	// serves them all.
	Zone *time.Location
	// Far is set for a time Unix nanoseconds cannot hold (before 1678 or
	// after 2262, the zero time among them): Exact holds it whole, so such
	// an entry shares its head only with entries at the same time. No event
	// of the log has one.
	Far   bool
	Exact time.Time
}

// timelines holds what the entries of a view's timelines refer to by
// number: the heads, the details and the texts. It only grows: the log's
// events never change, so neither does an entry once it is made. The
// numbers are 32 bits: four billion heads or details would take hundreds
// of gigabytes before they ran out.
type timelines struct {
	heads   []entryHead
	headOf  map[entryHead]uint32 // index in heads of each head
	details details
	texts   texts
}

func newTimelines() *timelines {
	return &timelines{headOf: make(map[entryHead]uint32), details: details{shared: make(map[dataKey]uint32)}}
}

// entry returns the entry of an event at t; its head h (without a time)
// shared with every entry that has the same, its strings interned in n.
func (tl *timelines) entry(n *symbols, seq uint64, t time.Time, text string, data *EntryData, h entryHead) entry {
	h.Zone = t.Location()
	ns := t.UnixNano()
	if !time.Unix(0, ns).Equal(t) {
		h.Far, h.Exact, ns = true, t, 0
	}
	return entry{Seq: seq, At: ns, Text: tl.texts.add(text), Head: tl.head(n, h), Data: tl.details.add(data)}
}

// head returns the index of the head equal to h, adding h (its strings
// interned in n) if there is none yet. There is one head of each kind the
// view has seen: the event types times the staff who act, so heads grow
// with the organisation, not with the cases.
func (tl *timelines) head(n *symbols, h entryHead) uint32 {
	if i, ok := tl.headOf[h]; ok {
		return i
	}
	h = entryHead{Type: n.intern(h.Type), Public: h.Public, Role: domain.Role(n.intern(string(h.Role))),
		Unit: n.intern(h.Unit), Actor: n.intern(h.Actor), Zone: h.Zone, Far: h.Far, Exact: h.Exact}
	i := uint32(len(tl.heads))
	tl.heads = append(tl.heads, h)
	tl.headOf[h] = i
	return i
}

// time returns the entry's time as Apply was given it, but for a
// monotonic clock reading, which no decoded time has.
func (tl *timelines) time(e entry) time.Time {
	h := &tl.heads[e.Head]
	if h.Far {
		return h.Exact
	}
	return time.Unix(0, e.At).In(h.Zone)
}

// expand returns the entry as the view's callers see it. Its text is a
// copy; its details are shared with the view, which never changes them.
func (tl *timelines) expand(e entry) TimelineEntry {
	h := &tl.heads[e.Head]
	return TimelineEntry{Seq: e.Seq, Type: h.Type, Time: tl.time(e), Public: h.Public, Role: h.Role,
		Unit: h.Unit, Actor: h.Actor, Text: tl.texts.get(e.Text), Data: tl.details.get(e.Data)}
}

// updatedAt is the time of the case's latest event.
func (tl *timelines) updatedAt(rec *caseRec) time.Time {
	return tl.time(rec.Timeline[len(rec.Timeline)-1])
}

// CaseView answers a case's status, timeline, unit, deadline and version.
type CaseView struct {
	mu      sync.RWMutex
	cases   map[uuid.UUID]*caseRec
	files   map[uuid.UUID][]domain.AttachmentAdded // the attachments of the cases that have any
	syms    *symbols
	tl      *timelines
	lastSeq uint64
}

// CaseViewSnapshotVersion is the version of the case view's snapshot
// (snapshot_caseview.go). Bump it whenever the state the view keeps changes:
// a field of caseRec, entry, entryHead, timelines (its details and texts),
// domain.Case or domain.AttachmentAdded added, removed, retyped or moved, or
// Apply filling any of them differently. A
// snapshot of another version is discarded and the view rebuilt from the
// log. TestSnapshotVersionsFollowStateShapes catches a changed struct that
// kept its version; a changed Apply is for the reviewer to catch.
const CaseViewSnapshotVersion = 8 // 8: domain.Case gained Denounced, which older snapshots lack

// NewCaseView returns an empty case view.
func NewCaseView() *CaseView {
	return &CaseView{cases: make(map[uuid.UUID]*caseRec), files: make(map[uuid.UUID][]domain.AttachmentAdded),
		syms: newSymbols(), tl: newTimelines()}
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
		rec = &caseRec{}
		v.cases[e.CaseID] = rec
	}
	rec.Case = v.syms.internCase(rec.Case, domain.Evolve(rec.Case, e))
	te := TimelineEntry{Type: e.Type(), Role: e.Actor.Role, Unit: e.Actor.Unit, Actor: e.Actor.ID}
	switch ev := e.Event.(type) {
	case domain.Reported:
		rec.Description, rec.OccurredAt = v.tl.texts.add(ev.Description), ev.OccurredAt
		te.Public = true
		te.Unit = rec.Case.Unit
	case domain.Accepted:
		te.Public, te.Text = true, ev.Note
	case domain.Rejected:
		te.Public, te.Text = true, ev.Reason
	case domain.Assigned:
		te.Public = true // the citizen sees that someone works on it, not who
	case domain.Transferred:
		te.Public, te.Text = true, ev.Reason
	case domain.InspectionRecorded:
		te.Text = ev.Findings
	case domain.MediationScheduled:
		te.Public, te.Text = true, ev.Place
	case domain.MediationHeld:
		te.Public = true
		te.Text = ev.Minutes
	case domain.DeadlineExtended:
		te.Public, te.Text = true, ev.Reason
	case domain.Escalated:
		te.Public, te.Text = true, ev.Reason
	case domain.Resolved:
		te.Public, te.Text = true, ev.Summary
	case domain.Closed:
		te.Public, te.Text = true, ev.Note
	case domain.Reopened:
		te.Public, te.Text = true, ev.Reason
	case domain.CommentAdded:
		te.Public, te.Text = ev.Public, ev.Text
	case domain.AttachmentAdded:
		v.files[e.CaseID] = append(v.files[e.CaseID], ev)
		te.Public = ev.Public
	case domain.FeedbackGiven:
		te.Public, te.Text = true, ev.Comment
	case domain.Reclassified:
		te.Public, te.Text = true, ev.Reason
	case domain.ReporterErased:
		te.Text = ev.Reason
	}
	rec.Timeline = appendEntry(rec.Timeline, v.tl.entry(v.syms, e.Seq, e.Time, te.Text, v.syms.entryDataOf(e.Event),
		entryHead{Type: te.Type, Public: te.Public, Role: te.Role, Unit: te.Unit, Actor: te.Actor}))
}

// appendEntry appends to a timeline growing it by two places, or by a
// quarter once it holds more than eight, rather than doubling it: most
// cases stop after a handful of events, so a timeline leaves at most one
// place unused up to twelve entries (a doubled one left up to half). With
// 32-byte entries each capacity up to twelve fills its size class exactly.
func appendEntry(tl []entry, e entry) []entry {
	if len(tl) == cap(tl) {
		grown := make([]entry, len(tl), len(tl)+max(2, len(tl)/4))
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
	return v.record(id, rec), true
}

// record returns a copy of the record of case id as the view's callers see
// it.
func (v *CaseView) record(id uuid.UUID, rec *caseRec) CaseRecord {
	out := CaseRecord{Case: rec.Case, Description: v.tl.texts.get(rec.Description), OccurredAt: rec.OccurredAt,
		UpdatedAt: v.tl.updatedAt(rec), Timeline: make([]TimelineEntry, len(rec.Timeline))}
	for i, e := range rec.Timeline {
		out.Timeline[i] = v.tl.expand(e)
	}
	out.Attachments = append([]domain.AttachmentAdded(nil), v.files[id]...)
	return out
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

// TimelineForOthers returns the public entries that someone other than
// the case's reporter may see: the reporter of a duplicate follows the
// case it duplicates by what the authorities did, not by what that case's
// reporter wrote or sent (the report, feedback, a reason to reopen, a
// photo's name), which could name them.
func (r CaseRecord) TimelineForOthers() []TimelineEntry {
	out := r.PublicTimeline()
	return slices.DeleteFunc(out, func(e TimelineEntry) bool { return e.Role == domain.RoleCitizen })
}
