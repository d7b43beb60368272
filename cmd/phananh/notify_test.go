package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"phananh/notify/smtptest"
	"phananh/testport"
)

// mailbox is an SMTP server that can be told to hang at the end of a
// message's DATA (the sender is then mid-send: the message is not taken).
type mailbox struct {
	*smtptest.Server
	mu       sync.Mutex
	hang     bool
	hung     chan struct{} // closed when a message hangs
	accepted []string      // Message-IDs of messages taken (250 after DATA)
}

func startMailbox(t *testing.T) *mailbox {
	t.Helper()
	m := &mailbox{hung: make(chan struct{})}
	m.Server = smtptest.Start(t, m.message)
	return m
}

func (m *mailbox) message(_ []string, data string) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.hang {
		m.hang = false
		close(m.hung)
		return smtptest.Hang
	}
	if msg, err := mail.ReadMessage(strings.NewReader(data)); err == nil {
		m.accepted = append(m.accepted, msg.Header.Get("Message-ID"))
	}
	return "250 OK"
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
	dir, nats := t.TempDir(), testport.Addr(t)
	args := []string{"--data", dir, "--nats-listen", nats, "--smtp-addr", box.Addr(),
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
	js := jetStream(t, "nats://"+nats)
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
