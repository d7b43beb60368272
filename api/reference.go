package api

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"phananh/domain"
)

// Reference data changes only with the operator's files, so clients (an
// app on a weak link) may cache it for an hour.
func cacheable(c echo.Context) {
	c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=3600")
}

func (s *server) listCategories(c echo.Context) error {
	type category struct {
		domain.CategoryInfo
		Group string `json:"group"`
	}
	out := []category{}
	for _, info := range domain.Categories() {
		out = append(out, category{info, info.Code.Group()})
	}
	cacheable(c)
	return c.JSON(http.StatusOK, out)
}

func (s *server) listKinds(c echo.Context) error {
	cacheable(c)
	return c.JSON(http.StatusOK, domain.Kinds())
}

func (s *server) listCommunes(c echo.Context) error {
	cacheable(c)
	return c.JSON(http.StatusOK, s.svc.Rules().Geo.Communes)
}

// publicUnit is a unit as the reference list shows it: not where its
// notifications go (a webhook URL may hold a token or name an intranet host).
type publicUnit struct {
	Code    string          `json:"code"`
	Name    string          `json:"name"`
	NameEn  string          `json:"name_en,omitempty"`
	Type    domain.UnitType `json:"type"`
	Commune string          `json:"commune,omitempty"`
}

func (s *server) listUnits(c echo.Context) error {
	cacheable(c)
	units := s.svc.Rules().Geo.Units
	out := make([]publicUnit, len(units))
	for i, u := range units {
		out[i] = publicUnit{Code: u.Code, Name: u.Name, NameEn: u.NameEn, Type: u.Type, Commune: u.Commune}
	}
	return c.JSON(http.StatusOK, out)
}
