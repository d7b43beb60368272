package api

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"phananh/cases"
	"phananh/domain"
	"phananh/projections"
)

type reportRequest struct {
	ID          string           `json:"id"`
	Category    string           `json:"category"`
	Kind        string           `json:"kind"`
	Title       string           `json:"title"`
	Description string           `json:"description"`
	Location    locationJSON     `json:"location"`
	OccurredAt  string           `json:"occurred_at"`
	Reporter    *domain.Reporter `json:"reporter"`
	Anonymous   bool             `json:"anonymous"`
	Language    string           `json:"language"`    // vi | en; default from Accept-Language
	WebhookURL  string           `json:"webhook_url"` // status changes are POSTed here, signed
}

type locationJSON struct {
	Commune string   `json:"commune"`
	Address string   `json:"address,omitempty"`
	Lat     *float64 `json:"lat,omitempty"`
	Lon     *float64 `json:"lon,omitempty"`
}

type receiptJSON struct {
	ID           uuid.UUID     `json:"id"`
	TrackingCode string        `json:"tracking_code"`
	Status       domain.Status `json:"status"`
	Unit         string        `json:"unit"`
	Deadline     time.Time     `json:"deadline"`
	Seq          uint64        `json:"seq"`
	// WebhookSecret verifies the X-Phananh-Signature of the report's webhooks.
	WebhookSecret string `json:"webhook_secret,omitempty"`
}

// submitReport: POST /api/v1/reports → 201 new case, 200 the same report again.
func (s *server) submitReport(c echo.Context) error {
	cmd, err := reportCommand(c, s.cfg.MaxJSONBytes)
	if err != nil {
		return err
	}
	r, created, err := s.svc.Submit(c.Request().Context(), cmd, c.Response().Header().Get(echo.HeaderXRequestID))
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		c.Response().Header().Set(echo.HeaderLocation, "/api/v1/reports/"+r.ID.String())
	}
	return c.JSON(status, receiptJSON{ID: r.ID, TrackingCode: r.TrackingCode, Status: r.Status,
		Unit: r.Unit, Deadline: r.Deadline, Seq: r.Seq, WebhookSecret: r.WebhookSecret})
}

// reportCommand binds a report's JSON body into the citizen's command; the
// service validates it (domain.SubmitReport.Validate).
func reportCommand(c echo.Context, max int64) (domain.SubmitReport, error) {
	var req reportRequest
	if err := bindJSON(c, max, &req); err != nil {
		return domain.SubmitReport{}, err
	}
	cmd := domain.SubmitReport{
		Category:    domain.Category(req.Category),
		Kind:        domain.Kind(req.Kind),
		Title:       req.Title,
		Description: req.Description,
		Location:    domain.Location(req.Location),
		Anonymous:   req.Anonymous,
		Reporter:    req.Reporter,
		Language:    req.Language,
		WebhookURL:  req.WebhookURL,
	}
	if cmd.Language == "" {
		cmd.Language = language(c.Request())
	}
	if req.ID != "" {
		id, err := uuid.Parse(req.ID)
		if err != nil || len(req.ID) != 36 {
			return domain.SubmitReport{}, domain.FieldErrorf(domain.EInvalidID, "id", "id %q is not a UUID", req.ID)
		}
		cmd.ID = id
	}
	if req.OccurredAt != "" {
		t, err := time.Parse(time.RFC3339, req.OccurredAt)
		if err != nil {
			return domain.SubmitReport{}, domain.FieldErrorf(domain.EInvalidTime, "occurred_at", "occurred_at must be an RFC 3339 time such as 2026-11-28T08:30:00+07:00")
		}
		cmd.OccurredAt = &t
	}
	return cmd, nil
}

// citizenCase is the citizen's view of a case: no reporter identity, no
// staff names, no internal notes.
type citizenCase struct {
	ID          uuid.UUID                   `json:"id"`
	Status      domain.Status               `json:"status"`
	Open311     string                      `json:"open311_status"`
	Kind        domain.Kind                 `json:"kind"`
	Category    domain.Category             `json:"category"`
	Title       string                      `json:"title"`
	Description string                      `json:"description"`
	Location    domain.Location             `json:"location"`
	OccurredAt  *time.Time                  `json:"occurred_at,omitempty"`
	Anonymous   bool                        `json:"anonymous"`
	Unit        unitRef                     `json:"unit"`
	Clock       domain.Clock                `json:"clock,omitempty"`
	Deadline    *time.Time                  `json:"deadline,omitempty"`
	Overdue     bool                        `json:"overdue"`
	ReceivedAt  time.Time                   `json:"received_at"`
	UpdatedAt   time.Time                   `json:"updated_at"`
	Version     uint64                      `json:"version"`
	Timeline    []projections.TimelineEntry `json:"timeline"`
	Attachments []attachmentJSON            `json:"attachments"`
	Primary     *primaryJSON                `json:"primary,omitempty"`
}

type unitRef struct {
	Code   string `json:"code"`
	Name   string `json:"name"`
	NameEn string `json:"name_en,omitempty"`
}

type attachmentJSON struct {
	Object      string `json:"object"`
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
}

// getReport: GET /api/v1/reports/{id} with X-Tracking-Code.
func (s *server) getReport(c echo.Context) error {
	id, err := caseID(c)
	if err != nil {
		return err
	}
	after, err := afterSeq(c)
	if err != nil {
		return err
	}
	rec, err := s.svc.CitizenView(c.Request().Context(), id, trackingCode(c), after)
	if err != nil {
		return err
	}
	out := s.citizenCase(rec)
	if primary, ok := s.svc.Primary(rec); ok {
		// The reporter of a duplicate follows the case it duplicates, by
		// what the authorities did on it.
		p := primaryJSON{ID: primary.Case.ID, Status: primary.Case.Status, Timeline: primary.TimelineForOthers()}
		if !primary.Case.Deadline.IsZero() {
			d := primary.Case.Deadline
			p.Deadline = &d
		}
		out.Primary = &p
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	c.Response().Header().Set("ETag", etag(rec.Case.Version))
	return c.JSON(http.StatusOK, out)
}

type primaryJSON struct {
	ID       uuid.UUID                   `json:"id"`
	Status   domain.Status               `json:"status"`
	Deadline *time.Time                  `json:"deadline,omitempty"`
	Timeline []projections.TimelineEntry `json:"timeline"`
}

// citizenCase renders the public part of a case.
func (s *server) citizenCase(rec projections.CaseRecord) citizenCase {
	cs := rec.Case
	out := citizenCase{
		ID: cs.ID, Status: cs.Status, Open311: cs.Status.Open311(), Kind: cs.Kind, Category: cs.Category,
		Title: cs.Title, Description: rec.Description, Location: cs.Location, OccurredAt: rec.OccurredAt,
		Anonymous: cs.Anonymous, Unit: s.unitRef(cs.Unit), Clock: cs.Clock,
		Overdue: cs.Overdue(s.svc.Now()), ReceivedAt: cs.ReceivedAt, UpdatedAt: rec.UpdatedAt,
		Version: cs.Version, Timeline: rec.PublicTimeline(), Attachments: []attachmentJSON{},
	}
	if !cs.Deadline.IsZero() {
		d := cs.Deadline
		out.Deadline = &d
	}
	for _, a := range rec.Attachments {
		if a.Public {
			out.Attachments = append(out.Attachments, attachmentJSON{a.Object, a.Filename, a.ContentType, a.Size, a.SHA256})
		}
	}
	return out
}

func (s *server) unitRef(code string) unitRef {
	u, ok := s.svc.Rules().Geo.Unit(code)
	if !ok {
		return unitRef{Code: code, Name: code}
	}
	return unitRef{Code: u.Code, Name: u.Name, NameEn: u.NameEn}
}

// addAttachment: POST /api/v1/reports/{id}/attachments, multipart with one
// part named "file", for the holder of the tracking code.
func (s *server) addAttachment(c echo.Context) error {
	id, err := caseID(c)
	if err != nil {
		return err
	}
	return s.receiveFile(c, func(filename string, file io.Reader, _ bool) (cases.StoredFile, error) {
		return s.svc.AddCitizenAttachment(c.Request().Context(), id, trackingCode(c), filename, file,
			c.Response().Header().Get(echo.HeaderXRequestID))
	})
}

// receiveFile streams the multipart part named "file" to store; nothing is
// buffered whole in memory here. A part named "visibility" ("public" or
// "internal") may come before it.
func (s *server) receiveFile(c echo.Context, store func(filename string, file io.Reader, public bool) (cases.StoredFile, error)) error {
	mt, _, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if err != nil || mt != echo.MIMEMultipartForm {
		return &domain.Error{Code: codeUnsupportedMedia, Message: "send the file as multipart/form-data in a part named file"}
	}
	limit := s.cfg.MaxUploadBytes + 64<<10 // room for the multipart envelope
	c.Request().Body = http.MaxBytesReader(c.Response(), c.Request().Body, limit)
	mr, err := c.Request().MultipartReader()
	if err != nil {
		return &domain.Error{Code: codeUnsupportedMedia, Message: "the body is not valid multipart/form-data"}
	}
	tooBig := func(err error) bool {
		var mbe *http.MaxBytesError
		return errors.As(err, &mbe)
	}
	public := false
	for {
		part, err := mr.NextPart()
		if err != nil {
			if tooBig(err) {
				return &domain.Error{Code: codeBodyTooLarge, Field: "file", Message: fmt.Sprintf("a file may be at most %d bytes", s.cfg.MaxUploadBytes)}
			}
			return domain.FieldErrorf(domain.ERequired, "file", "send the file in a multipart part named file")
		}
		switch part.FormName() {
		case "visibility":
			v, _ := io.ReadAll(io.LimitReader(part, 16))
			part.Close()
			switch string(v) {
			case "public":
				public = true
			case "internal":
			default:
				return domain.FieldErrorf(domain.EINVALID, "visibility", "visibility is public or internal")
			}
			continue
		case "file":
		default:
			part.Close()
			continue
		}
		stored, err := store(part.FileName(), part, public)
		part.Close()
		if tooBig(err) {
			return &domain.Error{Code: codeBodyTooLarge, Field: "file", Message: fmt.Sprintf("a file may be at most %d bytes", s.cfg.MaxUploadBytes)}
		}
		if err != nil {
			return err
		}
		status, att := http.StatusCreated, stored.Attachment
		if !stored.Created {
			status = http.StatusOK // the same file again: recorded once
		}
		return c.JSON(status, struct {
			attachmentJSON
			Public bool   `json:"public"`
			Seq    uint64 `json:"seq"`
		}{attachmentJSON{att.Object, att.Filename, att.ContentType, att.Size, att.SHA256}, att.Public, stored.Seq})
	}
}

// getCitizenAttachment: GET /api/v1/reports/{id}/attachments/{file} with the tracking code.
func (s *server) getCitizenAttachment(c echo.Context) error {
	id, err := caseID(c)
	if err != nil {
		return err
	}
	att, r, err := s.svc.OpenAttachment(c.Request().Context(), nil, trackingCode(c), id, id.String()+"/"+c.Param("file"))
	if err != nil {
		return err
	}
	return sendFile(c, att, r)
}

// sendFile streams a stored file with the type recorded when it was
// checked, as a download, so a browser never renders it in our origin.
func sendFile(c echo.Context, att domain.AttachmentAdded, r io.ReadCloser) error {
	defer r.Close()
	h := c.Response().Header()
	h.Set(echo.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": att.Filename}))
	h.Set(echo.HeaderCacheControl, "private, no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set(echo.HeaderContentLength, fmt.Sprint(att.Size))
	return c.Stream(http.StatusOK, att.ContentType, r)
}
