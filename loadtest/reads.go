package loadtest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/trace"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"phananh/domain"
	"phananh/eventstore"
	"phananh/projections"
)

// dataset is the log the read phases use: open cases spread over every
// commune, each reported, accepted, assigned and then commented on.
type dataset struct {
	ids    []uuid.UUID
	units  []string // the units that hold cases
	events uint64
}

// readPhases fills a log, measures replay and memory over it, then starts
// the app on it and measures queries under writes.
func readPhases(ctx context.Context, cfg Config, mode Mode, root string, rep *Report) error {
	dir := filepath.Join(root, "reads")
	ds, err := fillAndReplay(ctx, cfg, dir, rep)
	if err != nil {
		return err
	}
	return queryPhase(ctx, cfg, mode, dir, ds, rep)
}

// fillAndReplay appends the dataset straight through the event store (fast
// mode: this is set-up, not a measure of appends), then times a raw ordered
// consumer and a full rebuild of every read model over it.
func fillAndReplay(ctx context.Context, cfg Config, dir string, rep *Report) (*dataset, error) {
	jsDir := filepath.Join(dir, "jetstream")
	if err := os.MkdirAll(jsDir, 0o750); err != nil {
		return nil, err
	}
	emb, err := eventstore.StartEmbedded(eventstore.EmbeddedOptions{DataDir: jsDir, Listen: "127.0.0.1:-1"})
	if err != nil {
		return nil, err
	}
	defer emb.Shutdown()
	nc, err := nats.Connect(emb.ClientURL(), nats.Name("phananh-bench"), nats.SyncQueueLen(1024))
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return nil, err
	}
	store, err := eventstore.Open(ctx, js, eventstore.Config{})
	if err != nil {
		return nil, err
	}

	fmt.Fprintf(cfg.Progress, "[replay] appending %d events over %d cases\n", max(cfg.ReplayEvents, cfg.Cases), cfg.Cases)
	t0 := time.Now()
	ds, err := fill(ctx, store, cfg)
	if err != nil {
		return nil, fmt.Errorf("fill: %w", err)
	}
	fillTook := time.Since(t0)
	if err := forgetFillIDs(ctx, js); err != nil {
		return nil, err
	}
	rep.add("replay_events", float64(ds.events), "events")
	rep.note("replay: log of %d events over %d open cases in %d units appended in %s (%.0f events/s, relaxed sync, %d appenders)",
		ds.events, len(ds.ids), len(ds.units), fillTook.Round(time.Millisecond), float64(ds.events)/fillTook.Seconds(), cfg.Concurrency)

	fmt.Fprintln(cfg.Progress, "[replay] raw ordered consumer")
	end := cfg.phase("replay_raw")
	rawTook, err := rawReplay(ctx, js, ds.events)
	end()
	if err != nil {
		return nil, fmt.Errorf("raw replay: %w", err)
	}
	fmt.Fprintln(cfg.Progress, "[replay] rebuilding every read model")
	end = cfg.phase("replay_models")
	modelsTook, perCase, split, err := modelReplay(ctx, store, cfg, len(ds.ids))
	end()
	if err != nil {
		return nil, fmt.Errorf("rebuild: %w", err)
	}
	rawRate := float64(ds.events) / rawTook.Seconds()
	modelRate := float64(ds.events) / modelsTook.Seconds()
	rep.add("replay_raw", rawRate, "events/s")
	rep.add("replay_models", modelRate, "events/s")
	rep.add("replay_ratio", modelRate/rawRate, "ratio")
	rep.add("heap_bytes_per_case", perCase, "bytes")
	rep.note("replay: %s", split[0])
	return ds, nil
}

// fill appends the dataset from cfg.Concurrency goroutines, one event per
// append (128 goroutines were no faster: the two cores are the limit).
// Events are made by domain.Decide, as the service makes them, so the log
// is one the service could have written.
func fill(ctx context.Context, store *eventstore.Store, cfg Config) (*dataset, error) {
	rules := domain.Rules{Geo: domain.DefaultGeography(), Policy: domain.DefaultPolicy()}
	communes := rules.Geo.Communes
	total := max(cfg.ReplayEvents, cfg.Cases)
	per, extra := total/cfg.Cases, total%cfg.Cases
	ds := &dataset{ids: make([]uuid.UUID, cfg.Cases)}
	units := make([]string, cfg.Cases)
	var next atomic.Int64
	var events atomic.Uint64
	var wg sync.WaitGroup
	errs := make(chan error, cfg.Concurrency)
	now := time.Now()
	for range cfg.Concurrency {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= cfg.Cases {
					return
				}
				n := per
				if i < extra {
					n++
				}
				envs, c, err := caseEvents(rules, communes[i%len(communes)].Code, i, n, now)
				if err != nil {
					errs <- err
					return
				}
				// One append per event: an atomic batch per case measured
				// about 100 cases/s here (its commit waits), one event per
				// round trip several thousand events/s.
				var version uint64
				for _, env := range envs {
					if version, err = store.Append(ctx, version, []domain.Envelope{env}); err != nil {
						errs <- err
						return
					}
				}
				events.Add(uint64(len(envs)))
				ds.ids[i], units[i] = c.ID, c.Unit
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := errors.Join(<-errs, ctx.Err()); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, u := range units {
		if !seen[u] {
			seen[u] = true
			ds.units = append(ds.units, u)
		}
	}
	ds.events = events.Load()
	return ds, nil
}

// forgetFillIDs empties JetStream's de-duplication window after the fill.
// The fill writes the whole log within a minute or two, so the window (two
// minutes, the stream's default) holds every message id of it: about
// 150 MB at a million events, live in this process and in the query
// phase's server, which reloads the ids still inside the window when it
// recovers the stream. A real log of a million events was written over
// years, and its server keeps only the last two minutes' ids. Shrinking
// the window purges them (the server's purge timer fires on the change)
// and the restarted server loads none; the app the query phase starts sets
// the window back (eventstore.Open), so its own writes are de-duplicated
// as in production.
func forgetFillIDs(ctx context.Context, js jetstream.JetStream) error {
	stream, err := js.Stream(ctx, eventstore.StreamName)
	if err != nil {
		return fmt.Errorf("forget the fill's message ids: %w", err)
	}
	cfg := stream.CachedInfo().Config
	cfg.Duplicates = 100 * time.Millisecond // the least JetStream takes
	if _, err := js.UpdateStream(ctx, cfg); err != nil {
		return fmt.Errorf("forget the fill's message ids: %w", err)
	}
	return nil
}

// caseEvents decides n events for the i-th case: reported, accepted,
// assigned, then internal comments; the case stays open. The description
// and the comments name the case, as people's texts are their own: texts
// repeated across cases would be shared in memory (the JSON decoder keeps
// one copy of a string up to 256 bytes it has seen recently), and the heap
// per case would leave them out.
func caseEvents(rules domain.Rules, commune string, i, n int, now time.Time) ([]domain.Envelope, domain.Case, error) {
	id := uuid.Must(uuid.NewV7())
	report := domain.SubmitReport{ID: id, Category: "pollution.waste", Anonymous: true,
		Title:       fmt.Sprintf("Bãi rác tự phát số %d", i),
		Description: fmt.Sprintf("Rác thải sinh hoạt đổ xuống suối gần cầu số %d, bốc mùi và tràn ra đường khi trời mưa.", i),
		Location:    domain.Location{Commune: commune, Address: "Thôn Nậm Lúc"}}
	cmds := []domain.Command{report, domain.Accept{Note: "Tiếp nhận"}, domain.Assign{Assignee: officerName}}
	c := domain.Case{}
	envs := make([]domain.Envelope, 0, n)
	for k := range n {
		cmd := domain.Command(domain.AddComment{Text: fmt.Sprintf("Ghi chú xác minh %d của vụ %d.", k, i)})
		if k < len(cmds) {
			cmd = cmds[k]
		}
		evs, err := domain.Decide(c, cmd, now, rules)
		if err != nil {
			return nil, c, fmt.Errorf("case %d event %d: %w", i, k, err)
		}
		actor := domain.Actor{ID: headName, Role: domain.RoleUnitHead, Unit: c.Unit}
		if k == 0 {
			actor = domain.Actor{Role: domain.RoleCitizen}
		}
		for _, ev := range evs {
			env := domain.Envelope{ID: uuid.Must(uuid.NewV7()), CaseID: id, Time: now, Actor: actor, Event: ev}
			envs = append(envs, env)
			c = domain.Evolve(c, env)
		}
	}
	c.ID = id
	return envs, c, nil
}

// rawReplay reads the whole stream with an ordered consumer and does
// nothing with the messages: the limit a rebuild is measured against.
func rawReplay(ctx context.Context, js jetstream.JetStream, events uint64) (time.Duration, error) {
	t0 := time.Now()
	cons, err := js.OrderedConsumer(ctx, eventstore.StreamName, jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy})
	if err != nil {
		return 0, err
	}
	it, err := cons.Messages()
	if err != nil {
		return 0, err
	}
	defer it.Stop()
	readCtx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	for n := uint64(0); n < events; n++ {
		if _, err := it.Next(jetstream.NextContext(readCtx)); err != nil {
			return 0, fmt.Errorf("after %d of %d events: %w", n, events, err)
		}
	}
	return time.Since(t0), nil
}

// modelReplay rebuilds every read model the app has from the log, as the
// app does at start, and measures the live heap they hold: the heap with
// the models minus the heap once they are dropped, so what the embedded
// server caches does not count. Dropping them one at a time splits the
// figure by model.
func modelReplay(ctx context.Context, store *eventstore.Store, cfg Config, cases int) (time.Duration, float64, []string, error) {
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	view, queues := projections.NewCaseView(), projections.NewQueues()
	dash := projections.NewDashboard(domain.DefaultGeography())
	runner := projections.NewRunner(store, cfg.Log, view, queues, dash)
	done := make(chan error, 1)
	go func() { done <- runner.Run(runCtx) }()
	if err := waitReady(ctx, runner.Ready, 10*time.Minute); err != nil {
		return 0, 0, nil, err
	}
	took := runner.Startup().Rebuild
	if got := view.Len(); got != cases {
		return 0, 0, nil, fmt.Errorf("the case view holds %d cases, want %d", got, cases)
	}
	stop()
	<-done
	// Each model is live until its KeepAlive and garbage after it.
	runner = nil
	all := liveHeap()
	runtime.KeepAlive(dash)
	noDash := liveHeap()
	runtime.KeepAlive(queues)
	noQueues := liveHeap()
	runtime.KeepAlive(view)
	none := liveHeap()
	per := func(a, b uint64) float64 { return float64(int64(a)-int64(b)) / float64(cases) }
	split := []string{fmt.Sprintf("heap per case by model: case view %.0f B, queues %.0f B, dashboard %.0f B",
		per(noQueues, none), per(noDash, noQueues), per(all, noDash))}
	return took, per(all, none), split, nil
}

func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// queryPhase starts the app on the dataset (it rebuilds at start), then
// measures queue pages, case views and the month's dashboard twice while
// reports are written:
//
//   - at a steady load (the target is measured here): writers offer
//     cfg.QueryWriteShare of the submit throughput this run measured in the
//     same mode, readers cfg.QueryReads queries a second, both open loop:
//     each request is sent at its turn whatever the answers before it did.
//     Latency counts from the send, not the turn: an in-process client's
//     timer firing late would otherwise be charged to the service. How
//     many reads went out late is noted, so a stall that held back later
//     requests (coordinated omission) shows;
//   - flat out, for a quarter of the duration (thousands of reads still,
//     and `bench --duration 5s` stays within a minute): every client sends
//     its next request as soon as the last is answered, a few readers among
//     many writers. The two cores are then saturated, and a read's latency
//     is mostly its wait for a CPU behind the writers' work (Little's law),
//     not what it costs.
func queryPhase(ctx context.Context, cfg Config, mode Mode, dir string, ds *dataset, rep *Report) error {
	fmt.Fprintf(cfg.Progress, "[queries] app (%s) rebuilding %d events\n", mode.Name, ds.events)
	a, err := startApp(ctx, cfg, mode, dir)
	if err != nil {
		return err
	}
	defer a.Close(context.Background())
	rep.note("queries: app in %s mode rebuilt %d events at start in %s", mode.Name, ds.events, a.Runner.Startup().Rebuild.Round(time.Millisecond))
	if err := a.Users.Add(ctx, readerName, "mttq.tinh", domain.RoleSupervisor, benchPasswd); err != nil {
		return err
	}
	c := newClient(a.HTTPAddr(), cfg.Concurrency)
	defer c.close()
	reader, err := c.login(ctx, readerName, benchPasswd)
	if err != nil {
		return err
	}
	q := queryLoad{ds: ds, writer: c, reader: reader, weights: []float64{cfg.Mix.Queue, cfg.Mix.Case, cfg.Mix.Dashboard},
		month: time.Now().In(domain.Vietnam).Format("2006-01")}
	q.readers = min(max(1, cfg.Concurrency/8), 4)
	q.writers = cfg.Concurrency - q.readers

	submitted, _ := rep.Get("submit_" + mode.Name)
	q.writeRate = cfg.QueryWriteShare * submitted
	q.readRate = cfg.QueryReads
	fmt.Fprintf(cfg.Progress, "[queries] steady: %.0f reads/s from %d readers, %.0f writes/s from %d writers, %s\n",
		q.readRate, q.readers, q.writeRate, q.writers, cfg.QueryWindow())
	end := cfg.phase("queries")
	steady, err := q.run(ctx, cfg.QueryWindow())
	end()
	if err != nil {
		return err
	}
	steady.report(rep, "")
	rep.add("query_writes", steady.writes.rate(), "req/s")
	rep.add("query_reads_over_target", steady.overShare(), "%")
	rep.add("query_collections", float64(steady.gc.cycles), "count")
	rep.note("queries: steady load for %s: %.0f reads/s offered (%s; %d sent over 1 ms after their turn; %d over %s), %.0f reports/s offered (%.2f of submit_%s %.0f/s), open loop",
		cfg.QueryWindow(), q.readRate, steady.counts(), steady.late, steady.over, queryTarget, q.writeRate, cfg.QueryWriteShare, mode.Name, submitted)
	rep.note("queries: collector in the steady window: %s", steady.gc)

	q.readRate, q.writeRate = 0, 0
	flatFor := max(cfg.Duration/4, time.Millisecond)
	fmt.Fprintf(cfg.Progress, "[queries] flat out: %d readers, %d writers, %s\n", q.readers, q.writers, flatFor)
	end = cfg.phase("queries_flat_out")
	flat, err := q.run(ctx, flatFor)
	end()
	if err != nil {
		return err
	}
	flat.report(rep, "_flat_out")
	rep.add("query_writes_flat_out", flat.writes.rate(), "req/s")
	rep.note("queries: flat out: %d readers and %d writers, each sending as soon as answered (%s); collector: %s", q.readers, q.writers, flat.counts(), flat.gc)
	return ctx.Err()
}

// queryLoad is what the query phase sends: reads of the dataset's queues,
// cases and dashboard, and new reports. A rate of 0 means closed loop.
type queryLoad struct {
	ds                  *dataset
	writer, reader      *client
	weights             []float64
	month               string
	readers, writers    int
	readRate, writeRate float64 // per second, over all readers or writers
}

// queryResult is one run's latencies by kind of query, and the writes.
type queryResult struct {
	kinds  [3]summary
	writes summary
	late   int64 // reads sent more than 1 ms after their turn
	over   int   // reads answered in more than queryTarget
	gc     collectorUse
}

// queryTarget is the bound on a queue page's and the dashboard's
// p99. How many reads exceed it tells more than a p99 read off a short
// window: in a 10 s window of 2 000 reads the p99 is the 21st slowest, so
// one stall of a few hundred milliseconds decides it. Reads of every kind
// (queue pages, case views, the dashboard) are counted against it.
const queryTarget = 5 * time.Millisecond

// overShare is the percentage of reads answered in more than queryTarget.
func (r queryResult) overShare() float64 {
	n := 0
	for _, k := range r.kinds {
		n += k.n
	}
	if n == 0 {
		return 0
	}
	return 100 * float64(r.over) / float64(n)
}

var queryKinds = [3]string{"queue", "case", "dashboard"}

// readRegions name the trace region of each kind of read ("read queue", …),
// made once rather than per read.
var readRegions = func() (r [3]string) {
	for k, name := range queryKinds {
		r[k] = "read " + name
	}
	return r
}()

func (r queryResult) report(rep *Report, suffix string) {
	for k, name := range queryKinds {
		if r.kinds[k].n == 0 {
			continue
		}
		rep.add("query_"+name+"_p50"+suffix, ms(r.kinds[k].p50), "ms")
		rep.add("query_"+name+"_p99"+suffix, ms(r.kinds[k].p99), "ms")
	}
}

func (r queryResult) counts() string {
	parts := make([]string, 0, len(queryKinds))
	for k, name := range queryKinds {
		parts = append(parts, fmt.Sprintf("%s %d (%.0f/s)", name, r.kinds[k].n, r.kinds[k].rate()))
	}
	return strings.Join(parts, ", ")
}

// run sends the load for d and sums up what came back.
func (q *queryLoad) run(ctx context.Context, d time.Duration) (queryResult, error) {
	var lat [3]latencies
	var writes latencies
	var late atomic.Int64
	var failed phaseFailures
	before := readCollector()
	elapsed := runFor(ctx, d, q.readers+q.writers, func(ctx context.Context, worker int, until time.Time) {
		r := rand.New(rand.NewPCG(uint64(worker), 0x2545f4914f6cdd1d))
		var own [3][]time.Duration
		var wrote []time.Duration
		defer func() {
			for k := range own {
				lat[k].add(own[k])
			}
			writes.add(wrote)
		}()
		writer := worker < q.writers
		rate, n, i := q.readRate, q.readers, worker-q.writers
		if writer {
			rate, n, i = q.writeRate, q.writers, worker
		}
		next := newSchedule(rate, n, i)
		for ctx.Err() == nil {
			at, ok := next(until)
			if !ok {
				return
			}
			if writer {
				t0 := time.Now()
				if _, err := submitOne(ctx, q.writer); err != nil {
					failed.add(err.Error())
					continue
				}
				wrote = append(wrote, time.Since(t0))
				continue
			}
			kind := pick(r, q.weights)
			var path string
			switch kind {
			case 0:
				path = "/api/v1/queues/" + q.ds.units[r.IntN(len(q.ds.units))] + "?open=true&limit=50"
			case 1:
				path = "/api/v1/cases/" + q.ds.ids[r.IntN(len(q.ds.ids))].String()
			default:
				path = "/api/v1/dashboard/monthly?month=" + q.month
			}
			t0 := time.Now()
			if t0.Sub(at) > time.Millisecond {
				late.Add(1)
			}
			var failure string
			// A region per read, so that an execution trace (bench
			// --trace) shows what ran while a slow one waited.
			region := trace.StartRegion(ctx, readRegions[kind])
			status, err := q.reader.do(ctx, http.MethodGet, path, nil, "", func(status int, data []byte) {
				if status != http.StatusOK {
					failure = fmt.Sprintf("%.200s", data)
				}
			})
			region.End()
			if err != nil || status != http.StatusOK {
				failed.add(fmt.Sprintf("GET %s: %d %s %v", path, status, failure, err))
				continue
			}
			own[kind] = append(own[kind], time.Since(t0))
		}
	})
	gc := readCollector().since(before) // before the sorting below
	if err := failed.err("requests"); err != nil {
		return queryResult{}, fmt.Errorf("queries: %w", err)
	}
	var res queryResult
	for k := range lat {
		res.kinds[k] = lat[k].summary(elapsed)
		res.over += lat[k].over(queryTarget)
	}
	res.writes = writes.summary(elapsed)
	res.late = late.Load()
	res.gc = gc
	return res, ctx.Err()
}

// newSchedule returns when the i-th of n clients sharing rate requests a
// second sends its next request: every n/rate seconds, the clients offset
// from one another so their requests interleave rather than arrive
// together. It waits until that time and returns it; a client that is late
// (its last answer came after its next turn) sends at once, and its latency
// still counts from the turn it missed. Rate 0 is closed loop: now, every
// time. ok is false once the next turn is past until.
func newSchedule(rate float64, n, i int) func(until time.Time) (at time.Time, ok bool) {
	if rate <= 0 {
		return func(until time.Time) (time.Time, bool) {
			now := time.Now()
			return now, now.Before(until)
		}
	}
	every := time.Duration(float64(n) / rate * float64(time.Second))
	turn := time.Now().Add(every * time.Duration(i) / time.Duration(n))
	return func(until time.Time) (time.Time, bool) {
		at := turn
		if !at.Before(until) {
			return at, false
		}
		turn = turn.Add(every)
		if wait := time.Until(at); wait > 0 {
			time.Sleep(wait)
		}
		return at, true
	}
}

// pick chooses an index by weight.
func pick(r *rand.Rand, weights []float64) int {
	total := 0.0
	for _, w := range weights {
		total += w
	}
	x := r.Float64() * total
	for i, w := range weights {
		if x < w {
			return i
		}
		x -= w
	}
	return len(weights) - 1
}
