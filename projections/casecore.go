package projections

import (
	"cmp"
	"strings"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
)

// caseCore is what the queues and the dashboard keep of a case: the fields
// they show, filter or count on, about a quarter of a domain.Case. It folds
// like a case: domain.Evolve sets each of these fields from the event, or
// (the status) from the status before it, never from a field left out, so
// evolving the full case rebuilt from its core gives the same core as
// evolving the whole case would.
//
// The strings that repeat across cases (status, kind, category, commune,
// unit, assignee) are kept as their numbers in the model's symbols: 4 bytes
// each instead of a 16-byte string header, and no pointer for the collector
// to follow. That takes a queue entry from the 288-byte size class to the
// 224-byte one and a dashboard case from 240 to 176 bytes (BENCHMARKS.md,
// sixth session). Its times are stamps, 16 bytes instead of a time.Time's
// 24, which takes a queue entry on to the 192-byte class and a dashboard
// case to the 144-byte one (seventh session).
type caseCore struct {
	ID       uuid.UUID
	Version  uint64
	Title    string // empty in the dashboard
	Deadline stamp
	Received stamp // when the case was reported

	status, kind, category, commune, unit, assignee sym
}

// stamp is a time as the read models keep it: its seconds since the zero
// time and its nanoseconds, which order and compare it exactly over
// time.Time's whole range, and the number of its location in the model's
// coreSymbols, so that it is given back with the zone it came with (a
// deadline's +07:00, an event's UTC). The zero stamp is the zero time. A
// stamp made without symbols (instant) has zone 0, UTC: it seeks a tree or
// stands in a cursor, which only compare it or write it in UTC.
type stamp struct {
	sec  int64 // since January 1, year 1, 00:00 UTC, as time.Time counts
	nsec int32
	zone uint32
}

// zeroSec is the Unix seconds of the zero time.
var zeroSec = time.Time{}.Unix()

// instant is t's stamp in zone 0. (Unix seconds can wrap for times near
// the ends of time.Time's range; subtracting zeroSec wraps them back.)
func instant(t time.Time) stamp {
	return stamp{sec: t.Unix() - zeroSec, nsec: int32(t.Nanosecond())}
}

// utc is the stamp's time in UTC.
func (a stamp) utc() time.Time { return time.Unix(a.sec+zeroSec, int64(a.nsec)).UTC() }

func (a stamp) IsZero() bool { return a.sec == 0 && a.nsec == 0 }

// Compare orders stamps by the instant they stand for, as time.Compare.
func (a stamp) Compare(b stamp) int {
	if a.sec != b.sec {
		return cmp.Compare(a.sec, b.sec)
	}
	return cmp.Compare(a.nsec, b.nsec)
}

// Equal reports whether a and b stand for the same instant, in whatever
// zones, as time.Equal.
func (a stamp) Equal(b stamp) bool { return a.sec == b.sec && a.nsec == b.nsec }

// stamp returns t's stamp, numbering its location if it is new.
func (ss *coreSymbols) stamp(t time.Time) stamp {
	st := instant(t)
	key := zoneKey{loc: t.Location()}
	if key.loc.String() == "" {
		// An unnamed fixed zone, as time.Parse makes for an offset. It
		// shares one for each whole hour, but makes a new one for every
		// time at any other offset (+05:30, say): numbered by location,
		// each such time would add a zone for good. So these are numbered
		// by their offset, and a time comes back in the first location
		// seen at its offset: the same instant, name and offset, equal by
		// time.Equal though not always by ==.
		_, key.offset = t.Zone()
		key.loc = nil
	}
	n, ok := ss.zoneOf[key]
	if !ok {
		n = uint32(len(ss.zones))
		ss.zones = append(ss.zones, t.Location())
		ss.zoneOf[key] = n
	}
	st.zone = n
	return st
}

// zoneKey is what numbers a location among a model's zones: the location
// itself, or the offset of an unnamed fixed zone.
type zoneKey struct {
	loc    *time.Location
	offset int
}

// time returns the time a stamp was made from: the same instant in the
// same location, equal to it by == (but for a monotonic clock reading,
// which no decoded time has, and for an unnamed zone, which may be another
// location with the same offset; stamp).
func (ss *coreSymbols) time(st stamp) time.Time { return st.utc().In(ss.zones[st.zone]) }

// sym is a string's number in a model's symbols; 0 is the empty string.
type sym uint32

// symbols holds one copy of each string that repeats across cases (a
// status, a kind, a category, a commune, a unit, a role, a staff id), so
// that each case does not keep its own copy as decoded from its events, and
// numbers them: the queues and the dashboard keep the numbers, the case
// view the strings (intern). A model keeps one, guarded by its lock; it
// grows with the organisation, not with the cases.
type symbols struct {
	of   map[string]sym
	list []string // list[0] is ""
}

func newSymbols() *symbols {
	return &symbols{of: map[string]sym{"": 0}, list: []string{""}}
}

// coreSymbols are the symbols of a model that keeps case cores (the queues
// and the dashboard): the strings, and the locations of the cores' stamps,
// numbered as the strings are. There are a few locations (UTC, the +07:00
// that deadlines are decoded in; one per offset for unnamed zones),
// however many cases.
type coreSymbols struct {
	symbols
	zoneOf map[zoneKey]uint32
	zones  []*time.Location // zones[0] is UTC
}

func newCoreSymbols() *coreSymbols {
	return &coreSymbols{symbols: *newSymbols(),
		zoneOf: map[zoneKey]uint32{{loc: time.UTC}: 0}, zones: []*time.Location{time.UTC}}
}

// sym returns the number of s, numbering it if it is new.
func (ss *symbols) sym(s string) sym {
	if n, ok := ss.of[s]; ok {
		return n
	}
	s = strings.Clone(s) // not a slice of a larger decoded buffer
	n := sym(len(ss.list))
	ss.list = append(ss.list, s)
	ss.of[s] = n
	return n
}

// str returns the string numbered n.
func (ss *symbols) str(n sym) string { return ss.list[n] }

// intern returns the copy of s that ss keeps.
func (ss *symbols) intern(s string) string { return ss.list[ss.sym(s)] }

// core returns the core of a case; prev is the core before the event,
// whose numbers are reused for the strings that did not change.
func (ss *coreSymbols) core(prev caseCore, c domain.Case) caseCore {
	num := func(s string, was sym) sym {
		if s == ss.list[was] {
			return was
		}
		return ss.sym(s)
	}
	return caseCore{ID: c.ID, Version: c.Version, Title: c.Title, Deadline: ss.stamp(c.Deadline), Received: ss.stamp(c.ReceivedAt),
		status: num(string(c.Status), prev.status), kind: num(string(c.Kind), prev.kind),
		category: num(string(c.Category), prev.category), commune: num(c.Location.Commune, prev.commune),
		unit: num(c.Unit, prev.unit), assignee: num(c.Assignee, prev.assignee)}
}

// full returns the core as a domain.Case, the fields left out zero.
func (ss *coreSymbols) full(k caseCore) domain.Case {
	return domain.Case{ID: k.ID, Version: k.Version, Status: domain.Status(ss.str(k.status)),
		Kind: domain.Kind(ss.str(k.kind)), Category: domain.Category(ss.str(k.category)), Title: k.Title,
		Location: domain.Location{Commune: ss.str(k.commune)}, Unit: ss.str(k.unit),
		Assignee: ss.str(k.assignee), Deadline: ss.time(k.Deadline), ReceivedAt: ss.time(k.Received)}
}

// overdue is domain.Case.Overdue.
func (ss *coreSymbols) overdue(k caseCore, now time.Time) bool { return ss.full(k).Overdue(now) }
