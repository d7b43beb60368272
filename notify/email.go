package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"strings"
	"time"
)

// SMTPConfig says where email goes. An empty Addr turns email off.
type SMTPConfig struct {
	Addr     string // host:port of the submission server
	From     string // envelope and header sender, e.g. "Phản ánh Lào Cai <phananh@laocai.gov.vn>"
	Username string // optional PLAIN auth (net/smtp only sends it over TLS or to localhost)
	Password string
	// Hello is the name given in EHLO; default "localhost".
	Hello string
}

// mailer sends one message per connection with net/smtp: notifications
// are few (a handful per case), so pooling connections buys nothing.
type mailer struct {
	cfg     SMTPConfig
	from    *mail.Address
	timeout time.Duration
}

func newMailer(cfg SMTPConfig, timeout time.Duration) (*mailer, error) {
	from, err := mail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("notify: --smtp-from %q: %w", cfg.From, err)
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return nil, fmt.Errorf("notify: --smtp-addr %q: %w", cfg.Addr, err)
	}
	if cfg.Hello == "" {
		cfg.Hello = "localhost"
	}
	return &mailer{cfg: cfg, from: from, timeout: timeout}, nil
}

// email is one message to one address. MessageID is derived from the event
// so that a receiver can drop the duplicate a crash may cause.
type email struct {
	To        string
	MessageID string
	EventID   string
	Msg       message
	Date      time.Time
}

func (m *mailer) send(ctx context.Context, e email) error {
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", m.cfg.Addr)
	if err != nil {
		return fmt.Errorf("smtp: dial: %w", err)
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	host, _, _ := net.SplitHostPort(m.cfg.Addr)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return fmt.Errorf("smtp: greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello(m.cfg.Hello); err != nil {
		return fmt.Errorf("smtp: hello: %w", err)
	}
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}); err != nil {
			return fmt.Errorf("smtp: starttls: %w", err)
		}
	}
	if m.cfg.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", m.cfg.Username, m.cfg.Password, host)); err != nil {
			return fmt.Errorf("smtp: auth: %w", err)
		}
	}
	if err := c.Mail(m.from.Address); err != nil {
		return fmt.Errorf("smtp: mail from: %w", err)
	}
	if err := c.Rcpt(e.To); err != nil {
		return fmt.Errorf("smtp: rcpt: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: data: %w", err)
	}
	if _, err := w.Write(m.compose(e)); err != nil {
		return fmt.Errorf("smtp: write: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: end of data: %w", err)
	}
	// The server took the message at the end of DATA; a failed QUIT does
	// not unsend it.
	_ = c.Quit()
	return nil
}

// compose builds the message: UTF-8 text, the subject RFC 2047 encoded
// (Vietnamese needs it), the body in base64 so no 8BITMIME is needed.
func (m *mailer) compose(e email) []byte {
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", m.from.String())
	header("To", (&mail.Address{Address: e.To}).String())
	header("Subject", mime.BEncoding.Encode("utf-8", e.Msg.Subject))
	header("Date", e.Date.Format(time.RFC1123Z))
	header("Message-ID", "<"+e.MessageID+">")
	header("X-Phananh-Event-Id", e.EventID)
	header("Auto-Submitted", "auto-generated")
	header("MIME-Version", "1.0")
	header("Content-Type", `text/plain; charset="utf-8"`)
	header("Content-Transfer-Encoding", "base64")
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(strings.ReplaceAll(e.Msg.Body, "\n", "\r\n")))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return b.Bytes()
}
