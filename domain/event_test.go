package domain_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"phananh/domain"
)

// sampleEvents holds one event of every stored type with every field set,
// so a field that does not survive the log shows up. Times are in UTC:
// decoding gives a UTC time back, while a time in Vietnam's zone comes
// back as the same instant in an unnamed +07:00 zone (see
// TestEventsInVietnamTimeKeepTheirInstant).
func sampleEvents() map[string]domain.Event {
	at := time.Date(2026, 3, 4, 3, 0, 0, 0, time.UTC)
	due := time.Date(2026, 4, 3, 16, 59, 59, 0, time.UTC)
	lat, lon := 22.48, 103.97
	return map[string]domain.Event{
		"reported": domain.Reported{
			Kind: domain.KindLandDispute, Category: "land.boundary", Title: "Tranh chấp", Description: "Mô tả\nhai dòng",
			Location:   domain.Location{Commune: "lao-cai", Address: "Tổ 5", Lat: &lat, Lon: &lon},
			OccurredAt: &at, Anonymous: true,
			Reporter: &domain.SealedReporter{KeyID: "key-1", Sealed: []byte{0, 1, 2, 255}},
			Unit:     "ubnd.lao-cai", Remote: true, Clock: domain.ClockAccept, Deadline: due,
			Digest: "digest", KindNote: "anonymous_denunciation_as_information",
		},
		"accepted":            domain.Accepted{Complex: true, Note: "thụ lý", Clock: domain.ClockResolve, Deadline: due},
		"rejected":            domain.Rejected{Reason: "Không thuộc thẩm quyền"},
		"assigned":            domain.Assigned{Assignee: "officer-1", Note: "gấp"},
		"transferred":         domain.Transferred{From: "ubnd.lao-cai", To: "snnmt.dat-dai", Reason: "thẩm quyền"},
		"inspection_recorded": domain.InspectionRecorded{InspectedAt: at, Findings: "Có vi phạm"},
		"mediation_scheduled": domain.MediationScheduled{At: at, Place: "UBND"},
		"mediation_held":      domain.MediationHeld{Outcome: domain.MediationFailed, Minutes: "Biên bản", Absences: 2},
		"deadline_extended":   domain.DeadlineExtended{Decision: "QĐ 1", Reason: "Phức tạp", Days: 30, Deadline: due},
		"escalated":           domain.Escalated{From: "ubnd.lao-cai", To: "snnmt.dat-dai", Reason: "Hòa giải không thành"},
		"resolved":            domain.Resolved{Summary: "Đã giải quyết"},
		"closed":              domain.Closed{Note: "Lưu"},
		"reopened":            domain.Reopened{Reason: "Tình tiết mới"},
		"comment_added":       domain.CommentAdded{Text: "Ghi chú", Public: true},
		"attachment_added":    domain.AttachmentAdded{Object: "obj-1", Filename: "ảnh.jpg", ContentType: "image/jpeg", Size: 1 << 20, SHA256: "e3b0c442", Public: true},
		"duplicate_linked":    domain.DuplicateLinked{Of: otherCaseID},
		"feedback_given":      domain.FeedbackGiven{Rating: 5, Comment: "Cảm ơn"},
		"reclassified":        domain.Reclassified{FromCategory: "pollution.water", ToCategory: "land.boundary", FromKind: domain.KindIncident, ToKind: domain.KindLandDispute, Reason: "Sai lĩnh vực"},
		"reporter_erased":     domain.ReporterErased{KeyID: "key-1", Reason: "Yêu cầu xóa"},
	}
}

func TestSamplesCoverEveryEventType(t *testing.T) {
	samples := sampleEvents()
	for _, et := range domain.EventTypes() {
		e, ok := samples[et]
		if !ok {
			t.Errorf("no sample of %s", et)
			continue
		}
		if e.EventType() != et {
			t.Errorf("the sample for %s says it is %s", et, e.EventType())
		}
	}
	if got, want := len(samples), len(domain.EventTypes()); got != want {
		t.Errorf("%d samples for %d event types", got, want)
	}
}

func TestEveryEventRoundTripsThroughTheLog(t *testing.T) {
	samples := sampleEvents()
	for _, et := range domain.EventTypes() {
		t.Run(et, func(t *testing.T) {
			want := samples[et]
			data, err := json.Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			got, err := domain.DecodeEvent(et, data)
			if err != nil {
				t.Fatalf("DecodeEvent: %v", err)
			}
			if reflect.TypeOf(got).Kind() == reflect.Pointer {
				t.Fatalf("DecodeEvent returned a pointer %T; events are values", got)
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("decoded\n  %#v\nwant\n  %#v", got, want)
			}
		})
	}
}

// TestEventsInVietnamTimeKeepTheirInstant: Decide stamps deadlines in
// Vietnam's zone; the log keeps the instant (and the +07:00 offset), so
// encoding a decoded event gives back the same bytes.
func TestEventsInVietnamTimeKeepTheirInstant(t *testing.T) {
	events, err := domain.Decide(given(complaintReported), domain.Accept{}, now, defaults)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(events[0])
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), `"deadline":"2026-04-03T23:59:59+07:00"`) {
		t.Fatalf("accepted = %s, want the deadline at the end of 3 April in Vietnam", data)
	}
	decoded, err := domain.DecodeEvent("accepted", data)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := decoded.(domain.Accepted).Deadline, events[0].(domain.Accepted).Deadline; !got.Equal(want) {
		t.Fatalf("deadline = %v, want %v", got, want)
	}
	again, err := json.Marshal(decoded)
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(data) {
		t.Fatalf("re-encoded\n  %s\nwant\n  %s", again, data)
	}
}

// TestEventFieldNamesAreAContract pins the JSON names of every stored
// event. Stored events are never rewritten: a name may be added here, but
// one that disappears breaks every event already in the log.
func TestEventFieldNamesAreAContract(t *testing.T) {
	want := map[string][]string{
		"reported":            {"anonymous", "category", "clock", "deadline", "description", "digest", "kind", "kind_note", "location", "occurred_at", "remote", "reporter", "title", "unit"},
		"accepted":            {"clock", "complex", "deadline", "note"},
		"rejected":            {"reason"},
		"assigned":            {"assignee", "note"},
		"transferred":         {"from", "reason", "to"},
		"inspection_recorded": {"findings", "inspected_at"},
		"mediation_scheduled": {"at", "place"},
		"mediation_held":      {"absences", "minutes", "outcome"},
		"deadline_extended":   {"days", "deadline", "decision", "reason"},
		"escalated":           {"from", "reason", "to"},
		"resolved":            {"summary"},
		"closed":              {"note"},
		"reopened":            {"reason"},
		"comment_added":       {"public", "text"},
		"attachment_added":    {"content_type", "filename", "object", "public", "sha256", "size"},
		"duplicate_linked":    {"of"},
		"feedback_given":      {"comment", "rating"},
		"reclassified":        {"from_category", "from_kind", "reason", "to_category", "to_kind"},
		"reporter_erased":     {"key_id", "reason"},
	}
	samples := sampleEvents()
	for _, et := range domain.EventTypes() {
		t.Run(et, func(t *testing.T) {
			if got := jsonKeys(t, samples[et]); !slices.Equal(got, want[et]) {
				t.Fatalf("fields = %v, want %v", got, want[et])
			}
		})
	}
	t.Run("location", func(t *testing.T) {
		r := samples["reported"].(domain.Reported)
		if got, want := jsonKeys(t, r.Location), []string{"address", "commune", "lat", "lon"}; !slices.Equal(got, want) {
			t.Fatalf("fields = %v, want %v", got, want)
		}
		if got, want := jsonKeys(t, r.Reporter), []string{"key_id", "sealed"}; !slices.Equal(got, want) {
			t.Fatalf("sealed reporter fields = %v, want %v", got, want)
		}
	})
}

func jsonKeys(t *testing.T, v any) []string {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func TestDecodeEventRefusesWhatItCannotRead(t *testing.T) {
	tests := []struct {
		name      string
		eventType string
		data      string
	}{
		{"an unknown type", "case_deleted", `{}`},
		{"a type with the CloudEvents prefix", "vn.phananh.case.reported.v1", `{}`},
		{"a type in another case", "Reported", `{}`},
		{"no type", "", `{}`},
		{"a body that is not JSON", "resolved", `summary: done`},
		{"a field of the wrong type", "feedback_given", `{"rating":"five"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if e, err := domain.DecodeEvent(tt.eventType, []byte(tt.data)); err == nil {
				t.Fatalf("DecodeEvent(%q, %s) = %#v, want an error", tt.eventType, tt.data, e)
			}
		})
	}
}
