package eventstore_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"sync"
	"testing"
	"time"

	"phananh/eventstore"
	"phananh/projections"
)

func openSnapshots(t *testing.T) *eventstore.Snapshots {
	t.Helper()
	js := startServer(t, t.TempDir(), false).js
	ctx := context.Background()
	if _, err := eventstore.Open(ctx, js, eventstore.Config{}); err != nil {
		t.Fatal(err)
	}
	snaps, err := eventstore.OpenSnapshots(ctx, js, eventstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	return snaps
}

func TestSnapshotsSaveAndLoad(t *testing.T) {
	snaps := openSnapshots(t)
	ctx := context.Background()
	if _, _, err := snaps.LoadSnapshot(ctx, "case_view"); !errors.Is(err, projections.ErrNoSnapshot) {
		t.Fatalf("LoadSnapshot before any save = %v, want ErrNoSnapshot", err)
	}
	created := time.Date(2026, 3, 2, 8, 0, 0, 123456789, time.UTC)
	for i, data := range [][]byte{[]byte("first"), []byte("second"), bytes.Repeat([]byte("third"), 100_000)} {
		want := projections.SnapshotMeta{Model: "case_view", Version: 3, Seq: uint64(10 + i), Created: created.Add(time.Duration(i) * time.Minute)}
		if err := snaps.SaveSnapshot(ctx, want, data); err != nil {
			t.Fatal(err)
		}
		got, gotData, err := snaps.LoadSnapshot(ctx, "case_view")
		if err != nil {
			t.Fatal(err)
		}
		if got != want || !bytes.Equal(gotData, data) {
			t.Errorf("save %d: loaded %+v (%d bytes), want %+v (%d bytes)", i, got, len(gotData), want, len(data))
		}
	}
	if _, _, err := snaps.LoadSnapshot(ctx, "queues"); !errors.Is(err, projections.ErrNoSnapshot) {
		t.Errorf("LoadSnapshot of another model = %v, want ErrNoSnapshot", err)
	}
}

// TestSnapshotLoadWhileAnotherReplicaSaves: a replica that starts while
// another writes snapshots reads a whole one, promptly. (Replacing the
// object being read would leave the reader waiting for purged chunks.)
func TestSnapshotLoadWhileAnotherReplicaSaves(t *testing.T) {
	snaps := openSnapshots(t)
	ctx := context.Background()
	data := make([]byte, 1<<20)
	rand.Read(data)
	save := func(seq uint64) error {
		return snaps.SaveSnapshot(ctx, projections.SnapshotMeta{Model: "m", Version: 1, Seq: seq, Created: time.Now()}, data)
	}
	if err := save(1); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var writer sync.WaitGroup
	writer.Go(func() {
		for seq := uint64(2); ; seq++ {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if err := save(seq); err != nil {
				t.Error(err)
				return
			}
		}
	})
	defer func() { close(stop); writer.Wait() }()
	for i := range 10 {
		start := time.Now()
		meta, got, err := snaps.LoadSnapshot(ctx, "m")
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("load %d: %v, %d bytes", i, err, len(got))
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("load %d of seq %d took %s", i, meta.Seq, took)
		}
	}
}
