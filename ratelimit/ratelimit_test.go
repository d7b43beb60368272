package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    Rate
		wantErr bool
	}{
		{in: "10/m burst 20", want: Rate{Events: 10, Per: time.Minute, Burst: 20}},
		{in: "10/m", want: Rate{Events: 10, Per: time.Minute, Burst: 10}},
		{in: "2/s burst 5", want: Rate{Events: 2, Per: time.Second, Burst: 5}},
		{in: "100/h", want: Rate{Events: 100, Per: time.Hour, Burst: 100}},
		{in: "5/30s burst 1", want: Rate{Events: 5, Per: 30 * time.Second, Burst: 1}},
		{in: "0", want: Rate{}},
		{in: "off", want: Rate{}},
		{in: "", want: Rate{}},
		{in: "0/m burst 3", want: Rate{}},
		{in: "ten/m", wantErr: true},
		{in: "10", wantErr: true},
		{in: "10/fortnight", wantErr: true},
		{in: "10/m burst", wantErr: true},
		{in: "10/m burst 0", wantErr: true},
		{in: "10/m flood 3", wantErr: true},
		{in: "-1/m", wantErr: true},
		{in: "10/-1s", wantErr: true},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("Parse(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
		if !tt.wantErr {
			back, err := Parse(got.String())
			if err != nil || back != got {
				t.Errorf("Parse(%q.String() = %q) = %+v, %v; want it back", tt.in, got.String(), back, err)
			}
		}
	}
}

func TestLimiterBurstThenRefill(t *testing.T) {
	l := New(Rate{Events: 60, Per: time.Minute, Burst: 3}, 0)
	t0 := time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)
	for i := range 3 {
		if _, ok := l.Allow("a", t0); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	wait, ok := l.Allow("a", t0)
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("4th request at once: ok=%v wait=%s, want refused with a wait of at most 1s", ok, wait)
	}
	if _, ok := l.Allow("b", t0); !ok {
		t.Fatal("another client is refused: buckets are per client")
	}
	// A refused request costs nothing: after the wait, one more is allowed.
	if _, ok := l.Allow("a", t0.Add(wait)); !ok {
		t.Fatal("refused after waiting Retry-After")
	}
	if _, ok := l.Allow("a", t0.Add(wait)); ok {
		t.Fatal("the refilled token was spent twice")
	}
}

func TestNilAndOffLimitNothing(t *testing.T) {
	var l *Limiter
	if New(Rate{}, 0) != nil {
		t.Fatal("an Off rate builds a limiter")
	}
	for range 1000 {
		if _, ok := l.Allow("a", time.Now()); !ok {
			t.Fatal("a nil limiter refused")
		}
	}
}

func TestLimiterMemoryIsBounded(t *testing.T) {
	l := New(Rate{Events: 1, Per: time.Minute, Burst: 1}, 100)
	t0 := time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)
	for i := range 1000 {
		l.Allow(fmt.Sprintf("10.0.%d.%d", i/256, i%256), t0)
	}
	if n := l.Len(); n > 100 {
		t.Fatalf("%d clients remembered, want at most 100", n)
	}
	// Once every bucket is full again the sweep forgets them all.
	l.Allow("late", t0.Add(2*time.Minute))
	if n := l.Len(); n != 1 {
		t.Fatalf("%d clients remembered after they all went idle, want 1", n)
	}
}
