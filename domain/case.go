package domain

import (
	"slices"
	"time"

	"github.com/google/uuid"
)

// Status is where a case stands in its lifecycle.
type Status string

// Statuses, in lifecycle order.
const (
	StatusNew                Status = "" // before the report arrives
	StatusReceived           Status = "received"
	StatusAccepted           Status = "accepted"
	StatusRejected           Status = "rejected"
	StatusAssigned           Status = "assigned"
	StatusInProgress         Status = "in_progress"
	StatusMediationScheduled Status = "mediation_scheduled"
	StatusMediated           Status = "mediated"
	StatusEscalated          Status = "escalated"
	StatusResolved           Status = "resolved"
	StatusClosed             Status = "closed"
)

// Statuses lists every status a case can have, StatusNew first.
func Statuses() []Status {
	return []Status{StatusNew, StatusReceived, StatusAccepted, StatusRejected, StatusAssigned,
		StatusInProgress, StatusMediationScheduled, StatusMediated, StatusEscalated,
		StatusResolved, StatusClosed}
}

// Open311 maps a status to GeoReport v2's two states: everything before
// resolved or rejected is open.
func (s Status) Open311() string {
	switch s {
	case StatusResolved, StatusClosed, StatusRejected:
		return "closed"
	}
	return "open"
}

// Terminal reports whether nothing more happens to a case in this status
// unless it is reopened.
func (s Status) Terminal() bool {
	return s == StatusRejected || s == StatusClosed
}

// allowedFrom lists, for every event, the statuses a case may be in for the
// event to happen. It is the lifecycle of DESIGN.md §2 as one table; Decide
// consults it before any command-specific rule, and the tests walk it.
var allowedFrom = map[string][]Status{
	"reported":            {StatusNew},
	"accepted":            {StatusReceived},
	"rejected":            {StatusReceived},
	"assigned":            {StatusAccepted, StatusAssigned, StatusInProgress, StatusEscalated},
	"transferred":         {StatusReceived, StatusAccepted, StatusAssigned, StatusInProgress, StatusEscalated},
	"inspection_recorded": {StatusAssigned, StatusInProgress},
	"mediation_scheduled": {StatusAssigned, StatusInProgress, StatusMediationScheduled},
	"mediation_held":      {StatusMediationScheduled},
	"deadline_extended":   {StatusAccepted, StatusAssigned, StatusInProgress, StatusMediationScheduled, StatusEscalated},
	"escalated":           {StatusAccepted, StatusAssigned, StatusInProgress, StatusMediated},
	"resolved":            {StatusAssigned, StatusInProgress, StatusMediated},
	// An overdue escalation can be recorded while any clock runs.
	"escalated_overdue": {StatusReceived, StatusAccepted, StatusAssigned, StatusInProgress, StatusMediationScheduled, StatusMediated, StatusEscalated},
	"closed":            {StatusResolved},
	"reopened":          {StatusResolved, StatusClosed},
	"comment_added":     {StatusReceived, StatusAccepted, StatusRejected, StatusAssigned, StatusInProgress, StatusMediationScheduled, StatusMediated, StatusEscalated, StatusResolved, StatusClosed},
	"attachment_added":  {StatusReceived, StatusAccepted, StatusAssigned, StatusInProgress, StatusMediationScheduled, StatusMediated, StatusEscalated, StatusResolved},
	"duplicate_linked":  {StatusReceived, StatusAccepted, StatusAssigned, StatusInProgress},
	"feedback_given":    {StatusResolved, StatusClosed},
	"reclassified":      {StatusReceived, StatusAccepted, StatusAssigned, StatusInProgress},
	"reporter_erased":   {StatusReceived, StatusAccepted, StatusRejected, StatusAssigned, StatusInProgress, StatusMediationScheduled, StatusMediated, StatusEscalated, StatusResolved, StatusClosed},
}

// CanHappen reports whether an event of the type may happen to a case in the status.
func CanHappen(eventType string, s Status) bool {
	return slices.Contains(allowedFrom[eventType], s)
}

// Case is the state of one case, folded from its events. It holds what
// Decide needs to enforce the rules; read models keep their own views.
type Case struct {
	ID       uuid.UUID
	Version  uint64 // stream sequence of the last event; 0 for a case not yet reported
	Status   Status
	Kind     Kind
	Category Category
	Title    string
	Location Location
	Remote   bool
	Complex  bool
	// Escalated: handed to a higher authority at least once. It sits with
	// the other flags so that they share one word: the case view keeps a
	// Case for every case (projections TestRecordsFitTheirSizeClasses).
	Escalated bool

	Anonymous      bool
	ReporterErased bool
	// Denounced: reported as a denunciation. Its denouncer stays
	// protected (CanSeeReporter, PublicPoint) when the case is reclassified
	// as another kind: they gave their name under that protection. A case
	// reclassified as a denunciation is protected while it is one.
	Denounced bool
	Reporter  *SealedReporter
	Digest    string

	Unit     string
	Assignee string

	Clock      Clock
	Deadline   time.Time
	Extensions int

	ReceivedAt time.Time
	AcceptedAt time.Time
	ResolvedAt time.Time
	ClosedAt   time.Time

	MediationAt      time.Time
	MediationPlace   string
	Absences         int
	MediationOutcome MediationOutcome

	// OverdueEscalated is the deadline for which an overdue escalation was
	// recorded, so each missed deadline is escalated once.
	OverdueEscalated time.Time

	DuplicateOf     uuid.UUID
	Rating          int
	Attachments     int
	AttachmentBytes int64
}

// Evolve applies one stored event to a case. It cannot fail: the event is a
// fact, already decided and stored. Unknown combinations leave the status as
// it was rather than invent one.
func Evolve(c Case, env Envelope) Case {
	if env.Seq != 0 {
		c.Version = env.Seq
	}
	switch e := env.Event.(type) {
	case Reported:
		c.ID = env.CaseID
		c.Status = StatusReceived
		c.Kind, c.Category, c.Title = e.Kind, e.Category, e.Title
		c.Location, c.Remote = e.Location, e.Remote
		c.Anonymous, c.Reporter, c.Digest = e.Anonymous, e.Reporter, e.Digest
		c.Denounced = e.Kind == KindDenunciation
		c.Unit = e.Unit
		c.Clock, c.Deadline = e.Clock, e.Deadline
		c.ReceivedAt = env.Time
	case Accepted:
		c.Status = StatusAccepted
		c.Complex = e.Complex
		c.Clock, c.Deadline = e.Clock, e.Deadline
		c.Extensions = 0
		c.AcceptedAt = env.Time
	case Rejected:
		c.Status = StatusRejected
		c.Clock, c.Deadline = "", time.Time{}
	case Assigned:
		c.Status = StatusAssigned
		c.Assignee = e.Assignee
	case Transferred:
		c.Unit, c.Assignee = e.To, ""
		if c.Status != StatusReceived {
			c.Status = StatusAccepted
		}
	case InspectionRecorded:
		c.Status = StatusInProgress
	case MediationScheduled:
		c.Status = StatusMediationScheduled
		c.MediationAt, c.MediationPlace = e.At, e.Place
	case MediationHeld:
		c.Absences = e.Absences
		switch e.Outcome {
		case MediationAbsent:
			c.Status = StatusInProgress
		default:
			c.Status = StatusMediated
			c.MediationOutcome = e.Outcome
		}
	case DeadlineExtended:
		c.Deadline = e.Deadline
		c.Extensions++
	case Escalated:
		if e.Overdue {
			c.OverdueEscalated = e.Deadline
			break
		}
		c.Status = StatusEscalated
		c.Unit, c.Assignee = e.To, ""
		c.Escalated = true
	case Resolved:
		c.Status = StatusResolved
		c.ResolvedAt = env.Time
	case Closed:
		c.Status = StatusClosed
		c.ClosedAt = env.Time
	case Reopened:
		c.Status = StatusInProgress
		c.ResolvedAt, c.ClosedAt = time.Time{}, time.Time{}
	case AttachmentAdded:
		c.Attachments++
		c.AttachmentBytes += e.Size
	case DuplicateLinked:
		c.DuplicateOf = e.Of
	case FeedbackGiven:
		c.Rating = e.Rating
	case Reclassified:
		c.Category, c.Kind = e.ToCategory, e.ToKind
	case ReporterErased:
		c.ReporterErased = true
	case CommentAdded:
		// A comment changes nothing Decide needs.
	}
	return c
}

// Fold builds a case from its events in order.
func Fold(events []Envelope) Case {
	var c Case
	for _, e := range events {
		c = Evolve(c, e)
	}
	return c
}

// Overdue reports whether the case's current clock has run out at now.
func (c Case) Overdue(now time.Time) bool {
	return !c.Deadline.IsZero() && !c.Status.Terminal() && c.Status != StatusResolved && now.After(c.Deadline)
}
