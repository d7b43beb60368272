package cases

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
	"phananh/projections"
)

// Error codes of the dashboards and exports, beside the domain's.
const (
	// EInvalidUnit: the unit named in a query is not in the geography.
	EInvalidUnit domain.Code = "invalid_unit"
	// EInvalidPeriod: a month (YYYY-MM), year (YYYY) or date (YYYY-MM-DD)
	// that is malformed or outside what the dashboards cover.
	EInvalidPeriod domain.Code = "invalid_period"
)

// Limits of the dashboards' periods: nothing before 2000, nothing after
// next month; a case list covers at most MaxExportDays days.
const (
	firstYear     = 2000
	MaxExportDays = 366
)

// DashboardQuery is a dashboard request as the client wrote it; the
// service validates it. Month is YYYY-MM (the current month when empty),
// Year is YYYY (the current year when empty).
//
// AsOf, when not zero, asks a staff dashboard as it stood at that moment
// (time travel): see MonthlyDashboard. The public figures ignore it: a
// replay of the log is too costly to offer to anyone who asks.
type DashboardQuery struct {
	Month    string
	Year     string
	Unit     string
	Commune  string
	Kind     string
	Category string
	AsOf     time.Time
}

// scope is which units' figures a reader may see (domain.FiguresScope).
type scope struct {
	all  bool   // every unit
	unit string // otherwise only this one
}

func dashboardScope(a domain.Actor, exports bool) (scope, error) {
	all, unit, err := domain.FiguresScope(a, exports)
	return scope{all: all, unit: unit}, err
}

// restrict applies the scope to the unit a query names.
func (sc scope) restrict(a domain.Actor, unit string) (string, error) {
	if sc.all {
		return unit, nil
	}
	if unit != "" && unit != sc.unit {
		return "", domain.Errorf(domain.EFORBIDDEN, "a %s of %s may not read the figures of %s", a.Role, sc.unit, unit)
	}
	return sc.unit, nil
}

var (
	monthPattern = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}$`)
	yearPattern  = regexp.MustCompile(`^[0-9]{4}$`)
	datePattern  = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}$`)
)

// nextMonth is the last month the dashboards answer for: the month after
// now, in Vietnam time.
func nextMonth(now time.Time) time.Time {
	n := now.In(domain.Vietnam)
	return projections.MonthStart(n.Year(), n.Month()).AddDate(0, 1, 0)
}

// parseMonth reads YYYY-MM between 2000-01 and next month.
func parseMonth(raw string, now time.Time) (int, time.Month, error) {
	if raw == "" {
		n := now.In(domain.Vietnam)
		return n.Year(), n.Month(), nil
	}
	t, err := time.ParseInLocation("2006-01", raw, domain.Vietnam)
	if !monthPattern.MatchString(raw) || err != nil {
		return 0, 0, domain.FieldErrorf(EInvalidPeriod, "month", "month %q is not YYYY-MM", raw)
	}
	if t.Year() < firstYear || t.After(nextMonth(now)) {
		return 0, 0, domain.FieldErrorf(EInvalidPeriod, "month", "month %s is not between %d-01 and %s", raw, firstYear, nextMonth(now).Format("2006-01"))
	}
	return t.Year(), t.Month(), nil
}

// parseYear reads YYYY between 2000 and the year of next month.
func parseYear(raw string, now time.Time) (int, error) {
	if raw == "" {
		return now.In(domain.Vietnam).Year(), nil
	}
	y, err := strconv.Atoi(raw)
	if !yearPattern.MatchString(raw) || err != nil {
		return 0, domain.FieldErrorf(EInvalidPeriod, "year", "year %q is not YYYY", raw)
	}
	if last := nextMonth(now).Year(); y < firstYear || y > last {
		return 0, domain.FieldErrorf(EInvalidPeriod, "year", "year %d is not between %d and %d", y, firstYear, last)
	}
	return y, nil
}

// parseDate reads YYYY-MM-DD (a day in Vietnam) from 2000-01-01 on.
func parseDate(field, raw string) (time.Time, error) {
	if raw == "" {
		// Not ERequired: its Vietnamese message would name the field by the
		// label "to" has elsewhere (the unit a case is transferred to).
		return time.Time{}, domain.FieldErrorf(EInvalidPeriod, field, "give %s as YYYY-MM-DD", field)
	}
	t, err := time.ParseInLocation(time.DateOnly, raw, domain.Vietnam)
	if !datePattern.MatchString(raw) || err != nil {
		return time.Time{}, domain.FieldErrorf(EInvalidPeriod, field, "%s %q is not a date YYYY-MM-DD", field, raw)
	}
	if t.Year() < firstYear {
		return time.Time{}, domain.FieldErrorf(EInvalidPeriod, field, "%s is before %d", field, firstYear)
	}
	return t, nil
}

// filter validates the unit, commune, kind and category of a query.
func (s *Service) filter(q DashboardQuery) (projections.DashboardFilter, error) {
	f := projections.DashboardFilter{Unit: q.Unit, Commune: q.Commune, Kind: domain.Kind(q.Kind), Category: domain.Category(q.Category)}
	if err := s.checkUnit(f.Unit); err != nil {
		return f, err
	}
	if f.Commune != "" {
		if _, ok := s.d.Rules.Geo.Commune(f.Commune); !ok {
			return f, domain.FieldErrorf(domain.EInvalidCommune, "commune", "unknown commune %q", f.Commune)
		}
	}
	if f.Kind != "" && !f.Kind.Valid() {
		return f, domain.FieldErrorf(domain.EInvalidKind, "kind", "unknown kind %q", f.Kind)
	}
	if f.Category != "" {
		if _, ok := domain.LookupCategory(f.Category); !ok {
			return f, domain.FieldErrorf(domain.EInvalidCategory, "category", "unknown category %q", f.Category)
		}
	}
	return f, nil
}

func (s *Service) checkUnit(unit string) error {
	if unit == "" {
		return nil
	}
	if _, ok := s.d.Rules.Geo.Unit(unit); !ok {
		return domain.FieldErrorf(EInvalidUnit, "unit", "unknown unit %q", unit)
	}
	return nil
}

func (s *Service) dashboard() (*projections.Dashboard, error) {
	if s.d.Dashboard == nil {
		return nil, domain.Errorf(domain.EUnavailable, "this server keeps no dashboard")
	}
	return s.d.Dashboard, nil
}

// query validates a query's unit, commune, kind and category, applies the
// caller's scope to the unit, and waits (bounded) until the read models
// have applied after.
func (s *Service) query(ctx context.Context, sc scope, actor domain.Actor, q DashboardQuery, after uint64) (projections.DashboardFilter, error) {
	f, err := s.filter(q)
	if err != nil {
		return f, err
	}
	if f.Unit, err = sc.restrict(actor, f.Unit); err != nil {
		return f, err
	}
	return f, s.WaitAfter(ctx, after)
}

// moment is the time a staff dashboard query is answered at, and whether
// the answer is replayed from the log (q.AsOf was given): q.AsOf, or the
// service's clock when q.AsOf is zero or later than it (the future has not
// happened: it is read as now).
func (s *Service) moment(q DashboardQuery) (now time.Time, replay bool) {
	now = s.d.Now()
	if q.AsOf.IsZero() {
		return now, false
	}
	if q.AsOf.Before(now) {
		now = q.AsOf
	}
	return now, true
}

// dashboardAt returns the model that answers at now: the live dashboard,
// or, to replay, a new one fed the log as of now (the answer's seq, the
// model's LastSeq, is then the last event replayed).
func (s *Service) dashboardAt(ctx context.Context, now time.Time, replay bool) (*projections.Dashboard, error) {
	if !replay {
		return s.dashboard()
	}
	if s.d.History == nil {
		return nil, domain.Errorf(domain.EUnavailable, "this server cannot replay the log for a past dashboard")
	}
	d := projections.NewDashboard(s.d.Rules.Geo)
	if _, err := projections.RebuildAsOf(ctx, s.d.History, now, d); err != nil {
		return nil, fmt.Errorf("cases: dashboard as of %s: %w", now.Format(time.RFC3339Nano), err)
	}
	return d, nil
}

// MonthlyDashboard returns a month's figures for a staff member who may
// read them (see dashboardScope). With after > 0 it first waits, bounded,
// until the read models have applied that sequence.
//
// With q.AsOf it answers as the dashboard stood then: a new model is fed
// the log as of q.AsOf (projections.RebuildAsOf) and read with now =
// q.AsOf, so a month in progress then has its stocks as of then, and the
// month, when not given, is the month of q.AsOf, which also bounds the
// months that may be asked (up to the next one). The replay reads the
// log itself, so it is never behind and after is not waited for. A
// q.AsOf later than now is read as now, still from the log. Access is
// checked before any replay, on the same rules. Such a query replays the
// log from its start: see projections.MaxConcurrentReplays for the cost.
func (s *Service) MonthlyDashboard(ctx context.Context, actor domain.Actor, q DashboardQuery, after uint64) (projections.MonthlyDashboard, error) {
	now, replay := s.moment(q)
	sc, err := dashboardScope(actor, false)
	if err != nil {
		return projections.MonthlyDashboard{}, err
	}
	year, month, err := parseMonth(q.Month, now)
	if err != nil {
		return projections.MonthlyDashboard{}, err
	}
	if replay {
		after = 0
	}
	f, err := s.query(ctx, sc, actor, q, after)
	if err != nil {
		return projections.MonthlyDashboard{}, err
	}
	d, err := s.dashboardAt(ctx, now, replay)
	if err != nil {
		return projections.MonthlyDashboard{}, err
	}
	return d.Monthly(year, month, f, now), nil
}

// AnnualDashboard returns the annual review of a year for a staff member
// who may read the dashboards. q.AsOf works as for MonthlyDashboard: the
// year, when not given, is the year of q.AsOf, and a year in progress
// then has its stocks as of then.
func (s *Service) AnnualDashboard(ctx context.Context, actor domain.Actor, q DashboardQuery, after uint64) (projections.AnnualDashboard, error) {
	now, replay := s.moment(q)
	sc, err := dashboardScope(actor, false)
	if err != nil {
		return projections.AnnualDashboard{}, err
	}
	year, err := parseYear(q.Year, now)
	if err != nil {
		return projections.AnnualDashboard{}, err
	}
	if replay {
		after = 0
	}
	f, err := s.query(ctx, sc, actor, q, after)
	if err != nil {
		return projections.AnnualDashboard{}, err
	}
	d, err := s.dashboardAt(ctx, now, replay)
	if err != nil {
		return projections.AnnualDashboard{}, err
	}
	return d.Annual(year, f, now), nil
}

// PublicCounts are the figures anyone may read: counts of cases, nothing
// a person wrote (no text, no ratings or their comments) and nothing
// about who handles a case internally.
type PublicCounts struct {
	Received int `json:"received"`
	Accepted int `json:"accepted"`
	Rejected int `json:"rejected"`
	Resolved int `json:"resolved"`
	Closed   int `json:"closed"`
	Backlog  int `json:"backlog"`
	Overdue  int `json:"overdue"`
}

func publicCounts(f projections.Figures) PublicCounts {
	return PublicCounts{Received: f.Received, Accepted: f.Accepted, Rejected: f.Rejected, Resolved: f.Resolved,
		Closed: f.Closed, Backlog: f.Backlog, Overdue: f.Overdue}
}

// PublicMonthly is a month's public figures, in total and by category,
// kind and commune.
type PublicMonthly struct {
	Month string `json:"month"`
	PublicCounts
	ByCategory map[string]PublicCounts `json:"by_category"`
	ByKind     map[string]PublicCounts `json:"by_kind"`
	ByCommune  map[string]PublicCounts `json:"by_commune"`
	Seq        uint64                  `json:"seq"`
}

// PublicMonthlyDashboard returns a month's public figures; anyone may ask.
func (s *Service) PublicMonthlyDashboard(ctx context.Context, q DashboardQuery, after uint64) (PublicMonthly, error) {
	d, err := s.dashboard()
	if err != nil {
		return PublicMonthly{}, err
	}
	now := s.d.Now()
	year, month, err := parseMonth(q.Month, now)
	if err != nil {
		return PublicMonthly{}, err
	}
	f, err := s.query(ctx, scope{all: true}, domain.Actor{}, q, after)
	if err != nil {
		return PublicMonthly{}, err
	}
	m := d.Monthly(year, month, f, now)
	out := PublicMonthly{Month: m.Month, PublicCounts: publicCounts(m.Figures), Seq: m.Seq,
		ByCategory: publicLines(m.ByCategory), ByKind: publicLines(m.ByKind), ByCommune: publicLines(m.ByCommune)}
	return out, nil
}

func publicLines(in map[string]projections.Figures) map[string]PublicCounts {
	out := make(map[string]PublicCounts, len(in))
	for code, f := range in {
		if c := publicCounts(f); c != (PublicCounts{}) {
			out[code] = c
		}
	}
	return out
}

// CaseExportQuery selects the cases of a unit (all units when empty and
// the caller may read them) received from From to To, both days included
// (YYYY-MM-DD, Vietnam time).
type CaseExportQuery struct {
	Unit string
	From string
	To   string
}

// CaseRow is one case in a case list export. It has no reporter data and
// no text anyone wrote: no role sees reporter data in exports in this
// version, whatever it may see on screen.
type CaseRow struct {
	ID         uuid.UUID       `json:"id"`
	ReceivedAt time.Time       `json:"received_at"`
	Kind       domain.Kind     `json:"kind"`
	Category   domain.Category `json:"category"`
	Commune    string          `json:"commune"`
	Unit       string          `json:"unit"`
	Status     domain.Status   `json:"status"`
	Deadline   *time.Time      `json:"deadline"`    // null: no clock runs (rejected)
	ResolvedAt *time.Time      `json:"resolved_at"` // null: not resolved (or reopened)
	Overdue    bool            `json:"overdue"`     // judged at the time of the export
}

// CaseExport is a case list export with what it covers.
type CaseExport struct {
	Unit  string    `json:"unit,omitempty"`
	From  string    `json:"from"`
	To    string    `json:"to"`
	Items []CaseRow `json:"items"`
	Seq   uint64    `json:"seq"`
}

// ExportCases lists the cases received in a date range that are now with
// a unit, oldest first, for a staff member who may export them (see
// dashboardScope): unit heads and officers their own unit's only.
func (s *Service) ExportCases(ctx context.Context, actor domain.Actor, q CaseExportQuery, after uint64) (CaseExport, error) {
	sc, err := dashboardScope(actor, true)
	if err != nil {
		return CaseExport{}, err
	}
	from, err := parseDate("from", q.From)
	if err != nil {
		return CaseExport{}, err
	}
	to, err := parseDate("to", q.To)
	if err != nil {
		return CaseExport{}, err
	}
	end := to.AddDate(0, 0, 1)
	if end.Before(from.AddDate(0, 0, 1)) {
		return CaseExport{}, domain.FieldErrorf(EInvalidPeriod, "to", "to (%s) is before from (%s)", q.To, q.From)
	}
	if end.After(from.AddDate(0, 0, MaxExportDays)) {
		return CaseExport{}, domain.FieldErrorf(EInvalidPeriod, "to", "a case list covers at most %d days", MaxExportDays)
	}
	if err := s.checkUnit(q.Unit); err != nil {
		return CaseExport{}, err
	}
	unit, err := sc.restrict(actor, q.Unit)
	if err != nil {
		return CaseExport{}, err
	}
	if err := s.WaitAfter(ctx, after); err != nil {
		return CaseExport{}, err
	}
	now := s.d.Now()
	out := CaseExport{Unit: unit, From: q.From, To: q.To, Items: []CaseRow{}, Seq: s.d.View.LastSeq()}
	s.d.View.Scan(func(c domain.Case) {
		if (unit != "" && c.Unit != unit) || c.ReceivedAt.Before(from) || !c.ReceivedAt.Before(end) {
			return
		}
		out.Items = append(out.Items, CaseRow{ID: c.ID, ReceivedAt: c.ReceivedAt.In(domain.Vietnam), Kind: c.Kind,
			Category: c.Category, Commune: c.Location.Commune, Unit: c.Unit, Status: c.Status,
			Deadline: inVietnam(c.Deadline), ResolvedAt: inVietnam(c.ResolvedAt), Overdue: c.Overdue(now)})
	})
	slices.SortFunc(out.Items, func(a, b CaseRow) int {
		return cmp.Or(a.ReceivedAt.Compare(b.ReceivedAt), cmp.Compare(a.ID.String(), b.ID.String()))
	})
	return out, nil
}

func inVietnam(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.In(domain.Vietnam)
	return &t
}
