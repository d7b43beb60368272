package eventstore

import (
	"maps"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"phananh/domain"
)

// TestHeadersShareNoValue: the header values of an appended event sit in
// one array, yet changing one header (as Append does, and the batch
// publisher after it) never changes another.
func TestHeadersShareNoValue(t *testing.T) {
	env := event(uuid.Must(uuid.NewV7()), reportedEvent())
	env.Actor = domain.Actor{ID: "lc.officer", Role: domain.RoleOfficer, Unit: "ubnd.lao-cai"}
	env.CorrelationID = "req-1"
	r := req(t, 7, env)
	h := r.msgs[0].Header
	if len(h) != maxEventHeaders {
		t.Fatalf("%d headers, want all %d: %v", len(h), maxEventHeaders, h)
	}
	if got, want := h.Get(jetstream.MsgIDHeader), env.ID.String(); got != want {
		t.Errorf("Nats-Msg-Id = %q, want the event id %q", got, want)
	}
	if r.subject != Subject(env.CaseID) || r.msgs[0].Subject != r.subject {
		t.Errorf("subjects %q and %q, want %q", r.subject, r.msgs[0].Subject, Subject(env.CaseID))
	}
	before := maps.Clone(h)
	for k := range before {
		before[k] = slices.Clone(before[k])
	}
	for _, k := range slices.Sorted(maps.Keys(before)) {
		h.Add(k, "added")
		for other, vals := range h {
			if other != k && !slices.Equal(vals, before[other]) {
				t.Fatalf("adding to %s changed %s: %q, was %q", k, other, vals, before[other])
			}
		}
		h.Set(k, before[k][0])
	}
}
