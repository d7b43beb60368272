package app

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestRetry(t *testing.T) {
	down := errors.New("no servers available for connection")
	tests := []struct {
		name      string
		failures  int // attempts that fail before one succeeds
		wait      time.Duration
		wantErr   bool
		wantCalls int
		wantWarns int
	}{
		{"first attempt succeeds", 0, time.Second, false, 1, 0},
		{"no wait: one attempt", 100, 0, true, 1, 0},
		{"succeeds after back-off", 2, 10 * time.Second, false, 3, 2},
		// 250 ms + 500 ms of sleep fit in 600 ms only partly: the third
		// attempt comes at the deadline and the failure is returned.
		{"gives up at the deadline", 100, 600 * time.Millisecond, true, 3, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&logs, nil))
			calls := 0
			err := retry(context.Background(), log, tt.wait, "connect to NATS", func(context.Context) error {
				calls++
				if calls <= tt.failures {
					return down
				}
				return nil
			})
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if tt.wantErr && (!errors.Is(err, down) || !strings.Contains(err.Error(), "connect to NATS")) {
				t.Errorf("err = %v, want it to wrap the last failure and name what was tried", err)
			}
			if calls != tt.wantCalls {
				t.Errorf("%d attempts, want %d", calls, tt.wantCalls)
			}
			if got := strings.Count(logs.String(), `"level":"WARN"`); got != tt.wantWarns {
				t.Errorf("%d retry warnings logged, want %d (one per retry):\n%s", got, tt.wantWarns, logs.String())
			}
		})
	}

	t.Run("stops when the context is done", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := retry(ctx, slog.New(slog.DiscardHandler), time.Hour, "open", func(context.Context) error { return down })
		if !errors.Is(err, down) {
			t.Errorf("err = %v, want the last failure", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("retry ran %s after its context was done", d)
		}
	})
}
