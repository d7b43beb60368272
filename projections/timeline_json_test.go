package projections_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
	"phananh/projections"
)

// everyTimelineEvent is one event of each type the case view renders, with
// details set, in an order the domain accepts for a single case.
func everyTimelineEvent() []domain.Event {
	at := time.Date(2026, 3, 9, 9, 30, 0, 0, time.UTC)
	dl := time.Date(2026, 4, 1, 17, 0, 0, 0, time.UTC)
	return []domain.Event{
		reported(3),
		domain.Accepted{Clock: domain.ClockResolve, Deadline: dl, Note: "tiếp nhận"},
		domain.Assigned{Assignee: "officer-42"},
		domain.Transferred{From: "ubnd.lao-cai", To: "ubnd.sa-pa", Reason: "đúng thẩm quyền"},
		domain.InspectionRecorded{InspectedAt: at, Findings: "có vi phạm"},
		domain.MediationScheduled{At: at.Add(48 * time.Hour), Place: "nhà văn hoá"},
		domain.MediationHeld{Outcome: domain.MediationAgreed, Minutes: "biên bản"},
		domain.DeadlineExtended{Deadline: dl.AddDate(0, 0, 10), Days: 10, Decision: "QĐ 12/2026", Reason: "phức tạp"},
		domain.Escalated{From: "ubnd.sa-pa", To: "so.tnmt", Reason: "quá hạn"},
		domain.CommentAdded{Text: "nội bộ", Public: false},
		domain.CommentAdded{Text: "công khai", Public: true},
		domain.AttachmentAdded{Filename: "anh.jpg", ContentType: "image/jpeg", Size: 12345, Public: true},
		domain.DuplicateLinked{Of: uuid.MustParse("0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b")},
		domain.Reclassified{ToCategory: "pollution.air", ToKind: domain.KindIncident, Reason: "phân loại lại"},
		domain.Resolved{Summary: "đã xử lý"},
		domain.FeedbackGiven{Rating: 4, Comment: "tốt"},
		domain.Closed{Note: "đóng"},
		domain.Reopened{Reason: "tái diễn"},
		domain.Rejected{Reason: "không thuộc thẩm quyền"},
		domain.ReporterErased{Reason: "yêu cầu xoá"},
		domain.Assigned{Assignee: ""},
	}
}

// timelineJSON applies every event to a case view (the domain's rules are
// not checked by the view) and renders each entry, staff and public.
func timelineJSON(t *testing.T) (staff, public []string) {
	t.Helper()
	view := projections.NewCaseView()
	id := uuid.MustParse("0195a1b2-0000-7000-8000-000000000001")
	for i, e := range everyTimelineEvent() {
		env := envelopeAt(id, officer, t0.Add(time.Duration(i)*time.Hour), e)
		env.Seq = uint64(i + 1)
		view.Apply(env)
	}
	rec, ok := view.Get(id)
	if !ok {
		t.Fatal("case not in view")
	}
	for _, e := range rec.Timeline {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		staff = append(staff, string(b))
	}
	for _, e := range rec.PublicTimeline() {
		b, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		public = append(public, string(b))
	}
	return staff, public
}

// TestTimelineJSONIsUnchanged pins the JSON of every timeline entry, staff
// and public, to what the view rendered when details were kept as a
// map[string]any (keys in order): clients read these objects.
func TestTimelineJSONIsUnchanged(t *testing.T) {
	wantStaff := []string{
		`{"seq":1,"type":"reported","time":"2026-03-02T08:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","data":{"clock":"acknowledge","deadline":"2026-03-06T08:00:00Z"}}`,
		`{"seq":2,"type":"accepted","time":"2026-03-02T09:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","text":"tiếp nhận","data":{"clock":"resolve","deadline":"2026-04-01T17:00:00Z"}}`,
		`{"seq":3,"type":"assigned","time":"2026-03-02T10:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","data":{"assignee":"officer-42"}}`,
		`{"seq":4,"type":"transferred","time":"2026-03-02T11:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","text":"đúng thẩm quyền","data":{"from":"ubnd.lao-cai","to":"ubnd.sa-pa"}}`,
		`{"seq":5,"type":"inspection_recorded","time":"2026-03-02T12:00:00Z","public":false,"role":"officer","unit":"ubnd.lao-cai","text":"có vi phạm","data":{"inspected_at":"2026-03-09T09:30:00Z"}}`,
		`{"seq":6,"type":"mediation_scheduled","time":"2026-03-02T13:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","text":"nhà văn hoá","data":{"at":"2026-03-11T09:30:00Z"}}`,
		`{"seq":7,"type":"mediation_held","time":"2026-03-02T14:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","text":"biên bản","data":{"outcome":"agreed"}}`,
		`{"seq":8,"type":"deadline_extended","time":"2026-03-02T15:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","text":"phức tạp","data":{"days":10,"deadline":"2026-04-11T17:00:00Z","decision":"QĐ 12/2026"}}`,
		`{"seq":9,"type":"escalated","time":"2026-03-02T16:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","text":"quá hạn","data":{"from":"ubnd.sa-pa","to":"so.tnmt"}}`,
		`{"seq":10,"type":"comment_added","time":"2026-03-02T17:00:00Z","public":false,"role":"officer","unit":"ubnd.lao-cai","text":"nội bộ"}`,
		`{"seq":11,"type":"comment_added","time":"2026-03-02T18:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","text":"công khai"}`,
		`{"seq":12,"type":"attachment_added","time":"2026-03-02T19:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","data":{"content_type":"image/jpeg","filename":"anh.jpg","size":12345}}`,
		`{"seq":13,"type":"duplicate_linked","time":"2026-03-02T20:00:00Z","public":false,"role":"officer","unit":"ubnd.lao-cai","data":{"of":"0195a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"}}`,
		`{"seq":14,"type":"reclassified","time":"2026-03-02T21:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","text":"phân loại lại","data":{"category":"pollution.air","kind":"incident"}}`,
		`{"seq":15,"type":"resolved","time":"2026-03-02T22:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","text":"đã xử lý"}`,
		`{"seq":16,"type":"feedback_given","time":"2026-03-02T23:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","text":"tốt","data":{"rating":4}}`,
		`{"seq":17,"type":"closed","time":"2026-03-03T00:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","text":"đóng"}`,
		`{"seq":18,"type":"reopened","time":"2026-03-03T01:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","text":"tái diễn"}`,
		`{"seq":19,"type":"rejected","time":"2026-03-03T02:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","text":"không thuộc thẩm quyền"}`,
		`{"seq":20,"type":"reporter_erased","time":"2026-03-03T03:00:00Z","public":false,"role":"officer","unit":"ubnd.lao-cai","text":"yêu cầu xoá"}`,
		`{"seq":21,"type":"assigned","time":"2026-03-03T04:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","data":{"assignee":""}}`,
	}
	wantPublic := []string{
		`{"seq":1,"type":"reported","time":"2026-03-02T08:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","data":{"clock":"acknowledge","deadline":"2026-03-06T08:00:00Z"}}`,
		`{"seq":2,"type":"accepted","time":"2026-03-02T09:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","text":"tiếp nhận","data":{"clock":"resolve","deadline":"2026-04-01T17:00:00Z"}}`,
		`{"seq":3,"type":"assigned","time":"2026-03-02T10:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai"}`,
		`{"seq":4,"type":"transferred","time":"2026-03-02T11:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","text":"đúng thẩm quyền","data":{"from":"ubnd.lao-cai","to":"ubnd.sa-pa"}}`,
		`{"seq":6,"type":"mediation_scheduled","time":"2026-03-02T13:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","text":"nhà văn hoá","data":{"at":"2026-03-11T09:30:00Z"}}`,
		`{"seq":7,"type":"mediation_held","time":"2026-03-02T14:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","data":{"outcome":"agreed"}}`,
		`{"seq":8,"type":"deadline_extended","time":"2026-03-02T15:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","text":"phức tạp","data":{"days":10,"deadline":"2026-04-11T17:00:00Z","decision":"QĐ 12/2026"}}`,
		`{"seq":9,"type":"escalated","time":"2026-03-02T16:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","text":"quá hạn","data":{"from":"ubnd.sa-pa","to":"so.tnmt"}}`,
		`{"seq":11,"type":"comment_added","time":"2026-03-02T18:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","text":"công khai"}`,
		`{"seq":12,"type":"attachment_added","time":"2026-03-02T19:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","data":{"content_type":"image/jpeg","filename":"anh.jpg","size":12345}}`,
		`{"seq":14,"type":"reclassified","time":"2026-03-02T21:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","text":"phân loại lại","data":{"category":"pollution.air","kind":"incident"}}`,
		`{"seq":15,"type":"resolved","time":"2026-03-02T22:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","text":"đã xử lý"}`,
		`{"seq":16,"type":"feedback_given","time":"2026-03-02T23:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","text":"tốt","data":{"rating":4}}`,
		`{"seq":17,"type":"closed","time":"2026-03-03T00:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","text":"đóng"}`,
		`{"seq":18,"type":"reopened","time":"2026-03-03T01:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","text":"tái diễn"}`,
		`{"seq":19,"type":"rejected","time":"2026-03-03T02:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai","text":"không thuộc thẩm quyền"}`,
		`{"seq":21,"type":"assigned","time":"2026-03-03T04:00:00Z","public":true,"role":"officer","unit":"ubnd.lao-cai"}`,
	}
	staff, public := timelineJSON(t)
	for name, got := range map[string][2][]string{"staff": {staff, wantStaff}, "public": {public, wantPublic}} {
		if len(got[0]) != len(got[1]) {
			t.Fatalf("%s: %d entries, want %d", name, len(got[0]), len(got[1]))
		}
		for i := range got[0] {
			if got[0][i] != got[1][i] {
				t.Errorf("%s entry %d:\n got %s\nwant %s", name, i, got[0][i], got[1][i])
			}
		}
	}
}
