package web

import (
	"net/http"
	"sort"
	"time"

	"github.com/labstack/echo/v4"

	"phananh/domain"
)

// Incident is a point on the public map of pollution incidents: what and
// roughly where, never who. Coordinates are rounded to 0.01° (about 1 km):
// a phone's GPS may have been read at the reporter's home.
type Incident struct {
	Lat      float64         `json:"lat"`
	Lon      float64         `json:"lon"`
	Category domain.Category `json:"category"`
	Status   string          `json:"status"` // open or closed, as Open311 says
}

// incidents: GET /public/incidents?month=YYYY-MM → the month's pollution
// incidents that carry coordinates. Denunciations (the denouncer is
// protected), duplicates and rejected reports are left out; land matters
// appear only as counts, in the public figures.
func incidents(scan func(func(domain.Case))) echo.HandlerFunc {
	return func(c echo.Context) error {
		month := c.QueryParam("month")
		if month == "" {
			month = time.Now().In(domain.Vietnam).Format("2006-01")
		}
		start, err := time.ParseInLocation("2006-01", month, domain.Vietnam)
		if err != nil {
			return c.JSON(http.StatusBadRequest, map[string]any{"error": map[string]string{
				"code": "invalid_period", "field": "month", "message": "month is YYYY-MM"}})
		}
		end := start.AddDate(0, 1, 0)
		out := []Incident{}
		if scan != nil {
			scan(func(cs domain.Case) {
				if !domain.OnPublicMap(cs) || cs.ReceivedAt.Before(start) || !cs.ReceivedAt.Before(end) {
					return
				}
				lat, lon, _ := domain.PublicPoint(cs)
				out = append(out, Incident{Lat: lat, Lon: lon, Category: cs.Category, Status: cs.Status.Open311()})
			})
		}
		// A stable order that says nothing about when each arrived.
		sort.Slice(out, func(i, j int) bool {
			if out[i].Lat != out[j].Lat {
				return out[i].Lat < out[j].Lat
			}
			if out[i].Lon != out[j].Lon {
				return out[i].Lon < out[j].Lon
			}
			return out[i].Category < out[j].Category
		})
		c.Response().Header().Set(echo.HeaderCacheControl, "public, max-age=60")
		return c.JSON(http.StatusOK, out)
	}
}
