package eventstore_test

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// BenchmarkKeyReadReplicated reads one key of a three-replica bucket from a
// client connected to a follower of the bucket's stream, as an API replica
// opens a reporter's key in a cluster: "direct" lets any replica answer (a
// direct get, what the keys stream allowed before f240bfe), "leader" routes
// the read to the stream's leader (AllowDirect off, what the keys stream
// of a cluster does now, so that a follower that has not yet applied an
// erasure cannot hand the key out). The three servers run in this process
// on loopback, so the figure is the cost of the extra hop through the
// leader, not of a network between machines.
func BenchmarkKeyReadReplicated(b *testing.B) {
	servers := startCluster(b, 3)
	ctx := context.Background()
	admin := connect(b, servers[0])
	readers := map[string]jetstream.KeyValue{}
	modes := []struct {
		name   string
		direct bool
	}{{"direct", true}, {"leader", false}}
	for _, mode := range modes {
		bucket := "bench_" + mode.name
		kv, err := admin.CreateKeyValue(ctx, jetstream.KeyValueConfig{Bucket: bucket, Replicas: 3, Storage: jetstream.FileStorage})
		if err != nil {
			b.Fatal(err)
		}
		stream, err := admin.Stream(ctx, "KV_"+bucket)
		if err != nil {
			b.Fatal(err)
		}
		cfg := stream.CachedInfo().Config
		cfg.AllowDirect = mode.direct
		if _, err := admin.UpdateStream(ctx, cfg); err != nil {
			b.Fatal(err)
		}
		if _, err := kv.Put(ctx, "key", make([]byte, 32)); err != nil {
			b.Fatal(err)
		}
		// A client of a follower, once the stream has a leader and that
		// follower holds the key.
		info, err := stream.Info(ctx)
		for wait := time.Now().Add(10 * time.Second); err == nil && info.Cluster.Leader == ""; {
			if time.Now().After(wait) {
				b.Fatalf("stream %s has no leader after 10 s", cfg.Name)
			}
			time.Sleep(10 * time.Millisecond)
			info, err = stream.Info(ctx)
		}
		if err != nil {
			b.Fatal(err)
		}
		var follower *server.Server
		for _, s := range servers {
			if s.Name() != info.Cluster.Leader {
				follower = s
				break
			}
		}
		reader, err := connect(b, follower).KeyValue(ctx, bucket)
		if err != nil {
			b.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			if _, err = reader.Get(ctx, "key"); err == nil {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("the follower %s never read the key: %v", follower.Name(), err)
			}
			time.Sleep(10 * time.Millisecond)
		}
		readers[mode.name] = reader
	}
	for _, mode := range modes {
		b.Run(mode.name, func(b *testing.B) {
			reader := readers[mode.name]
			for b.Loop() {
				if _, err := reader.Get(ctx, "key"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// startCluster starts n JetStream servers routed to each other on loopback
// and waits until their meta group is current.
func startCluster(b *testing.B, n int) []*server.Server {
	b.Helper()
	ports := make([]int, n)
	for i := range ports {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			b.Fatal(err)
		}
		ports[i] = l.Addr().(*net.TCPAddr).Port
		l.Close()
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
	return servers
}

func connect(b *testing.B, s *server.Server) jetstream.JetStream {
	b.Helper()
	nc, err := nats.Connect(s.ClientURL())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		b.Fatal(err)
	}
	return js
}
