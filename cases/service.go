package cases

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
	"phananh/projections"
)

// Store is the case log. Append returns domain.ErrConcurrency when the
// case's version is not expectedVersion (0 for a case that must not exist
// yet); Load returns an ENOTFOUND error for an unknown case. Load may read
// a replica a step behind; Version asks the log's leader (0 for an unknown
// case), for answers that must not be stale, and LastSeq the sequence of
// the log's last event.
type Store interface {
	Append(ctx context.Context, expectedVersion uint64, events []domain.Envelope) (uint64, error)
	Load(ctx context.Context, caseID uuid.UUID) ([]domain.Envelope, uint64, error)
	Version(ctx context.Context, caseID uuid.UUID) (uint64, error)
	LastSeq(ctx context.Context) (uint64, error)
}

// Vault seals reporters' identities with keys kept outside the log.
type Vault interface {
	Seal(ctx context.Context, plaintext []byte) (domain.SealedReporter, error)
	Open(ctx context.Context, sealed domain.SealedReporter) ([]byte, error)
	Erase(ctx context.Context, keyID string) error
}

// Staff tells which unit an active staff member works for and in which
// role, so an assignment can be checked against the case's unit and go
// only to someone who works cases.
type Staff interface {
	Member(name string) (unit string, role domain.Role, ok bool)
}

// Files stores attachments after checking their size and type by content.
type Files interface {
	PutAttachment(ctx context.Context, caseID uuid.UUID, filename string, r io.Reader, public bool) (domain.AttachmentAdded, error)
	DeleteAttachment(ctx context.Context, object string) error
	ReadAttachment(ctx context.Context, object string) (io.ReadCloser, error)
	HasAttachment(ctx context.Context, object string) (bool, error)
}

// Waiter tells when the read models have applied a sequence.
type Waiter interface {
	WaitFor(ctx context.Context, seq uint64) error
}

// Deps are what a Service needs; all are required.
type Deps struct {
	Store  Store
	Vault  Vault
	Files  Files
	Waiter Waiter
	View   *projections.CaseView
	Queues *projections.Queues
	Staff  Staff
	Rules  domain.Rules
	// Secret keys tracking codes and submission digests; every replica
	// must be given the same one.
	Secret []byte
	Log    *slog.Logger
	// Now and NewID default to the wall clock and UUIDv7.
	Now   func() time.Time
	NewID func() uuid.UUID

	// WebhookSecret, optional, gives the secret that signs a case's
	// webhooks to its reporter (notify.CaseWebhookSecret); the receipt of a
	// report that subscribed a webhook carries it.
	WebhookSecret func(caseID uuid.UUID) string

	// Dashboard feeds the dashboards; it is optional: without it they
	// answer unavailable.
	Dashboard *projections.Dashboard
	// History is the log replayed for the dashboards as of a past moment
	// (projections.RebuildAsOf); optional: without it such a query
	// answers unavailable. Store cannot serve: it reads a case at a time,
	// and the store given to it may be wrapped (by the metrics counter).
	History projections.Source
}

// Service runs commands against cases.
type Service struct {
	d Deps
	// macs pools HMAC-SHA256 states keyed with d.Secret. Every report
	// takes two MACs (its digest and its tracking code), every citizen's
	// read one; a fresh hmac.New is six allocations and the key's
	// processing each time, a pooled state is Reset to the keyed state.
	macs sync.Pool
	// logReached is the highest last sequence the log's leader has told
	// WaitAfter: a position at or below it exists, and is not asked again
	// (reads lag exactly when the log is busy).
	logReached atomic.Uint64
}

// MaxRetries bounds how often a command without an expected version is
// decided again after losing a race to another writer.
const MaxRetries = 5

// New returns a service. It refuses missing dependencies.
func New(d Deps) (*Service, error) {
	switch {
	case d.Store == nil, d.Vault == nil, d.Files == nil, d.Waiter == nil, d.View == nil, d.Queues == nil, d.Staff == nil:
		return nil, errors.New("cases: store, vault, files, waiter, views and staff are required")
	case d.Rules.Geo == nil || d.Rules.Policy == nil:
		return nil, errors.New("cases: geography and policy are required")
	case len(d.Secret) < 32:
		return nil, errors.New("cases: secret must be at least 32 bytes")
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.NewID == nil {
		d.NewID = func() uuid.UUID { return uuid.Must(uuid.NewV7()) }
	}
	s := &Service{d: d}
	s.macs.New = newMAC(d.Secret)
	return s, nil
}

// newMAC makes the pool's HMAC states.
func newMAC(secret []byte) func() any {
	return func() any { return hmac.New(sha256.New, secret) }
}

// mac returns HMAC-SHA256, keyed with the service's secret, of label and
// then data; label keeps the MACs of different uses apart.
func (s *Service) mac(label, data []byte) [sha256.Size]byte {
	m := s.macs.Get().(hash.Hash)
	m.Reset()
	m.Write(label)
	m.Write(data)
	sum := [sha256.Size]byte(m.Sum(nil))
	s.macs.Put(m)
	return sum
}

// Rules returns the geography and policy the service decides with.
func (s *Service) Rules() domain.Rules { return s.d.Rules }

// Now is the service's clock (Deps.Now), by which cases are judged overdue
// everywhere: the views' flags agree with the dashboards' and exports'.
func (s *Service) Now() time.Time { return s.d.Now() }

// envelopes wraps decided events for appending.
func (s *Service) envelopes(caseID uuid.UUID, actor domain.Actor, correlation string, now time.Time, events []domain.Event) []domain.Envelope {
	out := make([]domain.Envelope, len(events))
	for i, e := range events {
		out[i] = domain.Envelope{ID: s.d.NewID(), CaseID: caseID, Time: now, Actor: actor, CorrelationID: correlation, Event: e}
	}
	return out
}

// eraseKeys destroys the reporter key of every reporter_erased event about
// to be appended. It runs before the append: a reporter_erased event in the
// log whose key survived would record an erasure that never happened,
// and the refusal of a second erasure would leave it so forever. The other
// order fails safe: if the append then fails, the key is gone and the case
// merely does not say so yet (readers treat the missing key as erased, and
// the administrator's retry records it, Erase being idempotent).
func (s *Service) eraseKeys(ctx context.Context, caseID uuid.UUID, decided []domain.Event) error {
	for _, e := range decided {
		if x, ok := e.(domain.ReporterErased); ok {
			if err := s.d.Vault.Erase(ctx, x.KeyID); err != nil {
				return fmt.Errorf("cases: erase reporter of %s: %w", caseID, err)
			}
		}
	}
	return nil
}

// Stale loads: how often and how long loadAtLeast reads again.
const (
	staleLoadTries = 10
	staleLoadPause = 25 * time.Millisecond
)

// loadAtLeast loads a case that the log is known to hold up to version
// atLeast (1: the case exists). On a cluster, a load (a direct get) may be
// answered by a follower that has not applied the latest appends yet; a
// version below atLeast is such a stale read, not the truth, so it is read
// again, a bounded number of times. Deciding on a stale read could never
// store a wrong event (the append's expected sequence refuses it), but it
// would answer a client whose If-Match was right with a false conflict.
func (s *Service) loadAtLeast(ctx context.Context, id uuid.UUID, atLeast uint64) ([]domain.Envelope, uint64, error) {
	for try := 1; ; try++ {
		events, version, err := s.d.Store.Load(ctx, id)
		stale := version < atLeast && (err == nil || domain.ErrorCode(err) == domain.ENOTFOUND)
		if !stale || try == staleLoadTries {
			return events, version, err
		}
		select {
		case <-ctx.Done():
			return events, version, err
		case <-time.After(time.Duration(try) * staleLoadPause):
		}
	}
}

// checkNamed checks what a command names outside its case, once the actor
// may act on the case (so that who may not learns nothing from it), and
// completes the command with it:
//   - an assignee must be an active staff member, and the command gets
//     their unit and role, which Decide checks (an officer or unit head of
//     the case's unit).
//   - a duplicate's original must be a case the actor may read. A case is
//     linked once and never unlinked, so a link to nothing would stay for
//     good; and the duplicate's reporter is shown the original's status,
//     which must not open another unit's case to someone who may not read
//     it. The original is read from the log, not this server's view, which
//     may not hold one filed a moment ago through another replica.
func (s *Service) checkNamed(ctx context.Context, actor domain.Actor, cmd domain.Command) (domain.Command, error) {
	switch x := cmd.(type) {
	case domain.Assign:
		unit, role, ok := s.d.Staff.Member(x.Assignee)
		if !ok {
			return nil, domain.FieldErrorf(domain.EINVALID, "officer", "%q is not an active staff member", x.Assignee)
		}
		x.AssigneeUnit, x.AssigneeRole = unit, role
		return x, nil
	case domain.LinkDuplicate:
		if x.Of == uuid.Nil {
			return cmd, nil // Decide refuses a missing id
		}
		events, _, err := s.d.Store.Load(ctx, x.Of)
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			return nil, domain.FieldErrorf(domain.EINVALID, "of", "there is no case %s to link to", x.Of)
		}
		if err != nil {
			return nil, fmt.Errorf("cases: load the original %s: %w", x.Of, err)
		}
		if unit := domain.Fold(events).Unit; !domain.CanReadUnit(actor, unit) {
			return nil, domain.Errorf(domain.EFORBIDDEN, "the original case is with %s, whose cases a %s of %s may not read",
				unit, actor.Role, actor.Unit)
		}
	}
	return cmd, nil
}

// Execute decides a command against a case and appends its events. With
// expectedVersion > 0 the command is decided only if the case is still at
// that version (the caller's If-Match); a stale version fails with
// domain.ErrConcurrency. With 0 the service loads the latest version and,
// if another writer wins the race, decides again up to MaxRetries times.
// It returns the sequence of the last event appended, once the read models
// have applied it.
func (s *Service) Execute(ctx context.Context, caseID uuid.UUID, expectedVersion uint64, cmd domain.Command, actor domain.Actor, correlation string) (uint64, error) {
	if rec, ok := s.d.View.Get(caseID); ok && expectedVersion != 0 {
		// Refuse before waiting for a version the log may not hold yet: how
		// long the wait took would tell the case's version to someone who
		// may not act on it. This server's view may lag (a case just
		// transferred to the actor's unit), so a refusal there is checked
		// on the log, without waiting, before it is answered.
		if domain.Authorize(actor, rec.Case, cmd) != nil {
			if events, _, err := s.d.Store.Load(ctx, caseID); err == nil {
				if err := domain.Authorize(actor, domain.Fold(events), cmd); err != nil {
					return 0, err
				}
			}
		}
	}
	for attempt := 0; ; attempt++ {
		// The caller's If-Match proves the log holds expectedVersion.
		events, version, err := s.loadAtLeast(ctx, caseID, expectedVersion)
		if err != nil {
			return 0, fmt.Errorf("cases: %s %s: %w", cmd.EventType(), caseID, err)
		}
		// Authorization first: a conflict's answer tells the case's version,
		// which someone who may not act on the case must not learn.
		c := domain.Fold(events)
		if err := domain.Authorize(actor, c, cmd); err != nil {
			return 0, err
		}
		if expectedVersion != 0 && version != expectedVersion {
			return 0, fmt.Errorf("cases: %s %s at version %d, case is at %d: %w", cmd.EventType(), caseID, expectedVersion, version, domain.ErrConcurrency)
		}
		named, err := s.checkNamed(ctx, actor, cmd)
		if err != nil {
			return 0, err
		}
		now := s.d.Now()
		decided, err := domain.Decide(c, named, now, s.d.Rules)
		if err != nil {
			return 0, err
		}
		if err := s.eraseKeys(ctx, caseID, decided); err != nil {
			return 0, err
		}
		seq, err := s.d.Store.Append(ctx, version, s.envelopes(caseID, actor, correlation, now, decided))
		if errors.Is(err, domain.ErrConcurrency) && expectedVersion == 0 && attempt < MaxRetries {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("cases: %s %s: %w", cmd.EventType(), caseID, err)
		}
		if err := s.d.Waiter.WaitFor(ctx, seq); err != nil {
			return 0, fmt.Errorf("cases: %s %s appended at %d: %w", cmd.EventType(), caseID, seq, err)
		}
		return seq, nil
	}
}
