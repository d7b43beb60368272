package api

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"phananh/domain"
	"phananh/projections"
)

// answer is what a handler sent: status, Content-Type and body.
type answer struct {
	status      int
	contentType string
	body        string
}

// respond runs send on an Echo context for GET target, as the server
// builds it, and returns what it sent.
func respond(t *testing.T, target string, send func(echo.Context) error) answer {
	t.Helper()
	rec := httptest.NewRecorder()
	c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, target, nil), rec)
	if err := send(c); err != nil {
		t.Fatalf("send: %v", err)
	}
	return answer{rec.Code, rec.Header().Get(echo.HeaderContentType), rec.Body.String()}
}

// checkQueuePage fails unless sendQueuePage answers exactly as c.JSON
// (Echo's serializer: encoding/json, HTML escaped, a newline at the end).
func checkQueuePage(t *testing.T, page queuePage) {
	t.Helper()
	for _, target := range []string{"/api/v1/queues/ubnd.lao-cai", "/api/v1/queues/ubnd.lao-cai?pretty"} {
		want := respond(t, target, func(c echo.Context) error { return c.JSON(http.StatusOK, page) })
		got := respond(t, target, func(c echo.Context) error { return sendQueuePage(c, page) })
		if got != want {
			t.Fatalf("%s: sendQueuePage sent\n%+v\nc.JSON sends\n%+v", target, got, want)
		}
	}
}

func TestQueuePageJSON(t *testing.T) {
	hcm := time.FixedZone("ICT", 7*3600)
	odd := time.FixedZone("odd", -(3*3600 + 30*60 + 30)) // seconds: RFC 3339 drops them
	at := time.Date(2026, 3, 2, 1, 15, 4, 123456789, time.UTC)
	item := projections.QueueItem{
		ID: uuid.MustParse("01960000-0000-7000-8000-0000000000f0"), Title: "Nước suối đổi màu", Status: "assigned",
		Kind: "incident", Category: "pollution.water", Commune: "lao-cai", Deadline: at.AddDate(0, 0, 10),
		Overdue: true, Assignee: "officer-42", Version: 18446744073709551615, ReceivedAt: at, UpdatedAt: at.Add(time.Hour),
	}
	with := func(change func(*projections.QueueItem)) []projections.QueueItem {
		it := item
		change(&it)
		return []projections.QueueItem{it}
	}
	tests := []struct {
		name string
		page queuePage
	}{
		{"empty page", queuePage{Items: []projections.QueueItem{}, AsOf: at}},
		{"nil items", queuePage{AsOf: at}},
		{"zero item", queuePage{Items: []projections.QueueItem{{}}, AsOf: time.Time{}}},
		{"one item, a cursor", queuePage{Items: with(func(*projections.QueueItem) {}), Next: "eyJrIjoiMjAyNi0wMyJ9", AsOf: at}},
		{"the benchmark's page", benchQueuePage(t)},
		{"no deadline (rejected)", queuePage{Items: with(func(it *projections.QueueItem) { it.Deadline = time.Time{} }), AsOf: at}},
		{"whole seconds", queuePage{Items: with(func(it *projections.QueueItem) {
			it.ReceivedAt, it.UpdatedAt, it.Deadline = at.Truncate(time.Second), at.Truncate(time.Millisecond), at.Truncate(time.Microsecond)
		}), AsOf: at.Add(-123456700)}},
		{"other zones", queuePage{Items: with(func(it *projections.QueueItem) {
			it.ReceivedAt, it.UpdatedAt, it.Deadline = at.In(hcm), at.In(odd), at.In(domain.Vietnam)
		}), AsOf: time.Now()}}, // local time, as getQueue's
		{"quotes, backslashes, html", queuePage{Items: with(func(it *projections.QueueItem) {
			it.Title, it.Commune, it.Assignee = `"<script>alert('x')</script>" & \n\`, `a\"b`, `<>&`
		}), Next: `"</next>&`, AsOf: at}},
		{"control characters", queuePage{Items: with(func(it *projections.QueueItem) {
			it.Title, it.Status, it.Kind, it.Category = "a\x00b\x01\x1f\b\f\n\r\t\x7f", "\x0b", "\u0085", "\x1e"
		}), AsOf: at}},
		{"line and paragraph separators", queuePage{Items: with(func(it *projections.QueueItem) {
			it.Title = "dòng\u2028đoạn\u2029hết\u202a"
		}), AsOf: at}},
		{"invalid UTF-8", queuePage{Items: with(func(it *projections.QueueItem) {
			it.Title, it.Assignee = "a\xffb\xc3(\xe2\x82", "\xed\xa0\x80 surrogate, \xf4\x90\x80\x80 too big"
		}), Next: "\x80", AsOf: at}},
		{"longest title", queuePage{Items: with(func(it *projections.QueueItem) {
			it.Title = strings.Repeat("Phản ánh ô nhiễm <nước> & \"khói\" ", 20)
		}), AsOf: at}},
		{"year 9999 and year 0", queuePage{Items: with(func(it *projections.QueueItem) {
			it.ReceivedAt, it.UpdatedAt = time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC), time.Date(0, 1, 1, 0, 0, 0, 1, hcm)
		}), AsOf: at}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkQueuePage(t, tt.page) })
	}
}

// TestQueuePageJSONFails checks that a time encoding/json cannot write
// (a year past 9999) fails the page as c.JSON fails it.
func TestQueuePageJSONFails(t *testing.T) {
	page := queuePage{Items: []projections.QueueItem{{ReceivedAt: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}}
	if _, err := page.appendJSON(nil); err == nil {
		t.Fatal("appendJSON of year 10000: no error")
	}
	if _, err := json.Marshal(page); err == nil {
		t.Fatal("json.Marshal of year 10000: no error")
	}
	c := echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/", nil), httptest.NewRecorder())
	if err := sendQueuePage(c, page); err == nil {
		t.Fatal("sendQueuePage of year 10000: no error")
	}
}

// FuzzQueuePageJSON compares the page's bytes with encoding/json's for
// random field values: two items (the second's strings swapped round) and
// times in random zones.
func FuzzQueuePageJSON(f *testing.F) {
	f.Add("Nước suối đổi màu", "lao-cai", "officer-42", "assigned", "eyJrIjoiMjAyNi0wMyJ9", []byte("0123456789abcdef"),
		int64(1772414104), int64(123456789), int32(7*3600), true, uint64(42), false)
	f.Add(`"<>&\`, "\u2028\u2029", "\xff\xfe", "\x00\x1f", "", []byte{}, int64(-62135596800), int64(0), int32(0), false, uint64(0), true)
	f.Fuzz(func(t *testing.T, title, commune, assignee, status, next string, id []byte,
		sec, nsec int64, offset int32, overdue bool, version uint64, noDeadline bool) {
		var u uuid.UUID
		copy(u[:], id)
		zone := time.FixedZone("z", int(offset%(48*3600)))
		at := time.Unix(sec, nsec).In(zone)
		it := projections.QueueItem{ID: u, Title: title, Status: domain.Status(status), Kind: domain.Kind(next), Category: domain.Category(title),
			Commune: commune, Deadline: at.Add(time.Duration(version)), Overdue: overdue, Assignee: assignee,
			Version: version, ReceivedAt: at, UpdatedAt: at.Add(time.Duration(nsec))}
		if noDeadline {
			it.Deadline = time.Time{}
		}
		other := it
		other.Title, other.Commune, other.Assignee = assignee, title, commune
		page := queuePage{Items: []projections.QueueItem{it, other}, Next: next, AsOf: at.UTC()}

		var want bytes.Buffer
		wantErr := json.NewEncoder(&want).Encode(page)
		got, err := page.appendJSON(nil)
		if (err != nil) != (wantErr != nil) {
			t.Fatalf("appendJSON error %v, encoding/json's %v", err, wantErr)
		}
		if err == nil && string(append(got, '\n')) != want.String() {
			t.Fatalf("appendJSON gives\n%s\nencoding/json\n%s", got, want.Bytes())
		}
	})
}
