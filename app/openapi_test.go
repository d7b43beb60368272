package app_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"phananh/api"
	"phananh/api/openapitest"
)

// apiCheck checks every answer the tests get through http.DefaultClient
// (do, postJSON, http.Get…) against api/openapi.json.
var apiCheck *openapitest.Transport

// TestMain installs the OpenAPI check and fails the run if any answer of
// the native API did not match its document, whichever test received it.
func TestMain(m *testing.M) {
	tr, err := openapitest.NewTransport(api.OpenAPI(), http.DefaultTransport)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	apiCheck = tr
	http.DefaultClient.Transport = tr
	code := m.Run()
	if v := tr.Violations(); len(v) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: %d answer(s) of the native API do not match api/openapi.json:\n", len(v))
		for _, s := range v {
			fmt.Fprintln(os.Stderr, "  "+s)
		}
		code = 1
	} else if testing.Verbose() {
		fmt.Printf("openapi: %d answers checked against api/openapi.json, all match\n", tr.Checked())
	}
	os.Exit(code)
}

// TestOpenAPIDescribesEveryRoute holds the document to the routes the
// running app registers: each route of the native API has an operation,
// and each operation is a registered route (no stale paths).
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	a := startApp(t, t.TempDir())

	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("openapi = %q, want 3.1.x", doc.OpenAPI)
	}
	documented := map[string]bool{}
	for path, item := range doc.Paths {
		for method := range item {
			switch method {
			case "get", "put", "post", "delete", "options", "head", "patch", "trace":
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
	}

	param := regexp.MustCompile(`:([a-z_]+)`)
	registered := map[string]bool{}
	for _, r := range a.Routes() {
		if !openapitest.Covered(r.Path) {
			continue
		}
		path := param.ReplaceAllString(r.Path, "{$1}")
		if path == "/api/v1/cases/{id}/{action}" {
			// One route serves every staff action; the document gives each
			// its own path, with its own body.
			for _, action := range api.ActionNames() {
				registered[r.Method+" /api/v1/cases/{id}/"+action] = true
			}
			continue
		}
		registered[r.Method+" "+path] = true
	}
	if len(registered) < 20 {
		t.Fatalf("only %d routes registered under the native API: %v", len(registered), registered)
	}
	for _, missing := range difference(registered, documented) {
		t.Errorf("route %s has no operation in api/openapi.json", missing)
	}
	for _, stale := range difference(documented, registered) {
		t.Errorf("api/openapi.json documents %s, which no route serves", stale)
	}
}

func difference(a, b map[string]bool) []string {
	var out []string
	for k := range a {
		if !b[k] {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// TestOpenAPIDocumentIsServed: GET /api/v1/openapi.json answers the
// embedded document, as JSON; the check itself saw the answer.
func TestOpenAPIDocumentIsServed(t *testing.T) {
	a := startApp(t, t.TempDir())
	before := apiCheck.Checked()
	r := do(t, a, http.MethodGet, "/api/v1/openapi.json", "", nil)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /api/v1/openapi.json = %d: %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if !bytes.Equal(r.Body, api.OpenAPI()) {
		t.Errorf("served document differs from the embedded one (%d bytes, want %d)", len(r.Body), len(api.OpenAPI()))
	}
	if got := apiCheck.Checked(); got <= before {
		t.Errorf("the OpenAPI check saw no answer (checked %d before, %d after): is it installed on http.DefaultClient?", before, got)
	}
}
