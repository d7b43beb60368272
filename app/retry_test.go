package app

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
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

func TestRetryReturnsAPermanentErrorAtOnce(t *testing.T) {
	var logs bytes.Buffer
	badFrom := errors.New(`notify: --smtp-from "nobody": mail: missing '@' or angle-addr`)
	calls := 0
	err := retry(context.Background(), slog.New(slog.NewJSONHandler(&logs, nil)), time.Minute, "open the notifications",
		func(context.Context) error { calls++; return unlessNATS(badFrom) })
	if !errors.Is(err, badFrom) || !strings.Contains(err.Error(), "open the notifications") {
		t.Errorf("err = %v, want the failure, naming what was tried", err)
	}
	var perm permanentError
	if errors.As(err, &perm) {
		t.Errorf("err = %v still carries the permanent mark", err)
	}
	if calls != 1 || strings.Contains(logs.String(), "WARN") {
		t.Errorf("%d attempts, logs %s; want one attempt and no retry warning", calls, logs.String())
	}
}

func TestUnlessNATS(t *testing.T) {
	tests := []struct {
		name      string
		err       error
		permanent bool
	}{
		{"no error", nil, false},
		{"an answer of the JetStream API", fmt.Errorf("staff: open bucket REVOKED_TOKENS: %w",
			&jetstream.APIError{Code: 400, ErrorCode: 10005, Description: "no suitable peers for placement, peer offline"}), false},
		{"an error of the JetStream client", fmt.Errorf("open: %w", jetstream.ErrNoStreamResponse), false},
		{"no responders yet", fmt.Errorf("eventstore: secret cases: %w", nats.ErrNoResponders), false},
		{"a timeout", fmt.Errorf("staff: open: waiting for the accounts: %w", context.DeadlineExceeded), false},
		{"a lost connection", nats.ErrConnectionClosed, false},
		{"the configuration", errors.New("notify: a send timeout of 1m0s needs an ack wait above it, not 30s"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := unlessNATS(tt.err)
			var perm permanentError
			if errors.As(got, &perm) != tt.permanent {
				t.Errorf("unlessNATS(%v) = %#v, want permanent %t", tt.err, got, tt.permanent)
			}
			if !errors.Is(got, tt.err) {
				t.Errorf("unlessNATS(%v) = %v, which no longer wraps it", tt.err, got)
			}
		})
	}
}
