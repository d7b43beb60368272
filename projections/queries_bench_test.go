package projections_test

import (
	"testing"
	"time"

	"phananh/domain"
	"phananh/projections"
)

// BenchmarkQueries100k measures the queries of the target on
// 100,000 open cases (reported, accepted and assigned) in four units: a
// unit's first page of open cases, its second page, a search, and the
// monthly dashboard of the month in progress.
func BenchmarkQueries100k(b *testing.B) {
	const n = 100_000
	q, d := projections.NewQueues(), projections.NewDashboard(domain.DefaultGeography())
	heapLog(b, n, 3, func(env domain.Envelope) {
		q.Apply(env)
		d.Apply(env)
	})
	now := t0.AddDate(0, 0, 3)
	first, next, err := q.List(projections.QueueQuery{Unit: "ubnd.sa-pa", Open: qBool(true)}, now)
	if err != nil || len(first) != projections.DefaultQueueLimit || next == "" {
		b.Fatalf("first page: %d items, next %q, %v", len(first), next, err)
	}
	for _, bm := range []struct {
		name  string
		query projections.QueueQuery
	}{
		{"queue_page", projections.QueueQuery{Unit: "ubnd.sa-pa", Open: qBool(true)}},
		{"queue_next_page", projections.QueueQuery{Unit: "ubnd.sa-pa", Open: qBool(true), Cursor: next}},
		{"queue_search", projections.QueueQuery{Unit: "ubnd.sa-pa", Q: "nuoc suoi"}},
	} {
		b.Run(bm.name, func(b *testing.B) {
			for b.Loop() {
				if items, _, err := q.List(bm.query, now); err != nil || len(items) == 0 {
					b.Fatalf("List = %d items, %v", len(items), err)
				}
			}
		})
	}
	b.Run("dashboard_month", func(b *testing.B) {
		for b.Loop() {
			if m := d.Monthly(2026, time.March, projections.DashboardFilter{}, now); m.Backlog != n {
				b.Fatalf("backlog %d, want %d", m.Backlog, n)
			}
		}
	})
}
