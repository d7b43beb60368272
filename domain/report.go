package domain

import (
	"net/mail"
	"strings"
	"time"
	"unicode"

	"github.com/google/uuid"
)

// Reporter is a citizen's identity as typed. It exists only in memory on
// its way to being sealed; the log holds a SealedReporter.
type Reporter struct {
	Name  string `json:"name"`
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`
	// WebhookURL receives the case's status changes. It is sealed with the
	// identity (see SubmitReport.WebhookURL), never sent back.
	WebhookURL string `json:"webhook_url,omitempty"`
}

// SubmitReport is a citizen's report. The application seals Reporter into
// Sealed (and computes Digest) between Validate and Decide; Decide refuses a
// named reporter that was not sealed, so plaintext cannot reach the log.
type SubmitReport struct {
	ID          uuid.UUID
	Category    Category
	Kind        Kind // optional: the category's default kind when empty
	Title       string
	Description string
	Location    Location
	OccurredAt  *time.Time
	Anonymous   bool
	Reporter    *Reporter
	// Language is "vi" (the default when empty) or "en": the language of
	// the notifications the reporter receives. It is recorded in Reported
	// in plain: it says nothing about who the reporter is.
	Language string
	// WebhookURL subscribes an address to the case's status changes. It is
	// moved into Reporter and so sealed with the identity: an address the
	// reporter controls can point at them (a home server, a token in the
	// path), and erasing the reporter must erase it too. So an anonymous
	// report cannot subscribe one.
	WebhookURL string

	Sealed *SealedReporter
	Digest string
}

// EventType implements Command.
func (SubmitReport) EventType() string { return "reported" }

// Validate checks the report and returns it normalised (trimmed texts,
// default kind). It is separate from Decide so the application can refuse
// bad input before it seals anything.
func (s SubmitReport) Validate(now time.Time, r Rules) (SubmitReport, error) {
	var err error
	if s.ID == uuid.Nil {
		return s, FieldErrorf(EInvalidID, "id", "the report id must be a UUID")
	}
	info, ok := LookupCategory(s.Category)
	if !ok {
		return s, FieldErrorf(EInvalidCategory, "category", "unknown category %q", s.Category)
	}
	if s.Kind == "" {
		s.Kind = info.DefaultKind
	} else if !s.Kind.Valid() {
		return s, FieldErrorf(EInvalidKind, "kind", "unknown kind %q", s.Kind)
	}
	if s.Title, err = checkText("title", s.Title, true, MaxTitle); err != nil {
		return s, err
	}
	if s.Description, err = checkText("description", s.Description, true, MaxDescription); err != nil {
		return s, err
	}
	if s.Location.Commune == "" {
		return s, FieldErrorf(ERequired, "location.commune", "the commune is required")
	}
	if _, ok := r.Geo.Commune(s.Location.Commune); !ok {
		return s, FieldErrorf(EInvalidCommune, "location.commune", "unknown commune %q", s.Location.Commune)
	}
	if s.Location.Address, err = checkText("location.address", s.Location.Address, false, MaxAddress); err != nil {
		return s, err
	}
	lat, lon := s.Location.Lat, s.Location.Lon
	if (lat == nil) != (lon == nil) {
		return s, FieldErrorf(EInvalidLocation, "location", "give both latitude and longitude, or neither")
	}
	if lat != nil && !InVietnam(*lat, *lon) {
		return s, FieldErrorf(EInvalidLocation, "location", "the coordinates %.8g, %.8g are outside Vietnam", *lat, *lon)
	}
	if s.OccurredAt != nil {
		if s.OccurredAt.After(now.Add(10 * time.Minute)) {
			return s, FieldErrorf(EInvalidTime, "occurred_at", "occurred_at is in the future")
		}
		if s.OccurredAt.Year() < 2000 {
			return s, FieldErrorf(EInvalidTime, "occurred_at", "occurred_at is before the year 2000")
		}
	}
	switch s.Language = strings.ToLower(strings.TrimSpace(s.Language)); s.Language {
	case "", LangVietnamese, LangEnglish:
	default:
		return s, FieldErrorf(EInvalidLanguage, "language", "language is %q or %q", LangVietnamese, LangEnglish)
	}
	if s.WebhookURL != "" && s.Anonymous {
		return s, FieldErrorf(EInvalidWebhook, "webhook_url", "an anonymous report cannot subscribe a webhook: its address could identify you and could not be erased")
	}
	if s.WebhookURL != "" && s.Reporter != nil {
		if s.Reporter.WebhookURL != "" && s.Reporter.WebhookURL != s.WebhookURL {
			return s, FieldErrorf(EInvalidWebhook, "webhook_url", "give the webhook URL once")
		}
		rep := *s.Reporter
		rep.WebhookURL, s.WebhookURL = s.WebhookURL, ""
		s.Reporter = &rep
	}
	if s.Anonymous && s.Reporter != nil {
		return s, FieldErrorf(EInvalidReporter, "reporter", "an anonymous report carries no reporter")
	}
	if !s.Anonymous {
		if s.Reporter == nil {
			return s, FieldErrorf(ERequired, "reporter", "give your name and a phone number or email, or report anonymously")
		}
		rep, err := s.Reporter.validate(r.HTTPWebhooks)
		if err != nil {
			return s, err
		}
		s.Reporter = &rep
	}
	return s, nil
}

func (r Reporter) validate(httpWebhooks bool) (Reporter, error) {
	var err error
	if r.Name, err = checkText("reporter.name", r.Name, true, MaxName); err != nil {
		return r, err
	}
	if r.Phone, err = checkText("reporter.phone", r.Phone, false, MaxPhone); err != nil {
		return r, err
	}
	if r.Email, err = checkText("reporter.email", r.Email, false, MaxEmail); err != nil {
		return r, err
	}
	if r.WebhookURL != "" {
		if r.WebhookURL, err = CheckWebhookURL("webhook_url", r.WebhookURL, httpWebhooks); err != nil {
			return r, err
		}
	}
	if r.Phone == "" && r.Email == "" {
		return r, FieldErrorf(ERequired, "reporter.phone", "give a phone number or an email so the authority can answer you")
	}
	if r.Phone != "" {
		digits := 0
		for _, c := range r.Phone {
			switch {
			case unicode.IsDigit(c):
				digits++
			case strings.ContainsRune("+ .-()", c):
			default:
				return r, FieldErrorf(EInvalidReporter, "reporter.phone", "a phone number holds digits, spaces and + . - ( ) only")
			}
		}
		if digits < 8 || digits > 15 {
			return r, FieldErrorf(EInvalidReporter, "reporter.phone", "a phone number has 8 to 15 digits")
		}
	}
	if r.Email != "" {
		if a, err := mail.ParseAddress(r.Email); err != nil || a.Address != r.Email {
			return r, FieldErrorf(EInvalidReporter, "reporter.email", "%q is not an email address", r.Email)
		}
	}
	return r, nil
}

func (s SubmitReport) decide(_ Case, now time.Time, r Rules) ([]Event, error) {
	s, err := s.Validate(now, r)
	if err != nil {
		return nil, err
	}
	if s.Reporter != nil && s.Sealed == nil {
		return nil, Errorf(EINTERNAL, "the reporter's identity was not sealed")
	}
	if s.Anonymous && s.Sealed != nil {
		return nil, Errorf(EINTERNAL, "an anonymous report must not carry a sealed identity")
	}
	commune, _ := r.Geo.Commune(s.Location.Commune)
	unit, err := Route(s.Category, commune.Code, r.Policy.Routing, r.Geo)
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Message: err.Error()}
	}
	var note string
	if s.Kind == KindDenunciation && s.Anonymous {
		// Law on Denunciations 2018, Art. 25: an anonymous denunciation is
		// not processed as a denunciation, but its content may be checked.
		s.Kind = KindPetition
		note = "anonymous_denunciation_as_information"
	}
	clock, due, err := r.Policy.Deadlines.Deadline(s.Kind, PhaseReceived, now, commune.Remote, false)
	if err != nil {
		return nil, &Error{Code: EINTERNAL, Message: err.Error()}
	}
	return []Event{Reported{
		Kind:        s.Kind,
		Category:    s.Category,
		Title:       s.Title,
		Description: s.Description,
		Location:    s.Location,
		OccurredAt:  s.OccurredAt,
		Anonymous:   s.Anonymous,
		Reporter:    s.Sealed,
		Unit:        unit.Code,
		Remote:      commune.Remote,
		Clock:       clock,
		Deadline:    due,
		Digest:      s.Digest,
		KindNote:    note,
		Language:    s.Language,
	}}, nil
}
