package cases

import (
	"context"
	"errors"
	"reflect"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
	"phananh/projections"
)

// Result is what a command answers: the case's new version and where it stands.
type Result struct {
	ID       uuid.UUID
	Version  uint64
	Seq      uint64
	Status   domain.Status
	Deadline time.Time
}

// Act runs a staff member's command against a case at the version they saw
// (If-Match), and answers with the case as the read models now show it.
func (s *Service) Act(ctx context.Context, actor domain.Actor, id uuid.UUID, version uint64, cmd domain.Command, correlation string) (Result, error) {
	if version == 0 {
		return Result{}, domain.Errorf(domain.EINVALID, "give the version of the case you saw (If-Match)")
	}
	seq, err := s.Execute(ctx, id, version, cmd, actor, correlation)
	if err != nil {
		return Result{}, err
	}
	return s.result(id, seq), nil
}

func (s *Service) result(id uuid.UUID, seq uint64) Result {
	r := Result{ID: id, Version: seq, Seq: seq}
	if rec, ok := s.d.View.Get(id); ok {
		r.Version, r.Status, r.Deadline = rec.Case.Version, rec.Case.Status, rec.Case.Deadline
	}
	return r
}

// CurrentVersion returns a case's version as the log holds it, for telling
// a client whose command, sent at version sent, lost a race where the case
// now stands; the answer waits (bounded) until this server's views have
// applied that version, so that a reload shows it.
//
// It is asked of the log's leader (Store.Version): a load may read a
// replica that has not stored the winner's events yet, and this server's
// view may not have applied them. Even the leader may not have stored them
// yet: a replicated stream refuses a command whose case has a write in
// flight (10164) before that write is stored. So while the leader still
// says sent, or cannot be asked (an election), it is asked again, for at
// most conflictWait; only then do the load and the view have their say.
// (CI saw a conflict answered with the version the loser had sent, and a
// reload at it without the winner's event, after the leader was killed.)
func (s *Service) CurrentVersion(ctx context.Context, id uuid.UUID, sent uint64) uint64 {
	version := s.leaderVersion(ctx, id, sent)
	if version == 0 || version == sent {
		if _, loaded, err := s.d.Store.Load(ctx, id); err == nil {
			version = max(version, loaded)
		}
	}
	if rec, ok := s.d.View.Get(id); ok {
		version = max(version, rec.Case.Version)
	}
	if version > 0 {
		_ = s.WaitAfter(ctx, version) // a slow view only delays the reload
	}
	return version
}

// Bounds of CurrentVersion's questions to the leader.
const (
	conflictWait    = 3 * time.Second
	versionTry      = 500 * time.Millisecond // one question, so that a lost leader costs little
	versionTryPause = 20 * time.Millisecond
)

// leaderVersion asks the leader for the case's version until it is neither
// sent nor unknown, for at most conflictWait; it returns the last answer
// (0 if none came).
func (s *Service) leaderVersion(ctx context.Context, id uuid.UUID, sent uint64) uint64 {
	ctx, cancel := context.WithTimeout(ctx, conflictWait)
	defer cancel()
	var version uint64
	for {
		try, cancelTry := context.WithTimeout(ctx, versionTry)
		v, err := s.d.Store.Version(try, id)
		cancelTry()
		if err == nil {
			version = v
			if v != 0 && v != sent {
				return v
			}
		}
		select {
		case <-ctx.Done():
			return version
		case <-time.After(versionTryPause):
		}
	}
}

// CitizenAct runs a citizen's command (feedback, reopen) on the case whose
// tracking code they hold. Citizens do not send a version: their commands
// are retried against the latest one.
func (s *Service) CitizenAct(ctx context.Context, id uuid.UUID, code string, cmd domain.Command, correlation string) (Result, error) {
	if !s.CheckTrackingCode(id, code) {
		return Result{}, errNoSuchReport
	}
	seq, err := s.Execute(ctx, id, 0, cmd, domain.Actor{Role: domain.RoleCitizen}, correlation)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return Result{}, errNoSuchReport
	}
	if code := domain.ErrorCode(err); code == domain.EIllegalTransition || code == domain.ECONFLICT {
		if version, ok := s.repeated(ctx, id, cmd); ok {
			if err := s.WaitAfter(ctx, version); err != nil {
				return Result{}, err
			}
			return s.result(id, version), nil
		}
	}
	if err != nil {
		return Result{}, err
	}
	return s.result(id, seq), nil
}

// repeated says whether a citizen's command, refused by the case's state,
// is what the case's last events already record from a citizen: a retry
// whose first answer was lost (on a weak link, or while the page was
// offline), which is answered as the first was rather than refused. It
// decides the command against the case before those events and compares.
func (s *Service) repeated(ctx context.Context, id uuid.UUID, cmd domain.Command) (uint64, bool) {
	events, version, err := s.d.Store.Load(ctx, id)
	if err != nil || len(events) < 2 {
		return 0, false
	}
	last := events[len(events)-1]
	if last.Actor.Role != domain.RoleCitizen || last.Event.EventType() != cmd.EventType() {
		return 0, false
	}
	decided, err := domain.Decide(domain.Fold(events[:len(events)-1]), cmd, last.Time, s.d.Rules)
	if err != nil || len(decided) != 1 || !reflect.DeepEqual(decided[0], last.Event) {
		return 0, false
	}
	return version, true
}

// StaffCase is a case as staff see it: the full timeline, and the
// reporter's identity when the reader may see it.
type StaffCase struct {
	projections.CaseRecord
	Reporter        *domain.Reporter
	ReporterVisible bool
	// AsOf is the moment a view of the past stands at (StaffViewAsOf):
	// the moment asked for, or now if that is later. Zero for today's view.
	AsOf time.Time
}

// StaffView returns a case for a staff member who may read its unit.
func (s *Service) StaffView(ctx context.Context, actor domain.Actor, id uuid.UUID, after uint64) (StaffCase, error) {
	if err := s.WaitAfter(ctx, after); err != nil {
		return StaffCase{}, err
	}
	rec, ok := s.d.View.Get(id)
	if !ok {
		return StaffCase{}, domain.Errorf(domain.ENOTFOUND, "no case %s", id)
	}
	if !domain.CanReadUnit(actor, rec.Case.Unit) {
		return StaffCase{}, domain.Errorf(domain.EFORBIDDEN, "a %s of %s may not read cases of %s", actor.Role, actor.Unit, rec.Case.Unit)
	}
	out := StaffCase{CaseRecord: rec}
	if domain.CanSeeReporter(actor, rec.Case, s.d.Rules.Geo) {
		r, err := s.openReporter(ctx, rec.Case)
		if errors.Is(err, domain.ErrReporterErased) {
			return out, nil // erased, the event not yet recorded or applied: shown as erased
		}
		if err != nil {
			return StaffCase{}, err
		}
		out.Reporter, out.ReporterVisible = r, true
		// An audit line: who read whose identity, without the identity.
		s.d.Log.Info("reporter identity read", "case", id, "by", actor.ID, "role", actor.Role, "unit", actor.Unit)
	}
	return out, nil
}

// Queue lists a unit's cases for a staff member who may read them.
func (s *Service) Queue(ctx context.Context, actor domain.Actor, q projections.QueueQuery, after uint64) ([]projections.QueueItem, string, error) {
	if _, ok := s.d.Rules.Geo.Unit(q.Unit); !ok {
		return nil, "", domain.Errorf(domain.ENOTFOUND, "no unit %q", q.Unit)
	}
	if !domain.CanReadUnit(actor, q.Unit) {
		return nil, "", domain.Errorf(domain.EFORBIDDEN, "a %s of %s may not read the queue of %s", actor.Role, actor.Unit, q.Unit)
	}
	if err := s.WaitAfter(ctx, after); err != nil {
		return nil, "", err
	}
	return s.d.Queues.List(q, s.d.Now())
}
