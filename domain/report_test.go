package domain_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
)

// validAnonymousReport is a report that passes every check: an anonymous
// water pollution report from Phường Lào Cai.
func validAnonymousReport() domain.SubmitReport {
	return domain.SubmitReport{
		ID:          caseID,
		Category:    "pollution.water",
		Title:       "Nước suối đổi màu",
		Description: "Nước suối chuyển màu đỏ từ sáng nay, cá chết nhiều.",
		Location:    domain.Location{Commune: "lao-cai"},
		Anonymous:   true,
		Digest:      "digest-1",
	}
}

// validNamedReport is validAnonymousReport from a named, sealed reporter.
func validNamedReport() domain.SubmitReport {
	r := validAnonymousReport()
	r.Anonymous = false
	r.Reporter = &domain.Reporter{Name: "Nguyễn Thị B", Phone: "+84 912-345-678", Email: "b@example.vn"}
	r.Sealed = sealed
	return r
}

func ptr[T any](v T) *T { return &v }

func TestSubmitReportRefusesBadInput(t *testing.T) {
	tests := []struct {
		name      string
		change    func(r *domain.SubmitReport)
		wantCode  domain.Code
		wantField string
	}{
		{"no report id", func(r *domain.SubmitReport) { r.ID = uuid.Nil }, domain.EInvalidID, "id"},
		{"unknown category", func(r *domain.SubmitReport) { r.Category = "pollution.light" }, domain.EInvalidCategory, "category"},
		{"no category", func(r *domain.SubmitReport) { r.Category = "" }, domain.EInvalidCategory, "category"},
		{"unknown kind", func(r *domain.SubmitReport) { r.Kind = "rumour" }, domain.EInvalidKind, "kind"},
		{"missing title", func(r *domain.SubmitReport) { r.Title = "" }, domain.ERequired, "title"},
		{"title of spaces only", func(r *domain.SubmitReport) { r.Title = " \t\n " }, domain.ERequired, "title"},
		{"title of 201 characters", func(r *domain.SubmitReport) { r.Title = strings.Repeat("ệ", domain.MaxTitle+1) }, domain.ETooLong, "title"},
		{"title that is not UTF-8", func(r *domain.SubmitReport) { r.Title = "N\xffước" }, domain.EInvalidText, "title"},
		{"title with a NUL", func(r *domain.SubmitReport) { r.Title = "Nước\x00suối" }, domain.EInvalidText, "title"},
		{"title with an escape sequence", func(r *domain.SubmitReport) { r.Title = "Nước \x1b[31msuối" }, domain.EInvalidText, "title"},
		{"title with a C1 control", func(r *domain.SubmitReport) { r.Title = "Nước\u0085suối" }, domain.EInvalidText, "title"},
		{"missing description", func(r *domain.SubmitReport) { r.Description = "" }, domain.ERequired, "description"},
		{"description too long", func(r *domain.SubmitReport) { r.Description = strings.Repeat("a", domain.MaxDescription+1) }, domain.ETooLong, "description"},
		{"description with a bell", func(r *domain.SubmitReport) { r.Description = "cá chết\a" }, domain.EInvalidText, "description"},
		{"missing commune", func(r *domain.SubmitReport) { r.Location.Commune = "" }, domain.ERequired, "location.commune"},
		{"unknown commune", func(r *domain.SubmitReport) { r.Location.Commune = "hoan-kiem" }, domain.EInvalidCommune, "location.commune"},
		{"address too long", func(r *domain.SubmitReport) { r.Location.Address = strings.Repeat("x", domain.MaxAddress+1) }, domain.ETooLong, "location.address"},
		{"coordinates 0, 0", func(r *domain.SubmitReport) { r.Location.Lat, r.Location.Lon = ptr(0.0), ptr(0.0) }, domain.EInvalidLocation, "location"},
		{"latitude and longitude swapped", func(r *domain.SubmitReport) { r.Location.Lat, r.Location.Lon = ptr(103.97), ptr(22.48) }, domain.EInvalidLocation, "location"},
		{"coordinates in Bangkok", func(r *domain.SubmitReport) { r.Location.Lat, r.Location.Lon = ptr(13.75), ptr(100.5) }, domain.EInvalidLocation, "location"},
		{"coordinates in Kunming", func(r *domain.SubmitReport) { r.Location.Lat, r.Location.Lon = ptr(25.04), ptr(102.71) }, domain.EInvalidLocation, "location"},
		{"only a latitude", func(r *domain.SubmitReport) { r.Location.Lat = ptr(22.48) }, domain.EInvalidLocation, "location"},
		{"only a longitude", func(r *domain.SubmitReport) { r.Location.Lon = ptr(103.97) }, domain.EInvalidLocation, "location"},
		{"occurred in the future", func(r *domain.SubmitReport) { r.OccurredAt = ptr(now.Add(time.Hour)) }, domain.EInvalidTime, "occurred_at"},
		{"occurred before 2000", func(r *domain.SubmitReport) { r.OccurredAt = ptr(time.Date(1999, 12, 31, 0, 0, 0, 0, domain.Vietnam)) }, domain.EInvalidTime, "occurred_at"},
		{"anonymous with a reporter", func(r *domain.SubmitReport) { r.Reporter = &domain.Reporter{Name: "A", Phone: "0912345678"} }, domain.EInvalidReporter, "reporter"},
		{"named without a reporter", func(r *domain.SubmitReport) { r.Anonymous = false }, domain.ERequired, "reporter"},
		{"named without a name", func(r *domain.SubmitReport) { *r = validNamedReport(); r.Reporter.Name = " " }, domain.ERequired, "reporter.name"},
		{"named with a control character in the name", func(r *domain.SubmitReport) { *r = validNamedReport(); r.Reporter.Name = "Nguyễn\x07" }, domain.EInvalidText, "reporter.name"},
		{"named without phone or email", func(r *domain.SubmitReport) { *r = validNamedReport(); r.Reporter.Phone, r.Reporter.Email = "", "" }, domain.ERequired, "reporter.phone"},
		{"phone with letters", func(r *domain.SubmitReport) { *r = validNamedReport(); r.Reporter.Phone = "0912-ABC-678" }, domain.EInvalidReporter, "reporter.phone"},
		{"phone with 7 digits", func(r *domain.SubmitReport) { *r = validNamedReport(); r.Reporter.Phone = "123 4567" }, domain.EInvalidReporter, "reporter.phone"},
		{"phone with 16 digits", func(r *domain.SubmitReport) { *r = validNamedReport(); r.Reporter.Phone = "1234567890123456" }, domain.EInvalidReporter, "reporter.phone"},
		{"a language we do not answer in", func(r *domain.SubmitReport) { r.Language = "fr" }, domain.EInvalidLanguage, "language"},
		{"a webhook on an anonymous report", func(r *domain.SubmitReport) { r.WebhookURL = "https://app.example.vn/hook" }, domain.EInvalidWebhook, "webhook_url"},
		{"a plain http webhook", func(r *domain.SubmitReport) { *r = validNamedReport(); r.WebhookURL = "http://app.example.vn/hook" }, domain.EInvalidWebhook, "webhook_url"},
		{"a relative webhook", func(r *domain.SubmitReport) { *r = validNamedReport(); r.WebhookURL = "/hook" }, domain.EInvalidWebhook, "webhook_url"},
		{"a webhook without a host", func(r *domain.SubmitReport) { *r = validNamedReport(); r.WebhookURL = "https:///hook" }, domain.EInvalidWebhook, "webhook_url"},
		{"a webhook with a password", func(r *domain.SubmitReport) {
			*r = validNamedReport()
			r.WebhookURL = "https://u:p@app.example.vn/hook"
		}, domain.EInvalidWebhook, "webhook_url"},
		{"a javascript webhook", func(r *domain.SubmitReport) { *r = validNamedReport(); r.WebhookURL = "javascript:alert(1)" }, domain.EInvalidWebhook, "webhook_url"},
		{"a webhook too long", func(r *domain.SubmitReport) {
			*r = validNamedReport()
			r.WebhookURL = "https://app.example.vn/" + strings.Repeat("a", domain.MaxWebhookURL)
		}, domain.EInvalidWebhook, "webhook_url"},
		{"phone longer than a phone", func(r *domain.SubmitReport) {
			*r = validNamedReport()
			r.Reporter.Phone = strings.Repeat("1", domain.MaxPhone+1)
		}, domain.ETooLong, "reporter.phone"},
		{"email without an at sign", func(r *domain.SubmitReport) { *r = validNamedReport(); r.Reporter.Email = "b.example.vn" }, domain.EInvalidReporter, "reporter.email"},
		{"email with a display name", func(r *domain.SubmitReport) { *r = validNamedReport(); r.Reporter.Email = "B <b@example.vn>" }, domain.EInvalidReporter, "reporter.email"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validAnonymousReport()
			tt.change(&r)
			_, verr := r.Validate(now, defaults)
			wantError(t, verr, tt.wantCode, tt.wantField)
			events, err := domain.Decide(domain.Case{}, r, now, defaults)
			wantError(t, err, tt.wantCode, tt.wantField)
			if events != nil {
				t.Fatalf("Decide returned events %+v with an error", events)
			}
		})
	}
}

func TestSubmitReportAcceptsEdgeCases(t *testing.T) {
	tests := []struct {
		name   string
		change func(r *domain.SubmitReport)
	}{
		{"title of exactly 200 characters", func(r *domain.SubmitReport) { r.Title = strings.Repeat("ệ", domain.MaxTitle) }},
		{"title of 200 characters inside spaces", func(r *domain.SubmitReport) { r.Title = "  " + strings.Repeat("a", domain.MaxTitle) + "\n" }},
		{"description with lines and tabs", func(r *domain.SubmitReport) { r.Description = "Dòng 1\r\nDòng 2\tcột" }},
		{"occurred a few minutes ahead (a phone's clock drifts)", func(r *domain.SubmitReport) { r.OccurredAt = ptr(now.Add(5 * time.Minute)) }},
		{"coordinates in Lào Cai", func(r *domain.SubmitReport) { r.Location.Lat, r.Location.Lon = ptr(22.48), ptr(103.97) }},
		{"coordinates on Phú Quốc", func(r *domain.SubmitReport) { r.Location.Lat, r.Location.Lon = ptr(10.22), ptr(103.96) }},
		{"coordinates in the Trường Sa islands", func(r *domain.SubmitReport) { r.Location.Lat, r.Location.Lon = ptr(8.64), ptr(111.92) }},
		{"coordinates in the Hoàng Sa islands", func(r *domain.SubmitReport) { r.Location.Lat, r.Location.Lon = ptr(16.5), ptr(112.0) }},
		{"named with a phone only", func(r *domain.SubmitReport) { *r = validNamedReport(); r.Reporter.Email = "" }},
		{"named with an email only", func(r *domain.SubmitReport) { *r = validNamedReport(); r.Reporter.Phone = "" }},
		{"named with a phone in brackets and dots", func(r *domain.SubmitReport) { *r = validNamedReport(); r.Reporter.Phone = "(0214) 3.840.123" }},
		{"answered in English", func(r *domain.SubmitReport) { r.Language = "en" }},
		{"answered in Vietnamese, written in capitals", func(r *domain.SubmitReport) { r.Language = "VI" }},
		{"named with an https webhook", func(r *domain.SubmitReport) {
			*r = validNamedReport()
			r.WebhookURL = "https://app.example.vn/hook?t=1"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := validAnonymousReport()
			tt.change(&r)
			events, err := domain.Decide(domain.Case{}, r, now, defaults)
			if err != nil {
				t.Fatalf("Decide: %v", err)
			}
			if len(events) != 1 {
				t.Fatalf("events = %+v, want one Reported", events)
			}
		})
	}
}

func TestSubmitReportOpensACase(t *testing.T) {
	occurred := now.Add(-3 * time.Hour)
	lat, lon := 22.48, 103.97

	tests := []struct {
		name   string
		report func() domain.SubmitReport
		want   domain.Reported
	}{
		{
			name: "water pollution goes to the commune's People's Committee, acknowledged in one working day",
			report: func() domain.SubmitReport {
				r := validAnonymousReport()
				r.Title = "  Nước suối đổi màu  "
				r.Location = domain.Location{Commune: "lao-cai", Address: " Tổ 5 ", Lat: &lat, Lon: &lon}
				r.OccurredAt = &occurred
				return r
			},
			want: domain.Reported{
				Kind: domain.KindIncident, Category: "pollution.water",
				Title:       "Nước suối đổi màu",
				Description: "Nước suối chuyển màu đỏ từ sáng nay, cá chết nhiều.",
				Location:    domain.Location{Commune: "lao-cai", Address: "Tổ 5", Lat: &lat, Lon: &lon},
				OccurredAt:  &occurred,
				Anonymous:   true,
				Unit:        "ubnd.lao-cai",
				Clock:       domain.ClockAcknowledge,
				Deadline:    endOfDay(2026, 3, 5),
				Digest:      "digest-1",
			},
		},
		{
			name:   "illegal mining is a denunciation for the department's inspectors, 7 working days to accept",
			report: func() domain.SubmitReport { r := validNamedReport(); r.Category = "pollution.mining"; return r },
			want: domain.Reported{
				Kind: domain.KindDenunciation, Category: "pollution.mining",
				Title: "Nước suối đổi màu", Description: "Nước suối chuyển màu đỏ từ sáng nay, cá chết nhiều.",
				Location: domain.Location{Commune: "lao-cai"},
				Reporter: sealed,
				Unit:     "snnmt.thanh-tra",
				Clock:    domain.ClockAccept,
				Deadline: endOfDay(2026, 3, 13),
				Digest:   "digest-1",
			},
		},
		{
			name: "a boundary dispute goes to the commune for mediation, 3 working days to accept",
			report: func() domain.SubmitReport {
				r := validNamedReport()
				r.Category, r.Location.Commune = "land.boundary", "cam-duong"
				return r
			},
			want: domain.Reported{
				Kind: domain.KindLandDispute, Category: "land.boundary",
				Title: "Nước suối đổi màu", Description: "Nước suối chuyển màu đỏ từ sáng nay, cá chết nhiều.",
				Location: domain.Location{Commune: "cam-duong"},
				Reporter: sealed,
				Unit:     "ubnd.cam-duong",
				Clock:    domain.ClockAccept,
				Deadline: endOfDay(2026, 3, 9),
				Digest:   "digest-1",
			},
		},
		{
			name:   "a compensation complaint: 10 calendar days to accept",
			report: func() domain.SubmitReport { r := validNamedReport(); r.Category = "land.compensation"; return r },
			want: domain.Reported{
				Kind: domain.KindComplaint, Category: "land.compensation",
				Title: "Nước suối đổi màu", Description: "Nước suối chuyển màu đỏ từ sáng nay, cá chết nhiều.",
				Location: domain.Location{Commune: "lao-cai"},
				Reporter: sealed,
				Unit:     "ubnd.lao-cai",
				Clock:    domain.ClockAccept,
				Deadline: endOfDay(2026, 3, 14),
				Digest:   "digest-1",
			},
		},
		{
			name:   "a general land petition goes to the land division, 15 working days to resolve",
			report: func() domain.SubmitReport { r := validAnonymousReport(); r.Category = "land.other"; return r },
			want: domain.Reported{
				Kind: domain.KindPetition, Category: "land.other",
				Title: "Nước suối đổi màu", Description: "Nước suối chuyển màu đỏ từ sáng nay, cá chết nhiều.",
				Location:  domain.Location{Commune: "lao-cai"},
				Anonymous: true,
				Unit:      "snnmt.dat-dai",
				Clock:     domain.ClockResolve,
				Deadline:  endOfDay(2026, 3, 25),
				Digest:    "digest-1",
			},
		},
		{
			name:   "a kind the citizen chose overrides the category's default",
			report: func() domain.SubmitReport { r := validNamedReport(); r.Kind = domain.KindComplaint; return r },
			want: domain.Reported{
				Kind: domain.KindComplaint, Category: "pollution.water",
				Title: "Nước suối đổi màu", Description: "Nước suối chuyển màu đỏ từ sáng nay, cá chết nhiều.",
				Location: domain.Location{Commune: "lao-cai"},
				Reporter: sealed,
				Unit:     "ubnd.lao-cai",
				Clock:    domain.ClockAccept,
				Deadline: endOfDay(2026, 3, 14),
				Digest:   "digest-1",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			events, err := domain.Decide(domain.Case{}, tt.report(), now, defaults)
			if err != nil {
				t.Fatalf("Decide: %v", err)
			}
			want := []domain.Event{tt.want}
			if !reflect.DeepEqual(events, want) {
				t.Fatalf("events =\n  %+v\nwant\n  %+v", events, want)
			}
			c := given(events...)
			if got, want := c.Status, domain.StatusReceived; got != want {
				t.Fatalf("status = %v, want %v", got, want)
			}
			if got, want := c.ID, caseID; got != want {
				t.Fatalf("case id = %v, want %v", got, want)
			}
			if !c.ReceivedAt.Equal(receivedAt) {
				t.Fatalf("received at = %v, want %v", c.ReceivedAt, receivedAt)
			}
		})
	}
}

func TestSubmitReportRefusesAnUnsealedReporter(t *testing.T) {
	r := validNamedReport()
	r.Sealed = nil
	if _, err := r.Validate(now, defaults); err != nil {
		t.Fatalf("Validate: %v; sealing happens after validation, so it must not ask for a seal", err)
	}
	events, err := domain.Decide(domain.Case{}, r, now, defaults)
	wantError(t, err, domain.EINTERNAL, "")
	if events != nil {
		t.Fatalf("events = %+v, want none", events)
	}
}

func TestSubmitReportRefusesAnAnonymousReportWithASealedIdentity(t *testing.T) {
	r := validNamedReport()
	r.Reporter, r.Anonymous = nil, true // Sealed stays: a wiring fault, not citizen input
	events, err := domain.Decide(domain.Case{}, r, now, defaults)
	wantError(t, err, domain.EINTERNAL, "")
	if events != nil {
		t.Fatalf("events = %+v, want none", events)
	}
}

func TestValidateNormalisesTheReport(t *testing.T) {
	r := validNamedReport()
	r.Title = "  Khói bụi  "
	r.Reporter.Name = " Nguyễn Thị B "
	got, err := r.Validate(now, defaults)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "Khói bụi" || got.Reporter.Name != "Nguyễn Thị B" {
		t.Fatalf("title, name = %q, %q; want them trimmed", got.Title, got.Reporter.Name)
	}
	if got.Kind != domain.KindIncident {
		t.Fatalf("kind = %q, want the category's default %q", got.Kind, domain.KindIncident)
	}
}

// TestTextsAreComposed: a letter typed as a base and combining marks (a
// Vietnamese keyboard's "tổ hợp" mode) counts and is kept as the one
// composed character a person sees, in a report and in an action's text.
func TestTextsAreComposed(t *testing.T) {
	decomposed := strings.Repeat("e\u0323\u0302", domain.MaxTitle) // "ệ" × 200: 600 code points
	composed := strings.Repeat("ệ", domain.MaxTitle)
	r := validNamedReport()
	r.Title, r.Reporter.Name = decomposed, " Nguye\u0302\u0303n Thi\u0323 B "
	got, err := r.Validate(now, defaults)
	if err != nil {
		t.Fatalf("a title of %d letters typed decomposed: %v", domain.MaxTitle, err)
	}
	if got.Title != composed || got.Reporter.Name != "Nguyễn Thị B" {
		t.Errorf("title, name = %+q, %+q; want them composed", got.Title, got.Reporter.Name)
	}
	r.Title = decomposed + "e\u0323\u0302"
	_, err = r.Validate(now, defaults)
	wantError(t, err, domain.ETooLong, "title")

	events, err := domain.Decide(given(incidentReported), domain.AddComment{Text: "Đa\u0303 xu\u031b\u0309 ly\u0301"}, now, defaults)
	if err != nil {
		t.Fatal(err)
	}
	if text := events[0].(domain.CommentAdded).Text; text != "Đã xử lý" {
		t.Errorf("comment = %+q, want %+q", text, "Đã xử lý")
	}
}

func TestSubmitReportFromARemoteCommune(t *testing.T) {
	geo := mustGeography(t, `{"province":"P","communes":[{"code":"ban-xeo","name":"Xã Bản Xèo","remote":true}],
		"units":[{"code":"ubnd.ban-xeo","name":"UBND xã Bản Xèo","type":"commune_committee","commune":"ban-xeo"},
		{"code":"snnmt.thanh-tra","name":"Thanh tra","type":"division"},
		{"code":"snnmt.moi-truong","name":"Môi trường","type":"division"},
		{"code":"snnmt.dat-dai","name":"Đất đai","type":"division"}]}`)
	rules := domain.Rules{Geo: geo, Policy: defaults.Policy}
	r := validNamedReport()
	r.Category, r.Location.Commune = "land.compensation", "ban-xeo"
	events, err := domain.Decide(domain.Case{}, r, now, rules)
	if err != nil {
		t.Fatal(err)
	}
	got := events[0].(domain.Reported)
	if !got.Remote || got.Unit != "ubnd.ban-xeo" {
		t.Fatalf("remote, unit = %v, %s; want true, ubnd.ban-xeo", got.Remote, got.Unit)
	}
	// The remote flag follows the case: acceptance gives the remote complaint clock.
	accepted, err := domain.Decide(given(got), domain.Accept{}, now, rules)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := accepted[0].(domain.Accepted).Deadline, endOfDay(2026, 4, 18); !got.Equal(want) {
		t.Fatalf("deadline = %v, want %v (45 days for a remote commune)", got, want)
	}
}

func TestSubmitReportRecordsLanguageAndSealsTheWebhook(t *testing.T) {
	r := validNamedReport()
	r.Language, r.WebhookURL = "en", "https://app.example.vn/hook"
	valid, err := r.Validate(now, defaults)
	if err != nil {
		t.Fatal(err)
	}
	// The webhook moves into the identity that the application seals.
	if valid.WebhookURL != "" || valid.Reporter.WebhookURL != "https://app.example.vn/hook" {
		t.Errorf("webhook %q, reporter's %q: want it in the reporter only", valid.WebhookURL, valid.Reporter.WebhookURL)
	}
	events, err := domain.Decide(domain.Case{}, valid, now, defaults)
	if err != nil {
		t.Fatal(err)
	}
	rep := events[0].(domain.Reported)
	if rep.Language != "en" || rep.Lang() != "en" {
		t.Errorf("language %q (%q), want en", rep.Language, rep.Lang())
	}
	if got := (domain.Reported{}).Lang(); got != "vi" {
		t.Errorf("a report without a language is answered in %q, want vi", got)
	}
	// An http webhook passes only where the rules allow it (tests, closed networks).
	r.WebhookURL = "http://127.0.0.1:8080/hook"
	withHTTP := defaults
	withHTTP.HTTPWebhooks = true
	if _, err := r.Validate(now, withHTTP); err != nil {
		t.Errorf("http webhook with HTTPWebhooks: %v", err)
	}
}
