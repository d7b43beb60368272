// Package loadtest is `phananh bench`: a load tool that starts the whole
// service in-process and measures it against the raw JetStream limit of the
// same server, in the same run. The machines this runs on are shared and
// noisy, so the figures that count are ratios measured side by side:
// submit_ratio_<mode> (HTTP reports per second over plain publishes per
// second) and replay_ratio (events per second into every read model over a
// raw ordered consumer's rate).
//
// Every phase is bounded by its duration or its event count, binds only
// 127.0.0.1 and works in a temporary directory it removes.
package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
)

// Mode is a durability mode of the JetStream server.
type Mode struct {
	Name       string // "fsync" or "relaxed": the suffix of its result names
	SyncAlways bool   // fsync every write before acknowledging it
}

// The two durability modes.
var (
	ModeFsync   = Mode{Name: "fsync", SyncAlways: true}
	ModeRelaxed = Mode{Name: "relaxed", SyncAlways: false}
)

// ParseSync reads --sync: both, fsync or relaxed.
func ParseSync(s string) ([]Mode, error) {
	switch s {
	case "both":
		return []Mode{ModeFsync, ModeRelaxed}, nil
	case "fsync":
		return []Mode{ModeFsync}, nil
	case "relaxed":
		return []Mode{ModeRelaxed}, nil
	}
	return nil, fmt.Errorf("--sync %q: want both, fsync or relaxed", s)
}

// Mix weighs what the action and query phases send. Actions: accept,
// assign, comment and resolve pick a case in the state the action needs;
// Stale is the fraction of actions sent with an outdated If-Match on
// purpose, each of which must come back 409. Queries: queue pages, case
// views and monthly dashboards.
type Mix struct {
	Accept, Assign, Comment, Resolve float64
	Stale                            float64
	Queue, Case, Dashboard           float64
}

// DefaultMix is a unit's working day: comments outnumber state changes,
// one action in twenty is stale, and reads are mostly queues and cases.
var DefaultMix = Mix{Accept: 1, Assign: 1, Comment: 3, Resolve: 1, Stale: 0.05, Queue: 4, Case: 4, Dashboard: 1}

// String renders the mix as --mix takes it.
func (m Mix) String() string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	return "accept=" + f(m.Accept) + ",assign=" + f(m.Assign) + ",comment=" + f(m.Comment) +
		",resolve=" + f(m.Resolve) + ",stale=" + f(m.Stale) + ",queue=" + f(m.Queue) +
		",case=" + f(m.Case) + ",dashboard=" + f(m.Dashboard)
}

// ParseMix reads --mix: comma-separated name=weight pairs that override
// DefaultMix, e.g. "comment=10,stale=0.2,dashboard=0".
func ParseMix(s string) (Mix, error) {
	m := DefaultMix
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	fields := map[string]*float64{"accept": &m.Accept, "assign": &m.Assign, "comment": &m.Comment,
		"resolve": &m.Resolve, "stale": &m.Stale, "queue": &m.Queue, "case": &m.Case, "dashboard": &m.Dashboard}
	for _, part := range strings.Split(s, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		p, known := fields[name]
		if !ok || !known {
			return Mix{}, fmt.Errorf("--mix %q: want name=weight pairs among accept, assign, comment, resolve, stale, queue, case, dashboard", part)
		}
		v, err := strconv.ParseFloat(value, 64)
		if err != nil || v < 0 {
			return Mix{}, fmt.Errorf("--mix %q: weight must be a number ≥ 0", part)
		}
		*p = v
	}
	if m.Stale > 1 {
		return Mix{}, errors.New("--mix: stale is a fraction of actions, at most 1")
	}
	if m.Accept+m.Assign+m.Comment+m.Resolve == 0 || m.Queue+m.Case+m.Dashboard == 0 {
		return Mix{}, errors.New("--mix: some action and some query must have a weight")
	}
	return m, nil
}

// Config is what one bench run does.
type Config struct {
	Duration time.Duration // per timed phase
	// QueryDuration is the query phase's steady window; 0 means Duration.
	// A window that spans several collections gives a steadier p99 than one
	// that holds one or none by chance of timing.
	QueryDuration time.Duration
	Concurrency   int // clients (goroutines) in every timed phase
	Cases         int // open cases in the query phase
	ReplayEvents  int // events in the replayed stream
	Mix           Mix
	Modes         []Mode
	// QueryReads is the queries a second the query phase's steady load
	// offers, QueryWriteShare the share of the submit throughput measured
	// in the same mode that its writers offer (queryPhase).
	QueryReads      float64
	QueryWriteShare float64
	// NoGroupCommit starts the service with every append published on its
	// own (app.Config.NoGroupCommit), to compare with grouping.
	NoGroupCommit bool
	// Dir is where the temporary data directories go; empty means the
	// system's temporary directory.
	Dir string
	// Progress receives one line as each phase starts; nil means none.
	Progress io.Writer
	// Log is the service's logger; nil discards its logs (the access log
	// would otherwise be a line per request).
	Log *slog.Logger
	// Phase, when set, is called as each measured phase starts, with its
	// name (e.g. "submit_fsync"); the function it returns is called when the
	// phase ends. `phananh bench --cpuprofile` profiles each phase with it.
	Phase func(name string) (end func())
}

// QueryWindow is the query phase's steady window.
func (c Config) QueryWindow() time.Duration {
	if c.QueryDuration > 0 {
		return c.QueryDuration
	}
	return c.Duration
}

// phase marks the start of a measured phase; call the result at its end.
func (c Config) phase(name string) func() {
	if c.Phase == nil {
		return func() {}
	}
	return c.Phase(name)
}

// DefaultConfig is the full run the issue asks for.
func DefaultConfig() Config {
	return Config{Duration: 10 * time.Second, Concurrency: 32, Cases: 100_000, ReplayEvents: 1_000_000,
		QueryReads: DefaultQueryReads, QueryWriteShare: DefaultQueryWriteShare,
		Mix: DefaultMix, Modes: []Mode{ModeFsync, ModeRelaxed}}
}

// The steady load of the query phase. 200 queries a second is a province's
// staff at its busiest (a few hundred officers, each opening a page every
// second or two); writes at half the measured capacity keep the service
// busy without saturating it, where a latency target means something.
const (
	DefaultQueryReads      = 200
	DefaultQueryWriteShare = 0.5
)

func (c Config) check() error {
	switch {
	case c.Duration <= 0:
		return errors.New("bench: --duration must be positive")
	case c.QueryDuration < 0:
		return errors.New("bench: --query-duration must not be negative")
	case c.Concurrency < 2:
		return errors.New("bench: --concurrency must be at least 2 (the query phase needs a writer and a reader)")
	case c.Cases < 1:
		return errors.New("bench: --cases must be at least 1")
	case c.QueryReads <= 0:
		return errors.New("bench: --query-reads must be positive")
	case c.QueryWriteShare < 0 || c.QueryWriteShare > 1:
		return errors.New("bench: --query-write-share is a share of the submit throughput, from 0 to 1")
	case c.ReplayEvents < 1:
		return errors.New("bench: --replay-events must be at least 1")
	case len(c.Modes) == 0:
		return errors.New("bench: no durability mode")
	}
	return nil
}

// Result is one measured figure, printed as "name value unit".
type Result struct {
	Name  string
	Value float64
	Unit  string
}

// Report is everything a run measured, in the order it was measured, plus
// the notes of the human table.
type Report struct {
	Results []Result
	Elapsed time.Duration
	notes   []string
}

func (r *Report) add(name string, value float64, unit string) {
	r.Results = append(r.Results, Result{Name: name, Value: value, Unit: unit})
}

func (r *Report) note(format string, args ...any) {
	r.notes = append(r.notes, fmt.Sprintf(format, args...))
}

// Get returns the value of the named result.
func (r *Report) Get(name string) (float64, bool) {
	for _, res := range r.Results {
		if res.Name == name {
			return res.Value, true
		}
	}
	return 0, false
}

// Run measures every phase and returns the report. It stops when ctx is
// done, between or within phases.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	root, err := os.MkdirTemp(cfg.Dir, "phananh-bench-")
	if err != nil {
		return nil, fmt.Errorf("bench: temporary directory: %w", err)
	}
	defer os.RemoveAll(root)

	started := time.Now()
	rep := &Report{}
	for _, mode := range cfg.Modes {
		if err := writePhases(ctx, cfg, mode, root, rep); err != nil {
			return nil, fmt.Errorf("bench: %s: %w", mode.Name, err)
		}
	}
	// Reads are measured once, with the app in the first mode asked for
	// (fsync unless only relaxed was asked): its writes run alongside.
	if err := readPhases(ctx, cfg, cfg.Modes[0], root, rep); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	rep.Elapsed = time.Since(started)
	return rep, nil
}

// WriteLines prints the "name value unit" lines.
func (r *Report) WriteLines(w io.Writer) error {
	var b strings.Builder
	for _, res := range r.Results {
		fmt.Fprintf(&b, "%s %s %s\n", res.Name, strconv.FormatFloat(res.Value, 'f', precision(res.Value), 64), res.Unit)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteTable prints the human table and its notes.
func (r *Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "figure\tvalue\tunit\t")
	for _, res := range r.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s\t\n", res.Name, strconv.FormatFloat(res.Value, 'f', precision(res.Value), 64), res.Unit)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range r.notes {
		if _, err := fmt.Fprintln(w, "  "+n); err != nil {
			return err
		}
	}
	_, err := fmt.Fprintf(w, "  whole run: %s\n", r.Elapsed.Round(100*time.Millisecond))
	return err
}

// precision keeps three significant digits for small figures and none
// after the point for large ones.
func precision(v float64) int {
	switch {
	case v >= 100:
		return 0
	case v >= 10:
		return 1
	case v >= 1:
		return 2
	}
	return 3
}
