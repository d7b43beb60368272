// Package escalation records, once across all replicas, that a case's
// legal clock ran out: every replica scans its read models for overdue
// cases and queues a task; one durable pull consumer, shared by the
// replicas, carries each task out as a command, and the domain refuses a
// second escalation of the same missed deadline.
package escalation

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"phananh/domain"
	"phananh/projections"
)

// Stream and consumer names. TASKS is a work queue: a task is removed once
// acknowledged. Telling the unit of the escalation is the notify package's
// work: it follows the log, where the escalated event is.
const (
	TasksStream       = "TASKS"
	taskSubjectPrefix = "tasks.overdue."
	Consumer          = "overdue-escalator"
)

// Commander runs a command on a case; the cases service implements it.
type Commander interface {
	Execute(ctx context.Context, caseID uuid.UUID, expectedVersion uint64, cmd domain.Command, actor domain.Actor, correlation string) (uint64, error)
}

// Cases lets the worker scan the cases a replica knows; the case view implements it.
type Cases interface {
	Scan(fn func(c domain.Case))
	Get(id uuid.UUID) (projections.CaseRecord, bool)
}

// Config tunes the worker.
type Config struct {
	Grace    time.Duration // how long past a deadline before escalating
	Interval time.Duration // how often each replica scans
	Replicas int
	Now      func() time.Time
	Log      *slog.Logger
}

// Worker scans for overdue cases and escalates them.
type Worker struct {
	js       jetstream.JetStream
	cmd      Commander
	cases    Cases
	cfg      Config
	consumer jetstream.Consumer
}

// New creates the task and notification streams and the shared consumer.
func New(ctx context.Context, js jetstream.JetStream, cmd Commander, cases Cases, cfg Config) (*Worker, error) {
	if cfg.Grace < 0 || cfg.Interval <= 0 {
		return nil, errors.New("escalation: grace must be ≥ 0 and interval > 0")
	}
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Log == nil {
		cfg.Log = slog.Default()
	}
	// The de-duplication window spans many scans, so replicas scanning the
	// same overdue case queue one task; the domain catches what slips past.
	if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name: TasksStream, Subjects: []string{"tasks.>"}, Storage: jetstream.FileStorage,
		Retention: jetstream.WorkQueuePolicy, Replicas: cfg.Replicas, Duplicates: time.Hour,
	}); err != nil {
		return nil, fmt.Errorf("escalation: tasks stream: %w", err)
	}
	consumer, err := js.CreateOrUpdateConsumer(ctx, TasksStream, jetstream.ConsumerConfig{
		Durable: Consumer, FilterSubject: taskSubjectPrefix + ">", AckPolicy: jetstream.AckExplicitPolicy,
		AckWait: 30 * time.Second, MaxDeliver: 20, BackOff: nil,
	})
	if err != nil {
		return nil, fmt.Errorf("escalation: consumer: %w", err)
	}
	return &Worker{js: js, cmd: cmd, cases: cases, cfg: cfg, consumer: consumer}, nil
}

// Run scans every Interval and works the shared task queue until ctx is done.
func (w *Worker) Run(ctx context.Context) error {
	cc, err := w.consumer.Consume(func(msg jetstream.Msg) { w.handle(ctx, msg) })
	if err != nil {
		return fmt.Errorf("escalation: consume: %w", err)
	}
	defer cc.Stop()
	ticker := time.NewTicker(w.cfg.Interval)
	defer ticker.Stop()
	for {
		if _, err := w.Scan(ctx); err != nil && ctx.Err() == nil {
			w.cfg.Log.Warn("overdue scan failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ticker.C:
		}
	}
}

// Scan queues a task for every case due for an overdue escalation and
// returns how many it queued (de-duplicated ones included).
func (w *Worker) Scan(ctx context.Context) (int, error) {
	now := w.cfg.Now()
	var due []domain.Case
	w.cases.Scan(func(c domain.Case) {
		if domain.DueForOverdueEscalation(c, now, w.cfg.Grace) {
			due = append(due, c)
		}
	})
	for _, c := range due {
		msg := nats.NewMsg(taskSubjectPrefix + c.ID.String())
		msg.Data = []byte(c.ID.String())
		msgID := "overdue:" + c.ID.String() + ":" + strconv.FormatInt(c.Deadline.Unix(), 10)
		if _, err := w.js.PublishMsg(ctx, msg, jetstream.WithMsgID(msgID)); err != nil {
			return 0, fmt.Errorf("escalation: queue %s: %w", c.ID, err)
		}
	}
	return len(due), nil
}

// handle carries out one task. A refusal by the domain (no longer overdue,
// already escalated) completes the task; an infrastructure failure leaves
// it for another delivery.
func (w *Worker) handle(ctx context.Context, msg jetstream.Msg) {
	id, err := uuid.Parse(string(msg.Data()))
	if err != nil {
		w.cfg.Log.Error("malformed overdue task dropped", "data", string(msg.Data()))
		msg.Term()
		return
	}
	system := domain.Actor{ID: "overdue-escalator", Role: domain.RoleSystem}
	_, err = w.cmd.Execute(ctx, id, 0, domain.EscalateOverdue{Grace: w.cfg.Grace}, system, "overdue:"+id.String())
	switch code := domain.ErrorCode(err); {
	case err == nil:
		w.cfg.Log.Info("overdue case escalated", "case", id)
	case code == domain.ECONFLICT || code == domain.EIllegalTransition || code == domain.ENOTFOUND:
		// Someone acted first, or it was already done: nothing to do.
	default:
		w.cfg.Log.Warn("overdue escalation failed; will retry", "case", id, "err", err)
		msg.NakWithDelay(5 * time.Second)
		return
	}
	msg.Ack()
}
