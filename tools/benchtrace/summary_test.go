package main

import (
	"bytes"
	"context"
	"runtime"
	rtrace "runtime/trace"
	"strings"
	"testing"
	"time"

	"golang.org/x/exp/trace"
)

// hog keeps the processor for d without blocking.
func hog(d time.Duration, done chan<- struct{}) {
	for t := time.Now(); time.Since(t) < d; {
	}
	close(done)
}

// A read that waits behind a goroutine holding the only processor is slow,
// and the summary names that goroutine; a read that waits for nothing is
// not.
func TestSummaryNamesWhatHeldTheProcessor(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var buf bytes.Buffer
	if err := rtrace.Start(&buf); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	fast := rtrace.StartRegion(ctx, "read case")
	fast.End()

	done := make(chan struct{})
	slow := rtrace.StartRegion(ctx, "read queue")
	go hog(40*time.Millisecond, done)
	time.Sleep(time.Millisecond) // the hog runs until the scheduler preempts it, 10 ms or more
	slow.End()
	<-done
	other := rtrace.StartRegion(ctx, "not a read")
	time.Sleep(20 * time.Millisecond)
	other.End()
	runtime.GC() // a mark phase for the summary to find
	rtrace.Stop()

	s, err := summarise(&buf, 5*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Reads) != 2 {
		t.Fatalf("%d reads, want 2 (the regions named \"read …\")", len(s.Reads))
	}
	if len(s.Windows) != 1 {
		t.Fatalf("%d windows with a slow read, want 1; reads %v", len(s.Windows), s.Reads)
	}
	if got := s.Busiest[0]; got != "phananh/tools/benchtrace.hog" {
		t.Errorf("busiest in the slow read's window: %q, want phananh/tools/benchtrace.hog", got)
	}
	if s.CPUSlow["phananh/tools/benchtrace.hog"] < 5*time.Millisecond {
		t.Errorf("the hog ran %v in the window, want most of it", s.CPUSlow["phananh/tools/benchtrace.hog"])
	}
	if len(s.Marks) == 0 {
		t.Error("no mark phase found, after a runtime.GC inside the trace")
	}
	var out bytes.Buffer
	s.print(&out, 5)
	for _, want := range []string{"2 reads, 1 over 5ms", "1 windows with a slow read", "phananh/tools/benchtrace.hog"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the summary has no %q:\n%s", want, out.String())
		}
	}
}

func TestOverlap(t *testing.T) {
	ws := []interval{{10, 20}, {30, 40}, {50, 60}} // sorted and disjoint
	tests := []struct {
		a, b trace.Time
		want time.Duration
	}{
		{0, 10, 0},   // ends where the first begins
		{0, 15, 5},   // the first half of the first
		{15, 35, 10}, // the end of one and the start of the next
		{0, 100, 30}, // all three
		{40, 50, 0},  // between two
		{55, 58, 3},  // inside the last
		{60, 70, 0},  // after the last
	}
	for _, tt := range tests {
		if got := overlap(ws, tt.a, tt.b); got != tt.want {
			t.Errorf("overlap(%d, %d) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
