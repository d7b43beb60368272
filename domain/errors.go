package domain

import (
	"errors"
	"fmt"
	"reflect"
	"unicode/utf8"
)

// Code classifies an error for the person who will see it. The HTTP layer
// maps each code to a status and a localised message in one place.
type Code string

// Error codes. Generic codes map to an HTTP status; specific codes name the
// exact problem so a client can react to it without parsing messages.
const (
	EINVALID   Code = "invalid"   // the request is malformed or breaks a rule
	ENOTFOUND  Code = "not_found" // no such case (or the caller may not know it exists)
	ECONFLICT  Code = "conflict"  // the case is not in a state that allows this
	EFORBIDDEN Code = "forbidden" // the actor may not do this
	EINTERNAL  Code = "internal"  // a fault of ours, not of the caller

	// Specific validation codes.
	EInvalidCategory    Code = "invalid_category"
	EInvalidKind        Code = "invalid_kind"
	EInvalidCommune     Code = "invalid_commune"
	EInvalidLocation    Code = "invalid_location"
	EInvalidText        Code = "invalid_text"
	EInvalidTime        Code = "invalid_time"
	EInvalidID          Code = "invalid_id"
	EInvalidReporter    Code = "invalid_reporter"
	ERequired           Code = "required"
	ETooLong            Code = "too_long"
	EIllegalTransition  Code = "illegal_transition"
	EVersionConflict    Code = "version_conflict"
	EDuplicateSubmitted Code = "duplicate_id"
	ELimitReached       Code = "limit_reached"
	EInvalidFileType    Code = "invalid_file_type"
	EFileTooLarge       Code = "file_too_large"
	EUnavailable        Code = "unavailable" // not ready yet; retry later
	EInvalidLanguage    Code = "invalid_language"
	EInvalidWebhook     Code = "invalid_webhook"
)

// Error is a business error: a code for machines, a field when one input is
// to blame, and an English message for logs. Localised messages for people
// are chosen by code (and field) in the HTTP layer.
type Error struct {
	Code    Code
	Field   string
	Message string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s (%s): %s", e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
// Texts among args longer than MaxEchoRunes are shortened (see Shorten).
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, shortenArgs(args)...)}
}

// FieldErrorf returns an *Error that blames one input field. Texts among
// args longer than MaxEchoRunes are shortened (see Shorten).
func FieldErrorf(code Code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, shortenArgs(args)...)}
}

// MaxEchoRunes bounds how much of a caller's value a message repeats. A
// message names the bad value so that a person can find it in what they
// sent; 60 KB of it sent back (a body may be that large) helps no one. It
// leaves whole the longest names the service makes (an attachment's
// object, a case id and a file id: 73 characters).
const MaxEchoRunes = 100

// Shorten returns s, or its first MaxEchoRunes characters and "…" when it
// is longer, for repeating a caller's value in a message.
func Shorten(s string) string {
	if len(s) <= MaxEchoRunes { // bytes ≥ runes: short enough already
		return s
	}
	n := 0
	for i := range s {
		if n == MaxEchoRunes {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// shortenArgs shortens the texts among a message's arguments: strings and
// named string types (a category, a unit code), as they would print.
// Numbers, ids and times are short already and are left alone.
func shortenArgs(args []any) []any {
	out := args
	for i, a := range args {
		rv := reflect.ValueOf(a)
		if rv.Kind() != reflect.String || rv.Len() <= MaxEchoRunes {
			continue
		}
		s := rv.String()
		if v, ok := a.(fmt.Stringer); ok {
			s = v.String()
		}
		if utf8.RuneCountInString(s) <= MaxEchoRunes {
			continue
		}
		if len(out) > 0 && &out[0] == &args[0] {
			out = append([]any(nil), args...) // the caller's slice stays as it was
		}
		out[i] = Shorten(s)
	}
	return out
}

// ErrConcurrency reports that a case changed between loading and appending:
// another command won the race. Callers reload, decide again and retry a
// bounded number of times, or report a conflict.
var ErrConcurrency = &Error{Code: EVersionConflict, Message: "the case was changed by someone else; reload and try again"}

// ErrReporterErased reports that a reporter's key was destroyed: the sealed
// identity can never be opened again. The vault returns it; readers show
// the reporter as erased. It lives here so the application can recognise it
// without depending on the store.
var ErrReporterErased = errors.New("reporter identity erased")

// ErrorCode returns the code of err if it wraps an *Error, else EINTERNAL.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}
