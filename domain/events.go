package domain

import (
	"time"

	"github.com/google/uuid"
)

// Location says where something happened. Commune is the official code of
// the xã/phường; coordinates are optional (a citizen on a weak link may not
// have a fix) but, when given, must lie in Vietnam.
type Location struct {
	Commune string   `json:"commune"`
	Address string   `json:"address,omitempty"`
	Lat     *float64 `json:"lat,omitempty"`
	Lon     *float64 `json:"lon,omitempty"`
}

// SealedReporter is a reporter's identity (name, phone, email) sealed with a
// key of its own that lives outside the log. Erasing that key erases the
// person while the log stays immutable (crypto-shredding). The log never
// holds the identity in plaintext.
type SealedReporter struct {
	KeyID  string `json:"key_id"`
	Sealed []byte `json:"sealed"` // nonce || AES-GCM ciphertext, base64 in JSON
}

// Reported opens a case: a citizen's report (phản ánh) as received.
// Deadline is the due date of Clock, computed with the policy in force when
// the report arrived; later policy changes do not move it.
type Reported struct {
	Kind        Kind            `json:"kind"`
	Category    Category        `json:"category"`
	Title       string          `json:"title"`
	Description string          `json:"description"`
	Location    Location        `json:"location"`
	OccurredAt  *time.Time      `json:"occurred_at,omitempty"`
	Anonymous   bool            `json:"anonymous"`
	Reporter    *SealedReporter `json:"reporter,omitempty"`
	Unit        string          `json:"unit"`
	Remote      bool            `json:"remote"`
	Clock       Clock           `json:"clock"`
	Deadline    time.Time       `json:"deadline"`
	// Digest fingerprints the submission's content (keyed), so a retry with
	// the same client id can be told from a different report with it. Since
	// "v2:" digests it leaves the reporter out: one over the identity would
	// let whoever holds the log and the key confirm a guess at who reported,
	// even after erasure. Earlier ones ("" prefix) cover the reporter too.
	Digest string `json:"digest"`
	// KindNote explains a kind chosen for the reporter, e.g. an anonymous
	// denunciation taken as information (Law on Denunciations 2018, Art. 25).
	KindNote string `json:"kind_note,omitempty"`
	// Language is the language the reporter is answered in: "vi", "en", or
	// empty (older events, or none asked) for Vietnamese. See Lang.
	Language string `json:"language,omitempty"`
}

// Accepted records the formal decision to handle a case (thụ lý).
type Accepted struct {
	Complex  bool      `json:"complex,omitempty"`
	Note     string    `json:"note,omitempty"`
	Clock    Clock     `json:"clock"`
	Deadline time.Time `json:"deadline"`
}

// Rejected records the decision not to handle a case (không thụ lý), with the reason the law requires.
type Rejected struct {
	Reason string `json:"reason"`
}

// Assigned records who in the unit works the case.
type Assigned struct {
	Assignee string `json:"assignee"`
	Note     string `json:"note,omitempty"`
}

// Transferred moves a case from one unit to another (chuyển đơn).
type Transferred struct {
	From   string `json:"from"`
	To     string `json:"to"`
	Reason string `json:"reason"`
}

// InspectionRecorded records a field inspection or verification.
type InspectionRecorded struct {
	InspectedAt time.Time `json:"inspected_at"`
	Findings    string    `json:"findings"`
}

// CouncilMember sits on a commune mediation council. Decree 102/2024,
// Art. 105 has the Fatherland Front represented on it.
type CouncilMember struct {
	Name string      `json:"name"`
	Role CouncilRole `json:"role"`
}

// CouncilRole is a member's place on a mediation council.
type CouncilRole string

// Council roles.
const (
	CouncilChair   CouncilRole = "chair"            // usually the commune chairperson or deputy
	CouncilFront   CouncilRole = "fatherland_front" // the Fatherland Front representative
	CouncilRegular CouncilRole = "member"
)

// Attendee says who came to a mediation session.
type Attendee struct {
	Name    string `json:"name"`
	Party   bool   `json:"party"` // a party to the dispute, not a council member
	Present bool   `json:"present"`
}

// MediationScheduled fixes the date, place and council of a commune mediation (hòa giải).
type MediationScheduled struct {
	At      time.Time       `json:"at"`
	Place   string          `json:"place"`
	Council []CouncilMember `json:"council,omitempty"`
}

// MediationOutcome is how a mediation session ended.
type MediationOutcome string

// Mediation outcomes. A party's second absence means mediation failed
// (Decree 102/2024, Art. 105).
const (
	MediationAgreed MediationOutcome = "agreed"
	MediationFailed MediationOutcome = "failed"
	MediationAbsent MediationOutcome = "absent"
)

// MediationHeld records a mediation session and its minutes (biên bản).
type MediationHeld struct {
	Outcome    MediationOutcome `json:"outcome"`
	Minutes    string           `json:"minutes"`
	Attendance []Attendee       `json:"attendance,omitempty"`
	// Absences counts sessions so far at which a party was absent, this one included.
	Absences int `json:"absences,omitempty"`
}

// DeadlineExtended records a written extension decision.
type DeadlineExtended struct {
	Decision string    `json:"decision"` // number or reference of the written decision
	Reason   string    `json:"reason"`
	Days     int       `json:"days"`
	Deadline time.Time `json:"deadline"`
}

// Escalated hands the case to a higher or competent authority. An overdue
// escalation (Overdue) is recorded by the system when a clock ran out past
// the grace period: it puts the case before the unit's head and leaves the
// case where it is (To = From, status unchanged).
type Escalated struct {
	From     string    `json:"from"`
	To       string    `json:"to"`
	Reason   string    `json:"reason"`
	Overdue  bool      `json:"overdue,omitempty"`
	Deadline time.Time `json:"deadline,omitzero"` // the deadline that was missed
}

// Resolved records the answer or decision that settles the case.
type Resolved struct {
	Summary  string `json:"summary"`
	Measures string `json:"measures,omitempty"`
}

// Closed records that nothing further will be done (lưu hồ sơ).
type Closed struct {
	Note string `json:"note,omitempty"`
}

// Reopened returns a resolved or closed case to work.
type Reopened struct {
	Reason string `json:"reason"`
}

// CommentAdded is a note on the case; only public ones reach the citizen.
type CommentAdded struct {
	Text   string `json:"text"`
	Public bool   `json:"public"`
}

// AttachmentAdded records a file stored in the attachments bucket.
type AttachmentAdded struct {
	Object      string `json:"object"` // name in the object store
	Filename    string `json:"filename"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`
	Public      bool   `json:"public"`
}

// DuplicateLinked marks this case as a duplicate of another.
type DuplicateLinked struct {
	Of uuid.UUID `json:"of"`
}

// FeedbackGiven records the citizen's satisfaction with the handling (1–5).
type FeedbackGiven struct {
	Rating  int    `json:"rating"`
	Comment string `json:"comment,omitempty"`
}

// Reclassified changes what the case is about, and so possibly its kind.
type Reclassified struct {
	FromCategory Category `json:"from_category"`
	ToCategory   Category `json:"to_category"`
	FromKind     Kind     `json:"from_kind"`
	ToKind       Kind     `json:"to_kind"`
	Reason       string   `json:"reason"`
}

// ReporterErased records that the reporter's key was destroyed: the sealed
// identity in Reported can never be opened again.
type ReporterErased struct {
	KeyID  string `json:"key_id"`
	Reason string `json:"reason"`
}

// EventType implementations: the stored names.
func (Reported) EventType() string           { return "reported" }
func (Accepted) EventType() string           { return "accepted" }
func (Rejected) EventType() string           { return "rejected" }
func (Assigned) EventType() string           { return "assigned" }
func (Transferred) EventType() string        { return "transferred" }
func (InspectionRecorded) EventType() string { return "inspection_recorded" }
func (MediationScheduled) EventType() string { return "mediation_scheduled" }
func (MediationHeld) EventType() string      { return "mediation_held" }
func (DeadlineExtended) EventType() string   { return "deadline_extended" }
func (Escalated) EventType() string          { return "escalated" }
func (Resolved) EventType() string           { return "resolved" }
func (Closed) EventType() string             { return "closed" }
func (Reopened) EventType() string           { return "reopened" }
func (CommentAdded) EventType() string       { return "comment_added" }
func (AttachmentAdded) EventType() string    { return "attachment_added" }
func (DuplicateLinked) EventType() string    { return "duplicate_linked" }
func (FeedbackGiven) EventType() string      { return "feedback_given" }
func (Reclassified) EventType() string       { return "reclassified" }
func (ReporterErased) EventType() string     { return "reporter_erased" }
