package notify

import (
	"errors"
	"fmt"
	"net/textproto"
	"strings"
	"testing"
)

// TestRedactLeavesNoFormOfTheAddress: what a mail server or an HTTP client
// says back about a send loses every form of the address it may repeat.
// For a reporter, the server's own words go too (only a reply's code is
// kept), since it may repeat the address in a form no rule foresees (a
// shortened mailbox, another spelling).
func TestRedactLeavesNoFormOfTheAddress(t *testing.T) {
	const address = "Nobody.Zq@Citizen.TEST"
	tests := []struct {
		name     string
		err      error
		reporter bool
		want     string // what must remain
		gone     []string
	}{
		{"a reply repeating the address lower-cased", fmt.Errorf("smtp: rcpt: %w", &textproto.Error{Code: 550, Msg: "5.1.1 <nobody.zq@citizen.test>: no mailbox nobody.zq"}),
			true, "smtp: rcpt: 550", []string{"nobody", "Nobody", "5.1.1"}},
		{"a garbled reply with a shortened mailbox", fmt.Errorf("smtp: data: %w", textproto.ProtocolError("short response: n.zq@citizen unknown")),
			true, "smtp: data: a reply that is not SMTP", []string{"n.zq"}},
		{"a unit's address, any case, keeps the server's words", fmt.Errorf("smtp: rcpt: %w", &textproto.Error{Code: 550, Msg: "mailbox NOBODY.ZQ@CITIZEN.TEST full"}),
			false, "mailbox [redacted] full", []string{"NOBODY"}},
		{"an error that is no reply", errors.New("dial tcp 10.0.0.1:25: connection refused"),
			true, "dial tcp 10.0.0.1:25: connection refused", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := redact(tt.err, []string{address}, tt.reporter)
			if !strings.Contains(got, tt.want) {
				t.Errorf("redact = %q, want it to keep %q", got, tt.want)
			}
			for _, g := range tt.gone {
				if strings.Contains(got, g) {
					t.Errorf("redact = %q still holds %q", got, g)
				}
			}
		})
	}
}
