package domain

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// Event is a fact that happened to a case. Its EventType is the stable,
// past-tense name stored in the log; it and the JSON field names of the
// struct are a contract with every stored event and are never renamed.
type Event interface {
	EventType() string
}

// Actor says who caused an event: a citizen (often anonymous), a staff
// member of a unit, or the system itself (a timer, a migration).
type Actor struct {
	ID   string `json:"id,omitempty"`
	Role Role   `json:"role"`
	Unit string `json:"unit,omitempty"`
}

// Role is what an actor may do. Staff roles are enforced in issue 3's
// workflow; the domain records them on every event so the log says who acted.
type Role string

// Roles.
const (
	RoleCitizen     Role = "citizen"
	RoleOfficer     Role = "officer"
	RoleUnitHead    Role = "unit_head"
	RoleCoordinator Role = "coordinator"
	RoleSupervisor  Role = "supervisor"
	RoleLeader      Role = "leader"
	RoleAdmin       Role = "admin"
	RoleSystem      Role = "system"
)

// Envelope is an event with the facts about the event itself: its id, the
// case it belongs to, when and by whom it happened, and, once stored, its
// position in the log. The event store maps these fields to CloudEvents
// headers; the Event is the JSON body.
type Envelope struct {
	ID            uuid.UUID // unique event id (UUIDv7), also the de-duplication id
	CaseID        uuid.UUID
	Time          time.Time
	Actor         Actor
	CorrelationID string // the command (request) that caused it
	Event         Event

	// Seq is the event's stream sequence; zero until the event is stored.
	Seq uint64
}

// Type returns the stored name of the envelope's event.
func (e Envelope) Type() string { return e.Event.EventType() }

// eventFactories builds an empty event of each stored type, so the log can be
// decoded without reflection on names.
var eventFactories = map[string]func() Event{
	"reported":            func() Event { return &Reported{} },
	"accepted":            func() Event { return &Accepted{} },
	"rejected":            func() Event { return &Rejected{} },
	"assigned":            func() Event { return &Assigned{} },
	"transferred":         func() Event { return &Transferred{} },
	"inspection_recorded": func() Event { return &InspectionRecorded{} },
	"mediation_scheduled": func() Event { return &MediationScheduled{} },
	"mediation_held":      func() Event { return &MediationHeld{} },
	"deadline_extended":   func() Event { return &DeadlineExtended{} },
	"escalated":           func() Event { return &Escalated{} },
	"resolved":            func() Event { return &Resolved{} },
	"closed":              func() Event { return &Closed{} },
	"reopened":            func() Event { return &Reopened{} },
	"comment_added":       func() Event { return &CommentAdded{} },
	"attachment_added":    func() Event { return &AttachmentAdded{} },
	"duplicate_linked":    func() Event { return &DuplicateLinked{} },
	"feedback_given":      func() Event { return &FeedbackGiven{} },
	"reclassified":        func() Event { return &Reclassified{} },
	"reporter_erased":     func() Event { return &ReporterErased{} },
}

// EventTypes lists every stored event type, in the order of DESIGN.md §2.
func EventTypes() []string {
	return []string{"reported", "accepted", "rejected", "assigned", "transferred",
		"inspection_recorded", "mediation_scheduled", "mediation_held",
		"deadline_extended", "escalated", "resolved", "closed", "reopened",
		"comment_added", "attachment_added", "duplicate_linked", "feedback_given",
		"reclassified", "reporter_erased"}
}

// DecodeEvent turns a stored type name and JSON body back into an Event
// (a value, not a pointer). Unknown types are an error: a reader older than
// the log must fail loudly rather than silently skip facts.
func DecodeEvent(eventType string, data []byte) (Event, error) {
	return DecodeEventWith(eventType, data, json.Unmarshal)
}

// DecodeEventWith is DecodeEvent with another JSON decoder: unmarshal is
// called with the body and a pointer to an empty event of the type. The
// event store passes a faster decoder than encoding/json's; the domain
// itself stays on the standard library.
func DecodeEventWith(eventType string, data []byte, unmarshal func([]byte, any) error) (Event, error) {
	factory, ok := eventFactories[eventType]
	if !ok {
		return nil, fmt.Errorf("domain: unknown event type %q", eventType)
	}
	ptr := factory()
	if err := unmarshal(data, ptr); err != nil {
		return nil, fmt.Errorf("domain: decode %s: %w", eventType, err)
	}
	return deref(ptr), nil
}

// deref returns the value an event factory's pointer points to, so that
// decoded events compare equal to the values Decide produced.
func deref(e Event) Event {
	switch v := e.(type) {
	case *Reported:
		return *v
	case *Accepted:
		return *v
	case *Rejected:
		return *v
	case *Assigned:
		return *v
	case *Transferred:
		return *v
	case *InspectionRecorded:
		return *v
	case *MediationScheduled:
		return *v
	case *MediationHeld:
		return *v
	case *DeadlineExtended:
		return *v
	case *Escalated:
		return *v
	case *Resolved:
		return *v
	case *Closed:
		return *v
	case *Reopened:
		return *v
	case *CommentAdded:
		return *v
	case *AttachmentAdded:
		return *v
	case *DuplicateLinked:
		return *v
	case *FeedbackGiven:
		return *v
	case *Reclassified:
		return *v
	case *ReporterErased:
		return *v
	}
	return e
}
