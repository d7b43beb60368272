package open311

import (
	"context"
	"encoding/xml"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"phananh/cases"
	"phananh/domain"
	"phananh/projections"
	"phananh/ratelimit"
)

// Prefix is where the GeoReport v2 endpoints live.
const Prefix = "/open311/v2"

// Limits from the standard and of this server.
const (
	MaxResults   = 1000                // per GET requests
	MaxSpan      = 90 * 24 * time.Hour // between start_date and end_date
	MaxFormBytes = 64 << 10            // a POST's form body
)

// Keys checks an api_key and returns the client's name. It returns an
// error wrapping Deps.InvalidKey for a key that is not good (malformed,
// unknown, revoked), other errors when it cannot tell.
type Keys interface {
	Check(ctx context.Context, key string) (string, error)
}

// Deps are what the Open311 endpoints need. Service, View and Keys are
// required; InvalidKey is the error Keys returns for a bad key.
type Deps struct {
	Service    *cases.Service
	View       *projections.CaseView
	Keys       Keys
	InvalidKey error
	Log        *slog.Logger
	// Ready reports whether the read models have caught up; until then
	// reads answer 503. Nil: always ready.
	Ready func() bool
	// Contact is the discovery's contact line; empty: a generic one.
	Contact string
	// Now defaults to the wall clock.
	Now func() time.Time
	// Submit and Lookup are the per-address rates of POST requests and of
	// reads by id or token; nil limits nothing. ClientKey names the
	// client (api.ClientKey); nil means the connection's address.
	Submit, Lookup *ratelimit.Limiter
	ClientKey      func(echo.Context) string
}

type handler struct {
	d Deps
}

// Register adds the endpoints under Prefix to e. Every answer under the
// prefix, an unknown path included, is in Open311's shape.
func Register(e *echo.Echo, d Deps) {
	if d.Service == nil || d.View == nil || d.Keys == nil || d.InvalidKey == nil {
		panic("open311: service, view and keys are required")
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.ClientKey == nil {
		d.ClientKey = func(c echo.Context) string { return c.RealIP() }
	}
	if d.Contact == "" {
		d.Contact = "Liên hệ đơn vị vận hành phananh của tỉnh / contact the province's phananh operator"
	}
	h := &handler{d: d}
	g := e.Group(Prefix)
	// Any, then the method checked here: a wrong method answers 405 in
	// Open311's shape, not in the native API's.
	g.Any("/:resource", h.top)
	g.Any("/services/:code", h.get(h.serviceDefinition))
	g.Any("/requests/:id", h.get(h.limited(h.d.Lookup, h.request)))
	g.Any("/tokens/:token", h.get(h.limited(h.d.Lookup, h.token)))
	g.Any("", h.notFound)
	g.Any("/*", h.notFound)
}

// format is the answer's format: the path's .json or .xml suffix, else the
// format parameter, else XML (the standard's required format).
type format int

const (
	formatXML format = iota
	formatJSON
)

// suffix is the path suffix that asks for the format.
func (f format) suffix() string {
	if f == formatJSON {
		return ".json"
	}
	return ".xml"
}

// splitFormat strips a .json or .xml suffix from a path element.
func splitFormat(c echo.Context, elem string) (string, format, bool) {
	if name, ok := strings.CutSuffix(elem, ".json"); ok {
		return name, formatJSON, true
	}
	if name, ok := strings.CutSuffix(elem, ".xml"); ok {
		return name, formatXML, true
	}
	switch strings.ToLower(c.QueryParam("format")) {
	case "json":
		return elem, formatJSON, true
	case "xml", "":
		return elem, formatXML, true
	}
	return elem, formatXML, false
}

// apiError is an error to answer with: an HTTP status (also the error's
// code, as the standard's examples do) and a description.
type apiError struct {
	status      int
	description string
}

func (e *apiError) Error() string { return e.description }

func failf(status int, description string) error {
	return &apiError{status: status, description: description}
}

// errorXML and errorJSON are the standard's error shape.
type errorsXML struct {
	XMLName xml.Name    `xml:"errors"`
	Errors  []errorJSON `xml:"error"`
}

type errorJSON struct {
	Code        int    `json:"code" xml:"code"`
	Description string `json:"description" xml:"description"`
}

// render writes v in the format; for XML, wrapped is what is marshalled
// (a list needs its enclosing element).
func render(c echo.Context, f format, status int, v, wrapped any) error {
	if f == formatJSON {
		return c.JSON(status, v)
	}
	return c.XML(status, wrapped)
}

// fail writes err in the standard's error shape.
func (h *handler) fail(c echo.Context, f format, err error) error {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = fromDomain(err)
	}
	if ae.status >= 500 {
		h.d.Log.Error("open311 request failed", "method", c.Request().Method, "path", c.Path(), "err", err)
	}
	list := []errorJSON{{Code: ae.status, Description: ae.description}}
	return render(c, f, ae.status, list, errorsXML{Errors: list})
}

// paramNames names, for a domain field, the Open311 parameter at fault.
var paramNames = map[string]string{
	"category": "service_code", "kind": "service_code", "title": "attribute[title]",
	"description": "description", "location": "lat/long", "location.commune": "attribute[commune]",
	"location.address": "address_string", "reporter": "first_name/last_name",
	"reporter.name": "first_name/last_name", "reporter.phone": "phone", "reporter.email": "email",
}

// fromDomain turns a domain error into a status and a description naming
// the Open311 parameter at fault. Faults of ours say nothing more.
func fromDomain(err error) *apiError {
	var de *domain.Error
	if !errors.As(err, &de) {
		return &apiError{http.StatusInternalServerError, "internal error; try again later"}
	}
	status := http.StatusBadRequest
	switch de.Code {
	case domain.ENOTFOUND:
		status = http.StatusNotFound
	case domain.ECONFLICT, domain.EDuplicateSubmitted, domain.EVersionConflict:
		status = http.StatusConflict
	case domain.EFORBIDDEN:
		status = http.StatusForbidden
	case domain.EUnavailable:
		return &apiError{http.StatusServiceUnavailable, "the server is catching up with the log; try again shortly"}
	case domain.EINTERNAL:
		return &apiError{http.StatusInternalServerError, "internal error; try again later"}
	}
	desc := de.Message
	if p, ok := paramNames[de.Field]; ok {
		desc = p + ": " + desc
	} else if de.Field != "" {
		desc = de.Field + ": " + desc
	}
	return &apiError{status, desc}
}

func (h *handler) notFound(c echo.Context) error {
	_, f, _ := splitFormat(c, c.Request().URL.Path)
	return h.fail(c, f, failf(http.StatusNotFound, "no such Open311 endpoint; see "+Prefix+"/discovery.xml"))
}

// top serves discovery, services and requests (GET and POST).
func (h *handler) top(c echo.Context) error {
	name, f, ok := splitFormat(c, c.Param("resource"))
	if !ok {
		return h.fail(c, f, failf(http.StatusBadRequest, "format is json or xml"))
	}
	method := c.Request().Method
	switch {
	case name == "requests" && method == http.MethodPost:
		return h.limited(h.d.Submit, func(c echo.Context, f format, _ string) error { return h.post(c, f) })(c, f, "")
	case name == "discovery" || name == "services" || name == "requests":
		if method != http.MethodGet && method != http.MethodHead {
			return h.fail(c, f, failf(http.StatusMethodNotAllowed, "method "+method+" not allowed here"))
		}
	default:
		return h.notFound(c)
	}
	switch name {
	case "discovery":
		return h.discovery(c, f)
	case "services":
		return h.services(c, f)
	}
	return h.requests(c, f)
}

// limited answers 429 in the standard's shape, with Retry-After, once the
// client's bucket in l is empty.
func (h *handler) limited(l *ratelimit.Limiter, fn func(c echo.Context, f format, param string) error) func(c echo.Context, f format, param string) error {
	return func(c echo.Context, f format, param string) error {
		if wait, ok := l.Allow(h.d.ClientKey(c), h.d.Now()); !ok {
			c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
			return h.fail(c, f, failf(http.StatusTooManyRequests,
				"rate_limited: quá nhiều yêu cầu, vui lòng thử lại sau / too many requests; wait before trying again"))
		}
		return fn(c, f, param)
	}
}

// get wraps a GET endpoint with a path parameter.
func (h *handler) get(fn func(c echo.Context, f format, param string) error) echo.HandlerFunc {
	return func(c echo.Context) error {
		names := c.ParamNames()
		param, f, ok := splitFormat(c, c.Param(names[len(names)-1]))
		if !ok {
			return h.fail(c, f, failf(http.StatusBadRequest, "format is json or xml"))
		}
		if m := c.Request().Method; m != http.MethodGet && m != http.MethodHead {
			return h.fail(c, f, failf(http.StatusMethodNotAllowed, "method "+m+" not allowed here"))
		}
		return fn(c, f, param)
	}
}
