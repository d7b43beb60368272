// Package jsonappend appends JSON values to a byte slice exactly as
// encoding/json (through Echo's serializer: HTML escaping on) renders them.
//
// It exists for speed: the staff queue page is the hottest read answer, and
// encoding it by reflection (time.Time.MarshalJSON, uuid.UUID.MarshalText,
// the encoder's compaction of their output) cost more CPU than the query
// that produced it (BenchmarkEncodeQueuePage in api). Hand-written appenders
// for the answer's types use these helpers; tests in this package and in api
// (TestQueuePageJSON, FuzzQueuePageJSON) hold the bytes equal to
// encoding/json's.
package jsonappend

import (
	"time"
	"unicode/utf8"

	"github.com/google/uuid"
)

const hex = "0123456789abcdef"

// String appends s as a JSON string, escaped as encoding/json escapes it
// with HTML escaping on (its default, and Echo's): `"` and `\` get a
// backslash; \b, \f, \n, \r and \t their short escapes; other control
// characters and <, >, & become \u00XX; U+2028 and U+2029 become \u2028 and
// \u2029; each byte of invalid UTF-8 becomes \ufffd. This is
// encoding/json's appendString, kept in step by FuzzString.
func String(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// Time appends t as time.Time.MarshalJSON does: RFC 3339 with nanoseconds
// (trailing zeros dropped), in t's own zone, quoted. It fails as
// MarshalJSON fails (a year outside 0–9999, a zone offset that RFC 3339
// cannot write); the caller then leaves the answer to encoding/json, which
// fails the same way.
func Time(b []byte, t time.Time) ([]byte, error) {
	b = append(b, '"')
	b, err := t.AppendText(b)
	if err != nil {
		return nil, err
	}
	return append(b, '"'), nil
}

// UUID appends id as uuid.UUID.MarshalText does, quoted: its 36-character
// lower-case form (no character of which JSON or HTML escaping touches).
func UUID(b []byte, id uuid.UUID) []byte {
	b = append(b, '"')
	for i, c := range id {
		switch i {
		case 4, 6, 8, 10:
			b = append(b, '-')
		}
		b = append(b, hex[c>>4], hex[c&0xF])
	}
	return append(b, '"')
}
