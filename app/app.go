// Package app wires phananh together: the embedded (or external) JetStream,
// the event store, the read models, the cases service and the HTTP server.
// It is the only place that knows every part, so the binary and the
// end-to-end tests start exactly the same thing.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"phananh/api"
	"phananh/apikeys"
	"phananh/cases"
	"phananh/domain"
	"phananh/escalation"
	"phananh/eventstore"
	"phananh/metrics"
	"phananh/notify"
	"phananh/open311"
	"phananh/projections"
	"phananh/staff"
	"phananh/web"
)

// Config is everything `phananh serve` can be told.
type Config struct {
	DataDir    string // embedded JetStream storage
	HTTPAddr   string // e.g. ":8080"; port 0 picks a free one
	NATSListen string // embedded server's client address
	NATSURL    string // external cluster: embed nothing
	GeoFile    string // geography JSON; empty = built-in Lào Cai sample
	PolicyFile string // policy JSON; empty = built-in Lào Cai default
	SyncAlways bool   // fsync every append before acknowledging it
	Replicas   int    // stream replicas: 1 embedded, 3 in a cluster
	// NoGroupCommit publishes every append on its own. By default, with
	// the embedded server and SyncAlways, concurrent appends are grouped
	// into atomic batches so one fsync covers many (eventstore.Config).
	NoGroupCommit bool
	// GroupMinBatch is the smallest group written as one batch (0:
	// eventstore.DefaultGroupMinBatch); smaller groups go out one by one.
	GroupMinBatch int
	Log           *slog.Logger

	// NATSWait bounds how long start-up retries connecting to NATS and
	// opening its streams, buckets and consumers (a cluster may still be
	// electing its leaders), all steps together; zero means
	// DefaultNATSWait.
	NATSWait time.Duration

	// OverdueGrace is how long past a deadline a case is escalated to the
	// unit head; OverdueInterval how often each replica looks (0: 1 minute).
	OverdueGrace    time.Duration
	OverdueInterval time.Duration

	// PasswordCost is the bcrypt cost of new staff passwords; 0 means
	// staff.DefaultCost. Tests lower it: cost 12 takes seconds under -race.
	PasswordCost int

	// Read model snapshots (fast restart): loaded at start, written at
	// Close, and every SnapshotEvery events or SnapshotInterval, whichever
	// comes first. Zero means DefaultSnapshotEvery / DefaultSnapshotInterval,
	// negative never; NoSnapshots turns all of it off (every start
	// rebuilds from the log).
	SnapshotEvery    int
	SnapshotInterval time.Duration
	NoSnapshots      bool

	// Notifications (package notify). Without SMTPAddr no email is sent;
	// webhooks still are. WebhookSecret signs the units' webhooks; empty
	// means the "webhooks" entry of the PHANANH_SECRETS bucket, from which
	// each reporter's key is derived in any case. WebhookAllowPrivate lets webhooks reach
	// loopback and private addresses; WebhookAllowHTTP lets reporters
	// subscribe plain http ones (both for tests and closed networks).
	// NotifyAttempts and NotifyBackOff override the retry schedule.
	SMTPAddr, SMTPFrom, SMTPUsername, SMTPPassword string
	WebhookSecret                                  string
	WebhookAllowPrivate, WebhookAllowHTTP          bool
	NotifyAttempts                                 int
	NotifyBackOff                                  []time.Duration
	// NotifyAckWait is how long a replica may hold an event's notifications
	// before another replica takes them over (0: a minute).
	NotifyAckWait time.Duration
	// Limits are the per-client-address request rates (report submission,
	// login, tracking-code lookups); nil means api.DefaultLimits, a zero
	// Rate limits nothing. TrustedProxies are the proxies whose
	// X-Forwarded-For names the client. HSTSMaxAge > 0 sends
	// Strict-Transport-Security on HTTPS requests (behind a TLS proxy).
	Limits         *api.Limits
	TrustedProxies []netip.Prefix
	HSTSMaxAge     time.Duration
}

// maxHeaderBytes bounds a request's headers: a token is at most 2 KB and
// nothing else we read is long; Go's default of 1 MB only feeds an attacker.
const maxHeaderBytes = 64 << 10

// Snapshot defaults: a start-up replays at most this much of the log.
const (
	DefaultSnapshotEvery    = 10_000
	DefaultSnapshotInterval = 10 * time.Minute
)

// App is a running phananh.
type App struct {
	cfg      Config
	log      *slog.Logger
	embedded *eventstore.Embedded
	nc       *nats.Conn
	Store    *eventstore.Store
	Runner   *projections.Runner
	Service  *cases.Service
	Users    *staff.Directory
	APIKeys  *apikeys.Store
	Metrics  *metrics.Metrics
	httpSrv  *http.Server
	httpLn   net.Listener
	handler  *echo.Echo
	natsURL  string
	revoked  *staff.Revocations

	stopRunner context.CancelFunc
	runnerDone chan struct{}
	closeOnce  sync.Once
}

// Start starts everything and returns once the HTTP server listens. The
// read models rebuild in the background; /readyz says when they are done.
func Start(ctx context.Context, cfg Config) (_ *App, err error) {
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	// a is not the named result: "return nil, err" would set it to nil
	// before the deferred Close and the callbacks that use it run.
	a := &App{cfg: cfg, log: cfg.Log}
	defer func() {
		if err != nil {
			a.Close(context.Background())
		}
	}()
	rules, err := loadRules(cfg)
	if err != nil {
		return nil, err
	}

	a.natsURL = cfg.NATSURL
	if cfg.NATSURL == "" {
		dir := filepath.Join(cfg.DataDir, "jetstream")
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("app: data directory: %w", err)
		}
		a.embedded, err = eventstore.StartEmbedded(eventstore.EmbeddedOptions{
			DataDir: dir, Listen: cfg.NATSListen, SyncAlways: cfg.SyncAlways})
		if err != nil {
			return nil, err
		}
		a.natsURL = a.embedded.ClientURL()
		a.log.Info("embedded JetStream started", "url", a.natsURL, "dir", dir, "sync_always", cfg.SyncAlways,
			"group_commit", cfg.SyncAlways && !cfg.NoGroupCommit)
	}
	wait := cfg.NATSWait
	if wait <= 0 {
		wait = DefaultNATSWait
	}
	if a.embedded != nil {
		// The in-process server is up already: a failure (say, --replicas 3
		// on one server) will not mend by waiting, so it is reported at once.
		wait = 0
	}
	// One budget for the whole start-up, not one per step: each step may
	// retry for what is left of it.
	deadline := time.Now().Add(wait)
	if err := retry(ctx, a.log, wait, "connect to NATS", func(context.Context) error {
		a.nc, err = a.connect()
		return err
	}); err != nil {
		return nil, err
	}
	js, err := jetstream.New(a.nc)
	if err != nil {
		return nil, fmt.Errorf("app: JetStream: %w", err)
	}
	// Grouping pays where the server fsyncs each message alone: the
	// embedded server with SyncAlways (measured; an external cluster's
	// settings are unknown here).
	groupCommit := a.embedded != nil && cfg.SyncAlways && !cfg.NoGroupCommit
	// A cluster that is starting has no JetStream meta leader for a while,
	// an R3 stream needs three servers up, and a stream or bucket just
	// created has no member answering reads until its replicas are current:
	// meanwhile creates fail ("no suitable peers for placement") and reads
	// fail at once ("no responders"), both seen in CI. So every opening
	// step is retried on its own, within what is left of the budget; each
	// is idempotent. An error that did not come from NATS or JetStream
	// (a bad --smtp-from, say) is not retried. An attempt is bounded by
	// the JetStream client's request timeout, and the staff steps' watches
	// retry by themselves until they have caught up.
	openStep := func(what string, fn func(context.Context) error) error {
		return retry(ctx, a.log, time.Until(deadline), what, func(ctx context.Context) error {
			return unlessNATS(fn(ctx))
		})
	}
	var secret, webhookSecret, authSecret []byte
	if err := openStep("open the event store", func(ctx context.Context) (err error) {
		ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
		defer cancel()
		a.Store, err = eventstore.Open(ctx, js, eventstore.Config{Replicas: cfg.Replicas,
			GroupCommit: groupCommit, GroupMinBatch: cfg.GroupMinBatch})
		if err != nil {
			return err
		}
		for name, value := range map[string]*[]byte{"cases": &secret, "webhooks": &webhookSecret, "auth": &authSecret} {
			if *value, err = a.Store.Secret(ctx, name); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	rules.HTTPWebhooks = cfg.WebhookAllowHTTP
	staffOpts := []staff.Option{staff.WithLogger(a.log)}
	if cfg.PasswordCost != 0 {
		staffOpts = append(staffOpts, staff.WithCost(cfg.PasswordCost))
	}
	tokens, err := staff.NewTokens(authSecret, 0)
	if err != nil {
		return nil, err
	}
	if err := openStep("open the staff accounts", func(ctx context.Context) (err error) {
		a.Users, err = staff.Open(ctx, js, max(cfg.Replicas, 1), staffOpts...)
		return err
	}); err != nil {
		return nil, err
	}
	if err := openStep("open the API keys", func(ctx context.Context) (err error) {
		a.APIKeys, err = apikeys.Open(ctx, js, max(cfg.Replicas, 1))
		return err
	}); err != nil {
		return nil, err
	}
	if err := openStep("open the revoked tokens", func(ctx context.Context) (err error) {
		a.revoked, err = staff.OpenRevocations(ctx, js, max(cfg.Replicas, 1), tokens.TTL(), a.log)
		return err
	}); err != nil {
		return nil, err
	}

	view, queues := projections.NewCaseView(), projections.NewQueues()
	dashboard := projections.NewDashboard(rules.Geo)
	a.Runner = projections.NewRunner(a.Store, a.log, view, queues, dashboard)
	if err := openStep("open the snapshots", func(ctx context.Context) error { return a.useSnapshots(ctx, js) }); err != nil {
		return nil, err
	}
	a.Metrics = metrics.New(a.Store, a.Runner, a.log)
	a.Service, err = cases.New(cases.Deps{Store: a.Metrics.CountAppends(a.Store), Vault: a.Store, Files: a.Store, Waiter: a.Runner,
		View: view, Queues: queues, Dashboard: dashboard, History: a.Store, Staff: a.Users, Rules: rules, Secret: secret, Log: a.log,
		WebhookSecret: func(id uuid.UUID) string { return notify.CaseWebhookSecret(webhookSecret, id) }})
	if err != nil {
		return nil, err
	}
	if cfg.OverdueInterval == 0 {
		cfg.OverdueInterval = time.Minute
	}
	var worker *escalation.Worker
	if err := openStep("open the overdue tasks", func(ctx context.Context) (err error) {
		worker, err = escalation.New(ctx, js, a.Service, view, escalation.Config{Grace: cfg.OverdueGrace,
			Interval: cfg.OverdueInterval, Replicas: cfg.Replicas, Log: a.log})
		return err
	}); err != nil {
		return nil, err
	}
	var notifier *notify.Worker
	if err := openStep("open the notifications", func(ctx context.Context) (err error) {
		notifier, err = notify.New(ctx, js, a.Store, notify.Config{Geo: rules.Geo,
			SMTP:          notify.SMTPConfig{Addr: cfg.SMTPAddr, From: cfg.SMTPFrom, Username: cfg.SMTPUsername, Password: cfg.SMTPPassword},
			WebhookSecret: webhookSecret, UnitWebhookSecret: []byte(cfg.WebhookSecret), AllowPrivate: cfg.WebhookAllowPrivate, Attempts: cfg.NotifyAttempts,
			BackOff: cfg.NotifyBackOff, AckWait: cfg.NotifyAckWait, Replicas: cfg.Replicas, Log: a.log})
		return err
	}); err != nil {
		return nil, err
	}
	runCtx, stop := context.WithCancel(context.Background())
	a.stopRunner, a.runnerDone = stop, make(chan struct{})
	go func() {
		defer close(a.runnerDone)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A scan during the rebuild may queue a case whose later events
			// are not applied yet; the command is decided on the log, which
			// refuses it, so no wrong escalation is recorded.
			if err := worker.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
				a.log.Error("overdue escalation stopped", "err", err)
			}
		}()
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := notifier.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
				a.log.Error("notifications stopped", "err", err)
			}
		}()
		if err := a.Runner.Run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
			a.log.Error("projections stopped", "err", err)
		}
		wg.Wait()
	}()

	limits := api.DefaultLimits()
	if cfg.Limits != nil {
		limits = *cfg.Limits
	}
	limiters := api.NewLimiters(limits)
	handler := api.New(api.Config{Service: a.Service, Ready: a.Runner.Ready, Unavailable: a.unavailable, Log: a.log,
		Users: a.Users, Tokens: tokens, Throttle: staff.NewThrottle(staff.ThrottleConfig{}),
		Revoked: a.revoked, Limiters: limiters, TrustedProxies: cfg.TrustedProxies, HSTSMaxAge: cfg.HSTSMaxAge})
	web.Register(handler, web.Options{Geo: rules.Geo, Cases: view.Scan})
	open311.Register(handler, open311.Deps{Service: a.Service, View: view, Keys: a.APIKeys,
		InvalidKey: apikeys.ErrInvalidKey, Ready: a.Runner.Ready, Log: a.log,
		Submit: limiters.Submit, Lookup: limiters.Lookup, ClientKey: api.ClientKey})
	handler.Pre(a.Metrics.Middleware())
	handler.GET("/metrics", echo.WrapHandler(a.Metrics.Handler()))
	a.handler = handler
	a.httpLn, err = net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return nil, fmt.Errorf("app: listen on %s: %w", cfg.HTTPAddr, err)
	}
	a.httpSrv = &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second, MaxHeaderBytes: maxHeaderBytes,
		ReadTimeout: 2 * time.Minute, WriteTimeout: 2 * time.Minute, IdleTimeout: 2 * time.Minute,
		ErrorLog: slog.NewLogLogger(a.log.Handler(), slog.LevelWarn)}
	go func() {
		if err := a.httpSrv.Serve(a.httpLn); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("HTTP server stopped", "err", err)
		}
	}()
	a.log.Info("phananh serving", "http", a.httpLn.Addr().String(), "geo", rules.Geo.Province,
		"geo_sample", rules.Geo.Sample, "communes", len(rules.Geo.Communes))
	return a, nil
}

// connect connects once to the NATS URL (a comma-separated list for a
// cluster). A connection lost later is retried for ever, every half second
// or so, across every server of the cluster the client has heard of; while
// it is lost /readyz says so (unavailable).
func (a *App) connect() (*nats.Conn, error) {
	nc, err := nats.Connect(a.natsURL, nats.Name("phananh"), nats.MaxReconnects(-1),
		nats.ReconnectWait(500*time.Millisecond), nats.ReconnectJitter(250*time.Millisecond, time.Second),
		// Batch direct gets (Load) read through a temporary subscription whose
		// default 512 KB buffer dominated the cost of a load (measured).
		nats.SyncQueueLen(1024),
		// Start-up retries itself (retry), logging each attempt.
		nats.RetryOnFailedConnect(false),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil { // nil: our own Close, not a lost connection
				a.log.Warn("NATS disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { a.log.Info("NATS reconnected", "url", nc.ConnectedUrl()) }))
	if err != nil {
		return nil, fmt.Errorf("connect to NATS %s: %w", a.natsURL, err)
	}
	return nc, nil
}

// unavailable says why the replica cannot serve although its read models
// are built: "nats_disconnected" while the connection is lost (writes would
// fail and reads go stale); "" when nothing is wrong.
func (a *App) unavailable() string {
	if a.nc != nil && !a.nc.IsConnected() {
		return "nats_disconnected"
	}
	return ""
}

// useSnapshots opens the SNAPSHOTS bucket and has the runner use it, as
// the config says.
func (a *App) useSnapshots(ctx context.Context, js jetstream.JetStream) error {
	if a.cfg.NoSnapshots {
		return nil
	}
	snaps, err := eventstore.OpenSnapshots(ctx, js, eventstore.Config{Replicas: a.cfg.Replicas})
	if err != nil {
		return err
	}
	every, interval := uint64(DefaultSnapshotEvery), DefaultSnapshotInterval
	if a.cfg.SnapshotEvery != 0 {
		every = uint64(max(a.cfg.SnapshotEvery, 0))
	}
	if a.cfg.SnapshotInterval != 0 {
		interval = max(a.cfg.SnapshotInterval, 0)
	}
	a.Runner.UseSnapshots(projections.SnapshotConfig{Store: snaps, Every: every, Interval: interval})
	return nil
}

func loadRules(cfg Config) (domain.Rules, error) {
	geo := domain.DefaultGeography()
	if cfg.GeoFile != "" {
		f, err := os.Open(cfg.GeoFile)
		if err != nil {
			return domain.Rules{}, fmt.Errorf("app: geography: %w", err)
		}
		defer f.Close()
		if geo, err = domain.LoadGeography(f); err != nil {
			return domain.Rules{}, fmt.Errorf("app: %s: %w", cfg.GeoFile, err)
		}
	}
	policy := domain.DefaultPolicy()
	if cfg.PolicyFile != "" {
		f, err := os.Open(cfg.PolicyFile)
		if err != nil {
			return domain.Rules{}, fmt.Errorf("app: policy: %w", err)
		}
		defer f.Close()
		if policy, err = domain.LoadPolicy(f); err != nil {
			return domain.Rules{}, fmt.Errorf("app: %s: %w", cfg.PolicyFile, err)
		}
	}
	if err := domain.CheckRouting(policy.Routing, geo); err != nil {
		return domain.Rules{}, fmt.Errorf("app: the policy does not fit the geography: %w", err)
	}
	return domain.Rules{Geo: geo, Policy: policy}, nil
}

// HTTPAddr is the address the HTTP server listens on.
func (a *App) HTTPAddr() string { return a.httpLn.Addr().String() }

// Routes lists every route the HTTP server registered (the tests hold the
// OpenAPI document to them).
func (a *App) Routes() []*echo.Route { return a.handler.Routes() }

// NATSURL is the URL of the JetStream server in use.
func (a *App) NATSURL() string { return a.natsURL }

// Close drains HTTP requests (bounded by ctx), stops the read models and
// closes the connection and the embedded server. Every acknowledged append
// is already on disk; Close loses nothing.
func (a *App) Close(ctx context.Context) error {
	var errs []error
	a.closeOnce.Do(func() {
		if a.httpSrv != nil {
			if err := a.httpSrv.Shutdown(ctx); err != nil {
				errs = append(errs, fmt.Errorf("app: HTTP shutdown: %w", err))
			}
		} else if a.httpLn != nil {
			a.httpLn.Close()
		}
		if a.stopRunner != nil {
			// A snapshot at a clean stop: the next start replays nothing.
			snapCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := a.Runner.SnapshotNow(snapCtx); err != nil {
				a.log.Warn("projection snapshot at shutdown failed", "err", err)
			}
			cancel()
			a.stopRunner()
			<-a.runnerDone
		}
		if a.Users != nil {
			a.Users.Close()
		}
		if a.revoked != nil {
			a.revoked.Close()
		}
		if a.nc != nil {
			a.nc.Close()
		}
		if a.embedded != nil {
			a.embedded.Shutdown()
		}
		a.log.Info("phananh stopped")
	})
	return errors.Join(errs...)
}
