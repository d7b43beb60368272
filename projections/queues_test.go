package projections_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
	"phananh/projections"
)

// The queue tests build events in memory and apply them straight to the
// model: the queues need no server, and the runner's feed is tested apart.

const (
	qSaPa = "ubnd.sa-pa" // a commune People's Committee
	qSo   = "so-tnmt"    // the provincial environment department
)

// qT0 is when the first report of a queue test arrives.
var qT0 = time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)

func qDays(d float64) time.Time { return qT0.Add(time.Duration(d * 24 * float64(time.Hour))) }

// qLog applies events to a Queues model as the runner would: in order, with
// increasing sequences.
type qLog struct {
	q   *projections.Queues
	seq uint64
}

func newQLog() *qLog { return &qLog{q: projections.NewQueues()} }

func (l *qLog) apply(id uuid.UUID, at time.Time, e domain.Event) {
	l.seq++
	actor := domain.Actor{ID: "officer-9", Role: domain.RoleOfficer}
	if _, ok := e.(domain.Reported); ok {
		actor = domain.Actor{Role: domain.RoleCitizen}
	}
	l.q.Apply(domain.Envelope{ID: uuid.Must(uuid.NewV7()), CaseID: id, Time: at, Actor: actor, Event: e, Seq: l.seq})
}

// qReport is a report to unit, due at deadline.
func qReport(unit string, kind domain.Kind, cat domain.Category, commune, title, description string, deadline time.Time) domain.Reported {
	return domain.Reported{
		Kind: kind, Category: cat, Title: title, Description: description,
		Location: domain.Location{Commune: commune}, Unit: unit,
		Clock: domain.ClockAcknowledge, Deadline: deadline, Digest: "d",
	}
}

// qWorld is a small province: eight cases, A–H, in two units, in many
// statuses. now is two days after the first report: A and G are overdue.
type qWorld struct {
	log *qLog
	ids map[string]uuid.UUID
	now time.Time
}

func newQWorld(t *testing.T) *qWorld {
	t.Helper()
	w := &qWorld{log: newQLog(), ids: make(map[string]uuid.UUID), now: qDays(2)}
	reports := []struct {
		name string
		r    domain.Reported
	}{
		{"A", qReport(qSaPa, domain.KindIncident, "pollution.water", "sa-pa", "Ô nhiễm nguồn nước suối Mường Hoa", "Nước suối đục từ sáng.", qDays(1))},
		{"B", qReport(qSaPa, domain.KindLandDispute, "land.boundary", "ta-van", "Tranh chấp ranh giới đất", "Hai hộ tranh chấp lối đi.", qDays(3))},
		{"C", qReport(qSaPa, domain.KindComplaint, "land.compensation", "sa-pa", "Bồi thường chưa thỏa đáng", "Khiếu nại mức bồi thường.", qDays(3))},
		{"D", qReport(qSaPa, domain.KindPetition, "pollution.other", "ta-van", "Khói bụi từ lò gạch", "Khói bụi mỗi tối.", qDays(4))},
		{"E", qReport(qSaPa, domain.KindIncident, "pollution.noise", "sa-pa", "Tiếng ồn karaoke ban đêm", "Hát đến hai giờ sáng.", qDays(2))},
		{"F", qReport(qSaPa, domain.KindDenunciation, "pollution.mining", "ta-van", "Khai thác cát trái phép", "Tàu hút cát ban đêm.", qDays(7))},
		{"G", qReport(qSo, domain.KindIncident, "pollution.air", "cau-may", "Đốt rác gây khói", "Đốt rác ở bãi tập kết.", qDays(1.5))},
		{"H", qReport(qSaPa, domain.KindIncident, "pollution.water", "cau-may", "Mùi hôi ở khu dân cư", "NƯỚC THẢI từ cơ sở chế biến chảy ra đường.", qDays(10))},
	}
	for i, r := range reports {
		id := uuid.Must(uuid.NewV7())
		w.ids[r.name] = id
		w.log.apply(id, qT0.Add(time.Duration(i)*time.Minute), r.r)
	}
	later := func(k int) time.Time { return qT0.Add(time.Hour + time.Duration(k)*time.Minute) }
	steps := []struct {
		name string
		e    domain.Event
	}{
		{"B", domain.Accepted{Clock: domain.ClockMediate, Deadline: qDays(30)}},
		{"B", domain.Assigned{Assignee: "officer-1"}},
		{"C", domain.Accepted{Clock: domain.ClockResolve, Deadline: qDays(20)}},
		{"C", domain.Assigned{Assignee: "officer-2"}},
		{"C", domain.Resolved{Summary: "Đã chi trả bổ sung."}},
		{"D", domain.Rejected{Reason: "Không thuộc thẩm quyền."}},
		{"E", domain.Accepted{Clock: domain.ClockResolve, Deadline: qDays(5)}},
		{"E", domain.Assigned{Assignee: "officer-1"}},
		{"E", domain.InspectionRecorded{InspectedAt: qDays(0.1), Findings: "Đo được 85 dB."}},
		{"F", domain.Transferred{From: qSaPa, To: qSo, Reason: "Thuộc thẩm quyền Sở."}},
	}
	for k, s := range steps {
		w.log.apply(w.ids[s.name], later(k), s.e)
	}
	return w
}

// names turns listed items back into the test's case names.
func (w *qWorld) names(items []projections.QueueItem) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		name := "?"
		for n, id := range w.ids {
			if id == it.ID {
				name = n
			}
		}
		out = append(out, name)
	}
	return out
}

func qBool(b bool) *bool { return &b }

func TestQueuesListFilters(t *testing.T) {
	w := newQWorld(t)
	tests := []struct {
		name  string
		query projections.QueueQuery
		want  []string
	}{
		{"a unit's queue holds every status, by deadline, undated last", projections.QueueQuery{Unit: qSaPa}, []string{"A", "E", "H", "C", "B", "D"}},
		{"the other unit holds the transferred case", projections.QueueQuery{Unit: qSo}, []string{"G", "F"}},
		{"no unit lists every unit", projections.QueueQuery{}, []string{"A", "G", "E", "F", "H", "C", "B", "D"}},
		{"an unknown unit has an empty queue", projections.QueueQuery{Unit: "ubnd.khac"}, []string{}},
		{"one status", projections.QueueQuery{Unit: qSaPa, Statuses: []domain.Status{domain.StatusReceived}}, []string{"A", "H"}},
		{"any of several statuses", projections.QueueQuery{Unit: qSaPa, Statuses: []domain.Status{domain.StatusAssigned, domain.StatusInProgress}}, []string{"E", "B"}},
		{"open only", projections.QueueQuery{Unit: qSaPa, Open: qBool(true)}, []string{"A", "E", "H", "B"}},
		{"finished only", projections.QueueQuery{Unit: qSaPa, Open: qBool(false)}, []string{"C", "D"}},
		{"open and resolved exclude each other", projections.QueueQuery{Unit: qSaPa, Open: qBool(true), Statuses: []domain.Status{domain.StatusResolved}}, []string{}},
		{"kind", projections.QueueQuery{Unit: qSaPa, Kind: domain.KindLandDispute}, []string{"B"}},
		{"category group", projections.QueueQuery{Unit: qSaPa, Category: "land"}, []string{"C", "B"}},
		{"category group with a star", projections.QueueQuery{Unit: qSaPa, Category: "land.*"}, []string{"C", "B"}},
		{"exact category", projections.QueueQuery{Unit: qSaPa, Category: "pollution.noise"}, []string{"E"}},
		{"exact category is not a prefix", projections.QueueQuery{Unit: qSaPa, Category: "pollution.water"}, []string{"A", "H"}},
		{"commune", projections.QueueQuery{Unit: qSaPa, Commune: "sa-pa"}, []string{"A", "E", "C"}},
		{"assignee", projections.QueueQuery{Unit: qSaPa, Assignee: "officer-1"}, []string{"E", "B"}},
		{"overdue", projections.QueueQuery{Unit: qSaPa, Overdue: qBool(true)}, []string{"A"}},
		{"not overdue", projections.QueueQuery{Unit: qSaPa, Overdue: qBool(false)}, []string{"E", "H", "C", "B", "D"}},
		{"overdue in every unit", projections.QueueQuery{Overdue: qBool(true)}, []string{"A", "G"}},

		{"search without diacritics", projections.QueueQuery{Unit: qSaPa, Q: "o nhiem"}, []string{"A"}},
		{"search in capitals finds title and description", projections.QueueQuery{Unit: qSaPa, Q: "NUOC"}, []string{"A", "H"}},
		{"search with diacritics", projections.QueueQuery{Unit: qSaPa, Q: "nước thải"}, []string{"H"}},
		{"search in capitals with diacritics", projections.QueueQuery{Unit: qSaPa, Q: "Ô NHIỄM"}, []string{"A"}},
		{"search typed decomposed", projections.QueueQuery{Unit: qSaPa, Q: "o\u0302 nhie\u0302\u0303m"}, []string{"A"}},
		{"search with đ", projections.QueueQuery{Unit: qSaPa, Q: "ĐẤT"}, []string{"B"}},
		{"every word must match", projections.QueueQuery{Unit: qSaPa, Q: "nhiem karaoke"}, []string{}},
		{"words in any order", projections.QueueQuery{Unit: qSaPa, Q: "dem  karaoke"}, []string{"E"}},
		{"blank search does not filter", projections.QueueQuery{Unit: qSaPa, Q: " \t "}, []string{"A", "E", "H", "C", "B", "D"}},

		{"open, in a commune, on time", projections.QueueQuery{Unit: qSaPa, Open: qBool(true), Commune: "sa-pa", Overdue: qBool(false)}, []string{"E"}},
		{"kind, category and search", projections.QueueQuery{Unit: qSaPa, Kind: domain.KindIncident, Category: "pollution.water", Q: "nuoc"}, []string{"A", "H"}},
		{"kind, category, search and overdue", projections.QueueQuery{Unit: qSaPa, Kind: domain.KindIncident, Category: "pollution.water", Q: "nuoc", Overdue: qBool(true)}, []string{"A"}},
		{"group, assignee and status", projections.QueueQuery{Unit: qSaPa, Category: "pollution", Assignee: "officer-1", Statuses: []domain.Status{domain.StatusInProgress}}, []string{"E"}},
		{"every filter, no match", projections.QueueQuery{Unit: qSaPa, Open: qBool(true), Kind: domain.KindIncident, Commune: "ta-van", Q: "nuoc"}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, next, err := w.log.q.List(tt.query, w.now)
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if got := w.names(items); !slices.Equal(got, tt.want) {
				t.Errorf("listed %v, want %v", got, tt.want)
			}
			if next != "" {
				t.Errorf("next = %q after a single page, want none", next)
			}
			if items == nil {
				t.Errorf("items = nil, want an empty list that encodes as []")
			}
		})
	}
}

func TestQueuesListSortOrders(t *testing.T) {
	w := newQWorld(t)
	tests := []struct {
		sort string
		want []string
	}{
		{"", []string{"A", "E", "H", "C", "B", "D"}},
		{"deadline", []string{"A", "E", "H", "C", "B", "D"}},
		{"-deadline", []string{"B", "C", "H", "E", "A", "D"}}, // undated last either way
		{"received", []string{"A", "B", "C", "D", "E", "H"}},
		{"-received", []string{"H", "E", "D", "C", "B", "A"}},
		{"updated", []string{"A", "H", "B", "C", "D", "E"}},
		{"-updated", []string{"E", "D", "C", "B", "H", "A"}},
	}
	for _, tt := range tests {
		t.Run("sort="+tt.sort, func(t *testing.T) {
			items, _, err := w.log.q.List(projections.QueueQuery{Unit: qSaPa, Sort: tt.sort}, w.now)
			if err != nil {
				t.Fatalf("List: %v", err)
			}
			if got := w.names(items); !slices.Equal(got, tt.want) {
				t.Errorf("listed %v, want %v", got, tt.want)
			}
		})
	}
}

func TestQueuesItemShowsTheCase(t *testing.T) {
	w := newQWorld(t)
	items, _, err := w.log.q.List(projections.QueueQuery{Unit: qSaPa, Q: "karaoke"}, w.now)
	if err != nil || len(items) != 1 {
		t.Fatalf("List = %d items, %v; want E", len(items), err)
	}
	got := items[0]
	want := projections.QueueItem{
		ID: w.ids["E"], Title: "Tiếng ồn karaoke ban đêm", Status: domain.StatusInProgress,
		Kind: domain.KindIncident, Category: "pollution.noise", Commune: "sa-pa",
		Deadline: qDays(5), Overdue: false, Assignee: "officer-1", Version: 17,
		ReceivedAt: qT0.Add(4 * time.Minute), UpdatedAt: qT0.Add(time.Hour + 8*time.Minute),
	}
	if got != want {
		t.Errorf("item =\n%+v\nwant\n%+v", got, want)
	}
}

func TestQueueItemJSON(t *testing.T) {
	id := uuid.MustParse("019c0000-0000-7000-8000-000000000001")
	item := projections.QueueItem{ID: id, Title: "t", Status: domain.StatusRejected, ReceivedAt: qT0, UpdatedAt: qT0}
	raw, err := json.Marshal(item)
	if err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"id", "title", "status", "kind", "category", "commune", "overdue", "assignee", "version", "received_at", "updated_at"} {
		if _, ok := fields[key]; !ok {
			t.Errorf("JSON %s lacks %q", raw, key)
		}
	}
	if _, ok := fields["deadline"]; ok {
		t.Errorf("JSON %s has a deadline for a case without one", raw)
	}
	if len(fields) != 11 {
		t.Errorf("JSON %s has %d fields, want 11", raw, len(fields))
	}

	item.Deadline = qDays(3)
	raw, _ = json.Marshal(item)
	if !strings.Contains(string(raw), `"deadline":"2026-03-05T08:00:00Z"`) {
		t.Errorf("JSON %s lacks the deadline", raw)
	}
}

func TestQueuesTransferAndEscalationMoveTheCase(t *testing.T) {
	log := newQLog()
	id := uuid.Must(uuid.NewV7())
	queue := func(unit string) []uuid.UUID {
		t.Helper()
		items, _, err := log.q.List(projections.QueueQuery{Unit: unit}, qDays(1))
		if err != nil {
			t.Fatalf("List %s: %v", unit, err)
		}
		var ids []uuid.UUID
		for _, it := range items {
			ids = append(ids, it.ID)
		}
		return ids
	}
	steps := []struct {
		name    string
		e       domain.Event
		in, out string
		open    map[string]int
	}{
		{"reported to the commune", qReport(qSaPa, domain.KindIncident, "pollution.water", "sa-pa", "Nước đục", "", qDays(2)), qSaPa, qSo, map[string]int{qSaPa: 1}},
		{"transferred to the department", domain.Transferred{From: qSaPa, To: qSo, Reason: "thẩm quyền"}, qSo, qSaPa, map[string]int{qSo: 1}},
		{"accepted there", domain.Accepted{Clock: domain.ClockResolve, Deadline: qDays(12)}, qSo, qSaPa, map[string]int{qSo: 1}},
		{"escalated to the province", domain.Escalated{From: qSo, To: "ubnd.tinh", Reason: "vượt thẩm quyền"}, "ubnd.tinh", qSo, map[string]int{"ubnd.tinh": 1}},
		{"transferred back to the commune", domain.Transferred{From: "ubnd.tinh", To: qSaPa, Reason: "trả về"}, qSaPa, "ubnd.tinh", map[string]int{qSaPa: 1}},
		{"assigned and resolved, still listed", domain.Resolved{Summary: "xong"}, qSaPa, qSo, map[string]int{qSaPa: 0}},
	}
	for i, s := range steps {
		log.apply(id, qT0.Add(time.Duration(i)*time.Hour), s.e)
		if got := queue(s.in); !slices.Equal(got, []uuid.UUID{id}) {
			t.Errorf("%s: %s's queue = %v, want the case", s.name, s.in, got)
		}
		if got := queue(s.out); len(got) != 0 {
			t.Errorf("%s: %s's queue = %v, want it empty", s.name, s.out, got)
		}
		if got := log.q.Units(); !mapsEqual(got, s.open) {
			t.Errorf("%s: Units() = %v, want %v", s.name, got, s.open)
		}
	}
}

func mapsEqual(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestQueuesUnitsCountsOpenCases(t *testing.T) {
	w := newQWorld(t)
	want := map[string]int{qSaPa: 4, qSo: 2} // A, B, E, H open in Sa Pa; F and G at the department
	if got := w.log.q.Units(); !mapsEqual(got, want) {
		t.Errorf("Units() = %v, want %v", got, want)
	}
}

func TestQueuesOverdueIsJudgedAtQueryTime(t *testing.T) {
	log := newQLog()
	id := uuid.Must(uuid.NewV7())
	due := qDays(3)
	log.apply(id, qT0, qReport(qSaPa, domain.KindIncident, "pollution.air", "sa-pa", "Khói", "", due))
	overdueAt := func(now time.Time) (flag bool, filtered int) {
		t.Helper()
		items, _, err := log.q.List(projections.QueueQuery{Unit: qSaPa}, now)
		if err != nil || len(items) != 1 {
			t.Fatalf("List = %d items, %v", len(items), err)
		}
		only, _, err := log.q.List(projections.QueueQuery{Unit: qSaPa, Overdue: qBool(true)}, now)
		if err != nil {
			t.Fatal(err)
		}
		return items[0].Overdue, len(only)
	}
	tests := []struct {
		name string
		now  time.Time
		want bool
	}{
		{"a day before", due.Add(-24 * time.Hour), false},
		{"at the deadline", due, false},
		{"a nanosecond after", due.Add(time.Nanosecond), true},
		{"a week after", due.Add(7 * 24 * time.Hour), true},
	}
	for _, tt := range tests {
		flag, n := overdueAt(tt.now)
		if flag != tt.want || (n == 1) != tt.want {
			t.Errorf("%s: overdue = %v and overdue filter lists %d, want %v", tt.name, flag, n, tt.want)
		}
	}

	log.apply(id, qDays(1), domain.Accepted{Clock: domain.ClockResolve, Deadline: qDays(10)})
	if flag, _ := overdueAt(qDays(5)); flag {
		t.Errorf("overdue after acceptance moved the deadline to day 10, checked on day 5")
	}
	log.apply(id, qDays(11), domain.Resolved{Summary: "xong"})
	if flag, n := overdueAt(qDays(20)); flag || n != 0 {
		t.Errorf("a resolved case is overdue (%v, %d)", flag, n)
	}
}

// qPagingWorld is one unit with n cases: some share a deadline (ties broken
// by id), some were rejected and have none.
func qPagingWorld(n int) (*qLog, []uuid.UUID) {
	log := newQLog()
	ids := make([]uuid.UUID, n)
	for i := range ids {
		ids[i] = uuid.Must(uuid.NewV7())
		log.apply(ids[i], qT0.Add(time.Duration(i)*time.Minute),
			qReport(qSaPa, domain.KindIncident, "pollution.water", "sa-pa", fmt.Sprintf("Nước %d", i), "", qDays(float64(i%4))))
	}
	for i := 0; i < n; i += 7 {
		log.apply(ids[i], qDays(0.5), domain.Rejected{Reason: "trùng"})
	}
	return log, ids
}

func TestQueuesCursorPagesCoverEveryCaseOnce(t *testing.T) {
	for _, sort := range []string{"deadline", "-deadline", "received", "-received"} {
		for _, limit := range []int{1, 3, 5, 23, 50} {
			t.Run(fmt.Sprintf("sort=%s,limit=%d", sort, limit), func(t *testing.T) {
				log, ids := qPagingWorld(23)
				query := projections.QueueQuery{Unit: qSaPa, Sort: sort, Limit: limit}
				var seen []uuid.UUID
				for page := 0; ; page++ {
					if page > 30 {
						t.Fatalf("more than 30 pages")
					}
					items, next, err := log.q.List(query, qDays(1))
					if err != nil {
						t.Fatalf("page %d: %v", page, err)
					}
					if len(items) == 0 {
						t.Fatalf("page %d is empty; the previous page should have had no next", page)
					}
					if len(items) > limit {
						t.Fatalf("page %d has %d items, limit %d", page, len(items), limit)
					}
					for _, it := range items {
						seen = append(seen, it.ID)
					}
					// Events arrive between pages: comments on the first and
					// the last case listed so far, and on one not yet listed.
					// They change when the cases were updated, not the key
					// the pages are sorted by.
					log.apply(items[0].ID, qDays(1), domain.CommentAdded{Text: "đã xem"})
					log.apply(seen[0], qDays(1), domain.CommentAdded{Text: "nhắc lại"})
					log.apply(ids[(page*5+3)%len(ids)], qDays(1), domain.CommentAdded{Text: "bổ sung"})
					if next == "" {
						break
					}
					query.Cursor = next
				}
				all, _, err := log.q.List(projections.QueueQuery{Unit: qSaPa, Sort: sort, Limit: projections.MaxQueueLimit}, qDays(1))
				if err != nil {
					t.Fatal(err)
				}
				want := make([]uuid.UUID, len(all))
				for i, it := range all {
					want[i] = it.ID
				}
				if len(want) != len(ids) {
					t.Fatalf("the full list has %d cases, want %d", len(want), len(ids))
				}
				if !slices.Equal(seen, want) {
					t.Errorf("pages listed\n%v\nwant every case once, in order\n%v", seen, want)
				}
			})
		}
	}
}

// TestQueuesCursorSkipsNothingWhenCasesArrive: a case reported between
// pages shows up in a later page if it sorts after the cursor, and never
// pushes an already listed case into the next page.
func TestQueuesCursorSkipsNothingWhenCasesArrive(t *testing.T) {
	log, ids := qPagingWorld(10)
	query := projections.QueueQuery{Unit: qSaPa, Sort: "received", Limit: 4}
	var seen []uuid.UUID
	for page := 0; page < 10; page++ {
		items, next, err := log.q.List(query, qDays(1))
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			seen = append(seen, it.ID)
		}
		id := uuid.Must(uuid.NewV7())
		ids = append(ids, id)
		if page < 2 { // arrivals while paging, received after every case so far
			log.apply(id, qT0.Add(time.Duration(len(ids))*time.Minute), qReport(qSaPa, domain.KindIncident, "pollution.air", "sa-pa", "Khói", "", qDays(2)))
		} else {
			ids = ids[:len(ids)-1]
		}
		if next == "" {
			break
		}
		query.Cursor = next
	}
	if !slices.Equal(seen, ids) {
		t.Errorf("pages listed\n%v\nwant\n%v", seen, ids)
	}
}

func TestQueuesNoEmptyLastPage(t *testing.T) {
	log, _ := qPagingWorld(10)
	items, next, err := log.q.List(projections.QueueQuery{Unit: qSaPa, Limit: 5}, qT0)
	if err != nil || len(items) != 5 || next == "" {
		t.Fatalf("first page: %d items, next %q, %v", len(items), next, err)
	}
	items, next, err = log.q.List(projections.QueueQuery{Unit: qSaPa, Limit: 5, Cursor: next}, qT0)
	if err != nil || len(items) != 5 || next != "" {
		t.Fatalf("second page: %d items, next %q, %v; want the 5 last and no next", len(items), next, err)
	}
	items, _, err = log.q.List(projections.QueueQuery{Unit: qSaPa}, qT0)
	if err != nil || len(items) != 10 {
		t.Fatalf("default limit: %d items, %v; want all 10", len(items), err)
	}
}

func TestQueuesInvalidQueries(t *testing.T) {
	full, _ := qPagingWorld(12)
	page1, cursor, err := full.q.List(projections.QueueQuery{Unit: qSaPa, Limit: 2}, qT0)
	if err != nil || cursor == "" || len(page1) != 2 {
		t.Fatalf("first page: %v, %q", err, cursor)
	}
	raw, _ := base64.RawURLEncoding.DecodeString(cursor)
	forge := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
	parts := strings.Split(string(raw), "|")
	if len(parts) != 4 {
		t.Fatalf("cursor %q decodes to %q", cursor, raw)
	}
	descCursor := forge(strings.Join([]string{parts[0], "-deadline", parts[2], parts[3]}, "|"))

	tests := []struct {
		name      string
		query     projections.QueueQuery
		wantCode  domain.Code
		wantField string
	}{
		{"negative limit", projections.QueueQuery{Limit: -1}, domain.EINVALID, "limit"},
		{"limit over the maximum", projections.QueueQuery{Limit: projections.MaxQueueLimit + 1}, domain.EINVALID, "limit"},
		{"unknown sort", projections.QueueQuery{Sort: "priority"}, domain.EINVALID, "sort"},
		{"sort with two minus signs", projections.QueueQuery{Sort: "--deadline"}, domain.EINVALID, "sort"},
		{"sort that is only a minus", projections.QueueQuery{Sort: "-"}, domain.EINVALID, "sort"},
		{"sort in capitals", projections.QueueQuery{Sort: "Deadline"}, domain.EINVALID, "sort"},
		{"cursor that is not base64url", projections.QueueQuery{Cursor: "not a cursor!"}, domain.EINVALID, "cursor"},
		{"cursor of another format", projections.QueueQuery{Cursor: forge("hello")}, domain.EINVALID, "cursor"},
		{"cursor of another version", projections.QueueQuery{Cursor: forge("q0|deadline||" + parts[3])}, domain.EINVALID, "cursor"},
		{"cursor with a broken time", projections.QueueQuery{Cursor: forge("q1|deadline|yesterday|" + parts[3])}, domain.EINVALID, "cursor"},
		{"cursor with a broken id", projections.QueueQuery{Cursor: forge("q1|deadline||not-an-id")}, domain.EINVALID, "cursor"},
		{"cursor with extra parts", projections.QueueQuery{Cursor: forge(string(raw) + "|x")}, domain.EINVALID, "cursor"},
		{"cursor of another sort", projections.QueueQuery{Sort: "received", Cursor: cursor}, domain.EINVALID, "cursor"},
		{"cursor of the other direction", projections.QueueQuery{Cursor: descCursor}, domain.EINVALID, "cursor"},
		{"cursor with padding", projections.QueueQuery{Cursor: cursor + "="}, domain.EINVALID, "cursor"},
		{"unknown status", projections.QueueQuery{Statuses: []domain.Status{domain.StatusReceived, "open"}}, domain.EINVALID, "status"},
		{"the empty status", projections.QueueQuery{Statuses: []domain.Status{domain.StatusNew}}, domain.EINVALID, "status"},
		{"unknown kind", projections.QueueQuery{Kind: "lawsuit"}, domain.EInvalidKind, "kind"},
		{"unknown category", projections.QueueQuery{Category: "pollution.light"}, domain.EInvalidCategory, "category"},
		{"unknown category group", projections.QueueQuery{Category: "water"}, domain.EInvalidCategory, "category"},
		{"unknown group with a star", projections.QueueQuery{Category: "water.*"}, domain.EInvalidCategory, "category"},
		{"search too long", projections.QueueQuery{Q: strings.Repeat("ô", projections.MaxQueueQuery+1)}, domain.ETooLong, "q"},
	}
	models := map[string]*projections.Queues{"empty model": projections.NewQueues(), "model with cases": full.q}
	for _, tt := range tests {
		for modelName, q := range models {
			t.Run(tt.name+"/"+modelName, func(t *testing.T) {
				for _, unit := range []string{"", qSaPa, "ubnd.khac"} {
					query := tt.query
					query.Unit = unit
					items, next, err := q.List(query, qT0)
					var derr *domain.Error
					if !errors.As(err, &derr) {
						t.Fatalf("unit %q: List = %d items, %q, %v; want a *domain.Error", unit, len(items), next, err)
					}
					if derr.Code != tt.wantCode || derr.Field != tt.wantField {
						t.Errorf("unit %q: error %v, want code %s field %s", unit, err, tt.wantCode, tt.wantField)
					}
					if items != nil || next != "" {
						t.Errorf("unit %q: an error came with %d items and next %q", unit, len(items), next)
					}
				}
			})
		}
	}

	valid := []projections.QueueQuery{
		{Limit: projections.MaxQueueLimit},
		{Limit: 1},
		{Sort: "-updated"},
		{Category: "land.*"},
		{Category: "pollution"},
		{Q: strings.Repeat("ô", projections.MaxQueueQuery)},
		{Cursor: cursor},
		{Sort: "-deadline", Cursor: descCursor},
	}
	for _, query := range valid {
		if _, _, err := projections.NewQueues().List(query, qT0); err != nil {
			t.Errorf("List(%+v) on an empty model: %v", query, err)
		}
	}
}

func TestQueuesApplyIgnoresReplaysAndStrangers(t *testing.T) {
	log := newQLog()
	id := uuid.Must(uuid.NewV7())
	log.apply(id, qT0, qReport(qSaPa, domain.KindIncident, "pollution.air", "sa-pa", "Khói", "", qDays(1)))
	log.apply(id, qT0.Add(time.Minute), domain.Transferred{From: qSaPa, To: qSo})
	if got := log.q.LastSeq(); got != 2 {
		t.Errorf("LastSeq = %d, want 2", got)
	}

	// A replay of the report (a snapshot overlapping the log) changes nothing.
	log.q.Apply(domain.Envelope{CaseID: id, Time: qT0, Seq: 1,
		Event: qReport(qSaPa, domain.KindIncident, "pollution.air", "sa-pa", "Khói", "", qDays(1))})
	if items, _, _ := log.q.List(projections.QueueQuery{Unit: qSo}, qT0); len(items) != 1 || items[0].Version != 2 {
		t.Errorf("after a replay the department's queue is %+v, want the case at version 2", items)
	}

	// An event of a case never reported is dropped, but counted as applied.
	log.apply(uuid.Must(uuid.NewV7()), qT0, domain.CommentAdded{Text: "?"})
	if got, n := log.q.LastSeq(), log.q.Len(); got != 3 || n != 1 {
		t.Errorf("LastSeq, Len = %d, %d; want 3, 1", got, n)
	}
}

func TestQueuesSearchUsesABoundedDescription(t *testing.T) {
	log := newQLog()
	id := uuid.Must(uuid.NewV7())
	long := strings.Repeat("ồ ", 1500) + "cuoicung" // 3000 runes of filler, then a word
	log.apply(id, qT0, qReport(qSaPa, domain.KindIncident, "pollution.air", "sa-pa", "Khói", long, qDays(1)))
	for q, want := range map[string]int{"o o o": 1, "khoi": 1, "cuoicung": 0} {
		items, _, err := log.q.List(projections.QueueQuery{Q: q}, qT0)
		if err != nil || len(items) != want {
			t.Errorf("search %q: %d items, %v; want %d", q, len(items), err, want)
		}
	}
}

// TestQueuesConcurrentReaders runs under -race: queries while events arrive.
func TestQueuesConcurrentReaders(t *testing.T) {
	log := newQLog()
	ids := make([]uuid.UUID, 200)
	for i := range ids {
		ids[i] = uuid.Must(uuid.NewV7())
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for r := 0; r < 4; r++ {
		wg.Go(func() {
			cursor := ""
			for {
				select {
				case <-stop:
					return
				default:
				}
				_, next, err := log.q.List(projections.QueueQuery{Unit: qSaPa, Q: "nuoc", Limit: 7, Cursor: cursor, Open: qBool(true)}, qDays(1))
				if err != nil {
					errs <- err
					return
				}
				cursor = next
				_ = log.q.Units()
			}
		})
	}
	for i, id := range ids {
		log.apply(id, qT0.Add(time.Duration(i)*time.Second), qReport(qSaPa, domain.KindIncident, "pollution.water", "sa-pa", "Nước bẩn", "", qDays(float64(i%5))))
		if i%3 == 0 {
			log.apply(id, qT0.Add(time.Duration(i)*time.Second), domain.Transferred{From: qSaPa, To: qSo})
		}
	}
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("List: %v", err)
	}
	if got := log.q.Units(); got[qSaPa]+got[qSo] != len(ids) {
		t.Errorf("Units() = %v, want %d open cases in all", got, len(ids))
	}
}

func TestFoldVietnamese(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", ""},
		{"ascii is lower-cased", "Khoi BUI", "khoi bui"},
		{"title", "Ô nhiễm nguồn nước", "o nhiem nguon nuoc"},
		{"capitals", "NƯỚC THẢI", "nuoc thai"},
		{"đ and Đ", "Đường Điện Biên đã đổ", "duong dien bien da do"},
		// Every vowel with no tone and the five tones (huyền, sắc, hỏi, ngã, nặng), both cases.
		{"a", "a à á ả ã ạ A À Á Ả Ã Ạ", "a a a a a a a a a a a a"},
		{"ă", "ă ằ ắ ẳ ẵ ặ Ă Ằ Ắ Ẳ Ẵ Ặ", "a a a a a a a a a a a a"},
		{"â", "â ầ ấ ẩ ẫ ậ Â Ầ Ấ Ẩ Ẫ Ậ", "a a a a a a a a a a a a"},
		{"e", "e è é ẻ ẽ ẹ E È É Ẻ Ẽ Ẹ", "e e e e e e e e e e e e"},
		{"ê", "ê ề ế ể ễ ệ Ê Ề Ế Ể Ễ Ệ", "e e e e e e e e e e e e"},
		{"i", "i ì í ỉ ĩ ị I Ì Í Ỉ Ĩ Ị", "i i i i i i i i i i i i"},
		{"o", "o ò ó ỏ õ ọ O Ò Ó Ỏ Õ Ọ", "o o o o o o o o o o o o"},
		{"ô", "ô ồ ố ổ ỗ ộ Ô Ồ Ố Ổ Ỗ Ộ", "o o o o o o o o o o o o"},
		{"ơ", "ơ ờ ớ ở ỡ ợ Ơ Ờ Ớ Ở Ỡ Ợ", "o o o o o o o o o o o o"},
		{"u", "u ù ú ủ ũ ụ U Ù Ú Ủ Ũ Ụ", "u u u u u u u u u u u u"},
		{"ư", "ư ừ ứ ử ữ ự Ư Ừ Ứ Ử Ữ Ự", "u u u u u u u u u u u u"},
		{"y", "y ỳ ý ỷ ỹ ỵ Y Ỳ Ý Ỷ Ỹ Ỵ", "y y y y y y y y y y y y"},
		{"letters run together", "ĐẶNGTHỊNGỌCHƯỜNG", "dangthingochuong"},
		// Decomposed input (NFD): base letter, then combining marks.
		{"decomposed circumflex and tilde", "O\u0302 nhie\u0302\u0303m", "o nhiem"},
		{"decomposed horn and acute", "nu\u031bo\u031b\u0301c", "nuoc"},
		{"decomposed breve and dot below", "A\u0306\u0323n", "an"},
		{"decomposed grave, hook, dot below", "a\u0300 a\u0309 a\u0323", "a a a"},
		{"mixed precomposed and decomposed", "Ô nhie\u0302\u0303m", "o nhiem"},
		{"white space collapses and trims", "  Ô \t nhiễm\n\n nước  ", "o nhiem nuoc"},
		{"unicode spaces", "ô\u00a0nhiễm\u3000nước\u2003", "o nhiem nuoc"},
		{"a lone combining mark", "\u0301", ""},
		{"punctuation and digits stay", "Lò gạch số 3, thôn Ý Tý!", "lo gach so 3, thon y ty!"},
		{"other scripts are only lower-cased", "ÇA Ω", "ça ω"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := projections.FoldVietnamese(tt.in)
			if got != tt.want {
				t.Errorf("FoldVietnamese(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if again := projections.FoldVietnamese(got); again != got {
				t.Errorf("folding %q again gives %q", got, again)
			}
		})
	}
}

// TestQueuesSearchFindsEverySubstring guards the pair filter in front of the
// substring scan: it may only ever skip texts that cannot match.
func TestQueuesSearchFindsEverySubstring(t *testing.T) {
	log := newQLog()
	title, description := "Ô nhiễm nguồn nước suối Mường Hoa", "Nước thải từ cơ sở chế biến chảy ra đường; ĐỀ NGHỊ xử lý!"
	log.apply(uuid.Must(uuid.NewV7()), qT0, qReport(qSaPa, domain.KindIncident, "pollution.water", "sa-pa", title, description, qDays(1)))
	folded := []rune(projections.FoldVietnamese(title + " " + description))
	for i := range folded {
		for n := 1; n <= 8 && i+n <= len(folded); n++ {
			word := string(folded[i : i+n])
			if strings.Contains(word, " ") {
				break
			}
			items, _, err := log.q.List(projections.QueueQuery{Q: strings.ToUpper(word)}, qT0)
			if err != nil || len(items) != 1 {
				t.Fatalf("search %q: %d items, %v; want the case", word, len(items), err)
			}
		}
	}
	for _, miss := range []string{"nhiemm", "xyz", "suoi nhiemx", "đđ"} {
		if items, _, _ := log.q.List(projections.QueueQuery{Q: miss}, qT0); len(items) != 0 {
			t.Errorf("search %q found the case", miss)
		}
	}
}

// TestQueuesGiveBackTimesAsApplied: the queues keep a case's times as
// stamps (seconds, nanoseconds and a zone's number), yet give back each
// time as it was applied, zone and all, order them by instant over
// time.Time's whole range, far beyond what Unix nanoseconds hold, and page
// through them with cursors.
func TestQueuesGiveBackTimesAsApplied(t *testing.T) {
	decoded := time.FixedZone("", 7*60*60) // as a JSON decoder makes +07:00
	times := []time.Time{
		time.Date(2026, 3, 2, 8, 0, 0, 123456789, time.UTC),
		time.Date(2026, 3, 2, 15, 0, 0, 123456789, decoded), // the same instant, another zone
		time.Date(2026, 3, 2, 15, 0, 0, 1, domain.Vietnam),
		time.Date(1, 1, 1, 0, 0, 1, 0, time.UTC), // a second after the zero time
		time.Date(1000, 6, 1, 0, 0, 0, 0, decoded),
		time.Date(1677, 9, 21, 0, 12, 43, 0, time.UTC), // just before Unix nanoseconds begin
		time.Date(1969, 12, 31, 23, 59, 59, 999999999, time.UTC),
		time.Date(2262, 4, 12, 0, 0, 0, 0, time.UTC), // just after they end
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, domain.Vietnam),
	}
	l := newQLog()
	deadlineOf, receivedOf := map[uuid.UUID]time.Time{}, map[uuid.UUID]time.Time{}
	for i, at := range times {
		id := uuid.Must(uuid.NewV7())
		deadline := at.Add(time.Duration(i) * time.Nanosecond) // ties broken apart, zones kept
		deadlineOf[id], receivedOf[id] = deadline, at
		l.apply(id, at, qReport(qSaPa, domain.KindIncident, "pollution.water", "sa-pa", fmt.Sprint("case ", i), "", deadline))
	}
	undated := uuid.Must(uuid.NewV7())
	l.apply(undated, times[0], qReport(qSaPa, domain.KindIncident, "pollution.water", "sa-pa", "undated", "", time.Time{}))

	items, _, err := l.q.List(projections.QueueQuery{Unit: qSaPa}, qT0)
	if err != nil || len(items) != len(times)+1 {
		t.Fatalf("List = %d items, %v; want %d", len(items), err, len(times)+1)
	}
	for i, it := range items {
		if it.ID == undated {
			if i != len(items)-1 || !it.Deadline.IsZero() {
				t.Errorf("the undated case is item %d with deadline %v, want last and zero", i, it.Deadline)
			}
			continue
		}
		if want := deadlineOf[it.ID]; it.Deadline != want {
			t.Errorf("%s: deadline %v (%p), applied %v (%p)", it.Title, it.Deadline, it.Deadline.Location(), want, want.Location())
		}
		if want := receivedOf[it.ID]; it.ReceivedAt != want || it.UpdatedAt != want {
			t.Errorf("%s: received %v, updated %v; applied at %v (%p)", it.Title, it.ReceivedAt, it.UpdatedAt, want, want.Location())
		}
		if i > 0 && items[i-1].ID != undated && !items[i-1].Deadline.Before(it.Deadline) {
			t.Errorf("item %d due %v listed after item %d due %v", i, it.Deadline, i-1, items[i-1].Deadline)
		}
	}
	for _, sort := range []string{"deadline", "-deadline", "received", "-received", "updated"} {
		var paged []uuid.UUID
		for cursor := ""; ; {
			page, next, err := l.q.List(projections.QueueQuery{Unit: qSaPa, Sort: sort, Limit: 2, Cursor: cursor}, qT0)
			if err != nil {
				t.Fatalf("sort %s: List: %v", sort, err)
			}
			for _, it := range page {
				paged = append(paged, it.ID)
			}
			if next == "" {
				break
			}
			cursor = next
		}
		all, _, err := l.q.List(projections.QueueQuery{Unit: qSaPa, Sort: sort}, qT0)
		if err != nil {
			t.Fatal(err)
		}
		var want []uuid.UUID
		for _, it := range all {
			want = append(want, it.ID)
		}
		if !slices.Equal(paged, want) {
			t.Errorf("sort %s: pages of two gave %v, one page %v", sort, paged, want)
		}
	}
}
