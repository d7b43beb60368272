package domain

import "time"

// AddComment adds a note, public (the citizen sees it) or internal.
type AddComment struct {
	Text   string
	Public bool
}

// AddAttachment records a file already checked and stored in the
// attachments bucket; the domain enforces the per-case limits.
type AddAttachment struct{ Attachment AttachmentAdded }

// GiveFeedback records the citizen's satisfaction, once.
type GiveFeedback struct {
	Rating  int
	Comment string
}

// Reclassify changes the category and so, possibly, the kind.
type Reclassify struct {
	Category Category
	Kind     Kind // optional: the category's default kind when empty
	Reason   string
}

// EraseReporter records that the reporter's key was destroyed.
type EraseReporter struct{ Reason string }

// EventType implementations.
func (AddComment) EventType() string    { return "comment_added" }
func (AddAttachment) EventType() string { return "attachment_added" }
func (GiveFeedback) EventType() string  { return "feedback_given" }
func (Reclassify) EventType() string    { return "reclassified" }
func (EraseReporter) EventType() string { return "reporter_erased" }

func (a AddComment) decide(Case, time.Time, Rules) ([]Event, error) {
	text, err := checkText("text", a.Text, true, MaxComment)
	if err != nil {
		return nil, err
	}
	return []Event{CommentAdded{Text: text, Public: a.Public}}, nil
}

func (a AddAttachment) decide(c Case, _ time.Time, r Rules) ([]Event, error) {
	at := a.Attachment
	if at.Object == "" || at.Size <= 0 || at.SHA256 == "" {
		return nil, Errorf(EINTERNAL, "attachment was not stored")
	}
	lim := r.Policy.Limits
	if c.Attachments+1 > lim.MaxAttachmentsPerCase {
		return nil, FieldErrorf(ELimitReached, "file", "a case holds at most %d files", lim.MaxAttachmentsPerCase)
	}
	if c.AttachmentBytes+at.Size > lim.MaxAttachmentBytesPerCase {
		return nil, FieldErrorf(ELimitReached, "file", "a case holds at most %d MB of files", lim.MaxAttachmentBytesPerCase>>20)
	}
	return []Event{at}, nil
}

func (f GiveFeedback) decide(c Case, _ time.Time, _ Rules) ([]Event, error) {
	if f.Rating < 1 || f.Rating > 5 {
		return nil, FieldErrorf(EINVALID, "rating", "rating is 1 to 5")
	}
	if c.Rating != 0 {
		return nil, Errorf(ECONFLICT, "feedback was already given")
	}
	comment, err := checkText("comment", f.Comment, false, MaxComment)
	if err != nil {
		return nil, err
	}
	return []Event{FeedbackGiven{Rating: f.Rating, Comment: comment}}, nil
}

func (x Reclassify) decide(c Case, _ time.Time, _ Rules) ([]Event, error) {
	info, ok := LookupCategory(x.Category)
	if !ok {
		return nil, FieldErrorf(EInvalidCategory, "category", "unknown category %q", x.Category)
	}
	kind := x.Kind
	if kind == "" {
		kind = info.DefaultKind
	} else if !kind.Valid() {
		return nil, FieldErrorf(EInvalidKind, "kind", "unknown kind %q", kind)
	}
	if kind == KindDenunciation && c.Anonymous {
		return nil, FieldErrorf(EInvalidKind, "kind", "an anonymous report cannot be handled as a denunciation")
	}
	reason, err := checkText("reason", x.Reason, true, MaxReason)
	if err != nil {
		return nil, err
	}
	if x.Category == c.Category && kind == c.Kind {
		return nil, Errorf(ECONFLICT, "the case already has this category and kind")
	}
	return []Event{Reclassified{FromCategory: c.Category, ToCategory: x.Category, FromKind: c.Kind, ToKind: kind, Reason: reason}}, nil
}

func (x EraseReporter) decide(c Case, _ time.Time, _ Rules) ([]Event, error) {
	if c.Reporter == nil {
		return nil, Errorf(ECONFLICT, "the case has no reporter identity to erase")
	}
	if c.ReporterErased {
		return nil, Errorf(ECONFLICT, "the reporter was already erased")
	}
	reason, err := checkText("reason", x.Reason, true, MaxReason)
	if err != nil {
		return nil, err
	}
	return []Event{ReporterErased{KeyID: c.Reporter.KeyID, Reason: reason}}, nil
}

// compile-time proof that every command is a Command.
var _ = []Command{SubmitReport{}, Accept{}, Reject{}, Assign{}, Transfer{}, RecordInspection{},
	ScheduleMediation{}, RecordMediation{}, ExtendDeadline{}, Escalate{}, Resolve{}, Close{},
	Reopen{}, AddComment{}, AddAttachment{}, LinkDuplicate{}, GiveFeedback{}, Reclassify{},
	EraseReporter{}}
