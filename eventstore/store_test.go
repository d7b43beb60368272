package eventstore_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"phananh/domain"
	"phananh/eventstore"
)

func TestStreamConfig(t *testing.T) {
	js := startJS(t)
	ctx := testContext(t)
	openStore(t, js, eventstore.Config{})
	// Opening again is idempotent: every replica does it at start.
	openStore(t, js, eventstore.Config{})

	stream, err := js.Stream(ctx, eventstore.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	cfg := info.Config
	if got, want := cfg.Subjects, []string{"cases.*"}; !reflect.DeepEqual(got, want) {
		t.Errorf("subjects = %v, want %v", got, want)
	}
	if cfg.Storage != jetstream.FileStorage {
		t.Errorf("storage = %v, want file", cfg.Storage)
	}
	if cfg.Retention != jetstream.LimitsPolicy {
		t.Errorf("retention = %v, want limits", cfg.Retention)
	}
	if cfg.Discard != jetstream.DiscardNew {
		t.Errorf("discard = %v, want new", cfg.Discard)
	}
	if cfg.MaxAge != 0 || cfg.MaxBytes != -1 || cfg.MaxMsgs != -1 || cfg.MaxMsgsPerSubject != -1 {
		t.Errorf("limits = age %v bytes %d msgs %d per subject %d, want none", cfg.MaxAge, cfg.MaxBytes, cfg.MaxMsgs, cfg.MaxMsgsPerSubject)
	}
	for name, ok := range map[string]bool{
		"DenyDelete":         cfg.DenyDelete,
		"DenyPurge":          cfg.DenyPurge,
		"AllowDirect":        cfg.AllowDirect,
		"AllowAtomicPublish": cfg.AllowAtomicPublish,
	} {
		if !ok {
			t.Errorf("%s = false, want true", name)
		}
	}
	if cfg.Replicas != 1 {
		t.Errorf("replicas = %d, want 1", cfg.Replicas)
	}
}

func TestAppendWritesCloudEventsHeaders(t *testing.T) {
	js := startJS(t)
	ctx := testContext(t)
	s := openStore(t, js, eventstore.Config{})
	caseID := uuid.Must(uuid.NewV7())
	env := envelope(caseID, reported())

	seq, err := s.Append(ctx, 0, []domain.Envelope{env})
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(ctx, eventstore.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := stream.GetMsg(ctx, seq)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := msg.Subject, "cases."+caseID.String(); got != want {
		t.Errorf("subject = %q, want %q", got, want)
	}
	for header, want := range map[string]string{
		"ce-specversion":         "1.0",
		"ce-id":                  env.ID.String(),
		"ce-type":                "vn.phananh.case.reported.v1",
		"ce-source":              "/phananh/cases",
		"ce-subject":             caseID.String(),
		"ce-time":                "2025-07-01T08:30:15.123456789Z",
		"content-type":           "application/json",
		"phananh-actor-id":       "officer-7",
		"phananh-actor-role":     "officer",
		"phananh-actor-unit":     "ubnd-phuong-ben-nghe",
		"phananh-correlation-id": env.CorrelationID,
		"Nats-Msg-Id":            env.ID.String(),
	} {
		if got := msg.Header.Get(header); got != want {
			t.Errorf("header %s = %q, want %q", header, got, want)
		}
	}
	if !strings.Contains(string(msg.Data), `"kind":"incident"`) {
		t.Errorf("body is not the event's JSON: %s", msg.Data)
	}

	// Empty actor fields are omitted, not stored as empty headers.
	system := envelope(caseID, domain.Accepted{Clock: domain.ClockResolve, Deadline: at})
	system.Actor = domain.Actor{Role: domain.RoleSystem}
	system.CorrelationID = ""
	seq, err = s.Append(ctx, seq, []domain.Envelope{system})
	if err != nil {
		t.Fatal(err)
	}
	msg, err = stream.GetMsg(ctx, seq)
	if err != nil {
		t.Fatal(err)
	}
	for _, header := range []string{"phananh-actor-id", "phananh-actor-unit", "phananh-correlation-id"} {
		if _, ok := msg.Header[header]; ok {
			t.Errorf("header %s present for an empty value", header)
		}
	}
}

func TestAppendLoadRoundTrip(t *testing.T) {
	js := startJS(t)
	ctx := testContext(t)
	s := openStore(t, js, eventstore.Config{})
	caseID := uuid.Must(uuid.NewV7())
	other := uuid.Must(uuid.NewV7())

	want := []domain.Envelope{
		envelope(caseID, reported()),
		envelope(caseID, domain.Accepted{Complex: true, Note: "thụ lý", Clock: domain.ClockResolve, Deadline: at.AddDate(0, 0, 45)}),
		envelope(caseID, domain.Assigned{Assignee: "officer-7"}),
		envelope(caseID, domain.CommentAdded{Text: "Đã kiểm tra hiện trường", Public: true}),
		envelope(caseID, domain.MediationHeld{Outcome: domain.MediationAbsent, Minutes: "biên bản 1", Absences: 1}),
		envelope(caseID, domain.DuplicateLinked{Of: other}),
		envelope(caseID, domain.Resolved{Summary: "Đã xử lý"}),
	}
	// One event, then an atomic batch, then one more: both append paths.
	version, err := s.Append(ctx, 0, want[:1])
	if err != nil {
		t.Fatal(err)
	}
	// Another case in between, so the case's sequences are not contiguous.
	if _, err := s.Append(ctx, 0, []domain.Envelope{envelope(other, reported())}); err != nil {
		t.Fatal(err)
	}
	version, err = s.Append(ctx, version, want[1:6])
	if err != nil {
		t.Fatal(err)
	}
	if version != 7 {
		t.Errorf("version after batch = %d, want 7", version)
	}
	version, err = s.Append(ctx, version, want[6:])
	if err != nil {
		t.Fatal(err)
	}

	got, loaded, err := s.Load(ctx, caseID)
	if err != nil {
		t.Fatal(err)
	}
	if loaded != version {
		t.Errorf("loaded version = %d, want %d", loaded, version)
	}
	if len(got) != len(want) {
		t.Fatalf("loaded %d events, want %d", len(got), len(want))
	}
	wantSeqs := []uint64{1, 3, 4, 5, 6, 7, 8}
	for i := range want {
		g, w := got[i], want[i]
		if g.Seq != wantSeqs[i] {
			t.Errorf("event %d: seq = %d, want %d", i, g.Seq, wantSeqs[i])
		}
		if g.ID != w.ID || g.CaseID != w.CaseID || !g.Time.Equal(w.Time) || g.Actor != w.Actor || g.CorrelationID != w.CorrelationID {
			t.Errorf("event %d: envelope = %+v, want %+v", i, g, w)
		}
		if !reflect.DeepEqual(g.Event, w.Event) {
			t.Errorf("event %d: event = %#v, want %#v", i, g.Event, w.Event)
		}
	}
}

func TestLoadManyEvents(t *testing.T) {
	js := startJS(t)
	ctx := testContext(t)
	s := openStore(t, js, eventstore.Config{})
	caseID := uuid.Must(uuid.NewV7())
	// More than one direct-get batch (256), written in batches of 100.
	const total = 600
	var version uint64
	for written := 0; written < total; {
		batch := make([]domain.Envelope, 0, 100)
		for range 100 {
			batch = append(batch, envelope(caseID, domain.CommentAdded{Text: "ghi chú"}))
		}
		var err error
		if version, err = s.Append(ctx, version, batch); err != nil {
			t.Fatal(err)
		}
		written += len(batch)
	}
	events, loaded, err := s.Load(ctx, caseID)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != total || loaded != version {
		t.Fatalf("loaded %d events at version %d, want %d at %d", len(events), loaded, total, version)
	}
	for i, e := range events {
		if e.Seq != uint64(i+1) {
			t.Fatalf("event %d has seq %d", i, e.Seq)
		}
	}
}

func TestAppendWrongVersionConflicts(t *testing.T) {
	js := startJS(t)
	ctx := testContext(t)
	s := openStore(t, js, eventstore.Config{})
	caseID := uuid.Must(uuid.NewV7())
	version, err := s.Append(ctx, 0, []domain.Envelope{
		envelope(caseID, reported()),
		envelope(caseID, domain.Accepted{Clock: domain.ClockResolve, Deadline: at}),
	})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		expected uint64
		events   int
	}{
		{"single, stale version", version - 1, 1},
		{"single, version ahead", version + 1, 1},
		{"single, expects a new case", 0, 1},
		{"batch, stale version", version - 1, 3},
		{"batch, version ahead", version + 1, 2},
		{"batch, expects a new case", 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := streamMsgs(t, js)
			events := make([]domain.Envelope, tt.events)
			for i := range events {
				events[i] = envelope(caseID, domain.CommentAdded{Text: "muộn"})
			}
			_, err := s.Append(ctx, tt.expected, events)
			if !errors.Is(err, domain.ErrConcurrency) {
				t.Fatalf("err = %v, want ErrConcurrency", err)
			}
			if got, want := domain.ErrorCode(err), domain.EVersionConflict; got != want {
				t.Errorf("code = %v, want %v", got, want)
			}
			if got := streamMsgs(t, js); got != before {
				t.Errorf("stream holds %d messages, want %d: a refused append stored something", got, before)
			}
		})
	}

	// The right version still works after all those refusals.
	if _, err := s.Append(ctx, version, []domain.Envelope{envelope(caseID, domain.Resolved{Summary: "xong"})}); err != nil {
		t.Fatalf("append at the current version: %v", err)
	}
}

func TestSecondFirstEventConflicts(t *testing.T) {
	js := startJS(t)
	ctx := testContext(t)
	s := openStore(t, js, eventstore.Config{})
	caseID := uuid.Must(uuid.NewV7())
	if _, err := s.Append(ctx, 0, []domain.Envelope{envelope(caseID, reported())}); err != nil {
		t.Fatal(err)
	}
	// A different event id, so de-duplication cannot be what refuses it:
	// the expected sequence 0 on the case's subject is, and that holds
	// forever, not only within the duplicate window.
	_, err := s.Append(ctx, 0, []domain.Envelope{envelope(caseID, reported())})
	if !errors.Is(err, domain.ErrConcurrency) {
		t.Fatalf("second first event: err = %v, want ErrConcurrency", err)
	}
	_, err = s.Append(ctx, 0, []domain.Envelope{envelope(caseID, reported()), envelope(caseID, domain.Accepted{})})
	if !errors.Is(err, domain.ErrConcurrency) {
		t.Fatalf("second first batch: err = %v, want ErrConcurrency", err)
	}
	if got := streamMsgs(t, js); got != 1 {
		t.Errorf("stream holds %d messages, want 1", got)
	}
}

func TestConcurrentFirstAppendsOneWins(t *testing.T) {
	js := startJS(t)
	ctx := testContext(t)
	s := openStore(t, js, eventstore.Config{})
	caseID := uuid.Must(uuid.NewV7())

	const n = 50
	var (
		wg        sync.WaitGroup
		start     = make(chan struct{})
		errs      = make([]error, n)
		successes int
		conflicts int
	)
	for i := range n {
		wg.Go(func() {
			<-start
			_, errs[i] = s.Append(ctx, 0, []domain.Envelope{envelope(caseID, reported())})
		})
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		switch {
		case err == nil:
			successes++
		case errors.Is(err, domain.ErrConcurrency):
			conflicts++
		default:
			t.Errorf("unexpected error: %v", err)
		}
	}
	if successes != 1 || conflicts != n-1 {
		t.Errorf("successes = %d, conflicts = %d, want 1 and %d", successes, conflicts, n-1)
	}
	if got := streamMsgs(t, js); got != 1 {
		t.Errorf("stream holds %d messages, want 1", got)
	}
}

func TestAppendRefusesBadInput(t *testing.T) {
	js := startJS(t)
	ctx := testContext(t)
	s := openStore(t, js, eventstore.Config{})
	a, b := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	noID := envelope(a, reported())
	noID.ID = uuid.Nil
	tests := []struct {
		name   string
		events []domain.Envelope
	}{
		{"no events", nil},
		{"two cases", []domain.Envelope{envelope(a, reported()), envelope(b, reported())}},
		{"no event", []domain.Envelope{{ID: uuid.Must(uuid.NewV7()), CaseID: a}}},
		{"no id", []domain.Envelope{noID}},
		{"no case", []domain.Envelope{envelope(uuid.Nil, reported())}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := s.Append(ctx, 0, tt.events); err == nil {
				t.Fatal("Append succeeded")
			}
		})
	}
	if got := streamMsgs(t, js); got != 0 {
		t.Errorf("stream holds %d messages, want 0", got)
	}
}

func TestLoadUnknownCaseIsNotFound(t *testing.T) {
	js := startJS(t)
	ctx := testContext(t)
	s := openStore(t, js, eventstore.Config{})
	// An empty stream, then a stream with another case in it.
	for range 2 {
		_, _, err := s.Load(ctx, uuid.Must(uuid.NewV7()))
		if got, want := domain.ErrorCode(err), domain.ENOTFOUND; got != want {
			t.Fatalf("code = %v (err %v), want %v", got, err, want)
		}
		if _, err := s.Append(ctx, 0, []domain.Envelope{envelope(uuid.Must(uuid.NewV7()), reported())}); err != nil {
			t.Fatal(err)
		}
	}
}

func TestLoadCreatesNoConsumer(t *testing.T) {
	js := startJS(t)
	ctx := testContext(t)
	s := openStore(t, js, eventstore.Config{})
	caseID := uuid.Must(uuid.NewV7())
	version, err := s.Append(ctx, 0, []domain.Envelope{envelope(caseID, reported())})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, version, []domain.Envelope{envelope(caseID, domain.Assigned{Assignee: "a"}), envelope(caseID, domain.Resolved{})}); err != nil {
		t.Fatal(err)
	}
	for range 20 {
		if _, _, err := s.Load(ctx, caseID); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.Load(ctx, uuid.Must(uuid.NewV7())); domain.ErrorCode(err) != domain.ENOTFOUND {
			t.Fatal(err)
		}
	}
	stream, err := js.Stream(ctx, eventstore.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State.Consumers != 0 {
		t.Errorf("stream has %d consumers after loads, want 0", info.State.Consumers)
	}
}

func TestLastSeq(t *testing.T) {
	js := startJS(t)
	ctx := testContext(t)
	s := openStore(t, js, eventstore.Config{})
	if seq, err := s.LastSeq(ctx); err != nil || seq != 0 {
		t.Fatalf("LastSeq of an empty stream = %d, %v; want 0", seq, err)
	}
	caseID := uuid.Must(uuid.NewV7())
	want, err := s.Append(ctx, 0, []domain.Envelope{envelope(caseID, reported()), envelope(caseID, domain.Closed{})})
	if err != nil {
		t.Fatal(err)
	}
	if seq, err := s.LastSeq(ctx); err != nil || seq != want {
		t.Fatalf("LastSeq = %d, %v; want %d", seq, err, want)
	}
}

func TestFollowDeliversInOrderFromSeq(t *testing.T) {
	js := startJS(t)
	ctx := testContext(t)
	s := openStore(t, js, eventstore.Config{})
	a, b := uuid.Must(uuid.NewV7()), uuid.Must(uuid.NewV7())
	va, err := s.Append(ctx, 0, []domain.Envelope{envelope(a, reported())})
	if err != nil {
		t.Fatal(err)
	}
	vb, err := s.Append(ctx, 0, []domain.Envelope{envelope(b, reported()), envelope(b, domain.Accepted{})})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, va, []domain.Envelope{envelope(a, domain.Rejected{Reason: "không thuộc thẩm quyền"})}); err != nil {
		t.Fatal(err)
	}

	followCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	got := make(chan domain.Envelope, 16)
	done := make(chan error, 1)
	go func() {
		done <- s.Follow(followCtx, 2, func(e domain.Envelope) error {
			got <- e
			return nil
		})
	}()

	next := func() domain.Envelope {
		t.Helper()
		select {
		case e := <-got:
			return e
		case <-time.After(10 * time.Second):
			t.Fatal("no event from Follow")
			return domain.Envelope{}
		}
	}
	// History from sequence 2 on, then an event appended while following.
	for _, want := range []struct {
		seq    uint64
		typ    string
		caseID uuid.UUID
	}{{2, "reported", b}, {3, "accepted", b}, {4, "rejected", a}} {
		e := next()
		if e.Seq != want.seq || e.Type() != want.typ || e.CaseID != want.caseID {
			t.Fatalf("got seq %d %s %s, want seq %d %s %s", e.Seq, e.Type(), e.CaseID, want.seq, want.typ, want.caseID)
		}
	}
	if _, err := s.Append(ctx, vb, []domain.Envelope{envelope(b, domain.Assigned{Assignee: "x"})}); err != nil {
		t.Fatal(err)
	}
	if e := next(); e.Seq != 5 || e.Type() != "assigned" {
		t.Fatalf("live event: got seq %d %s, want 5 assigned", e.Seq, e.Type())
	}

	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("Follow returned %v, want context.Canceled", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Follow did not return after cancel")
	}
}

func TestFollowStopsOnHandlerError(t *testing.T) {
	js := startJS(t)
	ctx := testContext(t)
	s := openStore(t, js, eventstore.Config{})
	for range 3 {
		if _, err := s.Append(ctx, 0, []domain.Envelope{envelope(uuid.Must(uuid.NewV7()), reported())}); err != nil {
			t.Fatal(err)
		}
	}
	stop := errors.New("stop")
	var seen []uint64
	err := s.Follow(ctx, 0, func(e domain.Envelope) error {
		seen = append(seen, e.Seq)
		if len(seen) == 2 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) {
		t.Fatalf("Follow returned %v, want the handler's error", err)
	}
	if !reflect.DeepEqual(seen, []uint64{1, 2}) {
		t.Errorf("seen = %v, want [1 2]", seen)
	}
}

func TestDataSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	ctx := testContext(t)
	first := startServer(t, dir, true)
	s := openStore(t, first.js, eventstore.Config{})
	caseID := uuid.Must(uuid.NewV7())
	version, err := s.Append(ctx, 0, []domain.Envelope{
		envelope(caseID, reported()),
		envelope(caseID, domain.Accepted{Clock: domain.ClockResolve, Deadline: at}),
	})
	if err != nil {
		t.Fatal(err)
	}
	first.stop()

	second := startServer(t, dir, true)
	s = openStore(t, second.js, eventstore.Config{})
	events, loaded, err := s.Load(ctx, caseID)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || loaded != version {
		t.Fatalf("after restart: %d events at version %d, want 2 at %d", len(events), loaded, version)
	}
	// The concurrency check survives too.
	if _, err := s.Append(ctx, 0, []domain.Envelope{envelope(caseID, reported())}); !errors.Is(err, domain.ErrConcurrency) {
		t.Fatalf("first event again after restart: err = %v, want ErrConcurrency", err)
	}
}

func TestDecodeRefusesUnknownTypes(t *testing.T) {
	js := startJS(t)
	ctx := testContext(t)
	s := openStore(t, js, eventstore.Config{})
	caseID := uuid.Must(uuid.NewV7())
	seq, err := s.Append(ctx, 0, []domain.Envelope{envelope(caseID, reported())})
	if err != nil {
		t.Fatal(err)
	}
	stream, err := js.Stream(ctx, eventstore.StreamName)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := stream.GetMsg(ctx, seq)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := eventstore.Decode(msg.Sequence, msg.Header, msg.Data); err != nil {
		t.Fatalf("Decode of a stored event: %v", err)
	}
	for _, ceType := range []string{"vn.phananh.case.reported.v2", "vn.phananh.case.exploded.v1", "com.example.reported"} {
		h := msg.Header
		h.Set("ce-type", ceType)
		if _, err := eventstore.Decode(msg.Sequence, h, msg.Data); err == nil {
			t.Errorf("Decode accepted ce-type %q", ceType)
		}
	}
}

func streamMsgs(tb testing.TB, js jetstream.JetStream) uint64 {
	tb.Helper()
	ctx := testContext(tb)
	stream, err := js.Stream(ctx, eventstore.StreamName)
	if err != nil {
		tb.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	return info.State.Msgs
}

// TestVersionAsksTheLeader: Version is the sequence of a case's last event
// (0 for an unknown case), on one server and, through a follower's client,
// on a three-replica stream, where it is asked of the stream's leader by
// the JetStream API rather than by a direct get any replica may answer.
func TestVersionAsksTheLeader(t *testing.T) {
	ctx := testContext(t)
	check := func(t *testing.T, writer, reader *eventstore.Store, watch *nats.Conn) {
		t.Helper()
		// Which API each Version call asks: the leader's message get, never
		// a direct get, which any replica may answer.
		var asked, direct atomic.Int32
		for subject, n := range map[string]*atomic.Int32{
			"$JS.API.STREAM.MSG.GET." + eventstore.StreamName:    &asked,
			"$JS.API.DIRECT.GET." + eventstore.StreamName:        &direct,
			"$JS.API.DIRECT.GET." + eventstore.StreamName + ".>": &direct,
		} {
			sub, err := watch.Subscribe(subject, func(*nats.Msg) { n.Add(1) })
			if err != nil {
				t.Fatal(err)
			}
			defer sub.Unsubscribe()
		}
		if err := watch.Flush(); err != nil {
			t.Fatal(err)
		}
		caseID := uuid.Must(uuid.NewV7())
		if v, err := reader.Version(ctx, caseID); err != nil || v != 0 {
			t.Fatalf("Version of an unknown case = %d, %v; want 0, nil", v, err)
		}
		version, err := writer.Append(ctx, 0, []domain.Envelope{envelope(caseID, reported())})
		if err != nil {
			t.Fatal(err)
		}
		version, err = writer.Append(ctx, version, []domain.Envelope{envelope(caseID, domain.CommentAdded{Text: "sau"})})
		if err != nil {
			t.Fatal(err)
		}
		// Another case after it: the case's version is its own last event.
		if _, err := writer.Append(ctx, 0, []domain.Envelope{envelope(uuid.Must(uuid.NewV7()), reported())}); err != nil {
			t.Fatal(err)
		}
		if v, err := reader.Version(ctx, caseID); err != nil || v != version {
			t.Errorf("Version = %d, %v; want %d, the case's last event", v, err, version)
		}
		if err := watch.Flush(); err != nil {
			t.Fatal(err)
		}
		// The watch's messages are handled on its own goroutine: wait for
		// them (a direct get instead would leave asked at 0 and fail).
		for deadline := time.Now().Add(5 * time.Second); asked.Load() < 2 && time.Now().Before(deadline); {
			time.Sleep(10 * time.Millisecond)
		}
		if a, d := asked.Load(), direct.Load(); a != 2 || d != 0 {
			t.Errorf("two Version calls sent %d message gets and %d direct gets; want 2 and 0", a, d)
		}
	}
	t.Run("one server", func(t *testing.T) {
		ts := startServer(t, t.TempDir(), true)
		s := openStore(t, ts.js, eventstore.Config{})
		check(t, s, s, ts.nc)
	})
	t.Run("three replicas, read through a follower", func(t *testing.T) {
		servers := startCluster(t, 3)
		writer := openStore(t, connect(t, servers[0]), eventstore.Config{Replicas: 3})
		stream, err := connect(t, servers[0]).Stream(ctx, eventstore.StreamName)
		if err != nil {
			t.Fatal(err)
		}
		follower := followerOf(t, servers, stream)
		watch := connect(t, follower).Conn()
		check(t, writer, openStore(t, connect(t, follower), eventstore.Config{Replicas: 3}), watch)
	})
}
