package domain_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
)

// script turns fuzz bytes into choices; past the end every choice is 0.
type script struct {
	b []byte
	i int
}

func (s *script) next() byte {
	if s.i >= len(s.b) {
		return 0
	}
	s.i++
	return s.b[s.i-1]
}

func (s *script) done() bool { return s.i >= len(s.b) }

// pick chooses one of xs.
func pick[T any](s *script, xs ...T) T { return xs[int(s.next())%len(xs)] }

// texts are what a person (or an attacker) types: good Vietnamese, blanks,
// control characters, broken UTF-8, markup, too long.
var texts = []string{
	"Nước suối chuyển màu đen, bốc mùi hôi từ sáng nay.",
	"",
	"   ",
	"Đã kiểm tra hiện trường, lập biên bản.",
	"ghi chú\x00có NUL",
	"\xff\xfe không phải UTF-8",
	"<script>alert(1)</script>'; DROP TABLE cases; --",
	strings.Repeat("à", domain.MaxComment+1),
	"Hộ bên cạnh xây tường lấn sang đất nhà tôi khoảng 0,5 m.\nĐề nghị xã hòa giải.",
	"QĐ-123/UBND",
}

// command draws one command from the script. The set covers every command
// a person or the system can send to a case, including ones that must be
// refused in most states (a second report).
func command(s *script, c domain.Case, now time.Time, rules domain.Rules) domain.Command {
	units := []string{"ubnd.lao-cai", "ubnd.cam-duong", "ubnd.thuong-ha", "no.such.unit", c.Unit}
	for _, u := range rules.Geo.Units {
		units = append(units, u.Code)
	}
	text := func() string { return pick(s, texts...) }
	switch s.next() % 20 {
	case 0:
		return domain.Accept{Complex: s.next()%2 == 0, Note: text()}
	case 1:
		return domain.Reject{Reason: text()}
	case 2:
		unit := ""
		if s.next()%3 == 0 {
			unit = pick(s, units...)
		}
		return domain.Assign{Assignee: pick(s, "lan.nguyen", "binh.tran", ""), AssigneeUnit: unit, Note: text()}
	case 3:
		return domain.Transfer{To: pick(s, units...), Reason: text()}
	case 4:
		return domain.RecordInspection{InspectedAt: now.Add(time.Duration(int(s.next())-200) * time.Hour), Findings: text()}
	case 5:
		council := []domain.CouncilMember{{Name: "Nguyễn Văn Chủ", Role: domain.CouncilChair}}
		if s.next()%4 != 0 {
			council = append(council, domain.CouncilMember{Name: "Trần Thị Mặt Trận", Role: domain.CouncilFront})
		}
		if s.next()%8 == 0 {
			council = append(council, domain.CouncilMember{Name: "X", Role: "king"})
		}
		return domain.ScheduleMediation{At: now.Add(time.Duration(int(s.next())*50-1000) * time.Hour),
			Place: text(), Council: council}
	case 6:
		var att []domain.Attendee
		for range s.next() % 4 {
			att = append(att, domain.Attendee{Name: pick(s, "Bên A", "Bên B", ""), Party: s.next()%2 == 0, Present: s.next()%2 == 0})
		}
		return domain.RecordMediation{Outcome: pick(s, domain.MediationAgreed, domain.MediationFailed, domain.MediationAbsent, "maybe"),
			Attendance: att, Minutes: text()}
	case 7:
		return domain.ExtendDeadline{Days: int(s.next()%70) - 5, Decision: pick(s, "QĐ-12/UBND", ""), Reason: text()}
	case 8:
		return domain.Escalate{To: pick(s, units...), Reason: text()}
	case 9:
		return domain.Resolve{Summary: text(), Measures: text()}
	case 10:
		return domain.Close{Note: text()}
	case 11:
		return domain.Reopen{Reason: text()}
	case 12:
		return domain.AddComment{Text: text(), Public: s.next()%2 == 0}
	case 13:
		// Only a stored file reaches Decide (an unstored one is the
		// application's bug, answered EINTERNAL); its size is anything.
		size := int64(s.next())<<16 + 1
		return domain.AddAttachment{Attachment: domain.AttachmentAdded{Object: "obj", Filename: "anh.jpg",
			ContentType: "image/jpeg", Size: size, SHA256: "ab12"}}
	case 14:
		return domain.LinkDuplicate{Of: pick(s, otherCaseID, uuid.Nil, c.ID)}
	case 15:
		return domain.GiveFeedback{Rating: int(s.next()%8) - 1, Comment: text()}
	case 16:
		cats := domain.Categories()
		cat := domain.Category("no.such")
		if n := s.next(); int(n) < 4*len(cats) {
			cat = cats[int(n)%len(cats)].Code
		}
		return domain.Reclassify{Category: cat, Kind: pick(s, "", domain.KindComplaint, domain.KindDenunciation,
			domain.KindLandDispute, domain.KindIncident, domain.KindPetition, "bogus"), Reason: text()}
	case 17:
		return domain.EraseReporter{Reason: text()}
	case 18:
		return domain.EscalateOverdue{Grace: time.Duration(s.next()) * time.Hour}
	default:
		return domain.SubmitReport{ID: caseID, Category: "pollution.water", Title: "Lần nữa", Description: "Gửi lại",
			Location: domain.Location{Commune: "lao-cai"}, Anonymous: true}
	}
}

// nextStatus is the lifecycle of DESIGN.md §2 written out on its own: the
// status a case must have after an event, given the one before.
func nextStatus(prev domain.Status, e domain.Event) []domain.Status {
	switch e := e.(type) {
	case domain.Reported:
		return []domain.Status{domain.StatusReceived}
	case domain.Accepted:
		return []domain.Status{domain.StatusAccepted}
	case domain.Rejected:
		return []domain.Status{domain.StatusRejected}
	case domain.Assigned:
		return []domain.Status{domain.StatusAssigned}
	case domain.Transferred:
		if prev == domain.StatusReceived {
			return []domain.Status{domain.StatusReceived}
		}
		return []domain.Status{domain.StatusAccepted}
	case domain.InspectionRecorded:
		return []domain.Status{domain.StatusInProgress}
	case domain.MediationScheduled:
		return []domain.Status{domain.StatusMediationScheduled}
	case domain.MediationHeld:
		return []domain.Status{domain.StatusMediated, domain.StatusInProgress}
	case domain.Escalated:
		if e.Overdue {
			return []domain.Status{prev}
		}
		return []domain.Status{domain.StatusEscalated}
	case domain.Resolved:
		return []domain.Status{domain.StatusResolved}
	case domain.Closed:
		return []domain.Status{domain.StatusClosed}
	case domain.Reopened:
		return []domain.Status{domain.StatusInProgress}
	}
	return []domain.Status{prev} // notes, files, links, feedback, reclassification, erasure
}

// FuzzDecide folds a random sequence of commands through Decide and
// Evolve, as the service does, and checks after every step that the case
// is one the lifecycle allows: no panic, no status the table forbids after
// the previous one, versions and timestamps that only move forward, and
// deadlines that make sense.
func FuzzDecide(f *testing.F) {
	// Seeds: the lifecycles the business knows (see testdata/fuzz/FuzzDecide).
	f.Add([]byte{0, 0, 0, 0, 2, 0, 0, 4, 0, 0, 9, 0, 0, 10, 0})
	f.Add([]byte{1, 3, 0, 0, 2, 0, 0, 5, 1, 1, 1, 30, 0, 6, 2, 0, 0, 0, 6, 1, 0, 0, 8, 1, 0, 9, 0, 0, 11, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &script{b: data}
		rules := defaults
		now := receivedAt
		cats := domain.Categories()
		info := cats[int(s.next())%len(cats)]
		report := domain.SubmitReport{ID: caseID, Category: info.Code, Title: "Phản ánh", Description: "Nội dung phản ánh.",
			Location: domain.Location{Commune: pick(s, "lao-cai", "cam-duong", "thuong-ha", "phuc-khanh")}}
		if s.next()%2 == 0 {
			report.Anonymous = true
		} else {
			report.Reporter = &domain.Reporter{Name: "Nguyễn Văn An", Phone: "0912 345 678"}
			report.Sealed, report.Digest = sealed, "digest"
		}
		var c domain.Case
		var seq uint64
		apply := func(cmd domain.Command) {
			events, err := domain.Decide(c, cmd, now, rules)
			if err != nil {
				var de *domain.Error
				if !errors.As(err, &de) || de.Code == "" {
					t.Fatalf("%T: error without a code: %v", cmd, err)
				}
				if de.Code == domain.EINTERNAL {
					t.Fatalf("%T on a %s case: internal error %v", cmd, c.Status, err)
				}
				return
			}
			if len(events) == 0 {
				t.Fatalf("%T decided nothing and no error", cmd)
			}
			key := cmd.EventType()
			if _, overdue := cmd.(domain.EscalateOverdue); overdue {
				key = "escalated_overdue"
			}
			if !domain.CanHappen(key, c.Status) {
				t.Fatalf("%T accepted while the case is %q, which the lifecycle table forbids", cmd, c.Status)
			}
			for _, e := range events {
				prev := c
				seq++
				c = domain.Evolve(c, domain.Envelope{CaseID: caseID, Seq: seq, Time: now, Event: e,
					Actor: domain.Actor{ID: "fuzz", Role: domain.RoleSystem}})
				checkStep(t, prev, c, e, now, rules)
			}
		}
		apply(report)
		if c.Status != domain.StatusReceived {
			t.Fatalf("a valid report left the case %q", c.Status)
		}
		for step := 0; !s.done() && step < 200; step++ {
			now = now.Add(time.Duration(s.next()) * 7 * time.Hour)
			apply(command(s, c, now, rules))
		}
	})
}

// checkStep checks one event's effect on a case.
func checkStep(t *testing.T, prev, c domain.Case, e domain.Event, now time.Time, rules domain.Rules) {
	t.Helper()
	where := fmt.Sprintf("after %s (%q → %q)", e.EventType(), prev.Status, c.Status)
	if want := nextStatus(prev.Status, e); !slices.Contains(want, c.Status) {
		t.Fatalf("%s: status %q, the lifecycle says one of %q", where, c.Status, want)
	}
	if !slices.Contains(domain.Statuses(), c.Status) || c.Status == domain.StatusNew {
		t.Fatalf("%s: unknown status %q", where, c.Status)
	}
	if c.Version <= prev.Version {
		t.Fatalf("%s: version %d after %d", where, c.Version, prev.Version)
	}
	if c.ID != caseID {
		t.Fatalf("%s: id %s", where, c.ID)
	}
	if prev.Status != domain.StatusNew && !c.ReceivedAt.Equal(prev.ReceivedAt) {
		t.Fatalf("%s: received at moved from %s to %s", where, prev.ReceivedAt, c.ReceivedAt)
	}
	for name, at := range map[string]time.Time{"accepted": c.AcceptedAt, "resolved": c.ResolvedAt, "closed": c.ClosedAt} {
		if !at.IsZero() && (at.Before(c.ReceivedAt) || at.After(now)) {
			t.Fatalf("%s: %s at %s outside received %s .. now %s", where, name, at, c.ReceivedAt, now)
		}
	}
	if !c.ResolvedAt.IsZero() && (c.AcceptedAt.IsZero() || c.ResolvedAt.Before(c.AcceptedAt)) {
		t.Fatalf("%s: resolved at %s before accepted at %s", where, c.ResolvedAt, c.AcceptedAt)
	}
	if !c.ClosedAt.IsZero() && c.ClosedAt.Before(c.ResolvedAt) {
		t.Fatalf("%s: closed at %s before resolved at %s", where, c.ClosedAt, c.ResolvedAt)
	}
	switch ev := e.(type) {
	case domain.Reported:
		if c.Deadline.IsZero() || c.Deadline.Before(now) || c.Clock == "" {
			t.Fatalf("%s: a new clock %q due %s, at %s", where, c.Clock, c.Deadline, now)
		}
	case domain.Accepted:
		// A clock may count from the report (land disputes' mediation), so
		// a late acceptance can be due already; never before the report.
		if c.Deadline.IsZero() || !c.Deadline.After(c.ReceivedAt) || c.Clock == "" {
			t.Fatalf("%s: a new clock %q due %s, received %s", where, c.Clock, c.Deadline, c.ReceivedAt)
		}
	case domain.DeadlineExtended:
		if !c.Deadline.After(prev.Deadline) || c.Extensions != prev.Extensions+1 || ev.Days <= 0 {
			t.Fatalf("%s: deadline %s → %s by %d days, extensions %d → %d", where, prev.Deadline, c.Deadline, ev.Days, prev.Extensions, c.Extensions)
		}
		phase := domain.PhaseAccepted
		if c.Status == domain.StatusReceived {
			phase = domain.PhaseReceived
		}
		if rule, ok := rules.Policy.Deadlines.Rule(c.Kind, phase); !ok || c.Extensions > rule.MaxExtensions {
			t.Fatalf("%s: %d extensions of a %s clock", where, c.Extensions, c.Kind)
		}
	case domain.Rejected:
		if !c.Deadline.IsZero() {
			t.Fatalf("%s: a rejected case still has a deadline %s", where, c.Deadline)
		}
	case domain.Resolved:
		if c.Kind == domain.KindLandDispute && c.MediationOutcome != domain.MediationAgreed && !c.Escalated {
			t.Fatalf("%s: a land dispute resolved without agreed mediation or escalation", where)
		}
		if prev.Status == domain.StatusMediated && prev.MediationOutcome != domain.MediationAgreed {
			t.Fatalf("%s: resolved after failed mediation", where)
		}
	case domain.Escalated:
		if ev.Overdue && (prev.Deadline.IsZero() || !now.After(prev.Deadline)) {
			t.Fatalf("%s: overdue escalation of a case due %s at %s", where, prev.Deadline, now)
		}
	}
	if c.Kind == domain.KindDenunciation && c.Anonymous {
		t.Fatalf("%s: an anonymous denunciation", where)
	}
	if !c.Kind.Valid() {
		t.Fatalf("%s: kind %q", where, c.Kind)
	}
	if _, ok := domain.LookupCategory(c.Category); !ok {
		t.Fatalf("%s: category %q", where, c.Category)
	}
	if _, ok := rules.Geo.Unit(c.Unit); !ok {
		t.Fatalf("%s: unit %q", where, c.Unit)
	}
	if c.Rating < 0 || c.Rating > 5 {
		t.Fatalf("%s: rating %d", where, c.Rating)
	}
	lim := rules.Policy.Limits
	if c.Attachments > lim.MaxAttachmentsPerCase || c.AttachmentBytes > lim.MaxAttachmentBytesPerCase {
		t.Fatalf("%s: %d files of %d bytes", where, c.Attachments, c.AttachmentBytes)
	}
	if c.Absences > 2 {
		t.Fatalf("%s: %d absences recorded; the second ends the mediation", where, c.Absences)
	}
}

// FuzzEvolve applies arbitrary events, in any order (a log written by an
// older version, or one a bug let through), to check that Evolve never
// panics and the version only follows the stream.
func FuzzEvolve(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18})
	f.Add([]byte{11, 11, 0, 5, 5, 12, 9})
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &script{b: data}
		events := []domain.Event{
			domain.Reported{Kind: domain.KindLandDispute, Category: "land.boundary", Unit: "ubnd.lao-cai"},
			domain.Accepted{}, domain.Rejected{}, domain.Assigned{Assignee: "lan.nguyen"},
			domain.Transferred{To: "ubnd.cam-duong"}, domain.InspectionRecorded{},
			domain.MediationScheduled{At: now}, domain.MediationHeld{Outcome: domain.MediationAbsent},
			domain.MediationHeld{Outcome: domain.MediationAgreed}, domain.DeadlineExtended{Days: 30},
			domain.Escalated{Overdue: true}, domain.Escalated{To: "so.nnmt"}, domain.Resolved{},
			domain.Closed{}, domain.Reopened{}, domain.CommentAdded{}, domain.AttachmentAdded{Size: 10},
			domain.DuplicateLinked{Of: otherCaseID}, domain.FeedbackGiven{Rating: 9}, domain.Reclassified{},
			domain.ReporterErased{},
		}
		var c domain.Case
		var seq uint64
		for !s.done() {
			e := events[int(s.next())%len(events)]
			seq += uint64(s.next()%3) + 1
			next := domain.Evolve(c, domain.Envelope{CaseID: caseID, Seq: seq, Time: now, Event: e})
			if next.Version != seq {
				t.Fatalf("after %s: version %d, want the event's sequence %d", e.EventType(), next.Version, seq)
			}
			if !slices.Contains(domain.Statuses(), next.Status) {
				t.Fatalf("after %s: unknown status %q", e.EventType(), next.Status)
			}
			c = next
		}
	})
}
