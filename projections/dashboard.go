package projections

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
)

// The monthly dashboard is a pure fold of the log: the figures of any month
// follow from the events alone, so a model rebuilt from the log up to a
// past sequence answers as the dashboard stood then (time travel), and a
// model restored from a snapshot answers as one rebuilt from scratch.
//
// Months are calendar months in Vietnam time (domain.Vietnam, UTC+07:00).
// Vietnam has had one offset and no daylight saving since 1975, so the fixed
// zone is exact for every date the dashboard can be asked about
// (2000 onwards): an event at 2026-03-31T17:30:00Z is 00:30 on 1 April.
//
// What the figures count, and under which unit, commune, kind and category:
//
//   - Flows (received, accepted, rejected, resolved, closed, mediations,
//     ratings, coordination) count the events of the month, each under the
//     case's unit, commune, kind and category when the event happened, i.e.
//     as the case stood just before it (a reported event under what it
//     reports). A case transferred in March and resolved in April counts
//     as received by the first unit and resolved by the second.
//   - Stocks (backlog, overdue) are the state at the month's end: cases
//     received by then and not resolved, closed or rejected as of then
//     (backlog), of which those whose deadline in force then had passed
//     before then (overdue), each under what the case was at the month's
//     end. For the month in progress the end is the query's "now", and a
//     month that has not begun has no stocks.
//   - Days to resolve are counted for every resolved event of the month
//     (a case resolved, reopened and resolved again in one month counts
//     twice), from the case's receipt to that resolution, in days of 24
//     hours; median (the mean of the two middle values for an even count)
//     and p90 (nearest rank: the ⌈0.9·n⌉-th smallest) are rounded to
//     hundredths of a day.
//   - On time: a resolution at or before the deadline in force when it was
//     recorded; a resolution with no clock running counts as on time.
//   - Mediation: every mediation_held event is held; agreed and failed by
//     its outcome (a first absence is held, neither agreed nor failed; a
//     second one is recorded as failed by the domain).
//
// Events of one case normally arrive in time order; should a replica's
// clock put an event before the case's previous one, the model takes it as
// happening at the previous event's time, so a case's history never runs
// backwards.

// DashboardFilter selects the figures of one unit, commune, kind or
// category; zero fields do not filter and every given field must hold.
type DashboardFilter struct {
	Unit     string
	Commune  string
	Kind     domain.Kind
	Category domain.Category
}

// Mediation counts mediation sessions.
type Mediation struct {
	Held   int `json:"held"`
	Agreed int `json:"agreed"`
	Failed int `json:"failed"`
}

// Figures are the counters of a month (or a year), for all the cases a
// query selects or for one line of a breakdown. Averages, rates and days
// are null when there is nothing to average.
type Figures struct {
	Received            int       `json:"received"`
	Accepted            int       `json:"accepted"`
	Rejected            int       `json:"rejected"`
	Resolved            int       `json:"resolved"`
	Closed              int       `json:"closed"`
	Backlog             int       `json:"backlog"`
	Overdue             int       `json:"overdue"`
	MedianDaysToResolve *float64  `json:"median_days_to_resolve"`
	P90DaysToResolve    *float64  `json:"p90_days_to_resolve"`
	OnTimeRate          *float64  `json:"on_time_rate"`
	Mediation           Mediation `json:"mediation"`
	RatingAvg           *float64  `json:"rating_avg"`
}

// TopCommune is a commune among those with the most reports.
type TopCommune struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	Received int    `json:"received"`
}

// TopCommunesLimit is how many communes top_communes lists.
const TopCommunesLimit = 10

// Breakdowns split the figures by category, kind, commune and unit (keyed
// by code; a line appears only if one of its figures is not zero) and list
// the communes with the most reports (most first, then by code; those with
// none are not listed).
type Breakdowns struct {
	ByCategory  map[string]Figures `json:"by_category"`
	ByKind      map[string]Figures `json:"by_kind"`
	ByCommune   map[string]Figures `json:"by_commune"`
	ByUnit      map[string]Figures `json:"by_unit"`
	TopCommunes []TopCommune       `json:"top_communes"`
}

// MonthlyDashboard is one month's figures. Seq is the last stream sequence
// they reflect. Its JSON keys come out in a fixed order (struct fields, and
// maps sorted by key), so the same log gives byte-identical JSON.
type MonthlyDashboard struct {
	Month string `json:"month"` // YYYY-MM
	Figures
	Breakdowns
	Seq uint64 `json:"seq"`
}

// Coordination counts what the annual conference of the Department and
// the Fatherland Front reviews:
//   - supervision notes: comments recorded by a supervisor (the Front);
//   - joint inspections: inspections recorded on a case on which, earlier,
//     another unit of the Front or of the inspectorate (or a supervisor)
//     had acted: the inspection was not the handling unit's alone;
//   - mediations with the Front: mediation sessions held by a council that
//     had a fatherland_front member when the session was last scheduled;
//   - transfers between the Department (its divisions and inspectorate)
//     and the communes' People's Committees, each way. Escalations to a
//     higher authority are not transfers and are not counted.
type Coordination struct {
	SupervisionNotes             int `json:"supervision_notes"`
	JointInspections             int `json:"joint_inspections"`
	MediationsWithFront          int `json:"mediations_with_front"`
	TransfersDepartmentToCommune int `json:"transfers_department_to_commune"`
	TransfersCommuneToDepartment int `json:"transfers_commune_to_department"`
}

func (c *Coordination) add(o Coordination) {
	c.SupervisionNotes += o.SupervisionNotes
	c.JointInspections += o.JointInspections
	c.MediationsWithFront += o.MediationsWithFront
	c.TransfersDepartmentToCommune += o.TransfersDepartmentToCommune
	c.TransfersCommuneToDepartment += o.TransfersCommuneToDepartment
}

// AnnualMonth is one month of the annual review: its figures without
// breakdowns (the months side by side), and its coordination figures.
type AnnualMonth struct {
	Month string `json:"month"`
	Figures
	Coordination Coordination `json:"coordination"`
}

// AnnualTotals are the year's figures: flows summed over the year, stocks
// at its end (or now, for the year in progress), days and rates over every
// resolution of the year; with breakdowns.
type AnnualTotals struct {
	Figures
	Breakdowns
}

// AnnualDashboard is the annual review: the twelve months side by side,
// the year's totals, and the year's coordination figures.
type AnnualDashboard struct {
	Year         int           `json:"year"`
	Months       []AnnualMonth `json:"months"`
	Totals       AnnualTotals  `json:"totals"`
	Coordination Coordination  `json:"coordination"`
	Seq          uint64        `json:"seq"`
}

// dims are what a case is filed under: the dashboard's cells.
type dims struct {
	unit     string
	commune  string
	kind     domain.Kind
	category domain.Category
}

func dimsOf(c domain.Case) dims {
	return dims{unit: c.Unit, commune: c.Location.Commune, kind: c.Kind, category: c.Category}
}

func (f DashboardFilter) match(d dims) bool {
	return (f.Unit == "" || f.Unit == d.unit) && (f.Commune == "" || f.Commune == d.commune) &&
		(f.Kind == "" || f.Kind == d.kind) && (f.Category == "" || f.Category == d.category)
}

// tally is what one cell (a month × dims) holds.
type tally struct {
	received, accepted, rejected, resolved, closed int
	onTime                                         int
	days                                           []float64 // days to resolve, per resolution
	mediation                                      Mediation
	ratingSum, ratings                             int
	coord                                          Coordination

	// Stocks are kept as differences: a case that becomes open in month m
	// adds one to backlogDelta of m and a case that stops being open
	// subtracts one in the month it stops; the backlog at the end of month
	// M is the sum of the deltas of every month up to M. overdueDelta is
	// the same for "open with its deadline passed": it starts in the month
	// of the deadline (or later, when the case opens later).
	backlogDelta, overdueDelta int
}

// acc sums tallies for one line of a query's answer.
type acc struct {
	tally
	backlog, overdue int
}

func (a *acc) addFlows(t *tally) {
	a.received += t.received
	a.accepted += t.accepted
	a.rejected += t.rejected
	a.resolved += t.resolved
	a.closed += t.closed
	a.onTime += t.onTime
	a.days = append(a.days, t.days...)
	a.mediation.Held += t.mediation.Held
	a.mediation.Agreed += t.mediation.Agreed
	a.mediation.Failed += t.mediation.Failed
	a.ratingSum += t.ratingSum
	a.ratings += t.ratings
	a.coord.add(t.coord)
}

func (a *acc) add(o *acc) {
	a.addFlows(&o.tally)
	a.backlog += o.backlog
	a.overdue += o.overdue
}

// empty reports whether a line has no figure to show (coordination
// figures are not shown by line).
func (a *acc) empty() bool {
	return a.received == 0 && a.accepted == 0 && a.rejected == 0 && a.resolved == 0 && a.closed == 0 &&
		a.backlog == 0 && a.overdue == 0 && a.mediation == (Mediation{}) && a.ratings == 0
}

func (a *acc) figures() Figures {
	f := Figures{Received: a.received, Accepted: a.accepted, Rejected: a.rejected, Resolved: a.resolved,
		Closed: a.closed, Backlog: a.backlog, Overdue: a.overdue, Mediation: a.mediation}
	if n := len(a.days); n > 0 {
		days := slices.Clone(a.days)
		slices.Sort(days)
		median := days[n/2]
		if n%2 == 0 {
			median = (days[n/2-1] + days[n/2]) / 2
		}
		p90 := days[(9*n+9)/10-1] // nearest rank ⌈0.9·n⌉, in integers
		f.MedianDaysToResolve, f.P90DaysToResolve = ptr(round(median, 2)), ptr(round(p90, 2))
	}
	if a.resolved > 0 {
		f.OnTimeRate = ptr(round(float64(a.onTime)/float64(a.resolved), 4))
	}
	if a.ratings > 0 {
		f.RatingAvg = ptr(round(float64(a.ratingSum)/float64(a.ratings), 2))
	}
	return f
}

func ptr(f float64) *float64 { return &f }

func round(f float64, places int) float64 {
	p := math.Pow10(places)
	return math.Round(f*p) / p
}

// dashCase is what the model keeps of one case.
type dashCase struct {
	c  caseCore
	at stamp // time of the case's latest event, never moving backwards
	// frontCouncil: the council of the last scheduled mediation has a
	// Fatherland Front member.
	frontCouncil bool
	// partners are the Front and inspectorate units (and supervisors)
	// that have acted on the case, for joint inspections.
	partners []string
}

// Dashboard is the monthly dashboard read model: per month (Vietnam time)
// and per unit × commune × kind × category, the flows of the month and the
// differences that give the backlog and overdue cases at the month's end.
// A query sums the cells up to the month it asks for; for the month in
// progress it reads the stocks from an index of the cases open now, per
// dims, with their deadlines in order (overdue at now is a binary search),
// and scans the cases only when some were received after that month. The
// read lock is held while the cells are summed, not while the answer is
// built. Measured (2 vCPU) on a year of 30,000 cases: ≈ 1–2 ms for the month
// in progress (BenchmarkDashboardMonthInProgress; 8–9 ms when it scanned
// every case), ≈ 30 ms for the annual review (thirteen sums over every
// month's cells, BenchmarkDashboardAnnual).
type Dashboard struct {
	mu     sync.RWMutex
	geo    *domain.Geography
	cases  map[uuid.UUID]*dashCase
	months map[int]map[dims]*tally // month index (year*12 + month-1) → cells
	// open indexes the cases open now, per dims, so that the stocks of the
	// month in progress are read from it rather than from every case.
	open map[dims]*openCell
	syms *coreSymbols
	// maxReceived is the latest month any case was received in: should it
	// be after the month asked for (a query with a past "now"), the query
	// falls back to scanning the cases.
	maxReceived int
	lastSeq     uint64
}

// openCell is what the dashboard keeps of the cases open now under one
// dims: how many, and their deadlines in order (those with one).
type openCell struct {
	count int
	// deadlines holds the open cases' deadlines in order, as Unix
	// nanoseconds: integers move without the write barriers that a
	// time.Time's location pointer costs (a rebuild spent 8 % of its time
	// there), in a third of the space. Deadlines lie well within the years
	// int64 nanoseconds hold (1678 to 2262).
	deadlines []int64
}

// add counts a case open with its deadline. A deadline goes after those
// equal to it: deadlines mostly grow with time, so most land at the end
// and nothing moves.
func (c *openCell) add(deadline time.Time) {
	c.count++
	if deadline.IsZero() {
		return
	}
	d := deadline.UnixNano()
	i, _ := slices.BinarySearch(c.deadlines, d+1)
	c.deadlines = slices.Insert(c.deadlines, i, d)
}

// remove uncounts a case open with its deadline, taking the last of the
// equal deadlines, which moves the fewest.
func (c *openCell) remove(deadline time.Time) {
	c.count--
	if deadline.IsZero() {
		return
	}
	d := deadline.UnixNano()
	if i, _ := slices.BinarySearch(c.deadlines, d+1); i > 0 && c.deadlines[i-1] == d {
		c.deadlines = slices.Delete(c.deadlines, i-1, i)
	}
}

// overdueAt counts the deadlines before now: an open case is overdue
// (domain.Case.Overdue) exactly when its deadline has passed.
func (c *openCell) overdueAt(now time.Time) int {
	n, _ := slices.BinarySearch(c.deadlines, now.UnixNano())
	return n
}

// trackOpen moves a case in the open index from what it was to what it is.
func (d *Dashboard) trackOpen(before, after domain.Case) {
	if open(before) {
		k := dimsOf(before)
		if c := d.open[k]; c != nil {
			c.remove(before.Deadline)
			if c.count == 0 {
				delete(d.open, k)
			}
		}
	}
	if open(after) {
		k := dimsOf(after)
		c := d.open[k]
		if c == nil {
			c = &openCell{}
			d.open[k] = c
		}
		c.add(after.Deadline)
	}
}

// DashboardSnapshotVersion is the version of the dashboard's snapshot
// (snapshot_dashboard.go). Bump it whenever the state the model keeps
// changes: a field of dashCase, caseCore, tally, dims, Mediation,
// Coordination or openCell added, removed or retyped, or Apply, moveStocks or partner
// filling any of them differently (a figure counted under another month,
// unit or rule). A snapshot of another version is discarded and the model
// rebuilt from the log. TestSnapshotVersionsFollowStateShapes catches a
// changed struct that kept its version; a changed Apply is for the
// reviewer to catch.
const DashboardSnapshotVersion = 9 // 9: domain.Case gained Denounced (the fields of 4); 3: domain.Unit gained email and webhook_url (notify); 4: openCell deadlines as int64; 5: domain.Case's flags moved (the snapshot's fields are those of 4); 6: the core's strings by number (those of 4); 7: the core's times as stamps (those of 4); 8: unnamed zones numbered by offset (those of 4)

// NewDashboard returns an empty dashboard. The geography gives the types
// of units (for the coordination figures) and the names of communes; nil
// leaves unit types unknown and names empty.
func NewDashboard(geo *domain.Geography) *Dashboard {
	return &Dashboard{geo: geo, cases: make(map[uuid.UUID]*dashCase), months: make(map[int]map[dims]*tally),
		open: make(map[dims]*openCell), syms: newCoreSymbols()}
}

// LastSeq implements ReadModel.
func (d *Dashboard) LastSeq() uint64 {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return d.lastSeq
}

// monthIndex numbers months in Vietnam time: year*12 + month - 1.
func monthIndex(t time.Time) int {
	t = t.In(domain.Vietnam)
	return t.Year()*12 + int(t.Month()) - 1
}

// MonthStart returns the first instant of a month in Vietnam time.
func MonthStart(year int, month time.Month) time.Time {
	return time.Date(year, month, 1, 0, 0, 0, 0, domain.Vietnam)
}

func startOfIndex(m int) time.Time { return MonthStart(m/12, time.Month(m%12+1)) }

func monthLabel(m int) string { return startOfIndex(m).Format("2006-01") }

func (d *Dashboard) cell(month int, k dims) *tally {
	cells := d.months[month]
	if cells == nil {
		cells = make(map[dims]*tally)
		d.months[month] = cells
	}
	t := cells[k]
	if t == nil {
		t = &tally{}
		cells[k] = t
	}
	return t
}

// Apply implements ReadModel. An event at or below the last applied
// sequence is ignored, so replaying an overlap is harmless; an event of a
// case whose report the model never saw is ignored too.
func (d *Dashboard) Apply(e domain.Envelope) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e.Seq != 0 {
		if e.Seq <= d.lastSeq {
			return
		}
		d.lastSeq = e.Seq
	}
	dc := d.cases[e.CaseID]
	if dc == nil {
		if _, ok := e.Event.(domain.Reported); !ok {
			return
		}
		dc = &dashCase{}
		d.cases[e.CaseID] = dc
	}
	at := e.Time
	if instant(at).Compare(dc.at) < 0 {
		at = d.syms.time(dc.at)
	} else {
		dc.at = d.syms.stamp(at)
	}
	e.Time = at
	month := monthIndex(at)

	before := d.syms.full(dc.c)
	after := domain.Evolve(before, e)
	where := dimsOf(before)
	if _, ok := e.Event.(domain.Reported); ok {
		where = dimsOf(after)
	}
	t := d.cell(month, where)
	switch ev := e.Event.(type) {
	case domain.Reported:
		t.received++
		d.maxReceived = max(d.maxReceived, monthIndex(after.ReceivedAt))
	case domain.Accepted:
		t.accepted++
	case domain.Rejected:
		t.rejected++
	case domain.Resolved:
		t.resolved++
		t.days = append(t.days, at.Sub(before.ReceivedAt).Hours()/24)
		if before.Deadline.IsZero() || !at.After(before.Deadline) {
			t.onTime++
		}
	case domain.Closed:
		t.closed++
	case domain.MediationScheduled:
		dc.frontCouncil = slices.ContainsFunc(ev.Council, func(m domain.CouncilMember) bool { return m.Role == domain.CouncilFront })
	case domain.MediationHeld:
		t.mediation.Held++
		switch ev.Outcome {
		case domain.MediationAgreed:
			t.mediation.Agreed++
		case domain.MediationFailed:
			t.mediation.Failed++
		}
		if dc.frontCouncil {
			t.coord.MediationsWithFront++
		}
	case domain.FeedbackGiven:
		t.ratingSum += ev.Rating
		t.ratings++
	case domain.CommentAdded:
		if e.Actor.Role == domain.RoleSupervisor {
			t.coord.SupervisionNotes++
		}
	case domain.InspectionRecorded:
		if slices.ContainsFunc(dc.partners, func(p string) bool { return p != e.Actor.Unit }) {
			t.coord.JointInspections++
		}
	case domain.Transferred:
		from, to := d.unitType(ev.From), d.unitType(ev.To)
		switch {
		case department(from) && to == domain.UnitCommuneCommittee:
			t.coord.TransfersDepartmentToCommune++
		case from == domain.UnitCommuneCommittee && department(to):
			t.coord.TransfersCommuneToDepartment++
		}
	}
	if p, ok := d.partner(e.Actor); ok && !slices.Contains(dc.partners, p) {
		dc.partners = append(dc.partners, p)
	}
	d.moveStocks(month, before, after)
	// The dashboard needs neither the title nor the sealed reporter.
	after.Title = ""
	dc.c = d.syms.core(dc.c, after)
}

// moveStocks records, from month on, that the case's state at month ends
// changes from before to after.
func (d *Dashboard) moveStocks(month int, before, after domain.Case) {
	bOpen, aOpen := open(before), open(after)
	if bOpen == aOpen && dimsOf(before) == dimsOf(after) && before.Deadline.Equal(after.Deadline) {
		return
	}
	d.trackOpen(before, after)
	if bOpen {
		d.cell(month, dimsOf(before)).backlogDelta--
		if !before.Deadline.IsZero() {
			d.cell(max(month, monthIndex(before.Deadline)), dimsOf(before)).overdueDelta--
		}
	}
	if aOpen {
		d.cell(month, dimsOf(after)).backlogDelta++
		if !after.Deadline.IsZero() {
			d.cell(max(month, monthIndex(after.Deadline)), dimsOf(after)).overdueDelta++
		}
	}
}

// open reports whether a case counts in the backlog: received and not
// resolved, closed or rejected.
func open(c domain.Case) bool { return c.Status != domain.StatusNew && isOpen(c.Status) }

func department(t domain.UnitType) bool {
	return t == domain.UnitDivision || t == domain.UnitInspectorate
}

func (d *Dashboard) unitType(code string) domain.UnitType {
	if d.geo == nil {
		return ""
	}
	u, _ := d.geo.Unit(code)
	return u.Type
}

// partner says whether an actor acts for the Fatherland Front or the
// inspectorate, and under which name it counts.
func (d *Dashboard) partner(a domain.Actor) (string, bool) {
	switch t := d.unitType(a.Unit); {
	case a.Role == domain.RoleSupervisor && a.Unit == "":
		return "supervisor:" + a.ID, true
	case a.Role == domain.RoleSupervisor, t == domain.UnitFrontBoard, t == domain.UnitInspectorate:
		return a.Unit, true
	}
	return "", false
}

// collect sums, per dims, the flows of months from..to and the stocks at
// the end of month stock (at now, if that month is in progress; none if it
// has not begun).
func (d *Dashboard) collect(from, to, stock int, now time.Time) map[dims]*acc {
	out := make(map[dims]*acc)
	line := func(k dims) *acc {
		a := out[k]
		if a == nil {
			a = &acc{}
			out[k] = a
		}
		return a
	}
	for m, cells := range d.months {
		if m < from || m > to {
			continue
		}
		for k, t := range cells {
			line(k).addFlows(t)
		}
	}
	switch {
	case !now.Before(startOfIndex(stock + 1)): // the month is over: sum the differences
		for m, cells := range d.months {
			if m > stock {
				continue
			}
			for k, t := range cells {
				if t.backlogDelta != 0 || t.overdueDelta != 0 {
					a := line(k)
					a.backlog += t.backlogDelta
					a.overdue += t.overdueDelta
				}
			}
		}
	case !now.Before(startOfIndex(stock)) && d.maxReceived <= stock: // in progress: the open cases now
		for k, c := range d.open {
			a := line(k)
			a.backlog += c.count
			a.overdue += c.overdueAt(now)
		}
	case !now.Before(startOfIndex(stock)): // in progress, cases received after it: scan them
		for _, dc := range d.cases {
			c := d.syms.full(dc.c)
			if !open(c) || monthIndex(c.ReceivedAt) > stock {
				continue
			}
			a := line(dimsOf(c))
			a.backlog++
			if c.Overdue(now) {
				a.overdue++
			}
		}
	}
	return out
}

// summarise adds up the lines a filter selects, in total and by dimension.
func (d *Dashboard) summarise(lines map[dims]*acc, f DashboardFilter) (Figures, Breakdowns, Coordination) {
	var total acc
	by := [4]map[string]*acc{{}, {}, {}, {}}
	for k, a := range lines {
		if !f.match(k) {
			continue
		}
		total.add(a)
		for i, code := range [4]string{string(k.category), string(k.kind), k.commune, k.unit} {
			b := by[i][code]
			if b == nil {
				b = &acc{}
				by[i][code] = b
			}
			b.add(a)
		}
	}
	figures := func(m map[string]*acc) map[string]Figures {
		out := make(map[string]Figures, len(m))
		for code, a := range m {
			if !a.empty() {
				out[code] = a.figures()
			}
		}
		return out
	}
	b := Breakdowns{ByCategory: figures(by[0]), ByKind: figures(by[1]), ByCommune: figures(by[2]),
		ByUnit: figures(by[3]), TopCommunes: []TopCommune{}}
	for code, a := range by[2] {
		if a.received > 0 {
			b.TopCommunes = append(b.TopCommunes, TopCommune{Code: code, Name: d.communeName(code), Received: a.received})
		}
	}
	slices.SortFunc(b.TopCommunes, func(x, y TopCommune) int {
		return cmp.Or(cmp.Compare(y.Received, x.Received), cmp.Compare(x.Code, y.Code))
	})
	if len(b.TopCommunes) > TopCommunesLimit {
		b.TopCommunes = b.TopCommunes[:TopCommunesLimit]
	}
	return total.figures(), b, total.coord
}

func (d *Dashboard) communeName(code string) string {
	if d.geo == nil {
		return ""
	}
	c, _ := d.geo.Commune(code)
	return c.Name
}

// Monthly returns the figures of a month for the cases f selects. now is
// the end of a month in progress (the caller's clock, or the as-of time of
// a model rebuilt for time travel).
func (d *Dashboard) Monthly(year int, month time.Month, f DashboardFilter, now time.Time) MonthlyDashboard {
	m := year*12 + int(month) - 1
	// Only the sums over cells need the lock; the lines they give are the
	// query's own, so writes need not wait while they are summarised.
	d.mu.RLock()
	lines, seq := d.collect(m, m, m, now), d.lastSeq
	d.mu.RUnlock()
	figures, breakdowns, _ := d.summarise(lines, f)
	return MonthlyDashboard{Month: monthLabel(m), Figures: figures, Breakdowns: breakdowns, Seq: seq}
}

// Annual returns the annual review of a year for the cases f selects.
// The year's stocks are those at its end, or at now for the year in
// progress.
func (d *Dashboard) Annual(year int, f DashboardFilter, now time.Time) AnnualDashboard {
	first, last := year*12, year*12+11
	stock := min(last, max(first, monthIndex(now)))
	// Only the sums over cells need the lock (see Monthly).
	months := make([]map[dims]*acc, 0, 12)
	d.mu.RLock()
	for m := first; m <= last; m++ {
		months = append(months, d.collect(m, m, m, now))
	}
	yearLines, seq := d.collect(first, last, stock, now), d.lastSeq
	d.mu.RUnlock()
	out := AnnualDashboard{Year: year, Months: make([]AnnualMonth, 0, 12), Seq: seq}
	for i, lines := range months {
		figures, _, coord := d.summarise(lines, f)
		out.Months = append(out.Months, AnnualMonth{Month: monthLabel(first + i), Figures: figures, Coordination: coord})
	}
	figures, breakdowns, coord := d.summarise(yearLines, f)
	out.Totals = AnnualTotals{Figures: figures, Breakdowns: breakdowns}
	out.Coordination = coord
	return out
}
