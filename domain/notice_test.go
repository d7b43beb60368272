package domain_test

import (
	"slices"
	"testing"

	"phananh/domain"
)

func TestTold(t *testing.T) {
	received := domain.Case{Status: domain.StatusReceived, Unit: "ubnd.lao-cai"}
	accepted := domain.Case{Status: domain.StatusAccepted, Unit: "ubnd.lao-cai"}
	moved := domain.Case{Status: domain.StatusReceived, Unit: "so.tnmt"}
	tests := []struct {
		name           string
		before, after  domain.Case
		event          domain.Event
		reporter, unit bool
	}{
		{"a report opens the case", domain.Case{}, received, domain.Reported{}, true, true},
		{"acceptance changes the status", received, accepted, domain.Accepted{}, true, true},
		{"a transfer changes the unit", received, moved, domain.Transferred{}, true, true},
		{"an overdue escalation tells only the unit", received, received, domain.Escalated{Overdue: true}, false, true},
		{"a comment tells no one", accepted, accepted, domain.CommentAdded{}, false, false},
		{"feedback tells no one", accepted, accepted, domain.FeedbackGiven{}, false, false},
		{"an extension tells no one", accepted, accepted, domain.DeadlineExtended{}, false, false},
		{"an event that may tell but changed nothing tells no one", accepted, accepted, domain.Assigned{}, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reporter, unit := domain.Told(tt.before, tt.after, tt.event)
			if reporter != tt.reporter || unit != tt.unit {
				t.Errorf("Told = reporter %v, unit %v; want %v, %v", reporter, unit, tt.reporter, tt.unit)
			}
		})
	}
}

// Every event that may tell is a stored event type: a misspelt name would
// silently tell no one.
func TestMayTellNamesStoredEvents(t *testing.T) {
	types := domain.EventTypes()
	told := 0
	for _, name := range types {
		if domain.MayTell(name) {
			told++
		}
	}
	if told != 12 {
		t.Errorf("%d stored event types may tell, want the 12 that can change a status or a unit", told)
	}
	if domain.MayTell("comment_added") || !slices.Contains(types, "reopened") || !domain.MayTell("reopened") {
		t.Error("comments must never tell; reopening must")
	}
}
