package projections

import (
	"time"

	"github.com/google/uuid"

	"phananh/domain"
)

// caseCore is what the queues and the dashboard keep of a case: the fields
// they show, filter or count on, about a third of a domain.Case. It folds
// like a case: domain.Evolve sets each of these fields from the event, or
// (the status) from the status before it, never from a field left out, so
// evolving the full case rebuilt from its core gives the same core as
// evolving the whole case would.
type caseCore struct {
	ID       uuid.UUID
	Version  uint64
	Status   domain.Status
	Kind     domain.Kind
	Category domain.Category
	Title    string // empty in the dashboard
	Location struct{ Commune string }
	Unit     string
	Assignee string
	Deadline time.Time
	// ReceivedAt is when the case was reported.
	ReceivedAt time.Time
}

// full returns the core as a domain.Case, the fields left out zero.
func (k caseCore) full() domain.Case {
	return domain.Case{ID: k.ID, Version: k.Version, Status: k.Status, Kind: k.Kind, Category: k.Category,
		Title: k.Title, Location: domain.Location{Commune: k.Location.Commune}, Unit: k.Unit,
		Assignee: k.Assignee, Deadline: k.Deadline, ReceivedAt: k.ReceivedAt}
}

// Overdue is domain.Case.Overdue.
func (k caseCore) Overdue(now time.Time) bool { return k.full().Overdue(now) }

// core returns the core of a case, sharing the strings of prev (the core
// before the event) and those that repeat across cases.
func (n names) core(prev caseCore, c domain.Case) caseCore {
	c = n.internCase(prev.full(), c)
	k := caseCore{ID: c.ID, Version: c.Version, Status: c.Status, Kind: c.Kind, Category: c.Category,
		Title: c.Title, Unit: c.Unit, Assignee: c.Assignee, Deadline: c.Deadline, ReceivedAt: c.ReceivedAt}
	k.Location.Commune = c.Location.Commune
	return k
}
