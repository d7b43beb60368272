package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
)

// The fixed world every domain test lives in: one case, one clock, the
// built-in Lào Cai geography and policy.
var (
	caseID      = uuid.MustParse("01960000-0000-7000-8000-000000000001")
	otherCaseID = uuid.MustParse("01960000-0000-7000-8000-000000000002")

	// receivedAt is when every given history starts: Monday 2 March 2026,
	// 08:00 in Vietnam. Each later given event happens one hour after the
	// one before it.
	receivedAt = time.Date(2026, 3, 2, 8, 0, 0, 0, domain.Vietnam)
	// now is when every command is decided: Wednesday 4 March 2026, 10:00.
	now = time.Date(2026, 3, 4, 10, 0, 0, 0, domain.Vietnam)

	defaults = domain.Rules{Geo: domain.DefaultGeography(), Policy: domain.DefaultPolicy()}

	sealed = &domain.SealedReporter{KeyID: "key-1", Sealed: []byte("nonce+ciphertext")}
)

// endOfDay is the last second of a day in Vietnam: the instant every
// deadline falls on.
func endOfDay(year int, month time.Month, day int) time.Time {
	return time.Date(year, month, day, 23, 59, 59, 0, domain.Vietnam)
}

// given folds a history of events into the case they describe, as the
// event store would: one case id, sequences from 1, one event an hour.
func given(events ...domain.Event) domain.Case {
	envs := make([]domain.Envelope, len(events))
	for i, e := range events {
		envs[i] = domain.Envelope{
			CaseID: caseID,
			Seq:    uint64(i + 1),
			Time:   receivedAt.Add(time.Duration(i) * time.Hour),
			Actor:  domain.Actor{ID: "test", Role: domain.RoleSystem},
			Event:  e,
		}
	}
	return domain.Fold(envs)
}

// then appends more events to a history without touching the original.
func then(history []domain.Event, more ...domain.Event) []domain.Event {
	out := make([]domain.Event, 0, len(history)+len(more))
	return append(append(out, history...), more...)
}

// Reports as they open a case, one per kind. Units and clocks are what the
// default policy gives for Phường Lào Cai.
var (
	landDisputeReported = domain.Reported{
		Kind: domain.KindLandDispute, Category: "land.boundary",
		Title:       "Tranh chấp ranh giới thửa đất",
		Description: "Hộ bên cạnh dựng tường lấn sang đất nhà tôi.",
		Location:    domain.Location{Commune: "lao-cai"},
		Reporter:    sealed, Unit: "ubnd.lao-cai",
		Clock: domain.ClockAccept, Deadline: endOfDay(2026, 3, 5), Digest: "digest-land",
	}
	complaintReported = domain.Reported{
		Kind: domain.KindComplaint, Category: "land.compensation",
		Title:       "Khiếu nại mức bồi thường",
		Description: "Mức bồi thường khi thu hồi đất thấp hơn giá thị trường.",
		Location:    domain.Location{Commune: "lao-cai"},
		Reporter:    sealed, Unit: "ubnd.lao-cai",
		Clock: domain.ClockAccept, Deadline: endOfDay(2026, 3, 12), Digest: "digest-complaint",
	}
	denunciationReported = domain.Reported{
		Kind: domain.KindDenunciation, Category: "pollution.mining",
		Title:       "Khai thác cát trái phép",
		Description: "Tàu hút cát hoạt động ban đêm trên sông Hồng.",
		Location:    domain.Location{Commune: "lao-cai"},
		Reporter:    sealed, Unit: "snnmt.thanh-tra",
		Clock: domain.ClockAccept, Deadline: endOfDay(2026, 3, 11), Digest: "digest-denunciation",
	}
	incidentReported = domain.Reported{
		Kind: domain.KindIncident, Category: "pollution.water",
		Title:       "Nước suối đổi màu",
		Description: "Nước suối chuyển màu đỏ, cá chết.",
		Location:    domain.Location{Commune: "lao-cai"},
		Anonymous:   true, Unit: "ubnd.lao-cai",
		Clock: domain.ClockAcknowledge, Deadline: endOfDay(2026, 3, 3), Digest: "digest-incident",
	}
	petitionReported = domain.Reported{
		Kind: domain.KindPetition, Category: "pollution.other",
		Title:       "Đèn đường chiếu vào ruộng",
		Description: "Đề nghị xem xét ánh sáng ảnh hưởng mùa màng.",
		Location:    domain.Location{Commune: "lao-cai"},
		Reporter:    sealed, Unit: "snnmt.moi-truong",
		Clock: domain.ClockResolve, Deadline: endOfDay(2026, 3, 23), Digest: "digest-petition",
	}
)

// Later facts in a case's life.
var (
	acceptedToResolve  = domain.Accepted{Clock: domain.ClockResolve, Deadline: endOfDay(2026, 4, 3)}
	acceptedToMediate  = domain.Accepted{Clock: domain.ClockMediate, Deadline: endOfDay(2026, 4, 1)}
	rejectedOutOfScope = domain.Rejected{Reason: "Không thuộc thẩm quyền"}
	assignedToOfficer1 = domain.Assigned{Assignee: "officer-1"}
	inspectedOnSite    = domain.InspectionRecorded{InspectedAt: receivedAt.Add(3 * time.Hour), Findings: "Đã xác minh hiện trường"}
	council            = []domain.CouncilMember{
		{Name: "Chủ tịch UBND phường", Role: domain.CouncilChair},
		{Name: "Đại diện Ủy ban MTTQ phường", Role: domain.CouncilFront},
	}
	mediationScheduled  = domain.MediationScheduled{At: time.Date(2026, 3, 3, 9, 0, 0, 0, domain.Vietnam), Place: "Hội trường UBND phường"}
	mediationAgreed     = domain.MediationHeld{Outcome: domain.MediationAgreed, Minutes: "Biên bản hòa giải thành"}
	mediationFailed     = domain.MediationHeld{Outcome: domain.MediationFailed, Minutes: "Biên bản hòa giải không thành"}
	firstAbsence        = domain.MediationHeld{Outcome: domain.MediationAbsent, Minutes: "Một bên vắng mặt", Absences: 1}
	escalatedToLandDept = domain.Escalated{From: "ubnd.lao-cai", To: "snnmt.dat-dai", Reason: "Hòa giải không thành"}
	resolvedWithAnswer  = domain.Resolved{Summary: "Đã trả lời công dân"}
	closedAndFiled      = domain.Closed{Note: "Lưu hồ sơ"}
)

// landDisputeHistory is the shortest life of a land dispute that reaches
// each status; a land dispute is the one kind that reaches every status.
var landDisputeHistory = map[domain.Status][]domain.Event{
	domain.StatusNew:                nil,
	domain.StatusReceived:           {landDisputeReported},
	domain.StatusAccepted:           {landDisputeReported, acceptedToMediate},
	domain.StatusRejected:           {landDisputeReported, rejectedOutOfScope},
	domain.StatusAssigned:           {landDisputeReported, acceptedToMediate, assignedToOfficer1},
	domain.StatusInProgress:         {landDisputeReported, acceptedToMediate, assignedToOfficer1, inspectedOnSite},
	domain.StatusMediationScheduled: {landDisputeReported, acceptedToMediate, assignedToOfficer1, inspectedOnSite, mediationScheduled},
	domain.StatusMediated:           {landDisputeReported, acceptedToMediate, assignedToOfficer1, inspectedOnSite, mediationScheduled, mediationFailed},
	domain.StatusEscalated:          {landDisputeReported, acceptedToMediate, assignedToOfficer1, inspectedOnSite, mediationScheduled, mediationFailed, escalatedToLandDept},
	domain.StatusResolved:           {landDisputeReported, acceptedToMediate, assignedToOfficer1, inspectedOnSite, mediationScheduled, mediationAgreed, resolvedWithAnswer},
	domain.StatusClosed:             {landDisputeReported, acceptedToMediate, assignedToOfficer1, inspectedOnSite, mediationScheduled, mediationAgreed, resolvedWithAnswer, closedAndFiled},
}

// historyFor returns the events that put a land dispute in a status.
func historyFor(s domain.Status) []domain.Event {
	h, ok := landDisputeHistory[s]
	if !ok {
		panic("no history reaches status " + string(s))
	}
	return then(h)
}

// denunciationHistory reaches every status a denunciation can be in; it
// exercises the clocks that land disputes lack (extensions).
var denunciationHistory = map[domain.Status][]domain.Event{
	domain.StatusNew:        nil,
	domain.StatusReceived:   {denunciationReported},
	domain.StatusAccepted:   {denunciationReported, acceptedToResolve},
	domain.StatusRejected:   {denunciationReported, rejectedOutOfScope},
	domain.StatusAssigned:   {denunciationReported, acceptedToResolve, assignedToOfficer1},
	domain.StatusInProgress: {denunciationReported, acceptedToResolve, assignedToOfficer1, inspectedOnSite},
	domain.StatusEscalated:  {denunciationReported, acceptedToResolve, assignedToOfficer1, inspectedOnSite, domain.Escalated{From: "snnmt.thanh-tra", To: "ubnd.tinh", Reason: "Vượt thẩm quyền"}},
	domain.StatusResolved:   {denunciationReported, acceptedToResolve, assignedToOfficer1, inspectedOnSite, resolvedWithAnswer},
	domain.StatusClosed:     {denunciationReported, acceptedToResolve, assignedToOfficer1, inspectedOnSite, resolvedWithAnswer, closedAndFiled},
}

// errorField returns the field an error blames, or "".
func errorField(err error) string {
	var e *domain.Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// wantError fails unless err carries the code (and, when given, the field).
func wantError(t *testing.T, err error, code domain.Code, field string) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %s", code)
	}
	if got := domain.ErrorCode(err); got != code {
		t.Fatalf("code = %s, want %s (err: %v)", got, code, err)
	}
	if field != "" {
		if got := errorField(err); got != field {
			t.Fatalf("field = %q, want %q (err: %v)", got, field, err)
		}
	}
}
