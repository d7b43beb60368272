package domain

import (
	"math"

	"github.com/google/uuid"
)

// PublicPoint is where a case may be shown to anyone (the public map,
// Open311 reads): its coordinates rounded to 0.01°, about a kilometre, so a
// point leads to a place, not to a house. A denunciation is never placed:
// the denouncer's identity is confidential (Law on Denunciations 2018,
// Art. 9) and a point could lead to them.
func PublicPoint(c Case) (lat, lon float64, ok bool) {
	if c.Kind == KindDenunciation || c.Denounced || c.Location.Lat == nil || c.Location.Lon == nil {
		return 0, 0, false
	}
	round := func(f float64) float64 { return math.Round(f*100) / 100 }
	return round(*c.Location.Lat), round(*c.Location.Lon), true
}

// OnPublicMap says whether a case is shown on the public map of pollution
// incidents: pollution only (land disputes are private matters between
// parties), not rejected, not a duplicate, and with a public point.
func OnPublicMap(c Case) bool {
	_, _, placed := PublicPoint(c)
	return placed && c.Category.Group() == "pollution" &&
		c.Status != StatusRejected && c.DuplicateOf == uuid.Nil
}
