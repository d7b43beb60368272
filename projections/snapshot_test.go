package projections_test

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"phananh/domain"
	"phananh/eventstore"
	"phananh/projections"
)

// startStoreWithSnapshots is startStore plus the SNAPSHOTS bucket.
func startStoreWithSnapshots(tb testing.TB) (*eventstore.Store, *eventstore.Snapshots) {
	tb.Helper()
	emb, err := eventstore.StartEmbedded(eventstore.EmbeddedOptions{DataDir: tb.TempDir(), Listen: "127.0.0.1:-1"})
	if err != nil {
		tb.Fatalf("StartEmbedded: %v", err)
	}
	tb.Cleanup(emb.Shutdown)
	nc, err := nats.Connect(emb.ClientURL(), nats.SyncQueueLen(1024))
	if err != nil {
		tb.Fatalf("connect: %v", err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	s, err := eventstore.Open(testContext(tb), js, eventstore.Config{})
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	snaps, err := eventstore.OpenSnapshots(testContext(tb), js, eventstore.Config{})
	if err != nil {
		tb.Fatalf("OpenSnapshots: %v", err)
	}
	return s, snaps
}

// vnZone is Vietnam time, as deadlines computed in local time carry it.
var vnZone = time.FixedZone("ICT", 7*60*60)

// richCases are sixCases plus a case that uses what they do not: times in
// Vietnam time, coordinates, attachments, a duplicate link, feedback, a
// reclassification and an erased reporter.
func richCases() []history {
	cases, _ := sixCases()
	occurred := time.Date(2026, 3, 1, 21, 30, 0, 0, vnZone)
	lat, lon := 22.4856, 103.9707
	r := reported(6)
	r.Deadline = time.Date(2026, 3, 3, 17, 0, 0, 0, vnZone)
	r.OccurredAt = &occurred
	r.Location = domain.Location{Commune: "lao-cai", Address: "Tổ 5, phường Cốc Lếu", Lat: &lat, Lon: &lon}
	r.Reporter = &domain.SealedReporter{KeyID: "k-1", Sealed: []byte{1, 2, 3, 250}}
	return append(cases, history{newCaseID(), []domain.Event{r, accepted(),
		domain.AttachmentAdded{Object: "o1", Filename: "ảnh <1>.jpg", ContentType: "image/jpeg", Size: 123456, SHA256: "ab", Public: true},
		domain.AttachmentAdded{Object: "o2", Filename: "biên bản.pdf", ContentType: "application/pdf", Size: 99, SHA256: "cd"},
		domain.DuplicateLinked{Of: cases[0].caseID},
		domain.Reclassified{FromCategory: "pollution.water", ToCategory: "pollution.air", FromKind: domain.KindIncident, ToKind: domain.KindPetition, Reason: "Khói, không phải nước"},
		domain.Resolved{Summary: "Đã xử lý & báo cáo"},
		domain.FeedbackGiven{Rating: 4, Comment: "Cảm ơn"},
		domain.ReporterErased{KeyID: "k-1", Reason: "yêu cầu xóa"},
	}})
}

// moreEvents appends one more comment to every case, and a new case.
func moreEvents(t *testing.T, s *eventstore.Store, log *stored, round int) {
	t.Helper()
	for id, written := range log.byCase {
		env := envelopeAt(id, officer, t0.Add(time.Duration(len(log.all))*time.Minute),
			domain.CommentAdded{Text: fmt.Sprintf("Vòng %d", round), Public: round%2 == 0})
		seq, err := s.Append(testContext(t), written[len(written)-1].Seq, []domain.Envelope{env})
		if err != nil {
			t.Fatal(err)
		}
		env.Seq = seq
		log.byCase[id] = append(written, env)
		log.all = append(log.all, env)
		log.last = seq
	}
	more := appendRoundRobin(t, s, []history{{newCaseID(), []domain.Event{reported(10 + round), accepted()}}})
	for id, envs := range more.byCase {
		log.byCase[id] = envs
	}
	log.all = append(log.all, more.all...)
	log.last = more.last
}

// followLog is the real store, remembering where each feed started.
type followLog struct {
	*eventstore.Store
	mu    sync.Mutex
	froms []uint64
}

func (f *followLog) Follow(ctx context.Context, fromSeq uint64, fn func(domain.Envelope) error) error {
	f.mu.Lock()
	f.froms = append(f.froms, fromSeq)
	f.mu.Unlock()
	return f.Store.Follow(ctx, fromSeq, fn)
}

func (f *followLog) Froms() []uint64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.froms)
}

func snapDashboard() *projections.Dashboard {
	return projections.NewDashboard(domain.DefaultGeography())
}

// dashboardJSON is the month of the test events and their year, as the API
// renders them.
func dashboardJSON(t *testing.T, d *projections.Dashboard) []byte {
	t.Helper()
	now := t0.AddDate(0, 0, 4)
	data, err := json.Marshal([]any{
		d.Monthly(2026, time.March, projections.DashboardFilter{}, now),
		d.Annual(2026, projections.DashboardFilter{}, now),
	})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// runUntil runs a runner over src until it has applied seq, then stops it.
func runUntil(t *testing.T, src projections.Source, snaps projections.SnapshotStore, seq uint64, models ...projections.ReadModel) *projections.Runner {
	t.Helper()
	r := projections.NewRunner(src, testLogger(t), models...)
	if snaps != nil {
		r.UseSnapshots(projections.SnapshotConfig{Store: snaps})
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run returned %v, want context.Canceled", err)
		}
	}()
	waitReady(t, r)
	wctx, wcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer wcancel()
	if err := r.WaitFor(wctx, seq); err != nil {
		t.Fatal(err)
	}
	return r
}

// snapshotBytes is a model's snapshot, which holds all of its state.
func snapshotBytes(t *testing.T, m projections.Snapshotter) []byte {
	t.Helper()
	var buf bytes.Buffer
	if _, err := m.Snapshot(&buf); err != nil {
		t.Fatalf("Snapshot %s: %v", m.SnapshotName(), err)
	}
	return buf.Bytes()
}

// render is what the API would answer from the models: every case's record
// and public timeline, and the queues as several queries list them.
func render(t *testing.T, log stored, view *projections.CaseView, queues *projections.Queues) []byte {
	t.Helper()
	var out []any
	ids := slices.SortedFunc(maps.Keys(log.byCase), func(a, b uuid.UUID) int { return bytes.Compare(a[:], b[:]) })
	for _, id := range ids {
		rec, ok := view.Get(id)
		out = append(out, ok, rec, rec.PublicTimeline())
	}
	now := t0.AddDate(0, 0, 4)
	for _, q := range []projections.QueueQuery{
		{}, {Unit: "ubnd.lao-cai"}, {Unit: "ubnd.tinh-lao-cai"}, {Sort: "-updated", Limit: 3},
		{Sort: "received"}, {Q: "nuoc suoi"}, {Category: "pollution"},
	} {
		items, next, err := queues.List(q, now)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, items, next)
	}
	out = append(out, queues.Units(), view.Len(), queues.Len(), view.LastSeq(), queues.LastSeq())
	data, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestRestartFromSnapshotsEqualsAFullRebuild(t *testing.T) {
	s, snaps := startStoreWithSnapshots(t)
	log := appendRoundRobin(t, s, richCases())

	// First life: rebuild, then snapshot both models at the same seq.
	view1, queues1 := projections.NewCaseView(), projections.NewQueues()
	r1 := runUntil(t, s, snaps, log.last, view1, queues1, snapDashboard())
	if err := r1.SnapshotNow(testContext(t)); err != nil {
		t.Fatal(err)
	}
	if got := r1.Startup().Restored; got["case_view"] != 0 || got["queues"] != 0 {
		t.Fatalf("first start Restored = %v, want both models rebuilt (0)", got)
	}
	viewSeq := log.last

	// More events; then the queues alone are snapshotted again, later, so
	// the two models restart from different sequences.
	moreEvents(t, s, &log, 1)
	queues2 := projections.NewQueues()
	runUntil(t, s, nil, log.last, queues2)
	queuesSeq := log.last
	var buf bytes.Buffer
	if seq, err := queues2.Snapshot(&buf); err != nil || seq != queuesSeq {
		t.Fatalf("queues Snapshot = %d, %v; want %d", seq, err, queuesSeq)
	}
	if err := snaps.SaveSnapshot(testContext(t), projections.SnapshotMeta{Model: "queues",
		Version: projections.QueuesSnapshotVersion, Seq: queuesSeq, Created: time.Now()}, buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	moreEvents(t, s, &log, 2)

	// Second life from the snapshots: the feed starts after the lower of
	// the two, and each model is given only what its snapshot lacks.
	src := &followLog{Store: s}
	view, queues := projections.NewCaseView(), projections.NewQueues()
	r := runUntil(t, src, snaps, log.last, view, queues)
	st := r.Startup()
	if got, want := st.Restored, map[string]uint64{"case_view": viewSeq, "queues": queuesSeq}; !maps.Equal(got, want) {
		t.Errorf("Restored = %v, want %v", got, want)
	}
	if !st.Ready || st.Rebuild <= 0 {
		t.Errorf("Startup = %+v, want ready with a rebuild time", st)
	}
	if got, want := src.Froms(), []uint64{viewSeq + 1}; !slices.Equal(got, want) {
		t.Errorf("Follow called from %v, want %v", got, want)
	}

	// A model without a snapshot beside them is rebuilt from the start,
	// each event once; the restored models skip what they hold. The
	// monthly dashboard is restored too if it can snapshot.
	src = &followLog{Store: s}
	view3, queues3, dash3, rec := projections.NewCaseView(), projections.NewQueues(), snapDashboard(), &recorder{}
	r3 := runUntil(t, src, snaps, log.last, view3, queues3, dash3, rec)
	if d, ok := projections.ReadModel(dash3).(projections.Snapshotter); ok {
		if got := r3.Startup().Restored[d.SnapshotName()]; got == 0 {
			t.Errorf("the dashboard can snapshot but was rebuilt")
		}
	} else {
		t.Log("the dashboard does not implement Snapshotter: it is rebuilt from the log at every start")
	}
	if got, want := src.Froms(), []uint64{1}; !slices.Equal(got, want) {
		t.Errorf("with a model without snapshot, Follow called from %v, want %v", got, want)
	}
	if got := rec.Seqs(); len(got) != int(log.last) || got[0] != 1 || got[len(got)-1] != log.last {
		t.Errorf("model without snapshot got %d events, want 1..%d", len(got), log.last)
	}

	// A full rebuild, for comparison.
	fullView, fullQueues, fullDash := projections.NewCaseView(), projections.NewQueues(), snapDashboard()
	runUntil(t, s, nil, log.last, fullView, fullQueues, fullDash)
	if m := fullDash.Monthly(2026, time.March, projections.DashboardFilter{}, t0.AddDate(0, 0, 4)); m.Received != len(log.byCase) {
		t.Errorf("dashboard of the test month received %d, want %d: the comparison below would compare nothing", m.Received, len(log.byCase))
	}
	if got, want := dashboardJSON(t, dash3), dashboardJSON(t, fullDash); !bytes.Equal(got, want) {
		t.Errorf("dashboard after a restart from snapshots differs from a full rebuild:\n%s\nwant\n%s", got, want)
	}

	want := render(t, log, fullView, fullQueues)
	if got := render(t, log, view, queues); !bytes.Equal(got, want) {
		t.Errorf("restored models answer differently from a full rebuild:\nrestored %s\nrebuilt  %s", got, want)
	}
	if got := render(t, log, view3, queues3); !bytes.Equal(got, want) {
		t.Errorf("restored models beside one rebuilt answer differently from a full rebuild")
	}
	for _, pair := range [][2]projections.Snapshotter{{view, fullView}, {queues, fullQueues}, {view3, fullView}, {queues3, fullQueues}} {
		if got, want := snapshotBytes(t, pair[0]), snapshotBytes(t, pair[1]); !bytes.Equal(got, want) {
			t.Errorf("%s state differs from a full rebuild:\nrestored %s\nrebuilt  %s", pair[0].SnapshotName(), got, want)
		}
	}
	// The records themselves, down to the Go types in timeline data, the
	// actors the JSON leaves out and the zones of times.
	for id := range log.byCase {
		got, _ := view.Get(id)
		want, _ := fullView.Get(id)
		if !reflect.DeepEqual(got, want) {
			t.Errorf("case %s restored:\n%#v\nrebuilt:\n%#v", id, got, want)
		}
	}
	if fullView.Len() != len(log.byCase) || fullQueues.Len() != len(log.byCase) {
		t.Fatalf("full rebuild holds %d/%d cases, want %d", fullView.Len(), fullQueues.Len(), len(log.byCase))
	}
}

// TestRichCasesUseEveryEvent keeps the snapshot tests honest: every event
// type, and so every kind of timeline data, goes through a snapshot.
func TestRichCasesUseEveryEvent(t *testing.T) {
	used := map[string]bool{}
	for _, h := range richCases() {
		for _, e := range h.events {
			used[e.EventType()] = true
		}
	}
	for _, typ := range domain.EventTypes() {
		if !used[typ] {
			t.Errorf("richCases never records %s; add it, so snapshots are tested with it", typ)
		}
	}
}

func TestSnapshotIsDeterministicAndRoundTrips(t *testing.T) {
	s := startStore(t)
	log := appendRoundRobin(t, s, richCases())
	view, queues := projections.NewCaseView(), projections.NewQueues()
	runUntil(t, s, nil, log.last, view, queues)
	for _, m := range []projections.Snapshotter{view, queues} {
		first, second := snapshotBytes(t, m), snapshotBytes(t, m)
		if !bytes.Equal(first, second) {
			t.Errorf("%s: two snapshots of one state differ", m.SnapshotName())
		}
		var fresh projections.Snapshotter = projections.NewCaseView()
		if m.SnapshotName() == "queues" {
			fresh = projections.NewQueues()
		}
		if err := fresh.Restore(bytes.NewReader(first), log.last); err != nil {
			t.Fatalf("%s: Restore: %v", m.SnapshotName(), err)
		}
		if got := snapshotBytes(t, fresh); !bytes.Equal(got, first) {
			t.Errorf("%s: snapshot of the restored model differs:\n%s\nwant\n%s", m.SnapshotName(), got, first)
		}
		if got := fresh.LastSeq(); got != log.last {
			t.Errorf("%s: restored LastSeq = %d, want %d", m.SnapshotName(), got, log.last)
		}
	}
}

// headerOnly is a snapshot that holds only a header, as gob encodes it.
func headerOnly(t *testing.T, model string, version int, seq uint64) []byte {
	t.Helper()
	var buf bytes.Buffer
	h := struct {
		Model   string
		Version int
		Seq     uint64
	}{model, version, seq}
	if err := gob.NewEncoder(&buf).Encode(h); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// logBuffer collects a runner's log lines for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestUnusableSnapshotsAreRebuilt stores snapshots the runner must not
// trust and checks that it rebuilds the model from the log instead, saying
// why, and ends where a full rebuild does.
func TestUnusableSnapshotsAreRebuilt(t *testing.T) {
	s, snaps := startStoreWithSnapshots(t)
	log := appendRoundRobin(t, s, richCases())
	good := projections.NewCaseView()
	runUntil(t, s, nil, log.last-3, good)
	var valid bytes.Buffer
	goodSeq, err := good.Snapshot(&valid)
	if err != nil {
		t.Fatal(err)
	}
	full := projections.NewCaseView()
	runUntil(t, s, nil, log.last, full)
	want := snapshotBytes(t, full)

	v := projections.CaseViewSnapshotVersion
	tests := []struct {
		name    string
		meta    projections.SnapshotMeta
		data    []byte
		wantLog string
	}{
		{"an older version", projections.SnapshotMeta{Version: v - 1, Seq: goodSeq}, valid.Bytes(), "of another version"},
		{"a newer version", projections.SnapshotMeta{Version: v + 1, Seq: goodSeq}, valid.Bytes(), "of another version"},
		{"ahead of the log", projections.SnapshotMeta{Version: v, Seq: log.last + 1}, valid.Bytes(), "ahead of the log"},
		{"garbage", projections.SnapshotMeta{Version: v, Seq: goodSeq}, []byte("\x00\x01not json"), "corrupt"},
		{"truncated", projections.SnapshotMeta{Version: v, Seq: goodSeq}, valid.Bytes()[:valid.Len()/2], "corrupt"},
		{"metadata disagrees with the content", projections.SnapshotMeta{Version: v, Seq: goodSeq - 1}, valid.Bytes(), "corrupt"},
		{"content of another version", projections.SnapshotMeta{Version: v, Seq: goodSeq}, headerOnly(t, "case_view", v+1, goodSeq), "corrupt"},
		{"content of another model", projections.SnapshotMeta{Version: v, Seq: goodSeq}, headerOnly(t, "queues", v, goodSeq), "corrupt"},
		{"trailing data", projections.SnapshotMeta{Version: v, Seq: goodSeq}, append(bytes.Clone(valid.Bytes()), 0), "corrupt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.meta.Model, tt.meta.Created = "case_view", time.Now()
			if err := snaps.SaveSnapshot(testContext(t), tt.meta, tt.data); err != nil {
				t.Fatal(err)
			}
			logs := &logBuffer{}
			view := projections.NewCaseView()
			r := projections.NewRunner(s, slog.New(slog.NewTextHandler(logs, nil)), view)
			r.UseSnapshots(projections.SnapshotConfig{Store: snaps})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- r.Run(ctx) }()
			defer func() { cancel(); <-done }()
			waitReady(t, r)
			if got := r.Startup().Restored["case_view"]; got != 0 {
				t.Errorf("restored at %d from an unusable snapshot, want a rebuild", got)
			}
			if got := snapshotBytes(t, view); !bytes.Equal(got, want) {
				t.Errorf("view after the rebuild differs from a full rebuild")
			}
			if !strings.Contains(logs.String(), tt.wantLog) || !strings.Contains(logs.String(), "rebuilding from the log") {
				t.Errorf("log does not say %q and that it rebuilds:\n%s", tt.wantLog, logs)
			}
		})
	}

	t.Run("the valid one is used", func(t *testing.T) {
		if err := snaps.SaveSnapshot(testContext(t), projections.SnapshotMeta{Model: "case_view", Version: v, Seq: goodSeq, Created: time.Now()}, valid.Bytes()); err != nil {
			t.Fatal(err)
		}
		view := projections.NewCaseView()
		r := runUntil(t, s, snaps, log.last, view)
		if got := r.Startup().Restored["case_view"]; got != goodSeq {
			t.Errorf("restored at %d, want %d", got, goodSeq)
		}
		if got := snapshotBytes(t, view); !bytes.Equal(got, want) {
			t.Errorf("view restored and caught up differs from a full rebuild")
		}
	})
}

// TestPeriodicSnapshots writes snapshots every few events while following.
func TestPeriodicSnapshots(t *testing.T) {
	s, snaps := startStoreWithSnapshots(t)
	view := projections.NewCaseView()
	logs := &logBuffer{}
	r := projections.NewRunner(s, slog.New(slog.NewTextHandler(logs, nil)), view)
	r.UseSnapshots(projections.SnapshotConfig{Store: snaps, Every: 5})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()
	waitReady(t, r)

	log := appendRoundRobin(t, s, richCases()) // 35 events: a snapshot is due after the last
	written := fmt.Sprintf("msg=\"projection snapshot written\" model=case_view seq=%d ", log.last)
	checkFor(t, 10*time.Second, 10*time.Millisecond, func() error {
		if !strings.Contains(logs.String(), written) {
			return fmt.Errorf("no snapshot at %d written yet:\n%s", log.last, logs)
		}
		return nil
	})
	meta, data, err := snaps.LoadSnapshot(testContext(t), "case_view")
	if err != nil || meta.Seq != log.last || meta.Version != projections.CaseViewSnapshotVersion {
		t.Fatalf("latest snapshot %+v, %v; want one at seq %d", meta, err, log.last)
	}
	if got := snapshotBytes(t, view); !bytes.Equal(got, data) {
		t.Errorf("the stored snapshot is not the view's state")
	}
	if n := strings.Count(logs.String(), "projection snapshot written"); n < 2 || n > 7 {
		t.Errorf("%d snapshots written for %d events, want one every 5 or so", n, log.last)
	}
}

// TestSnapshotsOfAnotherStreamAreIgnored: a snapshot records the stream it
// was taken of, and another stream of the same name does not accept it.
func TestSnapshotsOfAnotherStreamAreIgnored(t *testing.T) {
	emb, err := eventstore.StartEmbedded(eventstore.EmbeddedOptions{DataDir: t.TempDir(), Listen: "127.0.0.1:-1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emb.Shutdown)
	nc, err := nats.Connect(emb.ClientURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	ctx := testContext(t)
	if _, err := eventstore.Open(ctx, js, eventstore.Config{}); err != nil {
		t.Fatal(err)
	}
	old, err := eventstore.OpenSnapshots(ctx, js, eventstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	meta := projections.SnapshotMeta{Model: "case_view", Version: 1, Seq: 1, Created: time.Now()}
	if err := old.SaveSnapshot(ctx, meta, []byte("{}")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := old.LoadSnapshot(ctx, "case_view"); err != nil {
		t.Fatalf("LoadSnapshot of the same stream: %v", err)
	}
	// The stream is deleted and created again: same name, new log.
	if err := js.DeleteStream(ctx, eventstore.StreamName); err != nil {
		t.Fatal(err)
	}
	if _, err := eventstore.Open(ctx, js, eventstore.Config{}); err != nil {
		t.Fatal(err)
	}
	renewed, err := eventstore.OpenSnapshots(ctx, js, eventstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := renewed.LoadSnapshot(ctx, "case_view"); !errors.Is(err, projections.ErrNoSnapshot) {
		t.Fatalf("LoadSnapshot after the stream was recreated = %v, want ErrNoSnapshot", err)
	}
	if _, _, err := renewed.LoadSnapshot(ctx, "queues"); !errors.Is(err, projections.ErrNoSnapshot) {
		t.Fatalf("LoadSnapshot of a model never saved = %v, want ErrNoSnapshot", err)
	}
}

// TestWaitForReturnsForWhatASnapshotHolds: a read waiting (?after=) for an
// event that a restored snapshot already holds is answered at once, even
// if the log then stays quiet.
func TestWaitForReturnsForWhatASnapshotHolds(t *testing.T) {
	s, snaps := startStoreWithSnapshots(t)
	log := appendRoundRobin(t, s, richCases()[:2])
	view := projections.NewCaseView()
	r1 := runUntil(t, s, snaps, log.last, view)
	if err := r1.SnapshotNow(testContext(t)); err != nil {
		t.Fatal(err)
	}

	r := projections.NewRunner(s, testLogger(t), projections.NewCaseView())
	r.UseSnapshots(projections.SnapshotConfig{Store: snaps})
	waited := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		waited <- r.WaitFor(ctx, log.last)
	}()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	defer func() { cancel(); <-done }()
	if err := <-waited; err != nil {
		t.Fatalf("WaitFor(%d) with a snapshot at %d: %v", log.last, log.last, err)
	}
	if got := r.Startup().Restored["case_view"]; got != log.last {
		t.Errorf("restored at %d, want %d", got, log.last)
	}
}
