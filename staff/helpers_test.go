package staff_test

import (
	"context"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"

	"phananh/eventstore"
	"phananh/staff"
)

// startServer starts a real embedded JetStream server with its storage in
// t.TempDir() and returns its client URL.
func startServer(t testing.TB) string {
	t.Helper()
	emb, err := eventstore.StartEmbedded(eventstore.EmbeddedOptions{DataDir: t.TempDir(), Listen: "127.0.0.1:-1"})
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	t.Cleanup(emb.Shutdown)
	return emb.ClientURL()
}

// connect opens a connection of its own to url, as another replica would.
func connect(t testing.TB, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatalf("jetstream: %v", err)
	}
	return js
}

// openDirectory opens a Directory with the cheapest bcrypt cost: a cost-12
// hash takes seconds under the race detector.
func openDirectory(t testing.TB, js jetstream.JetStream, opts ...staff.Option) *staff.Directory {
	t.Helper()
	opts = append([]staff.Option{staff.WithCost(bcrypt.MinCost)}, opts...)
	d, err := staff.Open(testContext(t), js, 1, opts...)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(d.Close)
	return d
}

func testContext(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// checkFor polls f until it succeeds or total runs out (nats-server's habit).
func checkFor(t testing.TB, total, every time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met after %s: %v", total, err)
		}
		time.Sleep(every)
	}
}
