package notify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"phananh/cases"
	"phananh/domain"
	"phananh/eventstore"
	"phananh/notify"
	"phananh/projections"
	"phananh/testport"
)

// clock is the service's time, settable so a case can run out of time.
type clock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return time.Now().Add(c.offset) }
func (c *clock) Skip(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset += d
}

type staffDir map[string]string

func (s staffDir) Member(name string) (string, domain.Role, bool) {
	u, ok := s[name]
	return u, domain.RoleOfficer, ok
}

// world is one JetStream server with a cases service on it, an SMTP
// listener and a webhook receiver.
type world struct {
	url    string
	js     jetstream.JetStream // the world's own connection: the tests read the streams on it
	svc    *cases.Service
	store  *eventstore.Store
	geo    *domain.Geography
	secret []byte
	inbox  *inbox
	smtp   *smtpServer
	hooks  *hookReceiver
	logs   *syncBuffer
	clock  *clock
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

const (
	unitOfLaoCai = "ubnd.lao-cai" // where water pollution in Phường Lào Cai goes
	unitSecret   = "the units' webhook secret"
)

func newWorld(t *testing.T) *world {
	t.Helper()
	emb, err := eventstore.StartEmbedded(eventstore.EmbeddedOptions{DataDir: t.TempDir(), Listen: "127.0.0.1:-1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emb.Shutdown)
	w := &world{url: emb.ClientURL(), secret: []byte("webhook-secret-for-tests-0123456"), inbox: &inbox{}, logs: &syncBuffer{}, clock: &clock{}}
	w.smtp = startSMTP(t, w.inbox)
	w.hooks = startHooks(t, w.inbox, func(path string, p notify.Payload) []byte {
		if strings.HasPrefix(path, "/unit/") {
			return []byte(unitSecret)
		}
		return []byte(notify.CaseWebhookSecret(w.secret, p.CaseID))
	})
	// Every unit of the sample gets an email and a webhook.
	geo := domain.DefaultGeography()
	for i := range geo.Units {
		geo.Units[i].Email = geo.Units[i].Code + "@units.test"
		geo.Units[i].WebhookURL = w.hooks.srv.URL + "/unit/" + geo.Units[i].Code
	}
	data, _ := json.Marshal(geo)
	if w.geo, err = domain.LoadGeography(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	nc, err := nats.Connect(w.url, nats.SyncQueueLen(1024))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	w.js, _ = jetstream.New(nc)
	if w.store, err = eventstore.Open(ctx, w.js, eventstore.Config{}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	view, queues := projections.NewCaseView(), projections.NewQueues()
	runner := projections.NewRunner(w.store, log, view, queues)
	go runner.Run(ctx)
	w.svc, err = cases.New(cases.Deps{Store: w.store, Vault: w.store, Files: w.store, Waiter: runner, View: view,
		Queues: queues, Staff: staffDir{"lan": unitOfLaoCai}, Secret: []byte("cases-secret-0123456789abcdef012"), Log: log, Now: w.clock.Now,
		Rules: domain.Rules{Geo: w.geo, Policy: domain.DefaultPolicy(), HTTPWebhooks: true}})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *world) config() notify.Config {
	return notify.Config{
		Geo:               w.geo,
		SMTP:              notify.SMTPConfig{Addr: w.smtp.Addr(), From: "Phản ánh Lào Cai <noreply@phananh.test>"},
		WebhookSecret:     w.secret,
		UnitWebhookSecret: []byte(unitSecret),
		AllowPrivate:      true, // the receivers listen on loopback
		Attempts:          3,
		BackOff:           []time.Duration{50 * time.Millisecond, 100 * time.Millisecond},
		// Short enough that a crashed worker's events come back to another
		// within seconds; long enough that a loopback send slowed by a
		// loaded machine is not timed out and retried, which would repeat
		// a message the receiver already recorded (1 s was judged too near).
		AckWait:     6 * time.Second,
		SendTimeout: 3 * time.Second,
		Log:         slog.New(slog.NewTextHandler(w.logs, nil)),
	}
}

// notifier is a worker on a connection of its own, like another process.
type notifier struct {
	nc   *nats.Conn
	w    *notify.Worker
	stop context.CancelFunc
	done chan struct{}
}

// newNotifier creates the worker (and so the shared consumer) without
// starting it.
func (w *world) newNotifier(t *testing.T, cfg notify.Config) *notifier {
	t.Helper()
	nc, err := nats.Connect(w.url, nats.SyncQueueLen(1024))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, _ := jetstream.New(nc)
	ctx := context.Background()
	store, err := eventstore.Open(ctx, js, eventstore.Config{})
	if err != nil {
		t.Fatal(err)
	}
	wk, err := notify.New(ctx, js, store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &notifier{nc: nc, w: wk, done: make(chan struct{})}
}

func (n *notifier) start(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	n.stop = cancel
	go func() {
		defer close(n.done)
		n.w.Run(ctx)
	}()
	t.Cleanup(func() { cancel(); <-n.done })
}

// idle waits until the shared consumer has handed out and seen
// acknowledged every event, and the inbox holds at least want messages.
func (w *world) idle(t *testing.T, want int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := w.js.Consumer(context.Background(), eventstore.StreamName, notify.Consumer)
		if err == nil {
			info, err := c.Info(context.Background())
			if err == nil && info.NumPending == 0 && info.NumAckPending == 0 && len(w.inbox.all()) >= want {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("notifications did not settle: %d received, want %d", len(w.inbox.all()), want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

var (
	head  = domain.Actor{ID: "head", Role: domain.RoleUnitHead, Unit: unitOfLaoCai}
	admin = domain.Actor{ID: "admin", Role: domain.RoleAdmin}
)

func (w *world) submit(t *testing.T, lang, label string) cases.Receipt {
	t.Helper()
	r, _, err := w.svc.Submit(context.Background(), domain.SubmitReport{
		ID: uuid.Must(uuid.NewV7()), Category: "pollution.water", Title: "Nước suối đổi màu " + label,
		Description: "Nước suối chuyển màu đỏ, cá chết.", Location: domain.Location{Commune: "lao-cai"},
		Reporter:   &domain.Reporter{Name: "Nguyễn Thị " + label, Phone: "0912 345 678", Email: label + "@citizen.test"},
		Language:   lang,
		WebhookURL: w.hooks.srv.URL + "/reporter/" + label,
	}, "test")
	if err != nil {
		t.Fatal(err)
	}
	if r.Unit != unitOfLaoCai {
		t.Fatalf("routed to %s, want %s", r.Unit, unitOfLaoCai)
	}
	return r
}

func (w *world) act(t *testing.T, id uuid.UUID, actor domain.Actor, cmd domain.Command) {
	t.Helper()
	if _, err := w.svc.Execute(context.Background(), id, 0, cmd, actor, "test"); err != nil {
		t.Fatalf("%s: %v", cmd.EventType(), err)
	}
}

// eventIDs returns the ids of a case's events by type.
func (w *world) eventIDs(t *testing.T, id uuid.UUID) map[string][]string {
	t.Helper()
	events, _, err := w.store.Load(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]string{}
	for _, e := range events {
		out[e.Type()] = append(out[e.Type()], e.ID.String())
	}
	return out
}

// countBy counts received messages per channel, recipient address and event.
func countBy(msgs []received) map[string]int {
	n := map[string]int{}
	for _, m := range msgs {
		n[m.Channel+" "+m.To+" "+m.EventID]++
	}
	return n
}

func assertOnce(t *testing.T, msgs []received) {
	t.Helper()
	for k, n := range countBy(msgs) {
		if n != 1 {
			t.Errorf("%s received %d times, want once", k, n)
		}
	}
}

func TestEachRecipientIsToldOncePerStatusChangeInTheirLanguage(t *testing.T) {
	w := newWorld(t)
	// Two replicas share the consumer.
	a, b := w.newNotifier(t, w.config()), w.newNotifier(t, w.config())
	a.start(t)
	b.start(t)

	en, vi := w.submit(t, "en", "anna"), w.submit(t, "vi", "binh")
	for _, r := range []cases.Receipt{en, vi} {
		w.act(t, r.ID, head, domain.Accept{})
		w.act(t, r.ID, head, domain.AddComment{Text: "Đã liên hệ người dân", Public: true}) // not a status change
		w.act(t, r.ID, head, domain.Assign{Assignee: "lan"})
		w.act(t, r.ID, head, domain.Resolve{Summary: "Đã xử lý nguồn xả thải"})
		w.act(t, r.ID, head, domain.Close{})
	}
	// 5 status changes × (reporter email, reporter webhook, unit email, unit webhook) × 2 cases.
	w.idle(t, 40)
	msgs := w.inbox.all()
	if len(msgs) != 40 {
		t.Errorf("%d messages, want 40", len(msgs))
	}
	assertOnce(t, msgs)

	statusEvents := []string{"reported", "accepted", "assigned", "resolved", "closed"}
	tests := []struct {
		name        string
		receipt     cases.Receipt
		label       string
		wantResolve string // the resolved status in the reporter's subject
		wantGreet   string
	}{
		{"english reporter", en, "anna", "Resolved", "Dear Nguyễn Thị anna"},
		{"vietnamese reporter", vi, "binh", "Đã giải quyết", "Kính gửi ông/bà Nguyễn Thị binh"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ids := w.eventIDs(t, tc.receipt.ID)
			if len(ids["comment_added"]) != 1 {
				t.Fatalf("events: %v", ids)
			}
			byEvent := map[string]map[string]received{} // event id → "channel to" → message
			for _, m := range msgs {
				if byEvent[m.EventID] == nil {
					byEvent[m.EventID] = map[string]received{}
				}
				byEvent[m.EventID][m.Channel+" "+m.To] = m
			}
			if got := byEvent[ids["comment_added"][0]]; len(got) != 0 {
				t.Errorf("a comment notified %d recipients", len(got))
			}
			for _, typ := range statusEvents {
				got := byEvent[ids[typ][0]]
				for _, want := range []string{"email " + tc.label + "@citizen.test", "webhook /reporter/" + tc.label,
					"email " + unitOfLaoCai + "@units.test", "webhook /unit/" + unitOfLaoCai} {
					if _, ok := got[want]; !ok {
						t.Errorf("%s: no %s", typ, want)
					}
				}
				hook := got["webhook /reporter/"+tc.label].Payload
				if hook.CaseID != tc.receipt.ID || hook.EventType != typ || hook.Recipient != notify.ToReporter {
					t.Errorf("%s: webhook payload %+v", typ, hook)
				}
				unitMail := got["email "+unitOfLaoCai+"@units.test"]
				if strings.Contains(unitMail.Body, tc.label+"@citizen.test") || strings.Contains(unitMail.Body, "0912") ||
					strings.Contains(unitMail.Body, "Nguyễn Thị") {
					t.Errorf("%s: the unit's email shows the reporter: %q", typ, unitMail.Body)
				}
				if !strings.HasPrefix(unitMail.Subject, "[Phản ánh] Hồ sơ") {
					t.Errorf("%s: unit subject %q is not Vietnamese", typ, unitMail.Subject)
				}
			}
			resolved := byEvent[ids["resolved"][0]]["email "+tc.label+"@citizen.test"]
			if !strings.Contains(resolved.Subject, tc.wantResolve) || !strings.Contains(resolved.Body, tc.wantGreet) {
				t.Errorf("resolved email: subject %q, body %q", resolved.Subject, resolved.Body)
			}
			if want := "<" + ids["resolved"][0] + ".reporter@phananh>"; resolved.MessageID != want {
				t.Errorf("Message-ID %q, want %q (derived from the event id)", resolved.MessageID, want)
			}
			if !strings.Contains(resolved.Body, "Đã xử lý nguồn xả thải") {
				t.Errorf("resolved email lacks the outcome: %q", resolved.Body)
			}
		})
	}
	if strings.Contains(w.logs.String(), "@citizen.test") {
		t.Error("a log line holds a reporter's email address")
	}
}

// TestCrashMidBatchNotifiesEachOnce is issue 7's required test: a worker
// dies in the middle of a batch, at either side of the send, and a new one
// takes over the durable consumer; every notification arrives exactly once.
func TestCrashMidBatchNotifiesEachOnce(t *testing.T) {
	tests := []struct {
		name  string
		crash func(cfg notify.Config, f func(string) bool) notify.Config
	}{
		{"crash before a send", notify.WithBeforeSend},
		{"crash after a send is recorded, before the ack", notify.WithAfterRecord},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t)
			var calls atomic.Int32
			crashed := make(chan struct{})
			var first *notifier
			cfg := tc.crash(w.config(), func(string) bool {
				if calls.Add(1) != 7 {
					return false
				}
				first.nc.Close() // the process is gone: no ack, no more sends
				close(crashed)
				return true
			})
			first = w.newNotifier(t, cfg)
			// A batch waits in the log before the worker starts.
			const reports = 4
			for i := range reports {
				r := w.submit(t, "vi", fmt.Sprintf("c%d", i))
				w.act(t, r.ID, head, domain.Accept{})
			}
			first.start(t)
			select {
			case <-crashed:
			case <-time.After(30 * time.Second):
				t.Fatal("the first worker never reached the crash point")
			}
			before := len(w.inbox.all())

			var resent atomic.Int32
			second := w.newNotifier(t, notify.WithBeforeSend(w.config(), func(string) bool { resent.Add(1); return false }))
			second.start(t)
			want := reports * 2 * 4 // (reported, accepted) × 4 sends
			w.idle(t, want)
			msgs := w.inbox.all()
			assertOnce(t, msgs)
			if len(msgs) != want {
				t.Errorf("%d messages, want %d", len(msgs), want)
			}
			if before >= want || resent.Load() == 0 {
				t.Errorf("the crash left nothing to the second worker (%d sent before, %d after)", before, resent.Load())
			}
		})
	}
}

// TestCrashBetweenSendAndRecordRepeatsWithTheSameID shows the one window
// the sender cannot close: the message went out, the record did not. It is
// sent again, with the same Message-ID, so the receiver can drop it.
func TestCrashBetweenSendAndRecordRepeatsWithTheSameID(t *testing.T) {
	w := newWorld(t)
	var first *notifier
	crashed := make(chan struct{})
	var once sync.Once
	cfg := notify.WithAfterSend(w.config(), func(key string) bool {
		if !strings.HasSuffix(key, "/email/reporter") {
			return false
		}
		once.Do(func() { first.nc.Close(); close(crashed) })
		return true
	})
	first = w.newNotifier(t, cfg)
	r := w.submit(t, "en", "dup")
	first.start(t)
	<-crashed
	w.newNotifier(t, w.config()).start(t)
	w.idle(t, 5)
	var ids []string
	for _, m := range w.inbox.all() {
		if m.Channel == "email" && m.To == "dup@citizen.test" {
			ids = append(ids, m.MessageID)
		}
	}
	reported := w.eventIDs(t, r.ID)["reported"][0]
	want := "<" + reported + ".reporter@phananh>"
	if len(ids) != 2 || ids[0] != want || ids[1] != want {
		t.Errorf("reporter emails %q, want the same Message-ID %s twice", ids, want)
	}
}

func TestFlakyWebhookIsDeliveredOnceAfterRetries(t *testing.T) {
	w := newWorld(t)
	var calls atomic.Int32
	w.hooks.setStatus(func(path string) int {
		if path == "/reporter/flaky" && calls.Add(1) <= 2 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	cfg := w.config()
	cfg.Attempts = 5
	n := w.newNotifier(t, cfg)
	n.start(t)
	w.submit(t, "vi", "flaky")
	w.idle(t, 4)
	msgs := w.inbox.all()
	assertOnce(t, msgs)
	if len(msgs) != 4 || calls.Load() != 3 {
		t.Errorf("%d messages after %d webhook calls, want 4 after 3", len(msgs), calls.Load())
	}
	if got := deadLetters(t, w); len(got) != 0 {
		t.Errorf("dead letters %+v, want none", got)
	}
}

// waitDead waits for n dead letters: the other sends of the event may all
// be done while the failing one still waits for its last try.
func waitDead(t *testing.T, w *world, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for len(deadLetters(t, w)) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d dead letters, want %d", len(deadLetters(t, w)), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func deadLetters(t *testing.T, w *world) []notify.DeadLetter {
	t.Helper()
	ctx := context.Background()
	s, err := w.js.Stream(ctx, notify.DeadStream)
	if err != nil {
		t.Fatal(err)
	}
	info, err := s.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var out []notify.DeadLetter
	for seq := info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Msgs > 0; seq++ {
		m, err := s.GetMsg(ctx, seq)
		if err != nil {
			t.Fatal(err)
		}
		var d notify.DeadLetter
		if err := json.Unmarshal(m.Data, &d); err != nil {
			t.Fatal(err)
		}
		for _, private := range []string{"@citizen.test", "/reporter/", "Nguyễn"} {
			if strings.Contains(string(m.Data), private) {
				t.Errorf("dead letter holds %q: %s", private, m.Data)
			}
		}
		out = append(out, d)
	}
	return out
}

func TestFailingWebhookIsDeadLetteredAfterTheLastTry(t *testing.T) {
	w := newWorld(t)
	var calls atomic.Int32
	w.hooks.setStatus(func(path string) int {
		if path == "/reporter/down" {
			calls.Add(1)
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	n := w.newNotifier(t, w.config()) // Attempts: 3
	n.start(t)
	r := w.submit(t, "vi", "down")
	waitDead(t, w, 1)
	w.idle(t, 3)
	dead := deadLetters(t, w)
	if len(dead) != 1 {
		t.Fatalf("dead letters %+v, want 1", dead)
	}
	d := dead[0]
	if d.CaseID != r.ID || d.Channel != notify.ChannelWebhook || d.Recipient != notify.ToReporter ||
		d.Attempts != 3 || d.Host != "" || !strings.Contains(d.Error, "500") {
		t.Errorf("dead letter %+v", d)
	}
	if calls.Load() != 3 {
		t.Errorf("the webhook was tried %d times, want 3", calls.Load())
	}
	msgs := w.inbox.all()
	assertOnce(t, msgs) // the emails and the unit's webhook, once despite the redeliveries
	if len(msgs) != 3 {
		t.Errorf("%d messages, want 3", len(msgs))
	}
}

func TestErasedReporterIsNotNotified(t *testing.T) {
	w := newWorld(t)
	n := w.newNotifier(t, w.config())
	n.start(t)
	r := w.submit(t, "vi", "gone")
	w.idle(t, 4)
	w.act(t, r.ID, admin, domain.EraseReporter{Reason: "Yêu cầu xóa dữ liệu cá nhân"})
	events, _, err := w.store.Load(context.Background(), r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.store.Erase(context.Background(), domain.Fold(events).Reporter.KeyID); err != nil {
		t.Fatal(err)
	}
	w.act(t, r.ID, head, domain.Accept{})
	w.idle(t, 6)
	accepted := w.eventIDs(t, r.ID)["accepted"][0]
	got := map[string]int{}
	for _, m := range w.inbox.all() {
		if m.EventID == accepted {
			got[m.Channel+" "+m.To]++
		}
	}
	want := map[string]int{"email " + unitOfLaoCai + "@units.test": 1, "webhook /unit/" + unitOfLaoCai: 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("accepted notified %v, want only the unit %v", got, want)
	}
	if logs := w.logs.String(); !strings.Contains(logs, "reporter erased: not notified") || strings.Contains(logs, "gone@citizen.test") {
		t.Errorf("logs: %s", logs)
	}
}

func TestPrivateWebhookRefusedUnlessAllowed(t *testing.T) {
	w := newWorld(t)
	cfg := w.config()
	cfg.AllowPrivate = false
	n := w.newNotifier(t, cfg)
	n.start(t)
	r := w.submit(t, "vi", "ssrf")
	w.idle(t, 2) // the two emails: the SMTP server is the operator's, not checked
	dead := deadLetters(t, w)
	if len(dead) != 2 {
		t.Fatalf("dead letters %+v, want the reporter's and the unit's webhooks", dead)
	}
	for _, d := range dead {
		if d.CaseID != r.ID || d.Channel != notify.ChannelWebhook || d.Attempts != 1 || !strings.Contains(d.Error, "refused") {
			t.Errorf("dead letter %+v: want refused on the first try", d)
		}
		// A unit's host helps the operator; a reporter's could point at them.
		if wantHost := map[string]string{notify.ToUnit: "127.0.0.1", notify.ToReporter: ""}[d.Recipient]; d.Host != wantHost {
			t.Errorf("dead letter for the %s names host %q, want %q", d.Recipient, d.Host, wantHost)
		}
	}
	for _, m := range w.inbox.all() {
		if m.Channel == "webhook" {
			t.Errorf("a loopback webhook was called: %+v", m)
		}
	}
}

func TestWebhookErrorsNameNoAddress(t *testing.T) {
	w := newWorld(t)
	closed := testport.Addr(t) // nothing listens there
	cfg := w.config()
	cfg.Attempts = 1
	w.newNotifier(t, cfg).start(t)
	r, _, err := w.svc.Submit(context.Background(), domain.SubmitReport{
		ID: uuid.Must(uuid.NewV7()), Category: "pollution.water", Title: "Nước đục", Description: "Nước đục.",
		Location: domain.Location{Commune: "lao-cai"}, Reporter: &domain.Reporter{Name: "An", Phone: "0912345678"},
		WebhookURL: "http://" + closed + "/hook/secret-token",
	}, "test")
	if err != nil {
		t.Fatal(err)
	}
	w.idle(t, 2) // the unit's email and webhook
	dead := deadLetters(t, w)
	if len(dead) != 1 || dead[0].CaseID != r.ID || dead[0].Error != "webhook: could not connect" {
		t.Fatalf("dead letters %+v, want one saying only that it could not connect", dead)
	}
	if logs := w.logs.String(); strings.Contains(logs, "secret-token") || strings.Contains(logs, closed) {
		t.Errorf("the logs name the reporter's webhook: %s", logs)
	}
}

// TestTheUnitNowHandlingTheCaseIsTold: a transfer tells the receiving unit,
// not the one that let the case go; an overdue escalation tells the unit
// (its head must act) and not the reporter, since nothing changed for them.
func TestTheUnitNowHandlingTheCaseIsTold(t *testing.T) {
	w := newWorld(t)
	w.newNotifier(t, w.config()).start(t)
	r := w.submit(t, "vi", "moved")
	coordinator := domain.Actor{ID: "coord", Role: domain.RoleCoordinator}
	w.act(t, r.ID, coordinator, domain.Transfer{To: "snnmt.moi-truong", Reason: "Nguồn xả thải của doanh nghiệp"})
	w.clock.Skip(60 * 24 * time.Hour)
	w.act(t, r.ID, domain.Actor{ID: "overdue-escalator", Role: domain.RoleSystem}, domain.EscalateOverdue{})
	w.idle(t, 4+4+2)
	msgs := w.inbox.all()
	assertOnce(t, msgs)
	ids := w.eventIDs(t, r.ID)
	got := map[string][]string{} // event type → "channel to"
	typeOf := map[string]string{ids["transferred"][0]: "transferred", ids["escalated"][0]: "escalated"}
	for _, m := range msgs {
		if typ, ok := typeOf[m.EventID]; ok {
			got[typ] = append(got[typ], m.Channel+" "+m.To)
			if m.Channel == "email" && typ == "escalated" && !strings.Contains(m.Subject, "quá hạn") {
				t.Errorf("overdue email subject %q", m.Subject)
			}
			if m.Channel == "webhook" && typ == "escalated" && !m.Payload.Overdue {
				t.Errorf("overdue webhook payload %+v", m.Payload)
			}
		}
	}
	want := map[string][]string{
		"transferred": {"email moved@citizen.test", "email snnmt.moi-truong@units.test", "webhook /reporter/moved", "webhook /unit/snnmt.moi-truong"},
		"escalated":   {"email snnmt.moi-truong@units.test", "webhook /unit/snnmt.moi-truong"},
	}
	for typ := range want {
		slices.Sort(got[typ])
		if !slices.Equal(got[typ], want[typ]) {
			t.Errorf("%s told %v, want %v", typ, got[typ], want[typ])
		}
	}
	if len(msgs) != 10 {
		t.Errorf("%d messages, want 10", len(msgs))
	}
}

// TestRefusedEmailIsDeadLetteredWithoutTheAddress: an SMTP server that
// answers with the recipient's address in its refusal; the dead letter
// keeps the refusal, not the address.
func TestRefusedEmailIsDeadLetteredWithoutTheAddress(t *testing.T) {
	w := newWorld(t)
	// The address as the reporter typed it; the server echoes it
	// lower-cased, and its mailbox name.
	const address = "Nobody.Zq@Citizen.TEST"
	w.smtp.reject = func(rcpt string) bool { return rcpt == address }
	cfg := w.config()
	cfg.Attempts = 2
	w.newNotifier(t, cfg).start(t)
	r, _, err := w.svc.Submit(context.Background(), domain.SubmitReport{
		ID: uuid.Must(uuid.NewV7()), Category: "pollution.water", Title: "Nước đục", Description: "Nước đục.",
		Location: domain.Location{Commune: "lao-cai"}, Reporter: &domain.Reporter{Name: "An", Email: address},
	}, "test")
	if err != nil {
		t.Fatal(err)
	}
	waitDead(t, w, 1)
	w.idle(t, 2)
	dead := deadLetters(t, w) // fails on any "@citizen.test" in a dead letter
	if len(dead) != 1 || dead[0].CaseID != r.ID || dead[0].Channel != notify.ChannelEmail ||
		dead[0].Attempts != 2 || !strings.Contains(dead[0].Error, "550") || dead[0].Host != "127.0.0.1" {
		t.Fatalf("dead letters %+v, want the refused email after 2 tries", dead)
	}
	for _, private := range []string{"nobody.zq", "Nobody.Zq"} {
		if strings.Contains(w.logs.String(), private) {
			t.Errorf("the logs hold %q of the refused address:\n%s", private, w.logs.String())
		}
		if strings.Contains(dead[0].Error, private) {
			t.Errorf("the dead letter holds %q of the refused address: %s", private, dead[0].Error)
		}
	}
	assertOnce(t, w.inbox.all())
}
