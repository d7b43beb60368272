package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"unicode/utf8"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"phananh/domain"
)

// bindJSON reads a JSON body of at most max bytes into v. It insists on a
// JSON content type, valid UTF-8 (encoding/json would silently replace bad
// bytes) and known fields only, so a typo is an error, not a lost field.
func bindJSON(c echo.Context, max int64, v any) error {
	mt, _, err := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if err != nil || mt != echo.MIMEApplicationJSON {
		return &domain.Error{Code: codeUnsupportedMedia, Message: "send the report as application/json"}
	}
	body, err := io.ReadAll(http.MaxBytesReader(c.Response(), c.Request().Body, max))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return &domain.Error{Code: codeBodyTooLarge, Message: fmt.Sprintf("the request body is larger than %d bytes", max)}
	}
	if err != nil {
		return &domain.Error{Code: codeInvalidJSON, Message: "the request body could not be read"}
	}
	if !utf8.Valid(body) {
		return &domain.Error{Code: domain.EInvalidText, Message: "the request body is not valid UTF-8"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if dec.More() {
		return &domain.Error{Code: codeInvalidJSON, Message: "the request body holds more than one JSON value"}
	}
	return nil
}

// jsonError explains a decoding failure, naming the field where it can.
func jsonError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return &domain.Error{Code: domain.EINVALID, Message: "the request body must be a JSON " + jsonKind(typeErr.Type)}
		}
		return &domain.Error{Code: domain.EINVALID, Field: typeErr.Field,
			Message: fmt.Sprintf("%s must be a JSON %s", typeErr.Field, jsonKind(typeErr.Type))}
	case errors.As(err, &syntaxErr):
		return &domain.Error{Code: codeInvalidJSON, Message: fmt.Sprintf("invalid JSON at byte %d", syntaxErr.Offset)}
	case len(err.Error()) > len("json: unknown field ") && err.Error()[:len("json: unknown field ")] == "json: unknown field ":
		field, _ := strconv.Unquote(err.Error()[len("json: unknown field "):])
		field = domain.Shorten(field) // a key may be as long as the body
		return domain.FieldErrorf(codeUnknownField, field, "unknown field %q", field)
	case errors.Is(err, io.EOF):
		return &domain.Error{Code: codeInvalidJSON, Message: "the request body is empty"}
	}
	return &domain.Error{Code: codeInvalidJSON, Message: "the request body is not valid JSON"}
}

// jsonKind names the JSON type a Go type is decoded from, for a person:
// "object", not "api.reportRequest".
func jsonKind(t reflect.Type) string {
	if t == nil {
		return "value"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean (true or false)"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "whole number"
	case reflect.Float32, reflect.Float64:
		return "number"
	}
	return "value"
}

// caseID parses the :id path parameter.
func caseID(c echo.Context) (uuid.UUID, error) {
	raw := c.Param("id")
	id, err := uuid.Parse(raw)
	if err != nil || len(raw) != 36 {
		// Not a case id at all: answer like an unknown case, revealing nothing.
		return uuid.Nil, domain.Errorf(domain.ENOTFOUND, "no report with this id and tracking code")
	}
	return id, nil
}

// afterSeq reads the read-your-writes position from ?after= or X-After-Seq.
func afterSeq(c echo.Context) (uint64, error) {
	raw := c.QueryParam("after")
	if raw == "" {
		raw = c.Request().Header.Get("X-After-Seq")
	}
	if raw == "" {
		return 0, nil
	}
	seq, err := strconv.ParseUint(raw, 10, 64)
	if err != nil {
		return 0, domain.FieldErrorf(domain.EINVALID, "after", "after must be a stream sequence number")
	}
	return seq, nil
}

// trackingCode reads the citizen's code from X-Tracking-Code or ?code=.
func trackingCode(c echo.Context) string {
	if code := c.Request().Header.Get("X-Tracking-Code"); code != "" {
		return code
	}
	return c.QueryParam("code")
}
