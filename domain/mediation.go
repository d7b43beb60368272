package domain

import "time"

// ScheduleMediation fixes a commune mediation session for a land dispute.
type ScheduleMediation struct {
	At    time.Time
	Place string
}

// RecordMediation records how a mediation session went, with its minutes.
type RecordMediation struct {
	Outcome MediationOutcome
	Minutes string
}

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
	if !s.At.After(now) {
		return nil, FieldErrorf(EInvalidTime, "at", "a mediation is scheduled in the future")
	}
	if s.At.After(now.AddDate(1, 0, 0)) {
		return nil, FieldErrorf(EInvalidTime, "at", "a mediation is scheduled within a year")
	}
	return []Event{MediationScheduled{At: s.At, Place: place}}, nil
}

func (m RecordMediation) decide(c Case, now time.Time, _ Rules) ([]Event, error) {
	minutes, err := checkText("minutes", m.Minutes, true, MaxComment)
	if err != nil {
		return nil, err
	}
	if now.Before(c.MediationAt) {
		return nil, FieldErrorf(EInvalidTime, "outcome", "the mediation is scheduled for %s and has not happened yet", c.MediationAt.In(Vietnam).Format(time.DateTime))
	}
	held := MediationHeld{Outcome: m.Outcome, Minutes: minutes, Absences: c.Absences}
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
