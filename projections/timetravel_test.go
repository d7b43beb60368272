package projections_test

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"phananh/domain"
	"phananh/projections"
)

// viewOf folds envelopes through a fresh case view: what the live view held
// once it had applied exactly these events.
func viewOf(envs []domain.Envelope) *projections.CaseView {
	v := projections.NewCaseView()
	for _, e := range envs {
		v.Apply(e)
	}
	return v
}

func TestCaseAsOf(t *testing.T) {
	s := startStore(t)
	cases, _ := sixCases()
	log := appendRoundRobin(t, s, cases) // event i happened at t0 + i minutes
	h := cases[3]                        // the mediated, resolved and closed case
	events, _, err := s.Load(testContext(t), h.caseID)
	if err != nil {
		t.Fatal(err)
	}
	written := log.byCase[h.caseID]

	tests := []struct {
		name string
		asOf time.Time
		want int // events of the case in force then
	}{
		{"before the report", written[0].Time.Add(-time.Second), 0},
		{"at the report", written[0].Time, 1},
		{"between two events", written[2].Time.Add(30 * time.Second), 3},
		{"at an event, to the nanosecond", written[5].Time, 6},
		{"just before it", written[5].Time.Add(-time.Nanosecond), 5},
		{"after the last", written[len(written)-1].Time.Add(time.Hour), len(written)},
		{"in another zone", written[4].Time.In(time.FixedZone("ICT", 7*3600)), 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, ok := projections.CaseAsOf(events, tt.asOf)
			if ok != (tt.want > 0) {
				t.Fatalf("CaseAsOf found = %v, want %v", ok, tt.want > 0)
			}
			if !ok {
				return
			}
			want, _ := viewOf(written[:tt.want]).Get(h.caseID)
			if !reflect.DeepEqual(rec, want) {
				t.Errorf("as of %s:\n got %+v\nwant %+v", tt.asOf, rec, want)
			}
			if got := len(rec.Timeline); got != tt.want {
				t.Errorf("timeline has %d entries, want %d", got, tt.want)
			}
			if got, want := rec.Case, domain.Fold(written[:tt.want]); !reflect.DeepEqual(got, want) {
				t.Errorf("case as of %s = %+v, want Fold of its first %d events %+v", tt.asOf, got, tt.want, want)
			}
		})
	}
}

// TestCaseAsOfStopsAtTheFirstLaterEvent: an event decided before as_of but
// appended after one decided later was appended after as_of too; the view
// as of then leaves both out.
func TestCaseAsOfStopsAtTheFirstLaterEvent(t *testing.T) {
	id := newCaseID()
	at := func(min int) time.Time { return t0.Add(time.Duration(min) * time.Minute) }
	events := []domain.Envelope{
		envelopeAt(id, citizen, at(0), reported(0)),
		envelopeAt(id, officer, at(10), accepted()),
		envelopeAt(id, officer, at(5), domain.CommentAdded{Text: "quyết định trước, ghi sau"}),
	}
	for i := range events {
		events[i].Seq = uint64(i + 1)
	}
	rec, ok := projections.CaseAsOf(events, at(7))
	if !ok || len(rec.Timeline) != 1 || rec.Case.Status != domain.StatusReceived {
		t.Fatalf("as of minute 7: found %v, %d entries, status %q; want only the report", ok, len(rec.Timeline), rec.Case.Status)
	}
}

func TestRebuildAsOf(t *testing.T) {
	s := startStore(t)
	log := appendRoundRobin(t, s, richCases()) // event i happened at t0 + i minutes
	ctx := testContext(t)

	tests := []struct {
		name string
		asOf time.Time
		want uint64 // the last event in force then
	}{
		{"before the first event", t0.Add(-time.Minute), 0},
		{"at the first", t0, 1},
		{"between two", log.all[11].Time.Add(time.Second), 12},
		{"at the last", log.all[len(log.all)-1].Time, log.last},
		{"in the future", time.Now().Add(time.Hour), log.last},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			view, queues := projections.NewCaseView(), projections.NewQueues()
			seq, err := projections.RebuildAsOf(ctx, s, tt.asOf, view, queues)
			if err != nil {
				t.Fatal(err)
			}
			if seq != tt.want {
				t.Fatalf("RebuildAsOf = %d, want %d", seq, tt.want)
			}
			wantView, wantQueues := projections.NewCaseView(), projections.NewQueues()
			for _, e := range log.all[:tt.want] {
				wantView.Apply(e)
				wantQueues.Apply(e)
			}
			if got, want := snapshotBytes(t, view), snapshotBytes(t, wantView); !bytes.Equal(got, want) {
				t.Errorf("case view as of %s differs from one fed events 1..%d", tt.asOf, tt.want)
			}
			if got, want := snapshotBytes(t, queues), snapshotBytes(t, wantQueues); !bytes.Equal(got, want) {
				t.Errorf("queues as of %s differ from one fed events 1..%d", tt.asOf, tt.want)
			}
		})
	}

	t.Run("to a sequence", func(t *testing.T) {
		view := projections.NewCaseView()
		seq, err := projections.RebuildTo(ctx, s, 20, view)
		if err != nil || seq != 20 || view.LastSeq() != 20 {
			t.Fatalf("RebuildTo(20) = %d, %v with the view at %d; want 20", seq, err, view.LastSeq())
		}
		seq, err = projections.RebuildTo(ctx, s, log.last+100, projections.NewCaseView())
		if err != nil || seq != log.last {
			t.Fatalf("RebuildTo past the end = %d, %v; want %d", seq, err, log.last)
		}
	})

	t.Run("an empty log", func(t *testing.T) {
		seq, err := projections.RebuildAsOf(ctx, startStore(t), time.Now(), projections.NewCaseView())
		if err != nil || seq != 0 {
			t.Fatalf("RebuildAsOf on an empty log = %d, %v; want 0, nil", seq, err)
		}
	})
}
