package projections_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
	"phananh/projections"
)

// qBenchTitles are what citizens of one district write about; one in five
// mentions polluted water.
var qBenchTitles = []string{
	"Ô nhiễm nguồn nước suối",
	"Tiếng ồn công trình ban đêm",
	"Rác thải đổ trộm ven đường",
	"Khói bụi từ lò gạch",
	"Lấn chiếm đất hành lang giao thông",
}

const qBenchDescription = "Người dân phản ánh tình trạng kéo dài nhiều ngày, ảnh hưởng đến sinh hoạt " +
	"của các hộ gia đình xung quanh. Đề nghị cơ quan chức năng kiểm tra, xử lý dứt điểm và " +
	"thông báo kết quả cho người dân được biết."

// qBenchUnit fills one unit's queue with n cases in a mix of statuses.
func qBenchUnit(n int) *projections.Queues {
	q := projections.NewQueues()
	var seq uint64
	apply := func(id uuid.UUID, at time.Time, e domain.Event) {
		seq++
		q.Apply(domain.Envelope{CaseID: id, Time: at, Event: e, Seq: seq})
	}
	for i := range n {
		id := uuid.Must(uuid.NewV7())
		at := qT0.Add(time.Duration(i) * time.Minute)
		apply(id, at, qReport(qSaPa, domain.KindIncident, "pollution.water", fmt.Sprintf("xa-%d", i%30),
			fmt.Sprintf("%s (%d)", qBenchTitles[i%len(qBenchTitles)], i), qBenchDescription, at.Add(time.Duration(i%240)*time.Hour)))
		switch i % 4 {
		case 1:
			apply(id, at, domain.Accepted{Clock: domain.ClockResolve, Deadline: at.AddDate(0, 0, 30)})
		case 2:
			apply(id, at, domain.Accepted{Clock: domain.ClockResolve, Deadline: at.AddDate(0, 0, 30)})
			apply(id, at, domain.Assigned{Assignee: fmt.Sprintf("officer-%d", i%12)})
		case 3:
			apply(id, at, domain.Rejected{Reason: "trùng"})
		}
	}
	return q
}

// BenchmarkQueuesList pages a unit of 20,000 cases: a search that one case
// in five matches, sorted, 50 to a page; and the open cases without search.
func BenchmarkQueuesList(b *testing.B) {
	q := qBenchUnit(20_000)
	now := qT0.AddDate(0, 0, 5)
	for _, bm := range []struct {
		name  string
		query projections.QueueQuery
	}{
		{"search", projections.QueueQuery{Unit: qSaPa, Q: "ô nhiễm nuoc", Sort: "-deadline", Limit: 50}},
		{"open", projections.QueueQuery{Unit: qSaPa, Open: qBool(true), Sort: "deadline", Limit: 50}},
	} {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				items, _, err := q.List(bm.query, now)
				if err != nil || len(items) != 50 {
					b.Fatalf("List = %d items, %v", len(items), err)
				}
			}
		})
	}
}

// BenchmarkQueuesApply applies a stream of reports, acceptances,
// assignments, comments and transfers to a model that already holds 20,000
// cases.
func BenchmarkQueuesApply(b *testing.B) {
	q := qBenchUnit(20_000)
	seq := uint64(1 << 32) // after every event qBenchUnit applied
	var ids []uuid.UUID
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		seq++
		env := domain.Envelope{Time: qT0.Add(time.Duration(i) * time.Second), Seq: seq}
		switch i % 5 {
		case 0:
			ids = append(ids, uuid.Must(uuid.NewV7()))
			env.Event = qReport(qSaPa, domain.KindIncident, "pollution.water", "xa-1",
				qBenchTitles[i%len(qBenchTitles)], qBenchDescription, qT0.AddDate(0, 0, 2))
		case 1:
			env.Event = domain.Accepted{Clock: domain.ClockResolve, Deadline: qT0.AddDate(0, 0, 30)}
		case 2:
			env.Event = domain.Assigned{Assignee: "officer-1"}
		case 3:
			env.Event = domain.CommentAdded{Text: "đã liên hệ"}
		case 4:
			env.Event = domain.Transferred{From: qSaPa, To: qSo}
		}
		env.CaseID = ids[len(ids)-1]
		q.Apply(env)
	}
}

// BenchmarkQueuesReportMidUnit reports a new case into a unit of 25,000
// cases, due at a deadline in the middle of the unit's queue (a report is
// due before the cases already accepted, whose handling period is longer),
// and transfers it out again so the unit keeps its size. One operation is
// both events: an insertion into the middle of the unit's order and a
// removal from it, under the model's write lock.
func BenchmarkQueuesReportMidUnit(b *testing.B) {
	q := qBenchUnit(25_000) // deadlines: reported ≤ qT0+28d, accepted qT0+30d…+47d
	mid := qT0.AddDate(0, 0, 38)
	seq := uint64(1 << 32) // after every event qBenchUnit applied
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		id := uuid.Must(uuid.NewV7())
		at := qT0.Add(time.Duration(i) * time.Second)
		seq++
		q.Apply(domain.Envelope{CaseID: id, Time: at, Seq: seq, Event: qReport(qSaPa, domain.KindIncident,
			"pollution.water", "xa-1", qBenchTitles[i%len(qBenchTitles)], qBenchDescription, mid.Add(time.Duration(i)))})
		seq++
		q.Apply(domain.Envelope{CaseID: id, Time: at, Seq: seq, Event: domain.Transferred{From: qSaPa, To: qSo}})
	}
	if n := q.Units()[qSaPa]; n == 0 {
		b.Fatal("the unit is empty")
	}
}

// BenchmarkQueuesRebuild applies the log of 100,000 open cases in four
// units (report, acceptance, assignment: the state of
// BenchmarkQueries100k) to a fresh model, as a start-up rebuild does once
// the events are decoded. An acceptance moves its case from the report's
// deadline to the handling deadline, across the middle of a unit of
// 25,000 cases. ns/event is the cost of one Apply.
func BenchmarkQueuesRebuild(b *testing.B) {
	const n = 100_000
	envs := make([]domain.Envelope, 0, 3*n)
	heapLog(b, n, 3, func(env domain.Envelope) { envs = append(envs, env) })
	b.ReportAllocs()
	var ops int
	for b.Loop() {
		q := projections.NewQueues()
		for _, env := range envs {
			q.Apply(env)
		}
		if q.Len() != n {
			b.Fatalf("model holds %d cases, want %d", q.Len(), n)
		}
		ops++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(ops*len(envs)), "ns/event")
}
