package notify

import (
	"fmt"
	"strings"
	"time"

	"phananh/domain"
)

// statusNames are the statuses as a person reads them.
var statusNames = map[string]map[domain.Status]string{
	domain.LangVietnamese: {
		domain.StatusReceived:           "Đã tiếp nhận",
		domain.StatusAccepted:           "Đã thụ lý",
		domain.StatusRejected:           "Không thụ lý",
		domain.StatusAssigned:           "Đã giao cán bộ xử lý",
		domain.StatusInProgress:         "Đang xử lý",
		domain.StatusMediationScheduled: "Đã lên lịch hòa giải",
		domain.StatusMediated:           "Đã hòa giải",
		domain.StatusEscalated:          "Đã chuyển cấp có thẩm quyền",
		domain.StatusResolved:           "Đã giải quyết",
		domain.StatusClosed:             "Đã kết thúc, lưu hồ sơ",
	},
	domain.LangEnglish: {
		domain.StatusReceived:           "Received",
		domain.StatusAccepted:           "Accepted for handling",
		domain.StatusRejected:           "Not accepted",
		domain.StatusAssigned:           "Assigned to an officer",
		domain.StatusInProgress:         "In progress",
		domain.StatusMediationScheduled: "Mediation scheduled",
		domain.StatusMediated:           "Mediation held",
		domain.StatusEscalated:          "Referred to a higher authority",
		domain.StatusResolved:           "Resolved",
		domain.StatusClosed:             "Closed",
	},
}

// StatusName returns a status in the language ("vi" or "en").
func StatusName(lang string, s domain.Status) string {
	if name, ok := statusNames[lang][s]; ok {
		return name
	}
	return string(s)
}

// change is what an event did to a case, as the messages tell it.
type change struct {
	EventID   string
	EventType string
	CaseID    string
	Title     string
	Status    domain.Status
	Unit      domain.Unit
	Time      time.Time
	Overdue   bool
	Detail    map[string]string // language → a line about this event, may be empty
}

// message is a localised email.
type message struct {
	Subject string
	Body    string
}

func shortID(id string) string {
	if len(id) >= 8 {
		return id[:8]
	}
	return id
}

func unitName(lang string, u domain.Unit) string {
	if lang == domain.LangEnglish && u.NameEn != "" {
		return u.NameEn
	}
	if u.Name != "" {
		return u.Name
	}
	return u.Code
}

func when(lang string, t time.Time) string {
	t = t.In(domain.Vietnam)
	if lang == domain.LangEnglish {
		return t.Format("2 Jan 2006 15:04") + " (Vietnam time)"
	}
	return t.Format("15:04 ngày 02/01/2006") + " (giờ Việt Nam)"
}

// reporterMessage is the email to the person who reported the case.
func reporterMessage(lang, name string, ch change) message {
	status := StatusName(lang, ch.Status)
	var b strings.Builder
	if lang == domain.LangEnglish {
		fmt.Fprintf(&b, "Dear %s,\n\n", orDefault(name, "citizen"))
		fmt.Fprintf(&b, "Your report \"%s\" (case %s) is now: %s.\n", ch.Title, ch.CaseID, status)
		fmt.Fprintf(&b, "Handled by: %s.\n", unitName(lang, ch.Unit))
		fmt.Fprintf(&b, "Updated at %s.\n", when(lang, ch.Time))
		if d := ch.Detail[lang]; d != "" {
			fmt.Fprintf(&b, "%s\n", d)
		}
		b.WriteString("\nFollow the case with the tracking code you received when you reported it.\n")
		b.WriteString("This message was sent automatically; please do not reply.\n")
		return message{Subject: fmt.Sprintf("Your report %s: %s", shortID(ch.CaseID), status), Body: b.String()}
	}
	fmt.Fprintf(&b, "Kính gửi ông/bà %s,\n\n", orDefault(name, "công dân"))
	fmt.Fprintf(&b, "Phản ánh \"%s\" (mã hồ sơ %s) của ông/bà đã chuyển sang trạng thái: %s.\n", ch.Title, ch.CaseID, status)
	fmt.Fprintf(&b, "Đơn vị xử lý: %s.\n", unitName(lang, ch.Unit))
	fmt.Fprintf(&b, "Cập nhật lúc %s.\n", when(lang, ch.Time))
	if d := ch.Detail[lang]; d != "" {
		fmt.Fprintf(&b, "%s\n", d)
	}
	b.WriteString("\nÔng/bà có thể theo dõi hồ sơ bằng mã tra cứu đã nhận khi gửi phản ánh.\n")
	b.WriteString("Thư này được gửi tự động, xin vui lòng không trả lời.\n")
	return message{Subject: fmt.Sprintf("Phản ánh %s: %s", shortID(ch.CaseID), status), Body: b.String()}
}

// unitMessage is the email to the unit handling the case, in Vietnamese
// (the units are Vietnamese public bodies). It names no reporter.
func unitMessage(ch change) message {
	lang := domain.LangVietnamese
	status := StatusName(lang, ch.Status)
	subject := fmt.Sprintf("[Phản ánh] Hồ sơ %s: %s", shortID(ch.CaseID), status)
	var b strings.Builder
	fmt.Fprintf(&b, "Kính gửi %s,\n\n", unitName(lang, ch.Unit))
	if ch.Overdue {
		subject = fmt.Sprintf("[Phản ánh] Hồ sơ %s: quá hạn xử lý", shortID(ch.CaseID))
		fmt.Fprintf(&b, "Hồ sơ \"%s\" (mã %s) đã quá hạn xử lý và được báo cáo lên lãnh đạo đơn vị.\n", ch.Title, ch.CaseID)
	} else {
		fmt.Fprintf(&b, "Hồ sơ \"%s\" (mã %s) do đơn vị xử lý đã chuyển sang trạng thái: %s.\n", ch.Title, ch.CaseID, status)
	}
	fmt.Fprintf(&b, "Cập nhật lúc %s.\n", when(lang, ch.Time))
	if d := ch.Detail[lang]; d != "" {
		fmt.Fprintf(&b, "%s\n", d)
	}
	b.WriteString("\nXem hồ sơ trong hàng đợi của đơn vị trên hệ thống phản ánh.\n")
	return message{Subject: subject, Body: b.String()}
}

// detail is a line about what the event itself says, in both languages.
// Only what staff recorded for the citizen's sake is quoted.
func detail(e domain.Event, unit domain.Unit) map[string]string {
	switch e := e.(type) {
	case domain.Rejected:
		return map[string]string{
			domain.LangVietnamese: "Lý do: " + e.Reason,
			domain.LangEnglish:    "Reason: " + e.Reason,
		}
	case domain.Transferred:
		return map[string]string{
			domain.LangVietnamese: "Hồ sơ được chuyển đến " + unitName(domain.LangVietnamese, unit) + ". Lý do: " + e.Reason,
			domain.LangEnglish:    "The case was transferred to " + unitName(domain.LangEnglish, unit) + ". Reason: " + e.Reason,
		}
	case domain.MediationScheduled:
		return map[string]string{
			domain.LangVietnamese: "Buổi hòa giải: " + when(domain.LangVietnamese, e.At) + ", tại " + e.Place + ".",
			domain.LangEnglish:    "Mediation session: " + when(domain.LangEnglish, e.At) + ", at " + e.Place + ".",
		}
	case domain.MediationHeld:
		text := map[domain.MediationOutcome][2]string{
			domain.MediationAgreed: {"Kết quả hòa giải: hòa giải thành.", "Mediation outcome: agreed."},
			domain.MediationFailed: {"Kết quả hòa giải: hòa giải không thành.", "Mediation outcome: failed."},
			domain.MediationAbsent: {"Buổi hòa giải không tiến hành được do có bên vắng mặt.", "The session could not proceed: a party was absent."},
		}[e.Outcome]
		return map[string]string{domain.LangVietnamese: text[0], domain.LangEnglish: text[1]}
	case domain.Resolved:
		return map[string]string{
			domain.LangVietnamese: "Kết quả giải quyết: " + e.Summary,
			domain.LangEnglish:    "Outcome: " + e.Summary,
		}
	case domain.Reopened:
		return map[string]string{
			domain.LangVietnamese: "Hồ sơ được mở lại. Lý do: " + e.Reason,
			domain.LangEnglish:    "The case was reopened. Reason: " + e.Reason,
		}
	}
	return nil
}

func orDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}
