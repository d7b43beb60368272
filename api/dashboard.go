package api

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"phananh/cases"
	"phananh/domain"
	"phananh/projections"
)

func init() {
	viMessages[cases.EInvalidUnit] = "Không tìm thấy đơn vị này. Hãy chọn đơn vị trong danh sách."
	viMessages[cases.EInvalidPeriod] = "Kỳ báo cáo không hợp lệ: tháng theo dạng YYYY-MM, năm YYYY, ngày YYYY-MM-DD; từ năm 2000 đến tháng sau."
	for field, label := range map[string]string{"month": "tháng", "year": "năm", "unit": "đơn vị",
		"commune": "xã/phường", "format": "định dạng", "from": "ngày bắt đầu", "as_of": "thời điểm xem lại (as_of)"} {
		viFields[field] = label
	}
}

// registerDashboard adds the dashboards and exports: the public figures
// always, the staff dashboards when staff can log in.
func (s *server) registerDashboard(g *echo.Group) {
	g.GET("/public/monthly", s.publicMonthly)
	if s.cfg.Users == nil {
		return
	}
	g.GET("/dashboard/monthly", s.monthlyDashboard, s.requireStaff)
	g.GET("/dashboard/annual", s.annualDashboard, s.requireStaff)
	g.GET("/exports/cases", s.exportCases, s.requireStaff)
}

func dashboardQuery(c echo.Context) cases.DashboardQuery {
	return cases.DashboardQuery{Month: c.QueryParam("month"), Year: c.QueryParam("year"), Unit: c.QueryParam("unit"),
		Commune: c.QueryParam("commune"), Kind: c.QueryParam("kind"), Category: c.QueryParam("category")}
}

// staffDashboardQuery is dashboardQuery plus ?as_of= (RFC 3339), which
// asks the figures as they stood then; a malformed one is an EINVALID
// error on the field as_of, as for a case.
func staffDashboardQuery(c echo.Context) (cases.DashboardQuery, error) {
	q := dashboardQuery(c)
	asOf, err := asOfParam(c)
	if err != nil {
		return q, err
	}
	if asOf != nil {
		q.AsOf = *asOf
	}
	return q, nil
}

// staffRequest reads what every staff dashboard and export request has:
// the actor, the format and the read-your-writes position.
func staffRequest(c echo.Context) (actor domain.Actor, format string, after uint64, err error) {
	actor, ok := ActorFrom(c)
	if !ok {
		return actor, "", 0, &domain.Error{Code: codeUnauthenticated, Message: "log in first"}
	}
	if format, err = exportFormat(c); err != nil {
		return actor, "", 0, err
	}
	after, err = afterSeq(c)
	return actor, format, after, err
}

// monthlyDashboard: GET /api/v1/dashboard/monthly?month=YYYY-MM[&unit=&commune=&kind=&category=][&format=json|csv|xlsx][&as_of=RFC3339].
func (s *server) monthlyDashboard(c echo.Context) error {
	actor, format, after, err := staffRequest(c)
	if err != nil {
		return err
	}
	q, err := staffDashboardQuery(c)
	if err != nil {
		return err
	}
	m, err := s.svc.MonthlyDashboard(c.Request().Context(), actor, q, after)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	if format == formatJSON {
		return c.JSON(http.StatusOK, m)
	}
	return sendTable(c, format, exportName("phananh-thang-"+m.Month, c.QueryParam("unit")), s.monthlyTable(m))
}

// annualDashboard: GET /api/v1/dashboard/annual?year=YYYY[&filters][&format=][&as_of=RFC3339].
func (s *server) annualDashboard(c echo.Context) error {
	actor, format, after, err := staffRequest(c)
	if err != nil {
		return err
	}
	q, err := staffDashboardQuery(c)
	if err != nil {
		return err
	}
	a, err := s.svc.AnnualDashboard(c.Request().Context(), actor, q, after)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	if format == formatJSON {
		return c.JSON(http.StatusOK, a)
	}
	return sendTable(c, format, exportName("phananh-nam-"+strconv.Itoa(a.Year), c.QueryParam("unit")), s.annualTable(a))
}

// publicMonthly: GET /api/v1/public/monthly?month=YYYY-MM[&filters], no
// login: counts only, JSON only.
func (s *server) publicMonthly(c echo.Context) error {
	after, err := afterSeq(c)
	if err != nil {
		return err
	}
	m, err := s.svc.PublicMonthlyDashboard(c.Request().Context(), dashboardQuery(c), after)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=60")
	return c.JSON(http.StatusOK, m)
}

// exportCases: GET /api/v1/exports/cases?from=YYYY-MM-DD&to=YYYY-MM-DD[&unit=][&format=].
func (s *server) exportCases(c echo.Context) error {
	actor, format, after, err := staffRequest(c)
	if err != nil {
		return err
	}
	x, err := s.svc.ExportCases(c.Request().Context(), actor,
		cases.CaseExportQuery{Unit: c.QueryParam("unit"), From: c.QueryParam("from"), To: c.QueryParam("to")}, after)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	if format == formatJSON {
		return c.JSON(http.StatusOK, x)
	}
	return sendTable(c, format, exportName("phananh-hoso-"+x.From+"_"+x.To, x.Unit), caseTable(x))
}

// exportName adds the unit to a file name. Unit codes are checked
// against the geography, whose codes are ASCII letters, digits, - _ and .
func exportName(name, unit string) string {
	if unit != "" {
		name += "-" + unit
	}
	return name
}

// Column headers: Vietnamese, with English in parentheses.
var (
	figureHeader = []string{
		"Tiếp nhận (Received)", "Thụ lý (Accepted)", "Không thụ lý (Rejected)", "Đã giải quyết (Resolved)",
		"Đã đóng hồ sơ (Closed)", "Tồn cuối kỳ (Backlog at period end)", "Quá hạn cuối kỳ (Overdue at period end)",
		"Số ngày giải quyết, trung vị (Median days to resolve)", "Số ngày giải quyết, P90 (P90 days to resolve)",
		"Tỷ lệ giải quyết đúng hạn (On-time rate)", "Hòa giải đã tổ chức (Mediations held)",
		"Hòa giải thành (Mediations agreed)", "Hòa giải không thành (Mediations failed)",
		"Mức hài lòng trung bình (Average rating)",
	}
	coordinationHeader = []string{
		"Ý kiến giám sát của MTTQ (Supervision notes)", "Kiểm tra phối hợp (Joint inspections)",
		"Hòa giải có đại diện MTTQ (Mediations with the Fatherland Front)",
		"Chuyển từ Sở về xã (Transfers Department to commune)", "Chuyển từ xã lên Sở (Transfers commune to Department)",
	}
	lineHeader = []string{"Nhóm (Group)", "Mã (Code)", "Tên (Name)"}
)

const (
	groupTotal    = "Tổng cộng (Total)"
	groupMonth    = "Tháng (Month)"
	groupYear     = "Cả năm (Year)"
	groupCategory = "Lĩnh vực (Category)"
	groupKind     = "Loại đơn (Kind)"
	groupCommune  = "Xã/phường (Commune)"
	groupUnit     = "Đơn vị (Unit)"
)

func figureCells(f projections.Figures) []any {
	return []any{f.Received, f.Accepted, f.Rejected, f.Resolved, f.Closed, f.Backlog, f.Overdue,
		optional(f.MedianDaysToResolve), optional(f.P90DaysToResolve), optional(f.OnTimeRate),
		f.Mediation.Held, f.Mediation.Agreed, f.Mediation.Failed, optional(f.RatingAvg)}
}

func coordinationCells(c projections.Coordination) []any {
	return []any{c.SupervisionNotes, c.JointInspections, c.MediationsWithFront,
		c.TransfersDepartmentToCommune, c.TransfersCommuneToDepartment}
}

// breakdownRows are one row per breakdown line, by category, kind, commune
// and unit, each sorted by code, after the period's label.
func (s *server) breakdownRows(period string, b projections.Breakdowns, extra int) [][]any {
	var rows [][]any
	for _, part := range []struct {
		group string
		lines map[string]projections.Figures
		name  func(string) string
	}{
		{groupCategory, b.ByCategory, categoryName},
		{groupKind, b.ByKind, kindName},
		{groupCommune, b.ByCommune, s.communeName},
		{groupUnit, b.ByUnit, s.unitName},
	} {
		codes := make([]string, 0, len(part.lines))
		for code := range part.lines {
			codes = append(codes, code)
		}
		slices.Sort(codes)
		for _, code := range codes {
			row := append([]any{period, part.group, code, part.name(code)}, figureCells(part.lines[code])...)
			rows = append(rows, append(row, make([]any, extra)...))
		}
	}
	return rows
}

// monthlyTable: the month's total, then one row per breakdown line.
func (s *server) monthlyTable(m projections.MonthlyDashboard) table {
	t := table{sheet: "Tháng " + m.Month, header: append(append([]string{"Tháng (Month)"}, lineHeader...), figureHeader...)}
	t.rows = append(t.rows, append([]any{m.Month, groupTotal, "", ""}, figureCells(m.Figures)...))
	t.rows = append(t.rows, s.breakdownRows(m.Month, m.Breakdowns, 0)...)
	return t
}

// annualTable: the twelve months, the year's total, then one row per
// breakdown line of the year; coordination figures for months and year.
func (s *server) annualTable(a projections.AnnualDashboard) table {
	year := strconv.Itoa(a.Year)
	t := table{sheet: "Năm " + year,
		header: append(append(append([]string{"Kỳ (Period)"}, lineHeader...), figureHeader...), coordinationHeader...)}
	for _, m := range a.Months {
		row := append([]any{m.Month, groupMonth, m.Month, ""}, figureCells(m.Figures)...)
		t.rows = append(t.rows, append(row, coordinationCells(m.Coordination)...))
	}
	row := append([]any{year, groupYear, year, ""}, figureCells(a.Totals.Figures)...)
	t.rows = append(t.rows, append(row, coordinationCells(a.Coordination)...))
	t.rows = append(t.rows, s.breakdownRows(year, a.Totals.Breakdowns, len(coordinationHeader))...)
	return t
}

// caseTable: one row per case, no reporter data.
func caseTable(x cases.CaseExport) table {
	t := table{sheet: "Hồ sơ", header: []string{"Mã hồ sơ (Case ID)", "Ngày tiếp nhận (Received at, UTC+7)",
		"Loại đơn (Kind)", "Lĩnh vực (Category)", "Xã/phường (Commune)", "Đơn vị (Unit)", "Trạng thái (Status)",
		"Hạn xử lý (Deadline, UTC+7)", "Ngày giải quyết (Resolved at, UTC+7)", "Quá hạn (Overdue)"}}
	for _, r := range x.Items {
		overdue := "không"
		if r.Overdue {
			overdue = "có"
		}
		t.rows = append(t.rows, []any{r.ID.String(), localTime(&r.ReceivedAt), string(r.Kind), string(r.Category),
			r.Commune, r.Unit, string(r.Status), localTime(r.Deadline), localTime(r.ResolvedAt), overdue})
	}
	return t
}

// localTime writes a time as spreadsheets read it, in Vietnam time; nil
// (an empty cell) for none.
func localTime(t *time.Time) any {
	if t == nil || t.IsZero() {
		return nil
	}
	return t.In(domain.Vietnam).Format(time.DateTime)
}

func categoryName(code string) string {
	info, _ := domain.LookupCategory(domain.Category(code))
	return info.Name
}

func kindName(code string) string {
	for _, k := range domain.Kinds() {
		if string(k.Code) == code {
			return k.Name
		}
	}
	return ""
}

func (s *server) communeName(code string) string {
	c, _ := s.svc.Rules().Geo.Commune(code)
	return c.Name
}

func (s *server) unitName(code string) string {
	u, _ := s.svc.Rules().Geo.Unit(code)
	return u.Name
}
