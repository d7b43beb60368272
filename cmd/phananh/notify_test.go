package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	natsgo "github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// mailbox is an SMTP listener that can be told to hang at the end of a
// message's DATA (the sender is then mid-send: the message is not taken).
type mailbox struct {
	ln       net.Listener
	mu       sync.Mutex
	hang     bool
	hung     chan struct{} // closed when a message hangs
	accepted []string      // Message-IDs of messages taken (250 after DATA)
}

func startMailbox(t *testing.T) *mailbox {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m := &mailbox{ln: ln, hung: make(chan struct{})}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go m.serve(conn)
		}
	}()
	return m
}

func (m *mailbox) serve(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	say := func(s string) { io.WriteString(conn, s+"\r\n") }
	say("220 mailbox ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
		case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
			say("250 mailbox")
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
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			m.mu.Lock()
			if m.hang {
				m.hang = false
				close(m.hung)
				m.mu.Unlock()
				io.Copy(io.Discard, r) // never answer: the sender waits
				return
			}
			msg, err := mail.ReadMessage(strings.NewReader(data.String()))
			if err == nil {
				m.accepted = append(m.accepted, msg.Header.Get("Message-ID"))
			}
			m.mu.Unlock()
			say("250 OK")
		case cmd == "QUIT":
			say("221 bye")
			return
		default:
			say("250 OK")
		}
	}
}

func (m *mailbox) taken() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.accepted...)
}

// TestKill9MidSendNotifiesOnce kills the process while it is in the middle
// of sending a notification (the SMTP server has the message but has not
// taken it), and starts it again on the same data: the notification is
// sent by the new process, once.
func TestKill9MidSendNotifiesOnce(t *testing.T) {
	box := startMailbox(t)
	box.hang = true
	dir, nats := t.TempDir(), freePort(t)
	args := []string{"--data", dir, "--nats-listen", nats, "--smtp-addr", box.ln.Addr().String(),
		"--smtp-from", "Phản ánh <noreply@phananh.test>", "--notify-ack-wait", "2s"}
	p := startServe(t, args...)

	body, _ := json.Marshal(map[string]any{
		"category": "pollution.water", "title": "Nước suối đổi màu", "description": "Cá chết nhiều.",
		"location": map[string]any{"commune": "lao-cai"},
		"reporter": map[string]any{"name": "Trần Văn Bình", "email": "binh@citizen.test"},
	})
	resp, err := http.Post("http://"+p.http+"/api/v1/reports", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("submit: %d", resp.StatusCode)
	}
	select {
	case <-box.hung:
	case <-time.After(30 * time.Second):
		t.Fatalf("no notification was sent; logs:\n%s", p.logs)
	}
	if err := p.cmd.Process.Kill(); err != nil { // SIGKILL mid-send
		t.Fatal(err)
	}
	p.cmd.Wait()
	if got := box.taken(); len(got) != 0 {
		t.Fatalf("taken before the crash: %v", got)
	}

	q := startServe(t, args...)
	deadline := time.Now().Add(30 * time.Second)
	for len(box.taken()) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("the notification was not sent after the restart; logs:\n%s", q.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// Once the consumer holds nothing, no second send can come.
	nc, err := natsgo.Connect("nats://" + nats)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, _ := jetstream.New(nc)
	for {
		c, err := js.Consumer(context.Background(), "CASES", "notifier")
		if err != nil {
			t.Fatal(err)
		}
		info, err := c.Info(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if info.NumPending == 0 && info.NumAckPending == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the consumer still holds %d events", info.NumAckPending)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got := box.taken(); len(got) != 1 || !strings.HasSuffix(got[0], ".reporter@phananh>") {
		t.Errorf("messages taken: %v, want the reporter's once", got)
	}
	if strings.Contains(p.logs.String()+q.logs.String(), "binh@citizen.test") {
		t.Error("a log line holds the reporter's address")
	}
}
