package domain

import (
	"errors"
	"fmt"
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
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an *Error that blames one input field.
func FieldErrorf(code Code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
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
