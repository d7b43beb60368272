package cases

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
)

// TestARetryMatchesAReportFiledBeforeTextsWereComposed: validation now
// composes texts (NFC); a report sent decomposed and filed before that was
// digested with its texts as sent, trimmed. A retry of the same bytes is
// the same report, under either digest; other content is not.
func TestARetryMatchesAReportFiledBeforeTextsWereComposed(t *testing.T) {
	s, _ := macService()
	rules := domain.Rules{Geo: domain.DefaultGeography(), Policy: domain.DefaultPolicy()}
	now := time.Date(2026, 11, 29, 9, 0, 0, 0, domain.Vietnam)
	validate := func(r domain.SubmitReport) domain.SubmitReport {
		t.Helper()
		v, err := r.Validate(now, rules)
		if err != nil {
			t.Fatal(err)
		}
		v.Digest = s.digest(v)
		return v
	}
	id := uuid.Must(uuid.NewV7())
	sent := domain.SubmitReport{ID: id, Category: "pollution.water",
		Title:       " Nu\u031bo\u031b\u0301c suo\u0302\u0301i đu\u0323c ", // "Nước suối đục", decomposed
		Description: "Nước đục từ sáng.", Location: domain.Location{Commune: "lao-cai", Address: "Ca\u0302\u0300u Nậm Lúc"},
		Reporter: &domain.Reporter{Name: "Nguye\u0302\u0303n An", Phone: "0912 345 678"}}
	valid := validate(sent)
	if valid.Title != "Nước suối đục" {
		t.Fatalf("validated title %+q, want it composed", valid.Title)
	}
	// What the code before composition stored for it: the texts as sent,
	// trimmed, and the rest as validation gives it.
	before := domain.SubmitReport{Category: "pollution.water", Kind: valid.Kind,
		Title: "Nu\u031bo\u031b\u0301c suo\u0302\u0301i đu\u0323c", Description: "Nước đục từ sáng.",
		Location: domain.Location{Commune: "lao-cai", Address: "Ca\u0302\u0300u Nậm Lúc"},
		Reporter: &domain.Reporter{Name: "Nguye\u0302\u0303n An", Phone: "0912 345 678"}}
	filedBefore, filedNow := s.digest(before), valid.Digest
	if filedBefore == filedNow {
		t.Fatal("the two digests are equal: the test shows nothing")
	}
	other := sent
	other.Description = "Nước trong."
	for _, tc := range []struct {
		name   string
		stored string
		retry  domain.SubmitReport
		want   bool
	}{
		{"the same bytes, filed before", filedBefore, sent, true},
		{"the same bytes, filed now", filedNow, sent, true},
		{"other content, filed before", filedBefore, other, false},
		{"other content, filed now", filedNow, other, false},
	} {
		if got := s.sameReport(tc.stored, validate(tc.retry), tc.retry); got != tc.want {
			t.Errorf("%s: sameReport = %v, want %v", tc.name, got, tc.want)
		}
	}
}
