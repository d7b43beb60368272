package loadtest_test

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"phananh/loadtest"
)

// The names every run prints, one mode suffix per durability mode.
var wantLines = []string{
	"raw_publish_fsync", "http_floor_fsync", "submit_fsync", "submit_p50_fsync", "submit_p99_fsync", "submit_ratio_fsync",
	"actions_fsync", "actions_p99_fsync", "actions_conflicts_fsync",
	"raw_publish_relaxed", "http_floor_relaxed", "submit_relaxed", "submit_p50_relaxed", "submit_p99_relaxed", "submit_ratio_relaxed",
	"actions_relaxed", "actions_p99_relaxed", "actions_conflicts_relaxed",
	"replay_events", "replay_raw", "replay_models", "replay_ratio", "heap_bytes_per_case",
	"query_queue_p50", "query_queue_p99", "query_case_p50", "query_case_p99",
	"query_dashboard_p50", "query_dashboard_p99", "query_writes",
	"query_queue_p50_flat_out", "query_queue_p99_flat_out", "query_case_p50_flat_out", "query_case_p99_flat_out",
	"query_dashboard_p50_flat_out", "query_dashboard_p99_flat_out", "query_writes_flat_out",
}

func TestRunPrintsEveryFigure(t *testing.T) {
	cfg := loadtest.DefaultConfig()
	// Phases long enough that a loaded CI machine still completes a few
	// dozen actions, half of them stale, so every figure is positive
	// (at 300 ms a contended run saw about four actions).
	cfg.Duration = 800 * time.Millisecond
	cfg.QueryDuration = 900 * time.Millisecond // not Duration: the note below must name this one
	cfg.Concurrency = 4
	cfg.Cases = 40
	cfg.ReplayEvents = 200
	cfg.Dir = t.TempDir()
	// Stale If-Match on half the actions and even reads, so a short run
	// sees conflicts and every kind of query.
	cfg.Mix.Stale = 0.5
	cfg.Mix.Queue, cfg.Mix.Case, cfg.Mix.Dashboard = 1, 1, 1
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	rep, err := loadtest.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}

	var lines bytes.Buffer
	if err := rep.WriteLines(&lines); err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, line := range strings.Split(strings.TrimSpace(lines.String()), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("line %q is not \"name value unit\"", line)
		}
		v, err := strconv.ParseFloat(f[1], 64)
		if err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		got[f[0]] = v
	}
	for _, name := range wantLines {
		v, ok := got[name]
		if !ok {
			t.Errorf("no %s line in\n%s", name, lines.String())
			continue
		}
		if v <= 0 {
			t.Errorf("%s = %v, want a positive value", name, v)
		}
	}
	if got, want := got["replay_events"], 200.0; got != want {
		t.Errorf("replay_events = %v, want %v", got, want)
	}
	// Figures that may be zero in a short run: the share of reads over
	// the target, and the collections in the steady window.
	if v, ok := got["query_reads_over_target"]; !ok || v < 0 || v > 100 {
		t.Errorf("query_reads_over_target = %v (printed %t), want a percentage", v, ok)
	}
	if v, ok := got["query_collections"]; !ok || v < 0 || v != float64(int(v)) {
		t.Errorf("query_collections = %v (printed %t), want a count", v, ok)
	}

	var table bytes.Buffer
	if err := rep.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	for _, name := range wantLines {
		if !strings.Contains(table.String(), name) {
			t.Errorf("the table has no %s row", name)
		}
	}
	for _, note := range []string{"queries: steady load for " + cfg.QueryDuration.String() + ":", "queries: collector in the steady window: "} {
		if !strings.Contains(table.String(), note) {
			t.Errorf("the table has no note %q:\n%s", note, table.String())
		}
	}
}

func TestParseMix(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    func(m loadtest.Mix) bool
		wantErr bool
	}{
		{name: "empty is the default", in: "", want: func(m loadtest.Mix) bool { return m == loadtest.DefaultMix }},
		{name: "override some", in: "comment=10, stale=0.2,dashboard=0",
			want: func(m loadtest.Mix) bool {
				return m.Comment == 10 && m.Stale == 0.2 && m.Dashboard == 0 && m.Accept == 1
			}},
		{name: "the default round-trips", in: loadtest.DefaultMix.String(), want: func(m loadtest.Mix) bool { return m == loadtest.DefaultMix }},
		{name: "unknown name", in: "delete=1", wantErr: true},
		{name: "negative weight", in: "accept=-1", wantErr: true},
		{name: "stale above one", in: "stale=2", wantErr: true},
		{name: "no query left", in: "queue=0,case=0,dashboard=0", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := loadtest.ParseMix(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseMix(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if err == nil && !tt.want(m) {
				t.Errorf("ParseMix(%q) = %+v", tt.in, m)
			}
		})
	}
}

func TestParseSync(t *testing.T) {
	for in, want := range map[string]int{"both": 2, "fsync": 1, "relaxed": 1} {
		modes, err := loadtest.ParseSync(in)
		if err != nil || len(modes) != want {
			t.Errorf("ParseSync(%q) = %v, %v; want %d modes", in, modes, err, want)
		}
	}
	if _, err := loadtest.ParseSync("never"); err == nil {
		t.Error("ParseSync(never) is accepted")
	}
}
