package cases

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
	"phananh/projections"
)

// StaffViewAsOf returns a case as it stood at asOf (an audit's question:
// what did the file say then?), computed from the log with the case view's
// own fold (projections.CaseAsOf), for a staff member who may read the case
// now.
//
// Access is decided on the case as it is now, exactly as StaffView decides
// it: the past states of a case are a part of its current timeline, so a
// reader who may see the case sees nothing new, and one who may not (the
// case has since been transferred away from their unit) sees nothing. For
// the same reason the reporter's identity is shown on today's rules: a
// reporter erased since is erased from the past too.
//
// It reads the case's events from the log (one batch direct get), so it
// needs no ?after: it is never behind. ENOTFOUND if the case does not
// exist or had not been reported by asOf; EFORBIDDEN if the reader may not
// read its unit. An asOf later than now is read as now (StaffCase.AsOf),
// so that a case is never judged overdue at a moment still to come.
func (s *Service) StaffViewAsOf(ctx context.Context, actor domain.Actor, id uuid.UUID, asOf time.Time) (StaffCase, error) {
	if now := s.d.Now(); asOf.After(now) {
		asOf = now // the future has not happened: read as now, as the dashboards do
	}
	events, _, err := s.d.Store.Load(ctx, id)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return StaffCase{}, domain.Errorf(domain.ENOTFOUND, "no case %s", id)
	}
	if err != nil {
		return StaffCase{}, fmt.Errorf("cases: case %s as of %s: %w", id, asOf.Format(time.RFC3339), err)
	}
	now := domain.Fold(events)
	if !domain.CanReadUnit(actor, now.Unit) {
		return StaffCase{}, domain.Errorf(domain.EFORBIDDEN, "a %s of %s may not read cases of %s", actor.Role, actor.Unit, now.Unit)
	}
	rec, ok := projections.CaseAsOf(events, asOf)
	if !ok {
		return StaffCase{}, domain.Errorf(domain.ENOTFOUND, "case %s had not been reported by %s", id, asOf.Format(time.RFC3339))
	}
	out := StaffCase{CaseRecord: rec, AsOf: asOf}
	if domain.CanSeeReporter(actor, now, s.d.Rules.Geo) {
		r, err := s.openReporter(ctx, now)
		if errors.Is(err, domain.ErrReporterErased) {
			return out, nil // erased, the event not yet recorded: shown as erased
		}
		if err != nil {
			return StaffCase{}, err
		}
		out.Reporter, out.ReporterVisible = r, true
		s.d.Log.Info("reporter identity read", "case", id, "by", actor.ID, "role", actor.Role, "unit", actor.Unit, "as_of", asOf)
	}
	return out, nil
}

// openReporter unseals a case's reporter for a reader the caller has
// checked with domain.CanSeeReporter. The error wraps
// domain.ErrReporterErased if the key was destroyed.
func (s *Service) openReporter(ctx context.Context, c domain.Case) (*domain.Reporter, error) {
	plain, err := s.d.Vault.Open(ctx, *c.Reporter)
	if err != nil {
		return nil, fmt.Errorf("cases: open reporter of %s: %w", c.ID, err)
	}
	var r domain.Reporter
	if err := json.Unmarshal(plain, &r); err != nil {
		return nil, fmt.Errorf("cases: decode reporter of %s: %w", c.ID, err)
	}
	return &r, nil
}
