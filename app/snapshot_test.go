package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"phananh/app"
	"phananh/domain"
)

// snapLogs collects an app's JSON log lines.
type snapLogs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *snapLogs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// lines returns the log lines whose msg is msg.
func (l *snapLogs) lines(msg string) []map[string]any {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []map[string]any
	for _, line := range strings.Split(l.buf.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == msg {
			out = append(out, m)
		}
	}
	return out
}

// startSnapApp starts the app on dir with its log in logs, as the binary
// would: snapshots on, with their defaults (none written periodically in a
// test this short).
func startSnapApp(t *testing.T, dir string, logs *snapLogs) *app.App {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := app.Start(ctx, app.Config{
		DataDir: dir, HTTPAddr: "127.0.0.1:0", NATSListen: "127.0.0.1:-1", SyncAlways: false,
		PasswordCost: bcrypt.MinCost, Log: slog.New(slog.NewJSONHandler(logs, nil)),
	})
	if err != nil {
		t.Fatalf("start app: %v", err)
	}
	t.Cleanup(func() { a.Close(context.Background()) })
	waitReady(t, a)
	return a
}

// snapStaff adds staff members and returns their Authorization headers.
func snapStaff(t *testing.T, a *app.App, members map[string][2]string) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for name, ru := range members {
		if err := a.Users.Add(context.Background(), name, ru[1], domain.Role(ru[0]), "Mật khẩu thử 2026"); err != nil {
			t.Fatal(err)
		}
		r := login(t, a, name, "Mật khẩu thử 2026")
		if r.Status != http.StatusOK {
			t.Fatalf("login %s = %d %s", name, r.Status, r.Body)
		}
		out[name] = []string{"Authorization", "Bearer " + mustString(t, r.json(t), "token")}
	}
	return out
}

// snapCase is a submitted report.
type snapCase struct {
	id, code, unit string
	version        uint64
}

func snapSubmit(t *testing.T, a *app.App, title string) *snapCase {
	t.Helper()
	r := validReport("")
	r["title"] = title
	resp := postJSON(t, a, "/api/v1/reports", r)
	if resp.Status != http.StatusCreated {
		t.Fatalf("submit = %d %s", resp.Status, resp.Body)
	}
	m := resp.json(t)
	return &snapCase{id: mustString(t, m, "id"), code: mustString(t, m, "tracking_code"),
		unit: mustString(t, m, "unit"), version: uint64(m["seq"].(float64))}
}

func snapAct(t *testing.T, a *app.App, who []string, c *snapCase, action string, body any) {
	t.Helper()
	headers := append([]string{"If-Match", strconv.FormatUint(c.version, 10)}, who...)
	resp := postJSON(t, a, "/api/v1/cases/"+c.id+"/"+action, body, headers...)
	if resp.Status != http.StatusOK {
		t.Fatalf("%s = %d %s", action, resp.Status, resp.Body)
	}
	c.version = uint64(resp.json(t)["seq"].(float64))
}

// snapGet answers a GET as the given headers allow, with the fields that
// depend on the moment of the request (not on the log) removed.
func snapGet(t *testing.T, a *app.App, path string, headers ...string) response {
	t.Helper()
	r := do(t, a, http.MethodGet, path, "", nil, headers...)
	var m map[string]any
	if json.Unmarshal(r.Body, &m) == nil {
		delete(m, "as_of") // a queue says when it was listed
		r.Body, _ = json.Marshal(m)
	}
	return r
}

// scrapeMetrics returns GET /metrics as text.
func scrapeMetrics(t *testing.T, a *app.App) string {
	t.Helper()
	r := do(t, a, http.MethodGet, "/metrics", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("/metrics = %d %s", r.Status, r.Body)
	}
	return string(r.Body)
}

// metricValue returns the value of the series whose line starts with
// series (name and labels), or -1 when there is none.
func metricValue(body, series string) float64 {
	for _, line := range strings.Split(body, "\n") {
		if rest, ok := strings.CutPrefix(line, series+" "); ok {
			v, err := strconv.ParseFloat(strings.Fields(rest)[0], 64)
			if err == nil {
				return v
			}
		}
	}
	return -1
}

// TestRestartFromSnapshot writes, stops cleanly (which snapshots the read
// models), starts again on the same data and checks that the read models
// came from the snapshots and answer exactly as before.
func TestRestartFromSnapshot(t *testing.T) {
	dir := t.TempDir()
	logs := &snapLogs{}
	a := startSnapApp(t, dir, logs)
	var cs []*snapCase
	for i := range 3 {
		cs = append(cs, snapSubmit(t, a, fmt.Sprintf("Nước suối đổi màu, lần %d", i)))
	}
	unit := cs[0].unit
	staff := snapStaff(t, a, map[string][2]string{
		"an.officer": {"officer", unit}, "chi.coordinator": {"coordinator", ""}, "dung.leader": {"leader", ""}})
	snapAct(t, a, staff["an.officer"], cs[0], "accept", map[string]any{"note": "Thụ lý"})
	snapAct(t, a, staff["an.officer"], cs[1], "comment", map[string]any{"text": "Đã gọi điện", "visibility": "internal"})
	snapAct(t, a, staff["an.officer"], cs[2], "reject", map[string]any{"reason": "Không thuộc thẩm quyền"})

	now := time.Now().In(time.FixedZone("ICT", 7*3600))
	month, year := now.Format("2006-01"), strconv.Itoa(now.Year())
	views := func(a *app.App) map[string]response {
		out := map[string]response{}
		for _, c := range cs {
			out["staff "+c.id] = snapGet(t, a, "/api/v1/cases/"+c.id, staff["chi.coordinator"]...)
			out["citizen "+c.id] = snapGet(t, a, "/api/v1/reports/"+c.id, "X-Tracking-Code", c.code)
		}
		out["queue"] = snapGet(t, a, "/api/v1/queues/"+unit+"?sort=received", staff["an.officer"]...)
		out["dashboard"] = snapGet(t, a, "/api/v1/dashboard/monthly?month="+month, staff["dung.leader"]...)
		out["dashboard of a unit"] = snapGet(t, a, "/api/v1/dashboard/monthly?month="+month+"&unit="+unit, staff["dung.leader"]...)
		out["annual"] = snapGet(t, a, "/api/v1/dashboard/annual?year="+year, staff["dung.leader"]...)
		return out
	}
	before := views(a)
	for name, r := range before {
		if r.Status != http.StatusOK {
			t.Fatalf("%s = %d %s", name, r.Status, r.Body)
		}
	}
	if m := before["dashboard"].json(t); m["received"] != 3.0 || m["accepted"] != 1.0 || m["rejected"] != 1.0 {
		t.Fatalf("dashboard before the restart = %s, want 3 received, 1 accepted, 1 rejected", before["dashboard"].Body)
	}

	body := scrapeMetrics(t, a)
	for series, want := range map[string]float64{
		`phananh_events_appended_total{type="reported"}`:                                                  3,
		`phananh_events_appended_total{type="accepted"}`:                                                  1,
		`phananh_events_appended_total{type="comment_added"}`:                                             1,
		`phananh_events_appended_total{type="rejected"}`:                                                  1,
		`phananh_events_appended_total{type="closed"}`:                                                    0,
		`phananh_projection_restored_from_snapshot{model="case_view"}`:                                    0,
		`phananh_projection_restored_from_snapshot{model="queues"}`:                                       0,
		`phananh_projection_restored_from_snapshot{model="dashboard"}`:                                    0,
		`phananh_http_request_duration_seconds_count{method="POST",route="/api/v1/reports",status="201"}`: 3,
	} {
		if got := metricValue(body, series); got != want {
			t.Errorf("%s = %v, want %v", series, got, want)
		}
	}
	if got := metricValue(body, "phananh_projection_lag_events"); got != 0 {
		t.Errorf("lag after every write was read back = %v, want 0", got)
	}
	if got := metricValue(body, "phananh_projection_rebuild_seconds"); got < 0 || got > 30 {
		t.Errorf("rebuild seconds = %v, want a start-up time", got)
	}
	if !strings.Contains(body, `route="/api/v1/cases/:id",status="200"`) || strings.Contains(body, cs[0].id) {
		t.Errorf("HTTP series are not by route pattern:\n%s", body)
	}
	for _, family := range []string{"go_goroutines ", "process_resident_memory_bytes "} {
		if !strings.Contains(body, "\n"+family) {
			t.Errorf("scrape lacks %s", family)
		}
	}

	if err := a.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	written := map[string]bool{}
	for _, l := range logs.lines("projection snapshot written") {
		written[fmt.Sprint(l["model"])] = true
	}
	if !written["case_view"] || !written["queues"] || !written["dashboard"] {
		t.Fatalf("not every snapshot written at shutdown: %v", written)
	}

	logs2 := &snapLogs{}
	b := startSnapApp(t, dir, logs2)
	restored := map[string]any{}
	for _, l := range logs2.lines("projection restored from snapshot") {
		restored[fmt.Sprint(l["model"])] = l["seq"]
	}
	last := cs[2].version // the last event written before the stop
	for _, model := range []string{"case_view", "queues", "dashboard"} {
		if got, want := restored[model], float64(last); got != want {
			t.Errorf("%s restored at %v, want at %v (log: %v)", model, got, want, restored)
		}
	}
	// Every model restored: the start-up is a partial replay, from after
	// the lowest snapshot (here after the last event: nothing to replay).
	st := b.Runner.Startup()
	if got, want := st.Restored, map[string]uint64{"case_view": last, "queues": last, "dashboard": last}; !maps.Equal(got, want) {
		t.Errorf("Startup().Restored = %v, want %v", got, want)
	}
	if !st.Ready {
		t.Errorf("Startup() = %+v, want ready", st)
	}
	if lines := logs2.lines("projections rebuilding"); len(lines) != 1 || lines[0]["from"] != float64(last+1) {
		t.Errorf("the runner's feed started at %v, want from %d, after the snapshots", lines, last+1)
	}
	body = scrapeMetrics(t, b)
	for _, model := range []string{"case_view", "queues", "dashboard"} {
		if got := metricValue(body, `phananh_projection_restored_from_snapshot{model="`+model+`"}`); got != 1 {
			t.Errorf("restored_from_snapshot{%s} = %v, want 1", model, got)
		}
	}
	after := views(b)
	for name, r := range before {
		if got := after[name]; got.Status != r.Status || !bytes.Equal(got.Body, r.Body) {
			t.Errorf("%s after the restart:\n%d %s\nwant\n%d %s", name, got.Status, got.Body, r.Status, r.Body)
		}
	}
	// And the restarted models follow new writes.
	snapAct(t, b, staff["an.officer"], cs[0], "comment", map[string]any{"text": "Sau khi khởi động lại"})
	if r := snapGet(t, b, "/api/v1/cases/"+cs[0].id+"?after="+strconv.FormatUint(cs[0].version, 10), staff["an.officer"]...); !strings.Contains(string(r.Body), "Sau khi khởi động lại") {
		t.Errorf("the new comment is not in the restarted view: %d %s", r.Status, r.Body)
	}
	snapAct(t, b, staff["an.officer"], cs[1], "accept", map[string]any{"note": "Thụ lý sau khi khởi động lại"})
	r := snapGet(t, b, "/api/v1/dashboard/monthly?month="+month+"&after="+strconv.FormatUint(cs[1].version, 10), staff["dung.leader"]...)
	if m := r.json(t); m["accepted"] != 2.0 || m["seq"] != float64(cs[1].version) {
		t.Errorf("the restored dashboard after a new acceptance = %d %s, want 2 accepted at seq %d", r.Status, r.Body, cs[1].version)
	}
}

// TestCaseAsOf asks for a case as it was at moments of its history.
func TestCaseAsOf(t *testing.T) {
	a := startSnapApp(t, t.TempDir(), &snapLogs{})
	c := snapSubmit(t, a, "Khói bụi từ lò gạch")
	staff := snapStaff(t, a, map[string][2]string{
		"an.officer": {"officer", c.unit}, "binh.other": {"officer", "ubnd.cam-duong"}})
	officer := staff["an.officer"]
	snapAct(t, a, officer, c, "accept", map[string]any{"note": "Thụ lý"})
	snapAct(t, a, officer, c, "comment", map[string]any{"text": "Ghi chú nội bộ"})

	now := snapGet(t, a, "/api/v1/cases/"+c.id, officer...).json(t)
	tl := snapTimeline(t, now)
	if len(tl) != 3 {
		t.Fatalf("timeline has %d entries, want 3", len(tl))
	}
	at := func(i int) time.Time { return snapTime(t, tl[i], "time") }
	between := at(0).Add(at(1).Sub(at(0)) / 2)
	get := func(asOf string, who []string) response {
		return do(t, a, http.MethodGet, "/api/v1/cases/"+c.id+"?as_of="+asOf, "", nil, who...)
	}

	r := get(url.QueryEscape(between.Format(time.RFC3339Nano)), officer)
	if r.Status != http.StatusOK {
		t.Fatalf("as of %s = %d %s", between, r.Status, r.Body)
	}
	then := r.json(t)
	if then["status"] != "received" || len(snapTimeline(t, then)) != 1 {
		t.Errorf("as of between the report and the acceptance: status %v, %d entries; want received, 1", then["status"], len(snapTimeline(t, then)))
	}
	if got, want := then["version"], tl[0]["seq"]; got != want {
		t.Errorf("version then = %v, want %v", got, want)
	}
	if r.Header.Get("ETag") != "" {
		t.Errorf("a past state carries an ETag %q, which If-Match would misuse", r.Header.Get("ETag"))
	}
	if got := snapTime(t, then, "as_of"); !got.Equal(between) {
		t.Errorf("as_of in the answer = %v, want %v", got, between)
	}

	// Vietnam time with its "+" unescaped, as people type it: it arrives as
	// a space and is still understood.
	r = get(at(1).In(time.FixedZone("", 7*3600)).Format(time.RFC3339Nano), officer)
	if r.Status != http.StatusOK || r.json(t)["status"] != "accepted" {
		t.Errorf("as of the acceptance, in +07:00 = %d %s", r.Status, r.Body)
	}
	if r := get(url.QueryEscape(at(2).Add(time.Hour).Format(time.RFC3339)), officer); r.Status != http.StatusOK || len(snapTimeline(t, r.json(t))) != 3 {
		t.Errorf("as of the future = %d %s, want today's case", r.Status, r.Body)
	}
	// The future has not happened: ten years on is read as now, and the
	// case, due within weeks, is not judged overdue then.
	asked := time.Now()
	r = get(url.QueryEscape(asked.AddDate(10, 0, 0).Format(time.RFC3339)), officer)
	if r.Status != http.StatusOK {
		t.Fatalf("as of ten years on = %d %s", r.Status, r.Body)
	}
	if later := r.json(t); later["overdue"] != false || snapTime(t, later, "as_of").After(time.Now()) || snapTime(t, later, "as_of").Before(asked) {
		t.Errorf("as of ten years on: overdue %v, as_of %v; want not overdue, as of the moment asked (%v)", later["overdue"], later["as_of"], asked)
	}
	if r := get(url.QueryEscape(at(0).Add(-time.Second).Format(time.RFC3339Nano)), officer); r.Status != http.StatusNotFound {
		t.Errorf("as of before the report = %d %s, want 404", r.Status, r.Body)
	}
	if r := get("yesterday", officer); r.Status != http.StatusBadRequest || r.errorCode(t) != "invalid" {
		t.Errorf("as_of=yesterday = %d %s, want 400 invalid", r.Status, r.Body)
	}
	if r := get(url.QueryEscape(between.Format(time.RFC3339Nano)), staff["binh.other"]); r.Status != http.StatusForbidden {
		t.Errorf("another unit's officer as of then = %d, want 403", r.Status)
	}
	if r := get(url.QueryEscape(between.Format(time.RFC3339Nano)), nil); r.Status != http.StatusUnauthorized {
		t.Errorf("without logging in = %d, want 401", r.Status)
	}
}

// snapTimeline returns a case view's timeline entries.
func snapTimeline(t *testing.T, view map[string]any) []map[string]any {
	t.Helper()
	raw, ok := view["timeline"].([]any)
	if !ok {
		t.Fatalf("no timeline in %v", view)
	}
	out := make([]map[string]any, len(raw))
	for i, e := range raw {
		out[i] = e.(map[string]any)
	}
	return out
}

// snapTime reads an RFC 3339 time field.
func snapTime(t *testing.T, m map[string]any, key string) time.Time {
	t.Helper()
	at, err := time.Parse(time.RFC3339Nano, fmt.Sprint(m[key]))
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return at
}
