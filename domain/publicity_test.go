package domain_test

import (
	"testing"

	"phananh/domain"
)

func TestPublicPointAndMap(t *testing.T) {
	lat, lon := 22.486789, 103.970449
	at := domain.Location{Commune: "lao-cai", Lat: &lat, Lon: &lon}
	incident := incidentReported
	incident.Location = at
	denunciation := denunciationReported
	denunciation.Location = at
	land := landDisputeReported
	land.Location = at
	tests := []struct {
		name      string
		c         domain.Case
		wantPoint bool
		wantMap   bool
	}{
		{"an incident with coordinates", given(incident), true, true},
		{"an incident without coordinates", given(incidentReported), false, false},
		{"a denunciation is never placed", given(denunciation), false, false},
		{"nor once reclassified as a petition", given(denunciation, domain.Reclassified{FromCategory: denunciation.Category, ToCategory: denunciation.Category,
			FromKind: domain.KindDenunciation, ToKind: domain.KindPetition, Reason: "kiến nghị"}), false, false},
		{"a land dispute is placed but not mapped", given(land), true, false},
		{"a rejected incident", given(incident, rejectedOutOfScope), true, false},
		{"a duplicate", given(incident, domain.DuplicateLinked{Of: otherCaseID}), true, false},
	}
	for _, tt := range tests {
		gotLat, gotLon, ok := domain.PublicPoint(tt.c)
		if ok != tt.wantPoint {
			t.Errorf("%s: PublicPoint ok = %v, want %v", tt.name, ok, tt.wantPoint)
		}
		if ok && (gotLat != 22.49 || gotLon != 103.97) {
			t.Errorf("%s: PublicPoint = %v, %v; want it rounded to 22.49, 103.97", tt.name, gotLat, gotLon)
		}
		if got := domain.OnPublicMap(tt.c); got != tt.wantMap {
			t.Errorf("%s: OnPublicMap = %v, want %v", tt.name, got, tt.wantMap)
		}
	}
}
