package domain_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/uuid"

	"phananh/domain"
)

// TestMessagesShortenLongValues: a refusal names the bad value, shortened
// to MaxEchoRunes characters, whole letters only, whatever its type.
func TestMessagesShortenLongValues(t *testing.T) {
	long := strings.Repeat("ệ", domain.MaxEchoRunes+1)
	atLimit := strings.Repeat("ệ", domain.MaxEchoRunes)
	tests := []struct {
		name string
		arg  any
		want string
	}{
		{"a short value is kept", "lao-cai", `unknown "lao-cai"`},
		{"a value at the limit is kept", atLimit, `unknown "` + atLimit + `"`},
		{"one letter over is cut, by letters", long, `unknown "` + atLimit + `…"`},
		{"a named string type is cut too", domain.Category(long), `unknown "` + atLimit + `…"`},
		{"invalid UTF-8 is cut and quoted", strings.Repeat("\xff", domain.MaxEchoRunes+36), `unknown "` + strings.Repeat(`\xff`, domain.MaxEchoRunes) + `…"`},
		{"an id is not a text and is kept whole", uuid.MustParse("0192f3e0-8d5c-7a4e-9b1a-3c2d4e5f6a7b"), `unknown "0192f3e0-8d5c-7a4e-9b1a-3c2d4e5f6a7b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := []any{tt.arg}
			e := domain.FieldErrorf(domain.EINVALID, "x", "unknown %q", args...)
			if e.Message != tt.want {
				t.Errorf("message %q, want %q", e.Message, tt.want)
			}
			if args[0] != tt.arg {
				t.Errorf("the caller's argument changed to %v", args[0])
			}
			if got := domain.Errorf(domain.EINVALID, "unknown %q", tt.arg).Message; got != tt.want {
				t.Errorf("Errorf: message %q, want %q", got, tt.want)
			}
		})
	}
	if got := domain.Shorten(long); !utf8.ValidString(got) || utf8.RuneCountInString(got) != domain.MaxEchoRunes+1 {
		t.Errorf("Shorten gave %d letters (valid UTF-8: %v), want %d and an ellipsis", utf8.RuneCountInString(got), utf8.ValidString(got), domain.MaxEchoRunes)
	}
}
