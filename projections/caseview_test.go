package projections_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
	"phananh/eventstore"
	"phananh/projections"
)

// Things staff write or know that a citizen must never see.
const (
	assignee       = "officer-42"
	internalNote   = "Chủ cơ sở là người quen của cán bộ"
	findings       = "Ống xả thải ngầm sau nhà số 12"
	minutes        = "Ông A và bà B thống nhất bồi thường 5 triệu đồng"
	privateFile    = "anh-chan-dung-nguoi-to-cao.jpg"
	publicComment  = "Đã liên hệ người phản ánh"
	mediationPlace = "Nhà văn hóa tổ 5"
)

// mediatedCase writes a case that went through everything the public
// timeline filters: an assignment, internal and public comments, a field
// inspection, private and public attachments, a mediation, a duplicate link.
func mediatedCase(t *testing.T, s *eventstore.Store) (uuid.UUID, []domain.Envelope) {
	t.Helper()
	id := newCaseID()
	log := appendRoundRobin(t, s, []history{{id, []domain.Event{
		reported(0),
		accepted(),
		domain.Assigned{Assignee: assignee, Note: "Khẩn"},
		domain.CommentAdded{Text: internalNote, Public: false},
		domain.CommentAdded{Text: publicComment, Public: true},
		domain.InspectionRecorded{InspectedAt: t0.Add(48 * time.Hour), Findings: findings},
		domain.AttachmentAdded{Object: "o1", Filename: privateFile, ContentType: "image/jpeg", Size: 1024, SHA256: "ab", Public: false},
		domain.AttachmentAdded{Object: "o2", Filename: "anh-hien-truong.jpg", ContentType: "image/jpeg", Size: 2048, SHA256: "cd", Public: true},
		domain.DuplicateLinked{Of: newCaseID()},
		domain.MediationScheduled{At: t0.AddDate(0, 0, 5), Place: mediationPlace},
		domain.MediationHeld{Outcome: domain.MediationAgreed, Minutes: minutes},
		domain.Resolved{Summary: "Hai bên đã hòa giải thành"},
	}}})
	return id, log.byCase[id]
}

func TestPublicTimelineKeepsStaffMattersInternal(t *testing.T) {
	s := startStore(t)
	id, written := mediatedCase(t, s)
	view := projections.NewCaseView()
	r := startRunner(t, s, view)
	waitReady(t, r)
	rec, ok := view.Get(id)
	if !ok {
		t.Fatal("case missing from the view")
	}

	// The staff timeline holds everything, so the filtering below is real.
	checkTimeline(t, "staff timeline", rec.Timeline, written)
	staff, err := json.Marshal(rec.Timeline)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{assignee, internalNote, findings, minutes, privateFile} {
		if !strings.Contains(string(staff), secret) {
			t.Errorf("staff timeline lacks %q; the test case is wrong", secret)
		}
	}

	public := rec.PublicTimeline()
	var types []string
	for _, e := range public {
		types = append(types, e.Type)
		if e.Actor != "" {
			t.Errorf("public %s entry carries actor id %q", e.Type, e.Actor)
		}
		if !e.Public {
			t.Errorf("public timeline holds an internal %s entry", e.Type)
		}
	}
	wantTypes := []string{"reported", "accepted", "assigned", "comment_added", "attachment_added",
		"mediation_scheduled", "mediation_held", "resolved"}
	if !slices.Equal(types, wantTypes) {
		t.Fatalf("public timeline = %v, want %v", types, wantTypes)
	}
	byType := make(map[string]projections.TimelineEntry)
	for _, e := range public {
		byType[e.Type] = e
	}
	if e := byType["assigned"]; e.Data != nil || e.Text != "" {
		t.Errorf("public assigned entry = %+v, want neither data nor text", e)
	}
	if e := byType["mediation_held"]; e.Text != "" || e.Data.Value("outcome") != domain.MediationAgreed {
		t.Errorf("public mediation_held entry = %+v, want the outcome without the minutes", e)
	}
	if e := byType["comment_added"]; e.Text != publicComment {
		t.Errorf("public comment = %q, want %q", e.Text, publicComment)
	}
	if e := byType["mediation_scheduled"]; e.Text != mediationPlace {
		t.Errorf("public mediation_scheduled text = %q, want the place %q", e.Text, mediationPlace)
	}

	// Nothing internal reaches the JSON a citizen's page is built from.
	body, err := json.Marshal(public)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{assignee, internalNote, findings, minutes, privateFile,
		officer.ID, citizen.ID, "inspection_recorded", "duplicate_linked"} {
		if strings.Contains(string(body), secret) {
			t.Errorf("public timeline JSON contains %q:\n%s", secret, body)
		}
	}

	// Filtering works on a copy: the record itself keeps everything.
	if again, _ := view.Get(id); !reflect.DeepEqual(again.Timeline, rec.Timeline) {
		t.Error("PublicTimeline changed the record it was called on")
	}
	if got := rec.Timeline[2]; got.Type != "assigned" || got.Data.Value("assignee") != assignee || got.Actor != officer.ID {
		t.Errorf("staff assigned entry after PublicTimeline = %+v, want assignee and actor kept", got)
	}
}

func TestCaseViewGetReturnsACopy(t *testing.T) {
	s := startStore(t)
	id, _ := mediatedCase(t, s)
	view := projections.NewCaseView()
	r := startRunner(t, s, view)
	waitReady(t, r)
	before, ok := view.Get(id)
	if !ok {
		t.Fatal("case missing from the view")
	}

	got, _ := view.Get(id)
	got.Timeline[0].Text = "changed"
	got.Timeline[0].Actor = "someone"
	got.Timeline[2].Data = nil // details are immutable: a caller can only drop its copy's
	got.Timeline[0].Data = nil
	got.Timeline = append(got.Timeline[:1], got.Timeline[3:]...)
	got.Attachments[0].Filename = "changed.jpg"
	got.Case.Status = domain.StatusClosed
	got.Description = "changed"

	after, _ := view.Get(id)
	if !reflect.DeepEqual(after, before) {
		t.Errorf("changing what Get returned changed the view:\nbefore %+v\nafter  %+v", before, after)
	}
	// before and after could share details with each other, so check
	// them against what was written, not only against before.
	if got := after.Timeline[2].Data.Value("assignee"); got != assignee {
		t.Errorf("assigned entry's assignee = %v after a caller changed its copy, want %q", got, assignee)
	}
	if after.Timeline[0].Data.Value("deadline") == nil {
		t.Error("reported entry lost its deadline after a caller deleted it from its copy")
	}
	if _, ok := view.Get(uuid.Must(uuid.NewV7())); ok {
		t.Error("Get of an unknown case reported ok")
	}
}

// TestCaseViewIgnoresEventsOfUnknownCases applies, in memory, an event
// whose case was never reported (a log that starts mid-way, say): the view
// does not invent a case but still moves its position.
func TestCaseViewIgnoresEventsOfUnknownCases(t *testing.T) {
	view := projections.NewCaseView()
	env := envelopeAt(newCaseID(), officer, t0, accepted())
	env.Seq = 7
	view.Apply(env)
	if got := view.Len(); got != 0 {
		t.Errorf("Len() = %d, want 0", got)
	}
	if got := view.LastSeq(); got != 7 {
		t.Errorf("LastSeq() = %d, want 7", got)
	}
}
