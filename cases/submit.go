package cases

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
)

// Receipt is what a citizen gets back for a report.
type Receipt struct {
	ID           uuid.UUID
	TrackingCode string
	Status       domain.Status
	Unit         string
	Deadline     time.Time
	Seq          uint64
	// WebhookSecret signs the webhooks the report subscribed; empty when
	// it subscribed none.
	WebhookSecret string
}

// Submit files a citizen's report. The client may give an id of its own
// (an app that queued the report offline); then a retry with the same id
// and content returns the existing case with created=false, whenever it
// arrives, and the same id with other content is a conflict. The case's id
// is derived from the client's (caseIDFor), never the client's itself:
// the receipt a retry gets back holds the tracking code, so the client's
// id must stay a secret between the client and the service, and a case's
// id is shown to staff and partners. The first event is appended
// expecting no earlier event on the case's subject, so this holds after
// JetStream's de-duplication window too.
func (s *Service) Submit(ctx context.Context, cmd domain.SubmitReport, correlation string) (Receipt, bool, error) {
	now := s.d.Now()
	clientID := cmd.ID
	if clientID == uuid.Nil {
		cmd.ID = s.d.NewID()
	} else {
		cmd.ID = s.caseIDFor(clientID)
	}
	sent := cmd
	cmd, err := cmd.Validate(now, s.d.Rules)
	if err != nil {
		return Receipt{}, false, err
	}
	cmd.Digest = s.digest(cmd)
	if clientID != uuid.Nil {
		// A retry whose first attempt this server has seen is answered
		// before sealing, which keeps orphan keys out of the vault. The
		// local view is enough to decide that: a case it does not hold yet
		// (new, or filed through another replica a moment ago) goes on to
		// the append, whose expected sequence 0 catches the latter. Asking
		// the log first would cost every new report a round trip.
		if _, seen := s.d.View.Get(cmd.ID); seen {
			if r, err := s.existing(ctx, cmd, sent); !errors.Is(err, errNoCase) {
				return r, false, err
			}
		} else if r, ok, err := s.legacyRetry(ctx, clientID, cmd, sent, now); ok || err != nil {
			return r, false, err
		}
	}
	if cmd.Reporter != nil {
		plain, err := json.Marshal(cmd.Reporter)
		if err != nil {
			return Receipt{}, false, fmt.Errorf("cases: encode reporter: %w", err)
		}
		sealed, err := s.d.Vault.Seal(ctx, plain)
		if err != nil {
			return Receipt{}, false, fmt.Errorf("cases: seal reporter: %w", err)
		}
		cmd.Sealed = &sealed
	}
	events, err := domain.Decide(domain.Case{}, cmd, now, s.d.Rules)
	if err != nil {
		s.discardKey(cmd.Sealed)
		return Receipt{}, false, err
	}
	actor := domain.Actor{Role: domain.RoleCitizen}
	seq, err := s.d.Store.Append(ctx, 0, s.envelopes(cmd.ID, actor, correlation, now, events))
	if errors.Is(err, domain.ErrConcurrency) {
		// Someone (most likely this client's own retry) filed this id first.
		s.discardKey(cmd.Sealed)
		r, err := s.existing(ctx, cmd, sent)
		if errors.Is(err, errNoCase) {
			err = fmt.Errorf("cases: report %s conflicted but cannot be loaded: %w", cmd.ID, err)
		}
		return r, false, err
	}
	if err != nil {
		s.discardKey(cmd.Sealed)
		return Receipt{}, false, fmt.Errorf("cases: submit %s: %w", cmd.ID, err)
	}
	if err := s.d.Waiter.WaitFor(ctx, seq); err != nil {
		return Receipt{}, false, fmt.Errorf("cases: submit %s appended at %d: %w", cmd.ID, seq, err)
	}
	rep := events[0].(domain.Reported)
	return Receipt{ID: cmd.ID, TrackingCode: s.TrackingCode(cmd.ID), Status: domain.StatusReceived,
		Unit: rep.Unit, Deadline: rep.Deadline, Seq: seq, WebhookSecret: s.webhookSecret(cmd)}, true, nil
}

// caseIDFor is the id of the case that a report sent with the client's id
// files: 122 bits of a keyed hash of the client's id, in UUID form, so that
// a retry finds its case and a case's id leads back to nothing. A client's
// UUIDv7 keeps its 48-bit time in front (its 74 random bits stay
// unknown), so such cases still sort by the time they were written; any
// other client id gives a random-looking version 4 id, as a browser's
// crypto.randomUUID does.
func (s *Service) caseIDFor(clientID uuid.UUID) uuid.UUID {
	sum := s.mac(caseIDLabel, clientID[:])
	id := uuid.UUID(sum[:16])
	version := byte(4)
	if clientID.Version() == 7 {
		copy(id[:6], clientID[:6])
		version = 7
	}
	id[6] = id[6]&0x0f | version<<4
	id[8] = id[8]&0x3f | 0x80 // RFC 9562 variant
	return id
}

// legacyRetryWindow is how long after its filing a report filed before
// case ids were derived (its case's id is the client's id) can still be
// retried: an app's offline queue may hold one at the upgrade, and retries
// come "hours later" (DESIGN.md). Past it, such an id is only a new
// report's, so the case's id, which staff and partners see, no longer
// answers with its receipt. Within it, it still does: the window is as
// short as retries allow.
const legacyRetryWindow = 24 * time.Hour

// legacyRetry answers, as existing does, a retry of a report filed before
// case ids were derived: one whose case has the client's id itself and a
// digest of the first form, filed within legacyRetryWindow. ok is false
// when there is no such case.
func (s *Service) legacyRetry(ctx context.Context, clientID uuid.UUID, cmd, sent domain.SubmitReport, now time.Time) (Receipt, bool, error) {
	rec, found := s.d.View.Get(clientID)
	if !found || strings.HasPrefix(rec.Case.Digest, digestV2Prefix) || now.Sub(rec.Case.ReceivedAt) > legacyRetryWindow {
		return Receipt{}, false, nil
	}
	cmd.ID, sent.ID = clientID, clientID
	r, err := s.existing(ctx, cmd, sent)
	if errors.Is(err, errNoCase) {
		return Receipt{}, false, nil
	}
	return r, true, err
}

// webhookSecret is the receipt's webhook secret for a validated submission.
func (s *Service) webhookSecret(cmd domain.SubmitReport) string {
	if s.d.WebhookSecret == nil || cmd.Reporter == nil || cmd.Reporter.WebhookURL == "" {
		return ""
	}
	return s.d.WebhookSecret(cmd.ID)
}

var errNoCase = errors.New("no such case")

// existing answers a submission whose id is taken: the same report again
// gets the case's receipt, a different one a conflict. cmd is the
// submission validated, sent as it came.
func (s *Service) existing(ctx context.Context, cmd, sent domain.SubmitReport) (Receipt, error) {
	// Only called when the case is known to exist (the view holds it, or
	// its first append conflicted), so a not-found is a stale read.
	events, version, err := s.loadAtLeast(ctx, cmd.ID, 1)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return Receipt{}, errNoCase
	}
	if err != nil {
		return Receipt{}, fmt.Errorf("cases: load %s: %w", cmd.ID, err)
	}
	c := domain.Fold(events)
	same := s.sameReport(c.Digest, cmd, sent)
	if same {
		if same, err = s.sameReporter(ctx, c, cmd); err != nil {
			return Receipt{}, err
		}
	}
	if !same {
		return Receipt{}, domain.FieldErrorf(domain.EDuplicateSubmitted, "id",
			"a different report was already submitted with id %s", cmd.ID)
	}
	if err := s.d.Waiter.WaitFor(ctx, version); err != nil {
		return Receipt{}, fmt.Errorf("cases: wait for %s: %w", cmd.ID, err)
	}
	return Receipt{ID: c.ID, TrackingCode: s.TrackingCode(c.ID), Status: c.Status,
		Unit: c.Unit, Deadline: c.Deadline, Seq: version, WebhookSecret: s.webhookSecret(cmd)}, nil
}

// sameReporter says whether a retry names the reporter (and the webhook)
// its case was filed with. A digest of the second form leaves the reporter
// out (see digest), so the sealed identity is opened and compared; only
// the holder of the client's id gets this far, so the answer confirms
// nothing to anyone else. A first-form digest covered the reporter
// already. An erased reporter cannot be compared any more: the retry is
// taken as the same report, since its client id and content are.
func (s *Service) sameReporter(ctx context.Context, c domain.Case, retry domain.SubmitReport) (bool, error) {
	if !strings.HasPrefix(c.Digest, digestV2Prefix) {
		return true, nil
	}
	if (c.Reporter == nil) != (retry.Reporter == nil) {
		return false, nil
	}
	if c.Reporter == nil || c.ReporterErased {
		return true, nil
	}
	filed, err := s.openReporter(ctx, c)
	if errors.Is(err, domain.ErrReporterErased) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	a, _ := json.Marshal(filed) // plain structs: cannot fail
	b, _ := json.Marshal(retry.Reporter)
	return bytes.Equal(a, b), nil
}

// discardKey erases a key sealed for a report that was not stored, so no
// identity outlives its report. Failure only leaves an unused key behind.
func (s *Service) discardKey(sealed *domain.SealedReporter) {
	if sealed == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.d.Vault.Erase(ctx, sealed.KeyID); err != nil {
		s.d.Log.Warn("unused reporter key not erased", "key_id", sealed.KeyID, "err", err)
	}
}

// The labels of the service's MACs (Service.mac).
var (
	submissionLabel   = []byte("phananh submission v1\x00")
	submissionLabelV2 = []byte("phananh submission v2\x00")
	trackingLabel     = []byte("phananh tracking code v1\x00")
	caseIDLabel       = []byte("phananh case id v1\x00")
)

// digestV2Prefix starts a digest of the second form (digest), which leaves
// the reporter out.
const digestV2Prefix = "v2:"

// submission is what a digest fingerprints, in a fixed order.
type submission struct {
	Category    domain.Category `json:"category"`
	Kind        domain.Kind     `json:"kind"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Location    domain.Location `json:"location"`
	OccurredAt  *time.Time      `json:"occurred_at"`
	Anonymous   bool            `json:"anonymous"`
}

func submissionOf(cmd domain.SubmitReport) submission {
	sub := submission{cmd.Category, cmd.Kind, cmd.Title, cmd.Description, cmd.Location, nil, cmd.Anonymous}
	if cmd.OccurredAt != nil {
		t := cmd.OccurredAt.UTC()
		sub.OccurredAt = &t
	}
	return sub
}

// digest fingerprints a validated submission with the service's secret, so
// that the log can tell a retry from a different report. It leaves the
// reporter out: the log keeps it for good, and a fingerprint over a name
// and a phone number (few enough to enumerate) would let whoever holds the
// log and the secret confirm a guess at who reported, even after the
// identity was erased. A retry is recognised by its client id, which only
// the client knows (caseIDFor), and its report's content.
func (s *Service) digest(cmd domain.SubmitReport) string {
	body, _ := json.Marshal(submissionOf(cmd)) // plain structs: cannot fail
	sum := s.mac(submissionLabelV2, body)
	return digestV2Prefix + hex.EncodeToString(sum[:])
}

// digestV1 is the first form of digest, over the reporter too, which
// reports filed before the second form carry. Its bytes must not change
// (TestTheFirstDigestIsUnchanged): the embedded fields come first, in
// their order, then the reporter.
func (s *Service) digestV1(cmd domain.SubmitReport) string {
	body, _ := json.Marshal(struct {
		submission
		Reporter *domain.Reporter `json:"reporter"`
	}{submissionOf(cmd), cmd.Reporter}) // plain structs: cannot fail
	sum := s.mac(submissionLabel, body)
	return hex.EncodeToString(sum[:])
}

// sameReport says whether a case filed with digest stored is the
// submission valid (validated from sent) again. A digest of the second
// form is compared with valid's. One of the first form (a report filed
// before, retried within legacyRetryWindow) is compared as it was made:
// over the reporter, with texts composed (NFC), as validation does, or,
// for a report filed before that, with its texts as sent, only trimmed
// (a client retries with the bytes it sent first).
func (s *Service) sameReport(stored string, valid, sent domain.SubmitReport) bool {
	if strings.HasPrefix(stored, digestV2Prefix) {
		return hmac.Equal([]byte(stored), []byte(valid.Digest))
	}
	if hmac.Equal([]byte(stored), []byte(s.digestV1(valid))) {
		return true
	}
	asSent := valid
	asSent.Title, asSent.Description = strings.TrimSpace(sent.Title), strings.TrimSpace(sent.Description)
	asSent.Location.Address = strings.TrimSpace(sent.Location.Address)
	if valid.Reporter != nil && sent.Reporter != nil {
		r := *valid.Reporter
		r.Name, r.Phone, r.Email = strings.TrimSpace(sent.Reporter.Name), strings.TrimSpace(sent.Reporter.Phone), strings.TrimSpace(sent.Reporter.Email)
		asSent.Reporter = &r
	}
	return hmac.Equal([]byte(stored), []byte(s.digestV1(asSent)))
}

// crockford is Crockford's base32: no I, L, O or U, so a code read over the
// phone or copied by hand survives.
var crockford = base32.NewEncoding("0123456789ABCDEFGHJKMNPQRSTVWXYZ").WithPadding(base32.NoPadding)

// TrackingCode returns a case's tracking code (mã tra cứu): 80 bits of a
// keyed hash of the case id, grouped as XXXX-XXXX-XXXX-XXXX. Deriving it
// instead of storing it lets a retried submission get the same code back
// while the log holds no code at all; it is unguessable without the secret.
func (s *Service) TrackingCode(id uuid.UUID) string {
	sum := s.mac(trackingLabel, id[:])
	raw := crockford.EncodeToString(sum[:10]) // 80 bits, 16 characters
	return raw[0:4] + "-" + raw[4:8] + "-" + raw[8:12] + "-" + raw[12:16]
}

// CheckTrackingCode reports whether code is the case's tracking code,
// forgiving case, spaces, dashes and the letters people confuse with digits.
func (s *Service) CheckTrackingCode(id uuid.UUID, code string) bool {
	if len(code) > 64 {
		return false
	}
	norm := strings.NewReplacer("-", "", " ", "", "O", "0", "I", "1", "L", "1").Replace(strings.ToUpper(code))
	want := strings.ReplaceAll(s.TrackingCode(id), "-", "")
	return hmac.Equal([]byte(norm), []byte(want))
}
