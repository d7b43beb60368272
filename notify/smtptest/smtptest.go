// Package smtptest runs a small SMTP server in a test's process, so that
// email notifications are sent over a real connection by net/smtp and
// read back by the test. Only tests import it.
package smtptest

import (
	"bufio"
	"io"
	"net"
	"strings"
	"testing"
)

// Hang, returned by a message handler, leaves the message unanswered: the
// sender waits mid-send, as if the server had stalled, until the
// connection closes.
const Hang = ""

// Server speaks just enough SMTP (RFC 5321: EHLO, MAIL, RCPT, DATA, RSET,
// NOOP, QUIT; no TLS, no auth) to take messages from net/smtp.
type Server struct {
	ln      net.Listener
	message func(rcpts []string, data string) string
}

// Start listens on loopback until the test ends. message is called at the
// end of each message's DATA with its recipients and its text (headers
// and body, dot-stuffing undone) and returns the reply line, such as
// "250 OK" or a 5xx refusal, or Hang.
func Start(t testing.TB, message func(rcpts []string, data string) string) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{ln: ln, message: message}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(conn)
		}
	}()
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.ln.Addr().String() }

func (s *Server) serve(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	say := func(line string) { io.WriteString(conn, line+"\r\n") }
	say("220 test.local ESMTP")
	var rcpts []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		cmd := strings.ToUpper(strings.TrimSpace(line))
		switch {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250-test.local")
			say("250 8BITMIME")
		case strings.HasPrefix(cmd, "MAIL FROM:"):
			rcpts = nil
			say("250 OK")
		case strings.HasPrefix(cmd, "RCPT TO:"):
			addr := strings.TrimSpace(line[len("RCPT TO:"):])
			rcpts = append(rcpts, strings.Trim(addr, "<> \r\n"))
			say("250 OK")
		case cmd == "DATA":
			say("354 go ahead")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, ".")) // undo dot-stuffing
			}
			reply := s.message(rcpts, data.String())
			if reply == Hang {
				io.Copy(io.Discard, r) // never answer
				return
			}
			say(reply)
		case cmd == "RSET", cmd == "NOOP":
			say("250 OK")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("502 not implemented")
		}
	}
}
