package cases

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
)

// TestARetryMatchesAReportFiledBeforeTextsWereComposed: validation now
// composes texts (NFC); a report sent decomposed and filed before that was
// digested (in the first form, over the reporter too) with its texts as
// sent, trimmed. A retry of the same bytes is the same report, under
// either digest of that form; other content is not.
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
	filedBefore, filedNow := s.digestV1(before), s.digestV1(valid)
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

// TestTheFirstDigestIsUnchanged: reports filed before the second form of
// digest carry the first, and a retry within legacyRetryWindow is compared
// with it; this value was computed by the code that filed them (b5f180d).
func TestTheFirstDigestIsUnchanged(t *testing.T) {
	s, _ := macService()
	at := time.Date(2026, 11, 27, 7, 30, 0, 0, domain.Vietnam)
	cmd := domain.SubmitReport{Category: "pollution.water", Kind: domain.KindIncident, Title: "Nước suối đổi màu", Description: "Nước đen, cá chết.",
		Location: domain.Location{Commune: "lao-cai", Address: "Tổ 5"}, OccurredAt: &at,
		Reporter: &domain.Reporter{Name: "Nguyễn Văn An", Phone: "0912 345 678"}}
	if got, want := s.digestV1(cmd), "0721e2e9d07bb584f7ac8008eb143ba804be481e5b871214bb7fca2c96738d7c"; got != want {
		t.Errorf("digestV1 = %s, want %s: a retry of a report filed before would be a conflict", got, want)
	}
	// The second form leaves the reporter out: who reported changes nothing.
	other := cmd
	other.Reporter = &domain.Reporter{Name: "Trần Thị Bình", Phone: "0903 111 222"}
	if s.digest(cmd) != s.digest(other) {
		t.Error("the digest depends on the reporter: the log would confirm a guess at who reported")
	}
	if !strings.HasPrefix(s.digest(cmd), digestV2Prefix) || s.digest(cmd) == s.digestV1(cmd) {
		t.Errorf("digest %s is not of the second form", s.digest(cmd))
	}
	other = cmd
	other.Description = "Nước trong."
	if s.digest(cmd) == s.digest(other) {
		t.Error("the digest does not depend on the description")
	}
}

// TestCaseIDsLeadBackToNoClientID: a case's id is derived from the
// client's id with the secret, the same each time (a retry finds its
// case), different for each client id and each secret, a valid UUID, and
// a client's UUIDv7 keeps its time so that cases sort as they were written.
func TestCaseIDsLeadBackToNoClientID(t *testing.T) {
	s, _ := macService()
	other := &Service{d: Deps{Secret: []byte("another secret, another province")}}
	other.macs.New = newMAC(other.d.Secret)
	v7 := uuid.Must(uuid.NewV7())
	v4 := uuid.New()
	seen := map[uuid.UUID]bool{}
	for _, client := range []uuid.UUID{v7, v4, uuid.Must(uuid.NewV7())} {
		id := s.caseIDFor(client)
		if id != s.caseIDFor(client) {
			t.Errorf("caseIDFor(%s) differs between calls", client)
		}
		if id == client || id == other.caseIDFor(client) || seen[id] {
			t.Errorf("caseIDFor(%s) = %s: the same as the client's, another secret's or another client's", client, id)
		}
		seen[id] = true
		if id.Variant() != uuid.RFC4122 {
			t.Errorf("caseIDFor(%s) = %s: variant %v", client, id, id.Variant())
		}
		if _, err := uuid.Parse(id.String()); err != nil {
			t.Errorf("caseIDFor(%s) = %s: %v", client, id, err)
		}
	}
	if id := s.caseIDFor(v7); id.Version() != 7 || id.Time() != v7.Time() || [10]byte(id[6:]) == [10]byte(v7[6:]) {
		t.Errorf("caseIDFor(v7 %s) = %s: want version 7, the client's time and other random bits", v7, id)
	}
	if id := s.caseIDFor(v4); id.Version() != 4 {
		t.Errorf("caseIDFor(v4 %s) = %s: want version 4", v4, id)
	}
}
