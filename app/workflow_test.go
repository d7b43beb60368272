package app_test

// Full staff journeys over HTTP, with real login tokens: each step is
// POST /api/v1/cases/{id}/{action} with If-Match set to the version the
// previous answer gave, and each journey checks what the log really holds
// (the event types of the case, read from the CASES stream through a
// separate connection), the staff view and the citizen's view.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"

	"phananh/app"
	"phananh/domain"
	"phananh/eventstore"
)

// startStaffApp is startApp with staff login at the cheapest bcrypt cost
// and the given logger (nil: discard).
func startStaffApp(t *testing.T, log *slog.Logger) *app.App {
	t.Helper()
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := app.Start(ctx, app.Config{
		DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", NATSListen: "127.0.0.1:-1", SyncAlways: true,
		PasswordCost: bcrypt.MinCost, Log: log,
	})
	if err != nil {
		t.Fatalf("start app: %v", err)
	}
	t.Cleanup(func() { a.Close(context.Background()) })
	waitReady(t, a)
	return a
}

// member is a staff account to create.
type member struct {
	name, unit string
	role       domain.Role
}

// roster is every account the journeys and the matrix use.
var roster = []member{
	{"lc.officer", "ubnd.lao-cai", domain.RoleOfficer},
	{"lc.officer2", "ubnd.lao-cai", domain.RoleOfficer},
	{"lc.head", "ubnd.lao-cai", domain.RoleUnitHead},
	{"cd.officer", "ubnd.cam-duong", domain.RoleOfficer},
	{"cd.head", "ubnd.cam-duong", domain.RoleUnitHead},
	{"mt.officer", "snnmt.moi-truong", domain.RoleOfficer},
	{"mt.head", "snnmt.moi-truong", domain.RoleUnitHead},
	{"tt.officer", "snnmt.thanh-tra", domain.RoleOfficer},
	{"tt.head", "snnmt.thanh-tra", domain.RoleUnitHead},
	{"tinh.officer", "ubnd.tinh", domain.RoleOfficer},
	{"coordinator", "", domain.RoleCoordinator},
	{"supervisor", "mttq.tinh", domain.RoleSupervisor},
	{"leader", "", domain.RoleLeader},
	{"admin", "", domain.RoleAdmin},
}

// crew maps an account name to its "Bearer <token>"; "" is anonymous.
type crew map[string]string

// hire creates the accounts and logs each one in through the API.
func hire(t *testing.T, a *app.App, members ...member) crew {
	t.Helper()
	c := crew{"": ""}
	for _, m := range members {
		password := "Mật khẩu thử nghiệm của " + m.name
		if err := a.Users.Add(context.Background(), m.name, m.unit, m.role, password); err != nil {
			t.Fatalf("add %s: %v", m.name, err)
		}
		r := login(t, a, m.name, password)
		if r.Status != http.StatusOK {
			t.Fatalf("login %s = %d %s", m.name, r.Status, r.Body)
		}
		c[m.name] = "Bearer " + mustString(t, r.json(t), "token")
	}
	return c
}

// headers returns the Authorization header of an account (none for "") and more.
func (c crew) headers(t testing.TB, who string, more ...string) []string {
	t.Helper()
	b, ok := c[who]
	if !ok {
		t.Fatalf("no account %q in the crew", who)
	}
	if b == "" {
		return more
	}
	return append([]string{"Authorization", b}, more...)
}

// report builds a citizen's report.
func report(category, commune, title, description string) map[string]any {
	return map[string]any{
		"category":    category,
		"title":       title,
		"description": description,
		"location":    map[string]any{"commune": commune, "address": "Tổ 3"},
		"reporter":    map[string]any{"name": "Trần Thị Bích", "phone": "0903 111 222"},
	}
}

// holdsIdentity reports whether a body holds the name or phone of the
// reporters of report and validReport. (Whole numbers only: a timestamp's
// fraction can hold any four digits.)
func holdsIdentity(body []byte) bool {
	for _, s := range []string{"Trần Thị Bích", "0903 111 222", "0903111222", "Nguyễn Văn An", "0912 345 678", "0912345678"} {
		if bytes.Contains(body, []byte(s)) {
			return true
		}
	}
	return false
}

// submitted is a case as its reporter knows it.
type submitted struct {
	id, code string
	version  uint64
	receipt  map[string]any
}

func submit(t testing.TB, a *app.App, r map[string]any) submitted {
	t.Helper()
	resp := postJSON(t, a, "/api/v1/reports", r)
	if resp.Status != http.StatusCreated {
		t.Fatalf("submit = %d %s, want 201", resp.Status, resp.Body)
	}
	rc := resp.json(t)
	return submitted{id: mustString(t, rc, "id"), code: mustString(t, rc, "tracking_code"),
		version: uint64(rc["seq"].(float64)), receipt: rc}
}

// act sends one staff action with If-Match.
func act(t testing.TB, a *app.App, c crew, who, id string, version uint64, action string, body any, extra ...string) response {
	t.Helper()
	h := c.headers(t, who, append([]string{"If-Match", strconv.FormatUint(version, 10)}, extra...)...)
	return postJSON(t, a, "/api/v1/cases/"+id+"/"+action, body, h...)
}

// journey walks one case through staff actions, carrying its version.
type journey struct {
	t    *testing.T
	a    *app.App
	crew crew
	submitted
}

// step runs an action that must succeed, checks the answer and returns it.
func (j *journey) step(who, action string, body any, want domain.Status) map[string]any {
	j.t.Helper()
	r := act(j.t, j.a, j.crew, who, j.id, j.version, action, body)
	if r.Status != http.StatusOK {
		j.t.Fatalf("%s by %s at version %d = %d %s, want 200", action, who, j.version, r.Status, r.Body)
	}
	return j.accept(action, r, want)
}

// accept checks a successful action's answer and moves the version on.
func (j *journey) accept(action string, r response, want domain.Status) map[string]any {
	j.t.Helper()
	ans := r.json(j.t)
	v := uint64(ans["version"].(float64))
	if ans["id"] != j.id || v <= j.version || uint64(ans["seq"].(float64)) != v {
		j.t.Errorf("%s answered %s, want id %s and a version beyond %d equal to seq", action, r.Body, j.id, j.version)
	}
	if got := domain.Status(fmt.Sprint(ans["status"])); got != want {
		j.t.Errorf("%s: status = %s, want %s", action, got, want)
	}
	if got, wantTag := r.Header.Get("ETag"), strconv.Quote(strconv.FormatUint(v, 10)); got != wantTag {
		j.t.Errorf("%s: ETag = %q, want %q", action, got, wantTag)
	}
	j.version = v
	return ans
}

// refused runs an action that must fail with the status and code, and
// checks that it stored nothing.
func (j *journey) refused(who, action string, body any, status int, code string) response {
	j.t.Helper()
	before := len(storedEvents(j.t, j.a, j.id))
	r := act(j.t, j.a, j.crew, who, j.id, j.version, action, body)
	if r.Status != status || r.errorCode(j.t) != code {
		j.t.Errorf("%s by %s = %d %s, want %d %s", action, who, r.Status, r.Body, status, code)
	}
	if after := len(storedEvents(j.t, j.a, j.id)); after != before {
		j.t.Errorf("the refused %s stored %d events", action, after-before)
	}
	return r
}

// mediate schedules a mediation a couple of seconds ahead, checks that its
// record is refused before that time, and records it as soon as the time
// has come (polling: the server's clock cannot be moved from here).
func (j *journey) mediate(who string, record map[string]any, want domain.Status) time.Time {
	j.t.Helper()
	at, _ := time.Parse(time.RFC3339, time.Now().Add(2*time.Second).In(domain.Vietnam).Format(time.RFC3339))
	j.step(who, "schedule-mediation", map[string]any{
		"at": at.Format(time.RFC3339), "place": "Hội trường UBND phường Lào Cai",
		"council": []map[string]any{
			{"name": "Phó Chủ tịch UBND phường", "role": "chair"},
			{"name": "Đại diện Ủy ban MTTQ phường", "role": "fatherland_front"},
			{"name": "Công chức địa chính", "role": "member"},
		},
	}, domain.StatusMediationScheduled)
	if time.Until(at) > 300*time.Millisecond {
		j.refused(who, "record-mediation", record, http.StatusBadRequest, "invalid_time")
	}
	checkFor(j.t, 15*time.Second, 100*time.Millisecond, func() error {
		r := act(j.t, j.a, j.crew, who, j.id, j.version, "record-mediation", record)
		switch {
		case r.Status == http.StatusOK:
			j.accept("record-mediation", r, want)
			return nil
		case r.Status == http.StatusBadRequest && r.errorCode(j.t) == "invalid_time" && time.Now().Before(at.Add(5*time.Second)):
			return fmt.Errorf("record-mediation still refused: %s", r.Body)
		}
		j.t.Fatalf("record-mediation = %d %s", r.Status, r.Body)
		return nil
	})
	return at
}

// storedEvents reads a case's events from the CASES stream, in order, one
// get per sequence (the next message on the case's subject from there).
func storedEvents(t testing.TB, a *app.App, id string) []domain.Envelope {
	t.Helper()
	s := stream(t, a)
	subject := "cases." + id
	n := eventsOn(t, s, id)
	var out []domain.Envelope
	for seq := uint64(1); uint64(len(out)) < n; {
		raw, err := s.GetMsg(context.Background(), seq, jetstream.WithGetMsgSubject(subject))
		if err != nil {
			t.Fatalf("get %s from %d: %v", subject, seq, err)
		}
		ceType := raw.Header.Get("ce-type")
		if !strings.HasPrefix(ceType, "vn.phananh.case.") || !strings.HasSuffix(ceType, ".v1") {
			t.Fatalf("seq %d: ce-type %q", raw.Sequence, ceType)
		}
		env, err := eventstore.Decode(raw.Sequence, raw.Header, raw.Data)
		if err != nil {
			t.Fatal(err)
		}
		if env.Type() != strings.TrimSuffix(strings.TrimPrefix(ceType, "vn.phananh.case."), ".v1") {
			t.Fatalf("seq %d: ce-type %q holds a %s", raw.Sequence, ceType, env.Type())
		}
		out = append(out, env)
		seq = raw.Sequence + 1
	}
	return out
}

func typesOf(events []domain.Envelope) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.Type()
	}
	return out
}

// checkStored asserts the event types the log holds for the case, and that
// the last one's sequence is the version the journey reached.
func (j *journey) checkStored(want ...string) []domain.Envelope {
	j.t.Helper()
	events := storedEvents(j.t, j.a, j.id)
	if got := typesOf(events); !slices.Equal(got, want) {
		j.t.Errorf("stored events = %v, want %v", got, want)
	}
	if len(events) > 0 && events[len(events)-1].Seq != j.version {
		j.t.Errorf("last stored event is at %d, the last answer gave version %d", events[len(events)-1].Seq, j.version)
	}
	return events
}

// staffView is GET /api/v1/cases/{id} as who, which must answer 200.
func (j *journey) staffView(who string) map[string]any {
	j.t.Helper()
	r := do(j.t, j.a, http.MethodGet, "/api/v1/cases/"+j.id, "", nil, j.crew.headers(j.t, who)...)
	if r.Status != http.StatusOK {
		j.t.Fatalf("staff view as %s = %d %s", who, r.Status, r.Body)
	}
	v := r.json(j.t)
	if got := uint64(v["version"].(float64)); got != j.version {
		j.t.Errorf("staff view version = %d, want %d", got, j.version)
	}
	if got, want := r.Header.Get("ETag"), strconv.Quote(strconv.FormatUint(j.version, 10)); got != want {
		j.t.Errorf("staff view ETag = %q, want %q", got, want)
	}
	return v
}

// citizenView is GET /api/v1/reports/{id} with the tracking code. It checks
// that no staff account name appears in it.
func (j *journey) citizenView() map[string]any {
	j.t.Helper()
	r := do(j.t, j.a, http.MethodGet, "/api/v1/reports/"+j.id, "", nil, "X-Tracking-Code", j.code)
	if r.Status != http.StatusOK {
		j.t.Fatalf("citizen view = %d %s", r.Status, r.Body)
	}
	for name := range j.crew {
		// Account ids with a dot; "coordinator" is also a role name, which is public.
		if strings.Contains(name, ".") && bytes.Contains(r.Body, []byte(name)) {
			j.t.Errorf("the citizen view names staff member %s: %s", name, r.Body)
		}
	}
	if holdsIdentity(r.Body) {
		j.t.Errorf("the citizen view holds the reporter's identity: %s", r.Body)
	}
	return r.json(j.t)
}

// timeline returns a view's timeline entries.
func timeline(t testing.TB, v map[string]any) []map[string]any {
	t.Helper()
	raw, _ := v["timeline"].([]any)
	out := make([]map[string]any, len(raw))
	for i, e := range raw {
		out[i] = e.(map[string]any)
	}
	return out
}

func timelineTypes(t testing.TB, v map[string]any) []string {
	var out []string
	for _, e := range timeline(t, v) {
		out = append(out, fmt.Sprint(e["type"]))
	}
	return out
}

// entry returns the last timeline entry of a type.
func entry(t testing.TB, v map[string]any, typ string) map[string]any {
	t.Helper()
	tl := timeline(t, v)
	for i := len(tl) - 1; i >= 0; i-- {
		if tl[i]["type"] == typ {
			return tl[i]
		}
	}
	t.Fatalf("no %s entry in the timeline %v", typ, timelineTypes(t, v))
	return nil
}

func timeField(t testing.TB, m map[string]any, key string) time.Time {
	t.Helper()
	ts, err := time.Parse(time.RFC3339Nano, mustString(t, m, key))
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return ts
}

func unitOf(v map[string]any) any { return v["unit"].(map[string]any)["code"] }

// queue lists one page of a unit's queue.
func queue(t testing.TB, a *app.App, c crew, who, unit string, query url.Values) (items []map[string]any, next string) {
	t.Helper()
	path := "/api/v1/queues/" + unit
	if len(query) > 0 {
		path += "?" + query.Encode()
	}
	r := do(t, a, http.MethodGet, path, "", nil, c.headers(t, who)...)
	if r.Status != http.StatusOK {
		t.Fatalf("queue %s?%s as %s = %d %s", unit, query.Encode(), who, r.Status, r.Body)
	}
	body := r.json(t)
	for _, it := range body["items"].([]any) {
		items = append(items, it.(map[string]any))
	}
	next, _ = body["next"].(string)
	return items, next
}

func ids(items []map[string]any) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = fmt.Sprint(it["id"])
	}
	return out
}

func inQueue(t testing.TB, a *app.App, c crew, who, unit, id string) bool {
	t.Helper()
	items, _ := queue(t, a, c, who, unit, url.Values{"limit": {"200"}})
	return slices.Contains(ids(items), id)
}

var council = []map[string]any{
	{"name": "Chủ tịch UBND phường", "role": "chair"},
	{"name": "Đại diện MTTQ phường", "role": "fatherland_front"},
}

func TestWorkflowLandDisputeAgreedAtMediation(t *testing.T) {
	t.Parallel()
	a := startStaffApp(t, nil)
	c := hire(t, a, roster...)
	j := &journey{t: t, a: a, crew: c, submitted: submit(t, a, report("land.boundary", "lao-cai",
		"Tranh chấp ranh giới thửa đất số 12", "Hộ bên cạnh xây tường rào lấn sang thửa đất của gia đình tôi."))}
	if got := j.receipt["unit"]; got != "ubnd.lao-cai" {
		t.Fatalf("a land dispute in Lào Cai went to %v, want the commune ubnd.lao-cai", got)
	}

	ans := j.step("lc.officer", "accept", map[string]any{}, domain.StatusAccepted)
	// The mediation clock runs 30 days from the report (Land Law 2024, Art. 235).
	received := timeField(t, j.staffView("lc.head"), "received_at")
	pol := domain.DefaultPolicy()
	if got, want := timeField(t, ans, "deadline"), pol.Deadlines.Due(received, 30, false); !got.Equal(want) {
		t.Errorf("deadline after acceptance = %s, want %s (30 days from the report)", got, want)
	}
	// Assigning is the unit head's; an officer may not.
	j.refused("lc.officer", "assign", map[string]any{"officer": "lc.officer2"}, http.StatusForbidden, "forbidden")
	j.step("lc.head", "assign", map[string]any{"officer": "lc.officer"}, domain.StatusAssigned)
	// Resolving before mediation is refused: the commune mediates first.
	j.refused("lc.officer", "resolve", map[string]any{"summary": "Đã giải quyết"}, http.StatusConflict, "conflict")

	agreed := map[string]any{"outcome": "agreed", "minutes": "Hai bên thống nhất ranh giới theo bản đồ địa chính năm 2015.",
		"attendance": []map[string]any{
			{"name": "Ông Lê Văn Hải", "party": true, "present": true},
			{"name": "Bà Phạm Thị Hoa", "party": true, "present": true},
		}}
	at := j.mediate("lc.officer", agreed, domain.StatusMediated)
	j.step("lc.officer", "resolve", map[string]any{"summary": "Hòa giải thành; các bên cắm lại mốc ranh giới."}, domain.StatusResolved)
	j.step("lc.officer", "close", map[string]any{}, domain.StatusClosed)

	events := j.checkStored("reported", "accepted", "assigned", "mediation_scheduled", "mediation_held", "resolved", "closed")
	if held, ok := events[4].Event.(domain.MediationHeld); !ok || held.Outcome != domain.MediationAgreed || len(held.Attendance) != 2 {
		t.Errorf("stored mediation = %+v, want agreed with two attendees", events[4].Event)
	}
	if sch, ok := events[3].Event.(domain.MediationScheduled); !ok || !sch.At.Equal(at) || len(sch.Council) != 3 {
		t.Errorf("stored schedule = %+v, want at %s with three council members", events[3].Event, at)
	}
	if !events[4].Time.After(at) && !events[4].Time.Equal(at) {
		t.Errorf("the mediation was recorded at %s, before its time %s", events[4].Time, at)
	}
	for i, who := range []string{"", "lc.officer", "lc.head", "lc.officer", "lc.officer", "lc.officer", "lc.officer"}[:len(events)] {
		if events[i].Actor.ID != who {
			t.Errorf("event %d (%s) actor = %q, want %q", i, events[i].Type(), events[i].Actor.ID, who)
		}
	}

	sv := j.staffView("lc.officer")
	if sv["status"] != "closed" || sv["assignee"] != "lc.officer" || sv["kind"] != "land_dispute" || sv["clock"] != "mediate" {
		t.Errorf("staff view status %v assignee %v kind %v clock %v", sv["status"], sv["assignee"], sv["kind"], sv["clock"])
	}
	if got, want := timelineTypes(t, sv), typesOf(events); !slices.Equal(got, want) {
		t.Errorf("staff timeline = %v, want %v", got, want)
	}
	held := entry(t, sv, "mediation_held")
	if held["text"] != agreed["minutes"] || held["data"].(map[string]any)["outcome"] != "agreed" || held["actor"] != "lc.officer" {
		t.Errorf("staff timeline mediation entry = %v", held)
	}
	if d := entry(t, sv, "assigned")["data"].(map[string]any); d["assignee"] != "lc.officer" {
		t.Errorf("staff timeline assignment = %v", d)
	}

	cv := j.citizenView()
	if cv["status"] != "closed" || cv["open311_status"] != "closed" || uint64(cv["version"].(float64)) != j.version {
		t.Errorf("citizen view status %v open311 %v version %v", cv["status"], cv["open311_status"], cv["version"])
	}
	if got, want := timelineTypes(t, cv), typesOf(events); !slices.Equal(got, want) {
		t.Errorf("citizen timeline = %v, want %v (every step is public)", got, want)
	}
	if e := entry(t, cv, "mediation_held"); e["text"] != nil || e["data"].(map[string]any)["outcome"] != "agreed" {
		t.Errorf("citizen mediation entry = %v, want the outcome without the minutes", e)
	}
	if e := entry(t, cv, "assigned"); e["data"] != nil {
		t.Errorf("citizen assignment entry = %v, want no assignee", e)
	}
}

func TestWorkflowLandDisputeSecondAbsenceFailsAndEscalates(t *testing.T) {
	t.Parallel()
	a := startStaffApp(t, nil)
	c := hire(t, a, roster...)
	j := &journey{t: t, a: a, crew: c, submitted: submit(t, a, report("land.encroachment", "lao-cai",
		"Lấn chiếm lối đi chung", "Hộ ông Hải dựng lán lấn chiếm lối đi chung của xóm."))}
	j.step("lc.officer", "accept", map[string]any{}, domain.StatusAccepted)
	j.step("lc.head", "assign", map[string]any{"officer": "lc.officer2"}, domain.StatusAssigned)

	absent := map[string]any{"outcome": "absent", "minutes": "Bên bị phản ánh vắng mặt không có lý do.",
		"attendance": []map[string]any{
			{"name": "Bà Phạm Thị Hoa", "party": true, "present": true},
			{"name": "Ông Lê Văn Hải", "party": true, "present": false},
		}}
	// The first absence sends the case back to work, to schedule again.
	j.mediate("lc.officer2", absent, domain.StatusInProgress)
	if sv := j.staffView("lc.officer2"); sv["status"] != "in_progress" {
		t.Fatalf("after the first absence the case is %v, want in_progress", sv["status"])
	}
	// The second absence fails the mediation (Decree 102/2024, Art. 105).
	j.mediate("lc.officer2", absent, domain.StatusMediated)
	sv := j.staffView("lc.officer2")
	if out := entry(t, sv, "mediation_held")["data"].(map[string]any)["outcome"]; out != "failed" {
		t.Errorf("the second absence recorded outcome %v, want failed", out)
	}
	// A failed mediation cannot be resolved at the commune: it is referred.
	j.refused("lc.officer2", "resolve", map[string]any{"summary": "x"}, http.StatusConflict, "conflict")
	if !inQueue(t, a, c, "lc.head", "ubnd.lao-cai", j.id) {
		t.Errorf("before the escalation the case is not in ubnd.lao-cai's queue")
	}
	ans := j.step("lc.officer2", "escalate", map[string]any{"authority": "ubnd.tinh",
		"reason": "Hòa giải không thành; chuyển UBND tỉnh giải quyết theo Điều 236 Luật Đất đai."}, domain.StatusEscalated)
	if ans["deadline"] == nil {
		t.Errorf("escalate answered no deadline: %v", ans)
	}

	events := j.checkStored("reported", "accepted", "assigned", "mediation_scheduled", "mediation_held",
		"mediation_scheduled", "mediation_held", "escalated")
	if h := events[4].Event.(domain.MediationHeld); h.Outcome != domain.MediationAbsent || h.Absences != 1 {
		t.Errorf("first session stored %+v, want absent with 1 absence", h)
	}
	if h := events[6].Event.(domain.MediationHeld); h.Outcome != domain.MediationFailed || h.Absences != 2 {
		t.Errorf("second session stored %+v, want failed with 2 absences", h)
	}
	if e := events[7].Event.(domain.Escalated); e.From != "ubnd.lao-cai" || e.To != "ubnd.tinh" || e.Overdue {
		t.Errorf("escalation stored %+v, want from ubnd.lao-cai to ubnd.tinh", e)
	}

	// The case is now with the province: in its queue, out of the ward's.
	if !inQueue(t, a, c, "tinh.officer", "ubnd.tinh", j.id) {
		t.Errorf("the escalated case is not in ubnd.tinh's queue")
	}
	if !inQueue(t, a, c, "coordinator", "ubnd.tinh", j.id) {
		t.Errorf("the coordinator does not see the escalated case in ubnd.tinh's queue")
	}
	if inQueue(t, a, c, "lc.head", "ubnd.lao-cai", j.id) {
		t.Errorf("the escalated case is still in ubnd.lao-cai's queue")
	}
	tv := j.staffView("tinh.officer")
	if tv["status"] != "escalated" || unitOf(tv) != "ubnd.tinh" || tv["assignee"] != nil {
		t.Errorf("province's view: status %v unit %v assignee %v", tv["status"], unitOf(tv), tv["assignee"])
	}
	// The ward's staff no longer hold it.
	if r := do(t, a, http.MethodGet, "/api/v1/cases/"+j.id, "", nil, c.headers(t, "lc.officer2")...); r.Status != http.StatusForbidden {
		t.Errorf("the ward officer reads the escalated case: %d", r.Status)
	}
	j.refused("lc.officer2", "comment", map[string]any{"text": "x"}, http.StatusForbidden, "forbidden")

	cv := j.citizenView()
	if cv["status"] != "escalated" || unitOf(cv) != "ubnd.tinh" || cv["open311_status"] != "open" {
		t.Errorf("citizen view status %v unit %v open311 %v", cv["status"], unitOf(cv), cv["open311_status"])
	}
	if got, want := timelineTypes(t, cv), typesOf(events); !slices.Equal(got, want) {
		t.Errorf("citizen timeline = %v, want %v", got, want)
	}
}

func TestWorkflowComplaintAndDenunciationClocks(t *testing.T) {
	t.Parallel()
	a := startStaffApp(t, nil)
	c := hire(t, a, roster...)
	pol := domain.DefaultPolicy()

	t.Run("complex complaint: 45 days, no extension", func(t *testing.T) {
		j := &journey{t: t, a: a, crew: c, submitted: submit(t, a, report("land.compensation", "lao-cai",
			"Bồi thường giải phóng mặt bằng chưa thỏa đáng", "Mức bồi thường cho đất nông nghiệp thấp hơn giá thị trường."))}
		ans := j.step("lc.officer", "accept", map[string]any{"complex": true, "note": "Vụ việc phức tạp"}, domain.StatusAccepted)
		sv := j.staffView("lc.head")
		acceptedAt := timeField(t, entry(t, sv, "accepted"), "time")
		want := pol.Deadlines.Due(acceptedAt, 45, false) // Law on Complaints 2011, Art. 28
		if got := timeField(t, ans, "deadline"); !got.Equal(want) {
			t.Errorf("complex complaint deadline = %s, want %s (45 days from acceptance; 30 would be %s)",
				got, want, pol.Deadlines.Due(acceptedAt, 30, false))
		}
		if sv["complex"] != true || sv["kind"] != "complaint" || sv["clock"] != "resolve" || !timeField(t, sv, "deadline").Equal(want) {
			t.Errorf("staff view complex %v kind %v clock %v deadline %v", sv["complex"], sv["kind"], sv["clock"], sv["deadline"])
		}
		// The law allows no extension of a complaint's clock.
		j.refused("lc.head", "extend-deadline", map[string]any{"days": 15, "decision_ref": "QĐ 01/QĐ-UBND", "reason": "Cần xác minh thêm"},
			http.StatusConflict, "conflict")
		j.checkStored("reported", "accepted")
		if got := timeField(t, j.staffView("lc.head"), "deadline"); !got.Equal(want) {
			t.Errorf("after the refused extension the deadline is %s, want %s", got, want)
		}
	})

	t.Run("denunciation: extended twice, then met", func(t *testing.T) {
		r := report("pollution.mining", "cam-duong", "Khai thác cát trái phép ban đêm",
			"Một nhóm người dùng máy xúc khai thác cát ở bãi bồi ven sông từ 22 giờ đến 4 giờ sáng.")
		r["reporter"] = map[string]any{"name": "Đặng Văn Tố", "phone": "0977 000 111"}
		j := &journey{t: t, a: a, crew: c, submitted: submit(t, a, r)}
		if got := j.receipt["unit"]; got != "snnmt.thanh-tra" {
			t.Fatalf("illegal mining went to %v, want the inspectorate snnmt.thanh-tra", got)
		}
		ans := j.step("tt.officer", "accept", map[string]any{}, domain.StatusAccepted)
		d0 := timeField(t, ans, "deadline")
		acceptedAt := timeField(t, entry(t, j.staffView("tt.head"), "accepted"), "time")
		if want := pol.Deadlines.Due(acceptedAt, 30, false); !d0.Equal(want) {
			t.Errorf("denunciation deadline = %s, want %s (30 days from acceptance)", d0, want)
		}
		// Extending is the unit head's, by a written decision.
		extend := func(n int) map[string]any {
			return map[string]any{"days": 30, "decision_ref": fmt.Sprintf("QĐ %d/QĐ-TTr", n), "reason": "Vụ việc đặc biệt phức tạp"}
		}
		j.refused("tt.officer", "extend-deadline", extend(0), http.StatusForbidden, "forbidden")
		prev := d0
		for n := 1; n <= 2; n++ {
			got := timeField(t, j.step("tt.head", "extend-deadline", extend(n), domain.StatusAccepted), "deadline")
			if got.Sub(prev) != 30*24*time.Hour || !got.Equal(pol.Deadlines.Due(prev, 30, false)) {
				t.Errorf("extension %d moved the deadline from %s to %s, want 30 days later", n, prev, got)
			}
			prev = got
		}
		j.refused("tt.head", "extend-deadline", extend(3), http.StatusUnprocessableEntity, "limit_reached")
		j.step("tt.head", "assign", map[string]any{"officer": "tt.officer"}, domain.StatusAssigned)
		resolved := j.step("tt.officer", "resolve", map[string]any{"summary": "Kết luận tố cáo đúng; đã xử phạt và tịch thu phương tiện.",
			"measures": "Xử phạt vi phạm hành chính; niêm phong máy xúc."}, domain.StatusResolved)
		if got := timeField(t, resolved, "deadline"); !got.Equal(prev) {
			t.Errorf("resolve answered deadline %s, want the extended %s", got, prev)
		}
		j.step("tt.head", "close", map[string]any{}, domain.StatusClosed)

		events := j.checkStored("reported", "accepted", "deadline_extended", "deadline_extended", "assigned", "resolved", "closed")
		for i, want := range []time.Time{d0.Add(30 * 24 * time.Hour), prev} {
			if e := events[2+i].Event.(domain.DeadlineExtended); e.Days != 30 || !e.Deadline.Equal(want) ||
				e.Decision != fmt.Sprintf("QĐ %d/QĐ-TTr", i+1) {
				t.Errorf("extension %d stored %+v, want 30 days to %s", i+1, e, want)
			}
		}
		// Met: resolved before the extended deadline, never overdue.
		if resolvedAt := events[5].Time; !resolvedAt.Before(prev) {
			t.Errorf("resolved at %s, after the deadline %s", resolvedAt, prev)
		}
		sv := j.staffView("tt.head")
		if sv["extensions"] != float64(2) || sv["overdue"] != false || !timeField(t, sv, "deadline").Equal(prev) || sv["status"] != "closed" {
			t.Errorf("staff view extensions %v overdue %v deadline %v status %v", sv["extensions"], sv["overdue"], sv["deadline"], sv["status"])
		}
		cv := j.citizenView()
		if cv["overdue"] != false || !timeField(t, cv, "deadline").Equal(prev) || cv["status"] != "closed" {
			t.Errorf("citizen view overdue %v deadline %v status %v", cv["overdue"], cv["deadline"], cv["status"])
		}
		if got := len(slices.DeleteFunc(timelineTypes(t, cv), func(s string) bool { return s != "deadline_extended" })); got != 2 {
			t.Errorf("the citizen sees %d extensions, want 2", got)
		}
		if bytes.Contains([]byte(fmt.Sprint(cv)), []byte("Đặng Văn Tố")) {
			t.Errorf("the citizen view names the denouncer")
		}
	})
}

func TestWorkflowIncidentTransferredBetweenUnits(t *testing.T) {
	t.Parallel()
	a := startStaffApp(t, nil)
	c := hire(t, a, roster...)
	j := &journey{t: t, a: a, crew: c, submitted: submit(t, a, validReport(""))}
	if j.receipt["unit"] != "ubnd.lao-cai" {
		t.Fatalf("unit = %v", j.receipt["unit"])
	}
	if !inQueue(t, a, c, "lc.officer", "ubnd.lao-cai", j.id) || inQueue(t, a, c, "mt.officer", "snnmt.moi-truong", j.id) {
		t.Fatalf("before the transfer the case must be in ubnd.lao-cai's queue only")
	}
	// Transferring between units is the coordinator's: the ward may not.
	j.refused("lc.head", "transfer", map[string]any{"unit": "snnmt.moi-truong", "reason": "x"}, http.StatusForbidden, "forbidden")
	j.step("coordinator", "transfer", map[string]any{"unit": "snnmt.moi-truong",
		"reason": "Nguồn thải từ cơ sở do Sở quản lý; chuyển Phòng Môi trường."}, domain.StatusReceived)

	if inQueue(t, a, c, "lc.officer", "ubnd.lao-cai", j.id) {
		t.Errorf("after the transfer the case is still in ubnd.lao-cai's queue")
	}
	if !inQueue(t, a, c, "mt.officer", "snnmt.moi-truong", j.id) {
		t.Errorf("after the transfer the case is not in snnmt.moi-truong's queue")
	}
	j.refused("lc.officer", "accept", map[string]any{}, http.StatusForbidden, "forbidden")

	j.step("mt.officer", "accept", map[string]any{}, domain.StatusAccepted)
	j.step("mt.head", "assign", map[string]any{"officer": "mt.officer"}, domain.StatusAssigned)
	// Only an officer of the unit that holds the case can be given it.
	j.refused("mt.head", "assign", map[string]any{"officer": "lc.officer"}, http.StatusForbidden, "forbidden")
	findings := "Phát hiện đường ống xả thải bí mật của cơ sở chế biến khoáng sản."
	j.step("mt.officer", "record-inspection", map[string]any{"findings": findings,
		"date": time.Now().In(domain.Vietnam).Format(time.DateOnly)}, domain.StatusInProgress)
	j.step("mt.officer", "resolve", map[string]any{"summary": "Đã yêu cầu cơ sở dừng xả thải và khắc phục.",
		"measures": "Lập biên bản, xử phạt"}, domain.StatusResolved)

	events := j.checkStored("reported", "transferred", "accepted", "assigned", "inspection_recorded", "resolved")
	if tr := events[1].Event.(domain.Transferred); tr.From != "ubnd.lao-cai" || tr.To != "snnmt.moi-truong" {
		t.Errorf("transfer stored %+v", tr)
	}
	if events[1].Actor.Role != domain.RoleCoordinator {
		t.Errorf("the transfer's actor is %+v, want the coordinator", events[1].Actor)
	}

	sv := j.staffView("mt.head")
	if sv["status"] != "resolved" || unitOf(sv) != "snnmt.moi-truong" || sv["assignee"] != "mt.officer" {
		t.Errorf("staff view status %v unit %v assignee %v", sv["status"], unitOf(sv), sv["assignee"])
	}
	if got, want := timelineTypes(t, sv), typesOf(events); !slices.Equal(got, want) {
		t.Errorf("staff timeline = %v, want %v", got, want)
	}
	if e := entry(t, sv, "inspection_recorded"); e["text"] != findings || e["public"] != false {
		t.Errorf("staff inspection entry = %v", e)
	}
	if e := entry(t, sv, "transferred")["data"].(map[string]any); e["from"] != "ubnd.lao-cai" || e["to"] != "snnmt.moi-truong" {
		t.Errorf("staff transfer entry = %v", e)
	}
	cv := j.citizenView()
	if cv["status"] != "resolved" || unitOf(cv) != "snnmt.moi-truong" || cv["open311_status"] != "closed" {
		t.Errorf("citizen view status %v unit %v open311 %v", cv["status"], unitOf(cv), cv["open311_status"])
	}
	want := []string{"reported", "transferred", "accepted", "assigned", "resolved"} // the inspection is internal
	if got := timelineTypes(t, cv); !slices.Equal(got, want) {
		t.Errorf("citizen timeline = %v, want %v", got, want)
	}
	if strings.Contains(fmt.Sprint(cv), "đường ống xả thải bí mật") {
		t.Errorf("the citizen view shows the internal inspection findings")
	}
}

func TestWorkflowReopenedCase(t *testing.T) {
	t.Parallel()
	a := startStaffApp(t, nil)
	c := hire(t, a, roster...)
	j := &journey{t: t, a: a, crew: c, submitted: submit(t, a, validReport(""))}
	j.step("lc.officer", "accept", map[string]any{}, domain.StatusAccepted)
	j.step("lc.head", "assign", map[string]any{"officer": "lc.officer"}, domain.StatusAssigned)
	j.step("lc.officer", "resolve", map[string]any{"summary": "Đã nạo vét và xử lý nguồn thải."}, domain.StatusResolved)

	// The citizen is not satisfied: reopened with the tracking code, no If-Match.
	r := postJSON(t, a, "/api/v1/reports/"+j.id+"/reopen", map[string]any{"reason": "Nước suối vẫn còn màu đen."}, "X-Tracking-Code", j.code)
	if r.Status != http.StatusOK {
		t.Fatalf("citizen reopen = %d %s", r.Status, r.Body)
	}
	j.accept("reopen", r, domain.StatusInProgress)
	// The same reopening again (a retry whose answer was lost) is answered
	// as the first was; it stores nothing (checkStored below).
	if again := postJSON(t, a, "/api/v1/reports/"+j.id+"/reopen", map[string]any{"reason": "Nước suối vẫn còn màu đen."}, "X-Tracking-Code", j.code); again.Status != http.StatusOK || again.json(t)["version"] != r.json(t)["version"] {
		t.Errorf("the same reopening again = %d %s, want 200 at version %v", again.Status, again.Body, r.json(t)["version"])
	}
	if cv := j.citizenView(); cv["status"] != "in_progress" || cv["open311_status"] != "open" {
		t.Errorf("after reopening the citizen sees %v (%v)", cv["status"], cv["open311_status"])
	}
	// Feedback waits for a resolution.
	if r := postJSON(t, a, "/api/v1/reports/"+j.id+"/feedback", map[string]any{"rating": 4}, "X-Tracking-Code", j.code); r.Status != http.StatusConflict {
		t.Errorf("feedback on a reopened case = %d %s, want 409", r.Status, r.Body)
	}
	j.step("lc.officer", "resolve", map[string]any{"summary": "Đã xử lý triệt để; nước suối trong trở lại."}, domain.StatusResolved)

	fb := postJSON(t, a, "/api/v1/reports/"+j.id+"/feedback", map[string]any{"rating": 4, "comment": "Cảm ơn phường."}, "X-Tracking-Code", j.code)
	if fb.Status != http.StatusOK {
		t.Fatalf("feedback = %d %s, want 200", fb.Status, fb.Body)
	}
	j.accept("feedback", fb, domain.StatusResolved)
	if same := postJSON(t, a, "/api/v1/reports/"+j.id+"/feedback", map[string]any{"rating": 4, "comment": "Cảm ơn phường."}, "X-Tracking-Code", j.code); same.Status != http.StatusOK || same.json(t)["version"] != fb.json(t)["version"] {
		t.Errorf("the same feedback again = %d %s, want 200 at version %v", same.Status, same.Body, fb.json(t)["version"])
	}
	again := postJSON(t, a, "/api/v1/reports/"+j.id+"/feedback", map[string]any{"rating": 1}, "X-Tracking-Code", j.code)
	if again.Status != http.StatusConflict || again.errorCode(t) != "conflict" {
		t.Errorf("second feedback = %d %s, want 409 conflict", again.Status, again.Body)
	}

	events := j.checkStored("reported", "accepted", "assigned", "resolved", "reopened", "resolved", "feedback_given")
	if events[4].Actor.Role != domain.RoleCitizen || events[4].Actor.ID != "" || events[6].Actor.Role != domain.RoleCitizen {
		t.Errorf("citizen actions stored with actors %+v and %+v", events[4].Actor, events[6].Actor)
	}
	if fg := events[6].Event.(domain.FeedbackGiven); fg.Rating != 4 {
		t.Errorf("stored feedback %+v, want rating 4", fg)
	}
	sv := j.staffView("lc.officer")
	if got, want := timelineTypes(t, sv), typesOf(events); !slices.Equal(got, want) {
		t.Errorf("staff timeline = %v, want %v", got, want)
	}
	if e := entry(t, sv, "reopened"); e["text"] != "Nước suối vẫn còn màu đen." || e["role"] != "citizen" {
		t.Errorf("staff reopen entry = %v", e)
	}
	cv := j.citizenView()
	if cv["status"] != "resolved" {
		t.Errorf("citizen view status %v", cv["status"])
	}
	if got, want := timelineTypes(t, cv), typesOf(events); !slices.Equal(got, want) {
		t.Errorf("citizen timeline = %v, want %v", got, want)
	}
	if d := entry(t, cv, "feedback_given")["data"].(map[string]any); d["rating"] != float64(4) {
		t.Errorf("citizen feedback entry = %v", d)
	}
}

// send is do without testing.TB, for goroutines.
func send(addr, method, path string, body []byte, headers ...string) (response, error) {
	req, err := http.NewRequest(method, "http://"+addr+path, bytes.NewReader(body))
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: data}, err
}

func TestWorkflowOptimisticConcurrencyOverHTTP(t *testing.T) {
	t.Parallel()
	a := startStaffApp(t, nil)
	c := hire(t, a, roster...)

	for round := range 5 {
		j := &journey{t: t, a: a, crew: c, submitted: submit(t, a, validReport(""))}
		// Two officers act on the version they both saw, at the same moment.
		type try struct {
			who, action string
			body        string
		}
		tries := []try{{"lc.officer", "accept", `{}`}, {"lc.officer2", "reject", `{"reason":"Không thuộc thẩm quyền"}`}}
		results := make([]response, len(tries))
		errs := make([]error, len(tries))
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i, tr := range tries {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				results[i], errs[i] = send(a.HTTPAddr(), http.MethodPost, "/api/v1/cases/"+j.id+"/"+tr.action, []byte(tr.body),
					"Authorization", c[tr.who], "If-Match", strconv.FormatUint(j.version, 10))
			}()
		}
		close(start)
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		won, lost := -1, -1
		for i, r := range results {
			switch r.Status {
			case http.StatusOK:
				won = i
			case http.StatusConflict:
				lost = i
			default:
				t.Fatalf("round %d: %s = %d %s", round, tries[i].action, r.Status, r.Body)
			}
		}
		if won < 0 || lost < 0 {
			t.Fatalf("round %d: answers %d and %d, want one 200 and one 409", round, results[0].Status, results[1].Status)
		}
		winner := results[won].json(t)
		newVersion := uint64(winner["version"].(float64))
		e, _ := results[lost].json(t)["error"].(map[string]any)
		if e["code"] != "version_conflict" || e["current_version"] != float64(newVersion) {
			t.Errorf("round %d: the loser got %s, want version_conflict with current_version %d", round, results[lost].Body, newVersion)
		}
		if got, want := results[lost].Header.Get("ETag"), strconv.Quote(strconv.FormatUint(newVersion, 10)); got != want {
			t.Errorf("round %d: the loser's ETag = %q, want %q", round, got, want)
		}
		wantStatus := map[string]domain.Status{"accept": domain.StatusAccepted, "reject": domain.StatusRejected}[tries[won].action]
		j.accept(tries[won].action, results[won], wantStatus)
		j.checkStored("reported", map[string]string{"accept": "accepted", "reject": "rejected"}[tries[won].action])

		if round > 0 {
			continue
		}
		// A retry with the stale version is refused the same way.
		stale := act(t, a, c, "lc.officer", j.id, j.version-1, "comment", map[string]any{"text": "ghi chú"})
		if stale.Status != http.StatusConflict || stale.errorCode(t) != "version_conflict" {
			t.Errorf("stale If-Match = %d %s, want 409 version_conflict", stale.Status, stale.Body)
		}
		// The ETag goes back as If-Match as it is.
		ok := postJSON(t, a, "/api/v1/cases/"+j.id+"/comment", map[string]any{"text": "đã xem"},
			c.headers(t, "lc.officer", "If-Match", results[won].Header.Get("ETag"))...)
		if ok.Status != http.StatusOK {
			t.Errorf("If-Match with the quoted ETag = %d %s, want 200", ok.Status, ok.Body)
		} else {
			j.accept("comment", ok, wantStatus)
		}
		// No If-Match: 428; garbage: 400. Neither stores anything.
		none := postJSON(t, a, "/api/v1/cases/"+j.id+"/comment", map[string]any{"text": "x"}, c.headers(t, "lc.officer")...)
		if none.Status != http.StatusPreconditionRequired || none.errorCode(t) != "precondition_required" {
			t.Errorf("no If-Match = %d %s, want 428 precondition_required", none.Status, none.Body)
		}
		for _, bad := range []string{"abc", "0", "-1", `W/"x"`} {
			r := postJSON(t, a, "/api/v1/cases/"+j.id+"/comment", map[string]any{"text": "x"}, c.headers(t, "lc.officer", "If-Match", bad)...)
			if r.Status != http.StatusBadRequest {
				t.Errorf("If-Match %q = %d %s, want 400", bad, r.Status, r.Body)
			}
		}
		j.checkStored("reported", map[string]string{"accept": "accepted", "reject": "rejected"}[tries[won].action], "comment_added")
	}
}

func TestWorkflowQueueFiltersSortAndPages(t *testing.T) {
	t.Parallel()
	a := startStaffApp(t, nil)
	c := hire(t, a, roster...)
	cases := []submitted{
		submit(t, a, report("pollution.water", "lao-cai", "Nước suối đổi màu đen", "Từ sáng nay dòng chảy qua thôn có màu đen và mùi hôi.")),
		submit(t, a, report("pollution.air", "lao-cai", "Khói bụi từ lò gạch", "Lò gạch thủ công đốt than cả đêm, khói bay vào nhà dân.")),
		submit(t, a, report("land.boundary", "lao-cai", "Tranh chấp ranh giới thửa đất", "Hộ bên cạnh xây tường rào lấn sang thửa đất số 12.")),
		submit(t, a, report("pollution.water", "lao-cai", "Nước thải chảy ra suối Ngòi Đường", "Cơ sở chế biến xả thải trực tiếp, không qua xử lý.")),
		submit(t, a, report("land.compensation", "lao-cai", "Bồi thường giải phóng mặt bằng", "Mức bồi thường cho đất nông nghiệp thấp hơn giá thị trường.")),
	}
	other := submit(t, a, report("pollution.water", "cam-duong", "Nước suối Cam Đường có bọt trắng", "Bọt trắng nổi dày."))
	all := make([]string, len(cases))
	for i, cs := range cases {
		all[i] = cs.id
	}
	// Case 1 is accepted and assigned; the others wait.
	j := &journey{t: t, a: a, crew: c, submitted: cases[1]}
	j.step("lc.officer", "accept", map[string]any{}, domain.StatusAccepted)
	j.step("lc.head", "assign", map[string]any{"officer": "lc.officer2"}, domain.StatusAssigned)
	pick := func(idx ...int) []string {
		out := []string{}
		for _, i := range idx {
			out = append(out, all[i])
		}
		slices.Sort(out)
		return out
	}
	sorted := func(s []string) []string {
		s = slices.Clone(s)
		slices.Sort(s)
		if s == nil {
			s = []string{}
		}
		return s
	}

	for _, tt := range []struct {
		name  string
		query url.Values
		want  []string
	}{
		{"everything", url.Values{}, pick(0, 1, 2, 3, 4)},
		{"status received", url.Values{"status": {"received"}}, pick(0, 2, 3, 4)},
		{"status assigned", url.Values{"status": {"assigned"}}, pick(1)},
		{"two statuses", url.Values{"status": {"received,assigned"}}, pick(0, 1, 2, 3, 4)},
		{"kind land_dispute", url.Values{"kind": {"land_dispute"}}, pick(2)},
		{"kind complaint", url.Values{"kind": {"complaint"}}, pick(4)},
		{"kind incident and received", url.Values{"kind": {"incident"}, "status": {"received"}}, pick(0, 3)},
		{"category group land", url.Values{"category": {"land"}}, pick(2, 4)},
		{"category pollution.water", url.Values{"category": {"pollution.water"}}, pick(0, 3)},
		{"commune", url.Values{"commune": {"lao-cai"}}, pick(0, 1, 2, 3, 4)},
		{"assignee", url.Values{"assignee": {"lc.officer2"}}, pick(1)},
		{"not overdue", url.Values{"overdue": {"false"}}, pick(0, 1, 2, 3, 4)},
		{"overdue", url.Values{"overdue": {"true"}}, pick()},
		{"q without diacritics", url.Values{"q": {"nuoc suoi"}}, pick(0, 3)},
		{"q with diacritics", url.Values{"q": {"Nước suối"}}, pick(0, 3)},
		{"q upper case, other order", url.Values{"q": {"SUỐI NUOC"}}, pick(0, 3)},
		{"q in the description", url.Values{"q": {"dot than"}}, pick(1)},
		{"q and status", url.Values{"q": {"nuoc suoi"}, "status": {"received"}}, pick(0, 3)},
		{"q matching nothing", url.Values{"q": {"xyz"}}, pick()},
	} {
		items, next := queue(t, a, c, "lc.officer", "ubnd.lao-cai", tt.query)
		if got := sorted(ids(items)); !slices.Equal(got, tt.want) || next != "" {
			t.Errorf("%s: ids %v next %q, want %v", tt.name, got, next, tt.want)
		}
	}
	if inQueue(t, a, c, "lc.officer", "ubnd.lao-cai", other.id) || !inQueue(t, a, c, "cd.officer", "ubnd.cam-duong", other.id) {
		t.Errorf("a case of Cam Đường must be in its own queue only")
	}

	// An item carries what a work list shows, and nothing of the reporter.
	r := do(t, a, http.MethodGet, "/api/v1/queues/ubnd.lao-cai?assignee=lc.officer2", "", nil, c.headers(t, "lc.head")...)
	if holdsIdentity(r.Body) {
		t.Errorf("the queue holds the reporter's identity: %s", r.Body)
	}
	items, _ := queue(t, a, c, "lc.head", "ubnd.lao-cai", url.Values{"assignee": {"lc.officer2"}})
	it := items[0]
	if it["title"] != "Khói bụi từ lò gạch" || it["status"] != "assigned" || it["kind"] != "incident" || it["category"] != "pollution.air" ||
		it["commune"] != "lao-cai" || it["overdue"] != false || it["assignee"] != "lc.officer2" || it["version"] != float64(j.version) {
		t.Errorf("queue item = %v", it)
	}
	timeField(t, it, "deadline")

	// Sorting.
	items, _ = queue(t, a, c, "lc.officer", "ubnd.lao-cai", url.Values{"sort": {"received"}})
	if got := ids(items); !slices.Equal(got, all) {
		t.Errorf("sort=received = %v, want the order of the reports %v", got, all)
	}
	items, _ = queue(t, a, c, "lc.officer", "ubnd.lao-cai", url.Values{"sort": {"-received"}})
	if got, want := ids(items), slices.Clone(all); !slices.Equal(got, func() []string { slices.Reverse(want); return want }()) {
		t.Errorf("sort=-received = %v, want %v", got, want)
	}
	items, _ = queue(t, a, c, "lc.officer", "ubnd.lao-cai", url.Values{"sort": {"deadline"}})
	for i := 1; i < len(items); i++ {
		if timeField(t, items[i], "deadline").Before(timeField(t, items[i-1], "deadline")) {
			t.Errorf("sort=deadline: item %d is due before item %d: %v", i, i-1, ids(items))
		}
	}
	items, _ = queue(t, a, c, "lc.officer", "ubnd.lao-cai", url.Values{"sort": {"updated"}})
	if got := ids(items); got[len(got)-1] != cases[1].id {
		t.Errorf("sort=updated: the last updated case %s is not last: %v", cases[1].id, got)
	}
	if r := do(t, a, http.MethodGet, "/api/v1/queues/ubnd.lao-cai?sort=title", "", nil, c.headers(t, "lc.officer")...); r.Status != http.StatusBadRequest {
		t.Errorf("sort=title = %d, want 400", r.Status)
	}
	for _, limit := range []string{"0", "-1", "201", "x"} {
		r := do(t, a, http.MethodGet, "/api/v1/queues/ubnd.lao-cai?limit="+limit, "", nil, c.headers(t, "lc.officer")...)
		if r.Status != http.StatusBadRequest || r.errorCode(t) != "invalid" {
			t.Errorf("limit=%s = %d %s, want 400 invalid", limit, r.Status, r.Body)
		}
	}

	// Pages of two walk every item exactly once, in the sort's order.
	for _, sort := range []string{"received", "deadline", "-updated"} {
		full, _ := queue(t, a, c, "lc.officer", "ubnd.lao-cai", url.Values{"sort": {sort}})
		var walked []string
		pages, cursor := 0, ""
		for {
			q := url.Values{"sort": {sort}, "limit": {"2"}}
			if cursor != "" {
				q.Set("cursor", cursor)
			}
			page, next := queue(t, a, c, "lc.officer", "ubnd.lao-cai", q)
			pages++
			if len(page) > 2 || (next != "" && len(page) != 2) {
				t.Fatalf("sort=%s page %d has %d items, next %q", sort, pages, len(page), next)
			}
			walked = append(walked, ids(page)...)
			if next == "" {
				break
			}
			if pages > 5 {
				t.Fatalf("sort=%s: the cursor does not end", sort)
			}
			cursor = next
		}
		if pages != 3 || !slices.Equal(walked, ids(full)) {
			t.Errorf("sort=%s: %d pages walked %v, want 3 pages of %v", sort, pages, walked, ids(full))
		}
	}
	if r := do(t, a, http.MethodGet, "/api/v1/queues/ubnd.lao-cai?cursor=garbage", "", nil, c.headers(t, "lc.officer")...); r.Status != http.StatusBadRequest {
		t.Errorf("a garbage cursor = %d, want 400", r.Status)
	}
}
