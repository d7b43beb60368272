package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// DefaultNATSWait is how long start-up waits for NATS and JetStream when
// Config.NATSWait is zero: long enough for a cluster started at the same
// time (servers boot, elect a meta leader, recover their stores).
const DefaultNATSWait = 2 * time.Minute

// Back-off between start-up attempts: doubling from the first to the last.
const (
	firstRetryDelay = 250 * time.Millisecond
	maxRetryDelay   = 5 * time.Second
)

// retry calls fn until it succeeds, ctx is done or wait has passed, sleeping
// with a doubling back-off between attempts and logging each failure, so an
// operator watching a slow cluster start sees why phananh is not up yet.
// fn's own context is ctx; fn bounds its attempt itself. With wait 0 fn is
// tried once.
func retry(ctx context.Context, log *slog.Logger, wait time.Duration, what string, fn func(context.Context) error) error {
	deadline := time.Now().Add(wait)
	delay := firstRetryDelay
	for attempt := 1; ; attempt++ {
		err := fn(ctx)
		if err == nil {
			if attempt > 1 {
				log.Info(what+" succeeded", "attempt", attempt)
			}
			return nil
		}
		left := time.Until(deadline)
		if ctx.Err() != nil || left <= 0 {
			return fmt.Errorf("app: %s: gave up after %d attempts: %w", what, attempt, err)
		}
		sleep := min(delay, left)
		log.Warn(what+" failed; retrying", "attempt", attempt, "retry_in", sleep.String(), "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("app: %s: gave up after %d attempts: %w", what, attempt, err)
		case <-time.After(sleep):
		}
		delay = min(delay*2, maxRetryDelay)
	}
}
