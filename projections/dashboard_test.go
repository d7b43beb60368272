package projections_test

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
	"phananh/projections"
)

// The dashboard tests generate a log of cases with a seeded random source
// and check every figure against an independent computation from the same
// events: plain loops over the log that track each case's status, unit,
// deadline and classification by themselves, without domain.Evolve or any
// of the projection's code.

// dashGen generates the log.
type dashGen struct {
	r      *rand.Rand
	events []domain.Envelope
	order  map[uuid.UUID]int // events emitted per case, to keep a case's order on equal times
}

var (
	dashCommunes   = []string{"lao-cai", "cam-duong", "thuong-ha", "phuc-khanh"}
	dashDepartment = []string{"snnmt.moi-truong", "snnmt.dat-dai", "snnmt.thanh-tra"}
	dashSupervisor = domain.Actor{ID: "giam.sat", Role: domain.RoleSupervisor, Unit: "mttq.tinh"}
	dashCitizen    = domain.Actor{Role: domain.RoleCitizen}
	dashSystem     = domain.Actor{Role: domain.RoleSystem}
	dashCoord      = domain.Actor{ID: "dieu.phoi", Role: domain.RoleCoordinator}
)

func dashDays(n float64) time.Duration { return time.Duration(n * 24 * float64(time.Hour)) }

func (g *dashGen) id() uuid.UUID {
	var id uuid.UUID
	for i := range id {
		id[i] = byte(g.r.IntN(256))
	}
	return id
}

// addCase generates one case reported at t, walking a random path
// through the lifecycle: left waiting, rejected, or accepted and then
// transferred, inspected, supervised, mediated, extended, escalated,
// reclassified, resolved (on time or late), reopened, rated and closed.
func (g *dashGen) addCase(t time.Time) {
	r := g.r
	id := g.id()
	cats := domain.Categories()
	cat := cats[r.IntN(len(cats))]
	commune := dashCommunes[r.IntN(len(dashCommunes))]
	unit := "ubnd." + commune
	if r.IntN(10) < 3 {
		unit = dashDepartment[r.IntN(len(dashDepartment))]
	}
	emit := func(actor domain.Actor, e domain.Event) {
		g.events = append(g.events, domain.Envelope{ID: g.id(), CaseID: id, Time: t, Actor: actor, Event: e})
	}
	next := func() {
		t = t.Add(time.Duration(1+r.IntN(8*24*60)) * time.Minute) // a minute to eight days later
	}
	staff := func() domain.Actor { return domain.Actor{ID: "can.bo", Role: domain.RoleOfficer, Unit: unit} }

	deadline := t.Add(dashDays(1 + float64(r.IntN(15))))
	emit(dashCitizen, domain.Reported{Kind: cat.DefaultKind, Category: cat.Code, Title: "Ô nhiễm nguồn nước",
		Description: "Nước suối đổi màu", Location: domain.Location{Commune: commune}, Unit: unit,
		Clock: domain.ClockAccept, Deadline: deadline})
	if r.IntN(4) == 0 {
		next()
		emit(dashSupervisor, domain.CommentAdded{Text: "Đề nghị xử lý sớm"})
	}
	switch p := r.IntN(10); {
	case p == 0:
		return // still waiting
	case p == 1:
		next()
		emit(staff(), domain.Rejected{Reason: "Không thuộc thẩm quyền"})
		return
	}
	next()
	deadline = t.Add(dashDays(5 + float64(r.IntN(25))))
	emit(staff(), domain.Accepted{Clock: domain.ClockResolve, Deadline: deadline})
	if r.IntN(4) == 0 {
		next()
		to := dashDepartment[r.IntN(len(dashDepartment))]
		if strings.HasPrefix(unit, "snnmt.") {
			to = "ubnd." + commune
		}
		emit(dashCoord, domain.Transferred{From: unit, To: to, Reason: "Đúng thẩm quyền"})
		unit = to
	}
	if r.IntN(5) == 0 {
		next()
		emit(staff(), domain.CommentAdded{Text: "Ghi chú nội bộ"})
	}
	if r.IntN(3) == 0 {
		next()
		emit(staff(), domain.InspectionRecorded{InspectedAt: t, Findings: "Có dấu hiệu vi phạm"})
	}
	if cat.DefaultKind == domain.KindLandDispute && r.IntN(4) != 0 {
		for session := 0; session < 2; session++ {
			council := []domain.CouncilMember{{Name: "Chủ tịch", Role: domain.CouncilChair}}
			if r.IntN(4) != 0 {
				council = append(council, domain.CouncilMember{Name: "Đại diện MTTQ", Role: domain.CouncilFront})
			}
			next()
			emit(staff(), domain.MediationScheduled{At: t.Add(time.Hour), Place: "Nhà văn hóa", Council: council})
			next()
			outcome := []domain.MediationOutcome{domain.MediationAgreed, domain.MediationFailed, domain.MediationAbsent}[r.IntN(3)]
			emit(staff(), domain.MediationHeld{Outcome: outcome, Minutes: "Biên bản"})
			if outcome == domain.MediationFailed {
				next()
				emit(staff(), domain.Escalated{From: unit, To: "ubnd.tinh", Reason: "Hòa giải không thành"})
				unit = "ubnd.tinh"
			}
			if outcome != domain.MediationAbsent {
				break
			}
		}
	}
	if r.IntN(8) == 0 {
		next()
		emit(dashSystem, domain.Escalated{From: unit, To: unit, Overdue: true, Deadline: deadline, Reason: "Quá hạn"})
	}
	if r.IntN(8) == 0 {
		next()
		deadline = deadline.Add(dashDays(10))
		emit(staff(), domain.DeadlineExtended{Decision: "QĐ 1", Reason: "Phức tạp", Days: 10, Deadline: deadline})
	}
	if r.IntN(15) == 0 {
		next()
		to := cats[r.IntN(len(cats))]
		emit(staff(), domain.Reclassified{FromCategory: cat.Code, ToCategory: to.Code, FromKind: cat.DefaultKind, ToKind: to.DefaultKind, Reason: "Phân loại lại"})
	}
	if r.IntN(10) < 3 {
		return // still being handled
	}
	next()
	emit(staff(), domain.Resolved{Summary: "Đã xử lý"})
	if r.IntN(8) == 0 {
		next()
		emit(dashCitizen, domain.Reopened{Reason: "Chưa khắc phục"})
		next()
		emit(staff(), domain.Resolved{Summary: "Đã xử lý lại"})
	}
	if r.IntN(5) < 2 {
		next()
		emit(dashCitizen, domain.FeedbackGiven{Rating: 1 + r.IntN(5), Comment: "Cảm ơn cán bộ"})
	}
	if r.IntN(2) == 0 {
		next()
		emit(staff(), domain.Closed{})
	}
}

// dashLog generates n cases reported between from and to and returns
// their events in log order (by time), numbered from 1.
func dashLog(seed uint64, n int, from, to time.Time) []domain.Envelope {
	g := &dashGen{r: rand.New(rand.NewPCG(seed, seed^0x5eed))}
	span := to.Sub(from)
	for range n {
		g.addCase(from.Add(time.Duration(g.r.Int64N(int64(span)))))
	}
	// Stable: a case's events keep their order (their times rise anyway).
	slices.SortStableFunc(g.events, func(a, b domain.Envelope) int { return a.Time.Compare(b.Time) })
	for i := range g.events {
		g.events[i].Seq = uint64(i + 1)
	}
	return g.events
}

// --- the independent computation ---

// xCase is a case as the expectation tracks it.
type xCase struct {
	unit, commune string
	kind          domain.Kind
	category      domain.Category
	open          bool
	deadline      time.Time
	received      time.Time
	frontCouncil  bool
	partners      map[string]bool
}

type xFilter = projections.DashboardFilter

func xMatch(f xFilter, c xCase) bool {
	return (f.Unit == "" || f.Unit == c.unit) && (f.Commune == "" || f.Commune == c.commune) &&
		(f.Kind == "" || f.Kind == c.kind) && (f.Category == "" || f.Category == c.category)
}

func xRound(x float64, places int) float64 {
	p := math.Pow10(places)
	return math.Round(x*p) / p
}

// xFigures computes, from the log, the flows of events in [from, to) and
// the stocks after every event before stockAt (no stocks if stockAt is
// zero), for the cases f selects.
func xFigures(events []domain.Envelope, geo *domain.Geography, f xFilter, from, to, stockAt time.Time) (projections.Figures, projections.Coordination) {
	var fig projections.Figures
	var coord projections.Coordination
	var days []float64
	onTime, ratingSum, ratings := 0, 0, 0
	cases := map[uuid.UUID]*xCase{}
	unitType := func(code string) domain.UnitType {
		u, _ := geo.Unit(code)
		return u.Type
	}
	stocks := func() {
		for _, c := range cases {
			if c.open && xMatch(f, *c) {
				fig.Backlog++
				if !c.deadline.IsZero() && c.deadline.Before(stockAt) {
					fig.Overdue++
				}
			}
		}
	}
	stocksDone := stockAt.IsZero()
	for _, e := range events {
		if !stocksDone && !e.Time.Before(stockAt) {
			stocks()
			stocksDone = true
		}
		c := cases[e.CaseID]
		if r, ok := e.Event.(domain.Reported); ok {
			c = &xCase{unit: r.Unit, commune: r.Location.Commune, kind: r.Kind, category: r.Category,
				open: true, deadline: r.Deadline, received: e.Time, partners: map[string]bool{}}
			cases[e.CaseID] = c
		}
		counted := !e.Time.Before(from) && e.Time.Before(to) && xMatch(f, *c)
		count := func(n *int) {
			if counted {
				*n++
			}
		}
		switch ev := e.Event.(type) {
		case domain.Reported:
			count(&fig.Received)
		case domain.Accepted:
			count(&fig.Accepted)
			c.deadline = ev.Deadline
		case domain.Rejected:
			count(&fig.Rejected)
			c.open = false
		case domain.Resolved:
			count(&fig.Resolved)
			if counted {
				days = append(days, e.Time.Sub(c.received).Hours()/24)
				if c.deadline.IsZero() || !e.Time.After(c.deadline) {
					onTime++
				}
			}
			c.open = false
		case domain.Closed:
			count(&fig.Closed)
			c.open = false
		case domain.Reopened:
			c.open = true
		case domain.DeadlineExtended:
			c.deadline = ev.Deadline
		case domain.Transferred:
			if from, to := unitType(ev.From), unitType(ev.To); (from == domain.UnitDivision || from == domain.UnitInspectorate) && to == domain.UnitCommuneCommittee {
				count(&coord.TransfersDepartmentToCommune)
			} else if from == domain.UnitCommuneCommittee && (to == domain.UnitDivision || to == domain.UnitInspectorate) {
				count(&coord.TransfersCommuneToDepartment)
			}
			c.unit = ev.To
		case domain.Escalated:
			if !ev.Overdue {
				c.unit = ev.To
			}
		case domain.Reclassified:
			c.kind, c.category = ev.ToKind, ev.ToCategory
		case domain.MediationScheduled:
			c.frontCouncil = false
			for _, m := range ev.Council {
				if m.Role == domain.CouncilFront {
					c.frontCouncil = true
				}
			}
		case domain.MediationHeld:
			count(&fig.Mediation.Held)
			if ev.Outcome == domain.MediationAgreed {
				count(&fig.Mediation.Agreed)
			}
			if ev.Outcome == domain.MediationFailed {
				count(&fig.Mediation.Failed)
			}
			if c.frontCouncil {
				count(&coord.MediationsWithFront)
			}
		case domain.FeedbackGiven:
			if counted {
				ratingSum += ev.Rating
				ratings++
			}
		case domain.CommentAdded:
			if e.Actor.Role == domain.RoleSupervisor {
				count(&coord.SupervisionNotes)
			}
		case domain.InspectionRecorded:
			for p := range c.partners {
				if p != e.Actor.Unit {
					count(&coord.JointInspections)
					break
				}
			}
		}
		if t := unitType(e.Actor.Unit); e.Actor.Role == domain.RoleSupervisor || t == domain.UnitFrontBoard || t == domain.UnitInspectorate {
			c.partners[e.Actor.Unit] = true
		}
	}
	if !stocksDone {
		stocks()
	}
	if n := len(days); n > 0 {
		slices.Sort(days)
		var median float64
		if n%2 == 1 {
			median = days[n/2]
		} else {
			median = (days[n/2-1] + days[n/2]) / 2
		}
		rank := 1 // the smallest rank with at least 90 % of the values at or below it
		for rank*10 < 9*n {
			rank++
		}
		median, p90 := xRound(median, 2), xRound(days[rank-1], 2)
		fig.MedianDaysToResolve, fig.P90DaysToResolve = &median, &p90
	}
	if fig.Resolved > 0 {
		rate := xRound(float64(onTime)/float64(fig.Resolved), 4)
		fig.OnTimeRate = &rate
	}
	if ratings > 0 {
		avg := xRound(float64(ratingSum)/float64(ratings), 2)
		fig.RatingAvg = &avg
	}
	return fig, coord
}

// xBreakdowns computes every breakdown line by filtering on its code too.
func xBreakdowns(events []domain.Envelope, geo *domain.Geography, f xFilter, from, to, stockAt time.Time) projections.Breakdowns {
	codes := [4]map[string]bool{{}, {}, {}, {}}
	for _, e := range events {
		switch ev := e.Event.(type) {
		case domain.Reported:
			codes[0][string(ev.Category)], codes[1][string(ev.Kind)] = true, true
			codes[2][ev.Location.Commune], codes[3][ev.Unit] = true, true
		case domain.Transferred:
			codes[3][ev.To] = true
		case domain.Escalated:
			codes[3][ev.To] = true
		case domain.Reclassified:
			codes[0][string(ev.ToCategory)], codes[1][string(ev.ToKind)] = true, true
		}
	}
	b := projections.Breakdowns{ByCategory: map[string]projections.Figures{}, ByKind: map[string]projections.Figures{},
		ByCommune: map[string]projections.Figures{}, ByUnit: map[string]projections.Figures{}, TopCommunes: []projections.TopCommune{}}
	for i, out := range []map[string]projections.Figures{b.ByCategory, b.ByKind, b.ByCommune, b.ByUnit} {
		for code := range codes[i] {
			g := f
			field := [4]*string{(*string)(&g.Category), (*string)(&g.Kind), &g.Commune, &g.Unit}[i]
			if *field != "" && *field != code {
				continue // the filter already excludes this line
			}
			*field = code
			fig, _ := xFigures(events, geo, g, from, to, stockAt)
			if !bytes.Equal(mustJSON(fig), mustJSON(projections.Figures{})) {
				out[code] = fig
			}
		}
	}
	for code, fig := range b.ByCommune {
		if fig.Received > 0 {
			c, _ := geo.Commune(code)
			b.TopCommunes = append(b.TopCommunes, projections.TopCommune{Code: code, Name: c.Name, Received: fig.Received})
		}
	}
	slices.SortFunc(b.TopCommunes, func(x, y projections.TopCommune) int {
		if x.Received != y.Received {
			return y.Received - x.Received
		}
		return strings.Compare(x.Code, y.Code)
	})
	if len(b.TopCommunes) > 10 {
		b.TopCommunes = b.TopCommunes[:10]
	}
	return b
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

func vnMonth(year int, month time.Month) time.Time {
	return time.Date(year, month, 1, 0, 0, 0, 0, domain.Vietnam)
}

// sameJSON compares two answers through their JSON, field by field on a
// mismatch so the failure names the figure.
func sameJSON(t *testing.T, name string, got, want any) {
	t.Helper()
	g, w := mustJSON(got), mustJSON(want)
	if bytes.Equal(g, w) {
		return
	}
	var gm, wm map[string]any
	_ = json.Unmarshal(g, &gm)
	_ = json.Unmarshal(w, &wm)
	keys := make([]string, 0, len(wm))
	for k := range wm {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		if gk, wk := mustJSON(gm[k]), mustJSON(wm[k]); !bytes.Equal(gk, wk) {
			t.Errorf("%s: %s = %s\nwant %s", name, k, gk, wk)
		}
	}
	if len(gm) != len(wm) {
		t.Errorf("%s: %d keys, want %d:\n got %s\nwant %s", name, len(gm), len(wm), g, w)
	}
}

func newDashboard(events []domain.Envelope) *projections.Dashboard {
	d := projections.NewDashboard(domain.DefaultGeography())
	for _, e := range events {
		d.Apply(e)
	}
	return d
}

func TestDashboardMonthMatchesAnIndependentCount(t *testing.T) {
	geo := domain.DefaultGeography()
	events := dashLog(2026, 400, vnMonth(2026, time.February), vnMonth(2026, time.April))
	d := newDashboard(events)
	from, to := vnMonth(2026, time.March), vnMonth(2026, time.April)
	now := time.Date(2027, 1, 15, 9, 0, 0, 0, domain.Vietnam) // March is long over

	filters := []xFilter{
		{},
		{Unit: "ubnd.lao-cai"},
		{Unit: "snnmt.thanh-tra"},
		{Commune: "cam-duong"},
		{Kind: domain.KindIncident},
		{Category: "land.boundary"},
		{Unit: "ubnd.thuong-ha", Kind: domain.KindLandDispute},
		{Commune: "phuc-khanh", Category: "pollution.water"},
	}
	for _, f := range filters {
		got := d.Monthly(2026, time.March, f, now)
		fig, _ := xFigures(events, geo, f, from, to, to)
		want := projections.MonthlyDashboard{Month: "2026-03", Figures: fig,
			Breakdowns: xBreakdowns(events, geo, f, from, to, to), Seq: uint64(len(events))}
		sameJSON(t, "March "+filterName(f), got, want)
	}

	// The generated month must exercise every figure, or the comparison
	// above proves little.
	all, coord := xFigures(events, geo, xFilter{}, from, to, to)
	t.Logf("March: %s %+v", mustJSON(all), coord)
	if all.Received < 100 || all.Accepted == 0 || all.Rejected == 0 || all.Resolved < 30 || all.Closed == 0 ||
		all.Backlog == 0 || all.Overdue == 0 || all.Mediation.Agreed == 0 || all.Mediation.Failed == 0 ||
		all.Mediation.Held <= all.Mediation.Agreed+all.Mediation.Failed || all.RatingAvg == nil ||
		*all.OnTimeRate <= 0 || *all.OnTimeRate >= 1 {
		t.Errorf("the generated month does not exercise every figure: %s", mustJSON(all))
	}
	if coord.SupervisionNotes == 0 || coord.JointInspections == 0 || coord.MediationsWithFront == 0 ||
		coord.TransfersCommuneToDepartment == 0 || coord.TransfersDepartmentToCommune == 0 {
		t.Errorf("the generated month does not exercise every coordination figure: %+v", coord)
	}
}

func TestDashboardMonthInProgressCountsStocksAtNow(t *testing.T) {
	geo := domain.DefaultGeography()
	events := dashLog(7, 300, vnMonth(2026, time.February), vnMonth(2026, time.April))
	now := time.Date(2026, 3, 17, 14, 0, 30, 0, domain.Vietnam)
	// The log as it stood at now: nothing after it has happened yet.
	var sofar []domain.Envelope
	for _, e := range events {
		if e.Time.Before(now) {
			sofar = append(sofar, e)
		}
	}
	d := newDashboard(sofar)
	from, to := vnMonth(2026, time.March), vnMonth(2026, time.April)
	got := d.Monthly(2026, time.March, xFilter{}, now)
	fig, _ := xFigures(sofar, geo, xFilter{}, from, to, now)
	want := projections.MonthlyDashboard{Month: "2026-03", Figures: fig,
		Breakdowns: xBreakdowns(sofar, geo, xFilter{}, from, to, now), Seq: uint64(len(sofar))}
	sameJSON(t, "March in progress", got, want)
	// A case whose deadline is later this month is not overdue yet: the
	// overdue count at now is below the count at the month's end.
	atEnd, _ := xFigures(sofar, geo, xFilter{}, from, to, to)
	if fig.Overdue >= atEnd.Overdue {
		t.Errorf("overdue at now = %d, at the end of the month = %d: the test does not tell them apart", fig.Overdue, atEnd.Overdue)
	}
	// April has not begun: no stocks, no flows.
	if got := d.Monthly(2026, time.April, xFilter{}, now); got.Backlog != 0 || got.Overdue != 0 || got.Received != 0 {
		t.Errorf("April before it begins = %s", mustJSON(got))
	}
}

func TestDashboardAnnualMatchesAnIndependentCount(t *testing.T) {
	geo := domain.DefaultGeography()
	events := dashLog(42, 300, vnMonth(2026, time.January), vnMonth(2026, time.December))
	d := newDashboard(events)
	now := time.Date(2027, 2, 1, 0, 0, 0, 0, domain.Vietnam)
	for _, f := range []xFilter{{}, {Unit: "ubnd.cam-duong"}, {Kind: domain.KindLandDispute}} {
		got := d.Annual(2026, f, now)
		if len(got.Months) != 12 {
			t.Fatalf("%d months, want 12", len(got.Months))
		}
		want := projections.AnnualDashboard{Year: 2026, Seq: uint64(len(events))}
		for m := time.January; m <= time.December; m++ {
			from, to := vnMonth(2026, m), vnMonth(2026, m+1)
			fig, coord := xFigures(events, geo, f, from, to, to)
			want.Months = append(want.Months, projections.AnnualMonth{Month: from.Format("2006-01"), Figures: fig, Coordination: coord})
		}
		from, to := vnMonth(2026, time.January), vnMonth(2027, time.January)
		fig, coord := xFigures(events, geo, f, from, to, to)
		want.Totals = projections.AnnualTotals{Figures: fig, Breakdowns: xBreakdowns(events, geo, f, from, to, to)}
		want.Coordination = coord
		sameJSON(t, "2026 "+filterName(f), got, want)
	}
}

func TestDashboardMonthsAreVietnamMonths(t *testing.T) {
	d := projections.NewDashboard(domain.DefaultGeography())
	// 17:30 UTC on 31 March is 00:30 on 1 April in Vietnam (UTC+7, no DST).
	at := time.Date(2026, 3, 31, 17, 30, 0, 0, time.UTC)
	d.Apply(domain.Envelope{Seq: 1, CaseID: uuid.New(), Time: at, Actor: dashCitizen, Event: domain.Reported{
		Kind: domain.KindIncident, Category: "pollution.air", Location: domain.Location{Commune: "lao-cai"},
		Unit: "ubnd.lao-cai", Deadline: at.Add(dashDays(1))}})
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	if m := d.Monthly(2026, time.March, xFilter{}, now); m.Received != 0 || m.Backlog != 0 {
		t.Errorf("March: received %d, backlog %d; want 0, 0", m.Received, m.Backlog)
	}
	april := d.Monthly(2026, time.April, xFilter{}, now)
	if april.Received != 1 || april.Backlog != 1 || april.Overdue != 1 {
		t.Errorf("April: received %d, backlog %d, overdue %d; want 1, 1, 1", april.Received, april.Backlog, april.Overdue)
	}
	// 16:59:59 UTC on 31 March is still March.
	d.Apply(domain.Envelope{Seq: 2, CaseID: uuid.New(), Time: at.Add(-31 * time.Minute), Actor: dashCitizen, Event: domain.Reported{
		Kind: domain.KindIncident, Category: "pollution.air", Location: domain.Location{Commune: "lao-cai"}, Unit: "ubnd.lao-cai"}})
	if m := d.Monthly(2026, time.March, xFilter{}, now); m.Received != 1 {
		t.Errorf("March after a report at 23:59 Vietnam time: received %d, want 1", m.Received)
	}
}

func TestDashboardIgnoresReplaysAndStrangers(t *testing.T) {
	events := dashLog(3, 50, vnMonth(2026, time.March), vnMonth(2026, time.April))
	once := newDashboard(events)
	twice := newDashboard(events)
	for _, e := range events[:len(events)/2] {
		twice.Apply(e) // a replayed overlap, as after a snapshot
	}
	stranger := domain.Envelope{Seq: uint64(len(events) + 1), CaseID: uuid.New(), Time: events[0].Time, Event: domain.Resolved{}}
	once.Apply(stranger)
	twice.Apply(stranger)
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	a, b := once.Monthly(2026, time.March, xFilter{}, now), twice.Monthly(2026, time.March, xFilter{}, now)
	if !bytes.Equal(mustJSON(a), mustJSON(b)) {
		t.Errorf("a replayed overlap changed the figures:\n%s\n%s", mustJSON(a), mustJSON(b))
	}
	if a.Resolved == 0 || a.Seq != uint64(len(events)+1) {
		t.Errorf("resolved %d, seq %d", a.Resolved, a.Seq)
	}
}

func TestDashboardJSONIsDeterministic(t *testing.T) {
	events := dashLog(11, 120, vnMonth(2026, time.March), vnMonth(2026, time.April))
	now := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	a := mustJSON(newDashboard(events).Monthly(2026, time.March, xFilter{}, now))
	b := mustJSON(newDashboard(events).Monthly(2026, time.March, xFilter{}, now))
	if !bytes.Equal(a, b) {
		t.Fatalf("two models of one log answer differently:\n%s\n%s", a, b)
	}
	// The keys come in the order the issue gives them.
	var order []string
	dec := json.NewDecoder(bytes.NewReader(a))
	if _, err := dec.Token(); err != nil {
		t.Fatal(err)
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			t.Fatal(err)
		}
		order = append(order, key.(string))
	}
	want := []string{"month", "received", "accepted", "rejected", "resolved", "closed", "backlog", "overdue",
		"median_days_to_resolve", "p90_days_to_resolve", "on_time_rate", "mediation", "rating_avg",
		"by_category", "by_kind", "by_commune", "by_unit", "top_communes", "seq"}
	if !slices.Equal(order, want) {
		t.Errorf("keys = %v\nwant   %v", order, want)
	}
}

func filterName(f xFilter) string {
	return string(mustJSON(map[string]string{"unit": f.Unit, "commune": f.Commune, "kind": string(f.Kind), "category": string(f.Category)}))
}

// BenchmarkDashboardAnnual measures the annual review, the costliest
// query (thirteen sums over every cell), on a year of 30,000 cases.
func BenchmarkDashboardAnnual(b *testing.B) {
	events := dashLog(1, 30000, vnMonth(2026, time.January), vnMonth(2027, time.January))
	d := newDashboard(events)
	now := time.Date(2027, 6, 1, 0, 0, 0, 0, domain.Vietnam)
	b.ResetTimer()
	for b.Loop() {
		d.Annual(2026, xFilter{}, now)
	}
}

// BenchmarkDashboardApply applies a year of 30,000 cases (the annual
// benchmark's log: reports, acceptances, transfers, mediations,
// resolutions, closures, in time order) to a fresh dashboard. ns/event is
// the cost of one Apply.
func BenchmarkDashboardApply(b *testing.B) {
	events := dashLog(1, 30000, vnMonth(2026, time.January), vnMonth(2027, time.January))
	b.ReportAllocs()
	var ops int
	for b.Loop() {
		d := newDashboard(events)
		if d.LastSeq() != uint64(len(events)) {
			b.Fatalf("dashboard at %d, want %d", d.LastSeq(), len(events))
		}
		ops++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(ops*len(events)), "ns/event")
}

// BenchmarkDashboardMonthInProgress measures a month in progress, which
// also scans every case to judge overdue ones at now.
func BenchmarkDashboardMonthInProgress(b *testing.B) {
	events := dashLog(1, 30000, vnMonth(2026, time.January), vnMonth(2027, time.January))
	d := newDashboard(events)
	now := time.Date(2026, 12, 15, 0, 0, 0, 0, domain.Vietnam)
	b.ResetTimer()
	for b.Loop() {
		d.Monthly(2026, time.December, xFilter{}, now)
	}
}

// TestDashboardEventTimesNeverMoveBackwards: an event stamped before the
// case's latest one (two servers' clocks apart) counts at the latest time,
// so a case's flows never land in a month before what already happened to
// it; a snapshot keeps that time.
func TestDashboardEventTimesNeverMoveBackwards(t *testing.T) {
	d := projections.NewDashboard(domain.DefaultGeography())
	id := uuid.New()
	// 00:30 on 1 April in Vietnam; the acceptance an hour earlier by its
	// own clock is still 31 March there.
	at := time.Date(2026, 3, 31, 17, 30, 0, 0, time.UTC)
	d.Apply(domain.Envelope{Seq: 1, CaseID: id, Time: at, Actor: dashCitizen, Event: domain.Reported{
		Kind: domain.KindIncident, Category: "pollution.air", Location: domain.Location{Commune: "lao-cai"},
		Unit: "ubnd.lao-cai", Deadline: at.Add(dashDays(10))}})
	d.Apply(domain.Envelope{Seq: 2, CaseID: id, Time: at.Add(-time.Hour), Actor: dashCitizen, Event: domain.Accepted{}})
	now := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	check := func(stage string, d *projections.Dashboard, accepted, resolved int) {
		t.Helper()
		march, april := d.Monthly(2026, time.March, xFilter{}, now), d.Monthly(2026, time.April, xFilter{}, now)
		if march.Accepted != 0 || march.Resolved != 0 || april.Accepted != accepted || april.Resolved != resolved {
			t.Errorf("%s: March accepted %d, resolved %d; April %d, %d; want 0, 0; %d, %d",
				stage, march.Accepted, march.Resolved, april.Accepted, april.Resolved, accepted, resolved)
		}
	}
	check("accepted an hour early", d, 1, 0)

	var buf bytes.Buffer
	seq, err := d.Snapshot(&buf)
	if err != nil {
		t.Fatal(err)
	}
	restored := projections.NewDashboard(domain.DefaultGeography())
	if err := restored.Restore(&buf, seq); err != nil {
		t.Fatal(err)
	}
	for _, m := range []*projections.Dashboard{d, restored} {
		m.Apply(domain.Envelope{Seq: 3, CaseID: id, Time: at.Add(-2 * time.Hour), Actor: dashCitizen, Event: domain.Resolved{}})
	}
	check("resolved two hours early", d, 1, 1)
	check("resolved two hours early, after a snapshot", restored, 1, 1)
}
