package eventstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"phananh/projections"
)

// SnapshotsBucket is the Object Store bucket that holds the read models'
// snapshots, one object per model, named after the model. An object store
// rather than a KV bucket: a snapshot of every case is far larger than a KV
// value may be.
const SnapshotsBucket = "SNAPSHOTS"

// Object metadata of a snapshot.
const (
	metaSnapModel         = "phananh-model"
	metaSnapVersion       = "phananh-model-version"
	metaSnapSeq           = "phananh-stream-seq"
	metaSnapStream        = "phananh-stream"
	metaSnapStreamCreated = "phananh-stream-created"
	metaSnapCreated       = "phananh-created"
)

// Snapshots keeps the read models' snapshots in the SNAPSHOTS bucket. It
// implements projections.SnapshotStore. Each snapshot records the stream it
// was taken from, by name and creation time, so a snapshot never outlives
// the log it describes: a CASES stream deleted and created again gets
// rebuilt read models, whatever sequences the new stream reaches.
//
// A model's snapshot is a link named after the model ("case_view") to one
// of two objects, "case_view.a" and "case_view.b": a new snapshot is
// written to the object the link does not point to, and then the link is
// moved. Replacing the object a replica is reading would purge its chunks
// under it (the object store client then waits for chunks that are gone),
// so a reader is only disturbed if two snapshots are written while it
// reads one; LoadSnapshot then tries again.
//
// Every replica writes the same objects; the last write wins, and since
// each snapshot is whole and says which sequence it reflects, any of them
// is a correct place to start from.
type Snapshots struct {
	obj     jetstream.ObjectStore
	stream  string
	created time.Time
}

// OpenSnapshots creates the SNAPSHOTS bucket, or updates it to cfg, and
// returns the snapshots of the CASES stream, which must exist (Open creates
// it).
func OpenSnapshots(ctx context.Context, js jetstream.JetStream, cfg Config) (*Snapshots, error) {
	if js == nil {
		return nil, errors.New("eventstore: open snapshots: nil JetStream")
	}
	stream, err := js.Stream(ctx, StreamName)
	if err != nil {
		return nil, fmt.Errorf("eventstore: open snapshots: stream %s: %w", StreamName, err)
	}
	info := stream.CachedInfo()
	obj, err := js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      SnapshotsBucket,
		Description: "phananh read model snapshots (derived from CASES; safe to delete)",
		Storage:     jetstream.FileStorage,
		Replicas:    max(cfg.Replicas, 1),
		Compression: true, // JSON of repetitive records: several times smaller
	})
	if err != nil {
		return nil, fmt.Errorf("eventstore: open bucket %s: %w", SnapshotsBucket, err)
	}
	return &Snapshots{obj: obj, stream: info.Config.Name, created: info.Created.UTC()}, nil
}

// SaveSnapshot implements projections.SnapshotStore: it writes the model's
// spare object and points the model's link at it.
func (s *Snapshots) SaveSnapshot(ctx context.Context, meta projections.SnapshotMeta, data []byte) error {
	slot := meta.Model + ".a"
	if current, _, err := s.current(ctx, meta.Model); err == nil && current == slot {
		slot = meta.Model + ".b"
	}
	info, err := s.obj.Put(ctx, jetstream.ObjectMeta{
		Name:        slot,
		Description: "snapshot of read model " + meta.Model,
		Metadata: map[string]string{
			metaSnapModel:         meta.Model,
			metaSnapVersion:       strconv.Itoa(meta.Version),
			metaSnapSeq:           strconv.FormatUint(meta.Seq, 10),
			metaSnapStream:        s.stream,
			metaSnapStreamCreated: s.created.Format(time.RFC3339Nano),
			metaSnapCreated:       meta.Created.UTC().Format(time.RFC3339Nano),
		},
	}, bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("eventstore: save snapshot %s: %w", meta.Model, err)
	}
	if _, err := s.obj.AddLink(ctx, meta.Model, info); err != nil {
		return fmt.Errorf("eventstore: save snapshot %s: link to %s: %w", meta.Model, slot, err)
	}
	return nil
}

// current returns the object the model's link points to, and that
// object's NUID (which changes whenever the object is written again).
func (s *Snapshots) current(ctx context.Context, model string) (name, nuid string, err error) {
	link, err := s.obj.GetInfo(ctx, model)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return "", "", fmt.Errorf("eventstore: snapshot %s: %w", model, projections.ErrNoSnapshot)
	}
	if err != nil {
		return "", "", fmt.Errorf("eventstore: snapshot %s: %w", model, err)
	}
	if link.Opts == nil || link.Opts.Link == nil || link.Opts.Link.Bucket != SnapshotsBucket {
		return "", "", fmt.Errorf("eventstore: snapshot %s is not a link to a snapshot: %w", model, projections.ErrNoSnapshot)
	}
	obj, err := s.obj.GetInfo(ctx, link.Opts.Link.Name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return "", "", fmt.Errorf("eventstore: snapshot %s: %s is gone: %w", model, link.Opts.Link.Name, projections.ErrNoSnapshot)
	}
	if err != nil {
		return "", "", fmt.Errorf("eventstore: snapshot %s: %w", model, err)
	}
	return obj.Name, obj.NUID, nil
}

// sameStream reports whether a stored snapshot was taken of this stream.
func (s *Snapshots) sameStream(info *jetstream.ObjectInfo) bool {
	return info.Metadata[metaSnapStream] == s.stream &&
		info.Metadata[metaSnapStreamCreated] == s.created.Format(time.RFC3339Nano)
}

// Reading a snapshot. An attempt's deadline is in proportion to the
// object's size; one that fails while the snapshot was replaced (see
// Snapshots) is tried again on the new one.
const (
	loadAttempts  = 3
	loadBaseTime  = 5 * time.Second
	loadBytesPerS = 10 << 20 // a slow link: 10 MB/s
)

// LoadSnapshot implements projections.SnapshotStore. The object is read
// whole, which checks it against its digest. A snapshot of another stream
// is reported as projections.ErrNoSnapshot.
func (s *Snapshots) LoadSnapshot(ctx context.Context, model string) (projections.SnapshotMeta, []byte, error) {
	for attempt := 1; ; attempt++ {
		name, nuid, err := s.current(ctx, model)
		if err != nil {
			return projections.SnapshotMeta{}, nil, err
		}
		meta, data, err := s.load(ctx, model, name)
		if err == nil || ctx.Err() != nil || attempt == loadAttempts {
			return meta, data, err
		}
		if now, nowNUID, curErr := s.current(ctx, model); curErr != nil || (now == name && nowNUID == nuid) {
			return meta, data, err // not replaced meanwhile: a real failure
		}
	}
}

func (s *Snapshots) load(ctx context.Context, model, name string) (projections.SnapshotMeta, []byte, error) {
	info, err := s.obj.GetInfo(ctx, name)
	if err != nil {
		return projections.SnapshotMeta{}, nil, fmt.Errorf("eventstore: load snapshot %s: %w", model, err)
	}
	ctx, cancel := context.WithTimeout(ctx, loadBaseTime+time.Duration(info.Size/loadBytesPerS)*time.Second)
	defer cancel()
	res, err := s.obj.Get(ctx, name)
	if err != nil {
		return projections.SnapshotMeta{}, nil, fmt.Errorf("eventstore: load snapshot %s: %w", model, err)
	}
	defer res.Close()
	info, err = res.Info()
	if err != nil {
		return projections.SnapshotMeta{}, nil, fmt.Errorf("eventstore: load snapshot %s: %w", model, err)
	}
	md := info.Metadata
	if !s.sameStream(info) {
		return projections.SnapshotMeta{}, nil, fmt.Errorf("eventstore: snapshot %s is of stream %s created %s, not of %s created %s: %w",
			model, md[metaSnapStream], md[metaSnapStreamCreated], s.stream, s.created.Format(time.RFC3339Nano), projections.ErrNoSnapshot)
	}
	meta := projections.SnapshotMeta{Model: md[metaSnapModel]}
	if meta.Version, err = strconv.Atoi(md[metaSnapVersion]); err != nil {
		return projections.SnapshotMeta{}, nil, fmt.Errorf("eventstore: load snapshot %s: version: %w", model, err)
	}
	if meta.Seq, err = strconv.ParseUint(md[metaSnapSeq], 10, 64); err != nil {
		return projections.SnapshotMeta{}, nil, fmt.Errorf("eventstore: load snapshot %s: seq: %w", model, err)
	}
	if meta.Created, err = time.Parse(time.RFC3339Nano, md[metaSnapCreated]); err != nil {
		return projections.SnapshotMeta{}, nil, fmt.Errorf("eventstore: load snapshot %s: created: %w", model, err)
	}
	data, err := io.ReadAll(res)
	if err != nil {
		return projections.SnapshotMeta{}, nil, fmt.Errorf("eventstore: load snapshot %s: %w", model, err)
	}
	return meta, data, nil
}
