package domain

import (
	"fmt"
	"time"
)

// EscalateOverdue records that the case's clock ran out more than Grace
// ago. The system sends it; it is decided like any command, so two replicas
// sending it for the same missed deadline cannot both record it: the second
// is refused, by this rule or by the append's version check.
type EscalateOverdue struct {
	Grace time.Duration
}

// EventType implements Command.
func (EscalateOverdue) EventType() string { return "escalated" }

// lifecycleKey lets an overdue escalation happen in statuses a hand-over to
// a higher authority cannot: it changes neither status nor unit.
func (EscalateOverdue) lifecycleKey() string { return "escalated_overdue" }

func (x EscalateOverdue) decide(c Case, now time.Time, _ Rules) ([]Event, error) {
	if c.Deadline.IsZero() {
		return nil, Errorf(ECONFLICT, "no clock runs on this case")
	}
	if !now.After(c.Deadline.Add(x.Grace)) {
		return nil, Errorf(ECONFLICT, "the case is not overdue past the grace period")
	}
	if c.OverdueEscalated.Equal(c.Deadline) {
		return nil, Errorf(ECONFLICT, "this missed deadline was already escalated")
	}
	reason := fmt.Sprintf("Quá hạn %s: hạn %s đã qua; chuyển lãnh đạo đơn vị xem xét.",
		c.Clock, c.Deadline.In(Vietnam).Format("02/01/2006 15:04"))
	return []Event{Escalated{From: c.Unit, To: c.Unit, Reason: reason, Overdue: true, Deadline: c.Deadline}}, nil
}

// DueForOverdueEscalation reports whether the system should escalate the
// case at now: its clock ran out more than grace ago and that deadline was
// not escalated yet. The overdue worker scans read models with it.
func DueForOverdueEscalation(c Case, now time.Time, grace time.Duration) bool {
	return CanHappen("escalated_overdue", c.Status) && !c.Deadline.IsZero() &&
		now.After(c.Deadline.Add(grace)) && !c.OverdueEscalated.Equal(c.Deadline)
}
