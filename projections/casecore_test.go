package projections

import (
	"fmt"
	"testing"
	"time"
)

// TestUnnamedZonesAreNumberedByOffset: time.Parse makes a new location for
// every time at an offset that is not a whole hour, so numbering zones by
// location would grow the table with every such time applied. They are
// numbered by offset instead, and come back at the same instant and offset.
func TestUnnamedZonesAreNumberedByOffset(t *testing.T) {
	ss := newCoreSymbols()
	for i := range 100 {
		raw := fmt.Sprintf("2026-12-%02dT17:00:00.%09d+05:30", 1+i%28, i)
		in, err := time.Parse(time.RFC3339Nano, raw)
		if err != nil {
			t.Fatal(err)
		}
		out := ss.time(ss.stamp(in))
		if !out.Equal(in) || out.Format(time.RFC3339Nano) != in.Format(time.RFC3339Nano) {
			t.Fatalf("%s came back as %s", in.Format(time.RFC3339Nano), out.Format(time.RFC3339Nano))
		}
	}
	ict := time.FixedZone("ICT", 7*60*60) // named: numbered by location
	ss.stamp(time.Date(2026, 12, 1, 0, 0, 0, 0, ict))
	ss.stamp(time.Date(2026, 12, 2, 0, 0, 0, 0, ict))
	if got := len(ss.zones); got != 3 {
		t.Errorf("%d zones numbered, want 3: UTC, +05:30 and ICT", got)
	}
}
