package eventstore

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"phananh/domain"
)

// These tests hand the committer one group directly, so that the appends
// that must share a batch do, whatever the scheduler does.

func startGroupStore(t *testing.T) (*Store, *grouper) {
	t.Helper()
	emb, err := StartEmbedded(EmbeddedOptions{DataDir: t.TempDir(), SyncAlways: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emb.Shutdown)
	nc, err := nats.Connect(emb.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	s, err := Open(ctx, js, Config{GroupCommit: true, GroupMinBatch: 2})
	if err != nil {
		t.Fatal(err)
	}
	return s, s.group
}

func event(caseID uuid.UUID, e domain.Event) domain.Envelope {
	return domain.Envelope{ID: uuid.Must(uuid.NewV7()), CaseID: caseID, Time: time.Now().UTC(), Event: e}
}

func req(t *testing.T, expected uint64, events ...domain.Envelope) *appendReq {
	t.Helper()
	r, err := newAppendReq(context.Background(), expected, events)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func results(group []*appendReq) []appendResult {
	out := make([]appendResult, len(group))
	for i, r := range group {
		select {
		case out[i] = <-r.done:
		default:
			out[i] = appendResult{err: errors.New("no result delivered")}
		}
	}
	return out
}

func reportedEvent() domain.Reported {
	return domain.Reported{Kind: domain.KindIncident, Category: "pollution.water", Title: "Nước đen",
		Location: domain.Location{Commune: "26734"}, Unit: "ubnd", Deadline: time.Now().Add(time.Hour)}
}

// TestBatchWithConflictsStoresTheRest sends one group whose second and
// fourth appends are stale: exactly those two fail with ErrConcurrency,
// the others land with their own versions, and the batches that stored
// them held nothing twice.
func TestBatchWithConflictsStoresTheRest(t *testing.T) {
	s, g := startGroupStore(t)
	ctx := context.Background()
	existing := []uuid.UUID{uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())}
	for _, id := range existing {
		if _, err := s.publish(ctx, req(t, 0, event(id, reportedEvent()))); err != nil {
			t.Fatal(err)
		}
	}
	a, c, e := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	group := []*appendReq{
		req(t, 0, event(a, reportedEvent())),
		req(t, 0, event(existing[0], reportedEvent())), // a second first event
		req(t, 0, event(c, reportedEvent()), event(c, domain.CommentAdded{Text: "kèm"})),
		req(t, 1, event(existing[1], domain.CommentAdded{Text: "cũ"})), // case 2 is at 2, not 1
		req(t, 0, event(e, reportedEvent())),
	}
	g.batch(group)
	got := results(group)
	for i, wantConflict := range []bool{false, true, false, true, false} {
		if wantConflict != errors.Is(got[i].err, domain.ErrConcurrency) {
			t.Errorf("append %d: err = %v, want conflict %v", i, got[i].err, wantConflict)
		}
		if !wantConflict && got[i].err != nil {
			t.Errorf("append %d: %v", i, got[i].err)
		}
	}
	for i, id := range map[int]uuid.UUID{0: a, 2: c, 4: e} {
		events, version, err := s.Load(ctx, id)
		if err != nil {
			t.Fatalf("load append %d: %v", i, err)
		}
		if got[i].seq != version {
			t.Errorf("append %d returned version %d, its case is at %d", i, got[i].seq, version)
		}
		if want := len(group[i].msgs); len(events) != want {
			t.Errorf("append %d: case holds %d events, want %d", i, len(events), want)
		}
	}
	if b, c, f := g.batches.Load(), g.conflicts.Load(), g.fallbacks.Load(); b != 1 || c != 2 || f != 0 {
		t.Errorf("committer stored %d batches, took out %d conflicts, fell back %d times; want 1, 2, 0", b, c, f)
	}
	if last, err := s.LastSeq(ctx); err != nil || last != 2+4 {
		t.Errorf("stream at %d (err %v), want 6: two existing events and four appended", last, err)
	}
}

// TestBatchRefusedForAnotherReasonFallsBack: a group holding the retry of an
// already stored event (same Nats-Msg-Id) is refused whole by the server
// with 10201, not 10071; each append then goes out alone and gets the
// answer it would have got without grouping.
func TestBatchRefusedForAnotherReasonFallsBack(t *testing.T) {
	s, g := startGroupStore(t)
	ctx := context.Background()
	id := uuid.Must(uuid.NewV7())
	first := event(id, reportedEvent())
	if _, err := s.publish(ctx, req(t, 0, first)); err != nil {
		t.Fatal(err)
	}
	other := uuid.Must(uuid.NewV7())
	group := []*appendReq{
		req(t, 0, event(other, reportedEvent())),
		req(t, 0, first), // a blind retry of the stored event
	}
	g.batch(group)
	got := results(group)
	if got[0].err != nil || got[0].seq != 2 {
		t.Errorf("other case: version %d, err %v; want 2, nil", got[0].seq, got[0].err)
	}
	if !errors.Is(got[1].err, domain.ErrConcurrency) {
		t.Errorf("retried event: err = %v, want ErrConcurrency", got[1].err)
	}
	if b, f := g.batches.Load(), g.fallbacks.Load(); b != 0 || f != 1 {
		t.Errorf("committer stored %d batches and fell back %d times, want 0 and 1", b, f)
	}
	if last, _ := s.LastSeq(ctx); last != 2 {
		t.Errorf("stream at %d, want 2", last)
	}
}

// TestTakeKeepsOneAppendPerCase: a second append of a case already in the
// group waits for the next group, in order, and groups stop at maxBatch.
func TestTakeKeepsOneAppendPerCase(t *testing.T) {
	g := &grouper{minBatch: 2, maxBatch: 3}
	x, y := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	r1 := req(t, 0, event(x, reportedEvent()))
	r2 := req(t, 1, event(x, domain.CommentAdded{Text: "a"}))
	r3 := req(t, 0, event(y, reportedEvent()), event(y, domain.CommentAdded{Text: "b"}))
	r4 := req(t, 0, event(uuid.Must(uuid.NewV7()), reportedEvent()))
	g.pending = []*appendReq{r1, r2, r3, r4}
	group, msgs := g.take()
	if len(group) != 2 || group[0] != r1 || group[1] != r3 || msgs != 3 {
		t.Fatalf("first group %v (%d messages), want r1 and r3 (3 messages)", group, msgs)
	}
	group, msgs = g.take()
	if len(group) != 2 || group[0] != r2 || group[1] != r4 || msgs != 2 {
		t.Fatalf("second group %v (%d messages), want r2 and r4", group, msgs)
	}
	if group, _ = g.take(); len(group) != 0 {
		t.Fatalf("third group has %d appends, want none", len(group))
	}
}

// TestStaleAppendRefusedUnsent: once the committer has seen a case reach a
// version (its own append, or a conflict the server named), an append
// expecting an older one fails at once, and one expecting that version
// still goes through.
func TestStaleAppendRefusedUnsent(t *testing.T) {
	s, g := startGroupStore(t)
	ctx := context.Background()
	other, err := Open(ctx, s.js, Config{}) // another replica, no grouping
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.Must(uuid.NewV7())
	v1, err := s.Append(ctx, 0, []domain.Envelope{event(id, reportedEvent())})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, 0, []domain.Envelope{event(id, reportedEvent())}); !errors.Is(err, domain.ErrConcurrency) {
		t.Fatalf("second first event: err = %v, want ErrConcurrency", err)
	}
	if got := g.stale.Load(); got != 1 {
		t.Errorf("refused unsent: %d, want 1 (the store stored version %d itself)", got, v1)
	}
	v2, err := s.Append(ctx, v1, []domain.Envelope{event(id, domain.CommentAdded{Text: "một"})})
	if err != nil {
		t.Fatalf("append at the known version: %v", err)
	}
	v3, err := other.Append(ctx, v2, []domain.Envelope{event(id, domain.CommentAdded{Text: "hai"})})
	if err != nil {
		t.Fatal(err)
	}
	// Unknown to the committer: the server answers, and names version v3.
	if _, err := s.Append(ctx, v2, []domain.Envelope{event(id, domain.CommentAdded{Text: "ba"})}); !errors.Is(err, domain.ErrConcurrency) {
		t.Fatalf("append behind another replica: err = %v, want ErrConcurrency", err)
	}
	if got := g.stale.Load(); got != 1 {
		t.Errorf("refused unsent: %d, want still 1", got)
	}
	if _, err := s.Append(ctx, v2, []domain.Envelope{event(id, domain.CommentAdded{Text: "bốn"})}); !errors.Is(err, domain.ErrConcurrency) {
		t.Fatalf("same stale append again: err = %v, want ErrConcurrency", err)
	}
	if got := g.stale.Load(); got != 2 {
		t.Errorf("refused unsent: %d, want 2 (the server named version %d)", got, v3)
	}
	if last, _ := s.LastSeq(ctx); last != v3 {
		t.Errorf("stream at %d, want %d", last, v3)
	}
}
