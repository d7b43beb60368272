package domain

import (
	"fmt"
	"strings"
)

// RoutingRule sends the cases of a category (or a whole group, "land.*", or
// everything, "*") to a unit. Unit is either a unit code or the word
// "commune", meaning the People's Committee of the case's commune.
type RoutingRule struct {
	Category string `json:"category"`
	Unit     string `json:"unit"`
	Why      string `json:"why,omitempty"`
}

// RouteToCommune is the Unit of a rule that routes to the commune's People's Committee.
const RouteToCommune = "commune"

// RoutingPolicy is an ordered list of rules; the first that matches wins.
type RoutingPolicy struct {
	Rules []RoutingRule `json:"rules"`
}

func (r RoutingRule) matches(c Category) bool {
	switch {
	case r.Category == "*":
		return true
	case strings.HasSuffix(r.Category, ".*"):
		return c.Group() == strings.TrimSuffix(r.Category, ".*")
	default:
		return Category(r.Category) == c
	}
}

// Route returns the unit that first handles a case of the category in the
// commune. It fails when no rule matches or the rule names a unit the
// geography does not have: a configuration fault, caught at start-up by
// CheckRouting.
func Route(category Category, commune string, policy RoutingPolicy, geo *Geography) (Unit, error) {
	for _, rule := range policy.Rules {
		if !rule.matches(category) {
			continue
		}
		if rule.Unit == RouteToCommune {
			u, ok := geo.CommuneCommittee(commune)
			if !ok {
				return Unit{}, fmt.Errorf("routing: commune %s has no People's Committee unit", commune)
			}
			return u, nil
		}
		u, ok := geo.Unit(rule.Unit)
		if !ok {
			return Unit{}, fmt.Errorf("routing: rule %q names unknown unit %s", rule.Category, rule.Unit)
		}
		return u, nil
	}
	return Unit{}, fmt.Errorf("routing: no rule for category %s", category)
}

// CheckRouting proves that every category in every commune routes to a unit.
func CheckRouting(policy RoutingPolicy, geo *Geography) error {
	for _, cat := range categories {
		for _, c := range geo.Communes {
			if _, err := Route(cat.Code, c.Code, policy, geo); err != nil {
				return err
			}
		}
	}
	return nil
}
