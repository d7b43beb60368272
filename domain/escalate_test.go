package domain_test

import (
	"strings"
	"testing"

	"phananh/domain"
)

// TestEscalationGoesOnPastTheProvince: above the top tier a case may go on
// from one authority to another that the geography lists (a ministry), as
// the tier rule otherwise forbids units of one tier.
func TestEscalationGoesOnPastTheProvince(t *testing.T) {
	geo, err := domain.LoadGeography(strings.NewReader(`{"province":"Thử","communes":[{"code":"xa-a","name":"Xã A"}],
		"units":[{"code":"ubnd.xa-a","name":"UBND xã A","type":"commune_committee","commune":"xa-a"},
		{"code":"ubnd.tinh","name":"UBND tỉnh","type":"authority"},{"code":"bo.nnmt","name":"Bộ Nông nghiệp và Môi trường","type":"authority"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	rules := domain.Rules{Geo: geo, Policy: defaults.Policy}
	atProvince := given(complaintReported, domain.Accepted{Clock: domain.ClockResolve, Deadline: endOfDay(2026, 4, 30)})
	atProvince.Unit = "ubnd.tinh"
	got, err := domain.Decide(atProvince, domain.Escalate{To: "bo.nnmt", Reason: "Khiếu nại lần hai"}, now, rules)
	if err != nil || len(got) != 1 {
		t.Fatalf("from the province to a ministry: %v, %v", got, err)
	}
	atWard := atProvince
	atWard.Unit = "ubnd.xa-a"
	if _, err := domain.Decide(atWard, domain.Escalate{To: "ubnd.tinh", Reason: "x"}, now, rules); err != nil {
		t.Errorf("from a ward to the province: %v", err)
	}
}
