package api

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"phananh/domain"
)

func TestCapitalise(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"tiêu đề quá dài", "Tiêu đề quá dài"},
		{"địa điểm chứa ký tự", "Địa điểm chứa ký tự"},
		{"đơn vị nhận", "Đơn vị nhận"},
		{"ở đâu", "Ở đâu"},
		{"Vui lòng", "Vui lòng"},
		{"\xffabc", "\xffabc"},
	} {
		if got := capitalise(tc.in); got != tc.want {
			t.Errorf("capitalise(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestVietnameseMessagesNameEveryFieldWhole renders every message that
// names a field with every field's label: each must be valid UTF-8 and
// start with a capital, whatever letter the label starts with.
func TestVietnameseMessagesNameEveryFieldWhole(t *testing.T) {
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	req.Header.Set("Accept-Language", "vi")
	for code, tmpl := range viMessages {
		if !strings.Contains(tmpl, "%s") {
			continue
		}
		for field, label := range viFields {
			_, body := localise(req, &domain.Error{Code: code, Field: field})
			msg := body.Error.Message
			first, _ := utf8.DecodeRuneInString(msg)
			if !utf8.ValidString(msg) || !unicode.IsUpper(first) {
				t.Errorf("%s/%s: message %q", code, field, msg)
			}
			if !strings.Contains(strings.ToLower(msg), strings.ToLower(label)) {
				t.Errorf("%s/%s: message %q does not name %q", code, field, msg, label)
			}
		}
	}
}
