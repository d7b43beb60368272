package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"golang.org/x/exp/trace"
)

// readRegion is the prefix of the regions the bench opens around each
// read (loadtest: "read queue", "read case", "read dashboard").
const readRegion = "read "

// interval is a stretch of the trace's time.
type interval struct{ start, end trace.Time }

func (i interval) length() time.Duration { return i.end.Sub(i.start) }

// overlap is how much of [a, b) falls within the sorted, disjoint ws.
func overlap(ws []interval, a, b trace.Time) time.Duration {
	var d time.Duration
	k, _ := slices.BinarySearchFunc(ws, a, func(w interval, t trace.Time) int { return cmp.Compare(w.end, t) })
	for ; k < len(ws) && ws[k].start < b; k++ {
		if s, e := max(a, ws[k].start), min(b, ws[k].end); e > s {
			d += e.Sub(s)
		}
	}
	return d
}

// run is one stretch of a goroutine on a processor.
type run struct {
	g trace.GoID
	interval
}

// Summary is what a trace says about the slow reads.
type Summary struct {
	Span  time.Duration
	Slow  time.Duration // the threshold
	Reads []time.Duration
	// Marks are the collector's concurrent mark phases.
	Marks []interval
	// Windows are the stretches during which at least one read was slow
	// (overlapping slow reads merged), and Busiest the goroutine entry
	// function that ran longest in each.
	Windows []interval
	Busiest []string
	// CPU is the time each goroutine entry function ran, over the whole
	// trace and within the windows.
	CPU, CPUSlow map[string]time.Duration

	first trace.Time
}

// summarise reads a trace and sums up its reads.
func summarise(r io.Reader, slow time.Duration) (*Summary, error) {
	tr, err := trace.NewReader(r)
	if err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	s := &Summary{Slow: slow, CPU: map[string]time.Duration{}, CPUSlow: map[string]time.Duration{}}
	entries := map[trace.GoID]string{}
	runningSince := map[trace.GoID]trace.Time{}
	readSince := map[trace.GoID]trace.Time{}
	var runs []run
	var slowReads []interval
	var markStart, last trace.Time
	learn := func(g trace.GoID, st trace.Stack) {
		if entries[g] == "" {
			entries[g] = entry(st)
		}
	}
	for {
		ev, err := tr.ReadEvent()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("trace: %w", err)
		}
		if s.first == 0 {
			s.first = ev.Time()
		}
		last = ev.Time()
		if g := ev.Goroutine(); g != trace.NoGoroutine {
			learn(g, ev.Stack())
		}
		switch ev.Kind() {
		case trace.EventRangeBegin, trace.EventRangeActive:
			// Active: a mark phase already running when the trace began.
			if strings.HasPrefix(ev.Range().Name, "GC concurrent mark") && markStart == 0 {
				markStart = ev.Time()
			}
		case trace.EventRangeEnd:
			if strings.HasPrefix(ev.Range().Name, "GC concurrent mark") && markStart != 0 {
				s.Marks = append(s.Marks, interval{markStart, ev.Time()})
				markStart = 0
			}
		case trace.EventRegionBegin:
			if strings.HasPrefix(ev.Region().Type, readRegion) {
				readSince[ev.Goroutine()] = ev.Time()
			}
		case trace.EventRegionEnd:
			if t, ok := readSince[ev.Goroutine()]; ok && strings.HasPrefix(ev.Region().Type, readRegion) {
				delete(readSince, ev.Goroutine())
				read := interval{t, ev.Time()}
				s.Reads = append(s.Reads, read.length())
				if read.length() > slow {
					slowReads = append(slowReads, read)
				}
			}
		case trace.EventStateTransition:
			st := ev.StateTransition()
			if st.Resource.Kind != trace.ResourceGoroutine {
				continue
			}
			g := st.Resource.Goroutine()
			learn(g, st.Stack)
			from, to := st.Goroutine()
			if t, ok := runningSince[g]; ok && from == trace.GoRunning {
				runs = append(runs, run{g, interval{t, ev.Time()}})
				delete(runningSince, g)
			}
			if to == trace.GoRunning {
				runningSince[g] = ev.Time()
			}
		}
	}
	if markStart != 0 { // still marking when the trace ended
		s.Marks = append(s.Marks, interval{markStart, last})
	}
	s.Span = last.Sub(s.first)
	slices.Sort(s.Reads)

	slices.SortFunc(slowReads, func(a, b interval) int { return cmp.Compare(a.start, b.start) })
	for _, r := range slowReads {
		if n := len(s.Windows); n > 0 && r.start <= s.Windows[n-1].end {
			s.Windows[n-1].end = max(s.Windows[n-1].end, r.end)
			continue
		}
		s.Windows = append(s.Windows, r)
	}
	busiest := make([]map[string]time.Duration, len(s.Windows))
	for _, r := range runs {
		name := entries[r.g]
		if name == "" {
			name = "?"
		}
		s.CPU[name] += r.length()
		k, _ := slices.BinarySearchFunc(s.Windows, r.start, func(w interval, t trace.Time) int { return cmp.Compare(w.end, t) })
		for ; k < len(s.Windows) && s.Windows[k].start < r.end; k++ {
			w := s.Windows[k]
			if st, e := max(r.start, w.start), min(r.end, w.end); e > st {
				s.CPUSlow[name] += e.Sub(st)
				if busiest[k] == nil {
					busiest[k] = map[string]time.Duration{}
				}
				busiest[k][name] += e.Sub(st)
			}
		}
	}
	for _, by := range busiest {
		best := "nothing"
		var most time.Duration
		for name, d := range by {
			if d > most || (d == most && name < best) {
				best, most = name, d
			}
		}
		s.Busiest = append(s.Busiest, best)
	}
	return s, nil
}

// entry names a goroutine by the function it was started with: the
// outermost frame of its stack that is not the runtime's, or the
// runtime's own for its workers (the collector's mark workers and
// sweeper).
func entry(st trace.Stack) string {
	var outer, outerOwn string
	for f := range st.Frames() {
		outer = f.Func
		if !strings.HasPrefix(f.Func, "runtime.") {
			outerOwn = f.Func
		}
	}
	switch {
	case outer == "runtime.gcBgMarkWorker", outer == "runtime.bgsweep", outer == "runtime.bgscavenge":
		return outer
	case outerOwn != "":
		return outerOwn
	}
	return outer
}

// inMark counts the slow windows that overlap a mark phase.
func (s *Summary) inMark() int {
	n := 0
	for _, w := range s.Windows {
		if overlap(s.Marks, w.start, w.end) > 0 {
			n++
		}
	}
	return n
}

func (s *Summary) print(w io.Writer, top int) {
	slow := 0
	for _, d := range s.Reads {
		if d > s.Slow {
			slow++
		}
	}
	fmt.Fprintf(w, "trace of %v: %d reads, %d over %v", s.Span.Round(time.Millisecond), len(s.Reads), slow, s.Slow)
	if len(s.Reads) > 0 {
		fmt.Fprintf(w, ", p99 %v", s.Reads[min(len(s.Reads)-1, max(0, int(float64(len(s.Reads))*0.99+0.5)-1))].Round(10*time.Microsecond))
	}
	fmt.Fprintln(w)
	if len(s.Reads) == 0 {
		fmt.Fprintf(w, "no %q regions: was this trace written by phananh bench --trace?\n", readRegion+"…")
	}
	for _, m := range s.Marks {
		fmt.Fprintf(w, "collector marking from +%v for %v\n", m.start.Sub(s.first).Round(time.Millisecond), m.length().Round(time.Millisecond))
	}
	var inWindows time.Duration
	for _, win := range s.Windows {
		inWindows += win.length()
	}
	fmt.Fprintf(w, "%d windows with a slow read (%v in all); %d of them overlap a mark phase\n", len(s.Windows), inWindows.Round(time.Millisecond), s.inMark())
	byBusiest := map[string]int{}
	for _, b := range s.Busiest {
		byBusiest[b]++
	}
	fmt.Fprintln(w, "\nwindows by the goroutine entry function that ran longest in them:")
	for _, name := range sortedBy(byBusiest) {
		fmt.Fprintf(w, "%5d  %s\n", byBusiest[name], name)
	}
	var all, inSlow time.Duration
	for _, d := range s.CPU {
		all += d
	}
	for _, d := range s.CPUSlow {
		inSlow += d
	}
	fmt.Fprintf(w, "\nprocessors busy: %.2f on average, %.2f in the windows\n", all.Seconds()/max(s.Span.Seconds(), 1e-9), inSlow.Seconds()/max(inWindows.Seconds(), 1e-9))
	fmt.Fprintf(w, "%8s %8s  %s\n", "all", "windows", "share of the running time, by goroutine entry function")
	for i, name := range sortedBy(s.CPUSlow) {
		if i == top {
			break
		}
		fmt.Fprintf(w, "%7.1f%% %7.1f%%  %s\n", 100*s.CPU[name].Seconds()/all.Seconds(), 100*s.CPUSlow[name].Seconds()/max(inSlow.Seconds(), 1e-9), name)
	}
}

// sortedBy returns m's keys, largest value first.
func sortedBy[V cmp.Ordered](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(m[b], m[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return keys
}
