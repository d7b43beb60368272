package loadtest

import (
	"fmt"
	"runtime/metrics"
	"time"
)

// The collector's counters that explain a latency tail: a read that meets
// a collection's marking waits behind its workers and assists, so the query
// phase says how many collections finished in its window and what their
// marking cost.
var collectorMetrics = [...]string{
	"/gc/cycles/total:gc-cycles",
	"/cpu/classes/gc/mark/dedicated:cpu-seconds", // dedicated and fractional workers
	"/cpu/classes/gc/mark/idle:cpu-seconds",
	"/cpu/classes/gc/mark/assist:cpu-seconds",
}

// collectorReading is the counters at one moment. The CPU figures are the
// runtime's estimates, added up as each collection ends.
type collectorReading struct {
	cycles                 uint64
	workers, idle, assists float64 // seconds of CPU
}

func readCollector() collectorReading {
	var s [len(collectorMetrics)]metrics.Sample
	for i, name := range collectorMetrics {
		s[i].Name = name
	}
	metrics.Read(s[:])
	return collectorReading{cycles: s[0].Value.Uint64(), workers: s[1].Value.Float64(),
		idle: s[2].Value.Float64(), assists: s[3].Value.Float64()}
}

// collectorUse is what the collector did between two readings.
type collectorUse struct {
	cycles                 uint64
	workers, idle, assists time.Duration
}

func (r collectorReading) since(before collectorReading) collectorUse {
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	return collectorUse{cycles: r.cycles - before.cycles, workers: sec(r.workers - before.workers),
		idle: sec(r.idle - before.idle), assists: sec(r.assists - before.assists)}
}

func (u collectorUse) String() string {
	return fmt.Sprintf("%d collections ended in it; their marking took %.2f s of CPU in workers, %.2f s in idle time and %.2f s in assists",
		u.cycles, u.workers.Seconds(), u.idle.Seconds(), u.assists.Seconds())
}
