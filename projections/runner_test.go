package projections_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"runtime/debug"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
	"phananh/eventstore"
	"phananh/projections"
)

// recorder is a read model that remembers the sequence of every event it
// was given, to check that each is applied exactly once and in order.
type recorder struct {
	mu   sync.Mutex
	seqs []uint64
}

func (m *recorder) Apply(e domain.Envelope) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seqs = append(m.seqs, e.Seq)
}

func (m *recorder) LastSeq() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.seqs) == 0 {
		return 0
	}
	return m.seqs[len(m.seqs)-1]
}

func (m *recorder) Seqs() []uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.seqs)
}

// gatedSource is the real store, except that its feed stops just before the
// event at seq until the test releases it: a way to look at the runner
// while it is part-way through the log.
type gatedSource struct {
	*eventstore.Store
	seq     uint64
	once    sync.Once
	reached chan struct{} // closed when the feed reaches seq
	release chan struct{} // closed by the test to let the feed go on
}

func newGatedSource(s *eventstore.Store, seq uint64) *gatedSource {
	return &gatedSource{Store: s, seq: seq, reached: make(chan struct{}), release: make(chan struct{})}
}

func (g *gatedSource) Follow(ctx context.Context, fromSeq uint64, fn func(domain.Envelope) error) error {
	return g.Store.Follow(ctx, fromSeq, func(e domain.Envelope) error {
		if e.Seq == g.seq {
			g.once.Do(func() { close(g.reached) })
			select {
			case <-g.release:
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		return fn(e)
	})
}

// waitReached waits, bounded, until the feed stands before the gated event.
func (g *gatedSource) waitReached(tb testing.TB) {
	tb.Helper()
	select {
	case <-g.reached:
	case <-time.After(10 * time.Second):
		tb.Fatalf("the feed did not reach event %d within 10s", g.seq)
	}
}

// errFeedBroken stands for a lost connection or a restarted server.
var errFeedBroken = errors.New("feed broken")

// flakySource is the real store, except that its first feed breaks after
// passing on failAfter events, and every later feed starts rewind events
// before where it was asked to, as a source that redelivers would.
type flakySource struct {
	*eventstore.Store
	failAfter int
	rewind    uint64

	mu    sync.Mutex
	froms []uint64 // fromSeq of every Follow call
}

func (f *flakySource) Follow(ctx context.Context, fromSeq uint64, fn func(domain.Envelope) error) error {
	f.mu.Lock()
	f.froms = append(f.froms, fromSeq)
	first := len(f.froms) == 1
	f.mu.Unlock()
	if !first {
		start := uint64(1)
		if fromSeq > f.rewind {
			start = fromSeq - f.rewind
		}
		return f.Store.Follow(ctx, start, fn)
	}
	passed := 0
	return f.Store.Follow(ctx, fromSeq, func(e domain.Envelope) error {
		if passed == f.failAfter {
			return errFeedBroken
		}
		passed++
		return fn(e)
	})
}

func (f *flakySource) Froms() []uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.froms)
}

// sixCases are histories that end in different states, between them using
// every kind of change the case view records.
func sixCases() ([]history, []domain.Status) {
	cases := []history{
		{newCaseID(), []domain.Event{reported(0)}},
		{newCaseID(), []domain.Event{reported(1), accepted(), domain.Assigned{Assignee: "officer-42"},
			domain.CommentAdded{Text: "Đã gọi điện cho chủ cơ sở", Public: false}}},
		{newCaseID(), []domain.Event{reported(2), domain.Rejected{Reason: "Không thuộc thẩm quyền"}}},
		{newCaseID(), []domain.Event{reported(3), accepted(), domain.Assigned{Assignee: "officer-42"},
			domain.InspectionRecorded{InspectedAt: t0.Add(48 * time.Hour), Findings: "Ống xả thải sau nhà số 12"},
			domain.MediationScheduled{At: t0.AddDate(0, 0, 5), Place: "Nhà văn hóa tổ 5"},
			domain.MediationHeld{Outcome: domain.MediationAgreed, Minutes: "Hai bên thống nhất"},
			domain.Resolved{Summary: "Cơ sở đã ngừng xả thải"}, domain.Closed{}}},
		{newCaseID(), []domain.Event{reported(4),
			domain.Transferred{From: "ubnd.lao-cai", To: "ubnd.cam-duong", Reason: "Đúng địa bàn"}, accepted(),
			domain.DeadlineExtended{Decision: "QĐ 12/2026", Reason: "Cần giám định", Days: 10, Deadline: t0.AddDate(0, 0, 20)},
			domain.Escalated{From: "ubnd.cam-duong", To: "ubnd.tinh-lao-cai", Reason: "Vượt thẩm quyền"}}},
		{newCaseID(), []domain.Event{reported(5), accepted(), domain.Assigned{Assignee: "officer-9"},
			domain.Resolved{Summary: "Đã xử lý"}, domain.Reopened{Reason: "Tái diễn"}, domain.Assigned{Assignee: "officer-11"}}},
	}
	want := []domain.Status{domain.StatusReceived, domain.StatusAssigned, domain.StatusRejected,
		domain.StatusClosed, domain.StatusEscalated, domain.StatusAssigned}
	return cases, want
}

func TestRunnerRebuildsCasesFromTheLog(t *testing.T) {
	s := startStore(t)
	cases, wantStatus := sixCases()
	log := appendRoundRobin(t, s, cases)

	// The rebuild raises the GC target until it has caught up.
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	gcPercent := func() int { p := debug.SetGCPercent(100); debug.SetGCPercent(p); return p }

	// Hold the feed before the last event to see the runner part-way.
	src := newGatedSource(s, log.last)
	view := projections.NewCaseView()
	r := startRunner(t, src, view)
	src.waitReached(t)
	if got := gcPercent(); got <= 100 {
		t.Errorf("GC target during the rebuild = %d, want it raised above 100", got)
	}
	// The runner decodes and applies on two goroutines, so the feed standing
	// at the gate means every earlier event was handed over, not yet applied.
	waitCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.WaitFor(waitCtx, log.last-1); err != nil {
		t.Fatalf("events before the gate not applied: %v", err)
	}
	if r.Ready() {
		t.Fatalf("Ready() = true with %d of %d events applied", r.Applied(), log.last)
	}
	if got, want := r.Applied(), log.last-1; got != want {
		t.Fatalf("Applied() before the last event = %d, want %d", got, want)
	}
	if got, want := view.LastSeq(), log.last-1; got != want {
		t.Fatalf("view LastSeq() before the last event = %d, want %d", got, want)
	}
	close(src.release)
	waitReady(t, r)
	if got := gcPercent(); got != 100 {
		t.Errorf("GC target after the rebuild = %d, want 100 back", got)
	}

	if got, want := r.Applied(), log.last; got != want {
		t.Errorf("Applied() = %d, want the stream's last seq %d", got, want)
	}
	if got, want := view.LastSeq(), log.last; got != want {
		t.Errorf("view LastSeq() = %d, want %d", got, want)
	}
	if got, want := view.Len(), len(cases); got != want {
		t.Errorf("view Len() = %d, want %d", got, want)
	}
	ctx := testContext(t)
	for i, h := range cases {
		rec, ok := view.Get(h.caseID)
		if !ok {
			t.Errorf("case %d (%s) missing from the view", i, h.caseID)
			continue
		}
		loaded, version, err := s.Load(ctx, h.caseID)
		if err != nil {
			t.Fatal(err)
		}
		if want := domain.Fold(loaded); !reflect.DeepEqual(rec.Case, want) {
			t.Errorf("case %d: view holds\n%+v\nFold of its stored events says\n%+v", i, rec.Case, want)
		}
		written := log.byCase[h.caseID]
		want := domain.Fold(written)
		if got := rec.Case.Status; got != wantStatus[i] || got != want.Status {
			t.Errorf("case %d: status = %q, want %q (Fold: %q)", i, got, wantStatus[i], want.Status)
		}
		if got := rec.Case.Version; got != version || got != want.Version {
			t.Errorf("case %d: version = %d, want %d (Fold: %d)", i, got, version, want.Version)
		}
		if got := rec.Case.Unit; got != want.Unit {
			t.Errorf("case %d: unit = %q, want %q", i, got, want.Unit)
		}
		if got := rec.Case.Assignee; got != want.Assignee {
			t.Errorf("case %d: assignee = %q, want %q", i, got, want.Assignee)
		}
		if got := rec.Case.Clock; got != want.Clock {
			t.Errorf("case %d: clock = %q, want %q", i, got, want.Clock)
		}
		if got := rec.Case.Deadline; !got.Equal(want.Deadline) {
			t.Errorf("case %d: deadline = %v, want %v", i, got, want.Deadline)
		}
		if got, want := rec.UpdatedAt, written[len(written)-1].Time; !got.Equal(want) {
			t.Errorf("case %d: updated at %v, want %v", i, got, want)
		}
		if got, want := rec.Description, reported(0).Description; got != want {
			t.Errorf("case %d: description = %q, want %q", i, got, want)
		}
		checkTimeline(t, fmt.Sprintf("case %d", i), rec.Timeline, written)
	}
	// Spot checks in the business's words, independent of Fold.
	if rec, _ := view.Get(cases[4].caseID); rec.Case.Unit != "ubnd.tinh-lao-cai" || rec.Case.Extensions != 1 {
		t.Errorf("escalated case: unit %q, %d extensions; want ubnd.tinh-lao-cai, 1", rec.Case.Unit, rec.Case.Extensions)
	}
	if rec, _ := view.Get(cases[5].caseID); rec.Case.Assignee != "officer-11" {
		t.Errorf("reopened case: assignee %q, want officer-11", rec.Case.Assignee)
	}
}

// checkTimeline checks that a timeline has one entry per written event, in
// the same order, with the event's sequence, type, time and actor.
func checkTimeline(tb testing.TB, name string, got []projections.TimelineEntry, written []domain.Envelope) {
	tb.Helper()
	if len(got) != len(written) {
		tb.Errorf("%s: %d timeline entries, want %d: %+v", name, len(got), len(written), got)
		return
	}
	for j, e := range got {
		w := written[j]
		if e.Seq != w.Seq || e.Type != w.Type() || !e.Time.Equal(w.Time) || e.Actor != w.Actor.ID || e.Role != w.Actor.Role {
			tb.Errorf("%s: timeline[%d] = {seq %d %s %v %s %s}, want {seq %d %s %v %s %s}", name, j,
				e.Seq, e.Type, e.Time, e.Actor, e.Role, w.Seq, w.Type(), w.Time, w.Actor.ID, w.Actor.Role)
		}
	}
}

func TestRunnerOnAnEmptyLog(t *testing.T) {
	s := startStore(t)
	view := projections.NewCaseView()
	r := startRunner(t, s, view)
	waitReady(t, r)
	if got := r.Applied(); got != 0 {
		t.Fatalf("Applied() on an empty log = %d, want 0", got)
	}

	t.Run("WaitFor returns once the write is visible", func(t *testing.T) {
		id := newCaseID()
		seq := appendOne(t, s, id, 0, reported(0))
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := r.WaitFor(ctx, seq); err != nil {
			t.Fatalf("WaitFor(%d): %v", seq, err)
		}
		rec, ok := view.Get(id)
		if !ok {
			t.Fatalf("WaitFor(%d) returned before the view held the case", seq)
		}
		if rec.Case.Version != seq || rec.Case.Status != domain.StatusReceived {
			t.Fatalf("case after WaitFor: version %d status %q, want %d %q", rec.Case.Version, rec.Case.Status, seq, domain.StatusReceived)
		}

		// A waiter already blocked when the event is appended wakes up.
		waited := make(chan error, 1)
		go func() { waited <- r.WaitFor(ctx, seq+1) }()
		next := appendOne(t, s, id, seq, accepted())
		if next != seq+1 {
			t.Fatalf("appended at %d, want %d", next, seq+1)
		}
		select {
		case err := <-waited:
			if err != nil {
				t.Fatalf("WaitFor(%d): %v", next, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("WaitFor(%d) still blocked 10s after the append", next)
		}
		if rec, _ := view.Get(id); rec.Case.Status != domain.StatusAccepted {
			t.Fatalf("status after WaitFor = %q, want %q", rec.Case.Status, domain.StatusAccepted)
		}
		if !r.Ready() {
			t.Fatal("runner no longer ready after following new events")
		}
	})

	t.Run("WaitFor fails with ctx's error when the event never comes", func(t *testing.T) {
		future := r.Applied() + 1000
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := r.WaitFor(ctx, future)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("WaitFor(%d) = %v, want context.DeadlineExceeded", future, err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Fatalf("WaitFor took %s to notice its 50ms deadline", took)
		}

		cancelled, cancel := context.WithCancel(context.Background())
		cancel()
		if err := r.WaitFor(cancelled, future); !errors.Is(err, context.Canceled) {
			t.Fatalf("WaitFor with a cancelled ctx = %v, want context.Canceled", err)
		}
		// What is already applied needs no waiting, whatever ctx says.
		if err := r.WaitFor(cancelled, r.Applied()); err != nil {
			t.Fatalf("WaitFor(applied) with a cancelled ctx = %v, want nil", err)
		}
	})
}

func TestRunnerResumesAfterTheFeedBreaks(t *testing.T) {
	const initialEvents = 15 // three cases of five events
	tests := []struct {
		name      string
		failAfter int // events the first feed passes on before it breaks
	}{
		{name: "before the first event", failAfter: 0},
		{name: "during the rebuild", failAfter: 7},
		{name: "while following live", failAfter: initialEvents + 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := startStore(t)
			var cases []history
			for i := range 3 {
				cases = append(cases, history{newCaseID(), []domain.Event{reported(i), accepted(),
					domain.Assigned{Assignee: "officer-42"},
					domain.CommentAdded{Text: "Đã liên hệ", Public: true},
					domain.CommentAdded{Text: "Ghi chú nội bộ", Public: false}}})
			}
			log := appendRoundRobin(t, s, cases)
			if log.last != initialEvents {
				t.Fatalf("log holds %d events, want %d", log.last, initialEvents)
			}

			// The resumed feed starts three events early, so the runner
			// also has to skip what it has already applied.
			src := &flakySource{Store: s, failAfter: tt.failAfter, rewind: 3}
			view, rec := projections.NewCaseView(), &recorder{}
			r := startRunner(t, src, view, rec)
			waitReady(t, r)

			// Live events: one more comment per case, twice round.
			var live []history
			for _, h := range cases {
				live = append(live, history{h.caseID, []domain.Event{
					domain.CommentAdded{Text: "Cập nhật 1", Public: true},
					domain.CommentAdded{Text: "Cập nhật 2", Public: true}}})
			}
			last := log.last
			for step := range 2 {
				for _, h := range live {
					written := log.byCase[h.caseID]
					env := envelopeAt(h.caseID, officer, time.Now().UTC(), h.events[step])
					seq, err := s.Append(testContext(t), written[len(written)-1].Seq, []domain.Envelope{env})
					if err != nil {
						t.Fatal(err)
					}
					env.Seq, last = seq, seq
					log.byCase[h.caseID] = append(written, env)
				}
			}
			ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
			defer cancel()
			if err := r.WaitFor(ctx, last); err != nil {
				t.Fatal(err)
			}

			want := make([]uint64, last)
			for i := range want {
				want[i] = uint64(i + 1)
			}
			if got := rec.Seqs(); !slices.Equal(got, want) {
				t.Fatalf("applied %v, want every event once in order %v", got, want)
			}
			if got, want := src.Froms(), []uint64{1, uint64(tt.failAfter) + 1}; !slices.Equal(got, want) {
				t.Errorf("Follow called from %v, want %v (resume after the last applied event)", got, want)
			}
			if got := view.LastSeq(); got != last {
				t.Errorf("view LastSeq() = %d, want %d", got, last)
			}
			for i, h := range cases {
				got, _ := view.Get(h.caseID)
				checkTimeline(t, fmt.Sprintf("case %d", i), got.Timeline, log.byCase[h.caseID])
			}
		})
	}
}

// unsettledSource is the real store, except that its first reads of the
// log position fail, as they do while a starting cluster elects the
// stream's leader.
type unsettledSource struct {
	*eventstore.Store
	failures int

	mu    sync.Mutex
	calls int
}

func (u *unsettledSource) LastSeq(ctx context.Context) (uint64, error) {
	u.mu.Lock()
	u.calls++
	calls := u.calls
	u.mu.Unlock()
	if calls <= u.failures {
		return 0, fmt.Errorf("read %d: %w", calls, errFeedBroken)
	}
	return u.Store.LastSeq(ctx)
}

func TestRunnerWaitsForTheLogPosition(t *testing.T) {
	t.Parallel()
	s := startStore(t)
	cases, want := sixCases()
	log := appendRoundRobin(t, s, cases)
	src := &unsettledSource{Store: s, failures: 2}
	view := projections.NewCaseView()
	r := startRunner(t, src, view)
	// The retries are a second apart: ready within a few seconds, not
	// stopped for good by the first failed read.
	waitReady(t, r)
	if got := r.Applied(); got != log.last {
		t.Fatalf("ready at %d, want the whole log (%d)", got, log.last)
	}
	src.mu.Lock()
	calls := src.calls
	src.mu.Unlock()
	if calls != 3 {
		t.Errorf("the log position was read %d times, want 3 (two failures, then success)", calls)
	}
	for i, h := range cases {
		got, ok := view.Get(h.caseID)
		if !ok || got.Case.Status != want[i] {
			t.Errorf("case %d: found %v, status %q; want %q", i, ok, got.Case.Status, want[i])
		}
	}
}

// TestRunnerStopsWhileWaitingForTheLogPosition: a shutdown while the log
// cannot be read ends Run with the context's error (what the app treats
// as a clean stop), not with the last failure.
func TestRunnerStopsWhileWaitingForTheLogPosition(t *testing.T) {
	t.Parallel()
	src := &unsettledSource{Store: startStore(t), failures: math.MaxInt}
	// startRunner's cleanup cancels Run and checks that it returns
	// context.Canceled within 10s.
	r := startRunner(t, src, projections.NewCaseView())
	checkFor(t, 10*time.Second, 5*time.Millisecond, func() error {
		src.mu.Lock()
		defer src.mu.Unlock()
		if src.calls == 0 {
			return errors.New("the log position was not read yet")
		}
		return nil
	})
	if r.Ready() {
		t.Error("ready without having read the log")
	}
}

// TestRunnerConcurrentReaders queries the view from several goroutines while
// the runner rebuilds it and then follows new appends. Run with -race.
func TestRunnerConcurrentReaders(t *testing.T) {
	s := startStore(t)
	var cases []history
	for i := range 20 {
		cases = append(cases, history{newCaseID(), []domain.Event{reported(i), accepted(),
			domain.Assigned{Assignee: "officer-42"}}})
	}
	log := appendRoundRobin(t, s, cases)
	ids := make([]uuid.UUID, len(cases))
	for i, h := range cases {
		ids[i] = h.caseID
	}

	view := projections.NewCaseView()
	stop := make(chan struct{})
	readerErrs := make(chan error, 4)
	var readers sync.WaitGroup
	for n := range 4 {
		readers.Go(func() { readerErrs <- readView(view, ids, n, stop) })
	}

	r := startRunner(t, s, view)
	// Append while the runner may still be rebuilding, and wait for each
	// write as a command handler would.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for round := range 3 {
		for _, h := range cases {
			written := log.byCase[h.caseID]
			env := envelopeAt(h.caseID, officer, time.Now().UTC(), domain.CommentAdded{Text: fmt.Sprintf("Vòng %d", round), Public: round%2 == 0})
			seq, err := s.Append(ctx, written[len(written)-1].Seq, []domain.Envelope{env})
			if err != nil {
				t.Fatal(err)
			}
			env.Seq = seq
			log.byCase[h.caseID] = append(written, env)
			log.last = seq
			if err := r.WaitFor(ctx, seq); err != nil {
				t.Fatal(err)
			}
			if rec, _ := view.Get(h.caseID); rec.Case.Version != seq {
				t.Fatalf("after WaitFor(%d) the case is at version %d", seq, rec.Case.Version)
			}
		}
	}
	close(stop)
	readers.Wait()
	close(readerErrs)
	for err := range readerErrs {
		if err != nil {
			t.Error(err)
		}
	}
	if got, want := view.Len(), len(cases); got != want {
		t.Errorf("Len() = %d, want %d", got, want)
	}
	for i, h := range cases {
		got, _ := view.Get(h.caseID)
		checkTimeline(t, fmt.Sprintf("case %d", i), got.Timeline, log.byCase[h.caseID])
	}
}

// readView queries the view until stop is closed and checks what only
// moves forward does: LastSeq and Len never decrease, and a case read
// before LastSeq is never ahead of it.
func readView(view *projections.CaseView, ids []uuid.UUID, n int, stop <-chan struct{}) error {
	var lastSeq uint64
	var length int
	for i := n; ; i++ {
		select {
		case <-stop:
			return nil
		default:
		}
		rec, ok := view.Get(ids[i%len(ids)])
		seq, l := view.LastSeq(), view.Len()
		if seq < lastSeq {
			return fmt.Errorf("reader %d: LastSeq went back from %d to %d", n, lastSeq, seq)
		}
		if l < length {
			return fmt.Errorf("reader %d: Len went back from %d to %d", n, length, l)
		}
		if ok {
			if rec.Case.Version > seq {
				return fmt.Errorf("reader %d: case at version %d, ahead of LastSeq %d", n, rec.Case.Version, seq)
			}
			if len(rec.Timeline) == 0 || rec.Timeline[len(rec.Timeline)-1].Seq != rec.Case.Version {
				return fmt.Errorf("reader %d: timeline does not end at the case's version %d", n, rec.Case.Version)
			}
			_ = rec.PublicTimeline()
		}
		lastSeq, length = seq, l
	}
}
