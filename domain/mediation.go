package domain

import "time"

// ScheduleMediation fixes a commune mediation session for a land dispute,
// with the council that will hold it.
type ScheduleMediation struct {
	At      time.Time
	Place   string
	Council []CouncilMember
}

// RecordMediation records how a mediation session went: who attended, the
// outcome, and the minutes (biên bản), whose signed copy is attached as a file.
type RecordMediation struct {
	Outcome    MediationOutcome
	Attendance []Attendee
	Minutes    string
}

// Limits on mediation records.
const (
	MaxCouncil    = 15
	MaxAttendance = 50
)

// EventType implementations.
func (ScheduleMediation) EventType() string { return "mediation_scheduled" }
func (RecordMediation) EventType() string   { return "mediation_held" }

func (s ScheduleMediation) decide(c Case, now time.Time, _ Rules) ([]Event, error) {
	if c.Kind != KindLandDispute {
		return nil, Errorf(ECONFLICT, "only land disputes go to commune mediation")
	}
	place, err := checkText("place", s.Place, true, MaxAddress)
	if err != nil {
		return nil, err
	}
	council, err := checkCouncil(s.Council)
	if err != nil {
		return nil, err
	}
	if !s.At.After(now) {
		return nil, FieldErrorf(EInvalidTime, "at", "a mediation is scheduled in the future")
	}
	if s.At.After(now.AddDate(1, 0, 0)) {
		return nil, FieldErrorf(EInvalidTime, "at", "a mediation is scheduled within a year")
	}
	return []Event{MediationScheduled{At: s.At, Place: place, Council: council}}, nil
}

// checkCouncil validates a mediation council: named members with known
// roles, the Fatherland Front among them (Decree 102/2024, Art. 105).
func checkCouncil(members []CouncilMember) ([]CouncilMember, error) {
	if len(members) == 0 {
		return nil, FieldErrorf(ERequired, "council", "name the members of the mediation council")
	}
	if len(members) > MaxCouncil {
		return nil, FieldErrorf(ETooLong, "council", "a council has at most %d members", MaxCouncil)
	}
	out := make([]CouncilMember, len(members))
	front := false
	for i, m := range members {
		name, err := checkText("council.name", m.Name, true, MaxName)
		if err != nil {
			return nil, err
		}
		switch m.Role {
		case CouncilChair, CouncilRegular:
		case CouncilFront:
			front = true
		default:
			return nil, FieldErrorf(EINVALID, "council.role", "a council member's role is chair, member or fatherland_front")
		}
		out[i] = CouncilMember{Name: name, Role: m.Role}
	}
	if !front {
		return nil, FieldErrorf(EINVALID, "council", "the Fatherland Front must be represented on the mediation council")
	}
	return out, nil
}

func (m RecordMediation) decide(c Case, now time.Time, _ Rules) ([]Event, error) {
	minutes, err := checkText("minutes", m.Minutes, true, MaxComment)
	if err != nil {
		return nil, err
	}
	if now.Before(c.MediationAt) {
		return nil, FieldErrorf(EInvalidTime, "outcome", "the mediation is scheduled for %s and has not happened yet", c.MediationAt.In(Vietnam).Format(time.DateTime))
	}
	if len(m.Attendance) > MaxAttendance {
		return nil, FieldErrorf(ETooLong, "attendance", "at most %d attendees", MaxAttendance)
	}
	attendance := make([]Attendee, 0, len(m.Attendance))
	partyAbsent := false
	for _, a := range m.Attendance {
		name, err := checkText("attendance.name", a.Name, true, MaxName)
		if err != nil {
			return nil, err
		}
		if a.Party && !a.Present {
			partyAbsent = true
		}
		attendance = append(attendance, Attendee{Name: name, Party: a.Party, Present: a.Present})
	}
	if m.Outcome == MediationAgreed && partyAbsent {
		return nil, FieldErrorf(EINVALID, "outcome", "the parties cannot agree at a session one of them did not attend")
	}
	if m.Outcome == MediationAbsent && len(attendance) > 0 && !partyAbsent {
		return nil, FieldErrorf(EINVALID, "attendance", "the outcome is a party's absence, but the attendance shows every party present")
	}
	held := MediationHeld{Outcome: m.Outcome, Minutes: minutes, Absences: c.Absences}
	if len(attendance) > 0 {
		held.Attendance = attendance
	}
	switch m.Outcome {
	case MediationAgreed, MediationFailed:
	case MediationAbsent:
		// Decree 102/2024, Art. 105: a party's second absence means the
		// mediation failed.
		held.Absences++
		if held.Absences >= 2 {
			held.Outcome = MediationFailed
		}
	default:
		return nil, FieldErrorf(EINVALID, "outcome", "outcome is agreed, failed or absent")
	}
	return []Event{held}, nil
}
