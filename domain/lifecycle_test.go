package domain_test

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"phananh/domain"
)

// lifecycleCase is one given/when/then row: a case's history, a command,
// and either the events it must produce (and the status they lead to) or
// the code it must fail with.
type lifecycleCase struct {
	name       string
	given      []domain.Event
	when       domain.Command
	want       []domain.Event // nil: any events, as long as the status is right
	wantStatus domain.Status  // required when the command succeeds
	wantUnit   string         // optional: the unit after the events
	wantCode   domain.Code
}

func runLifecycle(t *testing.T, tests []lifecycleCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := domain.Decide(given(tt.given...), tt.when, now, defaults)
			if tt.wantCode != "" {
				if err == nil {
					t.Fatalf("Decide = %+v, want error %s", got, tt.wantCode)
				}
				if code := domain.ErrorCode(err); code != tt.wantCode {
					t.Fatalf("code = %s, want %s (err: %v)", code, tt.wantCode, err)
				}
				if got != nil {
					t.Fatalf("Decide returned events %+v with an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decide: %v", err)
			}
			if tt.want != nil && !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("events =\n  %+v\nwant\n  %+v", got, tt.want)
			}
			if tt.wantStatus == domain.StatusNew {
				t.Fatal("a row that succeeds must say the status it leads to")
			}
			after := given(then(tt.given, got...)...)
			if after.Status != tt.wantStatus {
				t.Fatalf("status = %q, want %q", after.Status, tt.wantStatus)
			}
			if tt.wantUnit != "" && after.Unit != tt.wantUnit {
				t.Fatalf("unit = %q, want %q", after.Unit, tt.wantUnit)
			}
		})
	}
}

func TestAcceptance(t *testing.T) {
	remoteComplaint := complaintReported
	remoteComplaint.Remote = true
	anonymousDenunciationFromOldLog := denunciationReported
	anonymousDenunciationFromOldLog.Anonymous, anonymousDenunciationFromOldLog.Reporter = true, nil

	runLifecycle(t, []lifecycleCase{
		{
			name:       "accept a complaint: 30 days to resolve from acceptance",
			given:      []domain.Event{complaintReported},
			when:       domain.Accept{Note: " thụ lý "},
			want:       []domain.Event{domain.Accepted{Note: "thụ lý", Clock: domain.ClockResolve, Deadline: endOfDay(2026, 4, 3)}},
			wantStatus: domain.StatusAccepted,
		},
		{
			name:       "accept a complex complaint: 45 days",
			given:      []domain.Event{complaintReported},
			when:       domain.Accept{Complex: true},
			want:       []domain.Event{domain.Accepted{Complex: true, Clock: domain.ClockResolve, Deadline: endOfDay(2026, 4, 18)}},
			wantStatus: domain.StatusAccepted,
		},
		{
			name:       "accept a complaint from a remote commune: 45 days",
			given:      []domain.Event{remoteComplaint},
			when:       domain.Accept{},
			want:       []domain.Event{domain.Accepted{Clock: domain.ClockResolve, Deadline: endOfDay(2026, 4, 18)}},
			wantStatus: domain.StatusAccepted,
		},
		{
			name:       "accept a complex complaint from a remote commune: 60 days",
			given:      []domain.Event{remoteComplaint},
			when:       domain.Accept{Complex: true},
			want:       []domain.Event{domain.Accepted{Complex: true, Clock: domain.ClockResolve, Deadline: endOfDay(2026, 5, 3)}},
			wantStatus: domain.StatusAccepted,
		},
		{
			name:       "accept a land dispute: the 30-day mediation clock runs from receipt",
			given:      []domain.Event{landDisputeReported},
			when:       domain.Accept{},
			want:       []domain.Event{domain.Accepted{Clock: domain.ClockMediate, Deadline: endOfDay(2026, 4, 1)}},
			wantStatus: domain.StatusAccepted,
		},
		{
			name:       "accept a named denunciation: 30 days to resolve",
			given:      []domain.Event{denunciationReported},
			when:       domain.Accept{},
			want:       []domain.Event{domain.Accepted{Clock: domain.ClockResolve, Deadline: endOfDay(2026, 4, 3)}},
			wantStatus: domain.StatusAccepted,
		},
		{
			name:       "accept a petition: 15 working days from receipt",
			given:      []domain.Event{petitionReported},
			when:       domain.Accept{},
			want:       []domain.Event{domain.Accepted{Clock: domain.ClockResolve, Deadline: endOfDay(2026, 3, 23)}},
			wantStatus: domain.StatusAccepted,
		},
		{
			name:     "an anonymous denunciation from an old log is not accepted as one",
			given:    []domain.Event{anonymousDenunciationFromOldLog},
			when:     domain.Accept{},
			wantCode: domain.ECONFLICT,
		},
		{
			name:       "reject with the reason the law requires",
			given:      []domain.Event{complaintReported},
			when:       domain.Reject{Reason: "Không thuộc thẩm quyền"},
			want:       []domain.Event{domain.Rejected{Reason: "Không thuộc thẩm quyền"}},
			wantStatus: domain.StatusRejected,
		},
		{name: "reject without a reason", given: []domain.Event{complaintReported}, when: domain.Reject{Reason: "  "}, wantCode: domain.ERequired},
		{name: "accept a case that does not exist", when: domain.Accept{}, wantCode: domain.ENOTFOUND},
		{name: "accept a case twice", given: []domain.Event{complaintReported, acceptedToResolve}, when: domain.Accept{}, wantCode: domain.EIllegalTransition},
		{name: "accept a rejected case", given: []domain.Event{complaintReported, rejectedOutOfScope}, when: domain.Accept{}, wantCode: domain.EIllegalTransition},
		{name: "reject an accepted case", given: []domain.Event{complaintReported, acceptedToResolve}, when: domain.Reject{Reason: "muộn"}, wantCode: domain.EIllegalTransition},
		{name: "submit a report to a case that already has one", given: []domain.Event{complaintReported}, when: validAnonymousReport(), wantCode: domain.EIllegalTransition},
	})
}

func TestAssignmentAndInspection(t *testing.T) {
	accepted := []domain.Event{complaintReported, acceptedToResolve}
	runLifecycle(t, []lifecycleCase{
		{
			name:       "assign an accepted case to an officer",
			given:      accepted,
			when:       domain.Assign{Assignee: "officer-1"},
			want:       []domain.Event{domain.Assigned{Assignee: "officer-1"}},
			wantStatus: domain.StatusAssigned,
		},
		{
			name:       "reassign a case in progress to another officer",
			given:      then(accepted, assignedToOfficer1, inspectedOnSite),
			when:       domain.Assign{Assignee: "officer-2"},
			wantStatus: domain.StatusAssigned,
		},
		{name: "assign a case that was not accepted", given: []domain.Event{complaintReported}, when: domain.Assign{Assignee: "officer-1"}, wantCode: domain.EIllegalTransition},
		{name: "assign a case to the officer who has it", given: then(accepted, assignedToOfficer1), when: domain.Assign{Assignee: "officer-1"}, wantCode: domain.ECONFLICT},
		{name: "assign without an assignee", given: accepted, when: domain.Assign{}, wantCode: domain.ERequired},
		{name: "assign to a leader", given: accepted, when: domain.Assign{Assignee: "lanh.dao", AssigneeRole: domain.RoleLeader}, wantCode: domain.EINVALID},
		{
			name:       "an inspection starts the work",
			given:      then(accepted, assignedToOfficer1),
			when:       domain.RecordInspection{InspectedAt: now.Add(-time.Hour), Findings: "Có dấu hiệu vi phạm"},
			want:       []domain.Event{domain.InspectionRecorded{InspectedAt: now.Add(-time.Hour), Findings: "Có dấu hiệu vi phạm"}},
			wantStatus: domain.StatusInProgress,
		},
		{
			name:       "an inspection without a time happened now",
			given:      then(accepted, assignedToOfficer1),
			when:       domain.RecordInspection{Findings: "Đã kiểm tra"},
			want:       []domain.Event{domain.InspectionRecorded{InspectedAt: now, Findings: "Đã kiểm tra"}},
			wantStatus: domain.StatusInProgress,
		},
		{name: "inspect a case nobody was assigned", given: accepted, when: domain.RecordInspection{Findings: "x"}, wantCode: domain.EIllegalTransition},
		{name: "record an inspection that has not happened yet", given: then(accepted, assignedToOfficer1), when: domain.RecordInspection{InspectedAt: now.Add(time.Hour), Findings: "x"}, wantCode: domain.EInvalidTime},
		{name: "record an inspection without findings", given: then(accepted, assignedToOfficer1), when: domain.RecordInspection{}, wantCode: domain.ERequired},
		{
			name:       "an inspection dated the day the case came in, before its hour",
			given:      then(accepted, assignedToOfficer1),
			when:       domain.RecordInspection{InspectedAt: time.Date(2026, 3, 2, 0, 0, 0, 0, domain.Vietnam), Findings: "x"},
			want:       []domain.Event{domain.InspectionRecorded{InspectedAt: time.Date(2026, 3, 2, 0, 0, 0, 0, domain.Vietnam), Findings: "x"}},
			wantStatus: domain.StatusInProgress,
		},
		{name: "an inspection dated before the case came in", given: then(accepted, assignedToOfficer1), when: domain.RecordInspection{InspectedAt: receivedAt.Add(-9 * time.Hour), Findings: "x"}, wantCode: domain.EInvalidTime},
		{name: "an inspection dated year 1", given: then(accepted, assignedToOfficer1), when: domain.RecordInspection{InspectedAt: time.Date(1, 1, 1, 0, 0, 0, 0, domain.Vietnam), Findings: "x"}, wantCode: domain.EInvalidTime},
	})
}

func TestLandDisputeMediation(t *testing.T) {
	inProgress := historyFor(domain.StatusInProgress)
	scheduled := historyFor(domain.StatusMediationScheduled)
	at := now.Add(48 * time.Hour)
	minutes := "Biên bản số 12"
	complaintInProgress := []domain.Event{complaintReported, acceptedToResolve, assignedToOfficer1, inspectedOnSite}
	scheduledTomorrow := then(inProgress, domain.MediationScheduled{At: now.Add(24 * time.Hour), Place: "UBND"})

	runLifecycle(t, []lifecycleCase{
		{
			name:       "schedule a mediation for a land dispute in progress",
			given:      inProgress,
			when:       domain.ScheduleMediation{At: at, Place: " Hội trường UBND phường ", Council: council},
			want:       []domain.Event{domain.MediationScheduled{At: at, Place: "Hội trường UBND phường", Council: council}},
			wantStatus: domain.StatusMediationScheduled,
		},
		{name: "schedule a mediation straight after assignment", given: historyFor(domain.StatusAssigned), when: domain.ScheduleMediation{At: at, Place: "UBND", Council: council}, wantStatus: domain.StatusMediationScheduled},
		{name: "move a scheduled mediation to another day", given: scheduled, when: domain.ScheduleMediation{At: at, Place: "UBND", Council: council}, wantStatus: domain.StatusMediationScheduled},
		{name: "only land disputes go to mediation", given: complaintInProgress, when: domain.ScheduleMediation{At: at, Place: "UBND", Council: council}, wantCode: domain.ECONFLICT},
		{name: "schedule a mediation in the past", given: inProgress, when: domain.ScheduleMediation{At: now.Add(-time.Hour), Place: "UBND", Council: council}, wantCode: domain.EInvalidTime},
		{name: "schedule a mediation more than a year ahead", given: inProgress, when: domain.ScheduleMediation{At: now.AddDate(1, 0, 1), Place: "UBND", Council: council}, wantCode: domain.EInvalidTime},
		{name: "schedule a mediation without a place", given: inProgress, when: domain.ScheduleMediation{At: at, Council: council}, wantCode: domain.ERequired},
		{name: "schedule a mediation before acceptance", given: historyFor(domain.StatusReceived), when: domain.ScheduleMediation{At: at, Place: "UBND", Council: council}, wantCode: domain.EIllegalTransition},
		{
			name:       "the parties agree at mediation",
			given:      scheduled,
			when:       domain.RecordMediation{Outcome: domain.MediationAgreed, Minutes: minutes},
			want:       []domain.Event{domain.MediationHeld{Outcome: domain.MediationAgreed, Minutes: minutes}},
			wantStatus: domain.StatusMediated,
		},
		{
			name:       "mediation fails",
			given:      scheduled,
			when:       domain.RecordMediation{Outcome: domain.MediationFailed, Minutes: minutes},
			want:       []domain.Event{domain.MediationHeld{Outcome: domain.MediationFailed, Minutes: minutes}},
			wantStatus: domain.StatusMediated,
		},
		{
			name:       "a party's first absence sends the dispute back to work for another session",
			given:      scheduled,
			when:       domain.RecordMediation{Outcome: domain.MediationAbsent, Minutes: minutes},
			want:       []domain.Event{domain.MediationHeld{Outcome: domain.MediationAbsent, Minutes: minutes, Absences: 1}},
			wantStatus: domain.StatusInProgress,
		},
		{
			name:       "after a first absence a new session is scheduled",
			given:      then(scheduled, firstAbsence),
			when:       domain.ScheduleMediation{At: at, Place: "UBND", Council: council},
			wantStatus: domain.StatusMediationScheduled,
		},
		{
			name:       "a party's second absence means mediation failed",
			given:      then(scheduled, firstAbsence, mediationScheduled),
			when:       domain.RecordMediation{Outcome: domain.MediationAbsent, Minutes: minutes},
			want:       []domain.Event{domain.MediationHeld{Outcome: domain.MediationFailed, Minutes: minutes, Absences: 2}},
			wantStatus: domain.StatusMediated,
		},
		{
			name:       "agreement after a first absence keeps the count",
			given:      then(scheduled, firstAbsence, mediationScheduled),
			when:       domain.RecordMediation{Outcome: domain.MediationAgreed, Minutes: minutes},
			want:       []domain.Event{domain.MediationHeld{Outcome: domain.MediationAgreed, Minutes: minutes, Absences: 1}},
			wantStatus: domain.StatusMediated,
		},
		{name: "record a mediation before its date", given: scheduledTomorrow, when: domain.RecordMediation{Outcome: domain.MediationAgreed, Minutes: minutes}, wantCode: domain.EInvalidTime},
		{name: "record a mediation with an unknown outcome", given: scheduled, when: domain.RecordMediation{Outcome: "postponed", Minutes: minutes}, wantCode: domain.EINVALID},
		{name: "record a mediation without minutes", given: scheduled, when: domain.RecordMediation{Outcome: domain.MediationAgreed}, wantCode: domain.ERequired},
		{name: "record a mediation that was never scheduled", given: inProgress, when: domain.RecordMediation{Outcome: domain.MediationAgreed, Minutes: minutes}, wantCode: domain.EIllegalTransition},
		{name: "record a mediation twice", given: then(scheduled, mediationAgreed), when: domain.RecordMediation{Outcome: domain.MediationAgreed, Minutes: minutes}, wantCode: domain.EIllegalTransition},
		{
			name:       "failed mediation is referred to the competent authority",
			given:      then(scheduled, mediationFailed),
			when:       domain.Escalate{To: "snnmt.dat-dai", Reason: "Hòa giải không thành"},
			want:       []domain.Event{domain.Escalated{From: "ubnd.lao-cai", To: "snnmt.dat-dai", Reason: "Hòa giải không thành"}},
			wantStatus: domain.StatusEscalated,
			wantUnit:   "snnmt.dat-dai",
		},
		{
			name:       "a second absence is referred like any failed mediation",
			given:      then(scheduled, firstAbsence, mediationScheduled, domain.MediationHeld{Outcome: domain.MediationFailed, Minutes: minutes, Absences: 2}),
			when:       domain.Escalate{To: "snnmt.dat-dai", Reason: "Vắng mặt lần hai"},
			wantStatus: domain.StatusEscalated,
		},
		{name: "an agreed mediation is not escalated", given: then(scheduled, mediationAgreed), when: domain.Escalate{To: "snnmt.dat-dai", Reason: "x"}, wantCode: domain.ECONFLICT},
		{
			name:       "an agreed mediation resolves the dispute",
			given:      then(scheduled, mediationAgreed),
			when:       domain.Resolve{Summary: "Các bên thống nhất ranh giới"},
			want:       []domain.Event{domain.Resolved{Summary: "Các bên thống nhất ranh giới"}},
			wantStatus: domain.StatusResolved,
		},
		{name: "a failed mediation does not resolve the dispute", given: then(scheduled, mediationFailed), when: domain.Resolve{Summary: "x"}, wantCode: domain.ECONFLICT},
		{name: "a land dispute is not resolved before mediation", given: inProgress, when: domain.Resolve{Summary: "x"}, wantCode: domain.ECONFLICT},
		{
			name:       "the competent authority resolves an escalated dispute",
			given:      then(historyFor(domain.StatusEscalated), domain.Assigned{Assignee: "land-officer"}),
			when:       domain.Resolve{Summary: "Quyết định giải quyết tranh chấp"},
			wantStatus: domain.StatusResolved,
		},
	})
}

func TestResolveCloseReopen(t *testing.T) {
	complaintAssigned := []domain.Event{complaintReported, acceptedToResolve, assignedToOfficer1}
	complaintInProgress := then(complaintAssigned, inspectedOnSite)
	resolved := then(complaintInProgress, resolvedWithAnswer)
	closed := then(resolved, closedAndFiled)

	runLifecycle(t, []lifecycleCase{
		{name: "resolve a complaint in progress", given: complaintInProgress, when: domain.Resolve{Summary: " Đã trả lời "}, want: []domain.Event{domain.Resolved{Summary: "Đã trả lời"}}, wantStatus: domain.StatusResolved},
		{name: "resolve a complaint straight after assignment", given: complaintAssigned, when: domain.Resolve{Summary: "Đã trả lời"}, wantStatus: domain.StatusResolved},
		{name: "resolve without a summary", given: complaintInProgress, when: domain.Resolve{}, wantCode: domain.ERequired},
		{name: "resolve a case nobody was assigned", given: []domain.Event{complaintReported, acceptedToResolve}, when: domain.Resolve{Summary: "x"}, wantCode: domain.EIllegalTransition},
		{name: "resolve a closed case", given: closed, when: domain.Resolve{Summary: "x"}, wantCode: domain.EIllegalTransition},
		{name: "close a resolved case", given: resolved, when: domain.Close{Note: "Lưu"}, want: []domain.Event{domain.Closed{Note: "Lưu"}}, wantStatus: domain.StatusClosed},
		{name: "close a case still in progress", given: complaintInProgress, when: domain.Close{}, wantCode: domain.EIllegalTransition},
		{name: "close a case twice", given: closed, when: domain.Close{}, wantCode: domain.EIllegalTransition},
		{name: "reopen a resolved case", given: resolved, when: domain.Reopen{Reason: "Công dân chưa đồng ý"}, want: []domain.Event{domain.Reopened{Reason: "Công dân chưa đồng ý"}}, wantStatus: domain.StatusInProgress},
		{name: "reopen a closed case", given: closed, when: domain.Reopen{Reason: "Có tình tiết mới"}, wantStatus: domain.StatusInProgress},
		{name: "reopen without a reason", given: closed, when: domain.Reopen{}, wantCode: domain.ERequired},
		{name: "reopen a case in progress", given: complaintInProgress, when: domain.Reopen{Reason: "x"}, wantCode: domain.EIllegalTransition},
		{name: "reopen a rejected case", given: []domain.Event{complaintReported, rejectedOutOfScope}, when: domain.Reopen{Reason: "x"}, wantCode: domain.EIllegalTransition},
		{name: "a reopened case can be resolved again", given: then(closed, domain.Reopened{Reason: "x"}), when: domain.Resolve{Summary: "Trả lời bổ sung"}, wantStatus: domain.StatusResolved},
	})
}

func TestTransferAndEscalation(t *testing.T) {
	accepted := []domain.Event{complaintReported, acceptedToResolve}
	inProgress := then(accepted, assignedToOfficer1, inspectedOnSite)
	reason := "Đúng thẩm quyền"
	runLifecycle(t, []lifecycleCase{
		{
			name:       "a transferred new case stays received at the new unit",
			given:      []domain.Event{complaintReported},
			when:       domain.Transfer{To: "snnmt.dat-dai", Reason: reason},
			want:       []domain.Event{domain.Transferred{From: "ubnd.lao-cai", To: "snnmt.dat-dai", Reason: reason}},
			wantStatus: domain.StatusReceived,
			wantUnit:   "snnmt.dat-dai",
		},
		{name: "a transferred accepted case stays accepted at the new unit", given: accepted, when: domain.Transfer{To: "snnmt.dat-dai", Reason: reason}, wantStatus: domain.StatusAccepted, wantUnit: "snnmt.dat-dai"},
		{name: "a transferred case in progress waits for assignment at the new unit", given: inProgress, when: domain.Transfer{To: "snnmt.dat-dai", Reason: reason}, wantStatus: domain.StatusAccepted, wantUnit: "snnmt.dat-dai"},
		{name: "an escalated case transferred on waits for assignment", given: historyFor(domain.StatusEscalated), when: domain.Transfer{To: "snnmt.thanh-tra", Reason: reason}, wantStatus: domain.StatusAccepted, wantUnit: "snnmt.thanh-tra"},
		{name: "transfer to a unit that does not exist", given: accepted, when: domain.Transfer{To: "ubnd.ha-noi", Reason: reason}, wantCode: domain.EINVALID},
		{name: "transfer to the unit that has the case", given: accepted, when: domain.Transfer{To: "ubnd.lao-cai", Reason: reason}, wantCode: domain.EINVALID},
		{name: "transfer without a reason", given: accepted, when: domain.Transfer{To: "snnmt.dat-dai"}, wantCode: domain.ERequired},
		{name: "transfer a resolved case", given: then(inProgress, resolvedWithAnswer), when: domain.Transfer{To: "snnmt.dat-dai", Reason: reason}, wantCode: domain.EIllegalTransition},
		{name: "transfer a rejected case", given: []domain.Event{complaintReported, rejectedOutOfScope}, when: domain.Transfer{To: "snnmt.dat-dai", Reason: reason}, wantCode: domain.EIllegalTransition},
		{
			name:       "escalate an accepted complaint to a higher authority",
			given:      accepted,
			when:       domain.Escalate{To: "snnmt.thanh-tra", Reason: "Vượt thẩm quyền"},
			want:       []domain.Event{domain.Escalated{From: "ubnd.lao-cai", To: "snnmt.thanh-tra", Reason: "Vượt thẩm quyền"}},
			wantStatus: domain.StatusEscalated,
			wantUnit:   "snnmt.thanh-tra",
		},
		{name: "escalate a case in progress", given: inProgress, when: domain.Escalate{To: "snnmt.thanh-tra", Reason: "x"}, wantStatus: domain.StatusEscalated},
		{name: "escalate to a unit that does not exist", given: accepted, when: domain.Escalate{To: "bo-tnmt", Reason: "x"}, wantCode: domain.EINVALID},
		{name: "escalate to the unit that has the case", given: accepted, when: domain.Escalate{To: "ubnd.lao-cai", Reason: "x"}, wantCode: domain.EINVALID},
		{name: "escalate sideways to another ward", given: accepted, when: domain.Escalate{To: "ubnd.cam-duong", Reason: "x"}, wantCode: domain.EINVALID},
		{name: "escalate to a Fatherland Front board", given: accepted, when: domain.Escalate{To: "mttq.lao-cai", Reason: "x"}, wantCode: domain.EINVALID},
		{name: "escalate down from the department to a ward", given: then([]domain.Event{complaintReported, domain.Transferred{From: "ubnd.lao-cai", To: "snnmt.dat-dai", Reason: reason}},
			domain.Accepted{Clock: domain.ClockResolve, Deadline: endOfDay(2026, 4, 30)}), when: domain.Escalate{To: "ubnd.cam-duong", Reason: "x"}, wantCode: domain.EINVALID},
		{name: "escalate across the department", given: then([]domain.Event{complaintReported, domain.Transferred{From: "ubnd.lao-cai", To: "snnmt.dat-dai", Reason: reason}},
			domain.Accepted{Clock: domain.ClockResolve, Deadline: endOfDay(2026, 4, 30)}), when: domain.Escalate{To: "snnmt.thanh-tra", Reason: "x"}, wantCode: domain.EINVALID},
		{name: "escalate from the department to the province", given: then([]domain.Event{complaintReported, domain.Transferred{From: "ubnd.lao-cai", To: "snnmt.dat-dai", Reason: reason}},
			domain.Accepted{Clock: domain.ClockResolve, Deadline: endOfDay(2026, 4, 30)}), when: domain.Escalate{To: "ubnd.tinh", Reason: "x"}, wantStatus: domain.StatusEscalated, wantUnit: "ubnd.tinh"},
		{name: "escalate without a reason", given: accepted, when: domain.Escalate{To: "snnmt.thanh-tra"}, wantCode: domain.ERequired},
		{name: "escalate a case before acceptance", given: []domain.Event{complaintReported}, when: domain.Escalate{To: "snnmt.thanh-tra", Reason: "x"}, wantCode: domain.EIllegalTransition},
		{name: "escalate a case twice without working it", given: then(accepted, domain.Escalated{From: "ubnd.lao-cai", To: "snnmt.thanh-tra", Reason: "x"}), when: domain.Escalate{To: "snnmt.dat-dai", Reason: "x"}, wantCode: domain.EIllegalTransition},
		{name: "the higher authority assigns an escalated case", given: then(accepted, domain.Escalated{From: "ubnd.lao-cai", To: "snnmt.thanh-tra", Reason: "x"}), when: domain.Assign{Assignee: "inspector-1"}, wantStatus: domain.StatusAssigned, wantUnit: "snnmt.thanh-tra"},
	})
}

func TestDeadlineExtension(t *testing.T) {
	accepted := []domain.Event{denunciationReported, acceptedToResolve} // due 3 April 2026
	extendedOnce := then(accepted, domain.DeadlineExtended{Decision: "QĐ 1", Reason: "Phức tạp", Days: 30, Deadline: endOfDay(2026, 5, 3)})
	extendedTwice := then(extendedOnce, domain.DeadlineExtended{Decision: "QĐ 2", Reason: "Đặc biệt phức tạp", Days: 30, Deadline: endOfDay(2026, 6, 2)})
	extend := domain.ExtendDeadline{Decision: "QĐ 2", Reason: "Đặc biệt phức tạp", Days: 30}

	runLifecycle(t, []lifecycleCase{
		{
			name:       "extend a denunciation's deadline by written decision",
			given:      accepted,
			when:       domain.ExtendDeadline{Decision: "QĐ 1", Reason: "Phức tạp", Days: 30},
			want:       []domain.Event{domain.DeadlineExtended{Decision: "QĐ 1", Reason: "Phức tạp", Days: 30, Deadline: endOfDay(2026, 5, 3)}},
			wantStatus: domain.StatusAccepted,
		},
		{
			name:       "extend an especially complex denunciation a second time",
			given:      extendedOnce,
			when:       extend,
			want:       []domain.Event{domain.DeadlineExtended{Decision: "QĐ 2", Reason: "Đặc biệt phức tạp", Days: 30, Deadline: endOfDay(2026, 6, 2)}},
			wantStatus: domain.StatusAccepted,
		},
		{name: "a third extension is beyond the law", given: extendedTwice, when: extend, wantCode: domain.ELimitReached},
		{name: "extend while in progress", given: then(accepted, assignedToOfficer1, inspectedOnSite), when: extend, wantStatus: domain.StatusInProgress},
		{name: "extend by more than 30 days", given: accepted, when: domain.ExtendDeadline{Decision: "QĐ", Reason: "x", Days: 31}, wantCode: domain.EINVALID},
		{name: "extend by no days", given: accepted, when: domain.ExtendDeadline{Decision: "QĐ", Reason: "x"}, wantCode: domain.EINVALID},
		{name: "extend without a written decision", given: accepted, when: domain.ExtendDeadline{Reason: "x", Days: 10}, wantCode: domain.ERequired},
		{name: "extend without a reason", given: accepted, when: domain.ExtendDeadline{Decision: "QĐ", Days: 10}, wantCode: domain.ERequired},
		{name: "a complaint's deadline cannot be extended", given: []domain.Event{complaintReported, acceptedToResolve}, when: extend, wantCode: domain.ECONFLICT},
		{name: "a land dispute's mediation clock cannot be extended", given: historyFor(domain.StatusMediationScheduled), when: extend, wantCode: domain.ECONFLICT},
		{name: "extend before acceptance", given: []domain.Event{denunciationReported}, when: extend, wantCode: domain.EIllegalTransition},
		{name: "extend a resolved case", given: then(accepted, assignedToOfficer1, resolvedWithAnswer), when: extend, wantCode: domain.EIllegalTransition},
	})
}

func TestCommentInAnyStatus(t *testing.T) {
	var tests []lifecycleCase
	for _, s := range domain.Statuses() {
		if s == domain.StatusNew {
			continue
		}
		tests = append(tests, lifecycleCase{
			name:       "comment on a " + string(s) + " case",
			given:      historyFor(s),
			when:       domain.AddComment{Text: " Đã liên hệ công dân ", Public: true},
			want:       []domain.Event{domain.CommentAdded{Text: "Đã liên hệ công dân", Public: true}},
			wantStatus: s,
		})
	}
	tests = append(tests,
		lifecycleCase{name: "an internal comment stays internal", given: historyFor(domain.StatusReceived), when: domain.AddComment{Text: "Ghi chú nội bộ"}, want: []domain.Event{domain.CommentAdded{Text: "Ghi chú nội bộ"}}, wantStatus: domain.StatusReceived},
		lifecycleCase{name: "comment on a case that does not exist", when: domain.AddComment{Text: "x"}, wantCode: domain.ENOTFOUND},
		lifecycleCase{name: "an empty comment", given: historyFor(domain.StatusReceived), when: domain.AddComment{Text: " \n "}, wantCode: domain.ERequired},
		lifecycleCase{name: "a comment with control characters", given: historyFor(domain.StatusReceived), when: domain.AddComment{Text: "a\x1bb"}, wantCode: domain.EInvalidText},
		lifecycleCase{name: "a comment longer than allowed", given: historyFor(domain.StatusReceived), when: domain.AddComment{Text: strings.Repeat("ồ", domain.MaxComment+1)}, wantCode: domain.ETooLong},
	)
	runLifecycle(t, tests)
}

func TestAttachmentLimits(t *testing.T) {
	limits := defaults.Policy.Limits
	photo := func(size int64) domain.AttachmentAdded {
		return domain.AttachmentAdded{Object: "obj", Filename: "anh.jpg", ContentType: "image/jpeg", Size: size, SHA256: "abc", Public: true}
	}
	full := []domain.Event{incidentReported}
	for range limits.MaxAttachmentsPerCase {
		full = append(full, photo(1024))
	}
	nearlyFull := []domain.Event{incidentReported, photo(limits.MaxAttachmentBytesPerCase - 100)}

	runLifecycle(t, []lifecycleCase{
		{name: "attach a photo to a new report", given: []domain.Event{incidentReported}, when: domain.AddAttachment{Attachment: photo(2048)}, want: []domain.Event{photo(2048)}, wantStatus: domain.StatusReceived},
		{name: "attach the last file a case may hold", given: full[:len(full)-1], when: domain.AddAttachment{Attachment: photo(1024)}, wantStatus: domain.StatusReceived},
		{name: "attach one file more than a case may hold", given: full, when: domain.AddAttachment{Attachment: photo(1024)}, wantCode: domain.ELimitReached},
		{name: "attach a file that fills the case exactly", given: nearlyFull, when: domain.AddAttachment{Attachment: photo(100)}, wantStatus: domain.StatusReceived},
		{name: "attach a file one byte too many", given: nearlyFull, when: domain.AddAttachment{Attachment: photo(101)}, wantCode: domain.ELimitReached},
		{name: "attach a single file larger than a case may hold", given: []domain.Event{incidentReported}, when: domain.AddAttachment{Attachment: photo(limits.MaxAttachmentBytesPerCase + 1)}, wantCode: domain.ELimitReached},
		{name: "attach a file that was never stored", given: []domain.Event{incidentReported}, when: domain.AddAttachment{Attachment: domain.AttachmentAdded{Filename: "a.jpg", Size: 10}}, wantCode: domain.EINTERNAL},
		{name: "attach minutes to a resolved case", given: historyFor(domain.StatusResolved), when: domain.AddAttachment{Attachment: photo(1024)}, wantStatus: domain.StatusResolved},
		{name: "attach to a closed case", given: historyFor(domain.StatusClosed), when: domain.AddAttachment{Attachment: photo(1024)}, wantCode: domain.EIllegalTransition},
		{name: "attach to a rejected case", given: historyFor(domain.StatusRejected), when: domain.AddAttachment{Attachment: photo(1024)}, wantCode: domain.EIllegalTransition},
	})

	t.Run("the case counts its files and bytes", func(t *testing.T) {
		c := given(nearlyFull...)
		if got, want := c.Attachments, 1; got != want {
			t.Fatalf("attachments = %d, want %d", got, want)
		}
		if got, want := c.AttachmentBytes, limits.MaxAttachmentBytesPerCase-100; got != want {
			t.Fatalf("attachment bytes = %d, want %d", got, want)
		}
	})
}

func TestDuplicates(t *testing.T) {
	received := []domain.Event{incidentReported}
	runLifecycle(t, []lifecycleCase{
		{name: "link a report to the case it repeats", given: received, when: domain.LinkDuplicate{Of: otherCaseID}, want: []domain.Event{domain.DuplicateLinked{Of: otherCaseID}}, wantStatus: domain.StatusReceived},
		{name: "link a case in progress", given: historyFor(domain.StatusInProgress), when: domain.LinkDuplicate{Of: otherCaseID}, wantStatus: domain.StatusInProgress},
		{name: "a case is not a duplicate of itself", given: received, when: domain.LinkDuplicate{Of: caseID}, wantCode: domain.EINVALID},
		{name: "link without naming the original", given: received, when: domain.LinkDuplicate{}, wantCode: domain.EInvalidID},
		{name: "link a case twice", given: then(received, domain.DuplicateLinked{Of: otherCaseID}), when: domain.LinkDuplicate{Of: otherCaseID}, wantCode: domain.ECONFLICT},
		{name: "link a resolved case", given: historyFor(domain.StatusResolved), when: domain.LinkDuplicate{Of: otherCaseID}, wantCode: domain.EIllegalTransition},
	})
}

func TestFeedback(t *testing.T) {
	resolved := historyFor(domain.StatusResolved)
	tests := []lifecycleCase{
		{name: "the citizen rates a resolved case", given: resolved, when: domain.GiveFeedback{Rating: 4, Comment: " Cảm ơn "}, want: []domain.Event{domain.FeedbackGiven{Rating: 4, Comment: "Cảm ơn"}}, wantStatus: domain.StatusResolved},
		{name: "the citizen rates a closed case", given: historyFor(domain.StatusClosed), when: domain.GiveFeedback{Rating: 1}, wantStatus: domain.StatusClosed},
		{name: "feedback is given once", given: then(resolved, domain.FeedbackGiven{Rating: 5}), when: domain.GiveFeedback{Rating: 3}, wantCode: domain.ECONFLICT},
		{name: "feedback before the case is resolved", given: historyFor(domain.StatusInProgress), when: domain.GiveFeedback{Rating: 3}, wantCode: domain.EIllegalTransition},
	}
	for _, rating := range []int{1, 2, 3, 4, 5} {
		tests = append(tests, lifecycleCase{name: fmt.Sprintf("rating %d is accepted", rating), given: resolved, when: domain.GiveFeedback{Rating: rating}, want: []domain.Event{domain.FeedbackGiven{Rating: rating}}, wantStatus: domain.StatusResolved})
	}
	for _, rating := range []int{-1, 0, 6, 10} {
		tests = append(tests, lifecycleCase{name: fmt.Sprintf("rating %d is refused", rating), given: resolved, when: domain.GiveFeedback{Rating: rating}, wantCode: domain.EINVALID})
	}
	runLifecycle(t, tests)
}

func TestReclassification(t *testing.T) {
	anonymousIncident := []domain.Event{incidentReported}
	namedPetition := []domain.Event{petitionReported}
	reason := "Sai lĩnh vực"
	runLifecycle(t, []lifecycleCase{
		{
			name:       "a water report turns out to be a boundary dispute",
			given:      anonymousIncident,
			when:       domain.Reclassify{Category: "land.boundary", Reason: reason},
			want:       []domain.Event{domain.Reclassified{FromCategory: "pollution.water", ToCategory: "land.boundary", FromKind: domain.KindIncident, ToKind: domain.KindLandDispute, Reason: reason}},
			wantStatus: domain.StatusReceived,
		},
		{name: "an anonymous report cannot become a denunciation by category", given: anonymousIncident, when: domain.Reclassify{Category: "pollution.mining", Reason: reason}, wantCode: domain.EInvalidKind},
		{name: "an anonymous report cannot become a denunciation by kind", given: anonymousIncident, when: domain.Reclassify{Category: "pollution.water", Kind: domain.KindDenunciation, Reason: reason}, wantCode: domain.EInvalidKind},
		{
			name:       "a named petition becomes a denunciation",
			given:      namedPetition,
			when:       domain.Reclassify{Category: "pollution.mining", Reason: reason},
			want:       []domain.Event{domain.Reclassified{FromCategory: "pollution.other", ToCategory: "pollution.mining", FromKind: domain.KindPetition, ToKind: domain.KindDenunciation, Reason: reason}},
			wantStatus: domain.StatusReceived,
		},
		{name: "keep the category, change the kind", given: namedPetition, when: domain.Reclassify{Category: "pollution.other", Kind: domain.KindComplaint, Reason: reason}, wantStatus: domain.StatusReceived},
		{name: "reclassify a case in progress", given: historyFor(domain.StatusInProgress), when: domain.Reclassify{Category: "land.encroachment", Reason: reason}, wantStatus: domain.StatusInProgress},
		{name: "reclassify to what it already is", given: namedPetition, when: domain.Reclassify{Category: "pollution.other", Reason: reason}, wantCode: domain.ECONFLICT},
		{name: "reclassify to an unknown category", given: namedPetition, when: domain.Reclassify{Category: "pollution.light", Reason: reason}, wantCode: domain.EInvalidCategory},
		{name: "reclassify to an unknown kind", given: namedPetition, when: domain.Reclassify{Category: "pollution.air", Kind: "gossip", Reason: reason}, wantCode: domain.EInvalidKind},
		{name: "reclassify without a reason", given: namedPetition, when: domain.Reclassify{Category: "pollution.air"}, wantCode: domain.ERequired},
		{name: "reclassify a resolved case", given: historyFor(domain.StatusResolved), when: domain.Reclassify{Category: "land.encroachment", Reason: reason}, wantCode: domain.EIllegalTransition},
	})

	t.Run("the case takes the new category and kind", func(t *testing.T) {
		c := given(then(anonymousIncident, domain.Reclassified{FromCategory: "pollution.water", ToCategory: "land.boundary", FromKind: domain.KindIncident, ToKind: domain.KindLandDispute, Reason: reason})...)
		if c.Category != "land.boundary" || c.Kind != domain.KindLandDispute {
			t.Fatalf("category, kind = %s, %s; want land.boundary, land_dispute", c.Category, c.Kind)
		}
	})
}

func TestReporterErasure(t *testing.T) {
	reason := "Yêu cầu xóa dữ liệu cá nhân"
	var tests []lifecycleCase
	for _, s := range domain.Statuses() {
		if s == domain.StatusNew {
			continue
		}
		tests = append(tests, lifecycleCase{
			name:       "erase the reporter of a " + string(s) + " case",
			given:      historyFor(s),
			when:       domain.EraseReporter{Reason: reason},
			want:       []domain.Event{domain.ReporterErased{KeyID: sealed.KeyID, Reason: reason}},
			wantStatus: s,
		})
	}
	tests = append(tests,
		lifecycleCase{name: "a reporter is erased once", given: then(historyFor(domain.StatusClosed), domain.ReporterErased{KeyID: sealed.KeyID, Reason: reason}), when: domain.EraseReporter{Reason: reason}, wantCode: domain.ECONFLICT},
		lifecycleCase{name: "an anonymous report has nobody to erase", given: []domain.Event{incidentReported}, when: domain.EraseReporter{Reason: reason}, wantCode: domain.ECONFLICT},
		lifecycleCase{name: "erase without a reason", given: historyFor(domain.StatusReceived), when: domain.EraseReporter{}, wantCode: domain.ERequired},
		lifecycleCase{name: "erase the reporter of a case that does not exist", when: domain.EraseReporter{Reason: reason}, wantCode: domain.ENOTFOUND},
	)
	runLifecycle(t, tests)
}

func TestAnonymousDenunciationIsTakenAsInformation(t *testing.T) {
	report := validAnonymousReport()
	report.Category = "pollution.mining"
	runLifecycle(t, []lifecycleCase{{
		name: "an anonymous report of illegal mining becomes a petition with a note",
		when: report,
		want: []domain.Event{domain.Reported{
			Kind:        domain.KindPetition,
			Category:    "pollution.mining",
			Title:       report.Title,
			Description: report.Description,
			Location:    report.Location,
			Anonymous:   true,
			Unit:        "snnmt.thanh-tra",
			Clock:       domain.ClockResolve,
			Deadline:    endOfDay(2026, 3, 25), // 15 working days, the petition's clock
			Digest:      report.Digest,
			KindNote:    "anonymous_denunciation_as_information",
		}},
		wantStatus: domain.StatusReceived,
	}, {
		name:       "an anonymous report explicitly of kind denunciation becomes a petition too",
		when:       func() domain.Command { r := validAnonymousReport(); r.Kind = domain.KindDenunciation; return r }(),
		wantStatus: domain.StatusReceived,
	}})

	r := validAnonymousReport()
	r.Kind = domain.KindDenunciation
	events, err := domain.Decide(domain.Case{}, r, now, defaults)
	if err != nil {
		t.Fatal(err)
	}
	if got := events[0].(domain.Reported); got.Kind != domain.KindPetition || got.KindNote == "" {
		t.Fatalf("kind, note = %s, %q; want petition with a note", got.Kind, got.KindNote)
	}
}

// oneOfEach is one valid-looking instance of every command, meant for a
// land dispute (or denunciation) history from this file.
func oneOfEach() []domain.Command {
	named := validAnonymousReport()
	named.Anonymous = false
	named.Reporter = &domain.Reporter{Name: "Nguyễn Văn A", Phone: "0912 345 678"}
	named.Sealed = sealed
	return []domain.Command{
		named,
		domain.Accept{},
		domain.Reject{Reason: "Không thuộc thẩm quyền"},
		domain.Assign{Assignee: "officer-2"},
		domain.Transfer{To: "snnmt.moi-truong", Reason: "Đúng thẩm quyền"},
		domain.RecordInspection{Findings: "Đã kiểm tra"},
		domain.ScheduleMediation{At: now.Add(48 * time.Hour), Place: "UBND phường", Council: council},
		domain.RecordMediation{Outcome: domain.MediationAgreed, Minutes: "Biên bản"},
		domain.ExtendDeadline{Decision: "QĐ 1", Reason: "Phức tạp", Days: 10},
		domain.Escalate{To: "snnmt.dat-dai", Reason: "Vượt thẩm quyền"},
		domain.Resolve{Summary: "Đã trả lời"},
		domain.Close{},
		domain.Reopen{Reason: "Có tình tiết mới"},
		domain.AddComment{Text: "Ghi chú"},
		domain.AddAttachment{Attachment: domain.AttachmentAdded{Object: "o", Filename: "a.jpg", ContentType: "image/jpeg", Size: 10, SHA256: "abc"}},
		domain.LinkDuplicate{Of: otherCaseID},
		domain.GiveFeedback{Rating: 4},
		domain.Reclassify{Category: "land.encroachment", Reason: "Sai lĩnh vực"},
		domain.EraseReporter{Reason: "Yêu cầu xóa"},
	}
}

// promisedStatus is the status DESIGN.md §2 promises after an event
// happens to a case in a status. Events that record a detail keep it.
func promisedStatus(from domain.Status, e domain.Event) domain.Status {
	switch e := e.(type) {
	case domain.Reported:
		return domain.StatusReceived
	case domain.Accepted:
		return domain.StatusAccepted
	case domain.Rejected:
		return domain.StatusRejected
	case domain.Assigned:
		return domain.StatusAssigned
	case domain.Transferred:
		if from == domain.StatusReceived {
			return domain.StatusReceived
		}
		return domain.StatusAccepted
	case domain.InspectionRecorded:
		return domain.StatusInProgress
	case domain.MediationScheduled:
		return domain.StatusMediationScheduled
	case domain.MediationHeld:
		if e.Outcome == domain.MediationAbsent {
			return domain.StatusInProgress
		}
		return domain.StatusMediated
	case domain.Escalated:
		return domain.StatusEscalated
	case domain.Resolved:
		return domain.StatusResolved
	case domain.Closed:
		return domain.StatusClosed
	case domain.Reopened:
		return domain.StatusInProgress
	}
	return from
}

func TestEveryCommandHasOneEventType(t *testing.T) {
	seen := map[string]bool{}
	for _, cmd := range oneOfEach() {
		if seen[cmd.EventType()] {
			t.Errorf("two commands produce %s", cmd.EventType())
		}
		seen[cmd.EventType()] = true
	}
	for _, et := range domain.EventTypes() {
		if !seen[et] {
			t.Errorf("no command produces %s", et)
		}
	}
	if got, want := len(seen), len(domain.EventTypes()); got != want {
		t.Errorf("commands cover %d event types, want %d", got, want)
	}
}

func TestHistoriesReachTheirStatus(t *testing.T) {
	for name, histories := range map[string]map[domain.Status][]domain.Event{"land dispute": landDisputeHistory, "denunciation": denunciationHistory} {
		for s, h := range histories {
			if got := given(h...).Status; got != s {
				t.Errorf("%s history for %q folds to %q", name, s, got)
			}
		}
	}
	for _, s := range domain.Statuses() {
		if _, ok := landDisputeHistory[s]; !ok {
			t.Errorf("no land dispute history reaches %q", s)
		}
	}
}

// TestLifecycleTableDecidesEveryCommandInEveryStatus walks every status ×
// every command: Decide refuses exactly what the lifecycle table forbids,
// with the lifecycle's code, and what it allows leads where it promises.
func TestLifecycleTableDecidesEveryCommandInEveryStatus(t *testing.T) {
	type transition struct {
		event string
		from  domain.Status
	}
	succeeded := map[transition]bool{}
	for _, kind := range []struct {
		name      string
		histories map[domain.Status][]domain.Event
	}{
		{"land dispute", landDisputeHistory},
		{"land dispute agreed at mediation", map[domain.Status][]domain.Event{domain.StatusMediated: then(historyFor(domain.StatusMediationScheduled), mediationAgreed)}},
		{"denunciation", denunciationHistory},
	} {
		for _, status := range domain.Statuses() {
			history, ok := kind.histories[status]
			if !ok {
				continue // this kind never reaches the status
			}
			for _, cmd := range oneOfEach() {
				name := fmt.Sprintf("%s/%s/%T", kind.name, statusName(status), cmd)
				t.Run(name, func(t *testing.T) {
					c := given(history...)
					events, err := domain.Decide(c, cmd, now, defaults)
					legal := domain.CanHappen(cmd.EventType(), status)
					switch {
					case !legal && status == domain.StatusNew:
						wantError(t, err, domain.ENOTFOUND, "")
					case !legal:
						wantError(t, err, domain.EIllegalTransition, "")
					case err != nil:
						if code := domain.ErrorCode(err); code == domain.EIllegalTransition || code == domain.ENOTFOUND {
							t.Fatalf("a legal %s in %q failed with %s: %v", cmd.EventType(), status, code, err)
						}
					default:
						if len(events) == 0 {
							t.Fatal("Decide succeeded with no events")
						}
						if got := events[0].EventType(); got != cmd.EventType() {
							t.Fatalf("first event = %s, want %s", got, cmd.EventType())
						}
						from := status
						for i, e := range events {
							want := promisedStatus(from, e)
							after := given(then(history, events[:i+1]...)...)
							if after.Status != want {
								t.Fatalf("after %s in %q status = %q, want %q", e.EventType(), from, after.Status, want)
							}
							from = after.Status
						}
						succeeded[transition{cmd.EventType(), status}] = true
					}
					if err != nil && events != nil {
						t.Fatalf("Decide returned events %+v with an error", events)
					}
				})
			}
		}
	}
	// Every transition the table allows must be possible for some case:
	// a legal transition that always fails is a rule the table hides.
	// Only land disputes reach mediation_scheduled, and the default policy
	// lets no land dispute clock be extended; an operator's policy may
	// (TestAnOperatorMayAllowExtendingTheMediationClock).
	succeeded[transition{"deadline_extended", domain.StatusMediationScheduled}] = true
	for _, et := range domain.EventTypes() {
		for _, s := range domain.Statuses() {
			if domain.CanHappen(et, s) && !succeeded[transition{et, s}] {
				t.Errorf("%s is legal in %q but never succeeded", et, s)
			}
		}
	}
}

func statusName(s domain.Status) string {
	if s == domain.StatusNew {
		return "new"
	}
	return string(s)
}

func TestOverdue(t *testing.T) {
	due := endOfDay(2026, 3, 5) // the land dispute's acceptance notice
	after := due.Add(time.Second)
	tests := []struct {
		name  string
		given []domain.Event
		at    time.Time
		want  bool
	}{
		{"a new report before its deadline", historyFor(domain.StatusReceived), due, false},
		{"a new report one second after its deadline", historyFor(domain.StatusReceived), after, true},
		{"an accepted case runs on its new clock", historyFor(domain.StatusAccepted), after, false},
		{"a rejected case has no clock", historyFor(domain.StatusRejected), after.AddDate(1, 0, 0), false},
		{"a resolved case is not overdue", historyFor(domain.StatusResolved), after.AddDate(1, 0, 0), false},
		{"a closed case is not overdue", historyFor(domain.StatusClosed), after.AddDate(1, 0, 0), false},
		{"an extension moves the deadline", []domain.Event{denunciationReported, acceptedToResolve, domain.DeadlineExtended{Decision: "QĐ", Reason: "x", Days: 30, Deadline: endOfDay(2026, 5, 3)}}, endOfDay(2026, 4, 10), false},
		{"a case that does not exist", nil, after, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := given(tt.given...).Overdue(tt.at); got != tt.want {
				t.Fatalf("Overdue(%s) = %v, want %v", tt.at.Format(time.RFC3339), got, tt.want)
			}
		})
	}
}

func TestOpen311SeesOpenUntilResolvedOrRejected(t *testing.T) {
	closed := map[domain.Status]bool{domain.StatusResolved: true, domain.StatusClosed: true, domain.StatusRejected: true}
	for _, s := range domain.Statuses() {
		want := "open"
		if closed[s] {
			want = "closed"
		}
		if got := s.Open311(); got != want {
			t.Errorf("%q.Open311() = %s, want %s", s, got, want)
		}
		if got, want := s.Terminal(), s == domain.StatusRejected || s == domain.StatusClosed; got != want {
			t.Errorf("%q.Terminal() = %v, want %v", s, got, want)
		}
	}
}

func TestErrorCodeSurvivesWrapping(t *testing.T) {
	err := fmt.Errorf("cases: accept %s: %w", caseID, domain.FieldErrorf(domain.ERequired, "reason", "reason is required"))
	if got, want := domain.ErrorCode(err), domain.ERequired; got != want {
		t.Fatalf("ErrorCode = %s, want %s", got, want)
	}
	if got, want := errorField(err), "reason"; got != want {
		t.Fatalf("field = %q, want %q", got, want)
	}
	if got, want := domain.ErrorCode(fmt.Errorf("plain")), domain.EINTERNAL; got != want {
		t.Fatalf("ErrorCode of a plain error = %s, want %s", got, want)
	}
	if got, want := domain.ErrorCode(domain.ErrConcurrency), domain.EVersionConflict; got != want {
		t.Fatalf("ErrorCode(ErrConcurrency) = %s, want %s", got, want)
	}
}

func TestAnOperatorMayAllowExtendingTheMediationClock(t *testing.T) {
	policy, err := domain.LoadPolicy(strings.NewReader(policyWith(t, changeRule(domain.KindLandDispute, domain.PhaseAccepted, func(r *domain.ClockRule) {
		r.ExtensionDays, r.MaxExtensions = 15, 1
	}))))
	if err != nil {
		t.Fatal(err)
	}
	rules := domain.Rules{Geo: defaults.Geo, Policy: policy}
	history := historyFor(domain.StatusMediationScheduled) // mediation due 1 April 2026
	events, err := domain.Decide(given(history...), domain.ExtendDeadline{Decision: "QĐ 7", Reason: "Chờ đo đạc", Days: 15}, now, rules)
	if err != nil {
		t.Fatalf("Decide: %v", err)
	}
	want := []domain.Event{domain.DeadlineExtended{Decision: "QĐ 7", Reason: "Chờ đo đạc", Days: 15, Deadline: endOfDay(2026, 4, 16)}}
	if !reflect.DeepEqual(events, want) {
		t.Fatalf("events = %+v, want %+v", events, want)
	}
	c := given(then(history, events...)...)
	if c.Status != domain.StatusMediationScheduled || c.Extensions != 1 {
		t.Fatalf("status, extensions = %q, %d; want mediation_scheduled, 1", c.Status, c.Extensions)
	}
	_, err = domain.Decide(c, domain.ExtendDeadline{Decision: "QĐ 8", Reason: "x", Days: 1}, now, rules)
	wantError(t, err, domain.ELimitReached, "")
}

// TestInspectionDayIsVietnamsDay: a case that came in at 06:00 in Vietnam
// is stamped the evening before in UTC; an inspection is dated from the day
// it came in by Vietnam's calendar, whatever the stamp's zone.
func TestInspectionDayIsVietnamsDay(t *testing.T) {
	came := time.Date(2026, 3, 2, 6, 0, 0, 0, domain.Vietnam)
	c := domain.Fold([]domain.Envelope{
		{CaseID: caseID, Seq: 1, Time: came.UTC(), Event: incidentReported},
		{CaseID: caseID, Seq: 2, Time: came.Add(time.Hour).UTC(), Event: domain.Accepted{Clock: domain.ClockResolve, Deadline: endOfDay(2026, 3, 20)}},
		{CaseID: caseID, Seq: 3, Time: came.Add(2 * time.Hour).UTC(), Event: domain.Assigned{Assignee: "officer-1"}},
	})
	for _, tc := range []struct {
		at   time.Time
		want bool
	}{
		{time.Date(2026, 3, 2, 0, 0, 0, 0, domain.Vietnam), true},
		{time.Date(2026, 3, 1, 23, 0, 0, 0, time.UTC), true}, // 06:00 on the 2nd in Vietnam
		{time.Date(2026, 3, 1, 12, 0, 0, 0, domain.Vietnam), false},
	} {
		_, err := domain.Decide(c, domain.RecordInspection{InspectedAt: tc.at, Findings: "x"}, now, defaults)
		if got := err == nil; got != tc.want {
			t.Errorf("inspection at %s: accepted = %v (%v), want %v", tc.at, got, err, tc.want)
		}
	}
}
