package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"runtime/trace"
	"slices"
	"strings"
	"testing"
)

// A small bench run writes what its flags ask for: the figures' lines, a
// CPU profile per phase, and the execution trace of the query phase.
func TestBenchWritesItsProfilesAndTrace(t *testing.T) {
	// runBench sets the collector's target as serve would; put this test
	// process's back afterwards.
	gcPercent := debug.SetGCPercent(100)
	debug.SetGCPercent(gcPercent)
	memLimit := debug.SetMemoryLimit(-1)
	t.Cleanup(func() {
		debug.SetGCPercent(gcPercent)
		debug.SetMemoryLimit(memLimit)
	})

	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	trace := filepath.Join(dir, "queries.trace")
	prof := filepath.Join(dir, "cpu")
	var stdout, stderr bytes.Buffer
	err := runBench([]string{"--duration", "300ms", "--query-duration", "400ms", "--concurrency", "4",
		"--cases", "40", "--replay-events", "200", "--sync", "fsync", "--dir", dir,
		"--out", out, "--cpuprofile", prof, "--trace", trace}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, stderr.String())
	}
	for _, want := range []string{"--query-duration 400ms", "GOMAXPROCS ", "query_reads_over_target"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("the output has no %q:\n%s", want, stdout.String())
		}
	}
	lines, err := os.ReadFile(out)
	if err != nil || !bytes.Contains(lines, []byte("query_queue_p99 ")) {
		t.Errorf("--out file: %v, no query_queue_p99 line in %q", err, lines)
	}
	// Go's execution traces begin "go 1.NN trace".
	if b, err := os.ReadFile(trace); err != nil || !bytes.HasPrefix(b, []byte("go 1.")) || len(b) < 1024 {
		t.Errorf("trace: %v, %d bytes starting %.12q; want an execution trace", err, len(b), b)
	}
	for _, phase := range []string{"queries", "submit_fsync_0", "replay_models"} {
		if fi, err := os.Stat(prof + "." + phase); err != nil || fi.Size() == 0 {
			t.Errorf("CPU profile of %s: %v", phase, err)
		}
	}
}

// The trace hook traces its phase and no other, and ends every phase of the
// hook it wraps.
func TestAlsoTraceTracesOnlyItsPhase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "queries.trace")
	var ended []string
	next := func(name string) func() { return func() { ended = append(ended, name) } }
	hook := alsoTrace(next, "queries", path, io.Discard)
	phases := []string{"submit_fsync_0", "queries", "queries_flat_out"}
	for _, name := range phases {
		end := hook(name)
		if got, want := trace.IsEnabled(), name == "queries"; got != want {
			t.Errorf("tracing during %s: %t, want %t", name, got, want)
		}
		end()
	}
	if trace.IsEnabled() {
		t.Error("still tracing after the phases")
	}
	if !slices.Equal(ended, phases) {
		t.Errorf("the wrapped hook ended %v, want %v", ended, phases)
	}
	if b, err := os.ReadFile(path); err != nil || !bytes.HasPrefix(b, []byte("go 1.")) {
		t.Errorf("trace: %v, starting %.12q", err, b)
	}
}
