package eventstore_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"phananh/domain"
	"phananh/eventstore"
	"phananh/testport"
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
	if cfg.Replicas <= 1 {
		s, err := eventstore.Open(testContext(tb), js, cfg)
		if err != nil {
			tb.Fatalf("Open: %v", err)
		}
		return s
	}
	// A replicated store is opened as the service opens it (app.go's
	// openStep): on a loaded machine a cluster that has just formed can
	// refuse the placement or leave a request unanswered, so each attempt
	// is bounded and tried again (an unanswered one hung a test for its
	// whole 20 s context).
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		s, err := eventstore.Open(ctx, js, cfg)
		cancel()
		if err == nil {
			return s
		}
		if time.Now().After(deadline) {
			tb.Fatalf("Open: %v", err)
		}
		tb.Logf("Open: %v; trying again", err)
		time.Sleep(200 * time.Millisecond)
	}
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
	return dial(tb, ts.emb.ClientURL(), opts...)
}

// dial connects to url until the test ends.
func dial(tb testing.TB, url string, opts ...nats.Option) jetstream.JetStream {
	tb.Helper()
	nc, err := nats.Connect(url, opts...)
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

// startCluster starts n JetStream servers routed to each other on loopback
// and waits until their meta group is current and can place a stream on
// all of them.
func startCluster(b testing.TB, n int) []*server.Server {
	b.Helper()
	ports := make([]int, n)
	for i := range ports {
		ports[i] = testport.Port(b)
	}
	var routes []*url.URL
	for _, p := range ports {
		routes = append(routes, &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", p)})
	}
	servers := make([]*server.Server, n)
	for i := range servers {
		opts := &server.Options{ServerName: fmt.Sprintf("n%d", i+1), Host: "127.0.0.1", Port: -1,
			JetStream: true, StoreDir: b.TempDir(), NoLog: true, NoSigs: true, Routes: routes}
		opts.Cluster.Name, opts.Cluster.Host, opts.Cluster.Port = "bench", "127.0.0.1", ports[i]
		s, err := server.NewServer(opts)
		if err != nil {
			b.Fatal(err)
		}
		go s.Start()
		b.Cleanup(s.Shutdown)
		servers[i] = s
	}
	deadline := time.Now().Add(30 * time.Second)
	for _, s := range servers {
		for !s.ReadyForConnections(time.Second) || !s.JetStreamIsCurrent() {
			if time.Now().After(deadline) {
				b.Fatalf("%s: not ready with a current meta group after 30 s", s.Name())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	// A current meta group is not yet enough to place a replicated stream:
	// the meta leader must have had every peer's stats, or it answers
	// 10005 "no suitable peers for placement, peer offline" (seen on a
	// loaded machine; the service retries it at start, a test opens once).
	// So place a probe stream of n replicas until it goes through.
	js := connect(b, servers[0])
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: "PROBE", Subjects: []string{"probe"}, Replicas: n})
		if err == nil {
			err = js.DeleteStream(ctx, "PROBE")
		}
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("a stream of %d replicas cannot be placed after 30 s: %v", n, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return servers
}

// followerOf returns a server of the cluster that is not the stream's
// leader, once the stream has one.
func followerOf(tb testing.TB, servers []*server.Server, stream jetstream.Stream) *server.Server {
	tb.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		info, err := stream.Info(context.Background())
		if err != nil {
			tb.Fatal(err)
		}
		if leader := info.Cluster.Leader; leader != "" {
			for _, s := range servers {
				if s.Name() != leader {
					return s
				}
			}
		}
		if time.Now().After(deadline) {
			tb.Fatalf("stream %s has no leader after 10 s", info.Config.Name)
		}
	}
}

// connect connects to one server of a cluster until the test ends.
func connect(tb testing.TB, s *server.Server) jetstream.JetStream {
	tb.Helper()
	return dial(tb, s.ClientURL())
}
