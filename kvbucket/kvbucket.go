// Package kvbucket holds what the JetStream KV buckets of named entries
// (staff accounts in USERS, API keys in API_KEYS) share: how a bucket is
// opened without shrinking a replicated one, and which names may be keys.
package kvbucket

import (
	"context"
	"errors"
	"strings"

	"github.com/nats-io/nats.go/jetstream"

	"phananh/domain"
)

// Limits on a name.
const (
	MinNameLen = 3
	MaxNameLen = 64
)

// Open opens the bucket cfg describes. With replicas > 0 it creates the
// bucket or updates it to that many replicas, as every server replica does
// at start; with replicas == 0 it uses the bucket as it is, creating it with
// one replica only if it is missing (what an operator's command line wants:
// it must not shrink a replicated bucket). cfg.Replicas is ignored.
func Open(ctx context.Context, js jetstream.JetStream, cfg jetstream.KeyValueConfig, replicas int) (jetstream.KeyValue, error) {
	cfg.Replicas = max(replicas, 1)
	if replicas > 0 {
		return js.CreateOrUpdateKeyValue(ctx, cfg)
	}
	kv, err := js.KeyValue(ctx, cfg.Bucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		kv, err = js.CreateKeyValue(ctx, cfg)
		if errors.Is(err, jetstream.ErrBucketExists) {
			kv, err = js.KeyValue(ctx, cfg.Bucket) // created by someone else meanwhile
		}
	}
	return kv, err
}

// CheckName accepts 3 to 64 characters of [a-z0-9._-] that begin and end
// with a letter or digit. The ends matter because the name is the KV key,
// and a key may not begin or end with a dot or hold "..".
func CheckName(name string) error {
	if len(name) < MinNameLen || len(name) > MaxNameLen {
		return domain.FieldErrorf(domain.EINVALID, "name", "a name has %d to %d characters", MinNameLen, MaxNameLen)
	}
	for i := 0; i < len(name); i++ {
		b := name[i]
		alnum := b >= 'a' && b <= 'z' || b >= '0' && b <= '9'
		if !alnum && b != '.' && b != '_' && b != '-' {
			return domain.FieldErrorf(domain.EINVALID, "name", "a name may hold only a-z, 0-9, '.', '_' and '-'")
		}
		if !alnum && (i == 0 || i == len(name)-1) {
			return domain.FieldErrorf(domain.EINVALID, "name", "a name begins and ends with a letter or a digit")
		}
	}
	if strings.Contains(name, "..") {
		return domain.FieldErrorf(domain.EINVALID, "name", "a name may not hold two dots in a row")
	}
	return nil
}
