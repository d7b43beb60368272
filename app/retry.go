package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
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
// tried once, and an error fn marks permanent is returned at once.
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
		var perm permanentError
		if errors.As(err, &perm) {
			return fmt.Errorf("app: %s: %w", what, perm.err)
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

// permanentError is a failure that waiting will not mend; retry returns
// it without trying again.
type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// unlessNATS marks err permanent unless it came from NATS or JetStream,
// which may still be settling: any error of the JetStream client (an API
// answer such as a cluster without a meta leader or an R3 asset without
// its peers, no response from a stream, a key not found yet), no
// responder yet, a timeout, a lost connection. The rest is phananh's own
// configuration (a bad --smtp-from, say), which fails at once instead of
// after --nats-wait. A refusal only JetStream can see (subjects that
// overlap another stream's, say) is retried like the settling kind, with
// each attempt logged, until the wait is over.
func unlessNATS(err error) error {
	if err == nil {
		return nil
	}
	var js jetstream.JetStreamError
	if errors.As(err, &js) {
		return err
	}
	for _, transient := range []error{nats.ErrNoResponders, nats.ErrTimeout, context.DeadlineExceeded,
		nats.ErrConnectionClosed, nats.ErrConnectionReconnecting, nats.ErrDisconnected, nats.ErrNoServers} {
		if errors.Is(err, transient) {
			return err
		}
	}
	return permanentError{err}
}
