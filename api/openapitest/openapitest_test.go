package openapitest_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"phananh/api"
	"phananh/api/openapitest"
)

// TestDocumentIsValidOpenAPI31: the served document passes the library's
// validation against the OpenAPI 3.1 schema, and a broken one does not.
func TestDocumentIsValidOpenAPI31(t *testing.T) {
	if _, err := openapitest.NewChecker(api.OpenAPI()); err != nil {
		t.Fatalf("api/openapi.json: %v", err)
	}
	broken := []struct {
		name, from, to string
	}{
		// A response object must have a description.
		{"response without description", `"description": "Alive."`, `"summary": "Alive."`},
		// 3.0 documents are refused: the document relies on 3.1 (type arrays, if/then).
		{"not 3.1", `"openapi": "3.1.0"`, `"openapi": "3.0.3"`},
		// A parameter's "in" has a fixed set of values.
		{"parameter in body", `"in": "query"`, `"in": "body"`},
	}
	for _, tc := range broken {
		t.Run(tc.name, func(t *testing.T) {
			doc := bytes.Replace(api.OpenAPI(), []byte(tc.from), []byte(tc.to), 1)
			if bytes.Equal(doc, api.OpenAPI()) {
				t.Fatalf("%q not found in the document", tc.from)
			}
			if _, err := openapitest.NewChecker(doc); err == nil {
				t.Errorf("a document with %s was accepted", tc.name)
			}
		})
	}
}

const report = `{"id":"01a22224-f499-7aa4-b362-a28339f66849","category":"pollution.water","title":"Nước suối đổi màu","description":"Nước có màu đen.","location":{"commune":"lao-cai"},"anonymous":true}`

const receipt = `{"id":"01a22224-f499-7aa4-b362-a28339f66849","tracking_code":"ABCD-1234","status":"received","unit":"ubnd.lao-cai","deadline":"2026-12-01T00:00:00+07:00","seq":7}`

// TestTransportReportsWrongAnswers sends requests through the checking
// transport to a server that answers as told, and expects each wrong
// answer to be reported, and each right one or one out of scope not.
func TestTransportReportsWrongAnswers(t *testing.T) {
	type answer struct {
		status  int
		ctype   string
		headers map[string]string
		body    string
	}
	cases := []struct {
		name         string
		method, path string
		request      string // the request body, JSON; none when empty
		answer       answer
		want         string // a part of the violation; "" for none
	}{
		{"a right receipt", "POST", "/api/v1/reports", report,
			answer{201, "application/json", map[string]string{"Location": "/api/v1/reports/01a22224-f499-7aa4-b362-a28339f66849"}, receipt}, ""},
		{"receipt without tracking_code", "POST", "/api/v1/reports", report,
			answer{201, "application/json", map[string]string{"Location": "/api/v1/reports/01a22224-f499-7aa4-b362-a28339f66849"},
				strings.Replace(receipt, `"tracking_code":"ABCD-1234",`, "", 1)}, "tracking_code"},
		{"receipt without Location", "POST", "/api/v1/reports", report,
			answer{201, "application/json", nil, receipt}, "Location"},
		{"undocumented status", "POST", "/api/v1/reports", report,
			answer{418, "application/json", nil, `{"error":{"code":"invalid","message":"x"}}`}, "418"},
		{"status outside the enum", "POST", "/api/v1/reports", report,
			answer{200, "application/json", nil, strings.Replace(receipt, `"received"`, `"pending"`, 1)}, "status"},
		{"unknown error code", "GET", "/api/v1/reports/01a22224-f499-7aa4-b362-a28339f66849", "",
			answer{404, "application/json", nil, `{"error":{"code":"no_such_thing","message":"x"}}`}, "code"},
		{"429 without Retry-After", "POST", "/api/v1/auth/login", `{"name":"a","password":"b"}`,
			answer{429, "application/json", nil, `{"error":{"code":"rate_limited","message":"x"}}`}, "Retry-After"},
		{"version conflict without current_version", "POST", "/api/v1/cases/01a22224-f499-7aa4-b362-a28339f66849/accept", "",
			answer{409, "application/json", nil, `{"error":{"code":"version_conflict","message":"x"}}`}, "current_version"},
		{"a right version conflict", "POST", "/api/v1/cases/01a22224-f499-7aa4-b362-a28339f66849/accept", "",
			answer{409, "application/json", nil, `{"error":{"code":"version_conflict","message":"x","current_version":3}}`}, ""},
		{"HTML where JSON is documented", "GET", "/healthz", "",
			answer{200, "text/html", nil, `<p>ok</p>`}, "content"},
		{"empty body where one is documented", "GET", "/api/v1/kinds", "",
			answer{200, "application/json", nil, ""}, "empty body"},
		{"an answer on a path the document lacks", "GET", "/api/v1/nope", "",
			answer{200, "application/json", nil, `{"status":"ok"}`}, "not found"},
		{"a path the document lacks, not found", "GET", "/api/v1/nope", "",
			answer{404, "application/json", nil, `{"error":{"code":"not_found","message":"x"}}`}, ""},
		{"a path the document lacks, 404 not in the error shape", "GET", "/api/v1/nope", "",
			answer{404, "text/plain", nil, `404 page not found`}, "not found"},
		{"undocumented method", "DELETE", "/api/v1/reports", "",
			answer{405, "application/json", nil, `{"error":{"code":"method_not_allowed","message":"x"}}`}, "DELETE"},
		{"Open311 is not checked", "GET", "/open311/v2/services.json", "",
			answer{418, "text/plain", nil, "whatever"}, ""},
		{"web pages are not checked", "GET", "/tra-cuu", "",
			answer{200, "text/html", nil, "<html></html>"}, ""},
		{"an accepted report the document refuses", "POST", "/api/v1/reports", `{"category":"pollution.water","title":7}`,
			answer{201, "application/json", map[string]string{"Location": "/api/v1/reports/01a22224-f499-7aa4-b362-a28339f66849"}, receipt}, "accepted a request"},
		{"a refused report is not checked as a request", "POST", "/api/v1/reports", `{"title":7}`,
			answer{400, "application/json", nil, `{"error":{"code":"invalid","message":"x","field":"title"}}`}, ""},
		{"an accepted action without If-Match", "POST", "/api/v1/cases/01a22224-f499-7aa4-b362-a28339f66849/close", "",
			answer{200, "application/json", map[string]string{"ETag": `"3"`}, `{"id":"01a22224-f499-7aa4-b362-a28339f66849","version":3,"seq":3,"status":"closed","deadline":null}`}, "If-Match"},
	}
	// One transport (building one compiles every schema); Reset between cases.
	tr, err := openapitest.NewTransport(api.OpenAPI(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr.Reset()
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for k, v := range tc.answer.headers {
					w.Header().Set(k, v)
				}
				w.Header().Set("Content-Type", tc.answer.ctype)
				w.WriteHeader(tc.answer.status)
				io.WriteString(w, tc.answer.body)
			}))
			defer srv.Close()
			var body io.Reader
			if tc.request != "" {
				body = strings.NewReader(tc.request)
			}
			req, err := http.NewRequest(tc.method, srv.URL+tc.path, body)
			if err != nil {
				t.Fatal(err)
			}
			if tc.request != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			// Accepted staff actions must carry what the document asks.
			if strings.HasPrefix(tc.path, "/api/v1/cases/") && !strings.Contains(tc.name, "without If-Match") {
				req.Header.Set("If-Match", `"2"`)
			}
			if strings.HasPrefix(tc.path, "/api/v1/cases/") {
				req.Header.Set("Authorization", "Bearer x")
			}
			resp, err := (&http.Client{Transport: tr}).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.answer.body {
				t.Errorf("the caller read %q, the server sent %q", got, tc.answer.body)
			}
			v := tr.Violations()
			switch {
			case tc.want == "" && len(v) > 0:
				t.Errorf("violations for a right answer: %v", v)
			case tc.want != "" && len(v) == 0:
				t.Errorf("no violation reported, want one about %q", tc.want)
			case tc.want != "" && !strings.Contains(strings.Join(v, "\n"), tc.want):
				t.Errorf("violations %v do not mention %q", v, tc.want)
			}
		})
	}
}
