package app_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"phananh/app"
	"phananh/domain"
)

// The dashboards over HTTP, with real logins: a few reports and actions,
// then the monthly and annual figures, the public figures and the exports
// as each role sees them.

// dashStaff logs staff members in and returns their Authorization headers.
func dashStaff(t *testing.T, a *app.App, members map[string][2]string) map[string]string {
	t.Helper()
	bearers := map[string]string{}
	for name, m := range members {
		password := "Mật khẩu của " + name
		if err := a.Users.Add(context.Background(), name, m[1], domain.Role(m[0]), password); err != nil {
			t.Fatalf("add %s: %v", name, err)
		}
		r := login(t, a, name, password)
		if r.Status != http.StatusOK {
			t.Fatalf("login %s = %d %s", name, r.Status, r.Body)
		}
		bearers[name] = "Bearer " + mustString(t, r.json(t), "token")
	}
	return bearers
}

// dashCase is a submitted case as the test follows it.
type dashCase struct {
	id, code string
	version  uint64
}

func dashSubmit(t *testing.T, a *app.App, category, commune, title string) *dashCase {
	t.Helper()
	r := validReport("")
	r["category"], r["title"] = category, title
	r["location"] = map[string]any{"commune": commune, "address": "Tổ 5"}
	resp := postJSON(t, a, "/api/v1/reports", r)
	if resp.Status != http.StatusCreated {
		t.Fatalf("submit %s = %d %s", category, resp.Status, resp.Body)
	}
	m := resp.json(t)
	return &dashCase{id: mustString(t, m, "id"), code: mustString(t, m, "tracking_code"), version: uint64(m["seq"].(float64))}
}

// dashAct runs a staff action that must succeed and returns its seq.
func dashAct(t *testing.T, a *app.App, bearer string, c *dashCase, action string, body any) uint64 {
	t.Helper()
	resp := postJSON(t, a, "/api/v1/cases/"+c.id+"/"+action, body,
		"Authorization", bearer, "If-Match", strconv.FormatUint(c.version, 10))
	if resp.Status != http.StatusOK {
		t.Fatalf("%s on %s = %d %s", action, c.id, resp.Status, resp.Body)
	}
	m := resp.json(t)
	c.version = uint64(m["version"].(float64))
	return uint64(m["seq"].(float64))
}

func dashGet(t *testing.T, a *app.App, bearer, path string, query url.Values) response {
	t.Helper()
	var h []string
	if bearer != "" {
		h = []string{"Authorization", bearer}
	}
	return do(t, a, http.MethodGet, path+"?"+query.Encode(), "", nil, h...)
}

// dashNumber reads a number at a path of keys in a JSON object.
func dashNumber(t *testing.T, m map[string]any, path ...string) float64 {
	t.Helper()
	var v any = m
	for _, k := range path {
		obj, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%v: %q is not in an object", path, k)
		}
		v = obj[k]
	}
	n, ok := v.(float64)
	if !ok {
		t.Fatalf("%v = %v, not a number", path, v)
	}
	return n
}

func TestDashboardsAndExportsOverHTTP(t *testing.T) {
	a := startAuthApp(t, "")
	staff := dashStaff(t, a, map[string][2]string{
		"lanh.dao":   {"leader", ""},
		"giam.sat":   {"supervisor", "mttq.tinh"},
		"lc.truong":  {"unit_head", "ubnd.lao-cai"},
		"lc.can-bo":  {"officer", "ubnd.lao-cai"},
		"cd.truong":  {"unit_head", "ubnd.cam-duong"},
		"dieu.phoi":  {"coordinator", ""},
		"quan.tri":   {"admin", ""},
		"mt.can-bo":  {"officer", "snnmt.moi-truong"},
		"tt.truong":  {"unit_head", "snnmt.thanh-tra"},
		"tinh.ld":    {"leader", "ubnd.tinh"},
		"lc.can-bo2": {"officer", "ubnd.lao-cai"},
	})

	// Four reports: two in Lào Cai's committee, one in Cam Đường's, one
	// for the Department's environment division.
	water := dashSubmit(t, a, "pollution.water", "lao-cai", "Ô nhiễm nguồn nước suối Ngòi Đường")
	air := dashSubmit(t, a, "pollution.air", "lao-cai", "Khói bụi từ lò gạch")
	dashSubmit(t, a, "land.boundary", "cam-duong", "Tranh chấp ranh giới đất với hộ bên cạnh")
	dashSubmit(t, a, "pollution.other", "lao-cai", "=HYPERLINK(\"http://evil\")")

	officer := staff["lc.can-bo"]
	dashAct(t, a, officer, water, "accept", nil)
	dashAct(t, a, staff["lc.truong"], water, "assign", map[string]any{"officer": "lc.can-bo"})
	dashAct(t, a, officer, water, "record-inspection", map[string]any{"findings": "Nước đục, có mùi"})
	dashAct(t, a, staff["giam.sat"], water, "comment", map[string]any{"text": "Đề nghị xử lý dứt điểm", "visibility": "internal"})
	dashAct(t, a, officer, water, "resolve", map[string]any{"summary": "Đã yêu cầu cơ sở ngừng xả thải"})
	dashAct(t, a, officer, air, "reject", map[string]any{"reason": "Không thuộc thẩm quyền"})
	fb := postJSON(t, a, "/api/v1/reports/"+water.id+"/feedback", map[string]any{"rating": 4, "comment": "Rất hài lòng với cán bộ Trần"},
		"X-Tracking-Code", water.code)
	if fb.Status != http.StatusOK {
		t.Fatalf("feedback = %d %s", fb.Status, fb.Body)
	}
	seq := uint64(fb.json(t)["seq"].(float64))

	now := time.Now().In(domain.Vietnam)
	month := now.Format("2006-01")
	q := url.Values{"month": {month}, "after": {strconv.FormatUint(seq, 10)}}

	// A leader sees every unit.
	resp := dashGet(t, a, staff["lanh.dao"], "/api/v1/dashboard/monthly", q)
	if resp.Status != http.StatusOK {
		t.Fatalf("leader's monthly = %d %s", resp.Status, resp.Body)
	}
	m := resp.json(t)
	t.Logf("monthly: %s", resp.Body)
	for key, want := range map[string]float64{"received": 4, "accepted": 1, "rejected": 1, "resolved": 1, "closed": 0,
		"backlog": 2, "overdue": 0, "on_time_rate": 1, "rating_avg": 4} {
		if got := dashNumber(t, m, key); got != want {
			t.Errorf("leader: %s = %v, want %v", key, got, want)
		}
	}
	if m["month"] != month || dashNumber(t, m, "seq") < float64(seq) {
		t.Errorf("month %v, seq %v; want %s and at least %d", m["month"], m["seq"], month, seq)
	}
	for path, want := range map[string]float64{
		"by_unit/ubnd.lao-cai/received": 2, "by_unit/ubnd.cam-duong/backlog": 1, "by_unit/snnmt.moi-truong/received": 1,
		"by_category/pollution.water/resolved": 1, "by_kind/land_dispute/received": 1, "by_commune/lao-cai/received": 3,
		"mediation/held": 0,
	} {
		if got := dashNumber(t, m, strings.Split(path, "/")...); got != want {
			t.Errorf("leader: %s = %v, want %v", path, got, want)
		}
	}
	top, _ := m["top_communes"].([]any)
	if len(top) != 2 || fmt.Sprint(top[0]) != "map[code:lao-cai name:Phường Lào Cai received:3]" {
		t.Errorf("top_communes = %v", top)
	}
	// Everyone who sees every unit sees the same figures.
	for _, who := range []string{"giam.sat", "dieu.phoi", "quan.tri", "tinh.ld"} {
		r := dashGet(t, a, staff[who], "/api/v1/dashboard/monthly", q)
		if r.Status != http.StatusOK || !bytes.Equal(r.Body, resp.Body) {
			t.Errorf("%s's monthly = %d %s\nwant the leader's", who, r.Status, r.Body)
		}
	}

	// A unit head sees their unit, whatever they ask for.
	head := dashGet(t, a, staff["lc.truong"], "/api/v1/dashboard/monthly", q)
	if head.Status != http.StatusOK {
		t.Fatalf("unit head's monthly = %d %s", head.Status, head.Body)
	}
	hm := head.json(t)
	if got := dashNumber(t, hm, "received"); got != 2 {
		t.Errorf("unit head: received = %v, want 2 (own unit only)", got)
	}
	if units := hm["by_unit"].(map[string]any); len(units) != 1 || units["ubnd.lao-cai"] == nil {
		t.Errorf("unit head: by_unit = %v, want ubnd.lao-cai only", units)
	}
	own := dashGet(t, a, staff["lc.truong"], "/api/v1/dashboard/monthly", url.Values{"month": {month}, "unit": {"ubnd.lao-cai"}})
	if own.Status != http.StatusOK || !bytes.Equal(own.Body, head.Body) {
		t.Errorf("unit head naming their own unit = %d %s", own.Status, own.Body)
	}

	// Refusals, in the one error shape.
	for _, c := range []struct {
		name, bearer, path string
		query              url.Values
		status             int
		code               string
	}{
		{"another unit", staff["lc.truong"], "/api/v1/dashboard/monthly", url.Values{"unit": {"ubnd.cam-duong"}}, 403, "forbidden"},
		{"officer", officer, "/api/v1/dashboard/monthly", url.Values{"month": {month}}, 403, "forbidden"},
		{"officer annual", officer, "/api/v1/dashboard/annual", nil, 403, "forbidden"},
		{"anonymous", "", "/api/v1/dashboard/monthly", url.Values{"month": {month}}, 401, "unauthenticated"},
		{"anonymous annual", "", "/api/v1/dashboard/annual", nil, 401, "unauthenticated"},
		{"anonymous export", "", "/api/v1/exports/cases", nil, 401, "unauthenticated"},
		{"month 13", staff["lanh.dao"], "/api/v1/dashboard/monthly", url.Values{"month": {"2026-13"}}, 400, "invalid_period"},
		{"month unpadded", staff["lanh.dao"], "/api/v1/dashboard/monthly", url.Values{"month": {"2026-3"}}, 400, "invalid_period"},
		{"month before 2000", staff["lanh.dao"], "/api/v1/dashboard/monthly", url.Values{"month": {"1999-12"}}, 400, "invalid_period"},
		{"month after next", staff["lanh.dao"], "/api/v1/dashboard/monthly", url.Values{"month": {now.AddDate(0, 2, 1-now.Day()).Format("2006-01")}}, 400, "invalid_period"},
		{"year", staff["lanh.dao"], "/api/v1/dashboard/annual", url.Values{"year": {"20266"}}, 400, "invalid_period"},
		{"year later", staff["lanh.dao"], "/api/v1/dashboard/annual", url.Values{"year": {strconv.Itoa(now.Year() + 2)}}, 400, "invalid_period"},
		{"unit", staff["lanh.dao"], "/api/v1/dashboard/monthly", url.Values{"unit": {"ubnd.khong-co"}}, 400, "invalid_unit"},
		{"commune", staff["lanh.dao"], "/api/v1/dashboard/monthly", url.Values{"commune": {"khong-co"}}, 400, "invalid_commune"},
		{"kind", staff["lanh.dao"], "/api/v1/dashboard/annual", url.Values{"kind": {"lawsuit"}}, 400, "invalid_kind"},
		{"category", staff["lanh.dao"], "/api/v1/dashboard/monthly", url.Values{"category": {"pollution.light"}}, 400, "invalid_category"},
		{"format", staff["lanh.dao"], "/api/v1/dashboard/monthly", url.Values{"format": {"pdf"}}, 400, "invalid"},
		{"public month", "", "/api/v1/public/monthly", url.Values{"month": {"26-01"}}, 400, "invalid_period"},
		{"export dates", staff["lanh.dao"], "/api/v1/exports/cases", url.Values{"from": {"2026-02-30"}, "to": {"2026-03-01"}}, 400, "invalid_period"},
		{"export reversed", staff["lanh.dao"], "/api/v1/exports/cases", url.Values{"from": {"2026-03-02"}, "to": {"2026-03-01"}}, 400, "invalid_period"},
		{"export too long", staff["lanh.dao"], "/api/v1/exports/cases", url.Values{"from": {"2025-01-01"}, "to": {"2026-03-01"}}, 400, "invalid_period"},
		{"export other unit", officer, "/api/v1/exports/cases", url.Values{"from": {"2026-01-01"}, "to": {"2026-01-31"}, "unit": {"ubnd.cam-duong"}}, 403, "forbidden"},
	} {
		r := dashGet(t, a, c.bearer, c.path, c.query)
		if r.Status != c.status || r.errorCode(t) != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, r.Status, r.Body, c.status, c.code)
			continue
		}
		if e := r.json(t)["error"].(map[string]any); e["message"] == "" {
			t.Errorf("%s: no message in %s", c.name, r.Body)
		}
	}
	en := do(t, a, http.MethodGet, "/api/v1/dashboard/monthly?unit=ubnd.khong-co", "", nil,
		"Authorization", staff["lanh.dao"], "Accept-Language", "en")
	if msg := en.json(t)["error"].(map[string]any)["message"]; !strings.Contains(fmt.Sprint(msg), "unknown unit") {
		t.Errorf("English message = %v", msg)
	}

	// The public figures: counts only, no login, no free text.
	pub := dashGet(t, a, "", "/api/v1/public/monthly", q)
	if pub.Status != http.StatusOK {
		t.Fatalf("public monthly = %d %s", pub.Status, pub.Body)
	}
	pm := pub.json(t)
	if got := dashNumber(t, pm, "received"); got != 4 {
		t.Errorf("public: received = %v, want 4", got)
	}
	for _, secret := range []string{"Nguyễn", "0912", "Rất hài lòng", "Trần", "Đề nghị", "Ô nhiễm", "Khói", "rating", "comment",
		"by_unit", "median", "HYPERLINK", "mediation"} {
		if bytes.Contains(pub.Body, []byte(secret)) {
			t.Errorf("the public figures hold %q: %s", secret, pub.Body)
		}
	}

	// CSV: a BOM, then Vietnamese intact; one row per breakdown line.
	csvResp := dashGet(t, a, staff["lanh.dao"], "/api/v1/dashboard/monthly", url.Values{"month": {month}, "format": {"csv"}})
	if csvResp.Status != http.StatusOK {
		t.Fatalf("CSV = %d %s", csvResp.Status, csvResp.Body)
	}
	if !bytes.HasPrefix(csvResp.Body, []byte{0xEF, 0xBB, 0xBF}) {
		t.Errorf("the CSV does not start with the UTF-8 BOM: % x", csvResp.Body[:min(8, len(csvResp.Body))])
	}
	if ct, cd := csvResp.Header.Get("Content-Type"), csvResp.Header.Get("Content-Disposition"); !strings.HasPrefix(ct, "text/csv") ||
		cd != `attachment; filename="phananh-thang-`+month+`.csv"` {
		t.Errorf("CSV Content-Type %q, Content-Disposition %q", ct, cd)
	}
	for _, text := range []string{"Ô nhiễm nguồn nước", "Phường Lào Cai", "Tranh chấp ranh giới đất", "Tiếp nhận (Received)",
		"Ủy ban nhân dân phường Cam Đường", "Sự cố, ô nhiễm môi trường"} {
		if !bytes.Contains(csvResp.Body, []byte(text)) {
			t.Errorf("the CSV lacks %q", text)
		}
	}
	records, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(csvResp.Body, []byte{0xEF, 0xBB, 0xBF}))).ReadAll()
	if err != nil {
		t.Fatalf("CSV does not parse: %v", err)
	}
	header, total := records[0], records[1]
	col := slices.Index(header, "Tiếp nhận (Received)")
	if col < 0 || total[1] != "Tổng cộng (Total)" || total[col] != "4" {
		t.Errorf("CSV header %q, total row %q", header, total)
	}
	lines := len(m["by_category"].(map[string]any)) + len(m["by_kind"].(map[string]any)) +
		len(m["by_commune"].(map[string]any)) + len(m["by_unit"].(map[string]any))
	if len(records) != 2+lines {
		t.Errorf("CSV has %d rows, want a header, a total and %d breakdown lines", len(records), lines)
	}

	// XLSX: excelize opens it, and it holds the numbers.
	xlsx := dashGet(t, a, staff["lanh.dao"], "/api/v1/dashboard/monthly", url.Values{"month": {month}, "format": {"xlsx"}})
	rows := dashSheet(t, xlsx, "Tháng "+month)
	if got := rows[1][slices.Index(rows[0], "Tiếp nhận (Received)")]; got != "4" {
		t.Errorf("XLSX total received = %q, want 4", got)
	}
	if cell := dashCell(rows, "Đơn vị (Unit)", "ubnd.lao-cai", "Không thụ lý (Rejected)"); cell != "1" {
		t.Errorf("XLSX ubnd.lao-cai rejected = %q, want 1", cell)
	}

	// The annual review: twelve months, the year, coordination.
	ann := dashGet(t, a, staff["giam.sat"], "/api/v1/dashboard/annual", url.Values{"year": {strconv.Itoa(now.Year())}})
	if ann.Status != http.StatusOK {
		t.Fatalf("annual = %d %s", ann.Status, ann.Body)
	}
	am := ann.json(t)
	months := am["months"].([]any)
	if len(months) != 12 {
		t.Fatalf("annual has %d months, want 12", len(months))
	}
	this := months[now.Month()-1].(map[string]any)
	if this["month"] != month || dashNumber(t, this, "received") != 4 || dashNumber(t, am, "totals", "received") != 4 ||
		dashNumber(t, am, "coordination", "supervision_notes") != 1 || dashNumber(t, am, "totals", "by_unit", "ubnd.lao-cai", "rejected") != 1 {
		t.Errorf("annual = %s", ann.Body)
	}
	annCSV := dashGet(t, a, staff["lanh.dao"], "/api/v1/dashboard/annual", url.Values{"year": {strconv.Itoa(now.Year())}, "format": {"csv"}})
	if !bytes.HasPrefix(annCSV.Body, []byte("\uFEFF")) || bytes.Count(annCSV.Body, []byte("Tháng (Month)")) != 12 {
		t.Errorf("annual CSV = %d %s", annCSV.Status, annCSV.Body)
	}
	annRows := dashSheet(t, dashGet(t, a, staff["lanh.dao"], "/api/v1/dashboard/annual",
		url.Values{"year": {strconv.Itoa(now.Year())}, "format": {"xlsx"}}), "Năm "+strconv.Itoa(now.Year()))
	if got := dashCell(annRows, "Cả năm (Year)", strconv.Itoa(now.Year()), "Ý kiến giám sát của MTTQ (Supervision notes)"); got != "1" {
		t.Errorf("annual XLSX supervision notes = %q, want 1", got)
	}

	// The case list: no reporter data; a unit's staff export their unit's.
	day := now.Format(time.DateOnly)
	span := url.Values{"from": {now.AddDate(0, 0, -1).Format(time.DateOnly)}, "to": {day}}
	list := dashGet(t, a, staff["lanh.dao"], "/api/v1/exports/cases", span)
	if list.Status != http.StatusOK {
		t.Fatalf("case export = %d %s", list.Status, list.Body)
	}
	items := list.json(t)["items"].([]any)
	if len(items) != 4 {
		t.Errorf("case export holds %d cases, want 4: %s", len(items), list.Body)
	}
	wantKeys := []string{"category", "commune", "deadline", "id", "kind", "overdue", "received_at", "resolved_at", "status", "unit"}
	for _, it := range items {
		var keys []string
		for k := range it.(map[string]any) {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, wantKeys) {
			t.Errorf("case export item keys = %v", keys)
		}
	}
	span.Set("format", "csv")
	for _, who := range []string{"lanh.dao", "lc.can-bo", "lc.truong"} {
		r := dashGet(t, a, staff[who], "/api/v1/exports/cases", span)
		if r.Status != http.StatusOK || !bytes.HasPrefix(r.Body, []byte("\uFEFF")) {
			t.Fatalf("%s's case CSV = %d %s", who, r.Status, r.Body)
		}
		for _, secret := range []string{"Nguyễn", "0912", "Ô nhiễm nguồn", "HYPERLINK", "Rất hài lòng"} {
			if bytes.Contains(r.Body, []byte(secret)) {
				t.Errorf("%s's case CSV holds %q", who, secret)
			}
		}
		recs, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(r.Body, []byte("\uFEFF")))).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		want := 4
		if who != "lanh.dao" {
			want = 2 // ubnd.lao-cai's only
		}
		if len(recs) != 1+want || recs[0][0] != "Mã hồ sơ (Case ID)" {
			t.Errorf("%s's case CSV has %d rows, want %d: %q", who, len(recs), 1+want, recs)
		}
	}
	span.Set("format", "xlsx")
	caseRows := dashSheet(t, dashGet(t, a, staff["lc.can-bo"], "/api/v1/exports/cases", span), "Hồ sơ")
	if len(caseRows) != 3 || dashCell(caseRows, "Mã hồ sơ (Case ID)", water.id, "Trạng thái (Status)") != "resolved" {
		t.Errorf("officer's case XLSX = %q", caseRows)
	}
}

// dashSheet opens an XLSX answer with excelize and returns a sheet's rows.
func dashSheet(t *testing.T, r response, sheet string) [][]string {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("XLSX = %d %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Errorf("XLSX Content-Type = %q", ct)
	}
	if cd := r.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment; filename=") || !strings.HasSuffix(cd, `.xlsx"`) {
		t.Errorf("XLSX Content-Disposition = %q", cd)
	}
	f, err := excelize.OpenReader(bytes.NewReader(r.Body))
	if err != nil {
		t.Fatalf("excelize cannot open the XLSX: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatalf("sheet %q: %v (sheets: %v)", sheet, err, f.GetSheetList())
	}
	if len(rows) < 2 {
		t.Fatalf("sheet %q has %d rows", sheet, len(rows))
	}
	return rows
}

// dashCell finds the row whose cells hold key1 and key2 (group and code,
// or a column header and a value) and returns its value in column.
func dashCell(rows [][]string, key1, key2, column string) string {
	col := slices.Index(rows[0], column)
	isHeader := slices.Contains(rows[0], key1)
	for _, row := range rows[1:] {
		if slices.Contains(row, key2) && (isHeader || slices.Contains(row, key1)) && col >= 0 && col < len(row) {
			return row[col]
		}
	}
	return ""
}

// TestDashboardAsOf asks the dashboards as they stood between two writes:
// the figures reflect the first write only, computed from the log.
func TestDashboardAsOf(t *testing.T) {
	a := startAuthApp(t, "")
	staff := dashStaff(t, a, map[string][2]string{
		"lanh.dao":  {"leader", ""},
		"lc.truong": {"unit_head", "ubnd.lao-cai"},
		"lc.can-bo": {"officer", "ubnd.lao-cai"},
	})
	leader := staff["lanh.dao"]

	// First write: a report. Second: its acceptance; then another report.
	water := dashSubmit(t, a, "pollution.water", "lao-cai", "Ô nhiễm nguồn nước suối Ngòi Đường")
	reportSeq := water.version
	dashAct(t, a, staff["lc.can-bo"], water, "accept", nil)
	last := dashSubmit(t, a, "pollution.air", "cam-duong", "Khói bụi từ lò gạch").version

	view := dashGet(t, a, staff["lc.can-bo"], "/api/v1/cases/"+water.id, nil)
	if view.Status != http.StatusOK {
		t.Fatalf("case = %d %s", view.Status, view.Body)
	}
	tl := snapTimeline(t, view.json(t))
	reportedAt, acceptedAt := snapTime(t, tl[0], "time"), snapTime(t, tl[1], "time")
	between := reportedAt.Add(acceptedAt.Sub(reportedAt) / 2)
	month, year := between.In(domain.Vietnam).Format("2006-01"), strconv.Itoa(between.In(domain.Vietnam).Year())
	asOf := func(at time.Time, q url.Values) url.Values {
		q.Set("as_of", at.Format(time.RFC3339Nano))
		return q
	}

	// Today: both reports, one accepted.
	live := dashGet(t, a, leader, "/api/v1/dashboard/monthly", url.Values{"month": {month}, "after": {strconv.FormatUint(last, 10)}})
	if m := live.json(t); live.Status != http.StatusOK || dashNumber(t, m, "received") != 2 || dashNumber(t, m, "accepted") != 1 {
		t.Fatalf("monthly today = %d %s, want 2 received, 1 accepted", live.Status, live.Body)
	}

	// Between the report and its acceptance: the report alone.
	then := dashGet(t, a, leader, "/api/v1/dashboard/monthly", asOf(between, url.Values{"month": {month}}))
	if then.Status != http.StatusOK {
		t.Fatalf("monthly as of %s = %d %s", between, then.Status, then.Body)
	}
	m := then.json(t)
	for path, want := range map[string]float64{"received": 1, "accepted": 0, "backlog": 1, "seq": float64(reportSeq),
		"by_unit/ubnd.lao-cai/received": 1, "by_category/pollution.water/accepted": 0} {
		if got := dashNumber(t, m, strings.Split(path, "/")...); got != want {
			t.Errorf("monthly as of between: %s = %v, want %v", path, got, want)
		}
	}
	if _, ok := m["by_category"].(map[string]any)["pollution.air"]; ok || m["month"] != month {
		t.Errorf("monthly as of between holds the later report, or another month: %s", then.Body)
	}
	// The month defaults to the month of as_of.
	if r := dashGet(t, a, leader, "/api/v1/dashboard/monthly", asOf(between, url.Values{})); r.Status != http.StatusOK || !bytes.Equal(r.Body, then.Body) {
		t.Errorf("monthly as of between without a month = %d %s\nwant %s", r.Status, r.Body, then.Body)
	}

	ann := dashGet(t, a, leader, "/api/v1/dashboard/annual", asOf(between, url.Values{"year": {year}}))
	if ann.Status != http.StatusOK {
		t.Fatalf("annual as of %s = %d %s", between, ann.Status, ann.Body)
	}
	am := ann.json(t)
	this := am["months"].([]any)[between.In(domain.Vietnam).Month()-1].(map[string]any)
	if dashNumber(t, am, "totals", "received") != 1 || dashNumber(t, am, "totals", "accepted") != 0 ||
		dashNumber(t, this, "received") != 1 || dashNumber(t, am, "seq") != float64(reportSeq) {
		t.Errorf("annual as of between = %s, want the report alone at seq %d", ann.Body, reportSeq)
	}
	csvThen := dashGet(t, a, leader, "/api/v1/dashboard/monthly", asOf(between, url.Values{"month": {month}, "format": {"csv"}}))
	records, err := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(csvThen.Body, []byte("\uFEFF")))).ReadAll()
	if err != nil || len(records) < 2 {
		t.Fatalf("CSV as of between = %d %s (%v)", csvThen.Status, csvThen.Body, err)
	}
	if col := slices.Index(records[0], "Tiếp nhận (Received)"); col < 0 || records[1][col] != "1" {
		t.Errorf("CSV as of between: total row %q", records[1])
	}

	// Before the first report: nothing; in the future: today, from the log.
	before := dashGet(t, a, leader, "/api/v1/dashboard/monthly", asOf(reportedAt.Add(-time.Second), url.Values{"month": {month}}))
	if bm := before.json(t); before.Status != http.StatusOK || dashNumber(t, bm, "received") != 0 || dashNumber(t, bm, "seq") != 0 {
		t.Errorf("monthly as of before the first report = %d %s", before.Status, before.Body)
	}
	future := dashGet(t, a, leader, "/api/v1/dashboard/monthly", asOf(time.Now().AddDate(1, 0, 0), url.Values{"month": {month}}))
	if future.Status != http.StatusOK || !bytes.Equal(future.Body, live.Body) {
		t.Errorf("monthly as of next year = %d %s\nwant today's %s", future.Status, future.Body, live.Body)
	}

	// The same access rules as today's figures.
	head := dashGet(t, a, staff["lc.truong"], "/api/v1/dashboard/monthly", asOf(acceptedAt, url.Values{"month": {month}}))
	if hm := head.json(t); head.Status != http.StatusOK || dashNumber(t, hm, "received") != 1 || dashNumber(t, hm, "accepted") != 1 {
		t.Errorf("unit head's monthly as of the acceptance = %d %s, want their unit's report, accepted", head.Status, head.Body)
	}
	for _, c := range []struct {
		name, bearer, path string
		query              url.Values
		status             int
		code               string
	}{
		{"another unit", staff["lc.truong"], "/api/v1/dashboard/monthly", asOf(between, url.Values{"unit": {"ubnd.cam-duong"}}), 403, "forbidden"},
		{"officer", staff["lc.can-bo"], "/api/v1/dashboard/monthly", asOf(between, url.Values{}), 403, "forbidden"},
		{"officer annual", staff["lc.can-bo"], "/api/v1/dashboard/annual", asOf(between, url.Values{}), 403, "forbidden"},
		{"anonymous", "", "/api/v1/dashboard/monthly", asOf(between, url.Values{}), 401, "unauthenticated"},
		{"not a time", leader, "/api/v1/dashboard/monthly", url.Values{"as_of": {"yesterday"}}, 400, "invalid"},
		{"a date only", leader, "/api/v1/dashboard/annual", url.Values{"as_of": {"2026-03-01"}}, 400, "invalid"},
		{"a month after the next one then", leader, "/api/v1/dashboard/monthly",
			asOf(between, url.Values{"month": {between.In(domain.Vietnam).AddDate(0, 2, 1-between.In(domain.Vietnam).Day()).Format("2006-01")}}), 400, "invalid_period"},
	} {
		r := dashGet(t, a, c.bearer, c.path, c.query)
		if r.Status != c.status || r.errorCode(t) != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, r.Status, r.Body, c.status, c.code)
			continue
		}
		if e := r.json(t)["error"].(map[string]any); c.code == "invalid" && e["field"] != "as_of" {
			t.Errorf("%s: error %v, want it on the field as_of", c.name, e)
		}
	}
}
