package domain

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// Languages a reporter can be answered in. Vietnamese is the default: a
// report that names none, and every report stored before the field existed,
// is answered in Vietnamese.
const (
	LangVietnamese = "vi"
	LangEnglish    = "en"
)

// MaxWebhookURL bounds a webhook address, in bytes.
const MaxWebhookURL = 2048

// Lang returns the language the reporter asked to be answered in.
func (r Reported) Lang() string {
	if r.Language == LangEnglish {
		return LangEnglish
	}
	return LangVietnamese
}

// CheckWebhookURL validates an address notifications are POSTed to: an
// absolute https URL (http only when allowHTTP, for tests and closed
// networks), with a host, without user:password (which would sit in the
// log's sealed blob and in every request line), at most MaxWebhookURL bytes.
// Where the host resolves is checked when sending, not here: DNS can change.
func CheckWebhookURL(field, raw string, allowHTTP bool) (string, error) {
	raw = strings.TrimSpace(raw)
	if len(raw) > MaxWebhookURL {
		return "", FieldErrorf(EInvalidWebhook, field, "a webhook URL has at most %d bytes", MaxWebhookURL)
	}
	if !utf8.ValidString(raw) {
		return "", FieldErrorf(EInvalidWebhook, field, "the webhook URL is not valid UTF-8")
	}
	u, err := url.Parse(raw)
	if err != nil || !u.IsAbs() || u.Host == "" || u.Hostname() == "" || u.Opaque != "" {
		return "", FieldErrorf(EInvalidWebhook, field, "the webhook must be an absolute URL such as https://example.vn/hook")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !allowHTTP {
			return "", FieldErrorf(EInvalidWebhook, field, "the webhook URL must use https")
		}
	default:
		return "", FieldErrorf(EInvalidWebhook, field, "the webhook URL must use https")
	}
	if u.User != nil {
		return "", FieldErrorf(EInvalidWebhook, field, "the webhook URL must not carry a user name or password")
	}
	if u.Fragment != "" {
		return "", FieldErrorf(EInvalidWebhook, field, "the webhook URL must not carry a #fragment")
	}
	return raw, nil
}
