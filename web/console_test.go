package web_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestPagesHaveNoConsoleErrors opens every page, in both languages, as the
// people who use them, and fails on any console error, uncaught exception,
// CSP violation or failed request.
func TestPagesHaveNoConsoleErrors(t *testing.T) {
	a := startApp(t)
	lat, lon := 22.3, 104.1
	resp := apiPost(t, a, "/api/v1/reports", map[string]any{
		"category": "pollution.air", "title": "Khói bụi từ nhà máy", "description": "Bụi phủ kín mái nhà mỗi sáng.",
		"location": map[string]any{"commune": "lao-cai", "lat": lat, "lon": lon}, "anonymous": true})
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("submit = %d", resp.StatusCode)
	}
	var receipt struct {
		ID           string `json:"id"`
		TrackingCode string `json:"tracking_code"`
	}
	if err := json.Unmarshal(resp.Body, &receipt); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, "http://"+a.HTTPAddr())

	for _, lang := range []string{"en", "vi"} {
		b.run("report form "+lang, chromedp.Navigate(b.base+"/?lang="+lang), chromedp.WaitVisible(chromedp.CSS("#report-form")))
		b.run("track "+lang, chromedp.Navigate(b.base+"/track#id="+receipt.ID+"&code="+receipt.TrackingCode),
			chromedp.WaitVisible(chromedp.CSS("#c-timeline li")))
		b.screenshot("11-track-" + lang)
		b.run("public "+lang, chromedp.Navigate(b.base+"/public"), chromedp.WaitVisible(chromedp.CSS("#map circle")))
		b.run("login page "+lang, chromedp.Navigate(b.base+"/staff/login"), chromedp.WaitVisible(chromedp.CSS("#login-form")))
		b.screenshot("12-login-" + lang)
	}
	b.login("lan.nguyen")
	b.run("queue", chromedp.WaitVisible(chromedp.CSS(`#queue-body a[href="/staff/cases/`+receipt.ID+`"]`)))
	b.run("search without diacritics", chromedp.SetValue(chromedp.CSS("#q-search"), "khoi bui"),
		chromedp.Click(chromedp.CSS("#filters button[type=submit]")),
		chromedp.WaitVisible(chromedp.CSS(`#queue-body a[href="/staff/cases/`+receipt.ID+`"]`)))
	b.screenshot("13-queue-search")
	b.run("case", chromedp.Navigate(b.base+"/staff/cases/"+receipt.ID), chromedp.WaitVisible(chromedp.CSS("#case")))
	b.login("hoa.le")
	b.run("dashboard", chromedp.WaitVisible(chromedp.CSS(`#chart-category svg g[data-key="pollution.air"]`)))
	b.checkClean(true)
}
