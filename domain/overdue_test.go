package domain_test

import (
	"testing"
	"time"

	"phananh/domain"
)

func TestEscalateOverdue(t *testing.T) {
	// The complaint's accept clock ends 12 March 2026; grace is one day.
	received := []domain.Event{complaintReported}
	grace := 24 * time.Hour
	before := endOfDay(2026, 3, 13)                 // within the grace period
	after := endOfDay(2026, 3, 13).Add(time.Minute) // past it
	system := domain.Actor{Role: domain.RoleSystem}

	c := given(received...)
	if domain.DueForOverdueEscalation(c, before, grace) {
		t.Error("due within the grace period")
	}
	if _, err := domain.Decide(c, domain.EscalateOverdue{Grace: grace}, before, defaults); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("escalate within the grace period: %v, want conflict", err)
	}
	if !domain.DueForOverdueEscalation(c, after, grace) {
		t.Error("not due past the grace period")
	}
	if err := domain.Authorize(system, c, domain.EscalateOverdue{}); err != nil {
		t.Errorf("the system may escalate: %v", err)
	}
	events, err := domain.Decide(c, domain.EscalateOverdue{Grace: grace}, after, defaults)
	if err != nil {
		t.Fatal(err)
	}
	esc := events[0].(domain.Escalated)
	if !esc.Overdue || esc.To != c.Unit || !esc.Deadline.Equal(c.Deadline) {
		t.Fatalf("event = %+v, want an overdue escalation that keeps the unit", esc)
	}
	c2 := given(append(received, esc)...)
	if c2.Status != domain.StatusReceived || c2.Unit != c.Unit {
		t.Errorf("status, unit = %s, %s; an overdue escalation changes neither", c2.Status, c2.Unit)
	}
	if domain.DueForOverdueEscalation(c2, after, grace) {
		t.Error("still due after it was escalated")
	}
	if _, err := domain.Decide(c2, domain.EscalateOverdue{Grace: grace}, after, defaults); domain.ErrorCode(err) != domain.ECONFLICT {
		t.Errorf("second escalation of the same deadline: %v, want conflict", err)
	}
	// Acceptance starts a new clock; missing that one escalates again.
	c3 := given(append(received, esc, acceptedToResolve)...)
	if !domain.DueForOverdueEscalation(c3, endOfDay(2026, 4, 5), grace) {
		t.Error("a new missed deadline is not due")
	}
	// A closed case is never overdue.
	closed := given(historyFor(domain.StatusClosed)...)
	if domain.DueForOverdueEscalation(closed, endOfDay(2027, 1, 1), grace) {
		t.Error("a closed case is due")
	}
}
