package projections

import (
	"runtime/debug"
	"testing"
)

// gcPercent reads the GC target (setting it back at once).
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// TestRebuildGCRaisesAndRestores: a rebuild raises the GC target, two at
// once share the raise, and the previous target is back only when the
// last is done; a target set higher than the rebuild's, or the collector
// turned off, is left alone.
func TestRebuildGCRaisesAndRestores(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, tt := range []struct{ before, during int }{
		{100, rebuildGCPercent},
		{50, rebuildGCPercent},
		{1000, 1000},
		{-1, -1},
	} {
		debug.SetGCPercent(tt.before)
		end1 := rebuildGC()
		if got := gcPercent(); got != tt.during {
			t.Errorf("GOGC %d, one rebuild: target %d, want %d", tt.before, got, tt.during)
		}
		end2 := rebuildGC()
		end1()
		if got := gcPercent(); got != tt.during {
			t.Errorf("GOGC %d, one of two rebuilds done: target %d, want %d", tt.before, got, tt.during)
		}
		end2()
		if got := gcPercent(); got != tt.before {
			t.Errorf("GOGC %d, both rebuilds done: target %d, want it back", tt.before, got)
		}
	}
}
