package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/textproto"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go/jetstream"

	"phananh/domain"
	"phananh/eventstore"
)

// Names on the server. Consumer is shared by every replica.
const (
	Consumer          = "notifier"
	SentBucket        = "NOTIFY_SENT"
	DeadStream        = "NOTIFY_DEAD"
	DeadSubjectPrefix = "notify.dead."
)

// Channels and recipient kinds: with the event id they name a send.
const (
	ChannelEmail   = "email"
	ChannelWebhook = "webhook"
	ToReporter     = "reporter"
	ToUnit         = "unit"
)

// maxAckPending bounds the events out at once, those waiting for a retry
// included: a receiver that is down for the whole retry schedule holds
// one slot per event it should get. A province makes tens of status
// changes an hour, so this is days of an outage before new events wait.
const maxAckPending = 4096

// Defaults, for production: a receiver that is down is tried for about
// two hours before the send is dead-lettered.
var (
	DefaultBackOff  = []time.Duration{10 * time.Second, 30 * time.Second, 2 * time.Minute, 10 * time.Minute, 30 * time.Minute, time.Hour}
	DefaultAttempts = 8
)

// Store reads a case's events and opens its reporter's sealed identity;
// *eventstore.Store implements it.
type Store interface {
	Load(ctx context.Context, caseID uuid.UUID) ([]domain.Envelope, uint64, error)
	Open(ctx context.Context, sealed domain.SealedReporter) ([]byte, error)
}

// Config tunes the worker.
type Config struct {
	Geo *domain.Geography // the units' email and webhook addresses
	// SMTP is where email goes; an empty Addr sends no email (webhooks
	// still go).
	SMTP SMTPConfig
	// WebhookSecret derives each case's reporter key (CaseWebhookSecret);
	// UnitWebhookSecret signs the units' webhooks (WebhookSecret when
	// empty). Every replica must be given the same ones. They are apart so
	// that an operator who sets or rotates the units' secret does not void
	// the secrets citizens were given in their receipts.
	WebhookSecret     []byte
	UnitWebhookSecret []byte
	// AllowPrivate lets webhooks reach loopback, private and link-local
	// addresses: tests, and operators whose units sit on an intranet.
	AllowPrivate bool
	// Attempts is how many deliveries a failing send gets before it is
	// dead-lettered; BackOff the delay after each failed one (the last
	// repeats). AckWait is how long a replica may hold an event before
	// another gets it (default a minute); SendTimeout bounds one send
	// (default 15 s or half of AckWait, whichever is shorter).
	Attempts    int
	BackOff     []time.Duration
	AckWait     time.Duration
	SendTimeout time.Duration
	Replicas    int
	Now         func() time.Time
	Log         *slog.Logger

	hooks hooks // tests only: simulated crashes
}

// hooks let a test stop the worker dead at a point of a send; a hook that
// returns true "crashes" the worker: it does nothing more, ever.
type hooks struct {
	beforeSend  func(key string) bool
	afterSend   func(key string) bool // sent, not yet recorded: the receiver-side window
	afterRecord func(key string) bool
}

// Worker sends the notifications of case events.
type Worker struct {
	cfg      Config
	store    Store
	js       jetstream.JetStream
	sent     jetstream.KeyValue
	consumer jetstream.Consumer
	mailer   *mailer
	poster   *poster
	crashed  atomic.Bool
}

// New creates the bucket, the dead-letter stream and the shared consumer.
func New(ctx context.Context, js jetstream.JetStream, store Store, cfg Config) (*Worker, error) {
	if cfg.Geo == nil || store == nil || js == nil {
		return nil, errors.New("notify: geography, store and JetStream are required")
	}
	if len(cfg.WebhookSecret) == 0 {
		return nil, errors.New("notify: a webhook secret is required")
	}
	if len(cfg.UnitWebhookSecret) == 0 {
		cfg.UnitWebhookSecret = cfg.WebhookSecret
	}
	if cfg.Attempts <= 0 {
		cfg.Attempts = DefaultAttempts
	}
	if len(cfg.BackOff) == 0 {
		cfg.BackOff = DefaultBackOff
	}
	if cfg.AckWait <= 0 {
		cfg.AckWait = time.Minute
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = min(15*time.Second, cfg.AckWait/2)
	}
	if cfg.SendTimeout >= cfg.AckWait {
		// The worker extends its hold before each send; a send longer than
		// the hold would let another replica send it too.
		return nil, fmt.Errorf("notify: a send timeout of %s needs an ack wait above it, not %s", cfg.SendTimeout, cfg.AckWait)
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	w := &Worker{cfg: cfg, store: store, js: js, poster: newPoster(cfg.AllowPrivate, cfg.SendTimeout, cfg.Now)}
	if cfg.SMTP.Addr != "" {
		m, err := newMailer(cfg.SMTP, cfg.SendTimeout)
		if err != nil {
			return nil, err
		}
		w.mailer = m
	}
	var err error
	// A record must outlive every redelivery of its event (hours at most);
	// a month is plenty and keeps the bucket small.
	w.sent, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket: SentBucket, Description: "phananh notifications sent: <event id>/<channel>/<recipient>",
		History: 1, TTL: 30 * 24 * time.Hour, Storage: jetstream.FileStorage, Replicas: cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("notify: bucket %s: %w", SentBucket, err)
	}
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: DeadStream, Description: "phananh notifications given up on (no personal data)",
		Subjects: []string{DeadSubjectPrefix + ">"}, Storage: jetstream.FileStorage,
		Retention: jetstream.LimitsPolicy, MaxAge: 365 * 24 * time.Hour, Replicas: cfg.Replicas,
		Duplicates: time.Hour,
	}); err != nil {
		return nil, fmt.Errorf("notify: stream %s: %w", DeadStream, err)
	}
	// DeliverNew: history before notifications existed is not announced.
	// MaxDeliver is unlimited because the worker counts attempts itself: a
	// server that stopped redelivering would never let it write the dead
	// letter.
	w.consumer, err = js.CreateOrUpdateConsumer(ctx, eventstore.StreamName, jetstream.ConsumerConfig{
		Durable: Consumer, Description: "phananh notifications, shared by the replicas",
		DeliverPolicy: jetstream.DeliverNewPolicy, AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: cfg.AckWait, MaxDeliver: -1, MaxAckPending: maxAckPending,
	})
	if err != nil {
		return nil, fmt.Errorf("notify: consumer: %w", err)
	}
	if w.mailer == nil {
		cfg.Log.Info("email notifications off: no SMTP server configured; webhooks still sent")
	}
	return w, nil
}

// Run works the shared consumer until ctx is done, then waits for the
// event in hand.
func (w *Worker) Run(ctx context.Context) error {
	cc, err := w.consumer.Consume(func(msg jetstream.Msg) { w.handle(ctx, msg) }, jetstream.PullMaxMessages(64))
	if err != nil {
		return fmt.Errorf("notify: consume: %w", err)
	}
	<-ctx.Done()
	cc.Stop()
	<-cc.Closed()
	return ctx.Err()
}

// send is one message to one recipient over one channel.
type send struct {
	channel   string
	recipient string
	host      string   // destination host, for logs and dead letters
	redact    []string // personal data an error might echo (the address)
	do        func(ctx context.Context) error
}

func (w *Worker) handle(ctx context.Context, msg jetstream.Msg) {
	if w.crashed.Load() {
		return
	}
	env, err := eventstore.DecodeMsg(msg)
	if err != nil {
		w.cfg.Log.Error("undecodable event not notified", "err", err)
		_ = msg.Term()
		return
	}
	meta, err := msg.Metadata()
	if err != nil {
		w.cfg.Log.Error("event without metadata not notified", "event", env.ID, "err", err)
		_ = msg.Term()
		return
	}
	attempt := int(meta.NumDelivered)
	sends, err := w.plan(ctx, env)
	if err != nil {
		w.later(msg, attempt, env, err)
		return
	}
	failed := false
	for _, s := range sends {
		key := env.ID.String() + "/" + s.channel + "/" + s.recipient
		if _, err := w.sent.Get(ctx, key); err == nil {
			continue // sent (or given up on) by an earlier delivery
		} else if !errors.Is(err, jetstream.ErrKeyNotFound) {
			w.later(msg, attempt, env, err)
			return
		}
		if w.crash(w.cfg.hooks.beforeSend, key) {
			return
		}
		_ = msg.InProgress()
		sendCtx, cancel := context.WithTimeout(ctx, w.cfg.SendTimeout)
		sendErr := s.do(sendCtx)
		cancel()
		if sendErr == nil && w.crash(w.cfg.hooks.afterSend, key) {
			return
		}
		outcome := "sent"
		if sendErr != nil {
			why := redact(sendErr, s.redact, s.recipient == ToReporter)
			if !errors.Is(sendErr, ErrRefusedDestination) && attempt < w.cfg.Attempts {
				w.cfg.Log.Warn("notification failed; will retry", "event", env.ID, "case", env.CaseID,
					"channel", s.channel, "recipient", s.recipient, "host", s.host, "attempt", attempt, "err", why)
				failed = true
				continue
			}
			if err := w.deadLetter(ctx, env, s, key, attempt, why); err != nil {
				w.later(msg, attempt, env, err)
				return
			}
			outcome = "dead"
		}
		if _, err := w.sent.Put(ctx, key, []byte(outcome)); err != nil {
			// The send happened; a redelivery will repeat it. Its
			// Message-ID or event-id header lets the receiver drop it.
			w.later(msg, attempt, env, fmt.Errorf("record %s: %w", key, err))
			return
		}
		if w.crash(w.cfg.hooks.afterRecord, key) {
			return
		}
	}
	if failed {
		_ = msg.NakWithDelay(w.backOff(attempt))
		return
	}
	if err := msg.Ack(); err != nil {
		// Every send is recorded: a redelivery sends nothing again.
		w.cfg.Log.Warn("notified event not acknowledged; it will be redelivered and skipped", "event", env.ID, "err", err)
	}
}

func (w *Worker) crash(hook func(string) bool, key string) bool {
	if hook != nil && hook(key) {
		w.crashed.Store(true)
		return true
	}
	return false
}

// later hands an event back after an infrastructure failure (the log, the
// vault or the bucket unreachable), to be tried again after a back-off.
// Such failures never dead-letter: the sends themselves did not fail.
func (w *Worker) later(msg jetstream.Msg, attempt int, env domain.Envelope, err error) {
	if w.crashed.Load() {
		return
	}
	w.cfg.Log.Warn("notifications of an event postponed", "event", env.ID, "case", env.CaseID, "attempt", attempt, "err", err)
	_ = msg.NakWithDelay(w.backOff(attempt))
}

func (w *Worker) backOff(attempt int) time.Duration {
	i := min(max(attempt-1, 0), len(w.cfg.BackOff)-1)
	return w.cfg.BackOff[i]
}

// DeadLetter records a notification given up on. It holds no personal
// data: no address, no name, no case text.
type DeadLetter struct {
	EventID   uuid.UUID `json:"event_id"`
	EventType string    `json:"event_type"`
	CaseID    uuid.UUID `json:"case_id"`
	Channel   string    `json:"channel"`
	Recipient string    `json:"recipient"`
	Host      string    `json:"host,omitempty"` // a unit's webhook host or the SMTP server; never a reporter's host
	Attempts  int       `json:"attempts"`
	Error     string    `json:"error"`
	Time      time.Time `json:"time"`
}

func (w *Worker) deadLetter(ctx context.Context, env domain.Envelope, s send, key string, attempt int, why string) error {
	body, err := json.Marshal(DeadLetter{EventID: env.ID, EventType: env.Type(), CaseID: env.CaseID,
		Channel: s.channel, Recipient: s.recipient, Host: s.host, Attempts: attempt, Error: why, Time: w.cfg.Now()})
	if err != nil {
		return fmt.Errorf("dead letter %s: %w", key, err)
	}
	if _, err := w.js.Publish(ctx, DeadSubjectPrefix+s.channel, body, jetstream.WithMsgID(key)); err != nil {
		return fmt.Errorf("dead letter %s: %w", key, err)
	}
	w.cfg.Log.Error("notification given up", "event", env.ID, "case", env.CaseID, "channel", s.channel,
		"recipient", s.recipient, "host", s.host, "attempts", attempt, "err", why)
	return nil
}

// redact returns an error's text without what could name a recipient:
// each of secrets (an address, a host) in any letter case, and an email
// address's local part, which servers echo as a mailbox name. For a
// reporter (reporter true) the SMTP server's reply text goes too, keeping
// only its code: a server may repeat the address in any form, and logs
// and dead letters outlive an erasure.
func redact(err error, secrets []string, reporter bool) string {
	text := err.Error()
	var reply *textproto.Error
	var garbled textproto.ProtocolError
	switch {
	case reporter && errors.As(err, &reply):
		text = strings.Replace(text, reply.Error(), fmt.Sprintf("%03d (reply text withheld: it may repeat the address)", reply.Code), 1)
	case reporter && errors.As(err, &garbled):
		text = strings.Replace(text, garbled.Error(), "a reply that is not SMTP (withheld: it may repeat the address)", 1)
	}
	hide := func(s string) {
		if s != "" {
			text = regexp.MustCompile("(?i)"+regexp.QuoteMeta(s)).ReplaceAllLiteralString(text, "[redacted]")
		}
	}
	for _, s := range secrets {
		hide(s)
		if local, _, ok := strings.Cut(s, "@"); ok && len(local) >= 3 {
			hide(local) // shorter ones would hide common words
		}
	}
	return text
}

// Payload is the body of every webhook: what changed, never who reported
// it or what they wrote.
type Payload struct {
	EventID   uuid.UUID     `json:"event_id"`
	EventType string        `json:"event_type"`
	CaseID    uuid.UUID     `json:"case_id"`
	Status    domain.Status `json:"status"`
	Unit      string        `json:"unit"`
	Time      time.Time     `json:"time"`
	Recipient string        `json:"recipient"`
	Overdue   bool          `json:"overdue,omitempty"`
}

// plan works out the sends an event calls for. The case is folded from the
// log up to the event, so the unit is the one handling the case after it
// and a redelivery plans the same sends. A report is its case's first
// event, so it is the whole log up to itself: no need to read it back (a
// round trip per report saved on the busiest path).
func (w *Worker) plan(ctx context.Context, env domain.Envelope) ([]send, error) {
	if !domain.MayTell(env.Type()) {
		return nil, nil
	}
	events := []domain.Envelope{env}
	if _, first := env.Event.(domain.Reported); !first {
		var err error
		if events, _, err = w.store.Load(ctx, env.CaseID); err != nil {
			return nil, err
		}
	}
	var before, after domain.Case
	var reported domain.Reported
	found := false
	for _, e := range events {
		if r, ok := e.Event.(domain.Reported); ok {
			reported = r
		}
		before, after = after, domain.Evolve(after, e)
		if e.ID == env.ID {
			found = true
			break
		}
	}
	if !found {
		return nil, fmt.Errorf("event %s not in the log of case %s", env.ID, env.CaseID)
	}
	toReporter, toUnit := domain.Told(before, after, env.Event)
	if !toReporter && !toUnit {
		return nil, nil
	}
	esc, _ := env.Event.(domain.Escalated)
	unit, ok := w.cfg.Geo.Unit(after.Unit)
	if !ok {
		unit = domain.Unit{Code: after.Unit}
	}
	ch := change{EventID: env.ID.String(), EventType: env.Type(), CaseID: env.CaseID.String(), Title: after.Title,
		Status: after.Status, Unit: unit, Time: env.Time, Overdue: esc.Overdue, Detail: detail(env.Event, unit)}
	var sends []send
	if toReporter {
		rs, err := w.reporterSends(ctx, env, after, reported.Lang(), ch)
		if err != nil {
			return nil, err
		}
		sends = append(sends, rs...)
	}
	if !toUnit {
		return sends, nil
	}
	if unit.Email != "" && w.mailer != nil {
		sends = append(sends, w.emailSend(ToUnit, unit.Email, env, unitMessage(ch)))
	}
	if unit.WebhookURL != "" {
		sends = append(sends, w.hookSend(ToUnit, unit.WebhookURL, w.cfg.UnitWebhookSecret, env, after, esc.Overdue))
	}
	return sends, nil
}

// reporterSends opens the reporter's identity for their email and webhook.
// An erased reporter is told nothing, and the log line says only that.
func (w *Worker) reporterSends(ctx context.Context, env domain.Envelope, c domain.Case, lang string, ch change) ([]send, error) {
	if c.Reporter == nil || c.Anonymous {
		return nil, nil
	}
	if c.ReporterErased {
		w.cfg.Log.Info("reporter erased: not notified", "event", env.ID, "case", env.CaseID)
		return nil, nil
	}
	plain, err := w.store.Open(ctx, *c.Reporter)
	switch {
	case errors.Is(err, eventstore.ErrErased):
		w.cfg.Log.Info("reporter erased: not notified", "event", env.ID, "case", env.CaseID)
		return nil, nil
	case domain.ErrorCode(err) == domain.ENOTFOUND:
		w.cfg.Log.Warn("reporter key missing: not notified", "event", env.ID, "case", env.CaseID)
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("open reporter: %w", err)
	}
	var rep domain.Reporter
	if err := json.Unmarshal(plain, &rep); err != nil {
		return nil, fmt.Errorf("decode reporter of %s: %w", env.CaseID, err)
	}
	var sends []send
	if rep.Email != "" && w.mailer != nil {
		sends = append(sends, w.emailSend(ToReporter, rep.Email, env, reporterMessage(lang, rep.Name, ch)))
	}
	if rep.WebhookURL != "" {
		key := []byte(CaseWebhookSecret(w.cfg.WebhookSecret, env.CaseID))
		sends = append(sends, w.hookSend(ToReporter, rep.WebhookURL, key, env, c, false))
	}
	return sends, nil
}

func (w *Worker) emailSend(recipient, to string, env domain.Envelope, msg message) send {
	host, _, _ := net.SplitHostPort(w.cfg.SMTP.Addr)
	e := email{To: to, MessageID: env.ID.String() + "." + recipient + "@phananh", EventID: env.ID.String(),
		Msg: msg, Date: env.Time}
	return send{channel: ChannelEmail, recipient: recipient, host: host, redact: []string{to},
		do: func(ctx context.Context) error { return w.mailer.send(ctx, e) }}
}

func (w *Worker) hookSend(recipient, url string, key []byte, env domain.Envelope, c domain.Case, overdue bool) send {
	body, _ := json.Marshal(Payload{EventID: env.ID, EventType: env.Type(), CaseID: env.CaseID, Status: c.Status,
		Unit: c.Unit, Time: env.Time, Recipient: recipient, Overdue: overdue}) // plain struct: cannot fail
	h := hook{URL: url, EventID: env.ID.String(), Key: key, Body: body}
	// A unit's host is the operator's to know; a reporter's could point at
	// the reporter, and logs and dead letters outlive an erasure.
	host := hostOf(url)
	if recipient == ToReporter {
		host = ""
	}
	return send{channel: ChannelWebhook, recipient: recipient, host: host, redact: []string{url, hostOf(url)},
		do: func(ctx context.Context) error { return w.poster.send(ctx, h) }}
}
