// Package openapitest holds the API to its OpenAPI document in tests: an
// http.RoundTripper that checks every answer of the native API against the
// document and records each mismatch, so a test binary can fail when the
// code and the document disagree. Only tests import it.
//
// It validates every answer, and a request only when the server accepted
// it (2xx): tests send malformed requests on purpose, and the document
// must describe what the server answers them, not refuse to describe them.
package openapitest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"
	"github.com/pb33f/libopenapi-validator/config"
	liberrors "github.com/pb33f/libopenapi-validator/errors"
	"github.com/pb33f/libopenapi-validator/helpers"
	"github.com/pb33f/libopenapi-validator/paths"
	v3 "github.com/pb33f/libopenapi/datamodel/high/v3"
)

// Covered reports whether the document describes a path: the native API,
// the health checks and the metrics. Open311 follows its own standard and
// the web pages are HTML; their answers are not checked.
func Covered(path string) bool {
	return path == "/api/v1" || strings.HasPrefix(path, "/api/v1/") ||
		path == "/healthz" || path == "/readyz" || path == "/metrics"
}

// Checker validates answers against an OpenAPI 3.1 document.
type Checker struct {
	mu    sync.Mutex // the validator's caches are not documented as safe for concurrent use
	v     validator.Validator
	model *v3.Document
	opts  *config.ValidationOptions
}

// NewChecker parses spec and refuses it if it is not a valid OpenAPI
// document: a checker built on a broken document would check nothing.
func NewChecker(spec []byte) (*Checker, error) {
	doc, err := libopenapi.NewDocument(spec)
	if err != nil {
		return nil, fmt.Errorf("openapitest: parse: %w", err)
	}
	if doc.GetSpecInfo().VersionNumeric < 3.1 {
		return nil, fmt.Errorf("openapitest: document is OpenAPI %s, want 3.1", doc.GetVersion())
	}
	// Formats (date-time, uuid, date) are asserted: a time in the wrong
	// shape is as wrong as a missing field.
	v, errs := validator.NewValidator(doc, config.WithFormatAssertions())
	if len(errs) > 0 {
		return nil, fmt.Errorf("openapitest: build validator: %w", errors.Join(errs...))
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		var msgs []string
		for _, e := range verrs {
			msgs = append(msgs, describe(e))
		}
		return nil, fmt.Errorf("openapitest: the document is not valid OpenAPI:\n%s", strings.Join(msgs, "\n"))
	}
	model, err := doc.BuildV3Model()
	if err != nil {
		return nil, fmt.Errorf("openapitest: build model: %w", err)
	}
	return &Checker{v: v, model: &model.Model, opts: config.NewValidationOptions()}, nil
}

// Check validates one answer against the operation its request names and
// returns what does not match: an undocumented path, method or status, a
// content type or body the document does not allow, a required header
// missing, an empty body where the document says there is one. A request
// the server accepted (2xx) must itself match the document: parameters,
// security and body (reqBody); otherwise the document refuses what the
// server takes. Both bodies must be buffered; resp.Body reads body again
// after Check.
func (c *Checker) Check(req *http.Request, reqBody []byte, resp *http.Response, body []byte) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	defer func() { resp.Body = io.NopCloser(bytes.NewReader(body)) }()

	// A path the document does not have (a staff action that does not
	// exist, say) answered as not found in the one error shape agrees
	// with the document; any other answer there is a violation.
	if item, _ := c.route(req); item == nil && resp.StatusCode == http.StatusNotFound {
		var e struct {
			Error struct{ Code, Message string } `json:"error"`
		}
		if json.Unmarshal(body, &e) == nil && e.Error.Code == "not_found" && e.Error.Message != "" {
			return nil
		}
	}
	var out []string
	if ok, errs := c.v.ValidateHttpResponse(req, resp); !ok {
		for _, e := range errs {
			out = append(out, describe(e))
		}
		if len(errs) == 0 {
			out = append(out, "invalid, with no reason given")
		}
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		r := req.Clone(req.Context())
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
		if ok, errs := c.v.ValidateHttpRequest(r); !ok {
			for _, e := range errs {
				out = append(out, "the server accepted a request the document refuses: "+describe(e))
			}
		}
	}
	// The library lets an empty body pass where the document says there
	// is content. (The other way round, HTTP itself keeps a body out of
	// the one answer documented without content, 204.)
	if doc := c.documented(req, resp.StatusCode); doc != nil && req.Method != http.MethodHead &&
		doc.Content != nil && doc.Content.Len() > 0 && len(body) == 0 {
		out = append(out, fmt.Sprintf("%d has an empty body; the document says it has content", resp.StatusCode))
	}
	return out
}

// route returns the document's path item for req and its path template.
func (c *Checker) route(req *http.Request) (*v3.PathItem, string) {
	item, errs, path := paths.FindPath(req, c.model, c.opts)
	if item == nil || len(errs) > 0 {
		return nil, ""
	}
	return item, path
}

// documented returns the documented response for req's operation and status.
func (c *Checker) documented(req *http.Request, status int) *v3.Response {
	item, _ := c.route(req)
	if item == nil {
		return nil
	}
	op := helpers.ExtractOperation(req, item)
	if op == nil || op.Responses == nil || op.Responses.Codes == nil {
		return nil
	}
	return op.Responses.Codes.GetOrZero(fmt.Sprint(status))
}

// Responses lists every documented response as "METHOD /path status".
func (c *Checker) Responses() []string {
	var out []string
	for path, item := range c.model.Paths.PathItems.FromOldest() {
		for method, op := range item.GetOperations().FromOldest() {
			if op.Responses == nil || op.Responses.Codes == nil {
				continue
			}
			for code := range op.Responses.Codes.KeysFromOldest() {
				out = append(out, strings.ToUpper(method)+" "+path+" "+code)
			}
		}
	}
	slices.Sort(out)
	return out
}

// describe renders a validation error with each schema failure on its own.
func describe(e *liberrors.ValidationError) string {
	msg := e.Message
	if e.Reason != "" {
		msg += " (" + e.Reason + ")"
	}
	for _, f := range e.SchemaValidationErrors {
		msg += fmt.Sprintf("\n      - %s at %s [%s]", f.Reason, f.FieldPath, f.KeywordLocation)
	}
	return msg
}

// Transport is an http.RoundTripper that checks every answer for a path
// the document covers and records the mismatches. It reads each such
// answer whole and hands the caller an identical body.
type Transport struct {
	Base    http.RoundTripper
	checker *Checker

	mu         sync.Mutex
	checked    int
	violations []string
	seen       map[string]bool // "METHOD /path status" of the answers checked
}

// NewTransport returns a Transport over base (http.DefaultTransport when nil).
func NewTransport(spec []byte, base http.RoundTripper) (*Transport, error) {
	c, err := NewChecker(spec)
	if err != nil {
		return nil, err
	}
	if base == nil {
		base = http.DefaultTransport
	}
	return &Transport{Base: base, checker: c}, nil
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !Covered(req.URL.Path) {
		return t.Base.RoundTrip(req)
	}
	// Keep the request body to check the request, and send a copy.
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		reqBody, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("openapitest: read the request body of %s %s: %w", req.Method, req.URL.Path, err)
		}
		sent := req.Clone(req.Context())
		sent.Body = io.NopCloser(bytes.NewReader(reqBody))
		sent.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(reqBody)), nil }
		req = sent
	}
	resp, err := t.Base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("openapitest: read the answer to %s %s: %w", req.Method, req.URL.Path, err)
	}
	problems := t.checker.Check(req, reqBody, resp, body)
	t.checker.mu.Lock()
	_, path := t.checker.route(req)
	t.checker.mu.Unlock()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.checked++
	if path != "" {
		if t.seen == nil {
			t.seen = map[string]bool{}
		}
		t.seen[fmt.Sprintf("%s %s %d", req.Method, path, resp.StatusCode)] = true
	}
	for _, p := range problems {
		t.violations = append(t.violations, fmt.Sprintf("%s %s → %d: %s\n    body: %s",
			req.Method, req.URL.Path, resp.StatusCode, p, excerpt(body)))
	}
	return resp, nil
}

// Install puts a Transport checking against spec on http.DefaultClient, for
// a test binary's TestMain: every answer its tests receive through the
// default client is checked. Report ends the run.
func Install(spec []byte) (*Transport, error) {
	tr, err := NewTransport(spec, http.DefaultTransport)
	if err != nil {
		return nil, err
	}
	http.DefaultClient.Transport = tr
	return tr, nil
}

// Report prints the mismatches recorded (with -v, also how many answers
// were checked and the documented responses none of them showed) and
// returns the exit code the test binary should end with: code, or 1 if
// any answer did not match the document, whichever test received it.
func (t *Transport) Report(code int) int {
	if v := t.Violations(); len(v) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: %d answer(s) of the native API do not match api/openapi.json:\n", len(v))
		for _, s := range v {
			fmt.Fprintln(os.Stderr, "  "+s)
		}
		return 1
	}
	if testing.Verbose() {
		unseen := t.Unseen()
		fmt.Printf("openapi: %d answers checked against api/openapi.json, all match; %d documented responses not exercised:\n",
			t.Checked(), len(unseen))
		for _, r := range unseen {
			fmt.Println("  " + r)
		}
	}
	return code
}

// Checked is how many answers were checked.
func (t *Transport) Checked() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.checked
}

// Violations returns every mismatch recorded so far.
func (t *Transport) Violations() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.violations...)
}

// Unseen lists the documented responses no checked answer was: the parts
// of the document the tests do not hold to the code.
func (t *Transport) Unseen() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for _, r := range t.checker.Responses() {
		if !t.seen[r] {
			out = append(out, r)
		}
	}
	return out
}

// Reset forgets the recorded mismatches (for tests of the checker itself).
func (t *Transport) Reset() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.violations, t.checked, t.seen = nil, 0, nil
}

func excerpt(b []byte) string {
	const max = 400
	if len(b) > max {
		return string(b[:max]) + "…"
	}
	return string(b)
}
