package projections

import (
	"testing"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
)

// TestCaseViewSharesWhatRepeats: two cases reported by the same actor with
// the same deadline (each decoded with a *time.Location of its own, as
// from the log) share one entry head and one EntryData; a third with
// another deadline shares the head only; an attachment's details are never
// shared. What Get returns is what each case's own events say.
func TestCaseViewSharesWhatRepeats(t *testing.T) {
	due := func(day int) time.Time {
		return time.Date(2026, 4, day, 23, 59, 59, 0, time.FixedZone("", 7*3600)) // a new zone each call
	}
	v := NewCaseView()
	ids := []uuid.UUID{uuid.New(), uuid.New(), uuid.New()}
	actor := domain.Actor{ID: "c-1", Role: domain.RoleCitizen}
	for i, day := range []int{3, 3, 4} {
		v.Apply(domain.Envelope{ID: uuid.New(), CaseID: ids[i], Time: due(1), Actor: actor, Seq: uint64(2*i + 1),
			Event: domain.Reported{Title: "t", Unit: "ubnd.sa-pa", Clock: domain.ClockAcknowledge, Deadline: due(day)}})
		v.Apply(domain.Envelope{ID: uuid.New(), CaseID: ids[i], Time: due(2), Actor: actor, Seq: uint64(2*i + 2),
			Event: domain.AttachmentAdded{Filename: "a.jpg", ContentType: "image/jpeg", Size: 10, Public: true}})
	}
	first := func(i int) entry { return v.cases[ids[i]].Timeline[0] }
	second := func(i int) entry { return v.cases[ids[i]].Timeline[1] }
	if first(0).Data != first(1).Data {
		t.Error("two reports with the same deadline and clock keep two EntryData")
	}
	if first(0).Data == first(2).Data {
		t.Error("reports with different deadlines share one EntryData")
	}
	if first(0).Head != first(1).Head || first(0).Head != first(2).Head {
		t.Error("entries of the same type, actor and publicity keep heads of their own")
	}
	if second(0).Data == second(1).Data {
		t.Error("attachments share their details")
	}
	for i, day := range []int{3, 3, 4} {
		rec, ok := v.Get(ids[i])
		if !ok || len(rec.Timeline) != 2 {
			t.Fatalf("case %d: ok %v, %d entries", i, ok, len(rec.Timeline))
		}
		got, _ := rec.Timeline[0].Data.Value("deadline").(time.Time)
		if !got.Equal(due(day)) || got.Format(time.RFC3339) != due(day).Format(time.RFC3339) {
			t.Errorf("case %d: deadline %v, want %v", i, got, due(day))
		}
		if e := rec.Timeline[1]; e.Type != "attachment_added" || !e.Public || e.Actor != "c-1" || e.Role != domain.RoleCitizen {
			t.Errorf("case %d: second entry %+v", i, e)
		}
	}
}
