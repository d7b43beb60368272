package open311

import (
	"encoding/xml"
	"errors"
	"fmt"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"golang.org/x/text/unicode/norm"

	"phananh/domain"
	"phananh/projections"
)

// request is a case as Open311 shows it to anyone: no reporter identity,
// no free text, coordinates rounded.
type request struct {
	ID                string   `xml:"service_request_id" json:"service_request_id"`
	Status            string   `xml:"status" json:"status"`
	StatusNotes       string   `xml:"status_notes" json:"status_notes"`
	ServiceName       string   `xml:"service_name" json:"service_name"`
	ServiceCode       string   `xml:"service_code" json:"service_code"`
	AgencyResponsible string   `xml:"agency_responsible" json:"agency_responsible"`
	RequestedDatetime string   `xml:"requested_datetime" json:"requested_datetime"`
	UpdatedDatetime   string   `xml:"updated_datetime" json:"updated_datetime"`
	ExpectedDatetime  string   `xml:"expected_datetime,omitempty" json:"expected_datetime,omitempty"`
	Address           string   `xml:"address" json:"address"`
	Lat               *float64 `xml:"lat,omitempty" json:"lat,omitempty"`
	Long              *float64 `xml:"long,omitempty" json:"long,omitempty"`
}

type requestsXML struct {
	XMLName  xml.Name  `xml:"service_requests"`
	Requests []request `xml:"request"`
}

// statusNotes say the fine status in Vietnamese and English.
var statusNotes = map[domain.Status]string{
	domain.StatusReceived:           "Đã tiếp nhận / received",
	domain.StatusAccepted:           "Đã thụ lý / accepted",
	domain.StatusRejected:           "Không thụ lý / rejected",
	domain.StatusAssigned:           "Đã giao xử lý / assigned",
	domain.StatusInProgress:         "Đang xử lý / in progress",
	domain.StatusMediationScheduled: "Đã lên lịch hòa giải / mediation scheduled",
	domain.StatusMediated:           "Đã hòa giải / mediated",
	domain.StatusEscalated:          "Đã chuyển cấp có thẩm quyền / escalated",
	domain.StatusResolved:           "Đã giải quyết / resolved",
	domain.StatusClosed:             "Đã đóng hồ sơ / closed",
}

func timeText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(domain.Vietnam).Format(time.RFC3339)
}

// public renders the part of a case anyone may read.
func (h *handler) public(rec projections.CaseRecord) request {
	cs := rec.Case
	geo := h.d.Service.Rules().Geo
	out := request{
		ID: cs.ID.String(), Status: cs.Status.Open311(), StatusNotes: statusNotes[cs.Status],
		ServiceCode: string(cs.Category), ServiceName: string(cs.Category), AgencyResponsible: cs.Unit,
		RequestedDatetime: timeText(cs.ReceivedAt), UpdatedDatetime: timeText(rec.UpdatedAt),
	}
	if info, ok := domain.LookupCategory(cs.Category); ok {
		out.ServiceName = info.Name
	}
	if u, ok := geo.Unit(cs.Unit); ok {
		out.AgencyResponsible = u.Name
	}
	if out.Status == "open" {
		out.ExpectedDatetime = timeText(cs.Deadline)
	}
	if cm, ok := geo.Commune(cs.Location.Commune); ok {
		out.Address = cm.Name
		if geo.Province != "" {
			out.Address += ", " + geo.Province
		}
	}
	if lat, lon, ok := domain.PublicPoint(cs); ok {
		out.Lat, out.Long = &lat, &lon
	}
	return out
}

// ready reports whether reads may be answered: while the read models
// rebuild, a partial list would look like a complete one.
func (h *handler) ready() bool {
	return h.d.Ready == nil || h.d.Ready()
}

var errStarting = failf(http.StatusServiceUnavailable, "the server is starting; try again shortly")

// request: GET requests/{id}.
func (h *handler) request(c echo.Context, f format, param string) error {
	if !h.ready() {
		return h.fail(c, f, errStarting)
	}
	id, err := uuid.Parse(param)
	rec, ok := h.d.View.Get(id)
	if err != nil || !ok {
		return h.fail(c, f, failf(http.StatusNotFound, "service_request_id "+domain.Shorten(param)+" not found"))
	}
	out := []request{h.public(rec)}
	return render(c, f, http.StatusOK, out, requestsXML{Requests: out})
}

type tokenAnswer struct {
	ID    string `xml:"service_request_id" json:"service_request_id"`
	Token string `xml:"token" json:"token"`
}

type tokensXML struct {
	XMLName xml.Name      `xml:"service_requests"`
	Tokens  []tokenAnswer `xml:"request"`
}

// token: GET tokens/{token}. A POST answers with the service_request_id
// at once, so the only token there is is that id.
func (h *handler) token(c echo.Context, f format, param string) error {
	if !h.ready() {
		return h.fail(c, f, errStarting)
	}
	id, err := uuid.Parse(param)
	_, ok := h.d.View.Get(id)
	if err != nil || !ok {
		return h.fail(c, f, failf(http.StatusNotFound, "token "+domain.Shorten(param)+" not found; service_request_id is returned directly by POST requests"))
	}
	out := []tokenAnswer{{ID: id.String(), Token: id.String()}}
	return render(c, f, http.StatusOK, out, tokensXML{Tokens: out})
}

// parseTime reads a W3C date-time, or a date taken in Vietnam's time zone.
func parseTime(name, v string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", v, domain.Vietnam); err == nil {
		return t, nil
	}
	return time.Time{}, failf(http.StatusBadRequest, name+" must be a W3C date-time such as 2026-11-28T08:30:00+07:00")
}

// commaList splits a comma-separated parameter, dropping empty items.
func commaList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// requests: GET requests, newest first, at most MaxResults.
func (h *handler) requests(c echo.Context, f format) error {
	if !h.ready() {
		return h.fail(c, f, errStarting)
	}
	ids, err := h.matching(c)
	if err != nil {
		return h.fail(c, f, err)
	}
	out := make([]request, 0, len(ids))
	for _, id := range ids {
		if rec, ok := h.d.View.Get(id); ok {
			out = append(out, h.public(rec))
		}
	}
	return render(c, f, http.StatusOK, out, requestsXML{Requests: out})
}

// matching returns the ids a GET requests asks for. With service_request_id
// the other filters are ignored, as the standard says.
func (h *handler) matching(c echo.Context) ([]uuid.UUID, error) {
	q := c.QueryParams()
	if v := q.Get("service_request_id"); v != "" {
		var ids []uuid.UUID
		for _, s := range commaList(v) {
			id, err := uuid.Parse(s)
			if err != nil {
				return nil, failf(http.StatusBadRequest, "service_request_id "+s+" is not a request id")
			}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
			if len(ids) > MaxResults {
				return nil, failf(http.StatusBadRequest, fmt.Sprintf("at most %d service_request_id at once", MaxResults))
			}
		}
		return ids, nil
	}
	var codes []domain.Category
	for _, s := range commaList(q.Get("service_code")) {
		if _, ok := domain.LookupCategory(domain.Category(s)); !ok {
			return nil, failf(http.StatusBadRequest, "service_code "+s+" not found")
		}
		codes = append(codes, domain.Category(s))
	}
	statuses := commaList(q.Get("status"))
	for _, s := range statuses {
		if s != "open" && s != "closed" {
			return nil, failf(http.StatusBadRequest, "status is open or closed")
		}
	}
	var start, end time.Time
	var err error
	if v := q.Get("start_date"); v != "" {
		if start, err = parseTime("start_date", v); err != nil {
			return nil, err
		}
	}
	if v := q.Get("end_date"); v != "" {
		if end, err = parseTime("end_date", v); err != nil {
			return nil, err
		}
	}
	switch {
	case start.IsZero() && end.IsZero():
		end = h.d.Now()
		start = end.Add(-MaxSpan)
	case start.IsZero():
		start = end.Add(-MaxSpan)
	case end.IsZero():
		end = start.Add(MaxSpan)
	}
	if end.Before(start) {
		return nil, failf(http.StatusBadRequest, "end_date is before start_date")
	}
	if end.Sub(start) > MaxSpan {
		return nil, failf(http.StatusBadRequest, "start_date and end_date may be at most 90 days apart")
	}

	type hit struct {
		id uuid.UUID
		at time.Time
	}
	var hits []hit
	h.d.View.Scan(func(cs domain.Case) {
		if cs.ReceivedAt.Before(start) || cs.ReceivedAt.After(end) ||
			(len(codes) > 0 && !slices.Contains(codes, cs.Category)) ||
			(len(statuses) > 0 && !slices.Contains(statuses, cs.Status.Open311())) {
			return
		}
		hits = append(hits, hit{cs.ID, cs.ReceivedAt})
	})
	slices.SortFunc(hits, func(a, b hit) int {
		if c := b.at.Compare(a.at); c != 0 {
			return c
		}
		return strings.Compare(a.id.String(), b.id.String())
	})
	ids := make([]uuid.UUID, 0, min(len(hits), MaxResults))
	for _, x := range hits[:min(len(hits), MaxResults)] {
		ids = append(ids, x.id)
	}
	return ids, nil
}

// postAnswer is the standard's answer to a new request.
type postAnswer struct {
	ID            string `xml:"service_request_id" json:"service_request_id"`
	ServiceNotice string `xml:"service_notice" json:"service_notice"`
	AccountID     string `xml:"account_id" json:"account_id"`
}

type postXML struct {
	XMLName xml.Name     `xml:"service_requests"`
	Answers []postAnswer `xml:"request"`
}

// Limits on what a POST carries besides the domain's own.
const (
	maxMediaURL     = 2000
	derivedTitleLen = 100 // runes of the description used as a title
)

// post: POST requests, form-encoded, with an api_key.
func (h *handler) post(c echo.Context, f format) error {
	r := c.Request()
	if mt, _, _ := mime.ParseMediaType(r.Header.Get(echo.HeaderContentType)); mt != echo.MIMEApplicationForm {
		return h.fail(c, f, failf(http.StatusUnsupportedMediaType, "send the request as application/x-www-form-urlencoded"))
	}
	r.Body = http.MaxBytesReader(c.Response(), r.Body, MaxFormBytes)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return h.fail(c, f, failf(http.StatusRequestEntityTooLarge, fmt.Sprintf("the form may be at most %d bytes", MaxFormBytes)))
		}
		return h.fail(c, f, failf(http.StatusBadRequest, "the body is not a valid form"))
	}
	// The report's fields are read from the body only. A URL is kept by
	// proxies and browsers, and a reporter's name and phone must not
	// travel in one; a report field there is refused rather than silently
	// ignored. The rest of the query (api_key, which clients send both
	// ways, ?format=, jurisdiction_id) is read as before.
	for name := range r.URL.Query() {
		if reportField(name) {
			return h.fail(c, f, failf(http.StatusBadRequest, fmt.Sprintf("send %s in the form body, not in the address: addresses are logged", domain.Shorten(name))))
		}
	}
	form := r.PostForm
	key := r.Form.Get("api_key") // the body's, else the address's
	if key == "" {
		return h.fail(c, f, failf(http.StatusBadRequest, "api_key is required; ask the operator for one"))
	}
	client, err := h.d.Keys.Check(r.Context(), key)
	if errors.Is(err, h.d.InvalidKey) {
		return h.fail(c, f, failf(http.StatusForbidden, "api_key is not valid or was revoked"))
	}
	if err != nil {
		return h.fail(c, f, err)
	}
	cmd, err := h.command(form)
	if err != nil {
		return h.fail(c, f, err)
	}
	rc, _, err := h.d.Service.Submit(r.Context(), cmd, c.Response().Header().Get(echo.HeaderXRequestID))
	if err != nil {
		return h.fail(c, f, blameDerivedTitle(err, form))
	}
	h.d.Log.Info("open311 request filed", "client", client, "case", rc.ID, "seq", rc.Seq)
	due := timeText(rc.Deadline)
	notice := fmt.Sprintf("Đã tiếp nhận. Mã tra cứu (giữ bí mật): %s. Hạn xử lý: %s. / "+
		"Received. Tracking code (keep it secret): %s. Due: %s.", rc.TrackingCode, due, rc.TrackingCode, due)
	out := []postAnswer{{ID: rc.ID.String(), ServiceNotice: notice}}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	c.Response().Header().Set(echo.HeaderLocation, Prefix+"/requests/"+rc.ID.String()+f.suffix())
	return render(c, f, http.StatusCreated, out, postXML{Answers: out})
}

// command builds the citizen's report from the form.
func (h *handler) command(form url.Values) (domain.SubmitReport, error) {
	code := strings.TrimSpace(form.Get("service_code"))
	if code == "" {
		return domain.SubmitReport{}, failf(http.StatusBadRequest, "service_code is required")
	}
	if _, ok := domain.LookupCategory(domain.Category(code)); !ok {
		return domain.SubmitReport{}, failf(http.StatusBadRequest, "service_code "+domain.Shorten(code)+" not found; see services")
	}
	commune := strings.TrimSpace(form.Get("attribute[" + attrCommune + "]"))
	if commune == "" {
		return domain.SubmitReport{}, failf(http.StatusBadRequest,
			"attribute[commune] is required: a commune code from services/"+code+" (Open311 has no commune field, and routing needs it)")
	}
	loc := domain.Location{Commune: commune, Address: strings.TrimSpace(form.Get("address_string"))}
	latS, lonS := strings.TrimSpace(form.Get("lat")), strings.TrimSpace(form.Get("long"))
	if (latS == "") != (lonS == "") {
		return domain.SubmitReport{}, failf(http.StatusBadRequest, "give both lat and long, or neither")
	}
	if latS != "" {
		lat, err1 := strconv.ParseFloat(latS, 64)
		lon, err2 := strconv.ParseFloat(lonS, 64)
		if err1 != nil || err2 != nil || math.IsNaN(lat) || math.IsNaN(lon) || math.IsInf(lat, 0) || math.IsInf(lon, 0) {
			return domain.SubmitReport{}, failf(http.StatusBadRequest, "lat and long are decimal degrees (WGS84)")
		}
		loc.Lat, loc.Lon = &lat, &lon
	}
	if loc.Lat == nil && loc.Address == "" {
		return domain.SubmitReport{}, failf(http.StatusBadRequest, "a location is required: lat and long, or address_string")
	}
	description := strings.TrimSpace(form.Get("description"))
	if description == "" {
		return domain.SubmitReport{}, failf(http.StatusBadRequest, "description is required")
	}
	title := strings.TrimSpace(form.Get("attribute[" + attrTitle + "]"))
	if title == "" {
		title = titleOf(description)
	}
	if m := strings.TrimSpace(form.Get("media_url")); m != "" {
		u, err := url.Parse(m)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(m) > maxMediaURL {
			return domain.SubmitReport{}, failf(http.StatusBadRequest, "media_url must be an http or https URL")
		}
		// Kept as text for staff to open; the server never fetches it.
		description += "\n\nmedia_url: " + m
	}
	cmd := domain.SubmitReport{Category: domain.Category(code), Title: title, Description: description, Location: loc}
	name := strings.TrimSpace(strings.TrimSpace(form.Get("first_name")) + " " + strings.TrimSpace(form.Get("last_name")))
	phone, email := strings.TrimSpace(form.Get("phone")), strings.TrimSpace(form.Get("email"))
	if name == "" && phone == "" && email == "" {
		cmd.Anonymous = true
	} else {
		cmd.Reporter = &domain.Reporter{Name: name, Phone: phone, Email: email}
	}
	return cmd, nil
}

// blameDerivedTitle names the description when the service refuses a
// title that was cut from it: the client sent no attribute[title] and
// can only mend its description.
func blameDerivedTitle(err error, form url.Values) error {
	var de *domain.Error
	if !errors.As(err, &de) || de.Field != "title" || strings.TrimSpace(form.Get("attribute["+attrTitle+"]")) != "" {
		return err
	}
	return &domain.Error{Code: de.Code, Field: "description",
		Message: "its first line is the title (no attribute[title] was sent), and " + de.Message}
}

// reportField says whether a form field is part of the report itself
// (what command reads), as against the request's api_key or format.
func reportField(name string) bool {
	switch name {
	case "service_code", "address_string", "lat", "long", "description", "media_url",
		"first_name", "last_name", "phone", "email", "device_id", "account_id":
		return true
	}
	return strings.HasPrefix(name, "attribute[")
}

// titleOf is a title from a description: its first line, cut at the last
// space within derivedTitleLen runes, or at derivedTitleLen runes when
// that space would leave half of them or less. The line is composed (NFC)
// first, so that a cut never parts a letter from its diacritics ("ệ" sent
// as e and two combining marks).
func titleOf(description string) string {
	line, _, _ := strings.Cut(description, "\n")
	line = strings.TrimSpace(norm.NFC.String(line))
	if utf8.RuneCountInString(line) <= derivedTitleLen {
		return line
	}
	runes := []rune(line)[:derivedTitleLen]
	for i := len(runes) - 1; i > derivedTitleLen/2; i-- {
		if runes[i] == ' ' {
			runes = runes[:i]
			break
		}
	}
	return strings.TrimSpace(string(runes)) + "…"
}
