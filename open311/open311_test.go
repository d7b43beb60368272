package open311

import (
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"phananh/domain"
)

func TestTitleOf(t *testing.T) {
	long := strings.Repeat("Nước suối đổi màu ", 20)
	tests := []struct {
		name, description, want string
	}{
		{"short", "Khói đen bốc lên", "Khói đen bốc lên"},
		{"first line only", "Khói đen\nsuốt đêm qua", "Khói đen"},
		{"cut at a word", long, ""},
	}
	// The last space of the first 100 runes is rune 42 but byte 61: a cut
	// there would leave less than half, so the title keeps 100 runes.
	url := "Nước thải từ nhà máy đổ ra suối Ngòi Đường https://anh.lao-cai.vn/" + strings.Repeat("x", 80)
	tests = append(tests, struct{ name, description, want string }{
		"no word boundary in the second half", url, string([]rune(url)[:derivedTitleLen]) + "…"})
	// "ệ" as e and two combining marks, at the cut: composed first, whole.
	nfd := strings.Repeat("x", derivedTitleLen-1) + "e\u0323\u0302 và thêm"
	tests = append(tests, struct{ name, description, want string }{
		"decomposed letter at the cut", nfd, strings.Repeat("x", derivedTitleLen-1) + "ệ…"})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := titleOf(tt.description)
			if tt.want != "" && got != tt.want {
				t.Errorf("titleOf = %q, want %q", got, tt.want)
			}
			if n := utf8.RuneCountInString(got); n > derivedTitleLen+1 || n > domain.MaxTitle {
				t.Errorf("titleOf is %d runes: %q", n, got)
			}
			if tt.want == "" && (!strings.HasSuffix(got, "…") || strings.HasSuffix(got, " …") || !strings.HasPrefix(long, strings.TrimSuffix(got, "…"))) {
				t.Errorf("titleOf(long) = %q, want a prefix cut at a word and an ellipsis", got)
			}
		})
	}
}

func TestFromDomainNamesTheOpen311Parameter(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		wantStatus int
		wantPrefix string
	}{
		{"commune", domain.FieldErrorf(domain.EInvalidCommune, "location.commune", "unknown commune %q", "x"), http.StatusBadRequest, "attribute[commune]: "},
		{"phone", domain.FieldErrorf(domain.ERequired, "reporter.phone", "give a phone"), http.StatusBadRequest, "phone: "},
		{"coordinates", domain.FieldErrorf(domain.EInvalidLocation, "location", "outside Vietnam"), http.StatusBadRequest, "lat/long: "},
		{"not found", domain.Errorf(domain.ENOTFOUND, "no case"), http.StatusNotFound, "no case"},
		{"unavailable", domain.Errorf(domain.EUnavailable, "wait"), http.StatusServiceUnavailable, "the server is catching up"},
		{"ours", domain.Errorf(domain.EINTERNAL, "secret detail"), http.StatusInternalServerError, "internal error"},
		{"not a domain error", http.ErrHandlerTimeout, http.StatusInternalServerError, "internal error"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := fromDomain(tt.err)
			if got.status != tt.wantStatus || !strings.HasPrefix(got.description, tt.wantPrefix) {
				t.Errorf("fromDomain = %d %q, want %d %q…", got.status, got.description, tt.wantStatus, tt.wantPrefix)
			}
			if strings.Contains(got.description, "secret detail") {
				t.Errorf("a fault of ours leaks its detail: %q", got.description)
			}
		})
	}
}

func TestCommaList(t *testing.T) {
	if got := commaList(" a, ,b,"); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("commaList = %q, want [a b]", got)
	}
	if got := commaList(""); got != nil {
		t.Errorf("commaList(\"\") = %q, want nil", got)
	}
}
