package projections

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
)

// EntryData is the details of a timeline entry: the few fields its event
// carries beyond the text (a deadline, the units of a transfer, a file's
// name and size…). It is kept as compact typed fields rather than a
// map[string]any, which cost ≈ 730 bytes an entry, and renders as the JSON
// object the map did: the same keys, in key order, with the same values.
// It is immutable, so copies of a record share it safely.
type EntryData struct {
	shape dataShape
	t     time.Time // deadline, inspected_at or at
	a, b  string    // clock; from, to; assignee; outcome; decision; filename, content_type; of; category, kind
	n     int64     // days, size or rating
}

// dataShape says which keys an EntryData holds.
type dataShape uint8

const (
	shapeDeadlineClock dataShape = iota + 1 // clock (a), deadline (t)
	shapeAssignee                           // assignee (a)
	shapeFromTo                             // from (a), to (b)
	shapeInspectedAt                        // inspected_at (t)
	shapeAt                                 // at (t)
	shapeOutcome                            // outcome (a)
	shapeExtension                          // days (n), deadline (t), decision (a)
	shapeAttachment                         // content_type (b), filename (a), size (n)
	shapeDuplicateOf                        // of (a)
	shapeRating                             // rating (n)
	shapeReclassified                       // category (a), kind (b)
	shapeLast                               // not a shape: one past the last
)

// entryDataOf returns the details of an event, nil for one without any.
func (n *symbols) entryDataOf(e domain.Event) *EntryData {
	switch ev := e.(type) {
	case domain.Reported:
		return &EntryData{shape: shapeDeadlineClock, t: ev.Deadline, a: n.intern(string(ev.Clock))}
	case domain.Accepted:
		return &EntryData{shape: shapeDeadlineClock, t: ev.Deadline, a: n.intern(string(ev.Clock))}
	case domain.Assigned:
		return &EntryData{shape: shapeAssignee, a: n.intern(ev.Assignee)}
	case domain.Transferred:
		return &EntryData{shape: shapeFromTo, a: n.intern(ev.From), b: n.intern(ev.To)}
	case domain.Escalated:
		return &EntryData{shape: shapeFromTo, a: n.intern(ev.From), b: n.intern(ev.To)}
	case domain.InspectionRecorded:
		return &EntryData{shape: shapeInspectedAt, t: ev.InspectedAt}
	case domain.MediationScheduled:
		return &EntryData{shape: shapeAt, t: ev.At}
	case domain.MediationHeld:
		return &EntryData{shape: shapeOutcome, a: n.intern(string(ev.Outcome))}
	case domain.DeadlineExtended:
		return &EntryData{shape: shapeExtension, t: ev.Deadline, n: int64(ev.Days), a: ev.Decision}
	case domain.AttachmentAdded:
		return &EntryData{shape: shapeAttachment, a: ev.Filename, b: n.intern(ev.ContentType), n: ev.Size}
	case domain.DuplicateLinked:
		return &EntryData{shape: shapeDuplicateOf, a: ev.Of.String()}
	case domain.FeedbackGiven:
		return &EntryData{shape: shapeRating, n: int64(ev.Rating)}
	case domain.Reclassified:
		return &EntryData{shape: shapeReclassified, a: n.intern(string(ev.ToCategory)), b: n.intern(string(ev.ToKind))}
	}
	return nil
}

// Value returns a detail by its JSON key, typed as the event holds it
// (time.Time, string, domain.Clock, uuid.UUID, int, int64…), or nil if the
// entry has no such detail.
func (d *EntryData) Value(key string) any {
	if d == nil {
		return nil
	}
	for _, f := range d.fields() {
		if f.key == key {
			return f.value
		}
	}
	return nil
}

// Keys returns the detail keys, in order.
func (d *EntryData) Keys() []string {
	if d == nil {
		return nil
	}
	fs := d.fields()
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = f.key
	}
	return out
}

type dataField struct {
	key   string
	value any
}

// fields lists the details in key order, typed as the events hold them.
func (d *EntryData) fields() []dataField {
	switch d.shape {
	case shapeDeadlineClock:
		return []dataField{{"clock", domain.Clock(d.a)}, {"deadline", d.t}}
	case shapeAssignee:
		return []dataField{{"assignee", d.a}}
	case shapeFromTo:
		return []dataField{{"from", d.a}, {"to", d.b}}
	case shapeInspectedAt:
		return []dataField{{"inspected_at", d.t}}
	case shapeAt:
		return []dataField{{"at", d.t}}
	case shapeOutcome:
		return []dataField{{"outcome", domain.MediationOutcome(d.a)}}
	case shapeExtension:
		return []dataField{{"days", int(d.n)}, {"deadline", d.t}, {"decision", d.a}}
	case shapeAttachment:
		return []dataField{{"content_type", d.b}, {"filename", d.a}, {"size", d.n}}
	case shapeDuplicateOf:
		id, _ := uuid.Parse(d.a)
		return []dataField{{"of", id}}
	case shapeRating:
		return []dataField{{"rating", int(d.n)}}
	case shapeReclassified:
		return []dataField{{"category", domain.Category(d.a)}, {"kind", domain.Kind(d.b)}}
	}
	return nil
}

// MarshalJSON renders the details as one JSON object, keys in order, as
// encoding/json rendered the map they used to be kept in. Strings are
// written without HTML escaping: the encoder around it escapes them, or
// not, as it would have escaped the map's.
func (d EntryData) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	out := []byte{'{'}
	for i, f := range d.fields() {
		if i > 0 {
			out = append(out, ',')
		}
		out = strconv.AppendQuote(out, f.key) // keys are plain ASCII
		out = append(out, ':')
		switch v := f.value.(type) {
		case int:
			out = strconv.AppendInt(out, int64(v), 10)
		case int64:
			out = strconv.AppendInt(out, v, 10)
		default:
			buf.Reset()
			if err := enc.Encode(v); err != nil {
				return nil, err
			}
			out = append(out, bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})...)
		}
	}
	return append(out, '}'), nil
}

// dataSnapshot is an EntryData as a snapshot holds it.
type dataSnapshot struct {
	Shape uint8
	T     time.Time
	A, B  string
	N     int64
}

func (d *EntryData) snapshot() *dataSnapshot {
	if d == nil {
		return nil
	}
	return &dataSnapshot{Shape: uint8(d.shape), T: d.t, A: d.a, B: d.b, N: d.n}
}

func (s *dataSnapshot) restore(n *symbols) (*EntryData, bool) {
	if s == nil {
		return nil, true
	}
	if s.Shape == 0 || dataShape(s.Shape) >= shapeLast {
		return nil, false
	}
	return &EntryData{shape: dataShape(s.Shape), t: s.T, a: n.intern(s.A), b: n.intern(s.B), n: s.N}, true
}

// details holds the details of a view's timeline entries, numbered from 1
// (0 is an entry without any). Of each value whose details repeat across
// cases (a deadline, the end of a day, with its clock; an assignee; a
// transfer's units; an outcome; a rating) it keeps one, which every entry
// with that value shares: like symbols these grow with the organisation and
// the calendar, not with the cases. Details unique to their case (a file,
// a duplicate's id, an extension's decision, an inspection's time) are
// kept once each: sharing them would only grow the index.
type details struct {
	list   []*EntryData
	shared map[dataKey]uint32 // the number of each shared value
}

// dataKey is an EntryData by what it renders: t as its instant and zone
// offset rather than its *time.Location, of which every decoded time has
// its own.
type dataKey struct {
	shape dataShape
	sec   int64
	nsec  int
	off   int
	a, b  string
	n     int64
}

// add returns the number of d's value, keeping d if it has none yet; 0
// for nil.
func (ds *details) add(d *EntryData) uint32 {
	if d == nil {
		return 0
	}
	var k dataKey
	share := true
	switch d.shape {
	case shapeAttachment, shapeDuplicateOf, shapeExtension, shapeInspectedAt:
		share = false
	default:
		_, off := d.t.Zone()
		k = dataKey{shape: d.shape, sec: d.t.Unix(), nsec: d.t.Nanosecond(), off: off, a: d.a, b: d.b, n: d.n}
		if i, ok := ds.shared[k]; ok {
			return i
		}
	}
	ds.list = append(ds.list, d)
	i := uint32(len(ds.list))
	if share {
		ds.shared[k] = i
	}
	return i
}

// get returns the details numbered i, nil for 0.
func (ds *details) get(i uint32) *EntryData {
	if i == 0 {
		return nil
	}
	return ds.list[i-1]
}

// internCase shares the strings of a case that repeat across cases; prev
// is the case before the event, whose strings are shared already.
func (n *symbols) internCase(prev, c domain.Case) domain.Case {
	share := func(s, was string) string {
		if s == was {
			return was
		}
		return n.intern(s)
	}
	c.Unit, c.Assignee = share(c.Unit, prev.Unit), share(c.Assignee, prev.Assignee)
	c.Location.Commune = share(c.Location.Commune, prev.Location.Commune)
	c.Kind = domain.Kind(share(string(c.Kind), string(prev.Kind)))
	c.Category = domain.Category(share(string(c.Category), string(prev.Category)))
	c.Clock = domain.Clock(share(string(c.Clock), string(prev.Clock)))
	return c
}
