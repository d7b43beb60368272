package staff_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"phananh/staff"
)

// fakeClock is a clock the test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newThrottle(c *fakeClock) *staff.Throttle {
	return staff.NewThrottle(staff.ThrottleConfig{Now: c.now})
}

// step is one thing that happens to a throttle: time passes, then a login
// is attempted and fails or succeeds, and the test says what the throttle
// must answer.
type step struct {
	after     time.Duration
	name, ip  string
	succeed   bool          // the password proves right
	wantOK    bool          // the attempt may go ahead
	wantRetry time.Duration // when refused
}

func TestThrottle(t *testing.T) {
	fail := func(after time.Duration, name, ip string, ok bool, retry time.Duration) step {
		return step{after: after, name: name, ip: ip, wantOK: ok, wantRetry: retry}
	}
	five := func(name, ip string) []step {
		s := make([]step, 5)
		for i := range s {
			s[i] = fail(time.Second, name, ip, true, 0)
		}
		return s
	}
	cat := func(parts ...[]step) []step {
		var out []step
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"four failures lock nothing", cat(five("an", "1.1.1.1")[:4],
			[]step{{after: time.Second, name: "an", ip: "1.1.1.1", succeed: true, wantOK: true}})},
		{"the sixth attempt is refused for a minute", cat(five("an", "1.1.1.1"), []step{
			fail(time.Second, "an", "1.1.1.1", false, 59*time.Second),
			// the right password does not help while locked
			{after: 30 * time.Second, name: "an", ip: "1.1.1.1", succeed: true, wantOK: false, wantRetry: 29 * time.Second},
		})},
		{"the lock holds for the name from any address", cat(five("an", "1.1.1.1"), []step{
			fail(time.Second, "an", "2.2.2.2", false, 59*time.Second),
			fail(0, "binh", "1.1.1.1", true, 0), // the address itself is not locked
		})},
		{"each failure after the lock doubles it, up to 15 minutes", cat(five("an", "1.1.1.1"), []step{
			fail(time.Minute, "an", "1.1.1.1", true, 0), // 6th: 2 minutes
			fail(time.Minute, "an", "1.1.1.1", false, time.Minute),
			fail(time.Minute, "an", "1.1.1.1", true, 0),   // 7th: 4 minutes
			fail(4*time.Minute, "an", "1.1.1.1", true, 0), // 8th: 8 minutes
			fail(8*time.Minute, "an", "1.1.1.1", true, 0), // 9th: 15 (capped from 16)
			fail(14*time.Minute, "an", "1.1.1.1", false, time.Minute),
			fail(time.Minute, "an", "1.1.1.1", true, 0), // 10th: still 15
			fail(time.Second, "an", "1.1.1.1", false, 15*time.Minute-time.Second),
		})},
		{"a quiet window after the lock forgets the failures", cat(five("an", "1.1.1.1"), []step{
			fail(time.Minute+15*time.Minute, "an", "1.1.1.1", true, 0),
			fail(time.Second, "an", "1.1.1.1", true, 0), // counting starts again: 2 of 5
		})},
		{"failures further apart than the window never add up", []step{
			fail(0, "an", "", true, 0), fail(16*time.Minute, "an", "", true, 0), fail(16*time.Minute, "an", "", true, 0),
			fail(16*time.Minute, "an", "", true, 0), fail(16*time.Minute, "an", "", true, 0), fail(16*time.Minute, "an", "", true, 0),
			fail(time.Second, "an", "", true, 0),
		}},
		{"a success forgets the name's failures", cat(five("an", "1.1.1.1")[:4], []step{
			{after: time.Second, name: "an", ip: "1.1.1.1", succeed: true, wantOK: true},
		}, five("an", "1.1.1.1")[:4], []step{fail(time.Second, "an", "1.1.1.1", true, 0)})},
		{"many names from one address: the 21st attempt is refused", cat(
			five("n1", "9.9.9.9")[:4], five("n2", "9.9.9.9")[:4], five("n3", "9.9.9.9")[:4],
			five("n4", "9.9.9.9")[:4], five("n5", "9.9.9.9")[:4],
			[]step{fail(time.Second, "n6", "9.9.9.9", false, 59*time.Second),
				fail(0, "n6", "8.8.8.8", true, 0)})},
		{"a success does not clear the address's earlier failures", cat(
			five("n1", "9.9.9.9")[:4], five("n2", "9.9.9.9")[:4], five("n3", "9.9.9.9")[:4],
			five("n4", "9.9.9.9")[:4], five("n5", "9.9.9.9")[:3],
			[]step{{after: time.Second, name: "mine", ip: "9.9.9.9", succeed: true, wantOK: true}},
			[]step{fail(time.Second, "n6", "9.9.9.9", true, 0), // the 20th failure locks the address
				fail(time.Second, "n7", "9.9.9.9", false, 59*time.Second)})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
			th := newThrottle(clock)
			for i, s := range tt.steps {
				clock.advance(s.after)
				retry, ok := th.Attempt(s.name, s.ip)
				if ok != s.wantOK || retry != s.wantRetry {
					t.Fatalf("step %d (%s from %s): Attempt = %s, %v; want %s, %v", i+1, s.name, s.ip, retry, ok, s.wantRetry, s.wantOK)
				}
				if ok && s.succeed {
					th.Succeeded(s.name, s.ip)
				}
			}
		})
	}
}

func TestThrottleConcurrentGuessesCannotSlipThrough(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	th := newThrottle(clock)
	var wg sync.WaitGroup
	var mu sync.Mutex
	allowed := 0
	for i := 0; i < 100; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, ok := th.Attempt("an", fmt.Sprintf("10.0.0.%d", i)); ok {
				mu.Lock()
				allowed++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if allowed != 5 {
		t.Errorf("%d of 100 simultaneous guesses went ahead, want 5", allowed)
	}
}

func TestThrottleMemoryIsBounded(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)}
	th := staff.NewThrottle(staff.ThrottleConfig{Now: clock.now, MaxKeys: 1000})
	for i := 0; i < 5000; i++ {
		clock.advance(time.Millisecond)
		th.Attempt(fmt.Sprintf("name-%d", i), fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255))
		if n := th.Len(); n > 1000 {
			t.Fatalf("after %d attempts the throttle holds %d records, want at most 1000", i+1, n)
		}
	}
	// The newest lock survives the eviction of older records.
	for i := 0; i < 5; i++ {
		th.Attempt("victim", "")
	}
	if _, ok := th.Attempt("victim", ""); ok {
		t.Error("the newest lock was evicted")
	}
	// Records expire: after the window nothing is kept.
	clock.advance(2 * time.Hour)
	th.Attempt("", "")
	if n := th.Len(); n != 0 {
		t.Errorf("after two quiet hours the throttle holds %d records, want 0", n)
	}
}
