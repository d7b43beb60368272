package api

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// openAPIDocument is the OpenAPI 3.1 description of the native API
// (/api/v1, /healthz, /readyz, /metrics). It is the one source of truth:
// served as is, and the app tests validate every live response against it.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPI returns the OpenAPI 3.1 document of the native API.
func OpenAPI() []byte { return append([]byte(nil), openAPIDocument...) }

// openAPI: GET /api/v1/openapi.json.
func (s *server) openAPI(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=3600")
	return c.Blob(http.StatusOK, echo.MIMEApplicationJSON, openAPIDocument)
}
