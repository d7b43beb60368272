package loadtest

import (
	"runtime"
	"testing"
	"time"
)

// A collection between two readings is counted, with its marking's CPU.
func TestCollectorCountsACollection(t *testing.T) {
	before := readCollector()
	runtime.GC()
	use := readCollector().since(before)
	if use.cycles < 1 {
		t.Errorf("cycles = %d after runtime.GC, want at least 1", use.cycles)
	}
	if use.workers <= 0 {
		t.Errorf("workers' CPU = %v after runtime.GC, want some", use.workers)
	}
}

func TestOverShare(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name  string
		reads [3][]time.Duration
		want  float64
	}{
		{name: "no reads", want: 0},
		{name: "none over", reads: [3][]time.Duration{{ms, 2 * ms}, {4 * ms}, {5 * ms}}, want: 0},
		{name: "one of four over, across kinds", reads: [3][]time.Duration{{ms}, {6 * ms}, {ms, 2 * ms}}, want: 25},
		{name: "all over", reads: [3][]time.Duration{{9 * ms}, nil, {time.Second}}, want: 100},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r queryResult
			for k, reads := range tt.reads {
				var l latencies
				l.add(reads)
				r.kinds[k] = l.summary(time.Second)
				r.over += l.over(queryTarget)
			}
			if got := r.overShare(); got != tt.want {
				t.Errorf("overShare = %v, want %v", got, tt.want)
			}
		})
	}
}
