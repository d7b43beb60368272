package loadtest

import (
	"testing"
	"time"
)

// The steady load's schedule: each client's turns are n/rate apart, the
// clients offset from one another, a late client sends at once and keeps
// its turns, and no turn is given at or after the end.
func TestScheduleTurns(t *testing.T) {
	const rate, n = 400.0, 4 // each client every 10 ms
	every := 10 * time.Millisecond
	start := time.Now()
	until := start.Add(105 * time.Millisecond)
	next := newSchedule(rate, n, 2) // offset by 2/4 of a turn: 5 ms
	var turns []time.Time
	for {
		at, ok := next(until)
		if !ok {
			break
		}
		if now := time.Now(); now.Before(at) {
			t.Fatalf("turn %d returned at %v, before its time %v", len(turns), now, at)
		}
		turns = append(turns, at)
		if len(turns) == 3 {
			time.Sleep(25 * time.Millisecond) // late for the next two turns
		}
	}
	if len(turns) != 10 { // 5, 15, … 95 ms
		t.Fatalf("%d turns in 105 ms at one every 10 ms from 5 ms, want 10", len(turns))
	}
	if off := turns[0].Sub(start); off < 4*time.Millisecond || off > 6*time.Millisecond {
		t.Errorf("first turn %v after the start, want 5 ms (offset by 2 of 4 clients)", off)
	}
	for i := 1; i < len(turns); i++ {
		if gap := turns[i].Sub(turns[i-1]); gap != every {
			t.Errorf("turns %d and %d are %v apart, want %v: a late client keeps its schedule", i-1, i, gap, every)
		}
	}

	closed := newSchedule(0, n, 0)
	t0 := time.Now()
	at, ok := closed(t0.Add(time.Second))
	if !ok || at.Before(t0) || time.Since(t0) > 5*time.Millisecond {
		t.Errorf("closed loop: turn at %v (ok %v), want now", at, ok)
	}
	if _, ok := closed(time.Now()); ok {
		t.Error("closed loop: a turn after the end")
	}
}
