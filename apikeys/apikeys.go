// Package apikeys holds the keys an operator issues to Open311 clients (a
// city's 311 app, a partner's portal) so they may post requests. Keys live
// in the JetStream KV bucket API_KEYS, one entry per client name, so every
// replica checks against the same set and a revocation takes effect on the
// next request everywhere.
//
// A key is printed once, when it is issued, and stored only as its SHA-256:
// it carries 256 random bits, so a fast hash is enough (no one can guess a
// key from its hash), unlike a password, which needs bcrypt.
package apikeys

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"phananh/domain"
	"phananh/kvbucket"
)

// Bucket is the KV bucket of API keys.
const Bucket = "API_KEYS"

// bucketHistory keeps a few past versions of each entry, so an operator
// can see with the nats CLI when a key was revoked.
const bucketHistory = 5

// Limits on a client's name.
const (
	MinNameLen = kvbucket.MinNameLen
	MaxNameLen = kvbucket.MaxNameLen
)

// ErrInvalidKey is the one answer to a key that is malformed, unknown or
// revoked: the caller learns nothing about which.
var ErrInvalidKey = errors.New("apikeys: invalid or revoked API key")

// Key is an issued key as the bucket stores it (JSON, keyed by Name). It
// holds the key's hash, never the key.
type Key struct {
	Name      string     `json:"name"`
	SHA256    string     `json:"sha256"` // hex SHA-256 of the whole key
	CreatedAt time.Time  `json:"created_at"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
}

// Revoked reports whether the key was revoked.
func (k Key) Revoked() bool { return k.RevokedAt != nil }

// Store reads and writes the API_KEYS bucket. It is safe for concurrent use.
type Store struct {
	kv  jetstream.KeyValue
	now func() time.Time
}

// Open opens the API_KEYS bucket. With replicas > 0 it creates the bucket
// or updates it to that many replicas, as every server replica does at
// start; with replicas == 0 it uses the bucket as it is, creating it with
// one replica only if it is missing (what an operator's command line
// wants: it must not shrink a replicated bucket).
func Open(ctx context.Context, js jetstream.JetStream, replicas int) (*Store, error) {
	if js == nil {
		return nil, errors.New("apikeys: open: nil JetStream")
	}
	kv, err := kvbucket.Open(ctx, js, jetstream.KeyValueConfig{
		Bucket:      Bucket,
		Description: "phananh Open311 API keys (SHA-256 hashes)",
		History:     bucketHistory,
		Storage:     jetstream.FileStorage,
	}, replicas)
	if err != nil {
		return nil, fmt.Errorf("apikeys: open bucket %s: %w", Bucket, err)
	}
	return &Store{kv: kv, now: time.Now}, nil
}

// NormalizeName is the form a client's name is stored in: trimmed and
// lower-cased.
func NormalizeName(name string) string {
	return strings.ToLower(strings.TrimSpace(name))
}

// CheckName accepts 3 to 64 characters of [a-z0-9._-] that begin and end
// with a letter or digit, without "..": the name is the KV key.
func CheckName(name string) error { return kvbucket.CheckName(name) }

// A key is "<name>.<64 hex digits>": the name says which entry to compare
// with (one KV get, no scan), the 32 random bytes are the secret. The
// secret holds no dot, so the last dot splits a key whatever the name.
const secretBytes = 32

func hashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Add issues a key for a client and returns it; it is not stored and
// cannot be shown again. It returns an EINVALID error naming "name" for a
// bad name, and ECONFLICT if the name was ever used (revoked keys
// included: a name is never reused, so logs stay unambiguous).
func (s *Store) Add(ctx context.Context, name string) (string, error) {
	name = NormalizeName(name)
	if err := CheckName(name); err != nil {
		return "", err
	}
	secret := make([]byte, secretBytes)
	if _, err := rand.Read(secret); err != nil {
		return "", fmt.Errorf("apikeys: add %s: %w", name, err)
	}
	key := name + "." + hex.EncodeToString(secret)
	data, err := json.Marshal(Key{Name: name, SHA256: hashKey(key), CreatedAt: s.now().UTC()})
	if err != nil {
		return "", fmt.Errorf("apikeys: add %s: %w", name, err)
	}
	if _, err := s.kv.Create(ctx, name, data); errors.Is(err, jetstream.ErrKeyExists) {
		return "", domain.FieldErrorf(domain.ECONFLICT, "name", "a key named %s was issued already", name)
	} else if err != nil {
		return "", fmt.Errorf("apikeys: add %s: %w", name, err)
	}
	return key, nil
}

// load reads an entry and its KV revision; ENOTFOUND if there is none.
func (s *Store) load(ctx context.Context, name string) (Key, uint64, error) {
	if CheckName(name) != nil {
		return Key{}, 0, domain.Errorf(domain.ENOTFOUND, "no key named %q", name)
	}
	entry, err := s.kv.Get(ctx, name)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		return Key{}, 0, domain.Errorf(domain.ENOTFOUND, "no key named %s", name)
	}
	if err != nil {
		return Key{}, 0, fmt.Errorf("apikeys: get %s: %w", name, err)
	}
	var k Key
	if err := json.Unmarshal(entry.Value(), &k); err != nil {
		return Key{}, 0, fmt.Errorf("apikeys: get %s: decode: %w", name, err)
	}
	return k, entry.Revision(), nil
}

// Check returns the name of the client a key was issued to. It returns
// ErrInvalidKey for a malformed, unknown or revoked key, and other errors
// (the bucket unreachable) as they are. It reads the bucket on every call,
// so a revocation counts from the next request on.
func (s *Store) Check(ctx context.Context, key string) (string, error) {
	dot := strings.LastIndexByte(key, '.')
	if dot < 0 || len(key)-dot-1 != 2*secretBytes || len(key) > MaxNameLen+1+2*secretBytes {
		return "", ErrInvalidKey
	}
	k, _, err := s.load(ctx, key[:dot])
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return "", ErrInvalidKey
	}
	if err != nil {
		return "", err
	}
	if subtle.ConstantTimeCompare([]byte(hashKey(key)), []byte(k.SHA256)) != 1 || k.Revoked() {
		return "", ErrInvalidKey
	}
	return k.Name, nil
}

// List returns every issued key, revoked ones included, sorted by name.
func (s *Store) List(ctx context.Context) ([]Key, error) {
	w, err := s.kv.WatchAll(ctx, jetstream.IgnoreDeletes())
	if err != nil {
		return nil, fmt.Errorf("apikeys: list: %w", err)
	}
	defer w.Stop()
	keys := []Key{}
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("apikeys: list: %w", ctx.Err())
		case entry, ok := <-w.Updates():
			if !ok {
				return nil, errors.New("apikeys: list: the watch closed early")
			}
			if entry == nil { // every current value was delivered
				slices.SortFunc(keys, func(a, b Key) int { return strings.Compare(a.Name, b.Name) })
				return keys, nil
			}
			var k Key
			if err := json.Unmarshal(entry.Value(), &k); err != nil {
				return nil, fmt.Errorf("apikeys: list: decode %s: %w", entry.Key(), err)
			}
			keys = append(keys, k)
		}
	}
}

// Revoke marks a key revoked; Check refuses it from then on. Revoking a
// revoked key succeeds. It returns ENOTFOUND if there is no such key.
func (s *Store) Revoke(ctx context.Context, name string) error {
	name = NormalizeName(name)
	for attempt := 0; attempt < 5; attempt++ {
		k, rev, err := s.load(ctx, name)
		if err != nil {
			return err
		}
		if k.Revoked() {
			return nil
		}
		now := s.now().UTC()
		k.RevokedAt = &now
		data, err := json.Marshal(k)
		if err != nil {
			return fmt.Errorf("apikeys: revoke %s: %w", name, err)
		}
		_, err = s.kv.Update(ctx, name, data, rev)
		if errors.Is(err, jetstream.ErrKeyRevisionMismatch) {
			continue // changed meanwhile: read it again
		}
		if err != nil {
			return fmt.Errorf("apikeys: revoke %s: %w", name, err)
		}
		return nil
	}
	return domain.Errorf(domain.ECONFLICT, "key %s keeps changing; try again", name)
}
