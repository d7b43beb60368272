package api

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"phananh/cases"
	"phananh/domain"
	"phananh/jsonappend"
	"phananh/projections"
)

// staffCase is a case as staff see it: every timeline entry, internal ones
// included, and the reporter only for those the law lets see them.
type staffCase struct {
	citizenCase
	Assignee    string                      `json:"assignee,omitempty"`
	Complex     bool                        `json:"complex"`
	Extensions  int                         `json:"extensions"`
	DuplicateOf *uuid.UUID                  `json:"duplicate_of,omitempty"`
	Reporter    *domain.Reporter            `json:"reporter,omitempty"`
	Timeline    []projections.TimelineEntry `json:"timeline"`
	Attachments []attachmentJSON            `json:"attachments"`
}

// staffTimelineEntry adds the actor's id, which the public timeline hides.
type staffTimelineEntry struct {
	projections.TimelineEntry
	Actor string `json:"actor,omitempty"`
}

// staffCaseRequest returns the staff member requireStaff let through and the
// case named in the path.
func staffCaseRequest(c echo.Context) (domain.Actor, uuid.UUID, error) {
	actor, ok := ActorFrom(c)
	if !ok {
		return domain.Actor{}, uuid.Nil, errUnauthenticated()
	}
	id, err := uuid.Parse(c.Param("id"))
	if err != nil {
		return actor, uuid.Nil, domain.Errorf(domain.ENOTFOUND, "no case %q", c.Param("id"))
	}
	return actor, id, nil
}

// getCase: GET /api/v1/cases/{id} for staff.
func (s *server) getCase(c echo.Context) error {
	actor, id, err := staffCaseRequest(c)
	if err != nil {
		return err
	}
	asOf, err := asOfParam(c)
	if err != nil {
		return err
	}
	var sc cases.StaffCase
	if asOf != nil {
		sc, err = s.svc.StaffViewAsOf(c.Request().Context(), actor, id, *asOf)
	} else {
		var after uint64
		if after, err = afterSeq(c); err != nil {
			return err
		}
		sc, err = s.svc.StaffView(c.Request().Context(), actor, id, after)
	}
	if err != nil {
		return err
	}
	rec := sc.CaseRecord
	out := struct {
		staffCase
		Timeline []staffTimelineEntry `json:"timeline"`
		AsOf     *time.Time           `json:"as_of,omitempty"`
	}{staffCase: staffCase{citizenCase: s.citizenCase(rec), Assignee: rec.Case.Assignee, Complex: rec.Case.Complex,
		Extensions: rec.Case.Extensions, Reporter: sc.Reporter, Attachments: []attachmentJSON{}}, AsOf: asOf}
	if rec.Case.DuplicateOf != uuid.Nil {
		d := rec.Case.DuplicateOf
		out.DuplicateOf = &d
	}
	for _, e := range rec.Timeline {
		out.Timeline = append(out.Timeline, staffTimelineEntry{TimelineEntry: e, Actor: e.Actor})
	}
	for _, a := range rec.Attachments {
		out.Attachments = append(out.Attachments, attachmentJSON{a.Object, a.Filename, a.ContentType, a.Size, a.SHA256})
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	if asOf != nil {
		// The case as it was: overdue judged then, and no ETag, since a
		// past version is no version to act on (If-Match).
		out.AsOf = &sc.AsOf
		out.Overdue = rec.Case.Overdue(sc.AsOf)
		return c.JSON(http.StatusOK, out)
	}
	c.Response().Header().Set("ETag", etag(rec.Case.Version))
	return c.JSON(http.StatusOK, out)
}

// addCaseAttachment: POST /api/v1/cases/{id}/attachments for staff: an
// inspection report, signed mediation minutes. Internal unless the part
// "visibility" says public.
func (s *server) addCaseAttachment(c echo.Context) error {
	actor, id, err := staffCaseRequest(c)
	if err != nil {
		return err
	}
	return s.receiveFile(c, func(filename string, file io.Reader, public bool) (cases.StoredFile, error) {
		return s.svc.AddAttachment(c.Request().Context(), actor, id, filename, file, public,
			c.Response().Header().Get(echo.HeaderXRequestID))
	})
}

// getCaseAttachment: GET /api/v1/cases/{id}/attachments/{file} for staff.
func (s *server) getCaseAttachment(c echo.Context) error {
	actor, id, err := staffCaseRequest(c)
	if err != nil {
		return err
	}
	att, r, err := s.svc.OpenAttachment(c.Request().Context(), &actor, "", id, id.String()+"/"+c.Param("file"))
	if err != nil {
		return err
	}
	return sendFile(c, att, r)
}

// getQueue: GET /api/v1/queues/{unit} with filters, sort and a cursor.
func (s *server) getQueue(c echo.Context) error {
	actor, ok := ActorFrom(c)
	if !ok {
		return &domain.Error{Code: codeUnauthenticated, Message: "log in first"}
	}
	q := projections.QueueQuery{
		Unit: c.Param("unit"), Kind: domain.Kind(c.QueryParam("kind")), Category: domain.Category(c.QueryParam("category")),
		Commune: c.QueryParam("commune"), Assignee: c.QueryParam("assignee"), Q: c.QueryParam("q"),
		Sort: c.QueryParam("sort"), Cursor: c.QueryParam("cursor"),
	}
	if raw := c.QueryParam("status"); raw != "" {
		for _, st := range strings.Split(raw, ",") {
			q.Statuses = append(q.Statuses, domain.Status(strings.TrimSpace(st)))
		}
	}
	var err error
	if q.Overdue, err = boolParam(c, "overdue"); err != nil {
		return err
	}
	if q.Open, err = boolParam(c, "open"); err != nil {
		return err
	}
	if raw := c.QueryParam("limit"); raw != "" {
		// An explicit 0 is refused, as the OpenAPI document's minimum says;
		// the model reads a zero Limit as "none given".
		if q.Limit, err = strconv.Atoi(raw); err != nil || q.Limit < 1 {
			return domain.FieldErrorf(domain.EINVALID, "limit", "limit must be a whole number from 1 to %d", projections.MaxQueueLimit)
		}
	}
	after, err := afterSeq(c)
	if err != nil {
		return err
	}
	items, next, err := s.svc.Queue(c.Request().Context(), actor, q, after)
	if err != nil {
		return err
	}
	if items == nil {
		items = []projections.QueueItem{}
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return sendQueuePage(c, queuePage{items, next, s.svc.Now()})
}

// sendQueuePage answers 200 with the page, the same bytes as c.JSON would
// send (TestQueuePageJSON), only cheaper: see queuePage.appendJSON.
func sendQueuePage(c echo.Context, page queuePage) error {
	if _, pretty := c.QueryParams()["pretty"]; pretty || c.Echo().Debug {
		return c.JSON(http.StatusOK, page) // indented: Echo's way
	}
	b, err := page.appendJSON(make([]byte, 0, 400*len(page.Items)+100))
	if err != nil {
		return c.JSON(http.StatusOK, page) // encoding/json fails the same way
	}
	return c.JSONBlob(http.StatusOK, append(b, '\n')) // json.Encoder ends with a newline
}

// queuePage is the answer of GET /api/v1/queues/{unit}.
type queuePage struct {
	Items []projections.QueueItem `json:"items"`
	Next  string                  `json:"next,omitempty"`
	AsOf  time.Time               `json:"as_of"`
}

// appendJSON appends the page as encoding/json renders it. It exists for
// speed (the queue page is the hottest read answer; BenchmarkEncodeQueuePage
// measures it against encoding/json), and TestQueuePageJSON and
// FuzzQueuePageJSON hold its bytes equal to encoding/json's.
func (p *queuePage) appendJSON(b []byte) ([]byte, error) {
	var err error
	if p.Items == nil {
		b = append(b, `{"items":null`...) // as encoding/json; getQueue never sends it
	} else {
		b = append(b, `{"items":[`...)
		for i := range p.Items {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = p.Items[i].AppendJSON(b); err != nil {
				return nil, err
			}
		}
		b = append(b, ']')
	}
	if p.Next != "" { // omitempty
		b = append(b, `,"next":`...)
		b = jsonappend.String(b, p.Next)
	}
	b = append(b, `,"as_of":`...)
	if b, err = jsonappend.Time(b, p.AsOf); err != nil {
		return nil, err
	}
	return append(b, '}'), nil
}

func boolParam(c echo.Context, name string) (*bool, error) {
	raw := c.QueryParam(name)
	if raw == "" {
		return nil, nil
	}
	b, err := strconv.ParseBool(raw)
	if err != nil {
		return nil, domain.FieldErrorf(domain.EINVALID, name, "%s is true or false", name)
	}
	return &b, nil
}
