package eventstore

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"phananh/domain"
)

// KeysBucket is the KV bucket that holds one AES-256 key per sealed reporter
// identity. Destroying a key is how a person is erased from an immutable log
// (crypto-shredding, DESIGN.md §3).
const KeysBucket = "REPORTER_KEYS"

// SecretsBucket holds the process-wide secrets (token signing keys, digest
// keys) that every replica must share.
const SecretsBucket = "PHANANH_SECRETS"

// ErrErased reports that a reporter's key was erased: the sealed identity
// can never be opened again. Callers show the reporter as erased. It is
// domain.ErrReporterErased, so the application can test for it.
var ErrErased = domain.ErrReporterErased

const (
	keySize = 32 // AES-256
	// kvOperationHeader marks KV delete and purge markers.
	kvOperationHeader = "KV-Operation"
)

// openVault creates the key and secret buckets.
//
// REPORTER_KEYS is created as a stream rather than with
// CreateOrUpdateKeyValue because a KV bucket's stream denies message
// deletion, and Erase needs a secure delete: a plain KV delete or purge only
// marks the key's message as removed, leaving its bytes in the block file on
// disk until the block is compacted, which defeats crypto-shredding. The
// stream is otherwise the same as a KV bucket with History 1, and is bound
// as one.
//
// A replicated stream does not allow direct gets: any of its servers may
// answer one, a follower that has not yet applied an erasure among them,
// which would hand out a key Erase has already destroyed (a follower
// serves direct gets once it is nearly, not fully, caught up:
// nats-server's monitorStream). Reads go to the stream's leader instead,
// which answers after it has applied each erasure. With one replica there
// is no follower, and direct gets are kept for their speed.
func (s *Store) openVault(ctx context.Context, cfg Config) error {
	stream, err := s.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:              "KV_" + KeysBucket,
		Description:       "phananh reporter keys (erasing one erases a person)",
		Subjects:          []string{"$KV." + KeysBucket + ".>"},
		Storage:           jetstream.FileStorage,
		Replicas:          cfg.Replicas,
		MaxMsgsPerSubject: 1, // History 1: no older key material is kept
		MaxMsgs:           -1,
		MaxBytes:          -1,
		MaxMsgSize:        -1,
		MaxConsumers:      -1,
		Discard:           jetstream.DiscardNew,
		Duplicates:        2 * time.Minute,
		AllowRollup:       true,
		AllowDirect:       cfg.Replicas == 1,
		DenyDelete:        false,
	})
	if err != nil {
		return fmt.Errorf("eventstore: open bucket %s: %w", KeysBucket, err)
	}
	keys, err := s.js.KeyValue(ctx, KeysBucket)
	if err != nil {
		return fmt.Errorf("eventstore: open bucket %s: %w", KeysBucket, err)
	}
	secrets, err := s.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:      SecretsBucket,
		Description: "phananh shared secrets",
		History:     1,
		Storage:     jetstream.FileStorage,
		Replicas:    cfg.Replicas,
	})
	if err != nil {
		return fmt.Errorf("eventstore: open bucket %s: %w", SecretsBucket, err)
	}
	s.keysStream, s.keys, s.secrets = stream, keys, secrets
	return nil
}

// Seal encrypts a reporter's identity with a new key of its own: AES-256-GCM
// with a random nonce and the key id as additional data, so a sealed value
// cannot be passed off under another reporter's key. The key is stored
// before Seal returns, with Create so an existing key is never overwritten.
// If the caller then fails to append the event that holds the sealed value,
// the key is an orphan that seals nothing in the log.
func (s *Store) Seal(ctx context.Context, plaintext []byte) (domain.SealedReporter, error) {
	id, err := uuid.NewV7()
	if err != nil {
		return domain.SealedReporter{}, fmt.Errorf("eventstore: seal: %w", err)
	}
	keyID := id.String()
	key := make([]byte, keySize)
	if _, err := rand.Read(key); err != nil {
		return domain.SealedReporter{}, fmt.Errorf("eventstore: seal: %w", err)
	}
	aead, err := newAEAD(key)
	if err != nil {
		return domain.SealedReporter{}, fmt.Errorf("eventstore: seal: %w", err)
	}
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plaintext)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return domain.SealedReporter{}, fmt.Errorf("eventstore: seal: %w", err)
	}
	if _, err := s.keys.Create(ctx, keyID, key); err != nil {
		return domain.SealedReporter{}, fmt.Errorf("eventstore: seal: store key %s: %w", keyID, err)
	}
	sealed := aead.Seal(nonce, nonce, plaintext, []byte(keyID))
	return domain.SealedReporter{KeyID: keyID, Sealed: sealed}, nil
}

// Open decrypts a sealed identity. It returns an error wrapping ErrErased if
// the key was erased, and an authentication error if the sealed bytes were
// altered or belong to another key.
func (s *Store) Open(ctx context.Context, sealed domain.SealedReporter) ([]byte, error) {
	if _, err := uuid.Parse(sealed.KeyID); err != nil {
		return nil, fmt.Errorf("eventstore: open sealed reporter: key id %q: %w", sealed.KeyID, err)
	}
	entry, err := s.keys.Get(ctx, sealed.KeyID)
	if errors.Is(err, jetstream.ErrKeyNotFound) {
		erased, lookErr := s.erased(ctx, sealed.KeyID)
		if lookErr != nil {
			return nil, fmt.Errorf("eventstore: open sealed reporter %s: %w", sealed.KeyID, lookErr)
		}
		if erased {
			return nil, fmt.Errorf("eventstore: open sealed reporter %s: %w", sealed.KeyID, ErrErased)
		}
		return nil, fmt.Errorf("eventstore: open sealed reporter %s: %w", sealed.KeyID, domain.Errorf(domain.ENOTFOUND, "reporter key %s not found", sealed.KeyID))
	}
	if err != nil {
		return nil, fmt.Errorf("eventstore: open sealed reporter %s: %w", sealed.KeyID, err)
	}
	aead, err := newAEAD(entry.Value())
	if err != nil {
		return nil, fmt.Errorf("eventstore: open sealed reporter %s: %w", sealed.KeyID, err)
	}
	if len(sealed.Sealed) < aead.NonceSize() {
		return nil, fmt.Errorf("eventstore: open sealed reporter %s: sealed value too short", sealed.KeyID)
	}
	nonce, ciphertext := sealed.Sealed[:aead.NonceSize()], sealed.Sealed[aead.NonceSize():]
	plaintext, err := aead.Open(nil, nonce, ciphertext, []byte(sealed.KeyID))
	if err != nil {
		return nil, fmt.Errorf("eventstore: open sealed reporter %s: %w", sealed.KeyID, err)
	}
	return plaintext, nil
}

// erased tells an erased key (its subject ends in a delete or purge marker)
// from one that never existed. It reads one message, not a consumer: by
// direct get with one replica, from the stream's leader otherwise
// (openVault says why).
func (s *Store) erased(ctx context.Context, keyID string) (bool, error) {
	msg, err := s.keysStream.GetLastMsgForSubject(ctx, keySubject(keyID))
	if errors.Is(err, jetstream.ErrMsgNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return msg.Header.Get(kvOperationHeader) != "", nil
}

// Erase destroys a reporter's key so that what it sealed can never be read
// again. The key's message is first deleted securely (the server overwrites
// its bytes on disk), then the key is purged, which leaves only a purge
// marker: no history keeps the key. Erase is idempotent, so a failed erasure
// can simply be retried; the caller records it with a reporter_erased event.
func (s *Store) Erase(ctx context.Context, keyID string) error {
	if _, err := uuid.Parse(keyID); err != nil {
		return fmt.Errorf("eventstore: erase: key id %q: %w", keyID, err)
	}
	for {
		msg, err := s.keysStream.GetLastMsgForSubject(ctx, keySubject(keyID))
		if errors.Is(err, jetstream.ErrMsgNotFound) {
			break
		}
		if err != nil {
			return fmt.Errorf("eventstore: erase %s: %w", keyID, err)
		}
		if msg.Header.Get(kvOperationHeader) != "" {
			break // already a delete or purge marker: no key material left
		}
		if err := s.keysStream.SecureDeleteMsg(ctx, msg.Sequence); err != nil {
			return fmt.Errorf("eventstore: erase %s: secure delete: %w", keyID, err)
		}
	}
	if err := s.keys.Purge(ctx, keyID); err != nil {
		return fmt.Errorf("eventstore: erase %s: purge: %w", keyID, err)
	}
	return nil
}

func keySubject(keyID string) string {
	return "$KV." + KeysBucket + "." + keyID
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != keySize {
		return nil, fmt.Errorf("key has %d bytes, want %d", len(key), keySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// Secret returns the 32-byte secret called name, creating it on first use.
// It is created with Create, so replicas that start together agree on one
// value: the losers of the race read the winner's.
func (s *Store) Secret(ctx context.Context, name string) ([]byte, error) {
	for attempt := 0; attempt < 3; attempt++ {
		entry, err := s.secrets.Get(ctx, name)
		if err == nil {
			return entry.Value(), nil
		}
		if !errors.Is(err, jetstream.ErrKeyNotFound) {
			return nil, fmt.Errorf("eventstore: secret %s: %w", name, err)
		}
		value := make([]byte, keySize)
		if _, err := rand.Read(value); err != nil {
			return nil, fmt.Errorf("eventstore: secret %s: %w", name, err)
		}
		_, err = s.secrets.Create(ctx, name, value)
		if err == nil {
			return value, nil
		}
		if !errors.Is(err, jetstream.ErrKeyExists) {
			return nil, fmt.Errorf("eventstore: secret %s: %w", name, err)
		}
		// Another replica created it first; read its value.
	}
	// A replica that lags behind the one that created it: the caller may
	// try again (it wraps jetstream.ErrKeyNotFound for that).
	return nil, fmt.Errorf("eventstore: secret %s: created elsewhere but not readable yet: %w", name, jetstream.ErrKeyNotFound)
}
