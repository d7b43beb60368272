package domain_test

import (
	"testing"
	"time"

	"phananh/domain"
)

// BenchmarkDecide decides the commands of a case's working life against
// the state each one meets, with the built-in rules: the pure part of every
// request that changes a case.
func BenchmarkDecide(b *testing.B) {
	submit := domain.SubmitReport{ID: caseID, Category: "pollution.waste", Anonymous: true,
		Title:       "Bãi rác tự phát ven suối",
		Description: "Rác thải sinh hoạt đổ xuống suối gần cầu, bốc mùi và tràn ra đường khi trời mưa.",
		Location:    domain.Location{Commune: "lao-cai", Address: "Cầu Cốc Lếu"}}
	received := given(incidentReported)
	accepted := given(incidentReported, acceptedToResolve)
	assigned := given(incidentReported, acceptedToResolve, assignedToOfficer1)
	cases := []struct {
		name string
		c    domain.Case
		cmd  domain.Command
	}{
		{"submit", domain.Case{}, submit},
		{"accept", received, domain.Accept{Note: "Tiếp nhận"}},
		{"assign", accepted, domain.Assign{Assignee: "officer-2", AssigneeUnit: "ubnd.lao-cai"}},
		{"comment", assigned, domain.AddComment{Text: "Đã liên hệ tổ dân phố để xác minh."}},
		{"resolve", assigned, domain.Resolve{Summary: "Đã thu gom rác", Measures: "Lắp biển cấm"}},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := domain.Decide(tc.c, tc.cmd, now, defaults); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEvolve applies one event of each common kind to the case before
// it, and folds a ten-event history: what Load and every projection pay per
// stored event.
func BenchmarkEvolve(b *testing.B) {
	history := []domain.Event{incidentReported, acceptedToResolve, assignedToOfficer1,
		domain.CommentAdded{Text: "Ghi chú 1"}, domain.CommentAdded{Text: "Ghi chú 2"},
		inspectedOnSite, domain.CommentAdded{Text: "Ghi chú 3"}, resolvedWithAnswer,
		domain.Closed{}, domain.FeedbackGiven{Rating: 5}}
	envs := make([]domain.Envelope, len(history))
	for i, e := range history {
		envs[i] = domain.Envelope{CaseID: caseID, Seq: uint64(i + 1), Time: receivedAt.Add(time.Duration(i) * time.Hour),
			Actor: domain.Actor{ID: "officer-1", Role: domain.RoleOfficer, Unit: "ubnd.lao-cai"}, Event: e}
	}
	for _, k := range []int{0, 1, 2, 3} {
		before := domain.Fold(envs[:k])
		b.Run(envs[k].Type(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = domain.Evolve(before, envs[k])
			}
		})
	}
	b.Run("fold_10", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = domain.Fold(envs)
		}
	})
}
