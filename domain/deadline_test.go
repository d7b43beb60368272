package domain_test

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"phananh/domain"
)

func ict(year int, month time.Month, day, hour, minute int) time.Time {
	return time.Date(year, month, day, hour, minute, 0, 0, domain.Vietnam)
}

func TestDue(t *testing.T) {
	deadlines := &defaults.Policy.Deadlines
	tests := []struct {
		name    string
		start   time.Time
		days    int
		working bool
		want    time.Time
	}{
		{"calendar days run through a weekend", ict(2026, 3, 5, 10, 0), 3, false, endOfDay(2026, 3, 8)},
		{"working days skip the weekend", ict(2026, 3, 5, 10, 0), 3, true, endOfDay(2026, 3, 10)},
		{"the day of receipt is not counted", ict(2026, 3, 2, 0, 0), 1, false, endOfDay(2026, 3, 3)},
		{"a report received a minute before midnight counts from the next day", ict(2026, 3, 2, 23, 59), 1, true, endOfDay(2026, 3, 3)},
		{"one working day from a Saturday is Monday", ict(2026, 3, 7, 9, 0), 1, true, endOfDay(2026, 3, 9)},
		{"one working day from a Sunday is Monday", ict(2026, 3, 8, 9, 0), 1, true, endOfDay(2026, 3, 9)},
		{"five working days are a week", ict(2026, 3, 2, 9, 0), 5, true, endOfDay(2026, 3, 9)},
		{"one working day before Tết is the Monday after it", ict(2026, 2, 13, 16, 0), 1, true, endOfDay(2026, 2, 23)},
		{"three working days across Tết", ict(2026, 2, 12, 9, 0), 3, true, endOfDay(2026, 2, 24)},
		{"a report received during Tết counts from the first working day", ict(2026, 2, 17, 9, 0), 1, true, endOfDay(2026, 2, 23)},
		{"calendar days do not stop for Tết", ict(2026, 2, 13, 16, 0), 3, false, endOfDay(2026, 2, 16)},
		{"working days skip 30 April and 1 May", ict(2026, 4, 29, 9, 0), 1, true, endOfDay(2026, 5, 4)},
		{"working days skip the Hùng Kings' day", ict(2026, 4, 24, 9, 0), 1, true, endOfDay(2026, 4, 28)},
		{"working days cross the new year", ict(2026, 12, 31, 9, 0), 1, true, endOfDay(2027, 1, 4)},
		{"15 working days for a petition", ict(2026, 3, 4, 10, 0), 15, true, endOfDay(2026, 3, 25)},
		{"30 calendar days cross a month end", ict(2026, 3, 4, 10, 0), 30, false, endOfDay(2026, 4, 3)},
		{"a start in UTC before midnight is the next day in Vietnam", time.Date(2026, 3, 5, 18, 30, 0, 0, time.UTC), 1, true, endOfDay(2026, 3, 9)},
		{"a start in UTC just before 17:00 is still the same day in Vietnam", time.Date(2026, 3, 5, 16, 59, 0, 0, time.UTC), 1, true, endOfDay(2026, 3, 6)},
		{"a start in UTC before midnight, calendar days", time.Date(2026, 3, 5, 18, 30, 0, 0, time.UTC), 1, false, endOfDay(2026, 3, 7)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := deadlines.Due(tt.start, tt.days, tt.working)
			if !got.Equal(tt.want) {
				t.Fatalf("Due(%s, %d, working=%v) = %s, want %s", tt.start.Format(time.RFC3339), tt.days, tt.working,
					got.In(domain.Vietnam).Format(time.RFC3339), tt.want.Format(time.RFC3339))
			}
			if got.Location() != domain.Vietnam {
				t.Fatalf("Due returned a time in %v, want Vietnam's zone", got.Location())
			}
		})
	}
}

func TestDeadline(t *testing.T) {
	deadlines := &defaults.Policy.Deadlines
	wed := ict(2026, 3, 4, 10, 0)
	fridayEvening := ict(2026, 3, 6, 19, 0)
	tests := []struct {
		name            string
		kind            domain.Kind
		phase           domain.Phase
		start           time.Time
		remote, complex bool
		wantClock       domain.Clock
		wantDue         time.Time
	}{
		{"complaint: 10 days to accept", domain.KindComplaint, domain.PhaseReceived, wed, false, false, domain.ClockAccept, endOfDay(2026, 3, 14)},
		{"complaint: 30 days to resolve", domain.KindComplaint, domain.PhaseAccepted, wed, false, false, domain.ClockResolve, endOfDay(2026, 4, 3)},
		{"complex complaint: 45 days", domain.KindComplaint, domain.PhaseAccepted, wed, false, true, domain.ClockResolve, endOfDay(2026, 4, 18)},
		{"complaint from a remote commune: 45 days", domain.KindComplaint, domain.PhaseAccepted, wed, true, false, domain.ClockResolve, endOfDay(2026, 4, 18)},
		{"complex complaint from a remote commune: 60 days", domain.KindComplaint, domain.PhaseAccepted, wed, true, true, domain.ClockResolve, endOfDay(2026, 5, 3)},
		{"denunciation: 7 working days to accept", domain.KindDenunciation, domain.PhaseReceived, wed, false, false, domain.ClockAccept, endOfDay(2026, 3, 13)},
		{"denunciation: 30 days to resolve, remote or not", domain.KindDenunciation, domain.PhaseAccepted, wed, true, true, domain.ClockResolve, endOfDay(2026, 4, 3)},
		{"land dispute: acceptance notice in 3 working days", domain.KindLandDispute, domain.PhaseReceived, fridayEvening, false, false, domain.ClockAccept, endOfDay(2026, 3, 11)},
		{"land dispute: 30 days to mediate", domain.KindLandDispute, domain.PhaseAccepted, wed, false, false, domain.ClockMediate, endOfDay(2026, 4, 3)},
		{"incident received on a Friday evening is acknowledged by end of Monday", domain.KindIncident, domain.PhaseReceived, fridayEvening, false, false, domain.ClockAcknowledge, endOfDay(2026, 3, 9)},
		{"incident received late Thursday UTC, which is Friday in Vietnam", domain.KindIncident, domain.PhaseReceived, time.Date(2026, 3, 5, 18, 30, 0, 0, time.UTC), false, false, domain.ClockAcknowledge, endOfDay(2026, 3, 9)},
		{"incident: 15 days to resolve", domain.KindIncident, domain.PhaseAccepted, wed, false, false, domain.ClockResolve, endOfDay(2026, 3, 19)},
		{"petition: 15 working days", domain.KindPetition, domain.PhaseReceived, wed, false, false, domain.ClockResolve, endOfDay(2026, 3, 25)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock, due, err := deadlines.Deadline(tt.kind, tt.phase, tt.start, tt.remote, tt.complex)
			if err != nil {
				t.Fatalf("Deadline: %v", err)
			}
			if clock != tt.wantClock {
				t.Fatalf("clock = %s, want %s", clock, tt.wantClock)
			}
			if !due.Equal(tt.wantDue) {
				t.Fatalf("due = %s, want %s", due.In(domain.Vietnam).Format(time.RFC3339), tt.wantDue.Format(time.RFC3339))
			}
		})
	}

	t.Run("a kind without a rule", func(t *testing.T) {
		if _, _, err := deadlines.Deadline("gossip", domain.PhaseReceived, wed, false, false); err == nil {
			t.Fatal("Deadline of an unknown kind succeeded")
		}
	})
}

func TestDaysForPicksTheLongestLimitThatApplies(t *testing.T) {
	full := domain.ClockRule{Days: 30, RemoteDays: 45, ComplexDays: 50, RemoteComplexDays: 60}
	onlyRemote := domain.ClockRule{Days: 30, RemoteDays: 45}
	onlyComplex := domain.ClockRule{Days: 30, ComplexDays: 45}
	tests := []struct {
		name            string
		rule            domain.ClockRule
		remote, complex bool
		want            int
	}{
		{"plain", full, false, false, 30},
		{"remote", full, true, false, 45},
		{"complex", full, false, true, 50},
		{"remote and complex", full, true, true, 60},
		{"remote and complex without a combined limit falls back to remote", onlyRemote, true, true, 45},
		{"remote and complex without a remote limit falls back to complex", onlyComplex, true, true, 45},
		{"remote without a remote limit", onlyComplex, true, false, 30},
		{"no longer limits at all", domain.ClockRule{Days: 15}, true, true, 15},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.rule.DaysFor(tt.remote, tt.complex); got != tt.want {
				t.Fatalf("DaysFor(%v, %v) = %d, want %d", tt.remote, tt.complex, got, tt.want)
			}
		})
	}
}

func TestIsWorkingDay(t *testing.T) {
	deadlines := &defaults.Policy.Deadlines
	tests := []struct {
		name string
		day  time.Time
		want bool
	}{
		{"an ordinary Monday", ict(2026, 3, 2, 12, 0), true},
		{"a Saturday", ict(2026, 3, 7, 12, 0), false},
		{"a Sunday", ict(2026, 3, 8, 12, 0), false},
		{"a weekday of Tết", ict(2026, 2, 18, 12, 0), false},
		{"National Day", ict(2026, 9, 2, 12, 0), false},
		{"early on 30 April in Vietnam, still 29 April in UTC", time.Date(2026, 4, 29, 20, 0, 0, 0, time.UTC), false},
		{"early on the Monday after Tết, still Sunday in UTC", time.Date(2026, 2, 22, 18, 0, 0, 0, time.UTC), true},
		{"the Monday after Tết", ict(2026, 2, 23, 0, 0), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := deadlines.IsWorkingDay(tt.day); got != tt.want {
				t.Fatalf("IsWorkingDay(%s) = %v, want %v", tt.day.Format(time.RFC3339), got, tt.want)
			}
		})
	}
}

// defaultPolicyJSON is the shipped policy, the base every bad policy below
// is made from.
func defaultPolicyJSON(t *testing.T) []byte {
	t.Helper()
	data, err := os.ReadFile("defaults/laocai-policy.json")
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// policyWith returns the shipped policy changed by change, as JSON.
func policyWith(t *testing.T, change func(p *domain.Policy)) string {
	t.Helper()
	p, err := domain.LoadPolicy(strings.NewReader(string(defaultPolicyJSON(t))))
	if err != nil {
		t.Fatal(err)
	}
	change(p)
	data, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func withoutRule(kind domain.Kind, phase domain.Phase) func(p *domain.Policy) {
	return func(p *domain.Policy) {
		p.Deadlines.Rules = slices.DeleteFunc(p.Deadlines.Rules, func(r domain.ClockRule) bool {
			return r.Kind == kind && r.Phase == phase
		})
	}
}

func changeRule(kind domain.Kind, phase domain.Phase, change func(r *domain.ClockRule)) func(p *domain.Policy) {
	return func(p *domain.Policy) {
		for i := range p.Deadlines.Rules {
			if r := &p.Deadlines.Rules[i]; r.Kind == kind && r.Phase == phase {
				change(r)
			}
		}
	}
}

func TestLoadPolicy(t *testing.T) {
	t.Run("the shipped policy loads", func(t *testing.T) {
		if _, err := domain.LoadPolicy(strings.NewReader(string(defaultPolicyJSON(t)))); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a policy survives a round trip through JSON", func(t *testing.T) {
		if _, err := domain.LoadPolicy(strings.NewReader(policyWith(t, func(*domain.Policy) {}))); err != nil {
			t.Fatal(err)
		}
	})

	base := string(defaultPolicyJSON(t))
	tests := []struct {
		name    string
		policy  string
		wantErr string
	}{
		{"no rule to resolve a petition", policyWith(t, withoutRule(domain.KindPetition, domain.PhaseAccepted)), "no accepted rule for petition"},
		{"no rule to accept a land dispute", policyWith(t, withoutRule(domain.KindLandDispute, domain.PhaseReceived)), "no received rule for land_dispute"},
		{"a holiday on 30 February", policyWith(t, func(p *domain.Policy) { p.Deadlines.Holidays = append(p.Deadlines.Holidays, "2026-02-30") }), "2026-02-30"},
		{"a holiday written the Vietnamese way", policyWith(t, func(p *domain.Policy) { p.Deadlines.Holidays = append(p.Deadlines.Holidays, "02/09/2026") }), "02/09/2026"},
		{"an unknown top-level field", strings.Replace(base, `"limits"`, `"holidays": [], "limits"`, 1), "unknown field"},
		{"an unknown field in a rule", strings.Replace(base, `"starts_on": "reported"`, `"start_on": "reported"`, 1), "unknown field"},
		{"an unknown field in the limits", strings.Replace(base, `"max_attachments_per_case"`, `"max_files": 3, "max_attachments_per_case"`, 1), "unknown field"},
		{"a clock of zero days", policyWith(t, changeRule(domain.KindIncident, domain.PhaseReceived, func(r *domain.ClockRule) { r.Days = 0 })), "days"},
		{"a clock of more than a year", policyWith(t, changeRule(domain.KindIncident, domain.PhaseAccepted, func(r *domain.ClockRule) { r.Days = 400 })), "days"},
		{"a negative remote limit", policyWith(t, changeRule(domain.KindComplaint, domain.PhaseAccepted, func(r *domain.ClockRule) { r.RemoteDays = -1 })), "days"},
		{"a clock that starts on an unknown event", policyWith(t, changeRule(domain.KindComplaint, domain.PhaseAccepted, func(r *domain.ClockRule) { r.StartsOn = "assigned" })), "starts_on"},
		{"an acceptance clock that starts on acceptance", policyWith(t, changeRule(domain.KindComplaint, domain.PhaseReceived, func(r *domain.ClockRule) { r.StartsOn = "accepted" })), "starts on reported"},
		{"extension days without a number of extensions", policyWith(t, changeRule(domain.KindDenunciation, domain.PhaseAccepted, func(r *domain.ClockRule) { r.MaxExtensions = 0 })), "together"},
		{"no routing rules", policyWith(t, func(p *domain.Policy) { p.Routing.Rules = nil }), "routing"},
		{"no attachment limit", policyWith(t, func(p *domain.Policy) { p.Limits.MaxAttachmentsPerCase = 0 }), "limits"},
		{"no attachment size limit", policyWith(t, func(p *domain.Policy) { p.Limits.MaxAttachmentBytesPerCase = 0 }), "limits"},
		{"not JSON", "routing: commune", "decode"},
		{"empty", "", "decode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := domain.LoadPolicy(strings.NewReader(tt.policy))
			if err == nil {
				t.Fatalf("LoadPolicy accepted it: %+v", p)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}
