package app_test

// Personal data at rest (issue 8, part 5): a named reporter's identity is
// sealed in the log with a key of its own; erasing the key (crypto-
// shredding) erases the person from every answer, every log line and every
// rebuild, while the log itself stays as it was. This file follows two
// named reporters, an incident's and a denouncer's, through the whole life
// of that promise: who sees them before, nobody after, across restarts with
// and without snapshots, and never in the raw bytes of the log or the data
// directory.

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"

	"phananh/app"
	"phananh/domain"
	"phananh/eventstore"
	"phananh/eventstore/datadirtest"
)

// person is a reporter's identity and every form in which it could leak:
// as typed, without diacritics, JSON-escaped, digits only, URL-encoded.
type person struct {
	name, phone, email, ascii string
	forms                     []string
}

// is reports whether q is the same identity as p.
func (p person) is(q person) bool {
	return p.name == q.name && p.phone == q.phone && p.email == q.email
}

var (
	// An incident's reporter: the handling unit's staff may see her.
	xuyen = person{name: "Lò Thị Xuyến", phone: "0987 654 321", email: "xuyen.lo.bimat@example.vn", ascii: "Lo Thi Xuyen",
		forms: []string{"Lò Thị Xuyến", "Thị Xuyến", "Xuyến", `Xuy\u1ebfn`, "Lo Thi Xuyen",
			"0987 654 321", "0987654321", "987654321", "654 321", "xuyen.lo.bimat", "xuyen.lo.bimat%40example.vn"}}
	// A denouncer: only the inspectorate, or the handling unit's head, may.
	phu = person{name: "Vàng Seo Phử", phone: "0977 246 813", email: "vang.seo.phu.tocao@example.vn", ascii: "Vang Seo Phu",
		forms: []string{"Vàng Seo Phử", "Seo Phử", `Ph\u1eed`, "Vang Seo Phu",
			"0977 246 813", "0977246813", "977246813", "246 813", "vang.seo.phu.tocao"}}
	everyone = []person{xuyen, phu}
)

// leak returns the first form of any person's identity that data holds,
// looking inside a zip container (an XLSX) too, or "".
func leak(data []byte) string {
	for _, d := range expand(data) {
		for _, p := range everyone {
			for _, f := range p.forms {
				if bytes.Contains(d, []byte(f)) {
					return f
				}
			}
		}
	}
	return ""
}

// expand returns data and, when it is a zip archive (XLSX), every member's
// uncompressed bytes: a spreadsheet's cells are deflated, so a search of
// the raw answer alone could not fail.
func expand(data []byte) [][]byte {
	out := [][]byte{data}
	if !bytes.HasPrefix(data, []byte("PK\x03\x04")) {
		return out
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return append(out, []byte("unreadable zip: "+err.Error()))
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			continue
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		out = append(out, b)
	}
	return out
}

// privacyRun is one start of the app on the shared data directory.
type privacyRun struct {
	a    *app.App
	logs *syncBuffer
}

func startPrivacyApp(t *testing.T, dir string, noSnapshots bool) privacyRun {
	t.Helper()
	logs := &syncBuffer{}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := app.Start(ctx, app.Config{
		DataDir: dir, HTTPAddr: "127.0.0.1:0", NATSListen: "127.0.0.1:-1", SyncAlways: true,
		PasswordCost: bcrypt.MinCost, NoSnapshots: noSnapshots,
		Log: slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	if err != nil {
		t.Fatalf("start app: %v", err)
	}
	t.Cleanup(func() { a.Close(context.Background()) })
	waitReady(t, a)
	return privacyRun{a: a, logs: logs}
}

// privacyCase is a named report and who may see its reporter.
type privacyCase struct {
	submitted
	who    person
	keyID  string
	shown  []string // accounts that read the case with its reporter
	hidden []string // accounts that read the case without its reporter
	denied []string // accounts that may not read the case at all
	unit   string
}

func TestReporterPrivacyAndErasure(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	run := startPrivacyApp(t, dir, false)
	c := hire(t, run.a, roster...)

	incident := report("pollution.water", "lao-cai", "Nước thải nhà máy chảy ra suối", "Nước thải màu vàng chảy từ cống nhà máy ra suối Ngòi Đường.")
	incident["reporter"] = map[string]any{"name": xuyen.name, "phone": xuyen.phone, "email": xuyen.email}
	denunciation := report("pollution.mining", "lao-cai", "Khai thác quặng trái phép", "Có máy xúc khai thác quặng sắt ban đêm trên đồi sau thôn.")
	denunciation["reporter"] = map[string]any{"name": phu.name, "phone": phu.phone, "email": phu.email}
	named := []*privacyCase{
		{submitted: submit(t, run.a, incident), who: xuyen, unit: "ubnd.lao-cai",
			shown:  []string{"lc.officer", "lc.officer2", "lc.head"},
			hidden: []string{"coordinator", "supervisor"},
			denied: []string{"cd.officer", "cd.head", "tt.head", "leader", "admin"}},
		{submitted: submit(t, run.a, denunciation), who: phu, unit: "snnmt.thanh-tra",
			shown:  []string{"tt.officer", "tt.head"},
			hidden: []string{"coordinator", "supervisor"},
			denied: []string{"mt.head", "lc.officer", "lc.head", "leader", "admin"}},
	}
	for _, pc := range named {
		if got := pc.receipt["unit"]; got != pc.unit {
			t.Fatalf("%s's report went to %v, want %s", pc.who.name, got, pc.unit)
		}
		events := storedEvents(t, run.a, pc.id)
		rep, ok := events[0].Event.(domain.Reported)
		if !ok || rep.Reporter == nil {
			t.Fatalf("first event of %s is %T without a sealed reporter", pc.id, events[0].Event)
		}
		pc.keyID = rep.Reporter.KeyID
	}
	// An anonymous case too, so the lists hold more than the named ones.
	submit(t, run.a, validReportAnonymous())
	before := time.Now()

	kv := reporterKeys(t, run.a)
	keys := map[string][]byte{}
	for _, pc := range named {
		entry, err := kv.Get(context.Background(), pc.keyID)
		if err != nil {
			t.Fatalf("key %s of %s before erasure: %v", pc.keyID, pc.who.name, err)
		}
		keys[pc.keyID] = entry.Value()
	}

	// BEFORE erasure: those DESIGN allows see the identity, nobody else does.
	for _, pc := range named {
		for _, who := range pc.shown {
			for _, asOf := range []string{"", before.Format(time.RFC3339Nano)} {
				if got := readReporter(t, run.a, c, who, pc.id, asOf); !got.is(pc.who) {
					t.Errorf("before erasure, %s reads %s (as_of %q) with reporter %+v, want %s", who, pc.id, asOf, got, pc.who.name)
				}
			}
		}
		for _, who := range pc.hidden {
			if got := readReporter(t, run.a, c, who, pc.id, ""); !got.is(person{}) {
				t.Errorf("%s sees %s's reporter %+v; DESIGN shows it only to the handling unit", who, pc.id, got)
			}
		}
		for _, who := range append(pc.denied, "") {
			r := do(t, run.a, http.MethodGet, "/api/v1/cases/"+pc.id, "", nil, c.headers(t, who)...)
			if r.Status != http.StatusForbidden && r.Status != http.StatusUnauthorized {
				t.Errorf("%q reads %s: %d, want 401 or 403", who, pc.id, r.Status)
			}
			if s := leak(r.Body); s != "" {
				t.Errorf("%q's refusal holds %q: %s", who, s, r.Body)
			}
		}
	}
	checkNoLeakAnywhere(t, "before erasure", run, c, named, before)
	checkRawLog(t, run.a, "before erasure")
	// The data directory holds the keys (so the scan below can see a
	// key's bytes when they are there) but never the plaintext identity.
	for id, key := range keys {
		if files := filesHolding(t, dir, key); len(files) == 0 {
			t.Fatalf("no file in the data directory holds key %s before erasure: the scan cannot see the key store", id)
		}
	}
	checkDataDir(t, dir, "before erasure")
	// A snapshot taken while the keys exist: the next restarts load it.
	if err := run.a.Runner.SnapshotNow(context.Background()); err != nil {
		t.Fatalf("snapshot: %v", err)
	}

	// Erasure, by an administrator only.
	for _, pc := range named {
		body := map[string]any{"reason": "Người phản ánh yêu cầu xóa thông tin cá nhân"}
		if r := act(t, run.a, c, pc.shown[0], pc.id, pc.version, "erase-reporter", body); r.Status != http.StatusForbidden {
			t.Errorf("%s erases %s's reporter: %d %s, want 403", pc.shown[0], pc.id, r.Status, r.Body)
		}
		r := act(t, run.a, c, "admin", pc.id, pc.version, "erase-reporter", body)
		if r.Status != http.StatusOK {
			t.Fatalf("admin erases %s's reporter: %d %s", pc.id, r.Status, r.Body)
		}
		pc.version = uint64(r.json(t)["seq"].(float64))
		if again := act(t, run.a, c, "admin", pc.id, pc.version, "erase-reporter", body); again.Status != http.StatusConflict {
			t.Errorf("a second erasure of %s = %d %s, want 409", pc.id, again.Status, again.Body)
		}
		events := storedEvents(t, run.a, pc.id)
		if got := typesOf(events); got[len(got)-1] != "reporter_erased" {
			t.Fatalf("%s's log = %v, want reporter_erased last", pc.id, got)
		}
		erased := events[len(events)-1].Event.(domain.ReporterErased)
		if erased.KeyID != pc.keyID {
			t.Errorf("reporter_erased names key %s, the report was sealed with %s", erased.KeyID, pc.keyID)
		}
		if _, err := kv.Get(context.Background(), pc.keyID); !errors.Is(err, jetstream.ErrKeyNotFound) {
			t.Errorf("key %s after erasure: %v, want ErrKeyNotFound", pc.keyID, err)
		}
		// The sealed value is still in the log, and can never be opened.
		sealed := *events[0].Event.(domain.Reported).Reporter
		if plain, err := run.a.Store.Open(context.Background(), sealed); !errors.Is(err, eventstore.ErrErased) {
			t.Errorf("opening %s's sealed reporter after erasure: %q, %v; want ErrErased", pc.id, plain, err)
		}
	}
	for id, key := range keys {
		if files := filesHolding(t, dir, key); len(files) > 0 {
			t.Errorf("key %s is still on disk after erasure, in %v", id, files)
		}
	}

	// AFTER erasure: nobody, whatever they ask, and the log line by line.
	checkErased := func(stage string, run privacyRun, c crew) {
		t.Helper()
		for _, pc := range named {
			for _, who := range slices.Concat(pc.shown, pc.hidden) {
				for _, asOf := range []string{"", before.Format(time.RFC3339Nano), time.Now().Format(time.RFC3339Nano)} {
					if got := readReporter(t, run.a, c, who, pc.id, asOf); !got.is(person{}) {
						t.Errorf("%s: %s reads %s (as_of %q) with reporter %+v", stage, who, pc.id, asOf, got)
					}
				}
			}
			sv := do(t, run.a, http.MethodGet, "/api/v1/cases/"+pc.id, "", nil, c.headers(t, pc.shown[0])...)
			if sv.Status != http.StatusOK || !slices.Contains(timelineTypes(t, sv.json(t)), "reporter_erased") {
				t.Errorf("%s: the staff view of %s does not show the erasure: %d %s", stage, pc.id, sv.Status, sv.Body)
			}
			if r := do(t, run.a, http.MethodGet, "/api/v1/cases/"+pc.id, "", nil, c.headers(t, "admin")...); leak(r.Body) != "" {
				t.Errorf("%s: the admin's read of %s holds %q", stage, pc.id, leak(r.Body))
			}
		}
		checkNoLeakAnywhere(t, stage, run, c, named, before)
		checkRawLog(t, run.a, stage)
	}
	checkErased("after erasure", run, c)

	// Rebuilt from the log alone, then from the snapshot: still nobody.
	for _, restart := range []struct {
		stage       string
		noSnapshots bool
	}{{"rebuilt without snapshots", true}, {"restarted with snapshots", false}, {"restored from a snapshot", false}} {
		if err := run.a.Close(context.Background()); err != nil {
			t.Fatalf("close before %s: %v", restart.stage, err)
		}
		run = startPrivacyApp(t, dir, restart.noSnapshots)
		checkErased(restart.stage, run, c)
		if restored := strings.Contains(run.logs.String(), "projection restored from snapshot"); restored == restart.noSnapshots {
			t.Errorf("%s: restored from a snapshot = %v, want %v", restart.stage, restored, !restart.noSnapshots)
		}
	}
	if err := run.a.Close(context.Background()); err != nil {
		t.Fatalf("close: %v", err)
	}
	checkDataDir(t, dir, "after erasure and restarts")
	for id, key := range keys {
		if files := filesHolding(t, dir, key); len(files) > 0 {
			t.Errorf("key %s is on disk after the restarts, in %v", id, files)
		}
	}
}

// validReportAnonymous is validReport without a reporter.
func validReportAnonymous() map[string]any {
	r := validReport("")
	delete(r, "reporter")
	r["anonymous"] = true
	return r
}

// readReporter reads a case as who (as of a moment, if asOf is set) and
// returns the reporter the answer carries, checking that no identity
// appears anywhere else in it.
func readReporter(t *testing.T, a *app.App, c crew, who, id, asOf string) person {
	t.Helper()
	path := "/api/v1/cases/" + id
	if asOf != "" {
		path += "?" + url.Values{"as_of": {asOf}}.Encode()
	}
	r := do(t, a, http.MethodGet, path, "", nil, c.headers(t, who)...)
	if r.Status != http.StatusOK {
		t.Fatalf("%s reads %s: %d %s", who, path, r.Status, r.Body)
	}
	m := r.json(t)
	rep, ok := m["reporter"].(map[string]any)
	if !ok {
		if s := leak(r.Body); s != "" {
			t.Errorf("%s's view of %s holds %q outside a reporter field: %s", who, path, s, r.Body)
		}
		return person{}
	}
	str := func(k string) string { s, _ := rep[k].(string); return s }
	got := person{name: str("name"), phone: str("phone"), email: str("email")}
	delete(m, "reporter")
	rest, _ := jsonMarshal(m)
	if s := leak(rest); s != "" {
		t.Errorf("%s's view of %s holds %q outside the reporter field", who, path, s)
	}
	return got
}

// checkNoLeakAnywhere asks every other view that could show a case for
// the identities: the citizen's, the queues (and a search by name), the
// exports and dashboards in every format, the public figures and map,
// Open311, metrics; then the logs.
func checkNoLeakAnywhere(t *testing.T, stage string, run privacyRun, c crew, named []*privacyCase, before time.Time) {
	t.Helper()
	a := run.a
	now := time.Now().In(domain.Vietnam)
	month, year := now.Format("2006-01"), strconv.Itoa(now.Year())
	span := url.Values{"from": {now.AddDate(0, 0, -1).Format(time.DateOnly)}, "to": {now.Format(time.DateOnly)}}
	type get struct {
		who, path string
		query     url.Values
	}
	gets := []get{
		{"", "/api/v1/public/monthly", url.Values{"month": {month}}},
		{"", "/public/incidents", url.Values{"month": {month}}},
		{"", "/open311/v2/requests.json", nil},
		{"", "/open311/v2/requests.xml", nil},
		{"", "/metrics", nil},
	}
	for _, pc := range named {
		gets = append(gets,
			get{"", "/api/v1/reports/" + pc.id, url.Values{"code": {pc.code}}},
			get{"", "/open311/v2/requests/" + pc.id + ".json", nil},
			get{"", "/open311/v2/requests/" + pc.id + ".xml", nil})
		for _, who := range slices.Concat(pc.shown, pc.hidden) {
			for _, q := range []string{"", pc.who.name, pc.who.ascii, pc.who.phone, pc.who.email} {
				query := url.Values{}
				if q != "" {
					query.Set("q", q)
				}
				gets = append(gets, get{who, "/api/v1/queues/" + pc.unit, query})
			}
		}
	}
	for _, format := range []string{"json", "csv", "xlsx"} {
		for _, who := range []string{"leader", "supervisor", "lc.head", "lc.officer", "tt.head"} {
			q := url.Values{"format": {format}}
			for k, v := range span {
				q[k] = v
			}
			gets = append(gets, get{who, "/api/v1/exports/cases", q})
		}
		for _, who := range []string{"leader", "lc.head", "tt.head"} {
			gets = append(gets,
				get{who, "/api/v1/dashboard/monthly", url.Values{"month": {month}, "format": {format}}},
				get{who, "/api/v1/dashboard/monthly", url.Values{"month": {month}, "format": {format}, "as_of": {before.Format(time.RFC3339Nano)}}},
				get{who, "/api/v1/dashboard/annual", url.Values{"year": {year}, "format": {format}}})
		}
	}
	for _, g := range gets {
		path := g.path
		if len(g.query) > 0 {
			path += "?" + g.query.Encode()
		}
		r := do(t, a, http.MethodGet, path, "", nil, c.headers(t, g.who)...)
		if r.Status != http.StatusOK {
			t.Errorf("%s: GET %s as %q = %d %s", stage, path, g.who, r.Status, r.Body)
			continue
		}
		if s := leak(r.Body); s != "" {
			t.Errorf("%s: GET %s as %q holds %q", stage, path, g.who, s)
		}
		if strings.HasPrefix(g.path, "/api/v1/queues/") && g.query.Get("q") != "" {
			var page struct {
				Items []map[string]any `json:"items"`
			}
			if err := jsonUnmarshal(r.Body, &page); err != nil {
				t.Fatalf("queue %s: %v", path, err)
			}
			if len(page.Items) != 0 {
				t.Errorf("%s: a queue search for %q finds %v: the identity is searchable", stage, g.query.Get("q"), ids(page.Items))
			}
		}
	}
	t.Logf("%s: %d answers searched", stage, len(gets))

	// The logs: wait for the last request's access line, then look.
	last := gets[len(gets)-1].path
	checkFor(t, 5*time.Second, 20*time.Millisecond, func() error {
		if !strings.Contains(run.logs.String(), last) {
			return fmt.Errorf("no access line for %s yet", last)
		}
		return nil
	})
	out := run.logs.String()
	if s := leak([]byte(out)); s != "" {
		for _, line := range strings.Split(out, "\n") {
			if strings.Contains(line, s) {
				t.Errorf("%s: a log line holds %q: %s", stage, s, line)
			}
		}
	}
}

// reporterKeys opens the REPORTER_KEYS bucket as an operator would.
func reporterKeys(t *testing.T, a *app.App) jetstream.KeyValue {
	t.Helper()
	nc, err := nats.Connect(a.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	kv, err := js.KeyValue(context.Background(), eventstore.KeysBucket)
	if err != nil {
		t.Fatal(err)
	}
	return kv
}

// checkRawLog reads every message of every stream (CASES, the buckets,
// the snapshots, the notifications) with direct gets, as the nats CLI
// would, and looks for the identities in the bytes and the headers.
func checkRawLog(t *testing.T, a *app.App, stage string) {
	t.Helper()
	nc, err := nats.Connect(a.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	names := js.StreamNames(ctx)
	var scanned, cases int
	for name := range names.Name() {
		s, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatalf("stream %s: %v", name, err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
			msg, err := s.GetMsg(ctx, seq)
			if errors.Is(err, jetstream.ErrMsgNotFound) {
				continue // deleted (an erased key, a replaced snapshot)
			}
			if err != nil {
				t.Fatalf("%s seq %d: %v", name, seq, err)
			}
			scanned++
			if name == "CASES" {
				cases++
			}
			raw := append([]byte(msg.Subject+"\n"), msg.Data...)
			for k, vs := range msg.Header {
				raw = append(raw, []byte("\n"+k+": "+strings.Join(vs, ","))...)
			}
			if s := leak(raw); s != "" {
				t.Errorf("%s: stream %s seq %d holds %q in plaintext", stage, name, seq, s)
			}
		}
	}
	if err := names.Err(); err != nil {
		t.Fatal(err)
	}
	if cases < 3 {
		t.Fatalf("%s: scanned %d CASES messages, want at least the 3 reports", stage, cases)
	}
	t.Logf("%s: %d stored messages scanned (%d in CASES)", stage, scanned, cases)
}

// checkDataDir reads every file under the data directory for the
// identities in plaintext.
func checkDataDir(t *testing.T, dir, stage string) {
	t.Helper()
	files := datadirtest.Files(t, dir)
	if len(files) == 0 {
		t.Fatalf("%s: no file in the data directory %s", stage, dir)
	}
	for _, f := range files {
		if s := leak(f.Data); s != "" {
			t.Errorf("%s: %s holds %q in plaintext", stage, f.Path, s)
		}
	}
}

// filesHolding lists the files under dir whose bytes contain needle.
func filesHolding(t *testing.T, dir string, needle []byte) []string {
	t.Helper()
	var out []string
	for _, f := range datadirtest.Files(t, dir) {
		if bytes.Contains(f.Data, needle) {
			out = append(out, f.Path)
		}
	}
	return out
}

// TestErasedKeyBeforeItsEvent: the key is destroyed before reporter_erased
// is appended, so for a moment (or for good, if the append then failed) a
// case may name a reporter whose key is gone. Its readers see the case
// with the reporter erased, not a server error, and the administrator's
// retry records the erasure.
func TestErasedKeyBeforeItsEvent(t *testing.T) {
	t.Parallel()
	run := startPrivacyApp(t, t.TempDir(), true)
	c := hire(t, run.a, member{"lc.officer", "ubnd.lao-cai", domain.RoleOfficer}, member{"admin", "", domain.RoleAdmin})
	r := validReport("")
	r["reporter"] = map[string]any{"name": xuyen.name, "phone": xuyen.phone, "email": xuyen.email}
	s := submit(t, run.a, r)
	if got := readReporter(t, run.a, c, "lc.officer", s.id, ""); !got.is(xuyen) {
		t.Fatalf("before erasure the officer reads reporter %+v", got)
	}
	sealed := storedEvents(t, run.a, s.id)[0].Event.(domain.Reported).Reporter
	if err := run.a.Store.Erase(context.Background(), sealed.KeyID); err != nil {
		t.Fatal(err)
	}
	for _, asOf := range []string{"", time.Now().Format(time.RFC3339Nano)} {
		if got := readReporter(t, run.a, c, "lc.officer", s.id, asOf); !got.is(person{}) {
			t.Errorf("key erased (as_of %q): the officer reads reporter %+v", asOf, got)
		}
	}
	resp := act(t, run.a, c, "admin", s.id, s.version, "erase-reporter", map[string]any{"reason": "Yêu cầu xóa"})
	if resp.Status != http.StatusOK {
		t.Fatalf("the retried erasure = %d %s", resp.Status, resp.Body)
	}
	if got := typesOf(storedEvents(t, run.a, s.id)); !slices.Equal(got, []string{"reported", "reporter_erased"}) {
		t.Errorf("log = %v", got)
	}
}

// TestADuplicatesReporterSeesWhatWasDoneNotWhoReported: the reporter of a
// case linked as a duplicate follows the case it duplicates, by its status
// and what the authorities did on it (a public comment), never by what
// that case's own reporter sent: a photo whose name is theirs, or any
// other entry of theirs.
func TestADuplicatesReporterSeesWhatWasDoneNotWhoReported(t *testing.T) {
	a := startStaffApp(t, nil)
	c := hire(t, a, member{"lc.officer", "ubnd.lao-cai", domain.RoleOfficer}, member{"coordinator", "", domain.RoleCoordinator})
	first := submit(t, a, validReport(""))
	ct, body := multipartFile(t, "Kdxname_Le_CCCD.png", pngBytes(t))
	if r := do(t, a, http.MethodPost, "/api/v1/reports/"+first.id+"/attachments", ct, body, "X-Tracking-Code", first.code); r.Status != http.StatusCreated {
		t.Fatalf("the first reporter's photo: %d %s", r.Status, r.Body)
	}
	staffView := do(t, a, http.MethodGet, "/api/v1/cases/"+first.id, "", nil, c.headers(t, "lc.officer")...)
	if staffView.Status != http.StatusOK {
		t.Fatalf("staff view: %d %s", staffView.Status, staffView.Body)
	}
	v := uint64(staffView.json(t)["version"].(float64))
	if r := act(t, a, c, "lc.officer", first.id, v, "comment", map[string]any{"text": "Đoàn kiểm tra sẽ đến hiện trường", "visibility": "public"}); r.Status != http.StatusOK {
		t.Fatalf("public comment: %d %s", r.Status, r.Body)
	}
	second := submit(t, a, validReport(""))
	linked := act(t, a, c, "coordinator", second.id, second.version, "link-duplicate", map[string]any{"primary": first.id})
	if linked.Status != http.StatusOK {
		t.Fatalf("link-duplicate: %d %s", linked.Status, linked.Body)
	}
	seq := strconv.FormatUint(uint64(linked.json(t)["seq"].(float64)), 10)
	r := do(t, a, http.MethodGet, "/api/v1/reports/"+second.id+"?after="+seq, "", nil, "X-Tracking-Code", second.code)
	if r.Status != http.StatusOK {
		t.Fatalf("the duplicate's citizen view: %d %s", r.Status, r.Body)
	}
	var view struct {
		Primary struct {
			ID       string `json:"id"`
			Status   string `json:"status"`
			Timeline []struct {
				Type string `json:"type"`
				Role string `json:"role"`
				Text string `json:"text"`
			} `json:"timeline"`
		} `json:"primary"`
	}
	if err := json.Unmarshal(r.Body, &view); err != nil || view.Primary.ID != first.id {
		t.Fatalf("no primary in %s (%v)", r.Body, err)
	}
	if strings.Contains(string(r.Body), "Kdxname") {
		t.Errorf("the duplicate's reporter sees the first reporter's photo name: %s", r.Body)
	}
	sawComment := false
	for _, e := range view.Primary.Timeline {
		if e.Role == string(domain.RoleCitizen) {
			t.Errorf("the duplicate's reporter sees the first reporter's %s entry", e.Type)
		}
		sawComment = sawComment || e.Text == "Đoàn kiểm tra sẽ đến hiện trường"
	}
	if !sawComment {
		t.Errorf("the duplicate's reporter does not see the authorities' public comment: %s", r.Body)
	}
}

// TestAReclassifiedDenunciationKeepsItsDenouncerHidden: a denunciation
// transferred to a ward and reclassified as a petition is no longer a
// denunciation, but its reporter gave their name under a denouncer's
// protection: the ward's officer still does not see it, now or as of
// before the reclassification; the ward's head does, as for any
// denunciation. (The privacy of a reclassified case was found open by an
// audit: the officer read the name, even in the past view.)
func TestAReclassifiedDenunciationKeepsItsDenouncerHidden(t *testing.T) {
	a := startStaffApp(t, nil)
	c := hire(t, a, roster...)
	denunciation := report("pollution.mining", "lao-cai", "Khai thác quặng trái phép", "Có máy xúc khai thác quặng sắt ban đêm trên đồi sau thôn.")
	denunciation["reporter"] = map[string]any{"name": phu.name, "phone": phu.phone, "email": phu.email}
	s := submit(t, a, denunciation)
	moved := act(t, a, c, "coordinator", s.id, s.version, "transfer", map[string]any{"unit": "ubnd.lao-cai", "reason": "Thuộc thẩm quyền của phường"})
	if moved.Status != http.StatusOK {
		t.Fatalf("transfer: %d %s", moved.Status, moved.Body)
	}
	before := time.Now()
	if got := readReporter(t, a, c, "lc.officer", s.id, ""); !got.is(person{}) {
		t.Fatalf("the ward's officer reads the denouncer %+v before any reclassification", got)
	}
	re := act(t, a, c, "lc.head", s.id, uint64(moved.json(t)["seq"].(float64)), "reclassify",
		map[string]any{"category": "pollution.mining", "kind": "petition", "reason": "Nội dung là kiến nghị"})
	if re.Status != http.StatusOK {
		t.Fatalf("reclassify: %d %s", re.Status, re.Body)
	}
	for _, asOf := range []string{"", before.Format(time.RFC3339Nano)} {
		if got := readReporter(t, a, c, "lc.officer", s.id, asOf); !got.is(person{}) {
			t.Errorf("after the reclassification the ward's officer reads (as_of %q) the denouncer %+v", asOf, got)
		}
		if got := readReporter(t, a, c, "lc.head", s.id, asOf); !got.is(phu) {
			t.Errorf("after the reclassification the ward's head reads (as_of %q) %+v, want %s", asOf, got, phu.name)
		}
	}
}
