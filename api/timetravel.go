package api

import (
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"phananh/domain"
)

// asOfParam reads ?as_of=, an RFC 3339 time ("2026-03-01T00:00:00+07:00"),
// for a view of the past; nil without one. A "+" sent unescaped in a query
// string arrives as a space, which is taken back for the "+" it was.
func asOfParam(c echo.Context) (*time.Time, error) {
	raw := c.QueryParam("as_of")
	if raw == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, strings.Replace(raw, " ", "+", 1))
	if err != nil {
		return nil, domain.FieldErrorf(domain.EINVALID, "as_of",
			"as_of must be an RFC 3339 time such as 2026-03-01T00:00:00+07:00")
	}
	return &t, nil
}
