package domain

// Who may do what is a business rule (Law on Complaints, Law on
// Denunciations, the units' mandates), so it lives here, beside the
// lifecycle, and is tested as a table. The application calls Authorize
// before Decide; the HTTP layer only maps the answer to 403.

// reach says on which cases a role may perform an action.
type reach int

const (
	ownUnit reach = iota + 1 // cases the actor's unit currently holds
	anyUnit                  // every case
	ownCase                  // the citizen holding the tracking code (proved by the application)
)

var officerActions = map[string]reach{
	"accepted": ownUnit, "rejected": ownUnit, "inspection_recorded": ownUnit,
	"mediation_scheduled": ownUnit, "mediation_held": ownUnit, "escalated": ownUnit,
	"resolved": ownUnit, "closed": ownUnit, "reopened": ownUnit, "comment_added": ownUnit,
	"attachment_added": ownUnit, "duplicate_linked": ownUnit,
}

// permissions lists, per role, the events its members may cause and on which cases.
var permissions = map[Role]map[string]reach{
	RoleCitizen: {"feedback_given": ownCase, "reopened": ownCase, "attachment_added": ownCase},
	RoleOfficer: officerActions,
	RoleUnitHead: merge(officerActions, map[string]reach{
		"assigned": ownUnit, "deadline_extended": ownUnit, "reclassified": ownUnit,
	}),
	// Coordinators route work across the province.
	RoleCoordinator: {"transferred": anyUnit, "reclassified": anyUnit, "duplicate_linked": anyUnit, "comment_added": anyUnit},
	// The Fatherland Front supervises: it reads everything and records
	// supervision notes (internal comments), and changes nothing else.
	RoleSupervisor: {"comment_added": anyUnit},
	RoleLeader:     {},
	// Administrators manage users and configuration, and carry out a
	// reporter's request to be erased.
	RoleAdmin:  {"reporter_erased": anyUnit},
	RoleSystem: {"escalated": anyUnit, "comment_added": anyUnit},
}

func merge(maps ...map[string]reach) map[string]reach {
	out := map[string]reach{}
	for _, m := range maps {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// Authorize says whether the actor may run the command on the case. It
// returns an EFORBIDDEN error naming what is missing. A citizen's claim to a
// case (the tracking code) is checked by the application before this.
func Authorize(a Actor, c Case, cmd Command) error {
	r, ok := permissions[a.Role][cmd.EventType()]
	if !ok {
		return Errorf(EFORBIDDEN, "a %s may not do %s", a.Role, cmd.EventType())
	}
	if r == ownUnit && (a.Unit == "" || a.Unit != c.Unit) {
		return Errorf(EFORBIDDEN, "the case is with %s; a %s of %s may not act on it", c.Unit, a.Role, a.Unit)
	}
	if cm, ok := cmd.(AddComment); ok && cm.Public && a.Role == RoleSupervisor {
		return Errorf(EFORBIDDEN, "supervision notes are internal")
	}
	return nil
}

// CanReadUnit says whether the actor may read the queue and the cases of a unit.
func CanReadUnit(a Actor, unit string) bool {
	switch a.Role {
	case RoleOfficer, RoleUnitHead:
		return a.Unit != "" && a.Unit == unit
	case RoleCoordinator, RoleSupervisor, RoleSystem:
		return true
	}
	return false
}

// CanSeeReporter says whether the actor may read the reporter's identity.
// For a denunciation only the handling unit's head and the inspectorate may
// (Law on Denunciations 2018, Art. 9 and 47: the denouncer is protected),
// also once a case reported as one is reclassified as another kind
// (Case.Denounced), and so in views of its past too; for other kinds, the handling unit's staff, who
// must answer the reporter.
func CanSeeReporter(a Actor, c Case, geo *Geography) bool {
	if c.Reporter == nil || c.ReporterErased {
		return false
	}
	if a.Role != RoleOfficer && a.Role != RoleUnitHead {
		return false
	}
	if c.Kind == KindDenunciation || c.Denounced {
		if u, ok := geo.Unit(a.Unit); ok && u.Type == UnitInspectorate {
			return true
		}
		return a.Role == RoleUnitHead && a.Unit == c.Unit
	}
	return a.Unit == c.Unit
}

// FiguresScope says whose figures the actor may read on the dashboards
// (exports=false) or in case-list exports (exports=true): every unit's, or
// only their own unit's.
//   - Leaders, supervisors (the Fatherland Front), coordinators and
//     administrators read every unit's figures.
//   - A unit head reads their own unit's.
//   - Officers read no dashboard, but may export their own unit's case
//     list, which holds nothing their queue does not already show.
//   - Citizens read only the public figures, which need no scope.
func FiguresScope(a Actor, exports bool) (all bool, unit string, err error) {
	switch a.Role {
	case RoleLeader, RoleSupervisor, RoleCoordinator, RoleAdmin:
		return true, "", nil
	case RoleUnitHead:
		if a.Unit != "" {
			return false, a.Unit, nil
		}
	case RoleOfficer:
		if exports && a.Unit != "" {
			return false, a.Unit, nil
		}
	}
	what := "dashboards"
	if exports {
		what = "case exports"
	}
	return false, "", Errorf(EFORBIDDEN, "a %s of %q may not read %s", a.Role, a.Unit, what)
}
