// Package web serves phananh's pages: the citizen's report form and
// tracking page, the staff queue and case page, the leaders' dashboard and
// the public figures. Everything is embedded in the binary (no CDN): Go
// templates render the static text in Vietnamese or English, and small
// scripts of our own talk to the JSON API. Pages carry a strict
// Content-Security-Policy: no inline script or style, nothing from
// elsewhere.
package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"phananh/domain"
)

//go:embed static templates
var files embed.FS

// CSP is the Content-Security-Policy of every page: scripts, styles and
// connections only from this origin; images also from blob: (the preview
// of a photo before it is sent).
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// LangCookie remembers the language a visitor chose.
const LangCookie = "lang"

// Options is what the pages need from the rest of the binary.
type Options struct {
	// Geo lists the communes and units offered in the forms; nil means
	// the built-in sample geography.
	Geo *domain.Geography
	// Cases, when set, walks every case's current state (the case view's
	// Scan); it feeds the public map. Nil: the map has no points.
	Cases func(func(domain.Case))
	// MapBox is the map's extent: south, west, north, east in degrees.
	// Zero means Lào Cai province (since 1 July 2025).
	MapBox [4]float64
}

// laoCai is the extent of Lào Cai province after its merger with Yên Bái.
var laoCai = [4]float64{21.3, 103.5, 22.9, 105.2}

type page struct {
	name   string // template and script name
	path   string
	titleK string // message key of the page's title
}

var pages = []page{
	{"report", "/", "report.title"},
	{"track", "/track", "track.title"},
	{"login", "/staff/login", "login.title"},
	{"queue", "/staff", "queue.title"},
	{"case", "/staff/cases/:id", "case.title"},
	{"dashboard", "/dashboard", "dash.title"},
	{"public", "/public", "public.title"},
}

// Register adds the pages and their assets to e.
func Register(e *echo.Echo, opts Options) {
	geo := opts.Geo
	if geo == nil {
		geo = domain.DefaultGeography()
	}
	static, err := fs.Sub(files, "static")
	if err != nil {
		panic(err)
	}
	assets := http.StripPrefix("/static/", http.FileServer(http.FS(static)))
	e.GET("/static/*", func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=300")
		assets.ServeHTTP(c.Response(), c.Request())
		return nil
	})
	box := opts.MapBox
	if box == ([4]float64{}) {
		box = laoCai
	}
	e.GET("/public/incidents", incidents(opts.Cases))
	for _, p := range pages {
		tmpl := template.Must(template.New("layout.html").ParseFS(files, "templates/layout.html", "templates/"+p.name+".html"))
		e.GET(p.path, render(p, tmpl, geo, box))
	}
}

// view is what a template sees.
type view struct {
	Lang       string
	Page       string
	TitleKey   string
	Categories []domain.CategoryInfo
	Communes   []domain.Commune
	Units      []domain.Unit
	MapBox     string // south,west,north,east
	Max        limits
}

// limits are the server's text limits, in characters, for the forms'
// maxlength: taken from the domain so a form never lets through a text
// the API refuses (the name field once allowed 200 against 100).
type limits struct {
	Title, Description, Address, Name, Phone, Email, Reason, Comment int
}

var textLimits = limits{Title: domain.MaxTitle, Description: domain.MaxDescription, Address: domain.MaxAddress,
	Name: domain.MaxName, Phone: domain.MaxPhone, Email: domain.MaxEmail, Reason: domain.MaxReason, Comment: domain.MaxComment}

// T returns the message for key in the page's language.
func (v view) T(key string) string { return message(v.Lang, key) }

// Other is the language the switch offers.
func (v view) Other() string {
	if v.Lang == "en" {
		return "vi"
	}
	return "en"
}

// Name picks the Vietnamese or English name of a thing.
func (v view) Name(vi, en string) string {
	if v.Lang == "en" && en != "" {
		return en
	}
	return vi
}

func render(p page, tmpl *template.Template, geo *domain.Geography, box [4]float64) echo.HandlerFunc {
	return func(c echo.Context) error {
		lang := language(c)
		v := view{Lang: lang, Page: p.name, TitleKey: p.titleK, Categories: domain.Categories(),
			Communes: geo.Communes, Units: geo.Units, MapBox: fmt.Sprintf("%g,%g,%g,%g", box[0], box[1], box[2], box[3]),
			Max: textLimits}
		var buf bytes.Buffer
		if err := tmpl.Execute(&buf, v); err != nil {
			return err
		}
		h := c.Response().Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set(echo.HeaderCacheControl, "no-cache")
		h.Set(echo.HeaderVary, "Cookie")
		return c.HTMLBlob(http.StatusOK, buf.Bytes())
	}
}

// language is ?lang= (remembered in a cookie), else the cookie, else
// Vietnamese.
func language(c echo.Context) string {
	if q := c.QueryParam("lang"); q == "vi" || q == "en" {
		c.SetCookie(&http.Cookie{Name: LangCookie, Value: q, Path: "/", MaxAge: 365 * 24 * 3600,
			SameSite: http.SameSiteLaxMode})
		return q
	}
	if ck, err := c.Cookie(LangCookie); err == nil && strings.TrimSpace(ck.Value) == "en" {
		return "en"
	}
	return "vi"
}
