package staff

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"phananh/kvbucket"
)

// RevokedBucket is the KV bucket of tokens ended before their expiry (by
// logging out). Its entries age out with the tokens they name.
const RevokedBucket = "REVOKED_TOKENS"

// Revocations is the set of revoked tokens that have not expired yet. A
// token is signed, not stored, so logging out puts its digest here, and
// every replica watches the bucket and refuses it from then on. It is safe
// for concurrent use; Close stops the watch.
type Revocations struct {
	kv  jetstream.KeyValue
	log *slog.Logger

	mu      sync.RWMutex
	revoked map[string]time.Time // token digest → when the token expires anyway

	stop context.CancelFunc
	done chan struct{}
}

// revocationMargin keeps an entry a little past the longest token life,
// for clocks that disagree between replicas.
const revocationMargin = 5 * time.Minute

// OpenRevocations opens (or creates) the bucket, keeping entries for
// tokenTTL, and starts watching it. It returns once every current entry
// is known.
func OpenRevocations(ctx context.Context, js jetstream.JetStream, replicas int, tokenTTL time.Duration, log *slog.Logger) (*Revocations, error) {
	if log == nil {
		log = slog.Default()
	}
	kv, err := kvbucket.Open(ctx, js, jetstream.KeyValueConfig{
		Bucket:      RevokedBucket,
		Description: "phananh staff tokens ended by logging out (SHA-256 of the token)",
		TTL:         tokenTTL + revocationMargin,
		Storage:     jetstream.FileStorage,
	}, replicas)
	if err != nil {
		return nil, fmt.Errorf("staff: open bucket %s: %w", RevokedBucket, err)
	}
	r := &Revocations{kv: kv, log: log, revoked: map[string]time.Time{}}
	watchCtx, stop := context.WithCancel(context.Background())
	r.stop, r.done = stop, make(chan struct{})
	synced := make(chan struct{})
	go r.watch(watchCtx, synced)
	select {
	case <-synced:
		return r, nil
	case <-ctx.Done():
		r.Close()
		return nil, fmt.Errorf("staff: open %s: waiting for the revoked tokens: %w", RevokedBucket, ctx.Err())
	}
}

// Close stops the watch.
func (r *Revocations) Close() {
	r.stop()
	<-r.done
}

// tokenDigest is a token's key in the bucket: the token itself is a
// credential until it expires and must not be readable there.
func tokenDigest(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// Revoke ends token (which expires at expires) on every replica. This
// replica refuses it at once; the others as soon as their watch delivers
// the entry, normally within milliseconds.
func (r *Revocations) Revoke(ctx context.Context, token string, expires time.Time) error {
	key := tokenDigest(token)
	if _, err := r.kv.Put(ctx, key, []byte(expires.UTC().Format(time.RFC3339))); err != nil {
		return fmt.Errorf("staff: revoke token: %w", err)
	}
	r.remember(key, expires, time.Now())
	return nil
}

// Revoked reports whether token was revoked.
func (r *Revocations) Revoked(token string) bool {
	r.mu.RLock()
	defer r.mu.RUnlock()
	_, ok := r.revoked[tokenDigest(token)]
	return ok
}

// Len is how many revoked, unexpired tokens are remembered.
func (r *Revocations) Len() int {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return len(r.revoked)
}

// remember adds a digest and forgets the entries whose tokens expired
// (the bucket's TTL removes them there without telling the watch).
func (r *Revocations) remember(key string, expires, now time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, exp := range r.revoked {
		if now.After(exp.Add(revocationMargin)) {
			delete(r.revoked, k)
		}
	}
	r.revoked[key] = expires
}

// watch keeps the set current, re-establishing the watch if it ends.
func (r *Revocations) watch(ctx context.Context, synced chan struct{}) {
	defer close(r.done)
	var once sync.Once
	markSynced := func() { once.Do(func() { close(synced) }) }
	backoff := 100 * time.Millisecond
	for {
		err := r.watchOnce(ctx, markSynced)
		if ctx.Err() != nil {
			return
		}
		r.log.Warn("staff: the revoked tokens watch ended; restarting", "err", err, "in", backoff)
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 5*time.Second)
	}
}

// watchOnce runs one watch until it ends. Entries are only ever added (a
// revoked token is never un-revoked), so every value delivered is added.
func (r *Revocations) watchOnce(ctx context.Context, synced func()) error {
	w, err := r.kv.WatchAll(ctx)
	if err != nil {
		return err
	}
	defer w.Stop()
	for entry := range w.Updates() {
		if entry == nil {
			synced()
			continue
		}
		if entry.Operation() != jetstream.KeyValuePut {
			continue
		}
		expires, err := time.Parse(time.RFC3339, string(entry.Value()))
		if err != nil {
			// Unreadable: keep it revoked for the longest a token can live.
			expires = entry.Created().Add(24 * time.Hour)
		}
		r.remember(entry.Key(), expires, time.Now())
	}
	return errors.New("watch closed")
}
