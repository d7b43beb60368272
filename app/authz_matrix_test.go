package app_test

// Authorization as a matrix: every role × every staff endpoint, over HTTP
// with real tokens, and the named rows of issue 3. The expectations are
// written out here, from the issue and DESIGN.md, not computed from
// domain.Authorize, so a change of the rules shows up as a failing row.

import (
	"bytes"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"phananh/api"
	"phananh/domain"
)

// matrixRoles are the rows' actors: the case is always one of ubnd.lao-cai.
var matrixRoles = []struct{ label, account string }{
	{"anonymous", ""},
	{"officer of the case's unit", "lc.officer"},
	{"officer of another unit", "cd.officer"},
	{"unit_head of the case's unit", "lc.head"},
	{"unit_head of another unit", "cd.head"},
	{"coordinator", "coordinator"},
	{"supervisor", "supervisor"},
	{"leader", "leader"},
	{"admin", "admin"},
}

var officerMayDo = []string{"accept", "reject", "record-inspection", "schedule-mediation", "record-mediation",
	"escalate", "resolve", "close", "reopen", "comment", "link-duplicate"}

// mayDo lists, per account, the actions it may take on a case of
// ubnd.lao-cai; every other action is 403 for it (401 for anonymous).
var mayDo = map[string][]string{
	"lc.officer":  officerMayDo,
	"lc.head":     append(slices.Clone(officerMayDo), "assign", "extend-deadline", "reclassify"),
	"coordinator": {"transfer", "reclassify", "link-duplicate", "comment"},
	"supervisor":  {"comment"}, // internal supervision notes only
	"admin":       {"erase-reporter"},
}

// mayRead lists who may read the case and ubnd.lao-cai's queue.
var mayRead = []string{"lc.officer", "lc.head", "coordinator", "supervisor"}

// actionBody is a valid body for every action, so that a request reaches
// the authorization check instead of failing validation first.
func actionBody(action, primary string) (map[string]any, bool) {
	soon := time.Now().Add(24 * time.Hour).In(domain.Vietnam).Format(time.RFC3339)
	bodies := map[string]map[string]any{
		"accept":            {},
		"reject":            {"reason": "Không thuộc thẩm quyền"},
		"assign":            {"officer": "lc.officer"},
		"transfer":          {"unit": "snnmt.moi-truong", "reason": "Thuộc thẩm quyền của Sở"},
		"record-inspection": {"findings": "Đã kiểm tra hiện trường", "date": time.Now().In(domain.Vietnam).Format(time.DateOnly)},
		"schedule-mediation": {"at": soon, "place": "Hội trường UBND phường",
			"council": []map[string]any{{"name": "Chủ tịch", "role": "chair"}, {"name": "MTTQ", "role": "fatherland_front"}}},
		"record-mediation": {"outcome": "agreed", "minutes": "Biên bản hòa giải",
			"attendance": []map[string]any{{"name": "Bên A", "party": true, "present": true}}},
		"extend-deadline": {"days": 10, "decision_ref": "QĐ 1/QĐ-UBND", "reason": "Phức tạp"},
		"escalate":        {"authority": "ubnd.tinh", "reason": "Vượt thẩm quyền"},
		"resolve":         {"summary": "Đã giải quyết"},
		"close":           {},
		"reopen":          {"reason": "Chưa giải quyết xong"},
		"comment":         {"text": "Ghi chú giám sát", "visibility": "internal"},
		"link-duplicate":  {"primary": primary},
		"reclassify":      {"category": "pollution.air", "reason": "Phân loại lại"},
		"erase-reporter":  {"reason": "Người phản ánh yêu cầu xóa"},
	}
	b, ok := bodies[action]
	return b, ok
}

func TestAuthorizationMatrix(t *testing.T) {
	t.Parallel()
	a := startStaffApp(t, nil)
	c := hire(t, a, roster...)
	newCase := func() submitted { return submit(t, a, validReport("")) }
	// The shared case takes every refused row: a refusal stores nothing, so
	// its version never moves (checked at the end). Every allowed action
	// gets a fresh case of its own, so what it changes cannot affect
	// another row, whatever the order.
	shared := newCase()
	primary := newCase()

	actions := api.ActionNames()
	slices.Sort(actions)
	for _, action := range actions {
		if _, ok := actionBody(action, ""); !ok {
			t.Fatalf("action %q has no body in this matrix: add it and its expected roles", action)
		}
	}
	for who, list := range mayDo {
		for _, action := range list {
			if !slices.Contains(actions, action) {
				t.Fatalf("mayDo[%s] names %q, which the API does not serve", who, action)
			}
		}
	}

	type row struct {
		role, endpoint string
		run            func() response
		want           int // 0: anything but 401 and 403 (and 5xx)
	}
	var rows []row
	for _, r := range matrixRoles {
		who := r.account
		readStatus := http.StatusForbidden
		switch {
		case who == "":
			readStatus = http.StatusUnauthorized
		case slices.Contains(mayRead, who):
			readStatus = http.StatusOK
		}
		rows = append(rows,
			row{r.label, "GET /api/v1/cases/{id}", func() response {
				return do(t, a, http.MethodGet, "/api/v1/cases/"+shared.id, "", nil, c.headers(t, who)...)
			}, readStatus},
			row{r.label, "GET /api/v1/queues/{unit}", func() response {
				return do(t, a, http.MethodGet, "/api/v1/queues/ubnd.lao-cai", "", nil, c.headers(t, who)...)
			}, readStatus})
		for _, action := range actions {
			body, _ := actionBody(action, primary.id)
			rw := row{role: r.label, endpoint: "POST /api/v1/cases/{id}/" + action}
			switch {
			case who == "":
				rw.want = http.StatusUnauthorized
			case slices.Contains(mayDo[who], action):
				rw.want = 0
			default:
				rw.want = http.StatusForbidden
			}
			rw.run = func() response {
				target := shared
				if rw.want == 0 {
					target = newCase()
				}
				return act(t, a, c, who, target.id, target.version, action, body)
			}
			rows = append(rows, rw)
		}
	}
	if want := len(matrixRoles) * (2 + len(actions)); len(rows) != want {
		t.Fatalf("%d rows, want %d", len(rows), want)
	}
	t.Logf("%d roles × %d endpoints = %d rows", len(matrixRoles), 2+len(actions), len(rows))

	for _, rw := range rows {
		t.Run(rw.role+" "+rw.endpoint, func(t *testing.T) {
			r := rw.run()
			switch {
			case rw.want == 0:
				if r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden || r.Status >= 500 {
					t.Errorf("status %d %s, want the action let through (any answer but 401/403/5xx)", r.Status, r.Body)
				}
				t.Logf("let through: %d %s", r.Status, r.Body)
			case r.Status != rw.want:
				t.Errorf("status %d %s, want %d", r.Status, r.Body, rw.want)
			case rw.want == http.StatusForbidden && r.errorCode(t) != "forbidden":
				t.Errorf("403 with code %s, want forbidden", r.errorCode(t))
			case rw.want == http.StatusUnauthorized && r.errorCode(t) != "unauthenticated":
				t.Errorf("401 with code %s, want unauthenticated", r.errorCode(t))
			}
		})
	}
	if got := storedEvents(t, a, shared.id); len(got) != 1 {
		t.Errorf("the refused rows stored events on the shared case: %v", typesOf(got))
	}
}

// TestAuthorizationNamedRows are the rows issue 3 names, each on a case in
// a state where the action would otherwise be legal, so the refusal can
// only come from who is asking.
func TestAuthorizationNamedRows(t *testing.T) {
	t.Parallel()
	a := startStaffApp(t, nil)
	c := hire(t, a, roster...)

	t.Run("a case assigned to someone who does not work cases", func(t *testing.T) {
		j := &journey{t: t, a: a, crew: c, submitted: submit(t, a, validReport(""))} // ubnd.lao-cai
		j.step("lc.officer", "accept", map[string]any{}, domain.StatusAccepted)
		for _, who := range []string{"leader", "coordinator", "admin", "supervisor"} {
			if r := j.refused("lc.head", "assign", map[string]any{"officer": who}, http.StatusBadRequest, "invalid"); r.Status == http.StatusBadRequest {
				if field := r.json(t)["error"].(map[string]any)["field"]; field != "officer" {
					t.Errorf("assign to %s: field %v, want officer", who, field)
				}
			}
		}
		// Someone who may not assign learns nothing about the account named.
		j.refused("lc.officer", "assign", map[string]any{"officer": "leader"}, http.StatusForbidden, "forbidden")
		j.refused("lc.officer", "assign", map[string]any{"officer": "no.such.account"}, http.StatusForbidden, "forbidden")
		j.refused("lc.head", "assign", map[string]any{"officer": "cd.officer"}, http.StatusForbidden, "forbidden") // another unit's
		j.step("lc.head", "assign", map[string]any{"officer": "lc.head"}, domain.StatusAssigned)                   // the unit head works cases too
	})

	t.Run("a duplicate linked to no case, or to one the officer may not read", func(t *testing.T) {
		j := &journey{t: t, a: a, crew: c, submitted: submit(t, a, validReport(""))} // ubnd.lao-cai
		r := j.refused("lc.officer", "link-duplicate", map[string]any{"primary": uuid.Must(uuid.NewV7()).String()},
			http.StatusBadRequest, "invalid")
		if field := r.json(t)["error"].(map[string]any)["field"]; field != "primary" {
			t.Errorf("field %v, want primary, the body's name", field)
		}
		elsewhere := validReport("")
		elsewhere["location"] = map[string]any{"commune": "cam-duong"}
		other := submit(t, a, elsewhere)
		if unit := other.receipt["unit"]; unit == "ubnd.lao-cai" {
			t.Fatalf("the other case is with %v too", unit)
		}
		j.refused("lc.officer", "link-duplicate", map[string]any{"primary": other.id}, http.StatusForbidden, "forbidden")
		// The coordinator reads every unit's cases, so may link across them.
		if r := act(t, a, c, "coordinator", j.id, j.version, "link-duplicate", map[string]any{"primary": other.id}); r.Status != http.StatusOK {
			t.Errorf("the coordinator links across units: %d %s", r.Status, r.Body)
		}
	})

	t.Run("someone who may not act, at a stale version, learns no version", func(t *testing.T) {
		j := &journey{t: t, a: a, crew: c, submitted: submit(t, a, validReport(""))} // ubnd.lao-cai
		j.step("lc.officer", "accept", map[string]any{}, domain.StatusAccepted)
		for _, who := range []string{"cd.officer", "leader", "admin"} {
			r := act(t, a, c, who, j.id, 1, "comment", map[string]any{"text": "x", "visibility": "internal"})
			if r.Status != http.StatusForbidden || r.Header.Get("ETag") != "" || strings.Contains(string(r.Body), "current_version") {
				t.Errorf("%s at a stale version: %d %s (ETag %q), want 403 and no version", who, r.Status, r.Body, r.Header.Get("ETag"))
			}
		}
	})

	t.Run("officer of unit A acts on a case of unit B", func(t *testing.T) {
		j := &journey{t: t, a: a, crew: c, submitted: submit(t, a, validReport(""))} // ubnd.lao-cai
		j.refused("cd.officer", "accept", map[string]any{}, http.StatusForbidden, "forbidden")
		j.refused("cd.head", "accept", map[string]any{}, http.StatusForbidden, "forbidden")
		j.refused("mt.officer", "reject", map[string]any{"reason": "x"}, http.StatusForbidden, "forbidden")
		if r := do(t, a, http.MethodGet, "/api/v1/cases/"+j.id, "", nil, c.headers(t, "cd.officer")...); r.Status != http.StatusForbidden {
			t.Errorf("cd.officer reads a case of ubnd.lao-cai: %d", r.Status)
		}
		if r := do(t, a, http.MethodGet, "/api/v1/queues/ubnd.lao-cai", "", nil, c.headers(t, "cd.officer")...); r.Status != http.StatusForbidden {
			t.Errorf("cd.officer reads ubnd.lao-cai's queue: %d", r.Status)
		}
		j.step("lc.officer", "accept", map[string]any{}, domain.StatusAccepted) // and its own unit may
	})

	t.Run("citizen with a wrong tracking code", func(t *testing.T) {
		j := &journey{t: t, a: a, crew: c, submitted: submit(t, a, validReport(""))}
		j.step("lc.officer", "accept", map[string]any{}, domain.StatusAccepted)
		j.step("lc.head", "assign", map[string]any{"officer": "lc.officer"}, domain.StatusAssigned)
		j.step("lc.officer", "resolve", map[string]any{"summary": "Đã xử lý"}, domain.StatusResolved)
		// Feedback and reopen are legal now; a wrong code still finds nothing.
		wrong := "AAAA-BBBB-CCCC-DDDD"
		unknown := uuid.Must(uuid.NewV7()).String()
		for _, tc := range []struct {
			name, method, path string
			body               any
		}{
			{"view", http.MethodGet, "/api/v1/reports/%s", nil},
			{"feedback", http.MethodPost, "/api/v1/reports/%s/feedback", map[string]any{"rating": 5}},
			{"reopen", http.MethodPost, "/api/v1/reports/%s/reopen", map[string]any{"reason": "Chưa xong"}},
		} {
			call := func(id string, headers ...string) response {
				body, _ := jsonMarshal(tc.body)
				if tc.body == nil {
					body = nil
				}
				return do(t, a, tc.method, fmt.Sprintf(tc.path, id), "application/json", body, headers...)
			}
			withWrong := call(j.id, "X-Tracking-Code", wrong)
			withNone := call(j.id)
			ofUnknown := call(unknown, "X-Tracking-Code", wrong)
			withOtherCase := call(j.id, "X-Tracking-Code", submit(t, a, validReport("")).code)
			for name, r := range map[string]response{"wrong code": withWrong, "no code": withNone, "unknown case": ofUnknown, "another case's code": withOtherCase} {
				if r.Status != http.StatusNotFound || r.errorCode(t) != "not_found" {
					t.Errorf("%s with %s = %d %s, want 404 not_found", tc.name, name, r.Status, r.Body)
				}
			}
			if !bytes.Equal(withWrong.Body, ofUnknown.Body) {
				t.Errorf("%s: a wrong code and an unknown case answer differently:\n%s\n%s", tc.name, withWrong.Body, ofUnknown.Body)
			}
		}
		j.checkStored("reported", "accepted", "assigned", "resolved")
		// The right code works.
		if r := postJSON(t, a, "/api/v1/reports/"+j.id+"/feedback", map[string]any{"rating": 5}, "X-Tracking-Code", j.code); r.Status != http.StatusOK {
			t.Errorf("feedback with the right code = %d %s", r.Status, r.Body)
		}
	})

	t.Run("supervisor tries to resolve", func(t *testing.T) {
		j := &journey{t: t, a: a, crew: c, submitted: submit(t, a, validReport(""))}
		j.step("lc.officer", "accept", map[string]any{}, domain.StatusAccepted)
		j.step("lc.head", "assign", map[string]any{"officer": "lc.officer"}, domain.StatusAssigned)
		j.refused("supervisor", "resolve", map[string]any{"summary": "Giám sát kết luận"}, http.StatusForbidden, "forbidden")
		j.refused("supervisor", "close", map[string]any{}, http.StatusForbidden, "forbidden")
		j.refused("leader", "resolve", map[string]any{"summary": "x"}, http.StatusForbidden, "forbidden")
		j.step("lc.officer", "resolve", map[string]any{"summary": "Đã xử lý"}, domain.StatusResolved)
	})

	t.Run("supervisor comments: internal yes, public no", func(t *testing.T) {
		j := &journey{t: t, a: a, crew: c, submitted: submit(t, a, validReport(""))}
		note := "Đề nghị phường trả lời công dân đúng hạn."
		j.step("supervisor", "comment", map[string]any{"text": note, "visibility": "internal"}, domain.StatusReceived)
		j.refused("supervisor", "comment", map[string]any{"text": "Công khai", "visibility": "public"}, http.StatusForbidden, "forbidden")
		j.step("supervisor", "comment", map[string]any{"text": "Không ghi rõ: nội bộ"}, domain.StatusReceived)
		j.checkStored("reported", "comment_added", "comment_added")
		sv := j.staffView("lc.officer")
		if e := entry(t, sv, "comment_added"); e["public"] != false || e["role"] != "supervisor" {
			t.Errorf("supervision note in the staff view = %v", e)
		}
		if cv := j.citizenView(); strings.Contains(fmt.Sprint(cv), note) || slices.Contains(timelineTypes(t, cv), "comment_added") {
			t.Errorf("the citizen sees the internal supervision note: %v", cv["timeline"])
		}
	})
}

// syncBuffer is a bytes.Buffer the server's logger and the test can share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestDenunciationReporterPrivacy: the denouncer's identity is shown only to
// the handling unit's head and to the inspectorate (Law on Denunciations
// 2018, Art. 9 and 47), and never in queues, the citizen's view or logs.
func TestDenunciationReporterPrivacy(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	a := startStaffApp(t, slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	c := hire(t, a, roster...)

	const name, phone = "Hoàng Văn Kín", "0966 123 789"
	secrets := []string{name, "Hoàng Văn", "Hoang Van Kin", phone, "0966123789", "966 123 789"}
	leaks := func(body []byte) string {
		for _, s := range secrets {
			if bytes.Contains(body, []byte(s)) {
				return s
			}
		}
		return ""
	}
	r := report("pollution.mining", "lao-cai", "Khai thác quặng trái phép trên đồi", "Có máy khoan nổ mìn khai thác quặng sắt trên đồi sau thôn.")
	r["reporter"] = map[string]any{"name": name, "phone": phone}
	j := &journey{t: t, a: a, crew: c, submitted: submit(t, a, r)}
	if j.receipt["unit"] != "snnmt.thanh-tra" {
		t.Fatalf("illegal mining went to %v, want the inspectorate", j.receipt["unit"])
	}

	// reporterSeen reads the case as who: 200 with or without the reporter,
	// or another status (with no identity in its body either).
	reporterSeen := func(who string) (int, bool) {
		t.Helper()
		r := do(t, a, http.MethodGet, "/api/v1/cases/"+j.id, "", nil, c.headers(t, who)...)
		m := map[string]any{}
		if r.Status == http.StatusOK {
			m = r.json(t)
		}
		rep, has := m["reporter"].(map[string]any)
		if has && (rep["name"] != name || rep["phone"] != phone) {
			t.Errorf("%s sees reporter %v, want %s, %s", who, rep, name, phone)
		}
		if !has {
			if s := leaks(r.Body); s != "" {
				t.Errorf("%s's answer %d holds %q outside a reporter field: %s", who, r.Status, s, r.Body)
			}
		}
		return r.Status, has
	}
	check := func(stage string, want map[string]string) {
		t.Helper()
		for who, w := range want {
			status, has := reporterSeen(who)
			got := "403"
			if status == http.StatusOK {
				got = "hidden"
				if has {
					got = "shown"
				}
			} else if status != http.StatusForbidden {
				got = fmt.Sprint(status)
			}
			if !slices.Contains(strings.Split(w, "|"), got) {
				t.Errorf("%s: %s reads the case: reporter %s, want %s", stage, who, got, w)
			}
		}
	}

	// With the inspectorate: its head and its officers see the denouncer.
	check("with the inspectorate", map[string]string{
		"tt.head": "shown", "tt.officer": "shown",
		"coordinator": "hidden", "supervisor": "hidden",
		"mt.officer": "403", "mt.head": "403", "lc.officer": "403", "leader": "403", "admin": "403",
	})
	j.step("tt.officer", "accept", map[string]any{}, domain.StatusAccepted)

	// Transferred to a division that is not the inspectorate: its head sees
	// the denouncer, its officers do not. (The inspectorate no longer
	// handles it: it may not read it now, or if it may, it sees the reporter.)
	j.step("coordinator", "transfer", map[string]any{"unit": "snnmt.moi-truong", "reason": "Phòng Môi trường xử lý"}, domain.StatusAccepted)
	check("with the environment division", map[string]string{
		"mt.head": "shown", "mt.officer": "hidden",
		"coordinator": "hidden", "supervisor": "hidden",
		"tt.head": "403|shown", "tt.officer": "403|shown", "lc.head": "403",
	})
	j.step("mt.head", "assign", map[string]any{"officer": "mt.officer"}, domain.StatusAssigned)
	j.step("supervisor", "comment", map[string]any{"text": "Đề nghị bảo vệ người tố cáo.", "visibility": "internal"}, domain.StatusAssigned)
	check("assigned", map[string]string{"mt.head": "shown", "mt.officer": "hidden"})

	// Queues never carry it, whoever reads them.
	for _, q := range []struct{ who, unit string }{
		{"mt.head", "snnmt.moi-truong"}, {"mt.officer", "snnmt.moi-truong"}, {"coordinator", "snnmt.moi-truong"},
		{"supervisor", "snnmt.moi-truong"}, {"tt.head", "snnmt.thanh-tra"},
	} {
		for _, query := range []url.Values{{}, {"q": {"Hoang Van Kin"}}, {"q": {"quặng"}}} {
			path := "/api/v1/queues/" + q.unit
			if len(query) > 0 {
				path += "?" + query.Encode()
			}
			r := do(t, a, http.MethodGet, path, "", nil, c.headers(t, q.who)...)
			if r.Status != http.StatusOK {
				t.Fatalf("queue %s as %s = %d %s", path, q.who, r.Status, r.Body)
			}
			if s := leaks(r.Body); s != "" {
				t.Errorf("queue %s as %s holds %q: %s", path, q.who, s, r.Body)
			}
		}
	}
	// Searching the queue for the denouncer's name finds nothing.
	if items, _ := queue(t, a, c, "mt.head", "snnmt.moi-truong", url.Values{"q": {"Hoang Van Kin"}}); len(items) != 0 {
		t.Errorf("a search for the denouncer's name finds %v", ids(items))
	}

	// The citizen's view does not carry it either.
	cv := do(t, a, http.MethodGet, "/api/v1/reports/"+j.id, "", nil, "X-Tracking-Code", j.code)
	if cv.Status != http.StatusOK {
		t.Fatalf("citizen view = %d", cv.Status)
	}
	if s := leaks(cv.Body); s != "" {
		t.Errorf("the citizen view holds %q: %s", s, cv.Body)
	}

	// Nor do the logs: wait for the last request's access line, then look.
	checkFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		if !strings.Contains(logs.String(), `"route":"/api/v1/reports/:id"`) {
			return fmt.Errorf("no access line for the citizen view yet")
		}
		return nil
	})
	out := logs.String()
	if !strings.Contains(out, "reporter identity read") {
		t.Errorf("no audit line for the identity reads; is the log captured? %d bytes", len(out))
	}
	if s := leaks([]byte(out)); s != "" {
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, s) {
				t.Errorf("a log line holds %q: %s", s, line)
			}
		}
	}
	if strings.Contains(out, j.code) || strings.Contains(out, strings.ReplaceAll(j.code, "-", "")) {
		t.Errorf("the logs hold the tracking code")
	}
	for _, b := range c {
		if b != "" && strings.Contains(out, strings.TrimPrefix(b, "Bearer ")) {
			t.Errorf("the logs hold a bearer token")
			break
		}
	}
}
