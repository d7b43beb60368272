package domain_test

import (
	"testing"

	"phananh/domain"
)

func TestAuthorize(t *testing.T) {
	landCase := given(landDisputeReported) // with ubnd.lao-cai
	actor := func(role domain.Role, unit string) domain.Actor {
		return domain.Actor{ID: string(role) + "@" + unit, Role: role, Unit: unit}
	}
	tests := []struct {
		name    string
		actor   domain.Actor
		when    domain.Command
		allowed bool
	}{
		{"officer accepts a case of the unit", actor(domain.RoleOfficer, "ubnd.lao-cai"), domain.Accept{}, true},
		{"officer of unit A acts on a case of unit B", actor(domain.RoleOfficer, "ubnd.cam-duong"), domain.Accept{}, false},
		{"officer without a unit", actor(domain.RoleOfficer, ""), domain.Accept{}, false},
		{"officer may not assign", actor(domain.RoleOfficer, "ubnd.lao-cai"), domain.Assign{Assignee: "x"}, false},
		{"officer may not extend a deadline", actor(domain.RoleOfficer, "ubnd.lao-cai"), domain.ExtendDeadline{}, false},
		{"officer may not transfer", actor(domain.RoleOfficer, "ubnd.lao-cai"), domain.Transfer{To: "snnmt.dat-dai"}, false},
		{"officer resolves", actor(domain.RoleOfficer, "ubnd.lao-cai"), domain.Resolve{}, true},
		{"unit head assigns within the unit", actor(domain.RoleUnitHead, "ubnd.lao-cai"), domain.Assign{Assignee: "x"}, true},
		{"unit head extends a deadline", actor(domain.RoleUnitHead, "ubnd.lao-cai"), domain.ExtendDeadline{}, true},
		{"unit head of another unit assigns", actor(domain.RoleUnitHead, "ubnd.cam-duong"), domain.Assign{Assignee: "x"}, false},
		{"coordinator transfers any case", actor(domain.RoleCoordinator, ""), domain.Transfer{To: "snnmt.dat-dai"}, true},
		{"coordinator may not resolve", actor(domain.RoleCoordinator, ""), domain.Resolve{}, false},
		{"supervisor records an internal note", actor(domain.RoleSupervisor, "mttq.tinh"), domain.AddComment{Text: "x"}, true},
		{"supervisor may not publish a comment", actor(domain.RoleSupervisor, "mttq.tinh"), domain.AddComment{Text: "x", Public: true}, false},
		{"supervisor tries to resolve", actor(domain.RoleSupervisor, "mttq.tinh"), domain.Resolve{}, false},
		{"leader changes nothing", actor(domain.RoleLeader, ""), domain.AddComment{Text: "x"}, false},
		{"admin changes no case", actor(domain.RoleAdmin, ""), domain.Accept{}, false},
		{"admin erases a reporter on request", actor(domain.RoleAdmin, ""), domain.EraseReporter{}, true},
		{"citizen gives feedback", domain.Actor{Role: domain.RoleCitizen}, domain.GiveFeedback{}, true},
		{"citizen reopens", domain.Actor{Role: domain.RoleCitizen}, domain.Reopen{}, true},
		{"citizen may not resolve", domain.Actor{Role: domain.RoleCitizen}, domain.Resolve{}, false},
		{"the system escalates an overdue case", domain.Actor{Role: domain.RoleSystem}, domain.Escalate{}, true},
		{"an unknown role does nothing", domain.Actor{Role: "mayor", Unit: "ubnd.lao-cai"}, domain.Accept{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := domain.Authorize(tt.actor, landCase, tt.when)
			if tt.allowed && err != nil {
				t.Fatalf("Authorize = %v, want allowed", err)
			}
			if !tt.allowed && domain.ErrorCode(err) != domain.EFORBIDDEN {
				t.Fatalf("Authorize = %v, want forbidden", err)
			}
		})
	}
}

func TestCanReadUnit(t *testing.T) {
	tests := []struct {
		actor domain.Actor
		unit  string
		want  bool
	}{
		{domain.Actor{Role: domain.RoleOfficer, Unit: "ubnd.lao-cai"}, "ubnd.lao-cai", true},
		{domain.Actor{Role: domain.RoleOfficer, Unit: "ubnd.lao-cai"}, "ubnd.cam-duong", false},
		{domain.Actor{Role: domain.RoleUnitHead, Unit: "ubnd.lao-cai"}, "ubnd.cam-duong", false},
		{domain.Actor{Role: domain.RoleCoordinator}, "ubnd.cam-duong", true},
		{domain.Actor{Role: domain.RoleSupervisor, Unit: "mttq.tinh"}, "ubnd.cam-duong", true},
		{domain.Actor{Role: domain.RoleLeader}, "ubnd.cam-duong", false},
		{domain.Actor{Role: domain.RoleAdmin}, "ubnd.cam-duong", false},
		{domain.Actor{Role: domain.RoleCitizen}, "ubnd.cam-duong", false},
	}
	for _, tt := range tests {
		if got := domain.CanReadUnit(tt.actor, tt.unit); got != tt.want {
			t.Errorf("CanReadUnit(%s of %q, %s) = %v, want %v", tt.actor.Role, tt.actor.Unit, tt.unit, got, tt.want)
		}
	}
}

func TestCanSeeReporter(t *testing.T) {
	denunciation := given(denunciationReported) // with snnmt.thanh-tra, the inspectorate
	denunciation.Unit = "snnmt.moi-truong"      // as if transferred to a division
	complaint := given(complaintReported)       // with ubnd.lao-cai
	anonymous := given(incidentReported)
	erased := given(complaintReported, domain.ReporterErased{KeyID: "key-1", Reason: "yêu cầu"})
	// A denunciation reclassified as a petition, and a complaint as a
	// denunciation: either way the denouncer stays protected.
	wasDenunciation := given(denunciationReported, domain.Reclassified{FromCategory: denunciationReported.Category,
		ToCategory: denunciationReported.Category, FromKind: domain.KindDenunciation, ToKind: domain.KindPetition, Reason: "kiến nghị"})
	wasDenunciation.Unit = "snnmt.moi-truong" // as if transferred to a division
	nowDenunciation := given(complaintReported, domain.Reclassified{FromCategory: complaintReported.Category,
		ToCategory: complaintReported.Category, FromKind: domain.KindComplaint, ToKind: domain.KindDenunciation, Reason: "tố cáo"})
	// A complaint taken for a denunciation by mistake and put back: its
	// reporter never filed under a denouncer's protection.
	backToComplaint := given(complaintReported, domain.Reclassified{FromCategory: complaintReported.Category,
		ToCategory: complaintReported.Category, FromKind: domain.KindComplaint, ToKind: domain.KindDenunciation, Reason: "tố cáo"},
		domain.Reclassified{FromCategory: complaintReported.Category, ToCategory: complaintReported.Category,
			FromKind: domain.KindDenunciation, ToKind: domain.KindComplaint, Reason: "nhầm"})
	geo := defaults.Geo
	tests := []struct {
		name  string
		actor domain.Actor
		c     domain.Case
		want  bool
	}{
		{"denunciation: head of the handling unit", domain.Actor{Role: domain.RoleUnitHead, Unit: "snnmt.moi-truong"}, denunciation, true},
		{"denunciation: officer of the handling unit", domain.Actor{Role: domain.RoleOfficer, Unit: "snnmt.moi-truong"}, denunciation, false},
		{"denunciation: the inspectorate", domain.Actor{Role: domain.RoleOfficer, Unit: "snnmt.thanh-tra"}, denunciation, true},
		{"denunciation: a supervisor", domain.Actor{Role: domain.RoleSupervisor, Unit: "mttq.tinh"}, denunciation, false},
		{"denunciation: a coordinator", domain.Actor{Role: domain.RoleCoordinator}, denunciation, false},
		{"complaint: officer of the handling unit", domain.Actor{Role: domain.RoleOfficer, Unit: "ubnd.lao-cai"}, complaint, true},
		{"complaint: officer of another unit", domain.Actor{Role: domain.RoleOfficer, Unit: "ubnd.cam-duong"}, complaint, false},
		{"complaint: a leader", domain.Actor{Role: domain.RoleLeader}, complaint, false},
		{"once a denunciation: officer of the handling unit", domain.Actor{Role: domain.RoleOfficer, Unit: "snnmt.moi-truong"}, wasDenunciation, false},
		{"once a denunciation: head of the handling unit", domain.Actor{Role: domain.RoleUnitHead, Unit: "snnmt.moi-truong"}, wasDenunciation, true},
		{"once a denunciation: the inspectorate", domain.Actor{Role: domain.RoleOfficer, Unit: "snnmt.thanh-tra"}, wasDenunciation, true},
		{"reclassified as a denunciation: officer of the handling unit", domain.Actor{Role: domain.RoleOfficer, Unit: "ubnd.lao-cai"}, nowDenunciation, false},
		{"reclassified as a denunciation: head of the handling unit", domain.Actor{Role: domain.RoleUnitHead, Unit: "ubnd.lao-cai"}, nowDenunciation, true},
		{"reclassified as a denunciation and back: officer of the handling unit", domain.Actor{Role: domain.RoleOfficer, Unit: "ubnd.lao-cai"}, backToComplaint, true},
		{"anonymous: nobody", domain.Actor{Role: domain.RoleUnitHead, Unit: "ubnd.lao-cai"}, anonymous, false},
		{"erased: nobody", domain.Actor{Role: domain.RoleUnitHead, Unit: "ubnd.lao-cai"}, erased, false},
	}
	for _, tt := range tests {
		if got := domain.CanSeeReporter(tt.actor, tt.c, geo); got != tt.want {
			t.Errorf("%s: CanSeeReporter = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestAssignToAnOfficerOfAnotherUnit(t *testing.T) {
	c := given(landDisputeReported, acceptedToMediate)
	_, err := domain.Decide(c, domain.Assign{Assignee: "officer-9", AssigneeUnit: "ubnd.cam-duong"}, now, defaults)
	wantError(t, err, domain.EFORBIDDEN, "officer")
	if _, err := domain.Decide(c, domain.Assign{Assignee: "officer-1", AssigneeUnit: "ubnd.lao-cai"}, now, defaults); err != nil {
		t.Fatalf("assign within the unit: %v", err)
	}
}

func TestMediationCouncilAndAttendance(t *testing.T) {
	inProgress := given(historyFor(domain.StatusInProgress)...)
	at := now.Add(48 * 3600e9)
	noFront := []domain.CouncilMember{{Name: "Chủ tịch UBND phường", Role: domain.CouncilChair}}
	_, err := domain.Decide(inProgress, domain.ScheduleMediation{At: at, Place: "UBND", Council: noFront}, now, defaults)
	wantError(t, err, domain.EINVALID, "council")
	_, err = domain.Decide(inProgress, domain.ScheduleMediation{At: at, Place: "UBND"}, now, defaults)
	wantError(t, err, domain.ERequired, "council")
	bad := append([]domain.CouncilMember{{Name: "X", Role: "mayor"}}, council...)
	_, err = domain.Decide(inProgress, domain.ScheduleMediation{At: at, Place: "UBND", Council: bad}, now, defaults)
	wantError(t, err, domain.EINVALID, "council.role")

	scheduled := given(historyFor(domain.StatusMediationScheduled)...)
	absentParty := []domain.Attendee{{Name: "Ông A", Party: true, Present: true}, {Name: "Bà B", Party: true, Present: false}}
	_, err = domain.Decide(scheduled, domain.RecordMediation{Outcome: domain.MediationAgreed, Attendance: absentParty, Minutes: "m"}, now, defaults)
	wantError(t, err, domain.EINVALID, "outcome")
	allPresent := []domain.Attendee{{Name: "Ông A", Party: true, Present: true}, {Name: "Bà B", Party: true, Present: true}}
	_, err = domain.Decide(scheduled, domain.RecordMediation{Outcome: domain.MediationAbsent, Attendance: allPresent, Minutes: "m"}, now, defaults)
	wantError(t, err, domain.EINVALID, "attendance")
	events, err := domain.Decide(scheduled, domain.RecordMediation{Outcome: domain.MediationAbsent, Attendance: absentParty, Minutes: "m"}, now, defaults)
	if err != nil {
		t.Fatal(err)
	}
	if held := events[0].(domain.MediationHeld); len(held.Attendance) != 2 || held.Absences != 1 {
		t.Fatalf("held = %+v, want the attendance recorded and a first absence", held)
	}
}

func TestFiguresScope(t *testing.T) {
	tests := []struct {
		actor    domain.Actor
		exports  bool
		wantAll  bool
		wantUnit string
		wantErr  bool
	}{
		{domain.Actor{Role: domain.RoleLeader}, false, true, "", false},
		{domain.Actor{Role: domain.RoleSupervisor, Unit: "mttq.tinh"}, false, true, "", false},
		{domain.Actor{Role: domain.RoleCoordinator}, true, true, "", false},
		{domain.Actor{Role: domain.RoleAdmin}, false, true, "", false},
		{domain.Actor{Role: domain.RoleUnitHead, Unit: "ubnd.lao-cai"}, false, false, "ubnd.lao-cai", false},
		{domain.Actor{Role: domain.RoleUnitHead}, false, false, "", true},
		{domain.Actor{Role: domain.RoleOfficer, Unit: "ubnd.lao-cai"}, false, false, "", true},
		{domain.Actor{Role: domain.RoleOfficer, Unit: "ubnd.lao-cai"}, true, false, "ubnd.lao-cai", false},
		{domain.Actor{Role: domain.RoleCitizen}, false, false, "", true},
	}
	for _, tt := range tests {
		all, unit, err := domain.FiguresScope(tt.actor, tt.exports)
		if all != tt.wantAll || unit != tt.wantUnit || (err != nil) != tt.wantErr {
			t.Errorf("FiguresScope(%s of %q, exports=%v) = %v, %q, %v; want %v, %q, error %v",
				tt.actor.Role, tt.actor.Unit, tt.exports, all, unit, err, tt.wantAll, tt.wantUnit, tt.wantErr)
		}
		if err != nil && domain.ErrorCode(err) != domain.EFORBIDDEN {
			t.Errorf("FiguresScope error code = %s, want forbidden", domain.ErrorCode(err))
		}
	}
}
