// Package api serves phananh over HTTP with Echo: thin handlers that bind
// and validate a request, call the cases service and render the answer.
// Errors leave in one JSON shape, in Vietnamese or English.
package api

import (
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"phananh/cases"
	"phananh/staff"
)

// Limits on request sizes.
const (
	DefaultMaxJSONBytes   = 64 << 10 // a report's texts are at most ~25 KB of UTF-8
	DefaultMaxUploadBytes = 10 << 20 // per file; the store enforces the same limit by content
)

// Config is what the HTTP layer needs.
type Config struct {
	Service *cases.Service
	// Ready reports whether the stream exists and the read models have
	// caught up; /readyz answers 503 until it does.
	Ready func() bool
	// Unavailable, when set, names what keeps a ready replica from serving
	// now (e.g. "nats_disconnected"); /readyz answers 503 with it.
	Unavailable    func() string
	Log            *slog.Logger
	MaxJSONBytes   int64
	MaxUploadBytes int64
	// Users, when set, enables staff login; Tokens is then required.
	// Throttle slows password guessing; nil means the default one.
	Users    *staff.Directory
	Tokens   *staff.Tokens
	Throttle *staff.Throttle
	// Revoked, when set, is where logout ends a token for every replica.
	Revoked *staff.Revocations
	// Limiters hold the per-address request rates; nil means DefaultLimits.
	Limiters *Limiters
	// TrustedProxies are the proxies whose X-Forwarded-For is believed;
	// none: the connection's address is the client's.
	TrustedProxies []netip.Prefix
	// HSTSMaxAge, when positive, sends Strict-Transport-Security on
	// requests that arrived over TLS (or through a proxy saying so in
	// X-Forwarded-Proto). Only for a deployment served over HTTPS.
	HSTSMaxAge time.Duration
}

type server struct {
	svc *cases.Service
	cfg Config
	log *slog.Logger
	lim *Limiters
}

// New returns the HTTP handler of phananh.
func New(cfg Config) *echo.Echo {
	if cfg.Service == nil || cfg.Ready == nil {
		panic("api: service and readiness are required")
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	if cfg.MaxJSONBytes <= 0 {
		cfg.MaxJSONBytes = DefaultMaxJSONBytes
	}
	if cfg.MaxUploadBytes <= 0 {
		cfg.MaxUploadBytes = DefaultMaxUploadBytes
	}
	if cfg.Limiters == nil {
		cfg.Limiters = NewLimiters(DefaultLimits())
	}
	s := &server{svc: cfg.Service, cfg: cfg, log: cfg.Log, lim: cfg.Limiters}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler(cfg.Log)
	TrustProxies(e, cfg.TrustedProxies)
	e.Use(saneRequestID)
	e.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{
		Generator: func() string { return uuid.Must(uuid.NewV7()).String() },
	}))
	e.Use(s.accessLog)
	e.Use(middleware.Recover())
	e.Use(middleware.SecureWithConfig(middleware.SecureConfig{
		XSSProtection: "0", ContentTypeNosniff: "nosniff", XFrameOptions: "DENY",
		ReferrerPolicy: "no-referrer",
		// The API answers data, never a page: nothing in it may run or be
		// framed. The web pages set their own policy over this one.
		ContentSecurityPolicy: "default-src 'none'; frame-ancestors 'none'",
		// Only where the operator serves HTTPS; Echo sends it only on TLS
		// requests (or X-Forwarded-Proto: https from the proxy).
		HSTSMaxAge: int(cfg.HSTSMaxAge.Seconds()),
	}))

	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)

	v1 := e.Group("/api/v1")
	submit, lookup := limit(s.lim.Submit), limit(s.lim.Lookup)
	v1.POST("/reports", s.submitReport, submit, noStore)
	v1.GET("/reports/:id", s.getReport, lookup, noStore)
	v1.POST("/reports/:id/attachments", s.addAttachment, lookup, submit, noStore)
	v1.GET("/reports/:id/attachments/:file", s.getCitizenAttachment, lookup, noStore)
	v1.GET("/categories", s.listCategories)
	v1.GET("/kinds", s.listKinds)
	v1.GET("/communes", s.listCommunes)
	v1.GET("/units", s.listUnits)
	v1.GET("/openapi.json", s.openAPI)
	v1.POST("/reports/:id/feedback", s.citizenAction(feedbackBody), lookup, noStore)
	v1.POST("/reports/:id/reopen", s.citizenAction(actionBodies["reopen"]), lookup, noStore)
	s.registerDashboard(v1)
	if cfg.Users != nil {
		s.registerAuth(v1)
		v1.GET("/cases/:id", s.getCase, s.requireStaff)
		v1.POST("/cases/:id/attachments", s.addCaseAttachment, s.requireStaff)
		v1.GET("/cases/:id/attachments/:file", s.getCaseAttachment, s.requireStaff)
		v1.POST("/cases/:id/:action", s.caseAction, s.requireStaff)
		v1.GET("/queues/:unit", s.getQueue, s.requireStaff)
	}
	return e
}

// noStore keeps an answer out of every cache: it carries a citizen's view
// (or their tracking code), or a staff member's.
func noStore(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		return next(c)
	}
}

// accessLog logs one structured line per request. It logs the route
// pattern, never the query string: a tracking code may travel in ?code=.
func (s *server) accessLog(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		status := c.Response().Status
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		s.log.LogAttrs(c.Request().Context(), level, "http",
			slog.String("method", c.Request().Method),
			slog.String("route", c.Path()),
			slog.Int("status", status),
			slog.Float64("duration_ms", float64(time.Since(start).Microseconds())/1000),
			slog.String("request_id", c.Response().Header().Get(echo.HeaderXRequestID)))
		return nil
	}
}

func (s *server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *server) readyz(c echo.Context) error {
	if s.cfg.Unavailable != nil {
		if why := s.cfg.Unavailable(); why != "" {
			return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": why})
		}
	}
	if !s.cfg.Ready() {
		return c.JSON(http.StatusServiceUnavailable, map[string]string{"status": "starting"})
	}
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

// maxRequestID bounds an X-Request-ID that a client or a proxy sends: the
// id is logged, and stored with every event the request appends, in a log
// that is never rewritten.
const maxRequestID = 64

// saneRequestID drops an incoming X-Request-ID longer than maxRequestID or
// holding anything but ASCII letters, digits and . _ : - + / = # (a UUID,
// a proxy's hex, base64 or "uuid#counter" id), so that the server makes
// its own: a client could otherwise store up to a header's 64 KiB of any
// text on each event.
func saneRequestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Request().Header
		if id := h.Get(echo.HeaderXRequestID); id != "" && !validRequestID(id) {
			h.Del(echo.HeaderXRequestID)
		}
		return next(c)
	}
}

func validRequestID(id string) bool {
	if len(id) > maxRequestID {
		return false
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("._:-+/=#", r):
		default:
			return false
		}
	}
	return true
}
