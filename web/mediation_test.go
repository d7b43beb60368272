package web_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"phananh/domain"
)

// TestMediationAndSupervisorView: on a land dispute the unit head is
// offered mediation, schedules it through the page, and is then offered
// recording it; the Fatherland Front's supervisor reads any unit's queue
// and may only add internal notes.
func TestMediationAndSupervisorView(t *testing.T) {
	a := startApp(t)
	resp := apiPost(t, a, "/api/v1/reports", map[string]any{
		"category": "land.boundary", "title": "Tranh chấp ranh giới thửa đất", "description": "Hộ bên cạnh xây tường lấn sang 0,5 m.",
		"location": map[string]any{"commune": "lao-cai"}, "reporter": map[string]any{"name": "Nguyễn Văn An", "phone": "0912 345 678"}})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("submit = %d %s", resp.StatusCode, resp.Body)
	}
	var receipt struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(resp.Body, &receipt); err != nil {
		t.Fatal(err)
	}
	id := receipt.ID
	bearer := "Bearer " + token(t, a, "lan.nguyen")
	for _, step := range []struct {
		action string
		body   any
	}{{"accept", map[string]any{}}, {"assign", map[string]string{"officer": "an.tran"}}} {
		v := apiGet(t, a, "/api/v1/cases/"+id, "Authorization", bearer)["version"]
		if r := apiPost(t, a, "/api/v1/cases/"+id+"/"+step.action, step.body, "Authorization", bearer, "If-Match", `"`+jsonNumber(v)+`"`); r.StatusCode != http.StatusOK {
			t.Fatalf("%s = %d %s", step.action, r.StatusCode, r.Body)
		}
	}

	b := newBrowser(t, "http://"+a.HTTPAddr())
	b.login("lan.nguyen")
	b.run("open the case", chromedp.Navigate(b.base+"/staff/cases/"+id), chromedp.WaitVisible(chromedp.CSS("#case")))
	if v := b.eval(`!document.querySelector('details[data-action="schedule-mediation"]').hidden && document.querySelector('details[data-action="record-mediation"]').hidden`); v != true {
		t.Fatal("an assigned land dispute should offer scheduling a mediation, not recording one")
	}
	if got := b.text("#c-reporter"); got != "Nguyễn Văn An · 0912 345 678" {
		t.Errorf("the unit head sees the reporter as %q", got)
	}
	at := time.Now().In(domain.Vietnam).AddDate(0, 0, 3).Format("2006-01-02") + "T09:00"
	b.act("schedule-mediation", "#a-med-at="+at+";#a-med-place=Nhà văn hóa tổ 5;#a-med-chair=Trần Văn Bình;#a-med-front=Lò Thị Hoa;#a-med-members=Nguyễn Văn Cường\nPhạm Thị Dung")
	b.waitFor("scheduled", `document.querySelector('#c-status').textContent === 'Đã lên lịch hòa giải'`)
	if v := b.eval(`!document.querySelector('details[data-action="record-mediation"]').hidden`); v != true {
		t.Error("a scheduled mediation should offer recording it")
	}
	b.screenshot("14-case-mediation")

	// The supervisor: any unit's queue, read-only but for internal notes.
	b.login("mai.pham")
	b.run("supervisor queue", chromedp.SetValue(chromedp.CSS("#q-unit"), "ubnd.lao-cai"),
		chromedp.Click(chromedp.CSS("#filters button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`#queue-body a[href="/staff/cases/`+id+`"]`)))
	b.follow("supervisor case", `#queue-body a[href="/staff/cases/`+id+`"]`)
	b.run("the supervisor's case opens", chromedp.WaitVisible(chromedp.CSS("#case")))
	if n := b.eval(`Array.from(document.querySelectorAll('#actions details')).filter(d => !d.hidden).map(d => d.dataset.action).join(',')`); n != "comment" {
		t.Errorf("the supervisor is offered %v, want only comment", n)
	}
	if v := b.eval(`document.querySelector('#a-cm-vis option[data-public]').disabled`); v != true {
		t.Error("a supervisor's note could be made public")
	}
	if got := b.text("#c-reporter"); got == "Nguyễn Văn An · 0912 345 678" {
		t.Error("the supervisor sees the reporter's identity")
	}
	b.act("comment", "#a-cm-text=MTTQ đề nghị đơn vị giải quyết đúng hạn.")
	b.waitFor("the note is in the timeline", `document.querySelector('#c-timeline .internal:last-child') && document.querySelector('#c-timeline').textContent.includes('MTTQ đề nghị')`)
	b.screenshot("15-case-supervisor")
	b.checkClean(true)
}
