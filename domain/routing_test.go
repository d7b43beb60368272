package domain_test

import (
	"strings"
	"testing"

	"phananh/domain"
)

func mustGeography(t *testing.T, doc string) *domain.Geography {
	t.Helper()
	g, err := domain.LoadGeography(strings.NewReader(doc))
	if err != nil {
		t.Fatalf("LoadGeography: %v", err)
	}
	return g
}

func TestRouteEveryCategoryInACommune(t *testing.T) {
	tests := []struct {
		category domain.Category
		want     string
	}{
		{"pollution.water", "ubnd.thuong-ha"},
		{"pollution.air", "ubnd.thuong-ha"},
		{"pollution.noise", "ubnd.thuong-ha"},
		{"pollution.waste", "ubnd.thuong-ha"},
		{"pollution.plastic", "ubnd.thuong-ha"},
		{"pollution.soil", "ubnd.thuong-ha"},
		{"pollution.mining", "snnmt.thanh-tra"},
		{"pollution.other", "snnmt.moi-truong"},
		{"land.boundary", "ubnd.thuong-ha"},
		{"land.encroachment", "ubnd.thuong-ha"},
		{"land.use_rights", "ubnd.thuong-ha"},
		{"land.compensation", "ubnd.thuong-ha"},
		{"land.other", "snnmt.dat-dai"},
	}
	covered := map[domain.Category]bool{}
	for _, tt := range tests {
		covered[tt.category] = true
		t.Run(string(tt.category), func(t *testing.T) {
			u, err := domain.Route(tt.category, "thuong-ha", defaults.Policy.Routing, defaults.Geo)
			if err != nil {
				t.Fatalf("Route: %v", err)
			}
			if u.Code != tt.want {
				t.Fatalf("Route(%s, thuong-ha) = %s, want %s", tt.category, u.Code, tt.want)
			}
		})
	}
	for _, c := range domain.Categories() {
		if !covered[c.Code] {
			t.Errorf("category %s has no routing row: say where it goes", c.Code)
		}
	}
}

func TestRouteSendsCommuneMattersToTheirOwnCommune(t *testing.T) {
	for _, c := range defaults.Geo.Communes {
		u, err := domain.Route("land.boundary", c.Code, defaults.Policy.Routing, defaults.Geo)
		if err != nil {
			t.Fatal(err)
		}
		if u.Type != domain.UnitCommuneCommittee || u.Commune != c.Code {
			t.Errorf("a boundary dispute in %s went to %s (%s of %q)", c.Code, u.Code, u.Type, u.Commune)
		}
	}
}

func TestRouteRules(t *testing.T) {
	geo := defaults.Geo
	policy := func(rules ...domain.RoutingRule) domain.RoutingPolicy { return domain.RoutingPolicy{Rules: rules} }
	tests := []struct {
		name     string
		policy   domain.RoutingPolicy
		category domain.Category
		want     string // "" means Route must fail
	}{
		{"the first matching rule wins", policy(domain.RoutingRule{Category: "land.*", Unit: "snnmt.dat-dai"}, domain.RoutingRule{Category: "land.boundary", Unit: "commune"}), "land.boundary", "snnmt.dat-dai"},
		{"an exact rule before a group rule", policy(domain.RoutingRule{Category: "land.boundary", Unit: "commune"}, domain.RoutingRule{Category: "land.*", Unit: "snnmt.dat-dai"}), "land.boundary", "ubnd.lao-cai"},
		{"a catch-all rule", policy(domain.RoutingRule{Category: "*", Unit: "mttq.tinh"}), "pollution.air", "mttq.tinh"},
		{"a group rule does not match another group", policy(domain.RoutingRule{Category: "land.*", Unit: "snnmt.dat-dai"}), "pollution.air", ""},
		{"a group rule does not match a prefix of the group's name", policy(domain.RoutingRule{Category: "pollu.*", Unit: "snnmt.dat-dai"}), "pollution.air", ""},
		{"a rule naming a unit the geography lacks", policy(domain.RoutingRule{Category: "*", Unit: "so-tnmt"}), "pollution.air", ""},
		{"no rules", policy(), "pollution.air", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := domain.Route(tt.category, "lao-cai", tt.policy, geo)
			if tt.want == "" {
				if err == nil {
					t.Fatalf("Route = %s, want an error", u.Code)
				}
				return
			}
			if err != nil {
				t.Fatalf("Route: %v", err)
			}
			if u.Code != tt.want {
				t.Fatalf("Route = %s, want %s", u.Code, tt.want)
			}
		})
	}
}

func TestCheckRouting(t *testing.T) {
	t.Run("the shipped policy routes every category in every shipped commune", func(t *testing.T) {
		if err := domain.CheckRouting(defaults.Policy.Routing, defaults.Geo); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a commune without a People's Committee", func(t *testing.T) {
		geo := mustGeography(t, `{"province":"P",
			"communes":[{"code":"a","name":"Xã A"},{"code":"b","name":"Xã B"}],
			"units":[{"code":"ubnd.a","name":"UBND xã A","type":"commune_committee","commune":"a"},
				{"code":"mttq.b","name":"MTTQ xã B","type":"front_board","commune":"b"},
				{"code":"snnmt.thanh-tra","name":"T","type":"division"},
				{"code":"snnmt.moi-truong","name":"M","type":"division"},
				{"code":"snnmt.dat-dai","name":"D","type":"division"}]}`)
		err := domain.CheckRouting(defaults.Policy.Routing, geo)
		if err == nil || !strings.Contains(err.Error(), " b ") {
			t.Fatalf("CheckRouting = %v, want an error naming commune b", err)
		}
	})
	t.Run("a rule naming a unit the geography lacks", func(t *testing.T) {
		geo := mustGeography(t, `{"province":"P","communes":[{"code":"a","name":"Xã A"}],
			"units":[{"code":"ubnd.a","name":"UBND xã A","type":"commune_committee","commune":"a"}]}`)
		if err := domain.CheckRouting(defaults.Policy.Routing, geo); err == nil {
			t.Fatal("CheckRouting passed although snnmt.thanh-tra is missing")
		}
	})
	t.Run("a policy that forgets a category", func(t *testing.T) {
		policy := domain.RoutingPolicy{Rules: []domain.RoutingRule{{Category: "pollution.*", Unit: "commune"}}}
		if err := domain.CheckRouting(policy, defaults.Geo); err == nil {
			t.Fatal("CheckRouting passed although land matters go nowhere")
		}
	})
}

func TestDefaultGeography(t *testing.T) {
	g := domain.DefaultGeography()
	if !g.Sample {
		t.Error("the built-in geography must say it is a sample")
	}
	if c, ok := g.Commune("lao-cai"); !ok || c.Name != "Phường Lào Cai" {
		t.Errorf("Commune(lao-cai) = %+v, %v", c, ok)
	}
	if _, ok := g.Commune("ha-noi"); ok {
		t.Error("Commune(ha-noi) found a commune Lào Cai does not have")
	}
	if u, ok := g.CommuneCommittee("cam-duong"); !ok || u.Code != "ubnd.cam-duong" {
		t.Errorf("CommuneCommittee(cam-duong) = %+v, %v; want ubnd.cam-duong, not the Front board", u, ok)
	}
	if u, ok := g.Unit("snnmt.thanh-tra"); !ok || u.Type != domain.UnitInspectorate {
		t.Errorf("Unit(snnmt.thanh-tra) = %+v, %v", u, ok)
	}
}

func TestLoadGeography(t *testing.T) {
	const unit = `{"code":"ubnd.a","name":"UBND xã A","type":"commune_committee","commune":"a"}`
	doc := func(communes, units string) string {
		return `{"province":"P","communes":[` + communes + `],"units":[` + units + `]}`
	}
	const communeA = `{"code":"a","name":"Xã A"}`

	t.Run("a small geography with a centroid loads", func(t *testing.T) {
		g := mustGeography(t, doc(`{"code":"a","name":"Xã A","remote":true,"lat":22.3,"lon":104.1}`, unit))
		if c, _ := g.Commune("a"); !c.Remote || c.Lat == nil || *c.Lat != 22.3 {
			t.Fatalf("commune a = %+v", c)
		}
	})

	tests := []struct {
		name    string
		doc     string
		wantErr string
	}{
		{"a commune listed twice", doc(communeA+`,`+communeA, unit), "listed twice"},
		{"a unit listed twice", doc(communeA, unit+`,`+unit), "listed twice"},
		{"an unknown unit type", doc(communeA, `{"code":"x","name":"X","type":"ministry"}`), "unknown type"},
		{"a unit without a type", doc(communeA, `{"code":"x","name":"X"}`), "unknown type"},
		{"a unit in a commune that is not listed", doc(communeA, `{"code":"ubnd.b","name":"UBND xã B","type":"commune_committee","commune":"b"}`), "unknown commune"},
		{"an unknown field in a commune", doc(`{"code":"a","name":"Xã A","population":1000}`, unit), "unknown field"},
		{"an unknown field in a unit", doc(communeA, `{"code":"x","name":"X","type":"division","head":"Ông A"}`), "unknown field"},
		{"an unknown top-level field", `{"province":"P","districts":[],"communes":[` + communeA + `],"units":[]}`, "unknown field"},
		{"a commune code with a space", doc(`{"code":"lao cai","name":"Xã A"}`, ""), "may hold only"},
		{"a commune code with Vietnamese letters", doc(`{"code":"lào-cai","name":"Xã A"}`, ""), "may hold only"},
		{"a commune code with a slash", doc(`{"code":"a/b","name":"Xã A"}`, ""), "may hold only"},
		{"an empty commune code", doc(`{"code":"","name":"Xã A"}`, ""), "must be 1 to 64"},
		{"a commune code of 65 characters", doc(`{"code":"`+strings.Repeat("a", 65)+`","name":"Xã A"}`, ""), "must be 1 to 64"},
		{"a unit code with a space", doc(communeA, `{"code":"ubnd a","name":"X","type":"division"}`), "may hold only"},
		{"a commune without a name", doc(`{"code":"a","name":" "}`, ""), "no name"},
		{"a unit without a name", doc(communeA, `{"code":"x","name":"","type":"division"}`), "no name"},
		{"a centroid in the sea off Africa", doc(`{"code":"a","name":"Xã A","lat":0,"lon":0}`, ""), "outside Vietnam"},
		{"a centroid with lat and lon swapped", doc(`{"code":"a","name":"Xã A","lat":104.1,"lon":22.3}`, ""), "outside Vietnam"},
		{"a centroid in Laos", doc(`{"code":"a","name":"Xã A","lat":19.9,"lon":101.5}`, ""), "outside Vietnam"},
		{"a centroid with only a latitude", doc(`{"code":"a","name":"Xã A","lat":22.3}`, ""), "both lat and lon"},
		{"no communes", doc("", ""), "no communes"},
		{"not JSON", "communes: a", "decode"},
		{"empty", "", "decode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := domain.LoadGeography(strings.NewReader(tt.doc))
			if err == nil {
				t.Fatalf("LoadGeography accepted it: %+v", g)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

func TestInVietnam(t *testing.T) {
	tests := []struct {
		name     string
		lat, lon float64
		want     bool
	}{
		{"Lào Cai", 22.48, 103.97, true},
		{"Hà Nội", 21.03, 105.85, true},
		{"Cà Mau cape", 8.6, 104.7, true},
		{"Trường Sa", 8.64, 111.92, true},
		{"Hoàng Sa", 16.5, 112.0, true},
		{"zero", 0, 0, false},
		{"swapped Hà Nội", 105.85, 21.03, false},
		{"Bangkok", 13.75, 100.5, false},
		{"Kunming", 25.04, 102.71, false},
		{"Manila", 14.6, 121.0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := domain.InVietnam(tt.lat, tt.lon); got != tt.want {
				t.Fatalf("InVietnam(%v, %v) = %v, want %v", tt.lat, tt.lon, got, tt.want)
			}
		})
	}
}
