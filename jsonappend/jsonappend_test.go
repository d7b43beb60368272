package jsonappend_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"phananh/jsonappend"
)

// marshal is encoding/json's rendering of v, HTML escaping on.
func marshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("json.Marshal(%#v): %v", v, err)
	}
	return string(b)
}

func TestString(t *testing.T) {
	for _, s := range []string{
		"", "plain", "Nước suối đổi màu", `"quoted" \back\slash/`, "<script>&amp;</script>",
		"\x00\x01\x07\b\t\n\v\f\r\x1b\x1f\x7f", "\u0085\u00a0\u2027\u2028\u2029\u202a", "\ufffd", "\uffff\U0010ffff",
		"\xff", "a\xc3", "\xe2\x82", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xc0\xaf", strings.Repeat("ô<", 500),
	} {
		if got, want := string(jsonappend.String([]byte("x"), s)), "x"+marshal(t, s); got != want {
			t.Errorf("String(%q) = %s, want %s", s, got, want)
		}
	}
}

func TestTime(t *testing.T) {
	at := time.Date(2026, 3, 2, 1, 15, 4, 123456789, time.UTC)
	for _, tm := range []time.Time{
		{}, at, at.Truncate(time.Second), at.Truncate(time.Millisecond), at.Add(-123456700),
		at.In(time.FixedZone("ICT", 7*3600)), at.In(time.FixedZone("", -(9*3600 + 30*60 + 15))), time.Now(),
		time.Date(9999, 12, 31, 23, 59, 59, 999999999, time.UTC),
	} {
		got, err := jsonappend.Time(nil, tm)
		if err != nil {
			t.Fatalf("Time(%v): %v", tm, err)
		}
		if want := marshal(t, tm); string(got) != want {
			t.Errorf("Time(%v) = %s, want %s", tm, got, want)
		}
	}
	for _, tm := range []time.Time{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
		at.In(time.FixedZone("", 24*3600)),
	} {
		if _, err := jsonappend.Time(nil, tm); err == nil {
			t.Errorf("Time(%v): no error", tm)
		}
		if _, err := json.Marshal(tm); err == nil {
			t.Errorf("json.Marshal(%v): no error", tm)
		}
	}
}

func TestUUID(t *testing.T) {
	for _, id := range []uuid.UUID{uuid.Nil, uuid.Max, uuid.MustParse("01960000-0000-7000-8000-0000000000f0"), uuid.New()} {
		if got, want := string(jsonappend.UUID(nil, id)), marshal(t, id); got != want {
			t.Errorf("UUID(%v) = %s, want %s", id, got, want)
		}
	}
}

// FuzzString compares String with encoding/json on random strings.
func FuzzString(f *testing.F) {
	for _, s := range []string{"", "Nước", `"<>&\`, "\x00\x1f\x7f", "\u2028\u2029", "\xff\xc3(", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(jsonappend.String(nil, s)), marshal(t, s); got != want {
			t.Fatalf("String(%q) = %s, want %s", s, got, want)
		}
	})
}
