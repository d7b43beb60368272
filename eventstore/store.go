package eventstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"

	"phananh/domain"
)

// StreamName is the one stream that holds every case's events.
const StreamName = "CASES"

// subjectPrefix starts every case's subject. One subject per case keeps the
// server's per-subject index to one entry per case and makes the
// per-subject concurrency check nearly free (DESIGN.md §3).
const subjectPrefix = "cases."

// CloudEvents binary-mode headers, so any NATS or CloudEvents tool can read
// the log without knowing phananh.
const (
	HeaderSpecVersion   = "ce-specversion"
	HeaderID            = "ce-id"
	HeaderType          = "ce-type"
	HeaderSource        = "ce-source"
	HeaderSubject       = "ce-subject"
	HeaderTime          = "ce-time"
	HeaderContentType   = "content-type"
	HeaderActorID       = "phananh-actor-id"
	HeaderActorRole     = "phananh-actor-role"
	HeaderActorUnit     = "phananh-actor-unit"
	HeaderCorrelationID = "phananh-correlation-id"

	specVersion  = "1.0"
	typePrefix   = "vn.phananh.case."
	typeSuffix   = ".v1" // a changed event shape gets a new version, read side by side
	jsonMimeType = "application/json"
)

// Source is the ce-source of every event in the log: phananh's case store.
const Source = "/phananh/cases"

// numPendingHeader is set by the server on every message of a batch direct
// get: how many messages matching the filter remain after this one.
const numPendingHeader = "Nats-Num-Pending"

// loadBatch is how many events one direct-get round trip returns. A case has
// tens of events, so one round trip loads almost every case.
const loadBatch = 256

// Config says how the store's stream and buckets are created.
type Config struct {
	// Replicas is the replication factor of the stream and buckets: 1
	// embedded (the default), 3 in a cluster.
	Replicas int
	// Attachments bounds what PutAttachment accepts.
	Attachments AttachmentLimits

	// GroupCommit sends concurrent appends as one atomic batch, so one
	// fsync covers many (group.go). It pays only where the server fsyncs
	// every message (the embedded server with SyncAlways, measured): with
	// a relaxed sync a batch costs far more than the single appends it
	// replaces. Appends are acknowledged after the batch is stored either
	// way, and a conflicting append fails alone.
	GroupCommit bool
	// GroupMinBatch is the smallest group sent as a batch, in messages
	// (0: DefaultGroupMinBatch); GroupMaxBatch the largest (0:
	// DefaultGroupMaxBatch).
	GroupMinBatch int
	GroupMaxBatch int
}

// Store is the event store: the CASES stream, the ATTACHMENTS object store,
// the REPORTER_KEYS vault and the PHANANH_SECRETS bucket. It is safe for
// concurrent use.
type Store struct {
	js          jetstream.JetStream
	stream      jetstream.Stream
	attachments jetstream.ObjectStore
	limits      AttachmentLimits
	keys        jetstream.KeyValue
	keysStream  jetstream.Stream
	secrets     jetstream.KeyValue
	group       *grouper // nil: every append is published on its own
}

// Open creates the stream and buckets, or updates them to cfg, and returns a
// Store that uses them. Opening is idempotent, so every replica of the API
// runs it at start.
func Open(ctx context.Context, js jetstream.JetStream, cfg Config) (*Store, error) {
	if js == nil {
		return nil, errors.New("eventstore: open: nil JetStream")
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.Attachments.MaxFileBytes <= 0 {
		cfg.Attachments.MaxFileBytes = DefaultMaxFileBytes
	}
	stream, err := js.CreateOrUpdateStream(ctx, streamConfig(cfg))
	if err != nil {
		return nil, fmt.Errorf("eventstore: open stream %s: %w", StreamName, err)
	}
	s := &Store{js: js, stream: stream, limits: cfg.Attachments}
	if cfg.GroupCommit {
		s.group = newGrouper(s, cfg)
	}
	if err := s.openAttachments(ctx, cfg); err != nil {
		return nil, err
	}
	if err := s.openVault(ctx, cfg); err != nil {
		return nil, err
	}
	return s, nil
}

// streamConfig is the CASES stream as DESIGN.md §3 specifies it: an
// immutable, unbounded log. Nothing may delete or purge an event, and when
// some server limit is reached new appends fail rather than old facts
// silently disappearing (Discard New).
func streamConfig(cfg Config) jetstream.StreamConfig {
	return jetstream.StreamConfig{
		Name:               StreamName,
		Description:        "phananh case events (the source of truth)",
		Subjects:           []string{subjectPrefix + "*"},
		Storage:            jetstream.FileStorage,
		Retention:          jetstream.LimitsPolicy,
		MaxAge:             0,
		MaxBytes:           -1,
		MaxMsgs:            -1,
		MaxMsgsPerSubject:  -1,
		Discard:            jetstream.DiscardNew,
		DenyDelete:         true,
		DenyPurge:          true,
		AllowDirect:        true,
		AllowAtomicPublish: true,
		Replicas:           cfg.Replicas,
	}
}

// Subject is the subject that holds one case's events.
func Subject(caseID uuid.UUID) string {
	return subjectPrefix + caseID.String()
}

// Append stores events, all of one case, after the event whose stream
// sequence is expectedVersion (0 for a case that does not exist yet), and
// returns the sequence of the last stored event: the case's new version.
//
// If the case has moved on (or, for expectedVersion 0, already exists) it
// stores nothing and returns an error that wraps domain.ErrConcurrency. Since
// a new case expects sequence 0 on its subject, a second first event for the
// same case id conflicts forever, not only within the de-duplication window:
// that is what makes offline retries of a report idempotent.
//
// Several events are written as one atomic batch: all or none. With
// Config.GroupCommit, concurrent appends of different cases may share one
// batch; each still succeeds or fails on its own, and returns only once
// its events are stored.
func (s *Store) Append(ctx context.Context, expectedVersion uint64, events []domain.Envelope) (uint64, error) {
	req, err := newAppendReq(ctx, expectedVersion, events)
	if err != nil {
		return 0, err
	}
	if s.group == nil {
		return s.publish(ctx, req)
	}
	return s.group.append(ctx, req)
}

// newAppendReq encodes one case's events for an append after
// expectedVersion.
func newAppendReq(ctx context.Context, expectedVersion uint64, events []domain.Envelope) (*appendReq, error) {
	if len(events) == 0 {
		return nil, errors.New("eventstore: append: no events")
	}
	caseID := events[0].CaseID
	msgs := make([]*nats.Msg, len(events))
	for i, env := range events {
		if env.CaseID != caseID {
			return nil, fmt.Errorf("eventstore: append %s: event %s belongs to case %s", caseID, env.ID, env.CaseID)
		}
		msg, err := encode(env)
		if err != nil {
			return nil, fmt.Errorf("eventstore: append %s: %w", caseID, err)
		}
		msgs[i] = msg
	}
	// The concurrency check on the first message guards all of the case's
	// events, since the server applies a batch whole or not at all.
	msgs[0].Header.Set(jetstream.ExpectedLastSubjSeqHeader, strconv.FormatUint(expectedVersion, 10))
	if len(msgs) == 1 {
		// De-duplicates a blind retry of the same event within the
		// stream's window; the sequence check covers the rest. A
		// several-event append leaves it out: servers before 2.15 reject
		// it inside an atomic batch, and the sequence check already makes
		// a retried batch fail rather than repeat.
		msgs[0].Header.Set(jetstream.MsgIDHeader, msgs[0].Header.Get(HeaderID))
	}
	return &appendReq{ctx: ctx, caseID: caseID, subject: msgs[0].Subject, expected: expectedVersion, msgs: msgs,
		done: make(chan appendResult, 1)}, nil
}

// publish sends one append on its own: a plain publish for one event, an
// atomic batch for several.
func (s *Store) publish(ctx context.Context, req *appendReq) (uint64, error) {
	clearBatchHeaders(req.msgs)
	if len(req.msgs) == 1 {
		ack, err := s.js.PublishMsg(ctx, req.msgs[0])
		if err != nil {
			return 0, appendError(req.caseID, err)
		}
		return ack.Sequence, nil
	}
	ack, err := jetstreamext.PublishMsgBatch(ctx, s.js, req.msgs)
	if err != nil {
		return 0, appendError(req.caseID, err)
	}
	return ack.Sequence, nil
}

// appendError maps the server's "wrong last sequence" answers to
// domain.ErrConcurrency: 10071 from a single server, 10164 from a replicated
// stream. Everything else is an infrastructure failure.
func appendError(caseID uuid.UUID, err error) error {
	var jsErr jetstream.JetStreamError
	if errors.As(err, &jsErr) && jsErr.APIError() != nil {
		switch jsErr.APIError().ErrorCode {
		case jetstream.JSErrCodeStreamWrongLastSequence, jetstream.JSErrCodeStreamWrongLastSequenceConstant:
			return fmt.Errorf("eventstore: append %s: %w: %w", caseID, domain.ErrConcurrency, err)
		}
	}
	return fmt.Errorf("eventstore: append %s: %w", caseID, err)
}

// encode maps an envelope to a message: the facts about the event go to
// CloudEvents headers, the event itself to a JSON body.
func encode(env domain.Envelope) (*nats.Msg, error) {
	if env.Event == nil {
		return nil, fmt.Errorf("event %s has no event", env.ID)
	}
	if env.ID == uuid.Nil {
		return nil, errors.New("event has no id")
	}
	if env.CaseID == uuid.Nil {
		return nil, fmt.Errorf("event %s has no case id", env.ID)
	}
	eventType := env.Event.EventType()
	if !validTypeName(eventType) {
		return nil, fmt.Errorf("event %s: bad type name %q", env.ID, eventType)
	}
	body, err := json.Marshal(env.Event)
	if err != nil {
		return nil, fmt.Errorf("encode %s %s: %w", eventType, env.ID, err)
	}
	caseID := env.CaseID.String()
	var h headers
	h.init()
	h.set(HeaderSpecVersion, specVersion)
	h.set(HeaderID, env.ID.String())
	h.set(HeaderType, typePrefix+eventType+typeSuffix)
	h.set(HeaderSource, Source)
	h.set(HeaderSubject, caseID)
	h.set(HeaderTime, env.Time.UTC().Format(time.RFC3339Nano))
	h.set(HeaderContentType, jsonMimeType)
	h.setIf(HeaderActorID, env.Actor.ID)
	h.setIf(HeaderActorRole, string(env.Actor.Role))
	h.setIf(HeaderActorUnit, env.Actor.Unit)
	h.setIf(HeaderCorrelationID, env.CorrelationID)
	return &nats.Msg{Subject: subjectPrefix + caseID, Header: h.h, Data: body}, nil
}

// maxEventHeaders presizes an event's header: the seven CloudEvents ones,
// the four optional ones and the two Append adds. A batch publish adds its
// own three to the first and last messages, and the map grows for them.
const maxEventHeaders = 13

// headers builds a message's header with its values in one array, where
// nats.Header.Set allocates a one-element slice per header: with the map
// growing as it filled, that was about twenty of the 390 allocations of a
// report (app BenchmarkSubmitReport). Each value's slice is capped at one
// element, so an Add to it copies rather than overwrites the next value.
type headers struct {
	h    nats.Header
	vals []string
}

func (b *headers) init() {
	b.h = make(nats.Header, maxEventHeaders)
	b.vals = make([]string, 0, maxEventHeaders)
}

func (b *headers) set(key, value string) {
	b.vals = append(b.vals, value)
	n := len(b.vals)
	b.h[key] = b.vals[n-1 : n : n]
}

func (b *headers) setIf(key, value string) {
	if value != "" {
		b.set(key, value)
	}
}

// validTypeName keeps event names to the snake_case the domain uses, so a
// name can never break the ce-type it is embedded in.
func validTypeName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}

// Decode turns a stored message (its stream sequence, headers and body) back
// into an envelope. Load, Follow and any other reader of the stream share
// it, so the mapping between envelopes and messages exists in one place.
// An unknown event type or version is an error: a reader older than the log
// must fail loudly rather than skip facts.
func Decode(seq uint64, header nats.Header, data []byte) (domain.Envelope, error) {
	if v := header.Get(HeaderSpecVersion); v != specVersion {
		return domain.Envelope{}, fmt.Errorf("eventstore: decode seq %d: specversion %q, want %q", seq, v, specVersion)
	}
	ceType := header.Get(HeaderType)
	eventType, ok := strings.CutPrefix(ceType, typePrefix)
	if ok {
		eventType, ok = strings.CutSuffix(eventType, typeSuffix)
	}
	if !ok {
		return domain.Envelope{}, fmt.Errorf("eventstore: decode seq %d: unknown type %q", seq, ceType)
	}
	id, err := uuid.Parse(header.Get(HeaderID))
	if err != nil {
		return domain.Envelope{}, fmt.Errorf("eventstore: decode seq %d: id: %w", seq, err)
	}
	caseID, err := uuid.Parse(header.Get(HeaderSubject))
	if err != nil {
		return domain.Envelope{}, fmt.Errorf("eventstore: decode seq %d: subject: %w", seq, err)
	}
	at, err := time.Parse(time.RFC3339Nano, header.Get(HeaderTime))
	if err != nil {
		return domain.Envelope{}, fmt.Errorf("eventstore: decode seq %d: time: %w", seq, err)
	}
	event, err := domain.DecodeEventWith(eventType, data, unmarshalBody)
	if err != nil {
		return domain.Envelope{}, fmt.Errorf("eventstore: decode seq %d: %w", seq, err)
	}
	return domain.Envelope{
		ID:     id,
		CaseID: caseID,
		Time:   at,
		Actor: domain.Actor{
			ID:   header.Get(HeaderActorID),
			Role: domain.Role(header.Get(HeaderActorRole)),
			Unit: header.Get(HeaderActorUnit),
		},
		CorrelationID: header.Get(HeaderCorrelationID),
		Event:         event,
		Seq:           seq,
	}, nil
}

// unmarshalBody decodes an event's JSON body with the json v2 decoder,
// 2.5× faster than encoding/json's on a report and with a third of the
// allocations (the largest single cost of a rebuild, BENCHMARKS.md). The
// options accept everything encoding/json accepts for the event structs:
// names in any case, duplicate names (the last wins), invalid UTF-8 (read
// as U+FFFD). TestBodyDecodersAgree holds the two to the same result.
func unmarshalBody(data []byte, v any) error {
	return jsonv2.Unmarshal(data, v, lenientJSON)
}

var lenientJSON = jsonv2.JoinOptions(
	jsontext.AllowInvalidUTF8(true),
	jsontext.AllowDuplicateNames(true),
	jsonv2.MatchCaseInsensitiveNames(true),
)

// DecodeMsg decodes a message delivered by a consumer of the CASES stream.
func DecodeMsg(msg jetstream.Msg) (domain.Envelope, error) {
	meta, err := msg.Metadata()
	if err != nil {
		return domain.Envelope{}, fmt.Errorf("eventstore: decode: %w", err)
	}
	return Decode(meta.Sequence.Stream, msg.Headers(), msg.Data())
}

// Version returns a case's version as the stream's leader holds it: the
// sequence of its last event, 0 for a case without one. Load reads through
// direct gets, which any replica of a replicated stream may answer, and a
// follower can be a step behind the leader (it serves direct gets once it
// is nearly caught up): right after a conflict, a load can still show the
// version the loser expected. A conflict's answer names the version to
// reload at, so it asks the leader, through the JetStream API; the nats.go
// stream handle would use a direct get since the stream allows them.
func (s *Store) Version(ctx context.Context, caseID uuid.UUID) (uint64, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, versionTimeout)
		defer cancel()
	}
	req, err := json.Marshal(struct {
		LastFor   string `json:"last_by_subj"`
		NoHeaders bool   `json:"no_hdr"` // only the sequence is read
	}{Subject(caseID), true})
	if err != nil {
		return 0, fmt.Errorf("eventstore: version of %s: %w", caseID, err)
	}
	msg, err := s.js.Conn().RequestWithContext(ctx, apiPrefix(s.js)+"STREAM.MSG.GET."+StreamName, req)
	if err != nil {
		return 0, fmt.Errorf("eventstore: version of %s: %w", caseID, err)
	}
	var resp struct {
		Error *struct {
			Code        int    `json:"err_code"`
			Description string `json:"description"`
		} `json:"error"`
		Message *struct {
			Seq uint64 `json:"seq"`
		} `json:"message"`
	}
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return 0, fmt.Errorf("eventstore: version of %s: %w", caseID, err)
	}
	switch {
	case resp.Error != nil && resp.Error.Code == int(jetstream.JSErrCodeMessageNotFound):
		return 0, nil
	case resp.Error != nil:
		return 0, fmt.Errorf("eventstore: version of %s: %s (%d)", caseID, resp.Error.Description, resp.Error.Code)
	case resp.Message == nil:
		return 0, fmt.Errorf("eventstore: version of %s: an answer without a message", caseID)
	}
	return resp.Message.Seq, nil
}

// versionTimeout bounds Version when its context has no deadline.
const versionTimeout = 5 * time.Second

// apiPrefix is the subject prefix of js's API requests, as nats.go makes
// it: the configured prefix, the domain's, or the default.
func apiPrefix(js jetstream.JetStream) string {
	opts := js.Options()
	switch {
	case opts.APIPrefix != "":
		return strings.TrimSuffix(opts.APIPrefix, ".") + "."
	case opts.Domain != "":
		return "$JS." + opts.Domain + ".API."
	}
	return jetstream.DefaultAPIPrefix
}

// Load returns every event of a case in order and the case's version (the
// sequence of its last event). It reads with batch direct get, so loading a
// case never creates a consumer on the server. A case that does not exist is
// an error with code domain.ENOTFOUND.
//
// Each call makes one synchronous subscription whose buffer has
// nats.Options.SubChanLen slots: 64k by default, half a megabyte allocated
// per Load. Connecting with nats.SyncQueueLen(1024) (at least loadBatch+1)
// makes loads about twice as fast; a buffer that overflows fails the load
// with nats.ErrSlowConsumer rather than losing events.
func (s *Store) Load(ctx context.Context, caseID uuid.UUID) ([]domain.Envelope, uint64, error) {
	subject := Subject(caseID)
	var events []domain.Envelope
	next := uint64(1)
	for {
		batch, err := jetstreamext.GetBatch(ctx, s.js, StreamName, loadBatch,
			jetstreamext.GetBatchSubject(subject), jetstreamext.GetBatchSeq(next))
		if err != nil {
			return nil, 0, fmt.Errorf("eventstore: load %s: %w", caseID, err)
		}
		var got int
		var pending uint64
		var noMore bool
		for raw, err := range batch {
			if errors.Is(err, jetstreamext.ErrNoMessages) {
				noMore = true
				break
			}
			if err != nil {
				return nil, 0, fmt.Errorf("eventstore: load %s: %w", caseID, err)
			}
			env, err := Decode(raw.Sequence, raw.Header, raw.Data)
			if err != nil {
				return nil, 0, fmt.Errorf("eventstore: load %s: %w", caseID, err)
			}
			if env.CaseID != caseID {
				return nil, 0, fmt.Errorf("eventstore: load %s: seq %d names case %s", caseID, raw.Sequence, env.CaseID)
			}
			events = append(events, env)
			got++
			next = raw.Sequence + 1
			pending, err = strconv.ParseUint(raw.Header.Get(numPendingHeader), 10, 64)
			if err != nil {
				return nil, 0, fmt.Errorf("eventstore: load %s: bad %s header: %w", caseID, numPendingHeader, err)
			}
		}
		if noMore || (got > 0 && pending == 0) {
			break
		}
		if got == 0 {
			// The iterator ends silently when its request times out; an
			// empty batch that did not say "no messages" is a timeout,
			// never an empty case.
			err := ctx.Err()
			if err == nil {
				err = errors.New("no reply from the stream")
			}
			return nil, 0, fmt.Errorf("eventstore: load %s: %w", caseID, err)
		}
		// The batch was cut short (by size, count or a timeout) and the
		// server said more remain: ask for the rest.
	}
	if len(events) == 0 {
		return nil, 0, fmt.Errorf("eventstore: load: %w", domain.Errorf(domain.ENOTFOUND, "case %s not found", caseID))
	}
	return events, events[len(events)-1].Seq, nil
}

// LastSeq returns the sequence of the last event in the stream, 0 when it is
// empty. Projections compare it with what they applied to know they have
// caught up.
func (s *Store) LastSeq(ctx context.Context) (uint64, error) {
	info, err := s.stream.Info(ctx)
	if err != nil {
		return 0, fmt.Errorf("eventstore: last seq: %w", err)
	}
	return info.State.LastSeq, nil
}

// Follow calls fn with every event whose sequence is at least fromSeq, in
// stream order, and then with each new event as it is appended. It uses one
// ordered consumer, which the client library recreates from the last
// delivered sequence if it loses messages, so fn sees each event exactly
// once and in order. Follow blocks until ctx is done (returning ctx.Err()) or
// fn returns an error (returned wrapped).
func (s *Store) Follow(ctx context.Context, fromSeq uint64, fn func(domain.Envelope) error) error {
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	if fromSeq > 1 {
		cfg.DeliverPolicy = jetstream.DeliverByStartSequencePolicy
		cfg.OptStartSeq = fromSeq
	}
	consumer, err := s.js.OrderedConsumer(ctx, StreamName, cfg)
	if err != nil {
		return fmt.Errorf("eventstore: follow from %d: %w", fromSeq, err)
	}
	msgs, err := consumer.Messages()
	if err != nil {
		return fmt.Errorf("eventstore: follow from %d: %w", fromSeq, err)
	}
	defer msgs.Stop()
	for {
		msg, err := msgs.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			return fmt.Errorf("eventstore: follow from %d: %w", fromSeq, err)
		}
		env, err := DecodeMsg(msg)
		if err != nil {
			return fmt.Errorf("eventstore: follow: %w", err)
		}
		if err := fn(env); err != nil {
			return fmt.Errorf("eventstore: follow: seq %d: %w", env.Seq, err)
		}
	}
}
