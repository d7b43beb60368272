package open311

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"phananh/domain"
)

// FuzzOpen311Form sends any form body to what POST requests does with it
// before filing: parse the form within MaxFormBytes, build the report,
// validate it. A bad form is refused with a 4xx in the standard's error
// shape, never a panic or a 500; a form that passes makes a valid report.
func FuzzOpen311Form(f *testing.F) {
	for _, seed := range []string{
		"api_key=k&service_code=pollution.water&lat=22.4856&long=103.9707&attribute%5Bcommune%5D=lao-cai&description=N%C6%B0%E1%BB%9Bc+su%E1%BB%91i+%C4%91%E1%BB%95i+m%C3%A0u+%C4%91en&first_name=An&last_name=Nguy%E1%BB%85n&phone=0912+345+678",
		"service_code=land.boundary&address_string=Th%C3%B4n+1&attribute%5Bcommune%5D=phuc-khanh&description=Tranh+ch%E1%BA%A5p+ranh+gi%E1%BB%9Bi&attribute%5Btitle%5D=Ranh+gi%E1%BB%9Bi",
		"service_code=pollution.air&lat=NaN&long=Inf&attribute%5Bcommune%5D=lao-cai&description=x",
		"service_code=pollution.waste&lat=1e400&long=-1e400&attribute%5Bcommune%5D=lao-cai&description=x",
		"service_code=pollution.water&address_string=x&attribute%5Bcommune%5D=..%2F..%2Fetc&description=%3Cscript%3Ealert(1)%3C%2Fscript%3E",
		"service_code=pollution.water&address_string=x&attribute%5Bcommune%5D=lao-cai&description=%00%FF&media_url=javascript:alert(1)",
		"service_code=pollution.water&address_string=x&attribute%5Bcommune%5D=lao-cai&description=d&email=a%40b&first_name=%FF",
		"%zz=1", "a=1;b=2", "", "service_code=&&&&====",
	} {
		f.Add(seed)
	}
	h := &handler{}
	now := time.Date(2026, 11, 28, 9, 0, 0, 0, domain.Vietnam)
	rules := domain.Rules{Geo: domain.DefaultGeography(), Policy: domain.DefaultPolicy()}
	f.Fuzz(func(t *testing.T, body string) {
		req := httptest.NewRequest(http.MethodPost, Prefix+"/requests.json", strings.NewReader(body))
		req.Header.Set(echo.HeaderContentType, echo.MIMEApplicationForm)
		rec := httptest.NewRecorder()
		req.Body = http.MaxBytesReader(rec, req.Body, MaxFormBytes)
		if err := req.ParseForm(); err != nil {
			return // answered 400 or 413 by post before command runs
		}
		cmd, err := h.command(req.Form)
		if err == nil {
			cmd.ID = uuid.MustParse("01960000-0000-7000-8000-0000000003f1")
			cmd, err = cmd.Validate(now, rules)
		}
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) {
				ae = fromDomain(err)
			}
			if ae.status < 400 || ae.status >= 500 || ae.description == "" {
				t.Fatalf("refusal %d %q for %v", ae.status, ae.description, err)
			}
			return
		}
		if cmd.Anonymous == (cmd.Reporter != nil) {
			t.Fatalf("anonymous = %v with reporter %v", cmd.Anonymous, cmd.Reporter)
		}
		if !utf8.ValidString(cmd.Title) || !utf8.ValidString(cmd.Description) || cmd.Title == "" {
			t.Fatalf("title %q / description %q passed", cmd.Title, cmd.Description)
		}
		if cmd.Location.Lat == nil && cmd.Location.Address == "" {
			t.Fatal("a report without a location passed")
		}
		if _, ok := rules.Geo.Commune(cmd.Location.Commune); !ok {
			t.Fatalf("unknown commune %q passed", cmd.Location.Commune)
		}
	})
}
