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
	"math"
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
	js := startJetStream(tb)
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

	// First life: rebuild, then snapshot the three models at the same seq.
	view1, queues1 := projections.NewCaseView(), projections.NewQueues()
	r1 := runUntil(t, s, snaps, log.last, view1, queues1, snapDashboard())
	if err := r1.SnapshotNow(testContext(t)); err != nil {
		t.Fatal(err)
	}
	if got, want := r1.Startup().Restored, map[string]uint64{"case_view": 0, "queues": 0, "dashboard": 0}; !maps.Equal(got, want) {
		t.Fatalf("first start Restored = %v, want every model rebuilt (0): %v", got, want)
	}
	viewSeq := log.last

	// More events; then the queues alone are snapshotted again, later, and
	// the dashboard alone later still, so the three models restart from
	// three sequences, the case view's the lowest.
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
	dash2 := snapDashboard()
	runUntil(t, s, nil, log.last, dash2)
	dashSeq := log.last
	buf.Reset()
	if seq, err := dash2.Snapshot(&buf); err != nil || seq != dashSeq {
		t.Fatalf("dashboard Snapshot = %d, %v; want %d", seq, err, dashSeq)
	}
	if err := snaps.SaveSnapshot(testContext(t), projections.SnapshotMeta{Model: "dashboard",
		Version: projections.DashboardSnapshotVersion, Seq: dashSeq, Created: time.Now()}, buf.Bytes()); err != nil {
		t.Fatal(err)
	}
	moreEvents(t, s, &log, 3)

	// Second life from the snapshots: every model is restored, the feed
	// starts after the lowest of the three (a partial replay, not a
	// rebuild), and each model is given only what its snapshot lacks.
	src := &followLog{Store: s}
	view, queues, dash := projections.NewCaseView(), projections.NewQueues(), snapDashboard()
	r := runUntil(t, src, snaps, log.last, view, queues, dash)
	st := r.Startup()
	if got, want := st.Restored, map[string]uint64{"case_view": viewSeq, "queues": queuesSeq, "dashboard": dashSeq}; !maps.Equal(got, want) {
		t.Errorf("Restored = %v, want %v", got, want)
	}
	if !st.Ready || st.Rebuild <= 0 {
		t.Errorf("Startup = %+v, want ready with a rebuild time", st)
	}
	if got, want := src.Froms(), []uint64{viewSeq + 1}; !slices.Equal(got, want) || viewSeq+1 <= 1 {
		t.Errorf("Follow called from %v, want %v: only the events after the lowest snapshot", got, want)
	}

	// A model without a snapshot beside them is rebuilt from the start,
	// each event once; the restored models skip what they hold.
	src = &followLog{Store: s}
	view3, queues3, dash3, rec := projections.NewCaseView(), projections.NewQueues(), snapDashboard(), &recorder{}
	r3 := runUntil(t, src, snaps, log.last, view3, queues3, dash3, rec)
	if got, want := r3.Startup().Restored, map[string]uint64{"case_view": viewSeq, "queues": queuesSeq, "dashboard": dashSeq}; !maps.Equal(got, want) {
		t.Errorf("beside a model without snapshot, Restored = %v, want %v", got, want)
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
	wantDash := dashboardJSON(t, fullDash)
	for name, d := range map[string]*projections.Dashboard{"restored": dash, "restored beside one rebuilt": dash3} {
		if got := dashboardJSON(t, d); !bytes.Equal(got, wantDash) {
			t.Errorf("dashboard %s differs from a full rebuild:\n%s\nwant\n%s", name, got, wantDash)
		}
	}

	want := render(t, log, fullView, fullQueues)
	if got := render(t, log, view, queues); !bytes.Equal(got, want) {
		t.Errorf("restored models answer differently from a full rebuild:\nrestored %s\nrebuilt  %s", got, want)
	}
	if got := render(t, log, view3, queues3); !bytes.Equal(got, want) {
		t.Errorf("restored models beside one rebuilt answer differently from a full rebuild")
	}
	for _, pair := range [][2]projections.Snapshotter{{view, fullView}, {queues, fullQueues}, {view3, fullView}, {queues3, fullQueues},
		{dash, fullDash}, {dash3, fullDash}} {
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
	view, queues, dash := projections.NewCaseView(), projections.NewQueues(), snapDashboard()
	runUntil(t, s, nil, log.last, view, queues, dash)
	for _, m := range []projections.Snapshotter{view, queues, dash} {
		first, second := snapshotBytes(t, m), snapshotBytes(t, m)
		if !bytes.Equal(first, second) {
			t.Errorf("%s: two snapshots of one state differ", m.SnapshotName())
		}
		fresh := map[string]projections.Snapshotter{"case_view": projections.NewCaseView(),
			"queues": projections.NewQueues(), "dashboard": snapDashboard()}[m.SnapshotName()]
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

// dashboardAnswers is every answer the API can give from a dashboard over
// the months of a generated log: each month and year, whole and filtered,
// with its breakdowns, read at a moment inside the period and after it.
func dashboardAnswers(t *testing.T, d *projections.Dashboard, from, to time.Time) []byte {
	t.Helper()
	filters := []projections.DashboardFilter{{}, {Unit: "ubnd.lao-cai"}, {Commune: "cam-duong"},
		{Kind: domain.KindLandDispute}, {Category: "pollution.water"}}
	var out []any
	for m := from; m.Before(to); m = m.AddDate(0, 1, 0) {
		for _, now := range []time.Time{m.AddDate(0, 0, 12), to.AddDate(0, 2, 0)} {
			for _, f := range filters {
				out = append(out, d.Monthly(m.Year(), m.Month(), f, now))
			}
		}
	}
	for year := from.Year(); year <= to.Year(); year++ {
		for _, f := range filters {
			out = append(out, d.Annual(year, f, to), d.Annual(year, f, to.AddDate(2, 0, 0)))
		}
	}
	data, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestDashboardSnapshotOfAGeneratedYear restores the dashboard from a
// snapshot taken halfway through a year of generated cases (every figure:
// mediations, transfers, reopened cases, ratings, overdue stocks), feeds
// it the rest, and checks that every answer is byte for byte what a model
// fed the whole log gives.
func TestDashboardSnapshotOfAGeneratedYear(t *testing.T) {
	from, to := vnMonth(2025, time.July), vnMonth(2026, time.July)
	events := dashLog(7, 3000, from, to)
	half := len(events) / 2

	first := newDashboard(events[:half])
	var buf bytes.Buffer
	seq, err := first.Snapshot(&buf)
	if err != nil || seq != events[half-1].Seq {
		t.Fatalf("Snapshot = %d, %v; want %d", seq, err, events[half-1].Seq)
	}
	restored := snapDashboard()
	if err := restored.Restore(bytes.NewReader(buf.Bytes()), seq); err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if got, want := dashboardAnswers(t, restored, from, to), dashboardAnswers(t, first, from, to); !bytes.Equal(got, want) {
		t.Fatalf("restored at %d, the dashboard answers differently from the model it was taken of", seq)
	}
	for _, e := range events[half:] {
		restored.Apply(e)
	}

	full := newDashboard(events)
	want := dashboardAnswers(t, full, from, to)
	if m := full.Monthly(2026, time.January, projections.DashboardFilter{}, to); m.Received == 0 || m.Mediation.Held == 0 || m.Overdue == 0 {
		t.Fatalf("the generated year lacks figures to compare: %+v", m.Figures)
	}
	if got := dashboardAnswers(t, restored, from, to); !bytes.Equal(got, want) {
		t.Errorf("dashboard restored halfway and fed the rest answers differently from a full rebuild")
	}
	if got, want := snapshotBytes(t, restored), snapshotBytes(t, full); !bytes.Equal(got, want) {
		t.Errorf("dashboard restored halfway and fed the rest holds another state than a full rebuild")
	}
}

// The snapshot body of the dashboard as gob sees it: gob matches fields by
// name, so these mirror types read and write the model's snapshots, and
// the test can alter one the way a bug or a stray file would.
type (
	xDashSnapshot struct {
		UnitTypes string
		Cases     []xDashCase
		Months    []xDashMonth
	}
	xDashCase struct {
		Case         domain.Case
		At           time.Time
		FrontCouncil bool
		Partners     []string
	}
	xDashMonth struct {
		Month int
		Cells []xDashCell
	}
	xDashCell struct {
		Unit                                                   string
		Commune                                                string
		Kind                                                   domain.Kind
		Category                                               domain.Category
		Received, Accepted, Rejected, Resolved, Closed, OnTime int
		Days                                                   []float64
		Mediation                                              projections.Mediation
		RatingSum, Ratings                                     int
		Coordination                                           projections.Coordination
		BacklogDelta, OverdueDelta                             int
	}
	xHeader struct {
		Model   string
		Version int
		Seq     uint64
	}
)

// TestDashboardRestoreRefusesWhatSnapshotCannotWrite alters a valid
// snapshot in ways Snapshot never would and checks that Restore refuses
// each, leaving the model as it was.
func TestDashboardRestoreRefusesWhatSnapshotCannotWrite(t *testing.T) {
	events := dashLog(3, 400, vnMonth(2026, time.January), vnMonth(2026, time.May))
	d := newDashboard(events)
	var good bytes.Buffer
	seq, err := d.Snapshot(&good)
	if err != nil {
		t.Fatal(err)
	}
	decode := func() (xHeader, xDashSnapshot) {
		dec := gob.NewDecoder(bytes.NewReader(good.Bytes()))
		var h xHeader
		var body xDashSnapshot
		if err := dec.Decode(&h); err != nil {
			t.Fatal(err)
		}
		if err := dec.Decode(&body); err != nil {
			t.Fatal(err)
		}
		return h, body
	}
	encode := func(h xHeader, body xDashSnapshot) []byte {
		var buf bytes.Buffer
		enc := gob.NewEncoder(&buf)
		if err := enc.Encode(h); err != nil {
			t.Fatal(err)
		}
		if err := enc.Encode(body); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	// cell returns the first cell that satisfies ok.
	cell := func(s *xDashSnapshot, ok func(*xDashCell) bool) *xDashCell {
		for i := range s.Months {
			for j := range s.Months[i].Cells {
				if c := &s.Months[i].Cells[j]; ok(c) {
					return c
				}
			}
		}
		t.Fatal("no such cell in the snapshot")
		return nil
	}
	resolved := func(c *xDashCell) bool { return c.Resolved > 0 }

	// Unaltered, the mirror's snapshot restores the very state (gob names
	// the types in the stream, so the bytes themselves differ).
	control := snapDashboard()
	if err := control.Restore(bytes.NewReader(encode(decode())), seq); err != nil {
		t.Fatalf("Restore of the unaltered snapshot: %v", err)
	}
	if got := snapshotBytes(t, control); !bytes.Equal(got, good.Bytes()) {
		t.Fatalf("the mirror types lose part of the snapshot: update them")
	}

	tests := []struct {
		name  string
		alter func(s *xDashSnapshot)
	}{
		{"a resolution without its days", func(s *xDashSnapshot) { cell(s, resolved).Days = nil }},
		{"more on time than resolved", func(s *xDashSnapshot) { c := cell(s, resolved); c.OnTime = c.Resolved + 1 }},
		{"a negative count", func(s *xDashSnapshot) { cell(s, resolved).Received = -1 }},
		{"days that are not a number", func(s *xDashSnapshot) { cell(s, resolved).Days[0] = math.NaN() }},
		{"a backlog difference lost", func(s *xDashSnapshot) { s.Months[0].Cells[0].BacklogDelta++ }},
		{"an overdue difference lost", func(s *xDashSnapshot) {
			c := cell(s, func(c *xDashCell) bool { return c.OverdueDelta != 0 })
			c.OverdueDelta = 0
		}},
		{"cases without their cells", func(s *xDashSnapshot) { s.Months = nil }},
		{"cells without their cases", func(s *xDashSnapshot) { s.Cases = nil }},
		{"a case twice", func(s *xDashSnapshot) { s.Cases = append(s.Cases, s.Cases[0]) }},
		{"a case after the snapshot", func(s *xDashSnapshot) { s.Cases[0].Case.Version = seq + 1 }},
		{"a case with a title", func(s *xDashSnapshot) { s.Cases[0].Case.Title = "Ô nhiễm nguồn nước" }},
		{"a case with a sealed reporter", func(s *xDashSnapshot) { s.Cases[0].Case.Reporter = &domain.SealedReporter{KeyID: "k"} }},
		{"months out of order", func(s *xDashSnapshot) { s.Months[0], s.Months[1] = s.Months[1], s.Months[0] }},
		{"cells twice", func(s *xDashSnapshot) { s.Months[0].Cells = append(s.Months[0].Cells, s.Months[0].Cells...) }},
		{"a month without cells", func(s *xDashSnapshot) {
			s.Months = append(s.Months, xDashMonth{Month: s.Months[len(s.Months)-1].Month + 1})
		}},
		{"folded with other unit types", func(s *xDashSnapshot) { s.UnitTypes = "another geography" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, body := decode()
			tt.alter(&body)
			target := newDashboard(events[:50])
			before := snapshotBytes(t, target)
			if err := target.Restore(bytes.NewReader(encode(h, body)), seq); err == nil {
				t.Fatalf("Restore accepted the snapshot")
			} else {
				t.Logf("Restore: %v", err)
			}
			if got := snapshotBytes(t, target); !bytes.Equal(got, before) || target.LastSeq() != events[49].Seq {
				t.Errorf("a refused Restore changed the model")
			}
		})
	}

	t.Run("a dashboard of another geography", func(t *testing.T) {
		if err := projections.NewDashboard(nil).Restore(bytes.NewReader(good.Bytes()), seq); err == nil {
			t.Errorf("a dashboard without unit types restored a snapshot folded with them")
		}
	})
}
