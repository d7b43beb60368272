package eventstore_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"phananh/domain"
	"phananh/eventstore"
)

// testServer is a real embedded JetStream server with its own storage.
type testServer struct {
	dir string
	emb *eventstore.Embedded
	nc  *nats.Conn
	js  jetstream.JetStream
}

// startServer starts an embedded server on a random loopback port with its
// data in dir, and connects to it. Cleanup closes both.
func startServer(tb testing.TB, dir string, syncAlways bool) *testServer {
	tb.Helper()
	emb, err := eventstore.StartEmbedded(eventstore.EmbeddedOptions{DataDir: dir, Listen: "127.0.0.1:-1", SyncAlways: syncAlways})
	if err != nil {
		tb.Fatalf("StartEmbedded: %v", err)
	}
	nc, err := nats.Connect(emb.ClientURL())
	if err != nil {
		emb.Shutdown()
		tb.Fatalf("connect: %v", err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		emb.Shutdown()
		tb.Fatalf("jetstream: %v", err)
	}
	ts := &testServer{dir: dir, emb: emb, nc: nc, js: js}
	tb.Cleanup(ts.stop)
	return ts
}

// stop closes the connection and shuts the server down; it may be called
// more than once.
func (ts *testServer) stop() {
	ts.nc.Close()
	ts.emb.Shutdown()
}

// startJS starts a fresh server with fsync-always storage in t.TempDir().
func startJS(tb testing.TB) jetstream.JetStream {
	tb.Helper()
	return startServer(tb, tb.TempDir(), true).js
}

func openStore(tb testing.TB, js jetstream.JetStream, cfg eventstore.Config) *eventstore.Store {
	tb.Helper()
	s, err := eventstore.Open(testContext(tb), js, cfg)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	return s
}

func testContext(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

// at is a fixed instant with nanoseconds, to check ce-time keeps them.
var at = time.Date(2025, 7, 1, 8, 30, 15, 123456789, time.UTC)

func envelope(caseID uuid.UUID, event domain.Event) domain.Envelope {
	return domain.Envelope{
		ID:            uuid.Must(uuid.NewV7()),
		CaseID:        caseID,
		Time:          at,
		Actor:         domain.Actor{ID: "officer-7", Role: domain.RoleOfficer, Unit: "ubnd-phuong-ben-nghe"},
		CorrelationID: "req-" + uuid.NewString(),
		Event:         event,
	}
}

func reported() domain.Reported {
	lat, lon := 10.7769, 106.7009
	occurred := time.Date(2025, 6, 30, 22, 0, 0, 0, time.UTC)
	return domain.Reported{
		Kind:        domain.KindIncident,
		Category:    "pollution.water",
		Title:       "Nước kênh đổi màu",
		Description: "Nước kênh Nhiêu Lộc có màu đen và mùi hôi từ tối qua.",
		Location:    domain.Location{Commune: "26734", Address: "Cầu Thị Nghè", Lat: &lat, Lon: &lon},
		OccurredAt:  &occurred,
		Reporter:    &domain.SealedReporter{KeyID: uuid.NewString(), Sealed: []byte{1, 2, 3, 4}},
		Unit:        "ubnd-phuong-ben-nghe",
		Clock:       domain.ClockAcknowledge,
		Deadline:    time.Date(2025, 7, 2, 17, 0, 0, 0, time.UTC),
		Digest:      "d1g3st",
	}
}

// startClient opens a second connection to ts, as another replica would.
func startClient(tb testing.TB, ts *testServer, opts ...nats.Option) jetstream.JetStream {
	tb.Helper()
	nc, err := nats.Connect(ts.emb.ClientURL(), opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		tb.Fatal(err)
	}
	return js
}
