package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"syscall"

	"phananh/loadtest"
)

// runBench is `phananh bench`: the load tool of package loadtest, with its
// table on stdout and, with --out, the "name value unit" lines in a file.
func runBench(args []string, stdout, stderr io.Writer) error {
	def := loadtest.DefaultConfig()
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg := def
	fs.DurationVar(&cfg.Duration, "duration", def.Duration, "how long each timed phase runs")
	fs.DurationVar(&cfg.QueryDuration, "query-duration", 0, "how long the query phase's steady load runs (default: --duration)")
	fs.IntVar(&cfg.Concurrency, "concurrency", def.Concurrency, "concurrent clients in every timed phase")
	fs.IntVar(&cfg.Cases, "cases", def.Cases, "open cases in the log the query phase reads")
	fs.IntVar(&cfg.ReplayEvents, "replay-events", def.ReplayEvents, "events in the log the replay phase rebuilds from")
	fs.Float64Var(&cfg.QueryReads, "query-reads", def.QueryReads, "queries a second the query phase's steady load sends")
	fs.Float64Var(&cfg.QueryWriteShare, "query-write-share", def.QueryWriteShare, "share of the measured submit throughput the query phase's steady load writes (0 to 1)")
	mix := fs.String("mix", def.Mix.String(), "weights of actions (accept, assign, comment, resolve), the stale fraction of actions, and weights of queries (queue, case, dashboard)")
	syncMode := fs.String("sync", "both", "durability modes to measure: both, fsync or relaxed")
	groupCommit := fs.Bool("group-commit", true, "group concurrent appends into one fsync in fsync mode, as `phananh serve` does by default")
	out := fs.String("out", "", "also write the \"name value unit\" lines to this file")
	fs.StringVar(&cfg.Dir, "dir", "", "parent of the temporary data directories (default: the system's)")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of each measured phase (client, service and embedded server) to this path plus .<phase>, and allocation profiles at its start and end (.<phase>.allocs-start, .allocs-end: go tool pprof -sample_index=alloc_space -base start end)")
	traceOut := fs.String("trace", "", "write an execution trace of the query phase's steady window to this file (go tool trace)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench takes no arguments, got %q", strings.Join(fs.Args(), " "))
	}
	cfg.NoGroupCommit = !*groupCommit
	var err error
	if cfg.Mix, err = loadtest.ParseMix(*mix); err != nil {
		return err
	}
	if cfg.Modes, err = loadtest.ParseSync(*syncMode); err != nil {
		return err
	}
	cfg.Progress = stderr
	// The service in this process collects as `phananh serve` would.
	gc, err := tuneGC()
	if err != nil {
		fmt.Fprintln(stderr, "bench: garbage collector:", err)
	}

	if *cpuProfile != "" {
		cfg.Phase = profilePhase(*cpuProfile, stderr)
	}
	if *traceOut != "" {
		cfg.Phase = alsoTrace(cfg.Phase, "queries", *traceOut, stderr)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	rep, err := loadtest.Run(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "phananh bench: --duration %s --query-duration %s --concurrency %d --cases %d --replay-events %d --sync %s --group-commit=%t --query-reads %g --query-write-share %g --mix %s\ncollector: %s; GOMAXPROCS %d\n\n",
		cfg.Duration, cfg.QueryWindow(), cfg.Concurrency, cfg.Cases, cfg.ReplayEvents, *syncMode, *groupCommit, cfg.QueryReads, cfg.QueryWriteShare, cfg.Mix, gc, runtime.GOMAXPROCS(0))
	if err := rep.WriteTable(stdout); err != nil {
		return err
	}
	fmt.Fprintln(stdout)
	if err := rep.WriteLines(stdout); err != nil {
		return err
	}
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		if err := rep.WriteLines(f); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	}
	return nil
}

// profilePhase returns a loadtest phase hook that writes one CPU profile per
// measured phase, to prefix.<phase> (e.g. cpu.prof.submit_fsync): a profile
// of the whole run would mix the phases' very different work. Allocations
// are what drive the collector, whose pauses and assists show in latency
// tails, so each phase gets their profile too.
func profilePhase(prefix string, stderr io.Writer) func(string) func() {
	return func(name string) func() {
		f, err := os.Create(prefix + "." + name)
		if err != nil {
			fmt.Fprintln(stderr, "bench: cpu profile:", err)
			return func() {}
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "bench: cpu profile:", err)
			f.Close()
			return func() {}
		}
		// The allocation profile counts from the process's start: one at
		// each end of the phase, and pprof's -base gives the phase's own.
		// A profile holds what was allocated up to the last finished
		// collection, so each is taken after a forced one: without it a
		// phase that began after a rebuild (which runs with few
		// collections) was charged with much of the rebuild's allocations.
		// The forced collection shifts the phase's own collections, one
		// more reason to take figures from runs without --cpuprofile.
		writeAllocs := func(suffix string) {
			runtime.GC()
			a, err := os.Create(prefix + "." + name + suffix)
			if err == nil {
				err = errors.Join(pprof.Lookup("allocs").WriteTo(a, 0), a.Close())
			}
			if err != nil {
				fmt.Fprintln(stderr, "bench: allocation profile:", err)
			}
		}
		writeAllocs(".allocs-start")
		return func() {
			pprof.StopCPUProfile()
			f.Close()
			writeAllocs(".allocs-end")
		}
	}
}

// alsoTrace returns a phase hook that does what next does (if anything) and
// also writes an execution trace of the phase named phase to path: where
// each goroutine waited, and what held the processors meanwhile, which a
// profile does not show. Only one phase is traced, since a trace of the
// whole run would take gigabytes.
func alsoTrace(next func(string) func(), phase, path string, stderr io.Writer) func(string) func() {
	return func(name string) func() {
		end := func() {}
		if next != nil {
			end = next(name)
		}
		if name != phase {
			return end
		}
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintln(stderr, "bench: trace:", err)
			return end
		}
		if err := trace.Start(f); err != nil {
			fmt.Fprintln(stderr, "bench: trace:", err)
			f.Close()
			return end
		}
		return func() {
			trace.Stop()
			if err := f.Close(); err != nil {
				fmt.Fprintln(stderr, "bench: trace:", err)
			}
			end()
		}
	}
}
