package loadtest

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// latencies collects request durations from many goroutines. A phase is
// bounded by its duration, so the slice is bounded too (a few hundred
// thousand entries at most on one machine).
type latencies struct {
	mu  sync.Mutex
	all []time.Duration
}

func (l *latencies) add(d []time.Duration) {
	l.mu.Lock()
	l.all = append(l.all, d...)
	l.mu.Unlock()
}

// summary is a phase's figures: how many requests succeeded in how long,
// and their latency percentiles.
type summary struct {
	n       int
	elapsed time.Duration
	p50     time.Duration
	p99     time.Duration
}

func (l *latencies) summary(elapsed time.Duration) summary {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := summary{n: len(l.all), elapsed: elapsed}
	if len(l.all) == 0 {
		return s
	}
	slices.Sort(l.all)
	s.p50 = percentile(l.all, 0.50)
	s.p99 = percentile(l.all, 0.99)
	return s
}

// over is how many durations exceed d.
func (l *latencies) over(d time.Duration) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, x := range l.all {
		if x > d {
			n++
		}
	}
	return n
}

// percentile reads the p-th quantile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted))*p+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// rate is successes per second.
func (s summary) rate() float64 {
	if s.elapsed <= 0 {
		return 0
	}
	return float64(s.n) / s.elapsed.Seconds()
}

func ms(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e6 }

// phaseFailures counts a phase's failed requests from many goroutines and keeps
// the first one's story, for the error that ends the phase.
type phaseFailures struct {
	n     atomic.Int64
	first atomic.Value // string
}

func (f *phaseFailures) add(what string) {
	f.n.Add(1)
	f.first.CompareAndSwap(nil, what)
}

// err is nil when nothing failed, else "<n> <what> failed, the first: …".
func (f *phaseFailures) err(what string) error {
	if n := f.n.Load(); n > 0 {
		return fmt.Errorf("%d %s failed, the first: %v", n, what, f.first.Load())
	}
	return nil
}
