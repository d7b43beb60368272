package domain

import (
	"fmt"
	"time"
)

// Vietnam keeps one time zone and no daylight saving, so a fixed zone is
// exact and keeps the domain free of the tz database.
var Vietnam = time.FixedZone("ICT", 7*60*60)

// Phase says when a clock is the case's current deadline: while the case
// waits for acceptance, or once it has been accepted.
type Phase string

// Phases.
const (
	PhaseReceived Phase = "received"
	PhaseAccepted Phase = "accepted"
)

// ClockRule is one legal time limit: for a kind, in a phase, which clock
// runs, from which event, for how many days, and how it may be extended.
type ClockRule struct {
	Kind        Kind   `json:"kind"`
	Phase       Phase  `json:"phase"`
	Clock       Clock  `json:"clock"`
	StartsOn    string `json:"starts_on"` // "reported" or "accepted"
	Days        int    `json:"days"`
	WorkingDays bool   `json:"working_days"`
	// Longer limits; zero means "same as Days".
	RemoteDays        int `json:"remote_days,omitempty"`
	ComplexDays       int `json:"complex_days,omitempty"`
	RemoteComplexDays int `json:"remote_complex_days,omitempty"`
	// Extensions by written decision.
	ExtensionDays int    `json:"extension_days,omitempty"`
	MaxExtensions int    `json:"max_extensions,omitempty"`
	Source        string `json:"source,omitempty"`
}

// DeadlinePolicy holds the clock rules and the public holidays that working
// days skip. Holidays are dates (YYYY-MM-DD) in Vietnam's time zone.
type DeadlinePolicy struct {
	Rules    []ClockRule `json:"rules"`
	Holidays []string    `json:"holidays"`

	holidays map[string]bool
}

// Rule returns the clock rule for a kind in a phase.
func (p *DeadlinePolicy) Rule(kind Kind, phase Phase) (ClockRule, bool) {
	for _, r := range p.Rules {
		if r.Kind == kind && r.Phase == phase {
			return r, true
		}
	}
	return ClockRule{}, false
}

// DaysFor returns the number of days a rule allows given the commune's
// remoteness and the case's complexity.
func (r ClockRule) DaysFor(remote, complex bool) int {
	days := r.Days
	switch {
	case remote && complex && r.RemoteComplexDays > 0:
		days = r.RemoteComplexDays
	case remote && r.RemoteDays > 0:
		days = r.RemoteDays
	case complex && r.ComplexDays > 0:
		days = r.ComplexDays
	}
	return days
}

// Due returns when a clock that started at start runs out: the end of the
// day (in Vietnam) that is the given number of calendar or working days
// after the day it started. The day of receipt is not counted, as in the
// laws' "kể từ ngày" wording.
func (p *DeadlinePolicy) Due(start time.Time, days int, workingDays bool) time.Time {
	day := start.In(Vietnam)
	day = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, Vietnam)
	if !workingDays {
		day = day.AddDate(0, 0, days)
	} else {
		for n := 0; n < days; {
			day = day.AddDate(0, 0, 1)
			if p.IsWorkingDay(day) {
				n++
			}
		}
	}
	return day.AddDate(0, 0, 1).Add(-time.Second)
}

// IsWorkingDay reports whether a day is neither a weekend nor a holiday.
func (p *DeadlinePolicy) IsWorkingDay(day time.Time) bool {
	day = day.In(Vietnam)
	if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	return !p.holidays[day.Format(time.DateOnly)]
}

// Deadline computes a kind's deadline in a phase from a start time.
func (p *DeadlinePolicy) Deadline(kind Kind, phase Phase, start time.Time, remote, complex bool) (Clock, time.Time, error) {
	r, ok := p.Rule(kind, phase)
	if !ok {
		return "", time.Time{}, fmt.Errorf("deadlines: no %s rule for %s", phase, kind)
	}
	return r.Clock, p.Due(start, r.DaysFor(remote, complex), r.WorkingDays), nil
}

func (p *DeadlinePolicy) index() error {
	p.holidays = make(map[string]bool, len(p.Holidays))
	for _, h := range p.Holidays {
		if _, err := time.ParseInLocation(time.DateOnly, h, Vietnam); err != nil {
			return fmt.Errorf("deadlines: holiday %q is not a YYYY-MM-DD date", h)
		}
		p.holidays[h] = true
	}
	for _, k := range Kinds() {
		for _, phase := range []Phase{PhaseReceived, PhaseAccepted} {
			r, ok := p.Rule(k.Code, phase)
			if !ok {
				return fmt.Errorf("deadlines: no %s rule for %s", phase, k.Code)
			}
			if r.Days <= 0 || r.Days > 366 || r.RemoteDays < 0 || r.ComplexDays < 0 || r.RemoteComplexDays < 0 {
				return fmt.Errorf("deadlines: %s/%s: days must be 1 to 366", k.Code, phase)
			}
			if r.StartsOn != "reported" && r.StartsOn != "accepted" {
				return fmt.Errorf("deadlines: %s/%s: starts_on must be reported or accepted", k.Code, phase)
			}
			if phase == PhaseReceived && r.StartsOn != "reported" {
				return fmt.Errorf("deadlines: %s/%s: a clock before acceptance starts on reported", k.Code, phase)
			}
			if r.ExtensionDays < 0 || r.MaxExtensions < 0 || (r.MaxExtensions > 0) != (r.ExtensionDays > 0) {
				return fmt.Errorf("deadlines: %s/%s: give extension_days and max_extensions together", k.Code, phase)
			}
		}
	}
	return nil
}
