// Command phananh is the phananh server: an event-sourced tracker of
// citizens' reports on pollution and land disputes.
//
//	phananh serve [flags]
//
// Every flag can also be set with a PHANANH_* environment variable; a flag
// given on the command line wins.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"phananh/api"
	"phananh/app"
	"phananh/eventstore"
	"phananh/ratelimit"
)

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return // a subcommand's -h printed its flags; asking for help is not a failure
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "phananh:", err)
		os.Exit(1)
	}
}

const usage = `phananh: citizens' reports on pollution and land disputes, as an event log.

Usage:
  phananh serve [flags]   run the server (embedded JetStream unless --nats-url)
  phananh user <command>  add, list or disable staff accounts ("phananh user help")
  phananh apikey <command> add, list or revoke Open311 API keys ("phananh apikey help")
  phananh bench [flags]   measure the service against raw JetStream, in-process ("phananh bench -h")
  phananh healthcheck [--url URL] [--timeout 3s]  exit 0 if /readyz answers 200 (for container health checks)
  phananh reporter reerase  destroy again the keys of erased reporters, after a restore ("phananh reporter help")
  phananh help            show this help

Run "phananh serve -h" for the flags.
`

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stderr)
	case "user":
		return runUser(args[1:], os.Stdin, stdout, stderr)
	case "apikey":
		return runAPIKey(args[1:], stdout, stderr)
	case "bench":
		return runBench(args[1:], stdout, stderr)
	case "healthcheck":
		return runHealthcheck(args[1:], stdout, stderr)
	case "reporter":
		return runReporter(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

// env returns the environment variable's value, or def.
func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

func serve(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg app.Config
	fs.StringVar(&cfg.DataDir, "data", env("PHANANH_DATA", "./data"), "data directory of the embedded JetStream (PHANANH_DATA)")
	fs.StringVar(&cfg.HTTPAddr, "http", env("PHANANH_HTTP", ":8080"), "HTTP listen address (PHANANH_HTTP)")
	fs.StringVar(&cfg.NATSListen, "nats-listen", env("PHANANH_NATS_LISTEN", "127.0.0.1:4222"), "client address of the embedded NATS server, for the nats CLI (PHANANH_NATS_LISTEN)")
	fs.StringVar(&cfg.NATSURL, "nats-url", env("PHANANH_NATS_URL", ""), "external NATS cluster URL; when set nothing is embedded (PHANANH_NATS_URL)")
	fs.StringVar(&cfg.GeoFile, "geo", env("PHANANH_GEO", ""), "geography JSON file (communes and units); default: built-in Lào Cai sample (PHANANH_GEO)")
	fs.StringVar(&cfg.PolicyFile, "policy", env("PHANANH_POLICY", ""), "policy JSON file (routing, deadlines, holidays, limits); default: built-in Lào Cai policy (PHANANH_POLICY)")
	syncDefault, err := strconv.ParseBool(env("PHANANH_SYNC_ALWAYS", "true"))
	if err != nil {
		return fmt.Errorf("PHANANH_SYNC_ALWAYS: %w", err)
	}
	fs.BoolVar(&cfg.SyncAlways, "sync-always", syncDefault, "fsync every append before acknowledging it; false loses acknowledged reports on power loss (PHANANH_SYNC_ALWAYS)")
	groupDefault, err := strconv.ParseBool(env("PHANANH_GROUP_COMMIT", "true"))
	if err != nil {
		return fmt.Errorf("PHANANH_GROUP_COMMIT: %w", err)
	}
	groupCommit := fs.Bool("group-commit", groupDefault, "with --sync-always, write concurrent appends as one batch under one fsync; each is still acknowledged only once stored (PHANANH_GROUP_COMMIT)")
	minBatch, err := strconv.Atoi(env("PHANANH_GROUP_MIN_BATCH", strconv.Itoa(eventstore.DefaultGroupMinBatch)))
	if err != nil {
		return fmt.Errorf("PHANANH_GROUP_MIN_BATCH: %w", err)
	}
	fs.IntVar(&cfg.GroupMinBatch, "group-min-batch", minBatch, "smallest group of appends written as one batch; smaller groups go out one by one (a batch costs about 15 single fsyncs here) (PHANANH_GROUP_MIN_BATCH)")
	replicas, err := strconv.Atoi(env("PHANANH_REPLICAS", "1"))
	if err != nil {
		return fmt.Errorf("PHANANH_REPLICAS: %w", err)
	}
	fs.IntVar(&cfg.Replicas, "replicas", replicas, "stream replicas: 1 embedded, 3 on a cluster (PHANANH_REPLICAS)")
	natsWait, err := time.ParseDuration(env("PHANANH_NATS_WAIT", app.DefaultNATSWait.String()))
	if err != nil {
		return fmt.Errorf("PHANANH_NATS_WAIT: %w", err)
	}
	fs.DurationVar(&cfg.NATSWait, "nats-wait", natsWait, "how long start-up retries reaching NATS and creating the stream, with back-off (PHANANH_NATS_WAIT)")
	grace, err := time.ParseDuration(env("PHANANH_OVERDUE_GRACE", "24h"))
	if err != nil {
		return fmt.Errorf("PHANANH_OVERDUE_GRACE: %w", err)
	}
	fs.DurationVar(&cfg.OverdueGrace, "overdue-grace", grace, "how long past a deadline an overdue case is escalated to the unit head (PHANANH_OVERDUE_GRACE)")
	snapEvery, err := strconv.Atoi(env("PHANANH_SNAPSHOT_EVERY", strconv.Itoa(app.DefaultSnapshotEvery)))
	if err != nil {
		return fmt.Errorf("PHANANH_SNAPSHOT_EVERY: %w", err)
	}
	fs.IntVar(&cfg.SnapshotEvery, "snapshot-every", snapEvery, "snapshot the read models every N events, so a restart replays at most that many; negative: never (PHANANH_SNAPSHOT_EVERY)")
	snapInterval, err := time.ParseDuration(env("PHANANH_SNAPSHOT_INTERVAL", app.DefaultSnapshotInterval.String()))
	if err != nil {
		return fmt.Errorf("PHANANH_SNAPSHOT_INTERVAL: %w", err)
	}
	fs.DurationVar(&cfg.SnapshotInterval, "snapshot-interval", snapInterval, "also snapshot at least this often when events arrive (PHANANH_SNAPSHOT_INTERVAL)")
	fs.StringVar(&cfg.SMTPAddr, "smtp-addr", env("PHANANH_SMTP_ADDR", ""), "SMTP server (host:port) for email notifications; empty: no email, webhooks still sent (PHANANH_SMTP_ADDR; auth from PHANANH_SMTP_USERNAME and PHANANH_SMTP_PASSWORD)")
	fs.StringVar(&cfg.SMTPFrom, "smtp-from", env("PHANANH_SMTP_FROM", "Phản ánh <phananh@localhost>"), "sender of email notifications (PHANANH_SMTP_FROM)")
	cfg.SMTPUsername, cfg.SMTPPassword = env("PHANANH_SMTP_USERNAME", ""), env("PHANANH_SMTP_PASSWORD", "")
	cfg.WebhookSecret = env("PHANANH_WEBHOOK_SECRET", "") // a secret stays out of argv
	allowPrivate, err := strconv.ParseBool(env("PHANANH_WEBHOOK_ALLOW_PRIVATE", "false"))
	if err != nil {
		return fmt.Errorf("PHANANH_WEBHOOK_ALLOW_PRIVATE: %w", err)
	}
	fs.BoolVar(&cfg.WebhookAllowPrivate, "webhook-allow-private", allowPrivate, "let webhooks reach loopback, private and link-local addresses (PHANANH_WEBHOOK_ALLOW_PRIVATE)")
	allowHTTP, err := strconv.ParseBool(env("PHANANH_WEBHOOK_ALLOW_HTTP", "false"))
	if err != nil {
		return fmt.Errorf("PHANANH_WEBHOOK_ALLOW_HTTP: %w", err)
	}
	fs.BoolVar(&cfg.WebhookAllowHTTP, "webhook-allow-http", allowHTTP, "let reporters subscribe plain http webhooks, for tests (PHANANH_WEBHOOK_ALLOW_HTTP)")
	ackWait, err := time.ParseDuration(env("PHANANH_NOTIFY_ACK_WAIT", "1m"))
	if err != nil {
		return fmt.Errorf("PHANANH_NOTIFY_ACK_WAIT: %w", err)
	}
	fs.DurationVar(&cfg.NotifyAckWait, "notify-ack-wait", ackWait, "how long a replica may hold an event's notifications before another takes them over, e.g. after a crash (PHANANH_NOTIFY_ACK_WAIT)")
	limits := api.DefaultLimits()
	rateFlags := []struct {
		name, env, what string
		rate            *ratelimit.Rate
	}{
		{"rate-submit", "PHANANH_RATE_SUBMIT", "new reports (native and Open311) and citizens' uploads", &limits.Submit},
		{"rate-login", "PHANANH_RATE_LOGIN", "staff login attempts", &limits.Login},
		{"rate-lookup", "PHANANH_RATE_LOOKUP", "tracking-code lookups, citizens' feedback and reopening, Open311 reads by id or token", &limits.Lookup},
	}
	for _, rf := range rateFlags {
		if v, ok := os.LookupEnv(rf.env); ok {
			r, err := ratelimit.Parse(v)
			if err != nil {
				return fmt.Errorf("%s: %w", rf.env, err)
			}
			*rf.rate = r
		}
		fs.Func(rf.name, fmt.Sprintf("per client address: %s, as \"N/s|m|h burst B\"; 0 disables (default %q) (%s)", rf.what, rf.rate.String(), rf.env),
			func(v string) error {
				r, err := ratelimit.Parse(v)
				*rf.rate = r
				return err
			})
	}
	proxies := env("PHANANH_TRUSTED_PROXIES", "")
	fs.StringVar(&proxies, "trusted-proxies", proxies, "comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For names the client; empty: the connection's address is the client (PHANANH_TRUSTED_PROXIES)")
	hsts, err := time.ParseDuration(env("PHANANH_HSTS_MAX_AGE", "0s"))
	if err != nil {
		return fmt.Errorf("PHANANH_HSTS_MAX_AGE: %w", err)
	}
	fs.DurationVar(&cfg.HSTSMaxAge, "hsts-max-age", hsts, "send Strict-Transport-Security with this max-age on HTTPS requests (behind a TLS proxy that sets X-Forwarded-Proto); 0: never (PHANANH_HSTS_MAX_AGE)")
	logLevel := fs.String("log-level", env("PHANANH_LOG_LEVEL", "info"), "debug, info, warn or error (PHANANH_LOG_LEVEL)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // -h printed the flags; asking for help is not a failure
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments, got %q", strings.Join(fs.Args(), " "))
	}
	cfg.Limits = &limits
	if cfg.TrustedProxies, err = parsePrefixes(proxies); err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	cfg.NoGroupCommit = !*groupCommit
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	cfg.Log = slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	a, err := app.Start(ctx, cfg)
	if err != nil {
		return err
	}
	<-ctx.Done()
	cfg.Log.Info("shutting down", "reason", "signal")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return a.Close(shutdownCtx)
}

// parsePrefixes reads a comma-separated list of addresses and CIDR ranges;
// an address stands for itself alone.
func parsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range strings.Split(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if p, err := netip.ParsePrefix(item); err == nil {
			out = append(out, p.Masked())
			continue
		}
		addr, err := netip.ParseAddr(item)
		if err != nil {
			return nil, fmt.Errorf("%q is neither an address nor a CIDR range", item)
		}
		out = append(out, netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen()))
	}
	return out, nil
}
