package notify_test

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"strings"
	"sync"
	"testing"

	"phananh/notify"
	"phananh/notify/smtptest"
)

// received is one message a test receiver got.
type received struct {
	Channel   string // email | webhook
	To        string // email address, or the webhook path
	EventID   string
	MessageID string
	Subject   string
	Body      string
	Payload   notify.Payload
}

// inbox collects what the receivers got.
type inbox struct {
	mu   sync.Mutex
	msgs []received
}

func (in *inbox) add(r received) {
	in.mu.Lock()
	defer in.mu.Unlock()
	in.msgs = append(in.msgs, r)
}

func (in *inbox) all() []received {
	in.mu.Lock()
	defer in.mu.Unlock()
	return append([]received(nil), in.msgs...)
}

// smtpServer keeps what the test SMTP server takes in the inbox; reject,
// if set, refuses a message to the recipient at the end of DATA, echoing
// the address as real servers do: lower-cased, and its mailbox name.
type smtpServer struct {
	*smtptest.Server
	inbox  *inbox
	t      *testing.T
	reject func(rcpt string) bool
}

func startSMTP(t *testing.T, in *inbox) *smtpServer {
	t.Helper()
	s := &smtpServer{inbox: in, t: t}
	s.Server = smtptest.Start(t, s.message)
	return s
}

func (s *smtpServer) message(rcpts []string, data string) string {
	if s.reject != nil && len(rcpts) == 1 && s.reject(rcpts[0]) {
		mailbox, _, _ := strings.Cut(rcpts[0], "@")
		return "550 5.1.1 <" + strings.ToLower(rcpts[0]) + ">: mailbox " + mailbox + " unavailable"
	}
	s.deliver(rcpts, data)
	return "250 OK queued"
}

func (s *smtpServer) deliver(rcpts []string, data string) {
	m, err := mail.ReadMessage(strings.NewReader(data))
	if err != nil {
		s.t.Errorf("smtp: unreadable message: %v", err)
		return
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	if err != nil {
		s.t.Errorf("smtp: subject: %v", err)
	}
	raw, _ := io.ReadAll(m.Body)
	body, err := base64.StdEncoding.DecodeString(strings.NewReplacer("\r", "", "\n", "").Replace(string(raw)))
	if err != nil {
		s.t.Errorf("smtp: body is not base64: %v", err)
	}
	if ct := m.Header.Get("Content-Type"); !strings.Contains(ct, "utf-8") {
		s.t.Errorf("smtp: Content-Type %q is not UTF-8", ct)
	}
	for _, to := range rcpts {
		s.inbox.add(received{Channel: "email", To: to, EventID: m.Header.Get("X-Phananh-Event-Id"),
			MessageID: m.Header.Get("Message-ID"), Subject: subject, Body: string(body)})
	}
}

// hookReceiver is an HTTP endpoint that checks each webhook's signature
// with the key its path is meant to use, and answers as status says.
type hookReceiver struct {
	srv    *httptest.Server
	inbox  *inbox
	keyFor func(path string, p notify.Payload) []byte
	mu     sync.Mutex
	status func(path string) int // nil: 200
}

func startHooks(t *testing.T, in *inbox, keyFor func(path string, p notify.Payload) []byte) *hookReceiver {
	h := &hookReceiver{inbox: in, keyFor: keyFor}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var p notify.Payload
		if err := json.Unmarshal(body, &p); err != nil {
			t.Errorf("webhook %s: body %q: %v", r.URL.Path, body, err)
			http.Error(w, "bad body", http.StatusBadRequest)
			return
		}
		ts, sig := r.Header.Get(notify.HeaderTimestamp), r.Header.Get(notify.HeaderSignature)
		if !notify.Verify(h.keyFor(r.URL.Path, p), ts, body, sig) {
			t.Errorf("webhook %s: bad signature %q", r.URL.Path, sig)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if id := r.Header.Get(notify.HeaderEventID); id != p.EventID.String() {
			t.Errorf("webhook %s: event id header %q, body %s", r.URL.Path, id, p.EventID)
		}
		h.mu.Lock()
		status := h.status
		h.mu.Unlock()
		if status != nil {
			if code := status(r.URL.Path); code != http.StatusOK {
				w.WriteHeader(code)
				return
			}
		}
		in.add(received{Channel: "webhook", To: r.URL.Path, EventID: p.EventID.String(), Payload: p})
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) setStatus(f func(path string) int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.status = f
}
