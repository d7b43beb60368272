package staff

import (
	"sync"
	"time"
)

// ThrottleConfig tunes a Throttle. Zero fields take the defaults.
type ThrottleConfig struct {
	// NameFailures is how many failed logins for one name, each within
	// Window of the previous, lock that name. Default 5.
	NameFailures int
	// IPFailures is the same for one client address. Default 20: a commune
	// office is often many people behind one address, and five typos among
	// them must not lock the whole office out. The per-name limit is what
	// stops guessing one account's password.
	IPFailures int
	// Window is how long a record lasts without a failure (and after the
	// end of its lock). Default 15 minutes.
	Window time.Duration
	// FirstDelay is the lock after the limit's failure; each further
	// failure doubles it, up to MaxDelay. Defaults 1 minute and 15 minutes.
	FirstDelay time.Duration
	MaxDelay   time.Duration
	// MaxKeys bounds the records kept. Default 100 000.
	MaxKeys int
	// Now is the clock. Default time.Now.
	Now func() time.Time
}

// Throttle slows down password guessing, per account name and per client
// address. It is in memory, per replica: a replica counts what it sees.
// It is safe for concurrent use.
//
// Attempt counts a login as failed before the password is even checked, so
// a burst of concurrent guesses cannot all slip through while the first
// ones are being hashed; Succeeded takes the count back.
type Throttle struct {
	cfg ThrottleConfig

	mu        sync.Mutex
	records   map[string]*record
	lastSweep time.Time
}

type record struct {
	failures int
	last     time.Time // the latest failure
	until    time.Time // locked until then; zero if not locked
	limit    int
}

// NewThrottle returns a Throttle with cfg's settings.
func NewThrottle(cfg ThrottleConfig) *Throttle {
	if cfg.NameFailures <= 0 {
		cfg.NameFailures = 5
	}
	if cfg.IPFailures <= 0 {
		cfg.IPFailures = 20
	}
	if cfg.Window <= 0 {
		cfg.Window = 15 * time.Minute
	}
	if cfg.FirstDelay <= 0 {
		cfg.FirstDelay = time.Minute
	}
	if cfg.MaxDelay <= 0 {
		cfg.MaxDelay = 15 * time.Minute
	}
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = 100_000
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Throttle{cfg: cfg, records: map[string]*record{}}
}

// throttleKey is a record's key and the failures that lock it.
type throttleKey struct {
	key   string
	limit int
}

// keys names the records of a login attempt; an empty name or address has none.
func (t *Throttle) keys(name, ip string) []throttleKey {
	var ks []throttleKey
	if name != "" {
		ks = append(ks, throttleKey{nameKey(name), t.cfg.NameFailures})
	}
	if ip != "" {
		ks = append(ks, throttleKey{ipKey(ip), t.cfg.IPFailures})
	}
	return ks
}

func nameKey(name string) string { return "n\x00" + name }
func ipKey(ip string) string     { return "a\x00" + ip }

// Attempt asks whether a login for name from client address ip may be
// tried now. If either is locked it returns how long to wait and false,
// and counts nothing. Otherwise it counts the attempt as a failure of both
// (the caller calls Succeeded if the password proves right) and returns true.
func (t *Throttle) Attempt(name, ip string) (retryAfter time.Duration, ok bool) {
	now := t.cfg.Now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweep(now)
	ks := t.keys(name, ip)
	for _, k := range ks {
		r := t.records[k.key]
		if r == nil {
			continue
		}
		if t.expired(r, now) {
			delete(t.records, k.key)
			continue
		}
		if now.Before(r.until) {
			retryAfter = max(retryAfter, r.until.Sub(now))
		}
	}
	if retryAfter > 0 {
		return retryAfter, false
	}
	for _, k := range ks {
		r := t.records[k.key]
		if r == nil {
			t.makeRoom(now)
			r = &record{limit: k.limit}
			t.records[k.key] = r
		}
		r.failures++
		r.last = now
		if r.failures >= r.limit {
			r.until = now.Add(t.delay(r.failures - r.limit))
		}
	}
	return 0, true
}

// Succeeded takes back what Attempt counted after the password proved
// right: the name's record is forgotten entirely, the address's only loses
// this attempt, so that an attacker who owns one account cannot clear an
// address's failures by logging into it.
func (t *Throttle) Succeeded(name, ip string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if name != "" {
		delete(t.records, nameKey(name))
	}
	if ip == "" {
		return
	}
	r := t.records[ipKey(ip)]
	if r == nil {
		return
	}
	if r.failures--; r.failures <= 0 {
		delete(t.records, ipKey(ip))
		return
	}
	if r.failures < r.limit {
		r.until = time.Time{}
	} else {
		r.until = r.last.Add(t.delay(r.failures - r.limit))
	}
}

// Len is the number of records kept.
func (t *Throttle) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.records)
}

// delay is the lock after the limit's failure plus extra further failures.
func (t *Throttle) delay(extra int) time.Duration {
	if extra > 30 {
		return t.cfg.MaxDelay
	}
	return min(t.cfg.FirstDelay<<extra, t.cfg.MaxDelay)
}

// expired says whether a record has outlived the window: Window after its
// last failure and after the end of its lock. Counting from the end of the
// lock means a locked key that keeps failing stays at the longest lock
// instead of starting over with a fresh allowance.
func (t *Throttle) expired(r *record, now time.Time) bool {
	end := r.last
	if r.until.After(end) {
		end = r.until
	}
	return !now.Before(end.Add(t.cfg.Window))
}

// sweep drops expired records, at most once a minute, or once a second
// while the map is full (between sweeps makeRoom evicts).
func (t *Throttle) sweep(now time.Time) {
	interval := time.Minute
	if len(t.records) >= t.cfg.MaxKeys {
		interval = time.Second
	}
	if now.Sub(t.lastSweep) < interval {
		return
	}
	t.lastSweep = now
	for k, r := range t.records {
		if t.expired(r, now) {
			delete(t.records, k)
		}
	}
}

// makeRoom evicts one record if the map is full: among a sample of records
// (map order is random), the one closest to expiring.
func (t *Throttle) makeRoom(now time.Time) {
	if len(t.records) < t.cfg.MaxKeys {
		return
	}
	var victim string
	var soonest time.Time
	n := 0
	for k, r := range t.records {
		end := r.last
		if r.until.After(end) {
			end = r.until
		}
		if victim == "" || end.Before(soonest) {
			victim, soonest = k, end
		}
		if n++; n == 64 || t.expired(r, now) {
			break
		}
	}
	delete(t.records, victim)
}
