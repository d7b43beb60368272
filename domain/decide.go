package domain

import (
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Rules is what Decide consults besides the case: the operator's geography
// and policy. Both are data loaded at start-up.
type Rules struct {
	Geo    *Geography
	Policy *Policy
	// HTTPWebhooks lets a reporter subscribe a plain http webhook; only
	// tests and closed networks should set it.
	HTTPWebhooks bool
}

// Command is a request to change a case. Every command is decided by
// Decide against the case's current state; the set is closed so that the
// lifecycle table and the tests can list them all.
type Command interface {
	// EventType is the type of the main event the command produces; Decide
	// checks the lifecycle table with it before any other rule.
	EventType() string
	decide(c Case, now time.Time, r Rules) ([]Event, error)
}

// Decide validates a command against a case and returns the events that
// record it, or a coded *Error. It reads no clock and no randomness: now and
// the rules come in as arguments.
func Decide(c Case, cmd Command, now time.Time, r Rules) ([]Event, error) {
	key := cmd.EventType()
	if k, ok := cmd.(interface{ lifecycleKey() string }); ok {
		key = k.lifecycleKey()
	}
	if !CanHappen(key, c.Status) {
		if c.Status == StatusNew {
			return nil, Errorf(ENOTFOUND, "no such case")
		}
		return nil, &Error{Code: EIllegalTransition,
			Message: fmt.Sprintf("%s is not allowed while the case is %s", cmd.EventType(), c.Status)}
	}
	return cmd.decide(c, now, r)
}

// Text limits, in characters (runes). Every text a person types has one.
const (
	MaxTitle       = 200
	MaxDescription = 5000
	MaxAddress     = 300
	MaxName        = 100
	MaxPhone       = 20
	MaxEmail       = 254
	MaxReason      = 2000
	MaxComment     = 5000
	MaxCode        = 64
)

// checkText validates a text field: valid UTF-8, no control characters
// other than line breaks and tabs, within min and max characters after
// trimming. It returns the text composed (NFC) and trimmed: a keyboard
// that sends "ệ" as e and two combining marks (Unikey's "Unicode tổ hợp",
// macOS file names) would otherwise count three characters for one
// letter, store a form whose digest differs from the composed one's, and
// let a later cut part a letter from its marks. (Search folds marks away,
// so it matches either form.)
func checkText(field, s string, required bool, max int) (string, error) {
	if !utf8.ValidString(s) {
		return "", FieldErrorf(EInvalidText, field, "%s is not valid UTF-8", field)
	}
	s = strings.TrimSpace(norm.NFC.String(s))
	if s == "" {
		if required {
			return "", FieldErrorf(ERequired, field, "%s is required", field)
		}
		return "", nil
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", FieldErrorf(ETooLong, field, "%s has %d characters, at most %d are allowed", field, n, max)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return "", FieldErrorf(EInvalidText, field, "%s contains control characters", field)
		}
	}
	return s, nil
}
