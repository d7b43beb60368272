package domain

import (
	"encoding/json"
	"fmt"
	"io"
	"net/mail"
	"strings"
)

// Commune is a xã or phường, the lowest administrative level since
// 1 July 2025. Code is the official code as the operator's file gives it.
type Commune struct {
	Code   string   `json:"code"`
	Name   string   `json:"name"`
	NameEn string   `json:"name_en,omitempty"`
	Remote bool     `json:"remote"` // vùng sâu, vùng xa: selects the longer clocks
	Lat    *float64 `json:"lat,omitempty"`
	Lon    *float64 `json:"lon,omitempty"`
}

// UnitType says what kind of body works a queue.
type UnitType string

// Unit types.
const (
	UnitDivision         UnitType = "division"          // a division or the inspectorate of the provincial department
	UnitCommuneCommittee UnitType = "commune_committee" // Ủy ban nhân dân xã/phường
	UnitFrontBoard       UnitType = "front_board"       // a Fatherland Front (MTTQ) board
	UnitInspectorate     UnitType = "inspectorate"      // inspection: sees denouncers' identities
	UnitAuthority        UnitType = "authority"         // a higher authority cases are escalated to
)

// Level is the tier of the administration a unit of this type belongs to,
// for escalation, which goes up only: 1 a commune's People's Committee, 2
// the provincial department (its divisions and inspectorate), 3 a higher
// authority. A Fatherland Front board supervises and mediates; it handles
// no escalated case (0).
func (t UnitType) Level() int {
	switch t {
	case UnitCommuneCommittee:
		return 1
	case UnitDivision, UnitInspectorate:
		return 2
	case UnitAuthority:
		return 3
	}
	return 0
}

// Unit is a body that works a queue of cases.
type Unit struct {
	Code    string   `json:"code"`
	Name    string   `json:"name"`
	NameEn  string   `json:"name_en,omitempty"`
	Type    UnitType `json:"type"`
	Commune string   `json:"commune,omitempty"` // for commune bodies
	// Email and WebhookURL, both optional, are where the unit is told of
	// status changes of the cases it handles (package notify).
	Email      string `json:"email,omitempty"`
	WebhookURL string `json:"webhook_url,omitempty"`
}

// Geography is the operator's data about the province: its communes and
// the units that work cases. It is loaded from a file (--geo) so that no
// administrative fact is compiled into the code.
type Geography struct {
	Province string    `json:"province"`
	Sample   bool      `json:"sample,omitempty"` // true for the built-in sample, which is not complete
	Note     string    `json:"note,omitempty"`
	Communes []Commune `json:"communes"`
	Units    []Unit    `json:"units"`

	communes map[string]Commune
	units    map[string]Unit
}

// Limits on a geography file, so a mistaken file fails loudly instead of
// exhausting memory.
const (
	maxGeoBytes  = 4 << 20
	maxGeoItems  = 20000
	maxCodeRunes = 64
)

// LoadGeography reads a geography JSON document (see docs/geo.md) and checks it.
func LoadGeography(r io.Reader) (*Geography, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxGeoBytes+1))
	if err != nil {
		return nil, fmt.Errorf("geography: read: %w", err)
	}
	if len(data) > maxGeoBytes {
		return nil, fmt.Errorf("geography: file larger than %d bytes", maxGeoBytes)
	}
	var g Geography
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&g); err != nil {
		return nil, fmt.Errorf("geography: decode: %w", err)
	}
	if err := g.index(); err != nil {
		return nil, err
	}
	return &g, nil
}

func (g *Geography) index() error {
	if len(g.Communes) == 0 {
		return fmt.Errorf("geography: no communes")
	}
	if len(g.Communes)+len(g.Units) > maxGeoItems {
		return fmt.Errorf("geography: more than %d communes and units", maxGeoItems)
	}
	g.communes = make(map[string]Commune, len(g.Communes))
	for i, c := range g.Communes {
		if err := checkCode(c.Code); err != nil {
			return fmt.Errorf("geography: commune %d: %w", i+1, err)
		}
		if strings.TrimSpace(c.Name) == "" {
			return fmt.Errorf("geography: commune %s: no name", c.Code)
		}
		if _, dup := g.communes[c.Code]; dup {
			return fmt.Errorf("geography: commune %s listed twice", c.Code)
		}
		if (c.Lat == nil) != (c.Lon == nil) {
			return fmt.Errorf("geography: commune %s: give both lat and lon or neither", c.Code)
		}
		if c.Lat != nil && !InVietnam(*c.Lat, *c.Lon) {
			return fmt.Errorf("geography: commune %s: centroid outside Vietnam", c.Code)
		}
		g.communes[c.Code] = c
	}
	g.units = make(map[string]Unit, len(g.Units))
	for i, u := range g.Units {
		if err := checkCode(u.Code); err != nil {
			return fmt.Errorf("geography: unit %d: %w", i+1, err)
		}
		if strings.TrimSpace(u.Name) == "" {
			return fmt.Errorf("geography: unit %s: no name", u.Code)
		}
		switch u.Type {
		case UnitDivision, UnitCommuneCommittee, UnitFrontBoard, UnitInspectorate, UnitAuthority:
		default:
			return fmt.Errorf("geography: unit %s: unknown type %q", u.Code, u.Type)
		}
		if u.Commune != "" {
			if _, ok := g.communes[u.Commune]; !ok {
				return fmt.Errorf("geography: unit %s: unknown commune %s", u.Code, u.Commune)
			}
		}
		if u.Email != "" {
			if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email {
				return fmt.Errorf("geography: unit %s: %q is not an email address", u.Code, u.Email)
			}
		}
		if u.WebhookURL != "" {
			// The operator's own file: http is allowed (an intranet endpoint);
			// the sender still refuses private addresses unless told otherwise.
			if _, err := CheckWebhookURL("webhook_url", u.WebhookURL, true); err != nil {
				return fmt.Errorf("geography: unit %s: %w", u.Code, err)
			}
		}
		if _, dup := g.units[u.Code]; dup {
			return fmt.Errorf("geography: unit %s listed twice", u.Code)
		}
		g.units[u.Code] = u
	}
	return nil
}

func checkCode(code string) error {
	if code == "" || len([]rune(code)) > maxCodeRunes {
		return fmt.Errorf("code %q must be 1 to %d characters", code, maxCodeRunes)
	}
	for _, r := range code {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("code %q may hold only letters, digits, '-', '_' and '.'", code)
		}
	}
	return nil
}

// Commune returns the commune with the given code.
func (g *Geography) Commune(code string) (Commune, bool) {
	c, ok := g.communes[code]
	return c, ok
}

// Unit returns the unit with the given code.
func (g *Geography) Unit(code string) (Unit, bool) {
	u, ok := g.units[code]
	return u, ok
}

// CommuneCommittee returns the People's Committee of a commune.
func (g *Geography) CommuneCommittee(commune string) (Unit, bool) {
	for _, u := range g.Units {
		if u.Type == UnitCommuneCommittee && u.Commune == commune {
			return u, true
		}
	}
	return Unit{}, false
}

// InVietnam reports whether a point lies in Vietnam's mainland bounding box
// or the box around its islands in the East Sea. It is a coarse check that
// catches swapped coordinates, zeroes and points abroad, not a border test.
func InVietnam(lat, lon float64) bool {
	mainland := lat >= 8.1 && lat <= 23.4 && lon >= 102.1 && lon <= 109.5
	islands := lat >= 6.0 && lat <= 17.5 && lon >= 109.0 && lon <= 117.5
	return mainland || islands
}
