package projections_test

import (
	"bytes"
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
// does not invent a case but still moves its position, and keeps nothing
// of the event (an attachment, which the view keeps beside the records,
// does not turn up on the case if it is reported later).
func TestCaseViewIgnoresEventsOfUnknownCases(t *testing.T) {
	for _, tt := range []struct {
		name  string
		event domain.Event
	}{
		{"accepted", accepted()},
		{"attachment", domain.AttachmentAdded{Object: "o-1", Filename: "a.jpg", ContentType: "image/jpeg", Size: 10, Public: true}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			view := projections.NewCaseView()
			id := newCaseID()
			env := envelopeAt(id, officer, t0, tt.event)
			env.Seq = 7
			view.Apply(env)
			if got := view.Len(); got != 0 {
				t.Errorf("Len() = %d, want 0", got)
			}
			if got := view.LastSeq(); got != 7 {
				t.Errorf("LastSeq() = %d, want 7", got)
			}
			rep := envelopeAt(id, citizen, t0.Add(time.Hour), reported(1))
			rep.Seq = 8
			view.Apply(rep)
			rec, ok := view.Get(id)
			if !ok || len(rec.Timeline) != 1 || len(rec.Attachments) != 0 {
				t.Errorf("after the report: found %v, %d entries, %d attachments; want true, 1, 0", ok, len(rec.Timeline), len(rec.Attachments))
			}
		})
	}
}

// TestCaseViewKeepsEventTimesExactly applies, in memory, cases whose
// events happened in various zones, or at times Unix nanoseconds cannot
// hold: the view keeps a time as nanoseconds and its zone apart, and Get
// must still give back the very time.Time it was given (same instant,
// same location), as the timeline's UpdatedAt. A snapshot (gob) keeps each
// time's offset, so a restored view renders every time as before.
func TestCaseViewKeepsEventTimesExactly(t *testing.T) {
	parsed := func(s string) time.Time {
		at, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return at
	}
	tests := []struct {
		name string
		at   time.Time
	}{
		{"utc, as decoded from ce-time", parsed("2026-03-02T08:00:00.123456789Z")},
		{"utc location", time.Date(2026, 3, 2, 8, 0, 0, 1, time.UTC)},
		{"vietnam", time.Date(2026, 3, 2, 15, 0, 0, 0, domain.Vietnam)},
		{"parsed offset", parsed("2026-03-02T13:30:00.5+05:30")},
		{"local", time.Date(2026, 3, 2, 8, 0, 0, 0, time.Local)},
		{"before unix time", time.Date(1969, 12, 31, 23, 59, 59, 999, time.UTC)},
		{"zero", time.Time{}},
		{"before 1678", time.Date(1600, 1, 1, 0, 0, 0, 7, domain.Vietnam)},
		{"after 2262", time.Date(2300, 1, 1, 0, 0, 0, 7, time.UTC)},
	}
	view := projections.NewCaseView()
	ids := make([]uuid.UUID, len(tests))
	var seq uint64
	for i, tt := range tests {
		ids[i] = newCaseID()
		for _, e := range []domain.Event{reported(i), domain.CommentAdded{Text: "x"}} {
			env := envelopeAt(ids[i], officer, tt.at, e)
			seq++
			env.Seq = seq
			view.Apply(env)
		}
	}
	restored := projections.NewCaseView()
	if err := restored.Restore(bytes.NewReader(snapshotBytes(t, view)), seq); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, ok := view.Get(ids[i])
			if !ok || len(rec.Timeline) != 2 {
				t.Fatalf("Get: ok %v, %d entries; want true, 2", ok, len(rec.Timeline))
			}
			for _, e := range rec.Timeline {
				if e.Time != tt.at || e.Time.Location() != tt.at.Location() {
					t.Errorf("entry %d at %v (%p), want %v (%p)", e.Seq, e.Time, e.Time.Location(), tt.at, tt.at.Location())
				}
			}
			if rec.UpdatedAt != tt.at {
				t.Errorf("UpdatedAt = %v, want %v", rec.UpdatedAt, tt.at)
			}
			back, ok := restored.Get(ids[i])
			if !ok {
				t.Fatal("case missing after Restore")
			}
			want := tt.at.Format(time.RFC3339Nano)
			for _, e := range back.Timeline {
				if got := e.Time.Format(time.RFC3339Nano); got != want || !e.Time.Equal(tt.at) {
					t.Errorf("restored entry %d at %s, want %s", e.Seq, got, want)
				}
			}
			if got := back.UpdatedAt.Format(time.RFC3339Nano); got != want {
				t.Errorf("restored UpdatedAt = %s, want %s", got, want)
			}
		})
	}
}
