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

// envName is the environment variable that stands in for a flag:
// --nats-url is PHANANH_NATS_URL.
func envName(flagName string) string {
	return "PHANANH_" + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// applyEnv gives every flag not set on the command line the value of its
// PHANANH_* variable, if there is one: a flag given wins over the
// environment, the environment over the default.
func applyEnv(fs *flag.FlagSet) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		if v, ok := os.LookupEnv(envName(f.Name)); ok {
			if err := f.Value.Set(v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", envName(f.Name), err))
			}
		}
	})
	return errors.Join(errs...)
}

func serve(args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var cfg app.Config
	fs.StringVar(&cfg.DataDir, "data", "./data", "data directory of the embedded JetStream (PHANANH_DATA)")
	fs.StringVar(&cfg.HTTPAddr, "http", ":8080", "HTTP listen address (PHANANH_HTTP)")
	fs.StringVar(&cfg.NATSListen, "nats-listen", "127.0.0.1:4222", "client address of the embedded NATS server, for the nats CLI (PHANANH_NATS_LISTEN)")
	fs.StringVar(&cfg.NATSURL, "nats-url", "", "external NATS cluster URL; when set nothing is embedded (PHANANH_NATS_URL)")
	fs.StringVar(&cfg.GeoFile, "geo", "", "geography JSON file (communes and units); default: built-in Lào Cai sample (PHANANH_GEO)")
	fs.StringVar(&cfg.PolicyFile, "policy", "", "policy JSON file (routing, deadlines, holidays, limits); default: built-in Lào Cai policy (PHANANH_POLICY)")
	fs.BoolVar(&cfg.SyncAlways, "sync-always", true, "fsync every append before acknowledging it; false loses acknowledged reports on power loss (PHANANH_SYNC_ALWAYS)")
	groupCommit := fs.Bool("group-commit", true, "with --sync-always, write concurrent appends as one batch under one fsync; each is still acknowledged only once stored (PHANANH_GROUP_COMMIT)")
	fs.IntVar(&cfg.GroupMinBatch, "group-min-batch", eventstore.DefaultGroupMinBatch, "smallest group of appends written as one batch; smaller groups go out one by one (a batch costs about 15 single fsyncs here) (PHANANH_GROUP_MIN_BATCH)")
	fs.IntVar(&cfg.Replicas, "replicas", 1, "stream replicas: 1 embedded, 3 on a cluster (PHANANH_REPLICAS)")
	fs.DurationVar(&cfg.NATSWait, "nats-wait", app.DefaultNATSWait, "how long start-up retries reaching NATS and opening its streams and buckets, with back-off, all steps together (PHANANH_NATS_WAIT)")
	fs.DurationVar(&cfg.OverdueGrace, "overdue-grace", 24*time.Hour, "how long past a deadline an overdue case is escalated to the unit head (PHANANH_OVERDUE_GRACE)")
	fs.IntVar(&cfg.SnapshotEvery, "snapshot-every", app.DefaultSnapshotEvery, "snapshot the read models every N events, so a restart replays at most that many; negative: never (PHANANH_SNAPSHOT_EVERY)")
	fs.DurationVar(&cfg.SnapshotInterval, "snapshot-interval", app.DefaultSnapshotInterval, "also snapshot at least this often when events arrive (PHANANH_SNAPSHOT_INTERVAL)")
	fs.StringVar(&cfg.SMTPAddr, "smtp-addr", "", "SMTP server (host:port) for email notifications; empty: no email, webhooks still sent (PHANANH_SMTP_ADDR; auth from PHANANH_SMTP_USERNAME and PHANANH_SMTP_PASSWORD)")
	fs.StringVar(&cfg.SMTPFrom, "smtp-from", "Phản ánh <phananh@localhost>", "sender of email notifications (PHANANH_SMTP_FROM)")
	// Secrets stay out of argv (and ps): these are read from the environment only.
	cfg.SMTPUsername, cfg.SMTPPassword = os.Getenv("PHANANH_SMTP_USERNAME"), os.Getenv("PHANANH_SMTP_PASSWORD")
	cfg.WebhookSecret = os.Getenv("PHANANH_WEBHOOK_SECRET")
	fs.BoolVar(&cfg.WebhookAllowPrivate, "webhook-allow-private", false, "let webhooks reach loopback, private and link-local addresses (PHANANH_WEBHOOK_ALLOW_PRIVATE)")
	fs.BoolVar(&cfg.WebhookAllowHTTP, "webhook-allow-http", false, "let reporters subscribe plain http webhooks, for tests (PHANANH_WEBHOOK_ALLOW_HTTP)")
	fs.DurationVar(&cfg.NotifyAckWait, "notify-ack-wait", time.Minute, "how long a replica may hold an event's notifications before another takes them over, e.g. after a crash (PHANANH_NOTIFY_ACK_WAIT)")
	limits := api.DefaultLimits()
	rateFlags := []struct {
		name, what string
		rate       *ratelimit.Rate
	}{
		{"rate-submit", "new reports (native and Open311) and citizens' uploads", &limits.Submit},
		{"rate-login", "staff login attempts", &limits.Login},
		{"rate-lookup", "tracking-code lookups, citizens' feedback and reopening, Open311 reads by id or token", &limits.Lookup},
	}
	for _, rf := range rateFlags {
		fs.Func(rf.name, fmt.Sprintf("per client address: %s, as \"N/s|m|h burst B\"; 0 disables (default %q) (%s)", rf.what, rf.rate.String(), envName(rf.name)),
			func(v string) error {
				r, err := ratelimit.Parse(v)
				*rf.rate = r
				return err
			})
	}
	proxies := fs.String("trusted-proxies", "", "comma-separated addresses or CIDR ranges of reverse proxies whose X-Forwarded-For names the client; empty: the connection's address is the client (PHANANH_TRUSTED_PROXIES)")
	fs.DurationVar(&cfg.HSTSMaxAge, "hsts-max-age", 0, "send Strict-Transport-Security with this max-age on HTTPS requests (behind a TLS proxy that sets X-Forwarded-Proto); 0: never (PHANANH_HSTS_MAX_AGE)")
	logLevel := fs.String("log-level", "info", "debug, info, warn or error (PHANANH_LOG_LEVEL)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil // -h printed the flags; asking for help is not a failure
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("serve takes no arguments, got %q", strings.Join(fs.Args(), " "))
	}
	if err := applyEnv(fs); err != nil {
		return err
	}
	cfg.Limits = &limits
	var err error
	if cfg.TrustedProxies, err = parsePrefixes(*proxies); err != nil {
		return fmt.Errorf("--trusted-proxies: %w", err)
	}
	cfg.NoGroupCommit = !*groupCommit
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("--log-level: %w", err)
	}
	cfg.Log = slog.New(slog.NewJSONHandler(stderr, &slog.HandlerOptions{Level: level}))
	gc, err := tuneGC()
	if err != nil {
		cfg.Log.Warn("garbage collector: no memory limit from the cgroup", "err", err)
	}
	cfg.Log.Info("garbage collector", "settings", gc.String())

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
