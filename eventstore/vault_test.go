package eventstore_test

import (
	"bytes"
	"errors"
	"sync"
	"testing"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"phananh/domain"
	"phananh/eventstore"
	"phananh/eventstore/datadirtest"
)

var identity = []byte(`{"name":"Nguyễn Văn An","phone":"+84901234567","email":"an@example.vn"}`)

func TestSealOpenRoundTrip(t *testing.T) {
	js := startJS(t)
	ctx := testContext(t)
	s := openStore(t, js, eventstore.Config{})

	sealed, err := s.Seal(ctx, identity)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := uuid.Parse(sealed.KeyID); err != nil {
		t.Errorf("key id %q is not a UUID: %v", sealed.KeyID, err)
	}
	if bytes.Contains(sealed.Sealed, identity) || bytes.Contains(sealed.Sealed, []byte("0901234567")) {
		t.Error("sealed value contains the plaintext")
	}
	got, err := s.Open(ctx, sealed)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, identity) {
		t.Errorf("Open = %q, want %q", got, identity)
	}

	// Sealing the same identity twice uses two keys and two nonces.
	again, err := s.Seal(ctx, identity)
	if err != nil {
		t.Fatal(err)
	}
	if again.KeyID == sealed.KeyID || bytes.Equal(again.Sealed, sealed.Sealed) {
		t.Error("two seals share a key or a ciphertext")
	}

	// The key id is authenticated: a sealed value cannot be moved to
	// another key, and altered bytes are refused.
	swapped := domain.SealedReporter{KeyID: again.KeyID, Sealed: sealed.Sealed}
	if _, err := s.Open(ctx, swapped); err == nil {
		t.Error("Open accepted a sealed value under another key")
	}
	altered := domain.SealedReporter{KeyID: sealed.KeyID, Sealed: append([]byte(nil), sealed.Sealed...)}
	altered.Sealed[len(altered.Sealed)-1] ^= 1
	if _, err := s.Open(ctx, altered); err == nil {
		t.Error("Open accepted an altered sealed value")
	}
	unknown := domain.SealedReporter{KeyID: uuid.NewString(), Sealed: sealed.Sealed}
	if _, err := s.Open(ctx, unknown); errors.Is(err, eventstore.ErrErased) || domain.ErrorCode(err) != domain.ENOTFOUND {
		t.Errorf("unknown key: err = %v, want not_found and not ErrErased", err)
	}
}

func TestEraseShredsTheKey(t *testing.T) {
	ts := startServer(t, t.TempDir(), true)
	ctx := testContext(t)
	s := openStore(t, ts.js, eventstore.Config{})
	sealed, err := s.Seal(ctx, identity)
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.Seal(ctx, []byte("someone else"))
	if err != nil {
		t.Fatal(err)
	}
	kv, err := ts.js.KeyValue(ctx, eventstore.KeysBucket)
	if err != nil {
		t.Fatal(err)
	}
	entry, err := kv.Get(ctx, sealed.KeyID)
	if err != nil {
		t.Fatal(err)
	}
	key := entry.Value()
	if len(key) != 32 {
		t.Fatalf("key has %d bytes, want 32", len(key))
	}
	if !onDisk(t, ts.dir, key) {
		t.Fatal("key not found on disk before Erase: the disk check below would prove nothing")
	}

	if err := s.Erase(ctx, sealed.KeyID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Open(ctx, sealed); !errors.Is(err, eventstore.ErrErased) {
		t.Fatalf("Open after Erase: err = %v, want ErrErased", err)
	}
	history, err := kv.History(ctx, sealed.KeyID)
	if err != nil && !errors.Is(err, jetstream.ErrKeyNotFound) {
		t.Fatal(err)
	}
	for _, e := range history {
		if len(e.Value()) > 0 || e.Operation() == jetstream.KeyValuePut {
			t.Errorf("history keeps revision %d (%v) with %d bytes", e.Revision(), e.Operation(), len(e.Value()))
		}
	}
	if onDisk(t, ts.dir, key) {
		t.Error("the erased key's bytes are still in the data directory")
	}
	// Erasing again is harmless, and other reporters are untouched.
	if err := s.Erase(ctx, sealed.KeyID); err != nil {
		t.Fatalf("second Erase: %v", err)
	}
	if got, err := s.Open(ctx, other); err != nil || string(got) != "someone else" {
		t.Errorf("another reporter after Erase: %q, %v", got, err)
	}
}

// onDisk reports whether any file under dir contains b.
func onDisk(t *testing.T, dir string, b []byte) bool {
	t.Helper()
	for _, f := range datadirtest.Files(t, dir) {
		if bytes.Contains(f.Data, b) {
			return true
		}
	}
	return false
}

func TestSecretIsSharedByConcurrentReplicas(t *testing.T) {
	ts := startServer(t, t.TempDir(), true)
	ctx := testContext(t)
	// Two stores on two connections stand for two API replicas.
	a := openStore(t, ts.js, eventstore.Config{})
	b := openStore(t, startClient(t, ts), eventstore.Config{})

	const n = 20
	values := make([][]byte, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() { values[i], errs[i] = s.Secret(ctx, "tracking-code-key") })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Secret %d: %v", i, errs[i])
		}
		if len(values[i]) != 32 || !bytes.Equal(values[i], values[0]) {
			t.Fatalf("Secret %d = %x, want %x", i, values[i], values[0])
		}
	}
	other, err := a.Secret(ctx, "session-key")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(other, values[0]) {
		t.Error("two secrets share a value")
	}
}
