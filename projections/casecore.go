package projections

import (
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
// sixth session).
type caseCore struct {
	ID         uuid.UUID
	Version    uint64
	Title      string // empty in the dashboard
	Deadline   time.Time
	ReceivedAt time.Time // when the case was reported

	status, kind, category, commune, unit, assignee sym
}

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
func (ss *symbols) core(prev caseCore, c domain.Case) caseCore {
	num := func(s string, was sym) sym {
		if s == ss.list[was] {
			return was
		}
		return ss.sym(s)
	}
	return caseCore{ID: c.ID, Version: c.Version, Title: c.Title, Deadline: c.Deadline, ReceivedAt: c.ReceivedAt,
		status: num(string(c.Status), prev.status), kind: num(string(c.Kind), prev.kind),
		category: num(string(c.Category), prev.category), commune: num(c.Location.Commune, prev.commune),
		unit: num(c.Unit, prev.unit), assignee: num(c.Assignee, prev.assignee)}
}

// full returns the core as a domain.Case, the fields left out zero.
func (ss *symbols) full(k caseCore) domain.Case {
	return domain.Case{ID: k.ID, Version: k.Version, Status: domain.Status(ss.str(k.status)),
		Kind: domain.Kind(ss.str(k.kind)), Category: domain.Category(ss.str(k.category)), Title: k.Title,
		Location: domain.Location{Commune: ss.str(k.commune)}, Unit: ss.str(k.unit),
		Assignee: ss.str(k.assignee), Deadline: k.Deadline, ReceivedAt: k.ReceivedAt}
}

// overdue is domain.Case.Overdue.
func (ss *symbols) overdue(k caseCore, now time.Time) bool { return ss.full(k).Overdue(now) }
