package projections_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"phananh/domain"
	"phananh/projections"
)

// decodedLike returns a copy of an envelope whose strings are its own, as
// an event decoded from the log holds them: a benchmark that shared one
// title among all cases would measure less memory than a replay keeps.
func decodedLike(tb testing.TB, env domain.Envelope) domain.Envelope {
	tb.Helper()
	b, err := json.Marshal(env.Event)
	if err != nil {
		tb.Fatal(err)
	}
	p := reflect.New(reflect.TypeOf(env.Event))
	if err := json.Unmarshal(b, p.Interface()); err != nil {
		tb.Fatal(err)
	}
	env.Event = p.Elem().Interface().(domain.Event)
	env.Actor.ID = strings.Clone(env.Actor.ID)
	env.Actor.Unit = strings.Clone(env.Actor.Unit)
	env.Actor.Role = domain.Role(strings.Clone(string(env.Actor.Role)))
	env.CorrelationID = strings.Clone(env.CorrelationID)
	return env
}

// heapLog calls fn with n cases of the first events of lifecycle (five
// for the whole case), in four units
// and thirty communes, interleaved as the log holds them. Each envelope is
// built when it is applied, so that after the replay only what the models
// keep is left on the heap.
func heapLog(tb testing.TB, n, events int, fn func(domain.Envelope)) {
	heapLogOf(tb, n, events, lifecycle, fn)
}

// commentedLife is a case as phananh bench's replay writes it
// (loadtest/reads.go caseEvents): reported, accepted, assigned, then
// internal comments, ten events in all.
func commentedLife(n int) []domain.Event {
	evs := lifecycle(n)[:3]
	for k := range 7 {
		evs = append(evs, domain.CommentAdded{Text: fmt.Sprintf("Ghi chú xác minh %d.", k)})
	}
	return evs
}

// heapLogOf is heapLog with the events of each case taken from life.
func heapLogOf(tb testing.TB, n, events int, life func(int) []domain.Event, fn func(domain.Envelope)) {
	units := []string{"ubnd.lao-cai", "ubnd.sa-pa", "ubnd.bat-xat", "so.tnmt"}
	ids := make([]uuid.UUID, n)
	for i := range ids {
		ids[i] = uuid.Must(uuid.NewV7())
	}
	var seq uint64
	for j := range events {
		for i := range n {
			e := life(i)[j]
			if r, ok := e.(domain.Reported); ok {
				r.Unit = units[i%len(units)]
				r.Location.Commune = fmt.Sprintf("xa-%d", i%30)
				e = r
			}
			actor := officer
			actor.Unit = units[i%len(units)]
			env := decodedLike(tb, envelopeAt(ids[i], actor, t0.Add(time.Duration(i)*time.Second+time.Duration(j)*time.Hour), e))
			seq++
			env.Seq = seq
			fn(env)
		}
	}
}

// heapState is what the collector has to do with the heap: what it holds,
// and what a collection must visit in it.
type heapState struct {
	inUse   uint64 // bytes in spans in use
	scan    uint64 // bytes the collector scans for pointers (noscan objects are left out)
	objects uint64 // live objects, each of which a collection marks
}

func heapNow() heapState {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	s := []metrics.Sample{{Name: "/gc/scan/heap:bytes"}, {Name: "/gc/heap/objects:objects"}}
	metrics.Read(s)
	return heapState{inUse: m.HeapInuse, scan: s[0].Value.Uint64(), objects: s[1].Value.Uint64()}
}

// markTime returns how long a forced collection takes on one processor,
// the median of five: it is mostly marking, whose length is what requests
// wait behind, and on one processor its time is its CPU.
func markTime() time.Duration {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var ds [5]time.Duration
	for i := range ds {
		start := time.Now()
		runtime.GC()
		ds[i] = time.Since(start)
	}
	slices.Sort(ds[:])
	return ds[2]
}

// BenchmarkHeapPerCase applies 20,000 cases of five events (lifecycle),
// and of ten (commentedLife, the _10 variants, as phananh bench replays),
// to each read model, and to all three, and reports the heap in use per
// case after a GC. The envelopes are built as they are applied (ns/op
// counts that too). The target is 2 KiB for the three together.
//
// It also reports what each case costs the collector: the bytes it scans
// for pointers (scan-B/case), the objects it marks (objects/case), and the
// time a forced collection takes (gc-ns/case, the median of five, on one
// processor with nothing else running). A collection's
// marking is what requests wait behind (BENCHMARKS.md, fifth session).
func BenchmarkHeapPerCase(b *testing.B) {
	const n = 20_000
	models := []struct {
		name   string
		models func() []projections.ReadModel
	}{
		{"case_view", func() []projections.ReadModel { return []projections.ReadModel{projections.NewCaseView()} }},
		{"queues", func() []projections.ReadModel { return []projections.ReadModel{projections.NewQueues()} }},
		{"dashboard", func() []projections.ReadModel {
			return []projections.ReadModel{projections.NewDashboard(domain.DefaultGeography())}
		}},
		{"all", func() []projections.ReadModel {
			return []projections.ReadModel{projections.NewCaseView(), projections.NewQueues(), projections.NewDashboard(domain.DefaultGeography())}
		}},
	}
	for _, life := range []struct {
		suffix string
		events int
		of     func(int) []domain.Event
	}{{"", 5, lifecycle}, {"_10", 10, commentedLife}} {
		for _, bm := range models {
			b.Run(bm.name+life.suffix, func(b *testing.B) {
				var perCase, scan, objects, gc float64
				for b.Loop() {
					b.StopTimer()
					before := heapNow()
					gcBefore := markTime()
					b.StartTimer()
					models := bm.models()
					heapLogOf(b, n, life.events, life.of, func(env domain.Envelope) {
						for _, m := range models {
							m.Apply(env)
						}
					})
					b.StopTimer()
					after := heapNow()
					perCase = float64(int64(after.inUse)-int64(before.inUse)) / n
					scan = float64(int64(after.scan)-int64(before.scan)) / n
					objects = float64(int64(after.objects)-int64(before.objects)) / n
					gc = float64(markTime()-gcBefore) / n
					runtime.KeepAlive(models)
					b.StartTimer()
				}
				b.ReportMetric(perCase, "heap-B/case")
				b.ReportMetric(scan, "scan-B/case")
				b.ReportMetric(objects, "objects/case")
				b.ReportMetric(gc, "gc-ns/case")
			})
		}
	}
}
