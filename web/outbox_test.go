package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"phananh/api"
	"phananh/app"
	"phananh/ratelimit"
	"phananh/testport"
)

// startCitizenApp runs the service on addr and dir with limits (nil: the
// defaults), so that a test can restart it where the browser expects it.
func startCitizenApp(t *testing.T, dir, addr string, limits *api.Limits) *app.App {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	a, err := app.Start(ctx, app.Config{DataDir: dir, HTTPAddr: addr, NATSListen: "127.0.0.1:-1",
		SyncAlways: false, PasswordCost: bcrypt.MinCost, NoSnapshots: true, Limits: limits,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatalf("start app: %v", err)
	}
	t.Cleanup(func() { a.Close(context.Background()) })
	waitReady(t, a)
	return a
}

// TestTheOutboxWaitsOutABusyServer: a report or a photo the server asks
// to send again later (429, here an allowance of one submission an hour
// from this address) stays in the browser's outbox, the page says the
// service is busy, and both go out once the server takes them (here after
// a restart, which renews the allowances). Before, a 429 dropped a queued
// report for good and a photo without a word.
func TestTheOutboxWaitsOutABusyServer(t *testing.T) {
	dir, addr := t.TempDir(), testport.Addr(t)
	once := ratelimit.Rate{Events: 1, Per: time.Hour, Burst: 1}
	a := startCitizenApp(t, dir, addr, &api.Limits{Submit: once})
	b := newBrowser(t, "http://"+addr)
	s := casesStream(t, a)

	// 1. The report takes the hour's one submission; its photo (an upload
	// counts as one too) is answered 429 and waits.
	b.fillReport("Rác đổ ven suối", "Rác thải sinh hoạt đổ xuống suối gần cầu.")
	b.run("attach a photo", chromedp.SetUploadFiles(chromedp.CSS("#photos"), []string{photo(t)}))
	b.run("submit", chromedp.Click(chromedp.CSS("#submit")), chromedp.WaitVisible(chromedp.CSS("#receipt-code")))
	id, code := b.text("#receipt-id"), b.text("#receipt-code")
	b.waitFor("the page says the photo waits for a busy service",
		`document.querySelector('#outbox').textContent.includes('Hệ thống đang bận') && document.querySelector('#outbox').textContent.includes('Có 1 phản ánh')`)
	if atts, _ := apiGet(t, a, "/api/v1/reports/"+id, "X-Tracking-Code", code)["attachments"].([]any); len(atts) != 0 {
		t.Fatalf("the case has %d attachments while uploads are refused", len(atts))
	}

	// 2. A second report while the service is busy: kept, and the form
	// cleared so that a second tap cannot file it again.
	b.run("another report", chromedp.Click(chromedp.CSS("#receipt-new")))
	b.fillForm("Khói đen từ lò gạch", "Khói đen bốc lên mỗi tối, mùi khét khắp xóm.")
	b.run("submit while busy", chromedp.Click(chromedp.CSS("#submit")))
	b.waitFor("the page keeps the report and says why", `document.querySelector('#receipt').hidden && document.querySelector('#title').value === '' &&
		document.querySelector('#outbox').textContent.includes('Hệ thống đang bận')`)
	b.screenshot("outbox-busy")
	// The outbox tries the first report's photo every 5 s: that must not
	// show its receipt again over the form a citizen is typing in.
	b.run("type the next report", chromedp.SendKeys(chromedp.CSS("#title"), "Tiếng ồn"))
	time.Sleep(6 * time.Second)
	if v := b.eval(`!document.querySelector('#report-form').hidden && document.querySelector('#title').value === 'Tiếng ồn'`); v != true {
		t.Errorf("a retry of the waiting photo hid the form being typed in")
	}
	if got := len(caseSubjects(t, s)); got != 1 {
		t.Fatalf("while busy the log holds %d cases, want the first only", got)
	}

	// 3. The service restarts with its usual allowances: the outbox sends
	// the photo and the report, once each.
	a.Close(context.Background())
	a = startCitizenApp(t, dir, addr, nil)
	s = casesStream(t, a)
	deadline := time.Now().Add(30 * time.Second)
	for {
		atts, _ := apiGet(t, a, "/api/v1/reports/"+id, "X-Tracking-Code", code)["attachments"].([]any)
		subjects := caseSubjects(t, s)
		if len(atts) == 1 && len(subjects) == 2 {
			for subject, events := range subjects {
				if events != 1 && subject != "cases."+id {
					t.Errorf("the queued report's case %s has %d events, want 1", subject, events)
				}
			}
			break
		}
		if len(atts) > 1 || len(subjects) > 2 || time.Now().After(deadline) {
			t.Fatalf("the first case has %d attachments and the log %d cases; want the photo once and the two reports", len(atts), len(subjects))
		}
		time.Sleep(100 * time.Millisecond)
	}
	b.waitFor("the outbox is empty", `document.querySelector('#outbox').hidden || document.querySelector('#outbox').textContent === ''`)
	if resp, err := http.Get("http://" + addr + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
		t.Errorf("healthz after the restart: %v %v", resp, err)
	}
}
