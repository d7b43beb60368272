package web_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestCitizenOfficerLeaderJourney walks the story in a real
// browser: a citizen reports with a photo (the description an XSS attempt)
// and gets a tracking code; another report is made offline and arrives
// exactly once when the connection returns; a unit head logs in, accepts,
// assigns and resolves (meeting a conflict on the way); the citizen sees
// the resolution and rates it; a leader's chart shows the case. Every page
// is photographed, and the console must stay clean.
func TestCitizenOfficerLeaderJourney(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t, "http://"+a.HTTPAddr())
	s := casesStream(t, a)

	// 1. The citizen reports with a photo and sees the tracking code.
	b.fillReport("Suối đổi màu "+xss, xss)
	b.setLocation(22.4856, 103.9707)
	b.run("use my location", chromedp.Click(chromedp.CSS("#locate")))
	b.waitFor("the location is shown", `document.querySelector('#located').textContent.includes('22.4856')`)
	b.run("attach a photo", chromedp.SetUploadFiles(chromedp.CSS("#photos"), []string{photo(t)}))
	b.waitFor("the photo's size is shown before upload", `document.querySelector('#photo-list li') && /\d+ (B|KB)/.test(document.querySelector('#photo-list li').textContent)`)
	b.screenshot("01-report-form")
	b.run("submit", chromedp.Click(chromedp.CSS("#submit")), chromedp.WaitVisible(chromedp.CSS("#receipt-code")))
	code := b.text("#receipt-code")
	id := b.text("#receipt-id")
	if len(code) < 16 || len(id) != 36 {
		t.Fatalf("receipt: code %q id %q", code, id)
	}
	b.waitFor("the unit is named", `document.querySelector('#receipt-unit').textContent.length > 0`)
	b.screenshot("02-receipt")
	view := apiGet(t, a, "/api/v1/reports/"+id, "X-Tracking-Code", code)
	if atts, _ := view["attachments"].([]any); len(atts) != 1 {
		t.Errorf("the case has %d attachments, want the photo", len(atts))
	}
	if loc, _ := view["location"].(map[string]any); loc["lat"] != 22.4856 {
		t.Errorf("location = %v, want the phone's position", view["location"])
	}
	if view["description"] != xss {
		t.Errorf("description stored as %q", view["description"])
	}

	// 2. Offline: the report waits in the browser and arrives once.
	before := caseSubjects(t, s)
	b.fillReport("Khói đen từ lò gạch", "Khói đen bốc lên mỗi tối, mùi khét khắp xóm.")
	b.setOffline(true)
	b.run("submit offline", chromedp.Click(chromedp.CSS("#submit")))
	// Kept: the page says so and clears the form, so a second tap cannot
	// report the same thing again under another id.
	b.waitFor("the page says the report is kept", `!document.querySelector('#outbox').hidden && document.querySelector('#receipt').hidden &&
		!document.querySelector('#submit').disabled && document.querySelector('#title').value === ''`)
	b.screenshot("03-offline-queued")
	if got := len(caseSubjects(t, s)); got != len(before) {
		t.Fatalf("while offline the log went from %d to %d cases", len(before), got)
	}
	b.setOffline(false)
	b.waitFor("the queued report is sent when back online", `!document.querySelector('#receipt').hidden && document.querySelector('#receipt-code').textContent.length > 0`)
	offlineID := b.text("#receipt-id")
	// Reload: the outbox is empty, nothing is sent again.
	b.run("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#report-form")))
	b.waitFor("the outbox is empty", `document.querySelector('#outbox').hidden`)
	after := caseSubjects(t, s)
	if got, want := len(after), len(before)+1; got != want {
		t.Errorf("after going online the log holds %d cases, want %d", got, want)
	}
	if n := after["cases."+offlineID]; n != 1 {
		t.Errorf("the offline report has %d events, want exactly 1 (reported)", n)
	}

	// 3. The unit head logs in, sees the queue, accepts, assigns, resolves.
	b.login("lan.nguyen")
	b.run("the queue lists the case", chromedp.WaitVisible(chromedp.CSS(`#queue-body a[href="/staff/cases/`+id+`"]`)))
	b.noXSS("queue")
	b.screenshot("04-queue")
	b.follow("open the case", `#queue-body a[href="/staff/cases/`+id+`"]`)
	b.run("the case opens", chromedp.WaitVisible(chromedp.CSS("#case")))
	b.noXSS("case page")
	if v := b.eval(`document.querySelector('details[data-action=close]').hidden && !document.querySelector('details[data-action=accept]').hidden`); v != true {
		t.Errorf("a received case should offer accept and not close")
	}
	b.screenshot("05-case-received")
	b.act("accept", "")
	b.waitFor("accepted", `document.querySelector('#c-status').textContent === 'Đã thụ lý'`)
	b.act("assign", `#a-assign-officer=an.tran`)
	b.waitFor("assigned", `document.querySelector('#c-status').textContent === 'Đã giao xử lý'`)

	// Someone else comments meanwhile: the page's version is stale.
	bearer := "Bearer " + token(t, a, "an.tran")
	cur := apiGet(t, a, "/api/v1/cases/"+id, "Authorization", bearer)
	if r := apiPost(t, a, "/api/v1/cases/"+id+"/comment", map[string]string{"text": "Đã xuống hiện trường.", "visibility": "internal"},
		"Authorization", bearer, "If-Match", `"`+jsonNumber(cur["version"])+`"`); r.StatusCode != http.StatusOK {
		t.Fatalf("comment = %d", r.StatusCode)
	}
	b.act("resolve", `#a-res-summary=Đã yêu cầu cơ sở dừng xả thải và khắc phục.`)
	b.waitFor("the conflict is shown", `!document.querySelector('#conflict').hidden`)
	b.waitFor("with the latest state", `document.querySelector('#c-timeline').textContent.includes('Đã xuống hiện trường.')`)
	b.screenshot("06-case-conflict")
	b.act("resolve", `#a-res-summary=Đã yêu cầu cơ sở dừng xả thải và khắc phục.`)
	b.waitFor("resolved", `document.querySelector('#c-status').textContent === 'Đã giải quyết'`)
	b.screenshot("07-case-resolved")

	// 4. The citizen sees the resolution and rates it.
	b.run("track", chromedp.Navigate(b.base+"/track#id="+id+"&code="+code), chromedp.WaitVisible(chromedp.CSS("#after-resolution")))
	if st := b.text("#c-status"); st != "Đã giải quyết" {
		t.Errorf("the citizen sees status %q", st)
	}
	b.noXSS("tracking page")
	if v := b.eval(`document.querySelector('#c-timeline').textContent.includes('Đã xuống hiện trường.')`); v != false {
		t.Errorf("the citizen sees an internal note")
	}
	b.run("rate", chromedp.Click(chromedp.CSS(`#feedback-form input[name=rating][value="5"]`)),
		chromedp.SendKeys(chromedp.CSS("#fb-comment"), "Cảm ơn, suối đã trong lại."),
		chromedp.Click(chromedp.CSS("#feedback-form button[type=submit]")))
	b.waitFor("the rating is in the timeline", `!document.querySelector('#track-msg').hidden && document.querySelector('#c-timeline').textContent.includes('5/5')`)
	b.screenshot("08-track-rated")

	// 5. The leader's chart shows the case.
	b.login("hoa.le")
	b.waitFor("on the dashboard", `location.pathname === '/dashboard'`)
	b.run("the chart", chromedp.WaitVisible(chromedp.CSS(`#chart-category svg g[data-key="pollution.water"]`)))
	if got := b.text(`#kpi-received strong`); got != "2" {
		t.Errorf("received this month = %q, want 2", got)
	}
	if got := b.text(`#kpi-resolved strong`); got != "1" {
		t.Errorf("resolved this month = %q, want 1", got)
	}
	href, _ := b.eval(`document.querySelector('#x-month-csv').href`).(string)
	if !strings.Contains(href, "/api/v1/dashboard/monthly?month=") || !strings.HasSuffix(href, "format=csv") {
		t.Errorf("export link = %q", href)
	}
	b.screenshot("09-dashboard")

	// 6. The public figures and the English switch.
	b.run("public page", chromedp.Navigate(b.base+"/public?lang=en"), chromedp.WaitVisible(chromedp.CSS("#chart-category svg")),
		chromedp.WaitVisible(chromedp.CSS("#map svg")))
	if n := b.eval(`document.querySelectorAll('#map circle').length`); n != 1.0 {
		t.Errorf("the map shows %v incidents, want 1 (the report with coordinates)", n)
	}
	if v := b.eval(`document.documentElement.lang === 'en' && document.querySelector('h1').textContent === 'Public figures'`); v != true {
		t.Errorf("?lang=en did not switch to English")
	}
	b.screenshot("10-public-en")
	b.run("back to Vietnamese", chromedp.Navigate(b.base+"/?lang=vi"), chromedp.WaitVisible(chromedp.CSS("#report-form")))

	// Network errors were provoked on purpose (offline, the conflict's
	// 409); nothing else may reach the console.
	b.checkClean(false)
	t.Logf("screenshots in %s", b.shots)
}

// act opens an action on the case page, fills fields (selector=value;…)
// and submits it.
func (b *browser) act(action, fields string) {
	b.t.Helper()
	sel := `details[data-action="` + action + `"]`
	steps := []chromedp.Action[chromedp.Void]{chromedp.WaitVisible(chromedp.CSS(sel + " summary"))}
	if v, _ := b.eval(`document.querySelector('` + sel + `').open`).(bool); !v {
		steps = append(steps, chromedp.Click(chromedp.CSS(sel+" summary")))
	}
	for _, f := range strings.Split(fields, ";") {
		if f == "" {
			continue
		}
		k, v, _ := strings.Cut(f, "=")
		steps = append(steps, chromedp.SetValue(chromedp.CSS(k), v))
	}
	steps = append(steps, chromedp.Click(chromedp.CSS(sel+" button[type=submit]")))
	b.run(action, steps...)
}

func jsonNumber(v any) string {
	f, _ := v.(float64)
	return fmtFloat(f)
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
