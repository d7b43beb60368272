package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"

	"phananh/app"
	"phananh/domain"
)

// xss is typed into reports; it must come back as text on every page.
const xss = `<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>`

const password = "Mật khẩu đủ dài 2026"

// chromiumPath finds the browser, or skips the test loudly.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium"
	}
	t.Skip("!!!!!!!! NO CHROMIUM BINARY FOUND: THE BROWSER TESTS OF THE WEB UI DID NOT RUN. " +
		"Install it (apt-get install -y chromium); .ci/run does. !!!!!!!!")
	return ""
}

// startApp runs the whole service with staff accounts for every role the
// journey needs.
func startApp(t *testing.T) *app.App {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := app.Start(ctx, app.Config{DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", NATSListen: "127.0.0.1:-1",
		SyncAlways: false, PasswordCost: bcrypt.MinCost, NoSnapshots: true,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("start app: %v", err)
	}
	t.Cleanup(func() { a.Close(context.Background()) })
	waitReady(t, a)
	for _, u := range []struct {
		name, unit string
		role       domain.Role
	}{
		{"lan.nguyen", "ubnd.lao-cai", domain.RoleUnitHead},
		{"an.tran", "ubnd.lao-cai", domain.RoleOfficer},
		{"hoa.le", "", domain.RoleLeader},
		{"mai.pham", "mttq.tinh", domain.RoleSupervisor},
	} {
		if err := a.Users.Add(context.Background(), u.name, u.unit, u.role, password); err != nil {
			t.Fatal(err)
		}
	}
	return a
}

// waitReady waits until the app answers /readyz with 200: its read models
// have caught up with the log.
func waitReady(t *testing.T, a *app.App) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get("http://" + a.HTTPAddr() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("the app never became ready")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// browser is one headless chromium tab with a record of everything the
// page wrote to its console.
type browser struct {
	t       *testing.T
	ctx     context.Context
	base    string
	shots   string
	mu      sync.Mutex
	console []string // console errors, exceptions, browser log errors (not network)
	network []string // failed loads: expected when a test provokes them
	dialogs []string
}

func newBrowser(t *testing.T, base string) *browser {
	t.Helper()
	exe := chromiumPath(t)
	actx, cancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(exe), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		// No UserDataDir: the profile chromedp makes itself it also removes
		// itself, after killing Chrome's leftover children and trying again
		// while they still write there; t.TempDir's removal does neither.
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-extensions", true),
		chromedp.Flag("lang", "vi"), chromedp.WindowSize(412, 900))
	t.Cleanup(cancel)
	ctx, cancel2 := chromedp.NewContext(actx)
	t.Cleanup(cancel2)
	b := &browser{t: t, ctx: ctx, base: base, shots: os.Getenv("PHANANH_SCREENSHOTS")}
	if b.shots == "" {
		b.shots = t.TempDir()
	}
	if err := os.MkdirAll(b.shots, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		b.mu.Lock()
		defer b.mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				b.console = append(b.console, "console.error: "+strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			d := ev.ExceptionDetails
			msg := d.Text
			if d.Exception != nil {
				msg += " " + d.Exception.Description
			}
			b.console = append(b.console, fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber, msg))
		case *cdplog.EventEntryAdded:
			if ev.Entry.Level != cdplog.EntryLevelError {
				return
			}
			line := string(ev.Entry.Source) + ": " + ev.Entry.Text + " " + ev.Entry.URL
			if ev.Entry.Source == cdplog.EntrySourceNetwork {
				b.network = append(b.network, line)
			} else {
				b.console = append(b.console, line)
			}
		case *page.EventJavascriptDialogOpening:
			b.dialogs = append(b.dialogs, ev.Message)
		}
	}); err != nil {
		t.Fatal(err)
	}
	return b
}

// run runs steps with a bound, failing the test with what it was doing.
func (b *browser) run(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v (console: %v)", what, err, b.consoleErrors())
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (b *browser) eval(expr string) any {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[any](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// follow clicks the link sel names as it is when clicked. chromedp.Click
// holds the node it found, and a list that renders again in between (the
// queue's first load answering after a filter's) leaves it a node that no
// longer exists.
func (b *browser) follow(what, sel string) {
	b.t.Helper()
	if v := b.eval(`(function (a) { if (!a) { return false; } a.click(); return true; })(document.querySelector(` + strconv.Quote(sel) + `))`); v != true {
		b.t.Fatalf("%s: no %s to click", what, sel)
	}
}

// waitFor polls a JavaScript condition until it is true.
func (b *browser) waitFor(what, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		if v, _ := b.eval("!!(" + expr + ")").(bool); v {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: %s never became true (console: %v)", what, expr, b.consoleErrors())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (b *browser) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	img, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.WriteFile(filepath.Join(b.shots, name+".png"), img, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browser) consoleErrors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.console...)
}

// checkClean fails on any console error, exception, CSP violation or
// dialog (a dialog would mean injected script ran).
func (b *browser) checkClean(networkToo bool) {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.console {
		b.t.Errorf("console: %s", c)
	}
	for _, d := range b.dialogs {
		b.t.Errorf("a dialog opened: %q", d)
	}
	if networkToo {
		for _, n := range b.network {
			b.t.Errorf("network: %s", n)
		}
	}
}

func (b *browser) noXSS(where string) {
	b.t.Helper()
	if v := b.eval(`window.__pwned === undefined && document.querySelectorAll('img[src="x"], main script').length === 0`); v != true {
		b.t.Errorf("%s: injected markup became elements or ran", where)
	}
	if v, _ := b.eval(`document.body.textContent.includes(` + jsString(xss) + `)`).(bool); !v {
		b.t.Errorf("%s: the description is not shown as text", where)
	}
}

func jsString(s string) string {
	out, _ := json.Marshal(s)
	return string(out)
}

func (b *browser) login(name string) {
	b.t.Helper()
	b.run("login as "+name,
		chromedp.Navigate(b.base+"/staff/login"),
		chromedp.WaitVisible(chromedp.CSS("#login-name")),
		chromedp.SendKeys(chromedp.CSS("#login-name"), name),
		chromedp.SendKeys(chromedp.CSS("#login-password"), password),
		chromedp.Click(chromedp.CSS("#login-form button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS("#who")))
}

// setLocation grants the page geolocation and places the phone there.
func (b *browser) setLocation(lat, lon float64) {
	b.t.Helper()
	if _, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
		Permission: &cdpbrowser.PermissionDescriptor{Name: "geolocation"}, Setting: cdpbrowser.PermissionSettingGranted,
		Origin: b.base}); err != nil {
		b.t.Fatal(err)
	}
	acc := 10.0
	if _, err := chromedp.Call(b.ctx, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{
		Latitude: &lat, Longitude: &lon, Accuracy: &acc}); err != nil {
		b.t.Fatal(err)
	}
}

// setOffline cuts or restores the tab's network, and navigator.onLine with it.
func (b *browser) setOffline(offline bool) {
	b.t.Helper()
	var rules []*network.Conditions
	if offline {
		rules = []*network.Conditions{{Offline: true, DownloadThroughput: -1, UploadThroughput: -1}}
	}
	if _, err := chromedp.Call(b.ctx, network.EmulateNetworkConditionsByRule,
		network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: rules}); err != nil {
		b.t.Fatal(err)
	}
	if _, err := chromedp.Call(b.ctx, network.OverrideNetworkState,
		network.OverrideNetworkStateParams{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
		b.t.Fatal(err)
	}
}

// fillReport fills the citizen's form, anonymously.
func (b *browser) fillReport(title, description string) {
	b.t.Helper()
	b.run("open the report form", chromedp.Navigate(b.base+"/"))
	b.fillForm(title, description)
}

// fillForm fills the report form once it shows, on the page as it is.
func (b *browser) fillForm(title, description string) {
	b.t.Helper()
	b.run("fill the report form",
		chromedp.WaitVisible(chromedp.CSS("#report-form")),
		chromedp.Click(chromedp.CSS(`input[name=category][value="pollution.water"]`)),
		chromedp.SendKeys(chromedp.CSS("#title"), title),
		chromedp.SetValue(chromedp.CSS("#description"), description),
		chromedp.SetValue(chromedp.CSS("#commune"), "lao-cai"),
		chromedp.SendKeys(chromedp.CSS("#address"), "Tổ 5, phường Lào Cai"),
		chromedp.Click(chromedp.CSS("#anonymous")))
}

func casesStream(t *testing.T, a *app.App) jetstream.Stream {
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
	s, err := js.Stream(context.Background(), "CASES")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// caseSubjects counts the cases in the log, and the events of each.
func caseSubjects(t *testing.T, s jetstream.Stream) map[string]uint64 {
	t.Helper()
	info, err := s.Info(context.Background(), jetstream.WithSubjectFilter("cases.>"))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Subjects
}

func photo(t *testing.T) string {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for x := 0; x < 64; x++ {
		for y := 0; y < 48; y++ {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), 120, 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "suoi-den.png")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func apiGet(t *testing.T, a *app.App, path string, headers ...string) map[string]any {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+a.HTTPAddr()+path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s = %d %v", path, resp.StatusCode, err)
	}
	return m
}

// posted is an API answer.
type posted struct {
	StatusCode int
	Body       []byte
}

func apiPost(t *testing.T, a *app.App, path string, body any, headers ...string) posted {
	t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, "http://"+a.HTTPAddr()+path, bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return posted{resp.StatusCode, out}
}

func token(t *testing.T, a *app.App, name string) string {
	t.Helper()
	data, _ := json.Marshal(map[string]string{"name": name, "password": password})
	resp, err := http.Post("http://"+a.HTTPAddr()+"/api/v1/auth/login", "application/json", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil || m.Token == "" {
		t.Fatalf("login %s: %d %v", name, resp.StatusCode, err)
	}
	return m.Token
}
