package domain

import (
	"time"

	"github.com/google/uuid"
)

// Accept records the decision to handle a case (thụ lý) and starts the
// clock of the accepted phase. Complex selects the longer limit where the
// law has one (complaints: 45 days instead of 30).
type Accept struct {
	Complex bool
	Note    string
}

// Reject declines a case (không thụ lý); the law requires a reason.
type Reject struct{ Reason string }

// Assign gives the case to an officer of its unit. AssigneeUnit and
// AssigneeRole are the assignee's as the staff directory knows them; the
// application fills them in, and anyone but an officer or unit head of the
// case's unit is refused.
type Assign struct {
	Assignee     string
	AssigneeUnit string
	AssigneeRole Role
	Note         string
}

// Transfer moves the case to the unit competent for it.
type Transfer struct {
	To     string
	Reason string
}

// RecordInspection records a field inspection and starts the work.
type RecordInspection struct {
	InspectedAt time.Time
	Findings    string
}

// Escalate hands the case to a higher or competent authority, e.g. a land
// dispute whose mediation failed.
type Escalate struct {
	To     string
	Reason string
}

// Resolve settles the case with an answer or decision, and the measures taken.
type Resolve struct {
	Summary  string
	Measures string
}

// Close files a resolved case.
type Close struct{ Note string }

// Reopen returns a resolved or closed case to work.
type Reopen struct{ Reason string }

// ExtendDeadline extends the current clock by a written decision, where
// the kind's rule allows extensions.
type ExtendDeadline struct {
	Decision string
	Reason   string
	Days     int
}

// EventType implementations.
func (Accept) EventType() string           { return "accepted" }
func (Reject) EventType() string           { return "rejected" }
func (Assign) EventType() string           { return "assigned" }
func (Transfer) EventType() string         { return "transferred" }
func (RecordInspection) EventType() string { return "inspection_recorded" }
func (Escalate) EventType() string         { return "escalated" }
func (Resolve) EventType() string          { return "resolved" }
func (Close) EventType() string            { return "closed" }
func (Reopen) EventType() string           { return "reopened" }
func (ExtendDeadline) EventType() string   { return "deadline_extended" }

func (a Accept) decide(c Case, now time.Time, r Rules) ([]Event, error) {
	note, err := checkText("note", a.Note, false, MaxReason)
	if err != nil {
		return nil, err
	}
	if c.Kind == KindDenunciation && c.Anonymous {
		return nil, Errorf(ECONFLICT, "an anonymous denunciation is not accepted as a denunciation; reclassify it as a petition")
	}
	rule, ok := r.Policy.Deadlines.Rule(c.Kind, PhaseAccepted)
	if !ok {
		return nil, Errorf(EINTERNAL, "no accepted-phase clock for %s", c.Kind)
	}
	start := now
	if rule.StartsOn == "reported" {
		start = c.ReceivedAt
	}
	due := r.Policy.Deadlines.Due(start, rule.DaysFor(c.Remote, a.Complex), rule.WorkingDays)
	return []Event{Accepted{Complex: a.Complex, Note: note, Clock: rule.Clock, Deadline: due}}, nil
}

func (j Reject) decide(Case, time.Time, Rules) ([]Event, error) {
	reason, err := checkText("reason", j.Reason, true, MaxReason)
	if err != nil {
		return nil, err
	}
	return []Event{Rejected{Reason: reason}}, nil
}

func (a Assign) decide(c Case, _ time.Time, _ Rules) ([]Event, error) {
	who, err := checkText("assignee", a.Assignee, true, MaxCode)
	if err != nil {
		return nil, err
	}
	note, err := checkText("note", a.Note, false, MaxReason)
	if err != nil {
		return nil, err
	}
	// Only officers and unit heads work cases (Authorize): a case assigned
	// to a leader, coordinator, supervisor or admin would sit still.
	if a.AssigneeRole != "" && a.AssigneeRole != RoleOfficer && a.AssigneeRole != RoleUnitHead {
		return nil, FieldErrorf(EINVALID, "officer", "cases are assigned to officers and unit heads; %s is neither", who)
	}
	if a.AssigneeUnit != "" && a.AssigneeUnit != c.Unit {
		return nil, FieldErrorf(EFORBIDDEN, "officer", "%s works for %s, not for %s, which has the case", who, a.AssigneeUnit, c.Unit)
	}
	if who == c.Assignee && c.Status == StatusAssigned {
		return nil, FieldErrorf(ECONFLICT, "assignee", "the case is already assigned to %s", who)
	}
	return []Event{Assigned{Assignee: who, Note: note}}, nil
}

func (t Transfer) decide(c Case, _ time.Time, r Rules) ([]Event, error) {
	reason, err := checkText("reason", t.Reason, true, MaxReason)
	if err != nil {
		return nil, err
	}
	if _, ok := r.Geo.Unit(t.To); !ok {
		return nil, FieldErrorf(EINVALID, "to", "unknown unit %q", t.To)
	}
	if t.To == c.Unit {
		return nil, FieldErrorf(EINVALID, "to", "the case is already with %s", t.To)
	}
	return []Event{Transferred{From: c.Unit, To: t.To, Reason: reason}}, nil
}

func (i RecordInspection) decide(c Case, now time.Time, _ Rules) ([]Event, error) {
	findings, err := checkText("findings", i.Findings, true, MaxComment)
	if err != nil {
		return nil, err
	}
	at := i.InspectedAt
	if at.IsZero() {
		at = now
	}
	if at.After(now.Add(10 * time.Minute)) {
		return nil, FieldErrorf(EInvalidTime, "inspected_at", "an inspection cannot be recorded before it happens")
	}
	// An inspection made for the case is dated from the day it came in
	// (a date without a time is that day's midnight): an earlier one, or
	// year 1, would stay in the log for good.
	if y, m, d := c.ReceivedAt.In(Vietnam).Date(); at.Before(time.Date(y, m, d, 0, 0, 0, 0, Vietnam)) {
		return nil, FieldErrorf(EInvalidTime, "inspected_at", "the case came in on %d-%02d-%02d; an inspection for it cannot be dated before", y, m, d)
	}
	return []Event{InspectionRecorded{InspectedAt: at, Findings: findings}}, nil
}

func (e Escalate) decide(c Case, _ time.Time, r Rules) ([]Event, error) {
	reason, err := checkText("reason", e.Reason, true, MaxReason)
	if err != nil {
		return nil, err
	}
	to, ok := r.Geo.Unit(e.To)
	if !ok {
		return nil, FieldErrorf(EINVALID, "to", "unknown unit %q", e.To)
	}
	if e.To == c.Unit {
		return nil, FieldErrorf(EINVALID, "to", "the case is already with %s", e.To)
	}
	// Escalation goes up, to a competent authority; a case moves between
	// units of one tier by transfer, which is the coordinator's. Past the
	// top tier it may go on to another authority (a ministry, a central
	// inspectorate) that a geography lists.
	from, _ := r.Geo.Unit(c.Unit)
	if onwards := from.Type == UnitAuthority && to.Type == UnitAuthority; to.Type.Level() <= from.Type.Level() && !onwards {
		return nil, FieldErrorf(EINVALID, "to", "%s (%s) is not a higher authority than %s (%s); a coordinator transfers cases between units",
			e.To, to.Type, c.Unit, from.Type)
	}
	if c.Status == StatusMediated && c.MediationOutcome == MediationAgreed {
		return nil, Errorf(ECONFLICT, "the parties agreed at mediation; resolve the case instead")
	}
	return []Event{Escalated{From: c.Unit, To: e.To, Reason: reason}}, nil
}

func (s Resolve) decide(c Case, _ time.Time, _ Rules) ([]Event, error) {
	summary, err := checkText("summary", s.Summary, true, MaxComment)
	if err != nil {
		return nil, err
	}
	if c.Status == StatusMediated && c.MediationOutcome != MediationAgreed {
		return nil, Errorf(ECONFLICT, "mediation failed; refer the dispute to the competent authority (escalate)")
	}
	if c.Kind == KindLandDispute && c.MediationOutcome != MediationAgreed && !c.Escalated {
		// Land Law 2024, Art. 235: commune mediation comes before any decision.
		return nil, Errorf(ECONFLICT, "a land dispute is mediated at the commune before it is resolved")
	}
	measures, err := checkText("measures", s.Measures, false, MaxComment)
	if err != nil {
		return nil, err
	}
	return []Event{Resolved{Summary: summary, Measures: measures}}, nil
}

func (x Close) decide(Case, time.Time, Rules) ([]Event, error) {
	note, err := checkText("note", x.Note, false, MaxReason)
	if err != nil {
		return nil, err
	}
	return []Event{Closed{Note: note}}, nil
}

func (o Reopen) decide(Case, time.Time, Rules) ([]Event, error) {
	reason, err := checkText("reason", o.Reason, true, MaxReason)
	if err != nil {
		return nil, err
	}
	return []Event{Reopened{Reason: reason}}, nil
}

func (x ExtendDeadline) decide(c Case, _ time.Time, r Rules) ([]Event, error) {
	decision, err := checkText("decision", x.Decision, true, MaxCode)
	if err != nil {
		return nil, err
	}
	reason, err := checkText("reason", x.Reason, true, MaxReason)
	if err != nil {
		return nil, err
	}
	phase := PhaseAccepted
	if c.Status == StatusReceived {
		phase = PhaseReceived
	}
	rule, ok := r.Policy.Deadlines.Rule(c.Kind, phase)
	if !ok || rule.MaxExtensions == 0 {
		return nil, Errorf(ECONFLICT, "the law allows no extension of this %s clock for a %s", c.Clock, c.Kind)
	}
	if c.Extensions >= rule.MaxExtensions {
		return nil, Errorf(ELimitReached, "the deadline was already extended %d times, the most allowed", c.Extensions)
	}
	if x.Days <= 0 || x.Days > rule.ExtensionDays {
		return nil, FieldErrorf(EINVALID, "days", "an extension is 1 to %d days", rule.ExtensionDays)
	}
	due := r.Policy.Deadlines.Due(c.Deadline, x.Days, rule.WorkingDays)
	return []Event{DeadlineExtended{Decision: decision, Reason: reason, Days: x.Days, Deadline: due}}, nil
}

// LinkDuplicate marks the case as a duplicate of another one.
type LinkDuplicate struct{ Of uuid.UUID }

// EventType implements Command.
func (LinkDuplicate) EventType() string { return "duplicate_linked" }

func (l LinkDuplicate) decide(c Case, _ time.Time, _ Rules) ([]Event, error) {
	if l.Of == uuid.Nil {
		return nil, FieldErrorf(EInvalidID, "of", "give the id of the original case")
	}
	if l.Of == c.ID {
		return nil, FieldErrorf(EINVALID, "of", "a case cannot duplicate itself")
	}
	if c.DuplicateOf != uuid.Nil {
		return nil, Errorf(ECONFLICT, "the case is already linked to %s", c.DuplicateOf)
	}
	return []Event{DuplicateLinked{Of: l.Of}}, nil
}
