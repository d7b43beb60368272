package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"phananh/cases"
	"phananh/domain"
)

// codePreconditionRequired answers a staff action sent without If-Match.
const codePreconditionRequired domain.Code = "precondition_required"

// actionBodies builds each staff action's command from its JSON body. The
// field names are the API's contract (issue 3); the domain's names may differ.
var actionBodies = map[string]func(c echo.Context, max int64) (domain.Command, error){
	"accept": func(c echo.Context, max int64) (domain.Command, error) {
		var b struct {
			Complex bool   `json:"complex"`
			Note    string `json:"note"`
		}
		// Bind before reading b: in "return T{b.X}, bind(&b)" the order in
		// which b.X and the call are evaluated is unspecified.
		err := bindOptionalJSON(c, max, &b)
		return domain.Accept{Complex: b.Complex, Note: b.Note}, err
	},
	"reject": func(c echo.Context, max int64) (domain.Command, error) {
		var b struct {
			Reason string `json:"reason"`
		}
		err := bindJSON(c, max, &b)
		return domain.Reject{Reason: b.Reason}, err
	},
	"assign": func(c echo.Context, max int64) (domain.Command, error) {
		var b struct {
			Officer string `json:"officer"`
			Note    string `json:"note"`
		}
		err := bindJSON(c, max, &b)
		return domain.Assign{Assignee: b.Officer, Note: b.Note}, err
	},
	"transfer": func(c echo.Context, max int64) (domain.Command, error) {
		var b struct {
			Unit   string `json:"unit"`
			Reason string `json:"reason"`
		}
		err := bindJSON(c, max, &b)
		return domain.Transfer{To: b.Unit, Reason: b.Reason}, err
	},
	"record-inspection": func(c echo.Context, max int64) (domain.Command, error) {
		var b struct {
			Findings string `json:"findings"`
			Date     string `json:"date"`
		}
		if err := bindJSON(c, max, &b); err != nil {
			return nil, err
		}
		at, err := parseDate("date", b.Date)
		return domain.RecordInspection{Findings: b.Findings, InspectedAt: at}, err
	},
	"schedule-mediation": func(c echo.Context, max int64) (domain.Command, error) {
		var b struct {
			At      string                 `json:"at"`
			Place   string                 `json:"place"`
			Council []domain.CouncilMember `json:"council"`
		}
		if err := bindJSON(c, max, &b); err != nil {
			return nil, err
		}
		if b.At == "" {
			return nil, domain.FieldErrorf(domain.ERequired, "at", "give the date and time of the mediation")
		}
		at, err := parseDate("at", b.At)
		return domain.ScheduleMediation{At: at, Place: b.Place, Council: b.Council}, err
	},
	"record-mediation": func(c echo.Context, max int64) (domain.Command, error) {
		var b struct {
			Outcome    domain.MediationOutcome `json:"outcome"`
			Attendance []domain.Attendee       `json:"attendance"`
			Minutes    string                  `json:"minutes"`
		}
		err := bindJSON(c, max, &b)
		return domain.RecordMediation{Outcome: b.Outcome, Attendance: b.Attendance, Minutes: b.Minutes}, err
	},
	"extend-deadline": func(c echo.Context, max int64) (domain.Command, error) {
		var b struct {
			Days        int    `json:"days"`
			DecisionRef string `json:"decision_ref"`
			Reason      string `json:"reason"`
		}
		err := bindJSON(c, max, &b)
		return domain.ExtendDeadline{Days: b.Days, Decision: b.DecisionRef, Reason: b.Reason}, err
	},
	"escalate": func(c echo.Context, max int64) (domain.Command, error) {
		var b struct {
			Authority string `json:"authority"`
			Reason    string `json:"reason"`
		}
		err := bindJSON(c, max, &b)
		return domain.Escalate{To: b.Authority, Reason: b.Reason}, err
	},
	"resolve": func(c echo.Context, max int64) (domain.Command, error) {
		var b struct {
			Summary  string `json:"summary"`
			Measures string `json:"measures"`
		}
		err := bindJSON(c, max, &b)
		return domain.Resolve{Summary: b.Summary, Measures: b.Measures}, err
	},
	"close": func(c echo.Context, max int64) (domain.Command, error) {
		var b struct {
			Note string `json:"note"`
		}
		err := bindOptionalJSON(c, max, &b)
		return domain.Close{Note: b.Note}, err
	},
	"reopen": func(c echo.Context, max int64) (domain.Command, error) {
		var b struct {
			Reason string `json:"reason"`
		}
		err := bindJSON(c, max, &b)
		return domain.Reopen{Reason: b.Reason}, err
	},
	"comment": func(c echo.Context, max int64) (domain.Command, error) {
		var b struct {
			Text       string `json:"text"`
			Visibility string `json:"visibility"`
		}
		if err := bindJSON(c, max, &b); err != nil {
			return nil, err
		}
		switch b.Visibility {
		case "public", "internal":
		case "":
			b.Visibility = "internal" // the safe default: nothing reaches the citizen by accident
		default:
			return nil, domain.FieldErrorf(domain.EINVALID, "visibility", "visibility is public or internal")
		}
		return domain.AddComment{Text: b.Text, Public: b.Visibility == "public"}, nil
	},
	"link-duplicate": func(c echo.Context, max int64) (domain.Command, error) {
		var b struct {
			Primary string `json:"primary"`
		}
		if err := bindJSON(c, max, &b); err != nil {
			return nil, err
		}
		id, err := uuid.Parse(b.Primary)
		if err != nil || len(b.Primary) != 36 {
			return nil, domain.FieldErrorf(domain.EInvalidID, "primary", "primary must be the id of the original case")
		}
		return domain.LinkDuplicate{Of: id}, nil
	},
	"reclassify": func(c echo.Context, max int64) (domain.Command, error) {
		var b struct {
			Category string `json:"category"`
			Kind     string `json:"kind"`
			Reason   string `json:"reason"`
		}
		err := bindJSON(c, max, &b)
		return domain.Reclassify{Category: domain.Category(b.Category), Kind: domain.Kind(b.Kind), Reason: b.Reason}, err
	},
	"erase-reporter": func(c echo.Context, max int64) (domain.Command, error) {
		var b struct {
			Reason string `json:"reason"`
		}
		err := bindJSON(c, max, &b)
		return domain.EraseReporter{Reason: b.Reason}, err
	},
}

// ActionNames lists the staff actions, for documentation and tests.
func ActionNames() []string {
	names := make([]string, 0, len(actionBodies))
	for name := range actionBodies {
		names = append(names, name)
	}
	return names
}

// bindOptionalJSON is bindJSON for actions whose body may be left out.
func bindOptionalJSON(c echo.Context, max int64, v any) error {
	if c.Request().ContentLength == 0 {
		return nil
	}
	return bindJSON(c, max, v)
}

// parseDate reads a date (YYYY-MM-DD, Vietnam time) or an RFC 3339 time.
func parseDate(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation(time.DateOnly, s, domain.Vietnam); err == nil {
		return t, nil
	}
	return time.Time{}, domain.FieldErrorf(domain.EInvalidTime, field, "%s must be a date (2026-11-28) or an RFC 3339 time", field)
}

// ifMatch reads the version a staff member saw from If-Match: 12, "12" or W/"12".
func ifMatch(c echo.Context) (uint64, error) {
	raw := strings.TrimSpace(c.Request().Header.Get("If-Match"))
	if raw == "" {
		return 0, &domain.Error{Code: codePreconditionRequired, Field: "If-Match",
			Message: "send If-Match with the version of the case you saw, so no one's change is overwritten"}
	}
	raw = strings.Trim(strings.TrimPrefix(raw, "W/"), `"`)
	v, err := strconv.ParseUint(raw, 10, 64)
	if err != nil || v == 0 {
		return 0, domain.FieldErrorf(domain.EINVALID, "If-Match", "If-Match must be a case version such as \"12\"")
	}
	return v, nil
}

type resultJSON struct {
	ID       uuid.UUID     `json:"id"`
	Version  uint64        `json:"version"`
	Seq      uint64        `json:"seq"`
	Status   domain.Status `json:"status"`
	Deadline *time.Time    `json:"deadline"`
}

func renderResult(c echo.Context, r cases.Result) error {
	out := resultJSON{ID: r.ID, Version: r.Version, Seq: r.Seq, Status: r.Status}
	if !r.Deadline.IsZero() {
		d := r.Deadline
		out.Deadline = &d
	}
	c.Response().Header().Set("ETag", etag(r.Version))
	return c.JSON(http.StatusOK, out)
}

func etag(version uint64) string { return fmt.Sprintf("%q", strconv.FormatUint(version, 10)) }

// bodyFields maps, per action, a field the domain names in a refusal to
// the body's field for it, where the API's name differs (issue 3's names).
var bodyFields = map[string]map[string]string{
	"link-duplicate":    {"of": "primary"},
	"transfer":          {"to": "unit"},
	"record-inspection": {"inspected_at": "date"},
	"extend-deadline":   {"decision": "decision_ref"},
	"assign":            {"assignee": "officer"},
}

// blameBodyField renames a refusal's field to the body's name for it, so
// that the client is told which field it sent is wrong.
func blameBodyField(action string, err error) error {
	var de *domain.Error
	if !errors.As(err, &de) {
		return err
	}
	name, ok := bodyFields[action][de.Field]
	if !ok {
		return err
	}
	renamed := *de
	renamed.Field = name
	return &renamed
}

// caseAction: POST /api/v1/cases/{id}/{action} with If-Match.
func (s *server) caseAction(c echo.Context) error {
	actor, id, err := staffCaseRequest(c)
	if err != nil {
		return err
	}
	build, ok := actionBodies[c.Param("action")]
	if !ok {
		return domain.Errorf(domain.ENOTFOUND, "no action %q", c.Param("action"))
	}
	version, err := ifMatch(c)
	if err != nil {
		return err
	}
	cmd, err := build(c, s.cfg.MaxJSONBytes)
	if err != nil {
		return blameBodyField(c.Param("action"), err)
	}
	r, err := s.svc.Act(c.Request().Context(), actor, id, version, cmd, c.Response().Header().Get(echo.HeaderXRequestID))
	err = blameBodyField(c.Param("action"), err)
	if errors.Is(err, domain.ErrConcurrency) {
		current := s.svc.CurrentVersion(c.Request().Context(), id, version)
		c.Response().Header().Set("ETag", etag(current))
		status, body := localise(c.Request(), err)
		return c.JSON(status, staleJSON{Error: staleBody{apiErrorBody: body.Error, CurrentVersion: current}})
	}
	if err != nil {
		return err
	}
	return renderResult(c, r)
}

type staleJSON struct {
	Error staleBody `json:"error"`
}

type staleBody struct {
	apiErrorBody
	CurrentVersion uint64 `json:"current_version"`
}

// citizenAction: POST /api/v1/reports/{id}/feedback and /reopen with X-Tracking-Code.
func (s *server) citizenAction(build func(c echo.Context, max int64) (domain.Command, error)) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := caseID(c)
		if err != nil {
			return err
		}
		cmd, err := build(c, s.cfg.MaxJSONBytes)
		if err != nil {
			return err
		}
		r, err := s.svc.CitizenAct(c.Request().Context(), id, trackingCode(c), cmd, c.Response().Header().Get(echo.HeaderXRequestID))
		if err != nil {
			return err
		}
		return renderResult(c, r)
	}
}

func feedbackBody(c echo.Context, max int64) (domain.Command, error) {
	var b struct {
		Rating  int    `json:"rating"`
		Comment string `json:"comment"`
	}
	err := bindJSON(c, max, &b)
	return domain.GiveFeedback{Rating: b.Rating, Comment: b.Comment}, err
}
