package eventstore_test

import (
	"context"
	"testing"
	"time"

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
		// The stream's update moves it through its replicas; right after,
		// on a loaded machine, a put can go unanswered (CI saw "no
		// response from stream"). Each try is bounded and made again.
		for deadline := time.Now().Add(30 * time.Second); ; {
			try, cancel := context.WithTimeout(ctx, 5*time.Second)
			_, err := kv.Put(try, "key", make([]byte, 32))
			cancel()
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				b.Fatal(err)
			}
			b.Logf("put: %v; trying again", err)
			time.Sleep(100 * time.Millisecond)
		}
		// A client of a follower, once that follower holds the key.
		follower := followerOf(b, servers, stream)
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
