package app_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"phananh/app"
	"phananh/domain"
)

// o311Request is a service request as a GeoReport v2 client decodes it.
type o311Request struct {
	ID                string   `json:"service_request_id" xml:"service_request_id"`
	Token             string   `json:"token" xml:"token"`
	Status            string   `json:"status" xml:"status"`
	StatusNotes       string   `json:"status_notes" xml:"status_notes"`
	ServiceName       string   `json:"service_name" xml:"service_name"`
	ServiceCode       string   `json:"service_code" xml:"service_code"`
	ServiceNotice     string   `json:"service_notice" xml:"service_notice"`
	AgencyResponsible string   `json:"agency_responsible" xml:"agency_responsible"`
	RequestedDatetime string   `json:"requested_datetime" xml:"requested_datetime"`
	UpdatedDatetime   string   `json:"updated_datetime" xml:"updated_datetime"`
	ExpectedDatetime  string   `json:"expected_datetime" xml:"expected_datetime"`
	Address           string   `json:"address" xml:"address"`
	Description       string   `json:"description" xml:"description"`
	Lat               *float64 `json:"lat" xml:"lat"`
	Long              *float64 `json:"long" xml:"long"`
}

type o311Service struct {
	Code     string `json:"service_code" xml:"service_code"`
	Name     string `json:"service_name" xml:"service_name"`
	Metadata bool   `json:"metadata" xml:"metadata"`
	Type     string `json:"type" xml:"type"`
	Group    string `json:"group" xml:"group"`
}

type o311Definition struct {
	Code       string `json:"service_code" xml:"service_code"`
	Attributes []struct {
		Code     string `json:"code" xml:"code"`
		Datatype string `json:"datatype" xml:"datatype"`
		Required bool   `json:"required" xml:"required"`
		Values   []struct {
			Key string `json:"key" xml:"key"`
		} `json:"values" xml:"values>value"`
	} `json:"attributes" xml:"attributes>attribute"`
}

type o311Discovery struct {
	Endpoints []struct {
		URL     string   `json:"url" xml:"url"`
		Formats []string `json:"formats" xml:"formats>format"`
	} `json:"endpoints" xml:"endpoints>endpoint"`
}

type o311Error struct {
	Code        int    `json:"code" xml:"code"`
	Description string `json:"description" xml:"description"`
}

// o311 talks GeoReport v2 to an app in one format, json or xml.
type o311 struct {
	t   *testing.T
	a   *app.App
	fmt string
}

func (o o311) get(path string, q url.Values) response {
	o.t.Helper()
	p := "/open311/v2/" + path + "." + o.fmt
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	return do(o.t, o.a, http.MethodGet, p, "", nil)
}

func (o o311) post(form url.Values) response {
	o.t.Helper()
	return do(o.t, o.a, http.MethodPost, "/open311/v2/requests."+o.fmt, "application/x-www-form-urlencoded", []byte(form.Encode()))
}

// decode reads a body in the format; a list in XML sits in an enclosing
// element, so the caller passes what XML unmarshals into as xmlV.
func (o o311) decode(r response, jsonV, xmlV any) {
	o.t.Helper()
	wantType := map[string]string{"json": "application/json", "xml": "application/xml"}[o.fmt]
	if got := r.Header.Get("Content-Type"); !strings.HasPrefix(got, wantType) {
		o.t.Errorf("Content-Type = %q, want %s", got, wantType)
	}
	var err error
	if o.fmt == "json" {
		err = json.Unmarshal(r.Body, jsonV)
	} else {
		err = xml.Unmarshal(r.Body, xmlV)
	}
	if err != nil {
		o.t.Fatalf("decode %s %d: %v: %s", o.fmt, r.Status, err, r.Body)
	}
}

func (o o311) requests(r response) []o311Request {
	o.t.Helper()
	if r.Status != http.StatusOK && r.Status != http.StatusCreated {
		o.t.Fatalf("answer = %d %s", r.Status, r.Body)
	}
	var list []o311Request
	var wrapped struct {
		Requests []o311Request `xml:"request"`
	}
	o.decode(r, &list, &wrapped)
	if o.fmt == "xml" {
		list = wrapped.Requests
	}
	return list
}

// fails checks an answer is the standard's error shape with the status.
func (o o311) fails(r response, status int, contains string) {
	o.t.Helper()
	if r.Status != status {
		o.t.Errorf("status = %d %s, want %d", r.Status, r.Body, status)
		return
	}
	var list []o311Error
	var wrapped struct {
		XMLName xml.Name    `xml:"errors"`
		Errors  []o311Error `xml:"error"`
	}
	o.decode(r, &list, &wrapped)
	if o.fmt == "xml" {
		list = wrapped.Errors
	}
	if len(list) != 1 || list[0].Code != status || !strings.Contains(list[0].Description, contains) {
		o.t.Errorf("errors = %+v (%s), want one with code %d mentioning %q", list, r.Body, status, contains)
	}
}

func requestIDs(list []o311Request) []string {
	out := make([]string, len(list))
	for i, r := range list {
		out[i] = r.ID
	}
	return out
}

var trackingCodeRE = regexp.MustCompile(`[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}`)

// A GeoReport v2 client's whole round trip, in JSON and in XML: discover,
// list services, read a service's attributes, post a request with an API
// key, read it back, find it by date range and status, and see it closed
// once staff close it through the native API.
func TestOpen311RoundTrip(t *testing.T) {
	a := startStaffApp(t, nil)
	crew := hire(t, a, member{"lc.officer", "ubnd.lao-cai", domain.RoleOfficer}, member{"lc.head", "ubnd.lao-cai", domain.RoleUnitHead})
	key, err := a.APIKeys.Add(context.Background(), "hue-311-app")
	if err != nil {
		t.Fatal(err)
	}
	for _, format := range []string{"json", "xml"} {
		t.Run(format, func(t *testing.T) {
			o := o311{t: t, a: a, fmt: format}

			// Discover.
			var disc o311Discovery
			o.decode(o.get("discovery", nil), &disc, &disc)
			if len(disc.Endpoints) != 1 || !strings.HasSuffix(disc.Endpoints[0].URL, "/open311/v2") ||
				!slices.Contains(disc.Endpoints[0].Formats, "text/xml") || !slices.Contains(disc.Endpoints[0].Formats, "application/json") {
				t.Errorf("discovery = %+v", disc)
			}

			// Services: one per category.
			var services []o311Service
			var servicesXML struct {
				Services []o311Service `xml:"service"`
			}
			o.decode(o.get("services", nil), &services, &servicesXML)
			if format == "xml" {
				services = servicesXML.Services
			}
			if got, want := len(services), len(domain.Categories()); got != want {
				t.Fatalf("%d services, want %d", got, want)
			}
			for _, s := range services {
				if s.Type != "realtime" || s.Group != domain.Category(s.Code).Group() || !s.Metadata {
					t.Errorf("service %+v: want type realtime, group of its code, metadata true", s)
				}
				if s.Code == "pollution.water" && s.Name != "Ô nhiễm nguồn nước" {
					t.Errorf("service_name of pollution.water = %q", s.Name)
				}
			}
			var def o311Definition
			o.decode(o.get("services/pollution.water", nil), &def, &def)
			if def.Code != "pollution.water" || len(def.Attributes) == 0 || def.Attributes[0].Code != "commune" ||
				!def.Attributes[0].Required || def.Attributes[0].Datatype != "singlevaluelist" ||
				!slices.ContainsFunc(def.Attributes[0].Values, func(v struct {
					Key string `json:"key" xml:"key"`
				}) bool {
					return v.Key == "lao-cai"
				}) {
				t.Errorf("service definition = %+v", def)
			}
			o.fails(o.get("services/no.such", nil), http.StatusNotFound, "no.such")

			// Post a request.
			before := time.Now()
			form := url.Values{
				"api_key": {key}, "service_code": {"pollution.water"},
				"lat": {"22.48561"}, "long": {"103.97071"}, "address_string": {"Suối Ngòi Đường, tổ 5"},
				"attribute[commune]": {"lao-cai"},
				"description":        {"Nước suối có màu đen và mùi hôi, cá chết nhiều (" + format + ")."},
				"first_name":         {"Nguyễn"}, "last_name": {"Văn An"}, "phone": {"0912 345 678"}, "email": {"an.nguyen@example.vn"},
				"media_url": {"https://example.vn/anh/suoi.jpg"},
			}
			posted := o.requests(o.post(form))
			if len(posted) != 1 || posted[0].ID == "" || !trackingCodeRE.MatchString(posted[0].ServiceNotice) {
				t.Fatalf("POST answered %+v, want one request id and a notice with the tracking code", posted)
			}
			id := posted[0].ID

			// Read it back: the public part only.
			r := o.get("requests/"+id, nil)
			got := o.requests(r)
			if len(got) != 1 {
				t.Fatalf("requests/%s = %+v", id, got)
			}
			req := got[0]
			if req.ID != id || req.Status != "open" || !strings.Contains(req.StatusNotes, "received") ||
				req.ServiceCode != "pollution.water" || req.ServiceName != "Ô nhiễm nguồn nước" ||
				req.AgencyResponsible == "" || req.AgencyResponsible == "ubnd.lao-cai" {
				t.Errorf("request = %+v", req)
			}
			requested, err := time.Parse(time.RFC3339, req.RequestedDatetime)
			if err != nil || requested.Before(before.Add(-time.Second)) || requested.After(time.Now()) {
				t.Errorf("requested_datetime = %q (%v)", req.RequestedDatetime, err)
			}
			if expected, err := time.Parse(time.RFC3339, req.ExpectedDatetime); err != nil || !expected.After(requested) {
				t.Errorf("expected_datetime = %q (%v), want the deadline", req.ExpectedDatetime, err)
			}
			if req.Lat == nil || req.Long == nil || *req.Lat != 22.49 || *req.Long != 103.97 {
				t.Errorf("lat/long = %v/%v, want 22.49/103.97 (rounded)", req.Lat, req.Long)
			}
			for _, private := range []string{"an.nguyen@example.vn", "Suối Ngòi Đường", "cá chết", "example.vn/anh"} {
				if strings.Contains(string(r.Body), private) {
					t.Errorf("the public request shows %q: %s", private, r.Body)
				}
			}
			if holdsIdentity(r.Body) {
				t.Errorf("the public request holds the reporter's identity: %s", r.Body)
			}
			var tok []o311Request
			var tokXML struct {
				Requests []o311Request `xml:"request"`
			}
			o.decode(o.get("tokens/"+id, nil), &tok, &tokXML)
			if format == "xml" {
				tok = tokXML.Requests
			}
			if len(tok) != 1 || tok[0].ID != id || tok[0].Token != id {
				t.Errorf("tokens/%s = %+v", id, tok)
			}

			// List it by date range and status.
			window := url.Values{
				"start_date": {before.Add(-time.Hour).Format(time.RFC3339)},
				"end_date":   {time.Now().Add(time.Hour).Format(time.RFC3339)},
			}
			list := func(extra ...string) []string {
				t.Helper()
				q := url.Values{}
				for k, v := range window {
					q[k] = v
				}
				for i := 0; i+1 < len(extra); i += 2 {
					q.Set(extra[i], extra[i+1])
				}
				resp := o.get("requests", q)
				if holdsIdentity(resp.Body) {
					t.Errorf("the list holds a reporter's identity: %s", resp.Body)
				}
				return requestIDs(o.requests(resp))
			}
			if got := list("status", "open"); !slices.Contains(got, id) {
				t.Errorf("open requests = %v, want %s among them", got, id)
			}
			if got := list("status", "closed"); slices.Contains(got, id) {
				t.Errorf("closed requests = %v hold the open %s", got, id)
			}
			if got := list("service_code", "land.boundary"); slices.Contains(got, id) {
				t.Errorf("land.boundary requests = %v hold %s", got, id)
			}
			if got := list("service_request_id", id); !slices.Equal(got, []string{id}) {
				t.Errorf("by service_request_id = %v, want [%s]", got, id)
			}
			old := url.Values{"start_date": {before.Add(-72 * time.Hour).Format(time.RFC3339)}, "end_date": {before.Add(-48 * time.Hour).Format(time.RFC3339)}}
			if got := requestIDs(o.requests(o.get("requests", old))); slices.Contains(got, id) {
				t.Errorf("requests of two days ago = %v hold today's %s", got, id)
			}

			// Close it through the staff API.
			sv := do(t, a, http.MethodGet, "/api/v1/cases/"+id, "", nil, crew.headers(t, "lc.officer")...)
			if sv.Status != http.StatusOK {
				t.Fatalf("staff view = %d %s", sv.Status, sv.Body)
			}
			j := &journey{t: t, a: a, crew: crew, submitted: submitted{id: id, version: uint64(sv.json(t)["version"].(float64))}}
			j.step("lc.officer", "accept", map[string]any{}, domain.StatusAccepted)
			j.step("lc.head", "assign", map[string]any{"officer": "lc.officer"}, domain.StatusAssigned)
			j.step("lc.officer", "resolve", map[string]any{"summary": "Đã xử lý nguồn thải."}, domain.StatusResolved)
			j.step("lc.officer", "close", map[string]any{}, domain.StatusClosed)

			closed := o.requests(o.get("requests/"+id, nil))
			if len(closed) != 1 || closed[0].Status != "closed" || !strings.Contains(closed[0].StatusNotes, "closed") ||
				closed[0].ExpectedDatetime != "" {
				t.Errorf("after closing: %+v", closed)
			}
			if updated, err := time.Parse(time.RFC3339, closed[0].UpdatedDatetime); err != nil || updated.Before(requested) {
				t.Errorf("updated_datetime = %q (%v), want one not before %s", closed[0].UpdatedDatetime, err, requested)
			}
			if got := list("status", "closed"); !slices.Contains(got, id) {
				t.Errorf("closed requests = %v, want %s among them", got, id)
			}
			if got := list("status", "open"); slices.Contains(got, id) {
				t.Errorf("open requests = %v hold the closed %s", got, id)
			}
		})
	}
}

// Refusals come in the standard's error shape with a fitting status.
func TestOpen311Refusals(t *testing.T) {
	a := startStaffApp(t, nil)
	ctx := context.Background()
	key, err := a.APIKeys.Add(ctx, "partner")
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := a.APIKeys.Add(ctx, "old-partner")
	if err != nil {
		t.Fatal(err)
	}
	if err := a.APIKeys.Revoke(ctx, "old-partner"); err != nil {
		t.Fatal(err)
	}
	valid := func(k string) url.Values {
		return url.Values{"api_key": {k}, "service_code": {"pollution.air"}, "address_string": {"Khu công nghiệp"},
			"attribute[commune]": {"lao-cai"}, "description": {"Khói đen bốc lên suốt đêm."}}
	}
	for _, format := range []string{"json", "xml"} {
		t.Run(format, func(t *testing.T) {
			o := o311{t: t, a: a, fmt: format}
			without := func(name string) url.Values {
				f := valid(key)
				f.Del(name)
				return f
			}
			o.fails(o.post(without("api_key")), http.StatusBadRequest, "api_key")
			o.fails(o.post(valid(key+"0")), http.StatusForbidden, "api_key")
			o.fails(o.post(valid("partner."+strings.Repeat("0", 64))), http.StatusForbidden, "api_key")
			o.fails(o.post(valid(revoked)), http.StatusForbidden, "api_key")
			o.fails(o.post(without("attribute[commune]")), http.StatusBadRequest, "attribute[commune]")
			o.fails(o.post(without("address_string")), http.StatusBadRequest, "address_string")
			o.fails(o.post(without("service_code")), http.StatusBadRequest, "service_code")
			o.fails(o.post(without("description")), http.StatusBadRequest, "description")
			// A title cut from the description is the description's fault:
			// the client sent no attribute[title] to mend.
			ctrl := valid(key)
			ctrl.Set("description", "Khói\x07đen\nbốc lên suốt đêm.")
			o.fails(o.post(ctrl), http.StatusBadRequest, "description: its first line is the title")
			ctrl.Set("attribute[title]", "Khói\x07đen")
			o.fails(o.post(ctrl), http.StatusBadRequest, "attribute[title]")
			bad := valid(key)
			bad.Set("attribute[commune]", "khong-co")
			o.fails(o.post(bad), http.StatusBadRequest, "attribute[commune]")
			named := valid(key)
			named.Set("first_name", "Bình")
			o.fails(o.post(named), http.StatusBadRequest, "phone")
			r := do(t, a, http.MethodPost, "/open311/v2/requests."+format, "application/json", []byte(`{}`))
			o.fails(r, http.StatusUnsupportedMediaType, "x-www-form-urlencoded")
			// A report's fields in the address (where proxies log them) are
			// refused, and store nothing; the api_key may be there.
			before := streamState(t, stream(t, a)).Msgs
			inURL := valid(key)
			inURL.Set("first_name", "Bình")
			inURL.Set("phone", "0903 111 222")
			r = do(t, a, http.MethodPost, "/open311/v2/requests."+format+"?"+inURL.Encode(), "application/x-www-form-urlencoded", nil)
			o.fails(r, http.StatusBadRequest, "address")
			if after := streamState(t, stream(t, a)).Msgs; after != before {
				t.Errorf("a refused POST with its fields in the address stored %d events", after-before)
			}
			keyInURL := valid(key)
			keyInURL.Del("api_key")
			r = do(t, a, http.MethodPost, "/open311/v2/requests."+format+"?api_key="+url.QueryEscape(key),
				"application/x-www-form-urlencoded", []byte(keyInURL.Encode()))
			if got := o.requests(r); len(got) != 1 || got[0].ID == "" {
				t.Errorf("POST with the api_key in the address: %d %s", r.Status, r.Body)
			}
			// The format and the jurisdiction may be in the address, as the
			// README says.
			r = do(t, a, http.MethodPost, "/open311/v2/requests?format="+format+"&jurisdiction_id=laocai.gov.vn",
				"application/x-www-form-urlencoded", []byte(valid(key).Encode()))
			if got := o.requests(r); len(got) != 1 || got[0].ID == "" {
				t.Errorf("POST with ?format=%s&jurisdiction_id: %d %s", format, r.Status, r.Body)
			}

			// Without name, phone or email the report is anonymous.
			if got := o.requests(o.post(valid(key))); len(got) != 1 || got[0].ID == "" {
				t.Errorf("anonymous POST = %+v", got)
			}

			// A named denunciation is listed without coordinates: they could lead to its author.
			denounce := valid(key)
			denounce.Set("service_code", "pollution.mining")
			denounce.Set("lat", "22.48561")
			denounce.Set("long", "103.97071")
			for k, v := range map[string]string{"first_name": "Bích", "last_name": "Trần Thị", "phone": "0903 111 222"} {
				denounce.Set(k, v)
			}
			posted := o.requests(o.post(denounce))
			if len(posted) != 1 {
				t.Fatalf("POST a denunciation = %+v", posted)
			}
			r = o.get("requests/"+posted[0].ID, nil)
			if got := o.requests(r); len(got) != 1 || got[0].Lat != nil || got[0].Long != nil || got[0].ServiceCode != "pollution.mining" {
				t.Errorf("a denunciation reads back as %+v, want no lat/long", got)
			}
			if holdsIdentity(r.Body) {
				t.Errorf("the denunciation shows its author: %s", r.Body)
			}

			span := url.Values{"start_date": {"2026-01-01T00:00:00Z"}, "end_date": {"2026-04-02T00:00:00Z"}}
			o.fails(o.get("requests", span), http.StatusBadRequest, "90 days")
			o.fails(o.get("requests", url.Values{"status": {"pending"}}), http.StatusBadRequest, "status")
			o.fails(o.get("requests/0190b5a2-0000-7000-8000-000000000000", nil), http.StatusNotFound, "not found")
			o.fails(o.get("nothing", nil), http.StatusNotFound, "endpoint")
			o.fails(do(t, a, http.MethodPut, "/open311/v2/requests."+format, "", nil), http.StatusMethodNotAllowed, "PUT")
		})
	}
}
