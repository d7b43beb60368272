package main

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime/debug"
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
	if matches, _ := filepath.Glob(filepath.Join(dir, "*.trace*")); len(matches) != 1 {
		t.Errorf("traces written: %v, want only the query phase's", matches)
	}
}
