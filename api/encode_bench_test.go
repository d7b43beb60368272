package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"phananh/domain"
	"phananh/projections"
)

// benchT0 is when the benchmark's cases are reported: a time with
// nanoseconds, as the clock gives them.
var benchT0 = time.Date(2026, 3, 2, 1, 15, 4, 123456789, time.UTC)

// benchEnvelope wraps an event of case id at benchT0 plus step minutes.
func benchEnvelope(id uuid.UUID, seq uint64, step int, e domain.Event) domain.Envelope {
	return domain.Envelope{
		ID: uuid.Must(uuid.NewV7()), CaseID: id, Seq: seq, Event: e,
		Time:  benchT0.Add(time.Duration(step)*time.Minute + time.Duration(seq)*time.Microsecond),
		Actor: domain.Actor{ID: "officer-7f3a", Role: domain.RoleOfficer, Unit: "ubnd.lao-cai"},
	}
}

// benchLifecycle is a case handled for a while: reported, accepted,
// assigned and commented on, public and internal.
func benchLifecycle(n int, commune, unit string, category domain.Category) []domain.Event {
	return []domain.Event{
		domain.Reported{
			Kind: domain.KindIncident, Category: category, Title: fmt.Sprintf("Nước suối đổi màu gần chợ (%d)", n),
			Description: "Nước suối gần chợ có màu đục và mùi hôi từ sáng nay.",
			Location:    domain.Location{Commune: commune, Address: "Tổ 5, đường Hoàng Liên"},
			Unit:        unit, Clock: domain.ClockAcknowledge, Deadline: benchT0.AddDate(0, 0, 1+n%30), Digest: "d",
		},
		domain.Accepted{Note: "thụ lý", Clock: domain.ClockResolve, Deadline: benchT0.AddDate(0, 0, 10+n%30)},
		domain.Assigned{Assignee: "officer-42"},
		domain.CommentAdded{Text: "Đã liên hệ người phản ánh", Public: false},
		domain.CommentAdded{Text: "Đoàn kiểm tra sẽ đến hiện trường trong tuần", Public: true},
		domain.CommentAdded{Text: "Lấy mẫu nước gửi trung tâm quan trắc", Public: false},
	}
}

// benchQueuePage is a first page of 50 open cases of a unit, as
// Queues.List gives it, with its cursor.
func benchQueuePage(tb testing.TB) queuePage {
	tb.Helper()
	q := projections.NewQueues()
	var seq uint64
	for n := range 200 {
		id := uuid.Must(uuid.NewV7())
		for step, e := range benchLifecycle(n, "lao-cai", "ubnd.lao-cai", "pollution.water")[:3] {
			seq++
			q.Apply(benchEnvelope(id, seq, step, e))
		}
	}
	open := true
	items, next, err := q.List(projections.QueueQuery{Unit: "ubnd.lao-cai", Open: &open}, benchT0.AddDate(0, 0, 3))
	if err != nil || len(items) != projections.DefaultQueueLimit || next == "" {
		tb.Fatalf("List = %d items, next %q, %v", len(items), next, err)
	}
	return queuePage{items, next, benchT0.AddDate(0, 0, 3).Add(987654321)}
}

// benchCaseAnswer is GET /api/v1/cases/{id}'s answer for staff as getCase
// builds it (same anonymous type), for one case of six events.
func benchCaseAnswer(tb testing.TB) any {
	tb.Helper()
	v := projections.NewCaseView()
	id := uuid.Must(uuid.NewV7())
	for step, e := range benchLifecycle(7, "lao-cai", "ubnd.lao-cai", "pollution.water") {
		v.Apply(benchEnvelope(id, uint64(step+1), step, e))
	}
	rec, ok := v.Get(id)
	if !ok {
		tb.Fatal("case view lost the case")
	}
	cs := rec.Case
	cc := citizenCase{
		ID: cs.ID, Status: cs.Status, Open311: cs.Status.Open311(), Kind: cs.Kind, Category: cs.Category,
		Title: cs.Title, Description: rec.Description, Location: cs.Location, OccurredAt: rec.OccurredAt,
		Anonymous: cs.Anonymous, Unit: unitRef{Code: "ubnd.lao-cai", Name: "UBND phường Lào Cai", NameEn: "Lao Cai Ward People's Committee"},
		Clock: cs.Clock, Overdue: cs.Overdue(benchT0), ReceivedAt: cs.ReceivedAt, UpdatedAt: rec.UpdatedAt,
		Version: cs.Version, Timeline: rec.PublicTimeline(), Attachments: []attachmentJSON{},
	}
	d := cs.Deadline
	cc.Deadline = &d
	out := struct {
		staffCase
		Timeline []staffTimelineEntry `json:"timeline"`
		AsOf     *time.Time           `json:"as_of,omitempty"`
	}{staffCase: staffCase{citizenCase: cc, Assignee: cs.Assignee, Attachments: []attachmentJSON{}}}
	for _, e := range rec.Timeline {
		out.Timeline = append(out.Timeline, staffTimelineEntry{TimelineEntry: e, Actor: e.Actor})
	}
	return out
}

// benchMonthly is the monthly dashboard of a month in which 2,000 cases
// were reported across the province's communes and the categories.
func benchMonthly(tb testing.TB) projections.MonthlyDashboard {
	tb.Helper()
	geo := domain.DefaultGeography()
	d := projections.NewDashboard(geo)
	cats := domain.Categories()
	var seq uint64
	for n := range 2000 {
		commune := geo.Communes[n%len(geo.Communes)].Code
		unit, ok := geo.CommuneCommittee(commune)
		if !ok {
			tb.Fatalf("no committee for %s", commune)
		}
		id := uuid.Must(uuid.NewV7())
		for step, e := range benchLifecycle(n, commune, unit.Code, cats[n%len(cats)].Code)[:3] {
			seq++
			d.Apply(benchEnvelope(id, seq, step, e))
		}
	}
	m := d.Monthly(2026, time.March, projections.DashboardFilter{}, benchT0.AddDate(0, 0, 3))
	if m.Received != 2000 {
		tb.Fatalf("dashboard received %d, want 2000", m.Received)
	}
	return m
}

// echoEncode is what Echo's DefaultJSONSerializer does with an answer.
func echoEncode(w *bytes.Buffer, v any) error {
	return json.NewEncoder(w).Encode(v)
}

// BenchmarkEncodeQueuePage measures the answers of the hottest reads,
// encoded as Echo's serializer encodes them (encoding_json) and, for the
// queue page, as getQueue now does (append).
func BenchmarkEncodeQueuePage(b *testing.B) {
	page := benchQueuePage(b)
	var w bytes.Buffer
	b.Run("queue_page/encoding_json", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			w.Reset()
			if err := echoEncode(&w, page); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(w.Len()), "bytes")
	})
	b.Run("queue_page/append", func(b *testing.B) {
		b.ReportAllocs()
		var n int
		for b.Loop() {
			out, err := page.appendJSON(make([]byte, 0, 400*len(page.Items)+100))
			if err != nil {
				b.Fatal(err)
			}
			n = len(append(out, '\n'))
		}
		b.ReportMetric(float64(n), "bytes")
	})
	// The same two ways through an Echo context, as the handler answers.
	e := echo.New()
	for _, send := range []struct {
		name string
		send func(echo.Context) error
	}{
		{"queue_page/echo_c.JSON", func(c echo.Context) error { return c.JSON(http.StatusOK, page) }},
		{"queue_page/echo_sendQueuePage", func(c echo.Context) error { return sendQueuePage(c, page) }},
	} {
		b.Run(send.name, func(b *testing.B) {
			b.ReportAllocs()
			req := httptest.NewRequest(http.MethodGet, "/api/v1/queues/ubnd.lao-cai?open=true&limit=50", nil)
			rec := httptest.NewRecorder()
			for b.Loop() {
				rec.Body.Reset()
				clear(rec.Header())
				if err := send.send(e.NewContext(req, rec)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, a := range []struct {
		name   string
		answer any
	}{
		{"case_view/encoding_json", benchCaseAnswer(b)},
		{"dashboard_month/encoding_json", benchMonthly(b)},
	} {
		b.Run(a.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				w.Reset()
				if err := echoEncode(&w, a.answer); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(w.Len()), "bytes")
		})
	}
}
