package eventstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/synadia-io/orbit.go/jetstreamext"

	"phananh/domain"
)

// Group commit (DESIGN.md §3, BENCHMARKS.md "group commit"): with SyncAlways
// the server fsyncs every message of a plain publish on its own, while an
// atomic batch is written with one sync of the stream at its commit
// (nats-server 2.15 stream.go, "coalesceSync"). A batch has a fixed cost of
// its own, though: on a single-replica file stream the server stages it in a
// fresh file store on disk (directories, a synced meta file, a sync of the
// staged messages) and deletes that afterwards — measured here at about
// fifteen single-message fsyncs. So grouping pays only when many appends
// wait at once; a small group goes out message by message, as without
// grouping.

// Group commit defaults.
const (
	// DefaultGroupMinBatch is the smallest group, in messages, sent as one
	// atomic batch; smaller groups go out one append at a time. A batch
	// costs about as much as fifteen single fsynced appends (measured).
	DefaultGroupMinBatch = 16
	// DefaultGroupMaxBatch bounds a batch's messages, well under the
	// server's limit of 1,000 per atomic batch.
	DefaultGroupMaxBatch = 256
	// maxKnown bounds the committer's memory of case versions; it starts
	// afresh when full, which only costs a refused batch now and then.
	maxKnown = 1 << 16
	// maxBatchAttempts bounds how often one group is sent as a batch after
	// conflicting appends were taken out of it; then the rest go one by one.
	maxBatchAttempts = 3
)

// wrongLastSeqPrefix starts the description of error 10071, followed by the
// sequence the subject is really at. The server stops at the first message
// whose check fails, so the number names that message's case.
const wrongLastSeqPrefix = "wrong last sequence: "

// appendReq is one call of Append: the encoded messages of one case, the
// first carrying the expected-sequence header, and where its result goes.
type appendReq struct {
	ctx      context.Context
	caseID   uuid.UUID
	subject  string
	expected uint64
	msgs     []*nats.Msg
	done     chan appendResult // buffered: the committer never blocks on it
}

type appendResult struct {
	seq uint64
	err error
}

// grouper queues concurrent appends; one committer goroutine, started when
// appends queue behind one in flight and gone when the queue is empty,
// sends what is pending as one atomic batch and hands each caller its own
// result after the batch's ack, so an acknowledged append is still on disk.
// There is at most one group in flight: while it is, the next one gathers.
// (Letting a few single appends fly beside the batches, so that a moderate
// load waits for nothing, was tried: the batches then fired as soon as they
// reached GroupMinBatch and stayed small, and throughput at 32 clients
// was lower; BENCHMARKS.md.)
type grouper struct {
	s        *Store
	minBatch int
	maxBatch int

	mu      sync.Mutex
	pending []*appendReq
	running bool
	// known holds, per case subject, a sequence the case is known to have
	// reached: one this store stored there, or one the server named in a
	// conflict. Sequences only grow, so an append expecting less is stale
	// for certain and fails without a round trip; a stale append sent in
	// a batch would cost a refused batch. Races on one case (the second
	// of two comments on the same version) are caught here.
	known map[string]uint64

	// What the committer did, for tests and measurements (GroupStats).
	appends, batches, batched, conflicts, stale, fallbacks atomic.Int64
}

// GroupStats says what group commit did since the store was opened; all
// zero when it is off.
type GroupStats struct {
	Appends   int64 // appends made, lone ones included
	Batches   int64 // batches of several appends stored
	Batched   int64 // appends stored in those batches
	Conflicts int64 // appends taken out of a refused batch as stale
	Stale     int64 // appends refused unsent: their case had moved on
	Fallbacks int64 // refused batches whose appends were then sent one by one
}

// GroupStats reports what group commit did (Config.GroupCommit).
func (s *Store) GroupStats() GroupStats {
	g := s.group
	if g == nil {
		return GroupStats{}
	}
	return GroupStats{Appends: g.appends.Load(), Batches: g.batches.Load(), Batched: g.batched.Load(),
		Conflicts: g.conflicts.Load(), Stale: g.stale.Load(), Fallbacks: g.fallbacks.Load()}
}

func newGrouper(s *Store, cfg Config) *grouper {
	g := &grouper{s: s, minBatch: cfg.GroupMinBatch, maxBatch: cfg.GroupMaxBatch, known: map[string]uint64{}}
	if g.minBatch <= 0 {
		g.minBatch = DefaultGroupMinBatch
	}
	if g.maxBatch <= 0 {
		g.maxBatch = DefaultGroupMaxBatch
	}
	g.minBatch = max(g.minBatch, 2)
	g.maxBatch = max(g.maxBatch, g.minBatch)
	return g
}

// append sends req itself if nothing is in flight, so a lone append waits
// for no company and no other goroutine; appends that arrive meanwhile
// queue, and a committer sends them as one group once it is done.
// Otherwise it queues req and waits for its result, or for ctx.
func (g *grouper) append(ctx context.Context, req *appendReq) (uint64, error) {
	g.appends.Add(1)
	g.mu.Lock()
	if err := g.staleLocked(req); err != nil {
		g.mu.Unlock()
		return 0, err
	}
	if !g.running {
		g.running = true
		g.mu.Unlock()
		seq, err := g.s.publish(ctx, req)
		g.learnFrom(req.subject, seq, err)
		g.mu.Lock()
		if len(g.pending) > 0 {
			go g.run() // g.running stays true: the committer takes over
		} else {
			g.running = false
		}
		g.mu.Unlock()
		return seq, err
	}
	// Something is in flight: whoever sent it starts or runs the
	// committer, which will take req.
	g.pending = append(g.pending, req)
	g.mu.Unlock()
	select {
	case r := <-req.done:
		return r.seq, r.err
	case <-ctx.Done():
		// The append may still be stored, as when a plain publish times
		// out: the caller's retry meets the concurrency check.
		return 0, fmt.Errorf("eventstore: append %s: %w", req.caseID, ctx.Err())
	}
}

func (g *grouper) run() {
	for {
		g.mu.Lock()
		group, msgs := g.take()
		if len(group) == 0 {
			g.running = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		if len(group) == 1 || msgs < g.minBatch {
			g.individually(group)
			continue
		}
		g.batch(group)
	}
}

// take removes the next group from the queue, oldest first: up to maxBatch
// messages and at most one append per case, since the server refuses a
// second expected-sequence check on a subject already written in the batch
// (10164). An append of a case already in the group waits for the next
// one, in order. Appends whose caller has gone are dropped unsent.
// g.mu must be held.
func (g *grouper) take() (group []*appendReq, msgs int) {
	var rest []*appendReq
	inGroup := make(map[string]bool)
	for _, r := range g.pending {
		if err := r.ctx.Err(); err != nil {
			r.done <- appendResult{err: fmt.Errorf("eventstore: append %s: %w", r.caseID, err)}
			continue
		}
		if err := g.staleLocked(r); err != nil {
			r.done <- appendResult{err: err}
			continue
		}
		full := len(group) > 0 && msgs+len(r.msgs) > g.maxBatch
		if full || inGroup[r.subject] {
			rest = append(rest, r)
			continue
		}
		inGroup[r.subject] = true
		group = append(group, r)
		msgs += len(r.msgs)
	}
	clear(g.pending)
	g.pending = append(g.pending[:0], rest...)
	return group, msgs
}

// staleLocked answers ErrConcurrency for an append whose case is known to
// have moved past the version it expects. g.mu must be held.
func (g *grouper) staleLocked(r *appendReq) error {
	if seq := g.known[r.subject]; seq > r.expected {
		g.stale.Add(1)
		return fmt.Errorf("eventstore: append %s: %w: expected version %d, the case is at %d or later",
			r.caseID, domain.ErrConcurrency, r.expected, seq)
	}
	return nil
}

// learnFrom records what a single publish told about its case: the
// sequence it stored, or the one a conflict named.
func (g *grouper) learnFrom(subject string, seq uint64, err error) {
	if err == nil {
		g.learn(subject, seq)
	} else if at, ok := wrongLastSeq(err); ok {
		g.learn(subject, at)
	}
}

// learn records that subject has reached seq.
func (g *grouper) learn(subject string, seq uint64) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.known) >= maxKnown {
		clear(g.known)
	}
	if seq > g.known[subject] {
		g.known[subject] = seq
	}
}

// individually publishes each append on its own, concurrently, and waits
// for all of them: exactly what Append does without grouping.
func (g *grouper) individually(group []*appendReq) {
	var wg sync.WaitGroup
	for _, r := range group {
		wg.Go(func() {
			seq, err := g.s.publish(r.ctx, r)
			g.learnFrom(r.subject, seq, err)
			r.done <- appendResult{seq: seq, err: err}
		})
	}
	wg.Wait()
}

// batch sends the group as one atomic batch. If the server refuses it
// because one append's expected sequence is stale, that append (and only
// it) gets domain.ErrConcurrency and the rest are sent again; any other
// refusal sends every append on its own, so each gets the answer it would
// have got without grouping. A failure without an answer (a timeout, a
// lost connection) leaves the outcome unknown, as for a plain publish, and
// every caller hears it.
func (g *grouper) batch(group []*appendReq) {
	for attempt := 1; ; attempt++ {
		var msgs []*nats.Msg
		for _, r := range group {
			msgs = append(msgs, r.msgs...)
		}
		if attempt > maxBatchAttempts || len(group) == 1 || len(msgs) < g.minBatch {
			g.individually(group)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), g.s.js.Options().DefaultTimeout)
		ack, err := jetstreamext.PublishMsgBatch(ctx, g.s.js, msgs,
			// No ack for the first message: the stream is known to take
			// atomic batches, and the round trip would idle the server.
			jetstreamext.BatchFlowControl{AckFirst: false, AckTimeout: g.s.js.Options().DefaultTimeout})
		cancel()
		if err == nil {
			// The server writes a batch's messages at consecutive
			// sequences ending at ack.Sequence.
			g.batches.Add(1)
			g.batched.Add(int64(len(group)))
			seq := ack.Sequence - uint64(len(msgs))
			for _, r := range group {
				seq += uint64(len(r.msgs))
				g.learn(r.subject, seq)
				r.done <- appendResult{seq: seq}
			}
			return
		}
		var apiErr *jetstream.APIError
		if !errors.As(err, &apiErr) {
			for _, r := range group {
				r.done <- appendResult{err: fmt.Errorf("eventstore: append %s: grouped: %w", r.caseID, err)}
			}
			return
		}
		conflicting, at, ok := g.conflicting(apiErr)
		if !ok {
			g.fallbacks.Add(1)
			g.individually(group)
			return
		}
		g.learn(conflicting, at)
		rest := group[:0:0]
		for _, r := range group {
			if r.subject == conflicting {
				g.conflicts.Add(1)
				r.done <- appendResult{err: fmt.Errorf("eventstore: append %s: %w: %v", r.caseID, domain.ErrConcurrency, err)}
				continue
			}
			rest = append(rest, r)
		}
		if len(rest) == len(group) {
			g.fallbacks.Add(1)
			g.individually(group)
			return
		}
		group = rest
	}
}

// conflicting names the subject whose expected-sequence check failed a
// batch, and the sequence it is at: error 10071 says the sequence, and the
// message stored there names the subject (every sequence belongs to one
// subject, and the stream deletes nothing). false when the error is another
// one or the subject cannot be told.
func (g *grouper) conflicting(apiErr *jetstream.APIError) (string, uint64, bool) {
	seq, ok := wrongLastSeq(apiErr)
	if !ok || seq == 0 {
		return "", 0, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), g.s.js.Options().DefaultTimeout)
	defer cancel()
	msg, err := g.s.stream.GetMsg(ctx, seq)
	if err != nil {
		return "", 0, false
	}
	return msg.Subject, seq, true
}

// wrongLastSeq reads the sequence a subject is really at from error 10071.
func wrongLastSeq(err error) (uint64, bool) {
	var jsErr jetstream.JetStreamError
	if !errors.As(err, &jsErr) || jsErr.APIError() == nil {
		return 0, false
	}
	apiErr := jsErr.APIError()
	if apiErr.ErrorCode != jetstream.JSErrCodeStreamWrongLastSequence {
		return 0, false
	}
	text, ok := strings.CutPrefix(apiErr.Description, wrongLastSeqPrefix)
	if !ok {
		return 0, false
	}
	seq, err := strconv.ParseUint(text, 10, 64)
	return seq, err == nil
}

// batchHeaders are set on messages by a batch publish; a message sent on
// its own after a refused batch must not carry them, or the server would
// take it for part of a batch.
var batchHeaders = []string{jetstreamext.BatchIDHeader, jetstreamext.BatchSeqHeader, jetstreamext.BatchCommitHeader}

func clearBatchHeaders(msgs []*nats.Msg) {
	for _, m := range msgs {
		for _, h := range batchHeaders {
			m.Header.Del(h)
		}
	}
}
