package domain

// Who is told of a change to a case. The reporter and the unit handling
// the case are told when an event changes its status or the unit that
// handles it; comments, attachments, extensions and feedback tell no one.
// An overdue escalation changes neither, yet the unit must hear of it;
// the reporter is not told of it (nothing changed for them).

// noticeEvents are the events that can change a case's status or unit:
// the only ones worth loading the case for.
var noticeEvents = map[string]bool{
	"reported": true, "accepted": true, "rejected": true, "assigned": true, "transferred": true,
	"inspection_recorded": true, "mediation_scheduled": true, "mediation_held": true,
	"escalated": true, "resolved": true, "closed": true, "reopened": true,
}

// MayTell reports whether an event of this type can tell anyone: if not,
// Told is false for both whatever the case.
func MayTell(eventType string) bool { return noticeEvents[eventType] }

// Told says whom e tells: before and after are the case just before and
// just after it.
func Told(before, after Case, e Event) (reporter, unit bool) {
	if !MayTell(e.EventType()) {
		return false, false
	}
	if esc, ok := e.(Escalated); ok && esc.Overdue {
		return false, true
	}
	changed := before.Status != after.Status || before.Unit != after.Unit
	return changed, changed
}
