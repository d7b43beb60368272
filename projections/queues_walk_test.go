package projections_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
	"phananh/projections"
)

// TestQueuesUnitWalkEqualsScan checks the pages of one unit, read from its
// tree kept in deadline order, against the same pages computed by the scan
// that serves queries over every unit, on a model whose cases are all in
// that unit: deadlines shared, missing, extended and moved, in both
// directions, with filters and a search, page after page. Deadlines are
// drawn from a few days (runs of one deadline longer than a page), or
// mostly distinct (runs of one or two, shorter than a page), each new one
// as likely before the deadlines already held as after them.
func TestQueuesUnitWalkEqualsScan(t *testing.T) {
	for _, tt := range []struct {
		name     string
		deadline func(r *rand.Rand) time.Time
	}{
		{"few deadlines", func(r *rand.Rand) time.Time { return qT0.AddDate(0, 0, r.IntN(8)) }},
		{"distinct deadlines", func(r *rand.Rand) time.Time { return qT0.Add(time.Duration(r.IntN(8*24*60)) * time.Minute) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			testQueuesUnitWalkEqualsScan(t, tt.deadline)
		})
	}
}

func testQueuesUnitWalkEqualsScan(t *testing.T, deadlineOf func(*rand.Rand) time.Time) {
	r := rand.New(rand.NewPCG(7, 11))
	q := projections.NewQueues()
	var seq uint64
	apply := func(id uuid.UUID, e domain.Event) {
		seq++
		q.Apply(domain.Envelope{CaseID: id, Time: qT0.Add(time.Duration(seq) * time.Minute), Event: e, Seq: seq})
	}
	deadline := func() time.Time { return deadlineOf(r) }
	var ids []uuid.UUID
	for i := range 600 {
		id := uuid.Must(uuid.NewV7())
		ids = append(ids, id)
		dl := deadline()
		if i%7 == 0 {
			dl = time.Time{}
		}
		apply(id, qReport(qSaPa, domain.KindIncident, "pollution.water", fmt.Sprintf("xa-%d", i%3),
			qBenchTitles[i%len(qBenchTitles)], qBenchDescription, dl))
		switch i % 5 {
		case 1:
			apply(id, domain.Accepted{Clock: domain.ClockResolve, Deadline: deadline()})
		case 2:
			apply(id, domain.Rejected{Reason: "trùng"})
		case 3:
			apply(id, domain.Accepted{Clock: domain.ClockResolve, Deadline: deadline()})
			apply(id, domain.DeadlineExtended{Deadline: deadline().AddDate(0, 0, 3), Days: 3, Decision: "QĐ"})
		}
	}
	// Move a few cases out of the unit and back, so they are removed from
	// and inserted into its list.
	for _, id := range ids[:40] {
		apply(id, domain.Transferred{From: qSaPa, To: qSo})
		apply(id, domain.Transferred{From: qSo, To: qSaPa})
	}
	now := qT0.AddDate(0, 0, 4)
	for _, sortBy := range []string{"", "deadline", "-deadline"} {
		for _, base := range []projections.QueueQuery{
			{Limit: 17},
			{Limit: 1, Statuses: []domain.Status{domain.StatusAccepted}},
			{Limit: 50, Open: qBool(true)},
			{Limit: 9, Overdue: qBool(false), Commune: "xa-1"},
			{Limit: 13, Q: "ô nhiễm"},
		} {
			base.Sort = sortBy
			name := fmt.Sprintf("%s/%+v", sortBy, base)
			walk, scan := base, base
			walk.Unit = qSaPa
			pages := 0
			for {
				gotItems, gotNext, err := q.List(walk, now)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				wantItems, wantNext, err := q.List(scan, now)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if !slices.Equal(itemIDs(gotItems), itemIDs(wantItems)) || gotNext != wantNext {
					t.Fatalf("%s, page %d: unit walk %v next %q; scan %v next %q", name, pages,
						itemIDs(gotItems), gotNext, itemIDs(wantItems), wantNext)
				}
				pages++
				if gotNext == "" {
					break
				}
				walk.Cursor, scan.Cursor = gotNext, wantNext
			}
			if pages < 2 {
				t.Errorf("%s: %d page(s); the test wants several", name, pages)
			}
		}
	}
}

func itemIDs(items []projections.QueueItem) []uuid.UUID {
	out := make([]uuid.UUID, len(items))
	for i, it := range items {
		out[i] = it.ID
	}
	return out
}
