package loadtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"golang.org/x/crypto/bcrypt"

	"phananh/api"
	"phananh/app"
	"phananh/domain"
	"phananh/eventstore"
)

// Staff accounts the bench creates in each app it starts.
const (
	headName     = "bench.head"
	officerName  = "bench.officer"
	readerName   = "bench.supervisor"
	benchPasswd  = "bench-password-not-secret"
	benchCommune = "thuong-ha"
)

// rawStream is the scratch stream raw_publish writes to: the CASES stream's
// storage on the same server, with no per-subject checks.
const (
	rawStream  = "BENCH_RAW"
	rawSubject = "bench.raw"
)

// startApp starts the whole service as `phananh serve` does, on loopback
// only, with cheap passwords and no snapshots, and waits until it is ready.
func startApp(ctx context.Context, cfg Config, mode Mode, dir string) (*app.App, error) {
	a, err := app.Start(ctx, app.Config{
		DataDir: dir, HTTPAddr: "127.0.0.1:0", NATSListen: "127.0.0.1:-1",
		SyncAlways: mode.SyncAlways, NoGroupCommit: cfg.NoGroupCommit, NoSnapshots: true, PasswordCost: bcrypt.MinCost,
		OverdueInterval: time.Hour, Log: cfg.Log,
		// One client on loopback sends thousands of requests a second: the
		// per-address limits would measure themselves, not the service.
		Limits: &api.Limits{},
	})
	if err != nil {
		return nil, err
	}
	if err := waitReady(ctx, a.Runner.Ready, 10*time.Minute); err != nil {
		a.Close(context.Background())
		return nil, err
	}
	return a, nil
}

// writePhases measures raw_publish, submit and actions in one fresh app in
// the mode.
func writePhases(ctx context.Context, cfg Config, mode Mode, root string, rep *Report) error {
	a, err := startApp(ctx, cfg, mode, filepath.Join(root, mode.Name))
	if err != nil {
		return err
	}
	defer a.Close(context.Background())
	c := newClient(a.HTTPAddr(), cfg.Concurrency)
	defer c.close()

	// One report first: its stored message is the raw phase's payload, and
	// its unit is where the staff of the action phase work.
	first, err := submitOne(ctx, c)
	if err != nil {
		return fmt.Errorf("first report: %w", err)
	}
	nc, err := nats.Connect(a.NATSURL(), nats.Name("phananh-bench"))
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return err
	}
	stored, err := js.Stream(ctx, eventstore.StreamName)
	if err != nil {
		return err
	}
	sample, err := stored.GetMsg(ctx, first.Seq)
	if err != nil {
		return fmt.Errorf("read the first report's event: %w", err)
	}

	// raw_publish, the HTTP floor and submit take turns in short rounds, so
	// a burst of someone else's disk or CPU use on this shared machine
	// lands on all of them rather than on one: the ratio is what counts.
	rounds := int(min(max(cfg.Duration/time.Second, 1), 5))
	slot := cfg.Duration / time.Duration(rounds)
	fmt.Fprintf(cfg.Progress, "[%s] raw_publish, GET /healthz and submit: %d clients, %d rounds of %s + %s + %s, %d-byte events\n",
		mode.Name, cfg.Concurrency, rounds, slot, slot/5, slot, len(sample.Data)+headerSize(sample.Header))
	if err := createRawStream(ctx, js); err != nil {
		return err
	}
	defer js.DeleteStream(context.Background(), rawStream)
	header := plainHeader(sample.Header)
	var rawLat, floorLat, subLat latencies
	var rawTook, floorTook, subTook time.Duration
	pool := &casePool{}
	groupStart := a.Store.GroupStats()
	for round := range rounds {
		end := cfg.phase(fmt.Sprintf("raw_publish_%s_%d", mode.Name, round))
		took, err := rawPublish(ctx, js, header, sample.Data, slot, cfg.Concurrency, &rawLat)
		end()
		if err != nil {
			return fmt.Errorf("raw_publish: %w", err)
		}
		rawTook += took
		end = cfg.phase(fmt.Sprintf("http_floor_%s_%d", mode.Name, round))
		took, err = httpFloor(ctx, c, slot/5, cfg.Concurrency, &floorLat)
		end()
		if err != nil {
			return fmt.Errorf("GET /healthz: %w", err)
		}
		floorTook += took
		end = cfg.phase(fmt.Sprintf("submit_%s_%d", mode.Name, round))
		took, err = submitPhase(ctx, c, slot, cfg.Concurrency, &subLat, pool)
		end()
		if err != nil {
			return fmt.Errorf("submit: %w", err)
		}
		subTook += took
	}
	raw, floor, sub := rawLat.summary(rawTook), floorLat.summary(floorTook), subLat.summary(subTook)
	rep.add("raw_publish_"+mode.Name, raw.rate(), "msgs/s")
	rep.add("http_floor_"+mode.Name, floor.rate(), "req/s")
	rep.add("submit_"+mode.Name, sub.rate(), "req/s")
	rep.add("submit_p50_"+mode.Name, ms(sub.p50), "ms")
	rep.add("submit_p99_"+mode.Name, ms(sub.p99), "ms")
	rep.add("submit_ratio_"+mode.Name, sub.rate()/raw.rate(), "ratio")
	rep.note("%s: raw_publish p50 %.2f ms p99 %.2f ms; payload %d bytes (the stored event of a report, headers included)",
		mode.Name, ms(raw.p50), ms(raw.p99), len(sample.Data)+headerSize(sample.Header))
	rep.note("%s: http_floor is GET /healthz through the same middleware and clients: the most any HTTP endpoint can do here", mode.Name)
	groupStart = noteGroups(rep, mode.Name+": submit", a.Store, groupStart)

	fmt.Fprintf(cfg.Progress, "[%s] actions: %d staff clients on %d cases, %s\n", mode.Name, cfg.Concurrency, len(pool.received)+1, cfg.Duration)
	for _, u := range []struct {
		name string
		role domain.Role
	}{{headName, domain.RoleUnitHead}, {officerName, domain.RoleOfficer}} {
		if err := a.Users.Add(ctx, u.name, first.Unit, u.role, benchPasswd); err != nil {
			return fmt.Errorf("add %s: %w", u.name, err)
		}
	}
	head, err := c.login(ctx, headName, benchPasswd)
	if err != nil {
		return err
	}
	pool.received = append(pool.received, &benchCase{id: first.ID, version: first.Seq})
	end := cfg.phase("actions_" + mode.Name)
	act, err := actionPhase(ctx, head, pool, cfg)
	end()
	if err != nil {
		return fmt.Errorf("actions: %w", err)
	}
	rep.add("actions_"+mode.Name, act.rate(), "req/s")
	rep.add("actions_p99_"+mode.Name, ms(act.p99), "ms")
	rep.add("actions_conflicts_"+mode.Name, float64(act.conflicts), "count")
	rep.note("%s: actions accept %d, assign %d, comment %d, resolve %d; 409s %d (%d sent stale on purpose)",
		mode.Name, act.done[opAccept], act.done[opAssign], act.done[opComment], act.done[opResolve],
		act.conflicts, act.stale)
	noteGroups(rep, mode.Name+": actions", a.Store, groupStart)
	return nil
}

// noteGroups notes what group commit did since before, if it is on, and
// returns the stats now.
func noteGroups(rep *Report, what string, s *eventstore.Store, before eventstore.GroupStats) eventstore.GroupStats {
	now := s.GroupStats()
	appends := now.Appends - before.Appends
	if appends == 0 {
		return now
	}
	batches, batched := now.Batches-before.Batches, now.Batched-before.Batched
	mean := 0.0
	if batches > 0 {
		mean = float64(batched) / float64(batches)
	}
	rep.note("%s: group commit: %d appends, %d in %d batches (%.1f a batch), %d otherwise; stale: %d refused unsent, %d taken out of batches; %d refused batches sent again one by one",
		what, appends, batched, batches, mean, appends-batched, now.Stale-before.Stale, now.Conflicts-before.Conflicts, now.Fallbacks-before.Fallbacks)
	return now
}

// plainHeader is the stored event's headers without the ones JetStream acts
// on (the de-duplication id and the concurrency check, which would make
// every publish after the first a duplicate or a conflict), padded back to
// the same size so the raw publish carries as many bytes.
func plainHeader(h nats.Header) nats.Header {
	out := nats.Header{}
	removed := 0
	for k, vs := range h {
		if strings.HasPrefix(k, "Nats-") {
			for _, v := range vs {
				removed += len(k) + len(v) + 4
			}
			continue
		}
		out[k] = vs
	}
	if pad := removed - len("Bench-Pad") - 4; pad > 0 {
		out.Set("Bench-Pad", strings.Repeat("x", pad))
	}
	return out
}

func headerSize(h nats.Header) int {
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

func createRawStream(ctx context.Context, js jetstream.JetStream) error {
	_, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: rawStream, Subjects: []string{rawSubject},
		Storage: jetstream.FileStorage, Retention: jetstream.LimitsPolicy, Discard: jetstream.DiscardNew,
		MaxMsgs: -1, MaxBytes: -1, Replicas: 1})
	return err
}

// rawPublish publishes the stored event's headers and body to the scratch
// stream, which has the same storage, from the same number of publishers,
// each waiting for its acknowledgement as an append does.
func rawPublish(ctx context.Context, js jetstream.JetStream, header nats.Header, data []byte, d time.Duration, n int, lat *latencies) (time.Duration, error) {
	var failed phaseFailures
	elapsed := runFor(ctx, d, n, func(ctx context.Context, _ int, until time.Time) {
		own := make([]time.Duration, 0, 1024)
		for time.Now().Before(until) && ctx.Err() == nil {
			msg := &nats.Msg{Subject: rawSubject, Header: header, Data: data}
			t0 := time.Now()
			if _, err := js.PublishMsg(ctx, msg); err != nil {
				failed.add(err.Error())
				continue
			}
			own = append(own, time.Since(t0))
		}
		lat.add(own)
	})
	if err := failed.err("publishes"); err != nil {
		return elapsed, err
	}
	return elapsed, ctx.Err()
}

// httpFloor sends GET /healthz, which does nothing, through the same
// server, middleware and clients: what HTTP alone costs here.
func httpFloor(ctx context.Context, c *client, d time.Duration, n int, lat *latencies) (time.Duration, error) {
	var failed phaseFailures
	elapsed := runFor(ctx, d, n, func(ctx context.Context, _ int, until time.Time) {
		own := make([]time.Duration, 0, 1024)
		for time.Now().Before(until) && ctx.Err() == nil {
			t0 := time.Now()
			if status, err := c.do(ctx, http.MethodGet, "/healthz", nil, "", nil); err != nil || status != http.StatusOK {
				failed.add(fmt.Sprintf("%d %v", status, err))
				continue
			}
			own = append(own, time.Since(t0))
		}
		lat.add(own)
	})
	if err := failed.err("requests"); err != nil {
		return elapsed, err
	}
	return elapsed, ctx.Err()
}

// runFor runs n workers until the duration is over and returns how long
// they took (the last one finishes its request after the deadline).
func runFor(ctx context.Context, d time.Duration, n int, work func(ctx context.Context, worker int, until time.Time)) time.Duration {
	start := time.Now()
	until := start.Add(d)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { work(ctx, i, until) })
	}
	wg.Wait()
	return time.Since(start)
}

// receipt is the answer to a report.
type receipt struct {
	ID   string `json:"id"`
	Seq  uint64 `json:"seq"`
	Unit string `json:"unit"`
}

// reportBody is a citizen's anonymous report about waste, with a fresh
// client-side id as the mobile app sends it. It is appended to a template
// rather than marshalled from a map: the load client's work shares the
// cores with the service it measures.
func reportBody(n uint64) []byte {
	b := make([]byte, 0, 320)
	b = append(b, `{"id":"`...)
	b = append(b, uuid.Must(uuid.NewV7()).String()...)
	b = append(b, `","category":"pollution.waste","title":"Bãi rác tự phát ven suối số `...)
	b = strconv.AppendUint(b, n, 10)
	b = append(b, `","description":"Rác thải sinh hoạt đổ xuống suối gần cầu, bốc mùi và tràn ra đường khi trời mưa.",`+
		`"location":{"commune":"`+benchCommune+`","address":"Cầu Nậm Lúc"},"anonymous":true}`...)
	return b
}

var reportSeq atomic.Uint64

func submitOne(ctx context.Context, c *client) (receipt, error) {
	var r receipt
	var failure string
	_, err := c.do(ctx, http.MethodPost, "/api/v1/reports", reportBody(reportSeq.Add(1)), "", func(status int, data []byte) {
		if status != http.StatusCreated || json.Unmarshal(data, &r) != nil || r.ID == "" {
			failure = fmt.Sprintf("%d %s", status, data)
		}
	})
	if err != nil {
		return receipt{}, err
	}
	if failure != "" {
		return receipt{}, fmt.Errorf("POST /api/v1/reports: %s", failure)
	}
	return r, nil
}

// submitPhase posts reports from every client for d. The reports it
// created go to the pool: they are the action phase's cases.
func submitPhase(ctx context.Context, c *client, d time.Duration, n int, lat *latencies, pool *casePool) (time.Duration, error) {
	var failed phaseFailures
	elapsed := runFor(ctx, d, n, func(ctx context.Context, _ int, until time.Time) {
		own := make([]time.Duration, 0, 1024)
		var mine []*benchCase
		for time.Now().Before(until) && ctx.Err() == nil {
			t0 := time.Now()
			r, err := submitOne(ctx, c)
			if err != nil {
				failed.add(err.Error())
				continue
			}
			own = append(own, time.Since(t0))
			mine = append(mine, &benchCase{id: r.ID, version: r.Seq})
		}
		lat.add(own)
		pool.mu.Lock()
		pool.received = append(pool.received, mine...)
		pool.mu.Unlock()
	})
	if err := failed.err("reports"); err != nil {
		return elapsed, err
	}
	return elapsed, ctx.Err()
}

// The actions, in the order a case goes through them.
const (
	opAccept = iota
	opAssign
	opComment
	opResolve
	numOps
)

var opPath = [numOps]string{"accept", "assign", "comment", "resolve"}

// benchCase is a case the action phase works on, with the version the
// staff last saw.
type benchCase struct {
	id      string
	version uint64
}

// casePool holds the cases by the state the next action needs. Accept,
// assign and resolve take a case out while they act on it; comments pick
// any assigned case, so two clients may comment on the same case at once
// and one of them gets a real 409.
type casePool struct {
	mu                           sync.Mutex
	received, accepted, assigned []*benchCase
}

func (p *casePool) list(op int) *[]*benchCase {
	switch op {
	case opAccept:
		return &p.received
	case opAssign:
		return &p.accepted
	}
	return &p.assigned
}

// take picks an action by the mix among those that have a case to act on,
// and the case. ok is false when no action has one.
func (p *casePool) take(r *rand.Rand, weights [numOps]float64) (op int, c *benchCase, version uint64, ok bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var avail [numOps]float64
	total := 0.0
	for op := range numOps {
		if len(*p.list(op)) > 0 {
			avail[op] = weights[op]
			total += weights[op]
		}
	}
	if total == 0 {
		return 0, nil, 0, false
	}
	x := r.Float64() * total
	op = -1
	for i := range numOps {
		if avail[i] == 0 {
			continue
		}
		op = i // the last available one, should rounding leave x past every weight
		if x < avail[i] {
			break
		}
		x -= avail[i]
	}
	l := p.list(op)
	i := r.IntN(len(*l))
	c = (*l)[i]
	if op != opComment {
		(*l)[i] = (*l)[len(*l)-1]
		*l = (*l)[:len(*l)-1]
	}
	return op, c, c.version, true
}

// done records an action's answer: the case's new version and where it
// goes next. A case whose action failed otherwise is dropped.
func (p *casePool) done(op int, c *benchCase, version uint64, status int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c.version = max(c.version, version)
	if op == opComment {
		return
	}
	switch {
	case status == http.StatusConflict:
		*p.list(op) = append(*p.list(op), c) // try again later, at the current version
	case status/100 == 2 && op != opResolve:
		*p.list(op + 1) = append(*p.list(op + 1), c)
	}
}

// actionResult is what the action phase saw.
type actionResult struct {
	summary
	done         [numOps]int64
	conflicts    int64
	stale        int64
	failures     int64
	firstFailure string
}

// actionPhase sends the mix of actions with If-Match from every client until
// the duration is over or no case is left to act on.
func actionPhase(ctx context.Context, head *client, pool *casePool, cfg Config) (actionResult, error) {
	weights := [numOps]float64{cfg.Mix.Accept, cfg.Mix.Assign, cfg.Mix.Comment, cfg.Mix.Resolve}
	bodies := [numOps][]byte{
		[]byte(`{"note":"Tiếp nhận để xử lý"}`),
		[]byte(`{"officer":"` + officerName + `","note":"Giao kiểm tra hiện trường"}`),
		[]byte(`{"text":"Đã liên hệ tổ dân phố để xác minh.","visibility":"internal"}`),
		[]byte(`{"summary":"Đã thu gom rác và xử phạt hộ vi phạm.","measures":"Lắp biển cấm đổ rác"}`),
	}
	var res actionResult
	var lat latencies
	var mu sync.Mutex
	var done [numOps]atomic.Int64
	var conflicts, stale, failures atomic.Int64
	elapsed := runFor(ctx, cfg.Duration, cfg.Concurrency, func(ctx context.Context, worker int, until time.Time) {
		r := rand.New(rand.NewPCG(uint64(worker), 0x9e3779b97f4a7c15))
		own := make([]time.Duration, 0, 1024)
		defer func() { lat.add(own) }()
		for time.Now().Before(until) && ctx.Err() == nil {
			op, c, version, ok := pool.take(r, weights)
			if !ok {
				return
			}
			sentStale := version > 1 && r.Float64() < cfg.Mix.Stale
			if sentStale {
				version--
			}
			t0 := time.Now()
			var ans struct {
				Version uint64 `json:"version"`
				Error   struct {
					CurrentVersion uint64 `json:"current_version"`
				} `json:"error"`
			}
			var failure string
			var took time.Duration
			status, err := head.do(ctx, http.MethodPost, "/api/v1/cases/"+c.id+"/"+opPath[op], bodies[op],
				strconv.Quote(strconv.FormatUint(version, 10)), func(status int, data []byte) {
					took = time.Since(t0) // the answer is in: reading it is the client's time
					_ = json.Unmarshal(data, &ans)
					if status/100 != 2 && status != http.StatusConflict {
						failure = string(data)
					}
				})
			switch {
			case err != nil || (status/100 != 2 && status != http.StatusConflict):
				if failures.Add(1) == 1 {
					mu.Lock()
					res.firstFailure = fmt.Sprintf("%s %s: %d %s %v", opPath[op], c.id, status, failure, err)
					mu.Unlock()
				}
			case status == http.StatusConflict:
				conflicts.Add(1)
				if sentStale {
					stale.Add(1)
				}
				own = append(own, took)
				ans.Version = ans.Error.CurrentVersion
			default:
				done[op].Add(1)
				own = append(own, took)
			}
			pool.done(op, c, ans.Version, status)
		}
	})
	s := lat.summary(elapsed)
	var ok int64
	for op := range numOps {
		res.done[op] = done[op].Load()
		ok += res.done[op]
	}
	res.summary = s
	res.summary.n = int(ok) // throughput counts the actions that took effect
	res.conflicts, res.stale, res.failures = conflicts.Load(), stale.Load(), failures.Load()
	if res.failures > 0 {
		return res, fmt.Errorf("%d actions failed other than by a conflict, the first: %s", res.failures, res.firstFailure)
	}
	if ok == 0 {
		return res, errors.New("no action succeeded")
	}
	return res, ctx.Err()
}
