package cases

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
	"phananh/projections"
)

// MaxWaitAfter bounds how long a read waits for the read models to reach a
// sequence the client saw (?after=SEQ) before it answers 503.
const MaxWaitAfter = 5 * time.Second

// errNoSuchReport is the one answer to a wrong id or a wrong code, so the
// answer never tells whether a case exists.
var errNoSuchReport = domain.Errorf(domain.ENOTFOUND, "no report with this id and tracking code")

// CitizenView returns a case for the holder of its tracking code. With
// after > 0 it first waits (bounded) until the read models have applied
// that sequence, so a client that just wrote through another replica reads
// its own write.
func (s *Service) CitizenView(ctx context.Context, id uuid.UUID, code string, after uint64) (projections.CaseRecord, error) {
	if !s.CheckTrackingCode(id, code) {
		return projections.CaseRecord{}, errNoSuchReport
	}
	if err := s.WaitAfter(ctx, after); err != nil {
		return projections.CaseRecord{}, err
	}
	rec, ok := s.d.View.Get(id)
	if !ok {
		return projections.CaseRecord{}, errNoSuchReport
	}
	return rec, nil
}

// Primary returns the case a duplicate was linked to, if any.
func (s *Service) Primary(rec projections.CaseRecord) (projections.CaseRecord, bool) {
	if rec.Case.DuplicateOf == uuid.Nil {
		return projections.CaseRecord{}, false
	}
	return s.d.View.Get(rec.Case.DuplicateOf)
}

// afterGrace is how long WaitAfter waits before it asks whether the log
// holds seq at all: longer than the read models usually lag.
const afterGrace = 100 * time.Millisecond

// WaitAfter waits, at most MaxWaitAfter, for the read models to apply seq.
// A seq the log has not reached (a client's bug or a guess) would hold the
// request for MaxWaitAfter and then answer 503, which invites a retry for
// ever; so past afterGrace the log's last sequence is asked once, and a
// seq beyond it is refused as invalid.
func (s *Service) WaitAfter(ctx context.Context, seq uint64) error {
	if seq == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, MaxWaitAfter)
	defer cancel()
	grace, cancelGrace := context.WithTimeout(ctx, afterGrace)
	err := s.d.Waiter.WaitFor(grace, seq)
	cancelGrace()
	if err == nil {
		return nil
	}
	if seq > s.logReached.Load() {
		if last, err := s.d.Store.LastSeq(ctx); err == nil {
			for reached := s.logReached.Load(); last > reached && !s.logReached.CompareAndSwap(reached, last); {
				reached = s.logReached.Load()
			}
			if seq > last {
				return domain.FieldErrorf(domain.EINVALID, "after", "after is %d, but the log's last event is %d", seq, last)
			}
		}
	}
	if err := s.d.Waiter.WaitFor(ctx, seq); err != nil {
		return domain.Errorf(domain.EUnavailable, "this server has not yet caught up with event %d; try again", seq)
	}
	return nil
}

// StoredFile is what an upload answers: the file as recorded on the case,
// the case's version then, and whether this upload recorded it (false for
// the same file sent again, a retry whose first answer was lost).
type StoredFile struct {
	Attachment domain.AttachmentAdded
	Seq        uint64
	Created    bool
}

// AddCitizenAttachment stores a file the holder of the tracking code sends
// (a photo of the pollution, a land certificate) and records it on the
// case, visible to the citizen.
//
// id may also be the id the client sent with the report (the case's id is
// derived from it, caseIDFor): a page loaded before case ids were derived
// uploads its photos there. The code must be the case's all the same.
func (s *Service) AddCitizenAttachment(ctx context.Context, id uuid.UUID, code, filename string, r io.Reader, correlation string) (StoredFile, error) {
	if !s.CheckTrackingCode(id, code) {
		derived := s.caseIDFor(id)
		if !s.CheckTrackingCode(derived, code) {
			return StoredFile{}, errNoSuchReport
		}
		id = derived
	}
	f, err := s.AddAttachment(ctx, domain.Actor{Role: domain.RoleCitizen}, id, filename, r, true, correlation)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return StoredFile{}, errNoSuchReport
	}
	return f, err
}

// AddAttachment stores a file and records it on the case: a citizen's
// photo, an inspection report, signed mediation minutes. The file is
// checked (size, type by content) and stripped of metadata before it is
// stored; if the case refuses it, the stored object is deleted again, so a
// refused upload leaves nothing behind. When the append's outcome is
// unknown (a fault of the store, or the wait for the read models failing
// after it), the object is kept: the event may hold it, and a retry finds
// it there.
//
// The same file sent again (the same content, name and visibility; an
// upload retried because its answer was lost) is not recorded twice: the
// case's record of it is answered, with Created false. The check and the
// append are made at one version of the case, so two such uploads at
// once record the file once. A record whose object is gone (deleted by
// the code before this rule) is no match.
func (s *Service) AddAttachment(ctx context.Context, actor domain.Actor, id uuid.UUID, filename string, r io.Reader, public bool, correlation string) (StoredFile, error) {
	events, version, err := s.d.Store.Load(ctx, id)
	if err != nil {
		return StoredFile{}, fmt.Errorf("cases: load %s: %w", id, err)
	}
	// Refuse early what the case could never take, before reading the file;
	// but a case at its limit of files may be sent one of them again.
	c := domain.Fold(events)
	probe := domain.AddAttachment{Attachment: domain.AttachmentAdded{Object: "probe", Size: 1, SHA256: "probe"}}
	if err := domain.Authorize(actor, c, probe); err != nil {
		return StoredFile{}, err
	}
	_, refused := domain.Decide(c, probe, s.d.Now(), s.d.Rules)
	if refused != nil && domain.ErrorCode(refused) != domain.ELimitReached {
		return StoredFile{}, refused
	}
	att, err := s.d.Files.PutAttachment(ctx, id, filename, r, public)
	if err != nil {
		return StoredFile{}, err
	}
	discard := func(err error) (StoredFile, error) {
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if derr := s.d.Files.DeleteAttachment(dctx, att.Object); derr != nil {
			err = errors.Join(err, fmt.Errorf("cases: delete unrecorded attachment %s: %w", att.Object, derr))
		}
		return StoredFile{}, err
	}
	for attempt := 0; ; attempt++ {
		same, ok, err := s.sameFile(ctx, events, att)
		if err != nil {
			return discard(err) // nothing appended yet; the client tries again
		}
		if ok {
			if _, err := discard(nil); err != nil {
				s.d.Log.Warn("a repeated upload's copy was not deleted", "case", id, "err", err)
			}
			return StoredFile{Attachment: same, Seq: version}, nil
		}
		if refused != nil {
			return discard(refused)
		}
		seq, err := s.Execute(ctx, id, version, domain.AddAttachment{Attachment: att}, actor, correlation)
		if errors.Is(err, domain.ErrConcurrency) && attempt < MaxRetries {
			if events, version, err = s.loadAtLeast(ctx, id, version+1); err == nil {
				continue
			}
		}
		var refusal *domain.Error
		if errors.As(err, &refusal) {
			return discard(err) // refused (a rule, a conflict): nothing was appended
		}
		if err != nil {
			return StoredFile{}, err
		}
		return StoredFile{Attachment: att, Seq: seq, Created: true}, nil
	}
}

// sameFile returns the case's record of a file with att's content, name
// and visibility, if it has one whose object is still stored. A store
// that cannot say is an error: guessing either way could record the file
// twice or answer for one that is gone.
func (s *Service) sameFile(ctx context.Context, events []domain.Envelope, att domain.AttachmentAdded) (domain.AttachmentAdded, bool, error) {
	for _, e := range events {
		a, ok := e.Event.(domain.AttachmentAdded)
		if !ok || a.SHA256 != att.SHA256 || a.Filename != att.Filename || a.Public != att.Public {
			continue
		}
		stored, err := s.d.Files.HasAttachment(ctx, a.Object)
		if err != nil {
			return domain.AttachmentAdded{}, false, fmt.Errorf("cases: is %s stored: %w", a.Object, err)
		}
		if stored {
			return a, true, nil
		}
	}
	return domain.AttachmentAdded{}, false, nil
}

// OpenAttachment opens a file recorded on a case: for a citizen (code set)
// only the public ones, for staff those of a case they may read. The
// object must belong to the case, so no id can be used to reach another's.
func (s *Service) OpenAttachment(ctx context.Context, actor *domain.Actor, code string, id uuid.UUID, object string) (domain.AttachmentAdded, io.ReadCloser, error) {
	notFound := domain.Errorf(domain.ENOTFOUND, "no such file on this case")
	if actor == nil && !s.CheckTrackingCode(id, code) {
		return domain.AttachmentAdded{}, nil, errNoSuchReport
	}
	rec, ok := s.d.View.Get(id)
	if !ok {
		return domain.AttachmentAdded{}, nil, notFound
	}
	if actor != nil && !domain.CanReadUnit(*actor, rec.Case.Unit) {
		return domain.AttachmentAdded{}, nil, domain.Errorf(domain.EFORBIDDEN, "a %s of %s may not read cases of %s", actor.Role, actor.Unit, rec.Case.Unit)
	}
	for _, a := range rec.Attachments {
		if a.Object != object || (actor == nil && !a.Public) {
			continue
		}
		r, err := s.d.Files.ReadAttachment(ctx, object)
		if err != nil {
			return domain.AttachmentAdded{}, nil, fmt.Errorf("cases: open %s: %w", object, err)
		}
		return a, r, nil
	}
	return domain.AttachmentAdded{}, nil, notFound
}
