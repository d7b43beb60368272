package eventstore_test

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"

	"phananh/domain"
	"phananh/eventstore"
)

// groupConfig groups from two messages on, so that concurrent appends in a
// test share batches even on a fast disk.
var groupConfig = eventstore.Config{GroupCommit: true, GroupMinBatch: 2}

// storedBatches reads every stored message and counts the atomic batches
// that held messages of more than one case: proof that appends were grouped.
func storedBatches(t *testing.T, js jetstream.JetStream) (multiCase int) {
	t.Helper()
	ctx := testContext(t)
	stream, err := js.Stream(ctx, eventstore.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]map[string]bool{}
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		msg, err := stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("get %d: %v", seq, err)
		}
		id := msg.Header.Get(jetstreamext.BatchIDHeader)
		if id == "" {
			continue
		}
		if cases[id] == nil {
			cases[id] = map[string]bool{}
		}
		cases[id][msg.Subject] = true
	}
	for _, subjects := range cases {
		if len(subjects) > 1 {
			multiCase++
		}
	}
	return multiCase
}

// TestGroupCommitDistinctCasesLandOnce appends to many cases at once, one
// event or three, with fsync on every write: every append lands once, the
// version each returns is its case's last event, and batches held several
// cases.
func TestGroupCommitDistinctCasesLandOnce(t *testing.T) {
	js := startJS(t)
	ctx := testContext(t)
	s := openStore(t, js, groupConfig)

	const n = 120
	var (
		wg       sync.WaitGroup
		start    = make(chan struct{})
		ids      = make([]uuid.UUID, n)
		versions = make([]uint64, n)
		errs     = make([]error, n)
	)
	for i := range n {
		ids[i] = uuid.Must(uuid.NewV7())
		wg.Go(func() {
			events := []domain.Envelope{envelope(ids[i], reported())}
			if i%5 == 0 { // some appends are several events of one case
				events = append(events,
					envelope(ids[i], domain.CommentAdded{Text: "một", Public: true}),
					envelope(ids[i], domain.CommentAdded{Text: "hai", Public: true}))
			}
			<-start
			versions[i], errs[i] = s.Append(ctx, 0, events)
		})
	}
	close(start)
	wg.Wait()

	want := 0
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("append %d: %v", i, errs[i])
		}
		events, version, err := s.Load(ctx, ids[i])
		if err != nil {
			t.Fatalf("load %d: %v", i, err)
		}
		wantEvents := 1
		if i%5 == 0 {
			wantEvents = 3
		}
		want += wantEvents
		if len(events) != wantEvents {
			t.Errorf("case %d holds %d events, want %d", i, len(events), wantEvents)
		}
		if versions[i] != version {
			t.Errorf("case %d: Append returned version %d, the case is at %d", i, versions[i], version)
		}
		for j := 1; j < len(events); j++ {
			if events[j].Seq != events[j-1].Seq+1 {
				t.Errorf("case %d: one append's events at %d and %d, not consecutive", i, events[j-1].Seq, events[j].Seq)
			}
		}
	}
	if got := streamMsgs(t, js); got != uint64(want) {
		t.Errorf("stream holds %d messages, want %d", got, want)
	}
	if b := storedBatches(t, js); b == 0 {
		t.Errorf("no batch held more than one case: %d concurrent appends were not grouped", n)
	}
}

// TestGroupCommitConflictsPerVersion races appends to one case, each
// expecting the version it last saw, amid appends to other cases that fill
// the batches: exactly one append wins each version, the others get
// domain.ErrConcurrency, and every other case lands.
func TestGroupCommitConflictsPerVersion(t *testing.T) {
	js := startJS(t)
	ctx := testContext(t)
	s := openStore(t, js, groupConfig)
	hot := uuid.Must(uuid.NewV7())
	version, err := s.Append(ctx, 0, []domain.Envelope{envelope(hot, reported())})
	if err != nil {
		t.Fatal(err)
	}

	const rounds, racers, others = 4, 8, 16
	for round := range rounds {
		var (
			wg        sync.WaitGroup
			start     = make(chan struct{})
			errs      = make([]error, racers)
			won       = make([]uint64, racers)
			otherErrs = make([]error, others)
		)
		for i := range racers {
			wg.Go(func() {
				env := envelope(hot, domain.CommentAdded{Text: "tranh nhau", Public: true})
				<-start
				won[i], errs[i] = s.Append(ctx, version, []domain.Envelope{env})
			})
		}
		for i := range others {
			wg.Go(func() {
				env := envelope(uuid.Must(uuid.NewV7()), reported())
				<-start
				_, otherErrs[i] = s.Append(ctx, 0, []domain.Envelope{env})
			})
		}
		close(start)
		wg.Wait()
		winners := 0
		for i, err := range errs {
			switch {
			case err == nil:
				winners++
				version = won[i]
			case errors.Is(err, domain.ErrConcurrency):
			default:
				t.Fatalf("round %d: racer %d: %v", round, i, err)
			}
		}
		if winners != 1 {
			t.Fatalf("round %d: %d racers won version %d, want exactly 1", round, winners, version)
		}
		for i, err := range otherErrs {
			if err != nil {
				t.Errorf("round %d: append to another case %d failed: %v", round, i, err)
			}
		}
	}
	events, got, err := s.Load(ctx, hot)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != rounds+1 || got != version {
		t.Errorf("hot case: %d events at version %d, want %d at %d", len(events), got, rounds+1, version)
	}
	if got, want := streamMsgs(t, js), uint64(1+rounds+rounds*others); got != want {
		t.Errorf("stream holds %d messages, want %d", got, want)
	}
}

// TestGroupCommitIdempotentFirstEvent submits every report twice at once
// (an offline retry racing the original), mixed with other reports: each
// case is reported exactly once, and the second submission hears
// ErrConcurrency, the "already submitted" signal.
func TestGroupCommitIdempotentFirstEvent(t *testing.T) {
	js := startJS(t)
	ctx := testContext(t)
	s := openStore(t, js, groupConfig)

	const n = 40
	var (
		wg    sync.WaitGroup
		start = make(chan struct{})
		ids   = make([]uuid.UUID, n)
		errs  = make([][2]error, n)
	)
	for i := range n {
		ids[i] = uuid.Must(uuid.NewV7())
		for copy := range 2 {
			wg.Go(func() {
				env := envelope(ids[i], reported())
				<-start
				_, errs[i][copy] = s.Append(ctx, 0, []domain.Envelope{env})
			})
		}
	}
	close(start)
	wg.Wait()
	for i := range n {
		ok, conflicts := 0, 0
		for _, err := range errs[i] {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, domain.ErrConcurrency):
				conflicts++
			default:
				t.Errorf("case %d: %v", i, err)
			}
		}
		if ok != 1 || conflicts != 1 {
			t.Errorf("case %d: %d stored, %d conflicts; want 1 and 1", i, ok, conflicts)
		}
		events, _, err := s.Load(ctx, ids[i])
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != 1 || events[0].Event.EventType() != "reported" {
			t.Errorf("case %d holds %d events, want one reported", i, len(events))
		}
	}
	if got := streamMsgs(t, js); got != n {
		t.Errorf("stream holds %d messages, want %d", got, n)
	}
}

// TestGroupCommitLoneAppendStillDurable: a store with grouping on keeps the
// plain Append contract when nothing else is going on, including the
// conflict of a second first event and an append whose caller is gone.
func TestGroupCommitLoneAppend(t *testing.T) {
	js := startJS(t)
	ctx := testContext(t)
	s := openStore(t, js, groupConfig)
	caseID := uuid.Must(uuid.NewV7())
	v, err := s.Append(ctx, 0, []domain.Envelope{envelope(caseID, reported())})
	if err != nil || v != 1 {
		t.Fatalf("first append: version %d, err %v; want 1, nil", v, err)
	}
	if _, err := s.Append(ctx, 0, []domain.Envelope{envelope(caseID, reported())}); !errors.Is(err, domain.ErrConcurrency) {
		t.Fatalf("second first event: err = %v, want ErrConcurrency", err)
	}
	gone, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := s.Append(gone, v, []domain.Envelope{envelope(caseID, domain.CommentAdded{Text: "x"})}); !errors.Is(err, context.Canceled) {
		t.Fatalf("append with a cancelled context: err = %v, want context.Canceled", err)
	}
	if got := streamMsgs(t, js); got != 1 {
		t.Errorf("stream holds %d messages, want 1", got)
	}
}
