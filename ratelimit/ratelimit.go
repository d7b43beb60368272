// Package ratelimit holds per-client token buckets: how many requests of a
// kind one client address may send, in a burst and over time. It is in
// memory and per replica (a replica counts what it sees), with a bounded
// number of clients: idle ones are forgotten.
package ratelimit

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rate is a token bucket: Events per Per on average, up to Burst at once.
// A Rate with no events (the zero Rate) limits nothing.
type Rate struct {
	Events float64
	Per    time.Duration
	Burst  int
}

// Off reports whether r limits nothing.
func (r Rate) Off() bool { return r.Events <= 0 || r.Per <= 0 }

// String writes r the way Parse reads it: "10/m burst 20", or "0".
func (r Rate) String() string {
	if r.Off() {
		return "0"
	}
	unit := map[time.Duration]string{time.Second: "s", time.Minute: "m", time.Hour: "h"}[r.Per]
	if unit == "" {
		unit = r.Per.String()
	}
	return fmt.Sprintf("%s/%s burst %d", strconv.FormatFloat(r.Events, 'f', -1, 64), unit, r.burst())
}

// burst is Burst, or at least one request.
func (r Rate) burst() int { return max(r.Burst, 1) }

// Parse reads a rate: "10/m burst 20" (s, m, h or a Go duration such as
// 30s after the slash), "10/m" (burst 10), or "0" / "off" (no limit).
func Parse(s string) (Rate, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" || strings.EqualFold(s, "off") {
		return Rate{}, nil
	}
	fields := strings.Fields(s)
	if len(fields) != 1 && (len(fields) != 3 || !strings.EqualFold(fields[1], "burst")) {
		return Rate{}, fmt.Errorf("ratelimit: %q: want N/unit, optionally followed by \"burst B\" (e.g. \"10/m burst 20\"), or 0", s)
	}
	num, per, ok := strings.Cut(fields[0], "/")
	if !ok {
		return Rate{}, fmt.Errorf("ratelimit: %q: want N/unit such as 10/m", s)
	}
	events, err := strconv.ParseFloat(num, 64)
	if err != nil || events < 0 || math.IsInf(events, 0) || math.IsNaN(events) {
		return Rate{}, fmt.Errorf("ratelimit: %q: %q is not a count of requests", s, num)
	}
	var d time.Duration
	switch per {
	case "s", "sec", "second":
		d = time.Second
	case "m", "min", "minute":
		d = time.Minute
	case "h", "hour":
		d = time.Hour
	default:
		if d, err = time.ParseDuration(per); err != nil || d <= 0 {
			return Rate{}, fmt.Errorf("ratelimit: %q: %q is not s, m, h or a duration", s, per)
		}
	}
	r := Rate{Events: events, Per: d, Burst: int(math.Ceil(events))}
	if len(fields) == 3 {
		b, err := strconv.Atoi(fields[2])
		if err != nil || b < 1 {
			return Rate{}, fmt.Errorf("ratelimit: %q: burst must be a positive whole number", s)
		}
		r.Burst = b
	}
	if events == 0 {
		return Rate{}, nil
	}
	return r, nil
}

// DefaultMaxClients bounds the clients a Limiter remembers.
const DefaultMaxClients = 100_000

// Limiter holds one token bucket per client key. A nil Limiter, or one
// with an Off rate, allows everything. It is safe for concurrent use.
type Limiter struct {
	rate       Rate
	limit      rate.Limit
	maxClients int
	// refill is how long an empty bucket takes to fill: a client idle that
	// long is back at a full bucket, so forgetting it changes nothing.
	refill time.Duration

	mu        sync.Mutex
	clients   map[string]*client
	lastSweep time.Time
}

type client struct {
	bucket *rate.Limiter
	last   time.Time
}

// New returns a Limiter for r remembering at most maxClients clients
// (0: DefaultMaxClients). It returns nil, which allows everything, when r
// is Off.
func New(r Rate, maxClients int) *Limiter {
	if r.Off() {
		return nil
	}
	if maxClients <= 0 {
		maxClients = DefaultMaxClients
	}
	perSecond := r.Events / r.Per.Seconds()
	refill := time.Duration(float64(r.burst()) / perSecond * float64(time.Second))
	return &Limiter{rate: r, limit: rate.Limit(perSecond), maxClients: maxClients,
		refill: refill, clients: map[string]*client{}}
}

// Rate is the limiter's rate; the zero Rate for a nil Limiter.
func (l *Limiter) Rate() Rate {
	if l == nil {
		return Rate{}
	}
	return l.rate
}

// Allow takes a token from key's bucket at now. When the bucket is empty
// it takes nothing and returns how long until a token is there, and false.
func (l *Limiter) Allow(key string, now time.Time) (retryAfter time.Duration, ok bool) {
	if l == nil {
		return 0, true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	c := l.clients[key]
	if c == nil {
		l.makeRoom(now)
		c = &client{bucket: rate.NewLimiter(l.limit, l.rate.burst())}
		l.clients[key] = c
	}
	c.last = now
	res := c.bucket.ReserveN(now, 1)
	if !res.OK() {
		return l.refill, false
	}
	if d := res.DelayFrom(now); d > 0 {
		res.CancelAt(now) // a refused request costs nothing
		return d, false
	}
	return 0, true
}

// Len is the number of clients remembered.
func (l *Limiter) Len() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.clients)
}

// idle reports whether c's bucket is full again at now.
func (l *Limiter) idle(c *client, now time.Time) bool { return now.Sub(c.last) >= l.refill }

// sweep forgets idle clients, at most once a minute (once a second while
// the map is full).
func (l *Limiter) sweep(now time.Time) {
	interval := time.Minute
	if len(l.clients) >= l.maxClients {
		interval = time.Second
	}
	if now.Sub(l.lastSweep) < interval {
		return
	}
	l.lastSweep = now
	for k, c := range l.clients {
		if l.idle(c, now) {
			delete(l.clients, k)
		}
	}
}

// makeRoom forgets one client when the map is full: among a sample (map
// order is random), the one seen least recently. The forgotten client
// starts again with a full bucket, which is the price of bounded memory.
func (l *Limiter) makeRoom(now time.Time) {
	if len(l.clients) < l.maxClients {
		return
	}
	var victim string
	var oldest time.Time
	n := 0
	for k, c := range l.clients {
		if victim == "" || c.last.Before(oldest) {
			victim, oldest = k, c.last
		}
		if n++; n == 64 || l.idle(c, now) {
			break
		}
	}
	delete(l.clients, victim)
}
