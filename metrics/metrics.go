// Package metrics exposes phananh's figures to Prometheus at GET /metrics:
// events appended by type, HTTP latency by route, how far the read models
// trail the log and how they started. It keeps its own registry, so
// nothing a library registers globally leaks into the scrape.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"phananh/domain"
	"phananh/projections"
)

// LagTimeout bounds how long a scrape waits for the log's last sequence.
const LagTimeout = time.Second

// Log is the case log as the metrics see it.
type Log interface {
	LastSeq(ctx context.Context) (uint64, error)
}

// Projections is the projection runner as the metrics see it.
type Projections interface {
	Applied() uint64
	Startup() projections.Startup
}

// Store is the case store whose appends are counted.
type Store interface {
	Append(ctx context.Context, expectedVersion uint64, events []domain.Envelope) (uint64, error)
	Load(ctx context.Context, caseID uuid.UUID) ([]domain.Envelope, uint64, error)
	Version(ctx context.Context, caseID uuid.UUID) (uint64, error)
	LastSeq(ctx context.Context) (uint64, error)
}

// Metrics holds phananh's collectors.
type Metrics struct {
	reg      *prometheus.Registry
	appended *prometheus.CounterVec
	requests *prometheus.HistogramVec
	log      *slog.Logger
}

// New returns the metrics of a process whose read models follow log. It
// refuses nil dependencies.
func New(log Log, p Projections, logger *slog.Logger) *Metrics {
	if log == nil || p == nil {
		panic("metrics: log and projections are required")
	}
	if logger == nil {
		logger = slog.Default()
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		appended: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "phananh_events_appended_total",
			Help: "Events appended to the case log by this process, by event type.",
		}, []string{"type"}),
		requests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "phananh_http_request_duration_seconds",
			Help: "HTTP request latency by method, route pattern and status.",
			// From a cached read to a read that waits ?after (at most 5 s).
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"method", "route", "status"}),
		log: logger,
	}
	for _, t := range domain.EventTypes() {
		m.appended.WithLabelValues(t) // every type present from the start, at 0
	}
	m.reg.MustRegister(m.appended, m.requests,
		newProjectionCollector(log, p, logger),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Registry is where more collectors can be registered.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format (or
// OpenMetrics, if the scraper asks for it). A collector that fails is
// logged and left out; the rest is still served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog:          slog.NewLogLogger(m.log.Handler(), slog.LevelWarn),
		ErrorHandling:     promhttp.ContinueOnError,
		Registry:          m.reg,
		EnableOpenMetrics: true,
	})
}

// Middleware times every request by Echo's route pattern ("/api/v1/cases/:id"),
// never the raw URL, so ids and query strings neither become series nor leak.
// Install it with Echo.Pre, so that it sees the final status of every
// request, errors included.
func (m *Metrics) Middleware() echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			if err := next(c); err != nil {
				c.Error(err) // write the error response now, to know its status
			}
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			m.requests.WithLabelValues(method(c.Request().Method), route, strconv.Itoa(c.Response().Status)).
				Observe(time.Since(start).Seconds())
			return nil
		}
	}
}

// method bounds the method label: any method is accepted on the wire.
func method(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions:
		return m
	}
	return "OTHER"
}

// CountAppends wraps a store so that every event it appends successfully is
// counted by type.
func (m *Metrics) CountAppends(s Store) Store {
	if s == nil {
		panic("metrics: nil store")
	}
	return countingStore{Store: s, appended: m.appended}
}

type countingStore struct {
	Store
	appended *prometheus.CounterVec
}

func (s countingStore) Append(ctx context.Context, expectedVersion uint64, events []domain.Envelope) (uint64, error) {
	seq, err := s.Store.Append(ctx, expectedVersion, events)
	if err == nil {
		for _, e := range events {
			s.appended.WithLabelValues(e.Type()).Inc()
		}
	}
	return seq, err
}

// projectionCollector computes the projection figures when scraped: the lag
// asks the log for its last sequence then, so it is never stale.
type projectionCollector struct {
	log      Log
	p        Projections
	logger   *slog.Logger
	lag      *prometheus.Desc
	rebuild  *prometheus.Desc
	restored *prometheus.Desc
}

func newProjectionCollector(log Log, p Projections, logger *slog.Logger) *projectionCollector {
	return &projectionCollector{log: log, p: p, logger: logger,
		lag: prometheus.NewDesc("phananh_projection_lag_events",
			"Events in the log that the read models have not applied yet (log last sequence - applied).", nil, nil),
		rebuild: prometheus.NewDesc("phananh_projection_rebuild_seconds",
			"How long the read models took at start to catch up with the log (snapshot loading included).", nil, nil),
		restored: prometheus.NewDesc("phananh_projection_restored_from_snapshot",
			"1 if the read model started from a snapshot, 0 if it was rebuilt from the log.", []string{"model"}, nil),
	}
}

func (c *projectionCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.lag
	ch <- c.rebuild
	ch <- c.restored
}

func (c *projectionCollector) Collect(ch chan<- prometheus.Metric) {
	applied := c.p.Applied() // before the log's position, so lag is never negative
	ctx, cancel := context.WithTimeout(context.Background(), LagTimeout)
	defer cancel()
	if last, err := c.log.LastSeq(ctx); err != nil {
		c.logger.Warn("metrics: projection lag unknown", "err", err)
	} else {
		ch <- prometheus.MustNewConstMetric(c.lag, prometheus.GaugeValue, float64(last-min(applied, last)))
	}
	st := c.p.Startup()
	if st.Ready {
		ch <- prometheus.MustNewConstMetric(c.rebuild, prometheus.GaugeValue, st.Rebuild.Seconds())
	}
	for model, seq := range st.Restored {
		v := 0.0
		if seq > 0 {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(c.restored, prometheus.GaugeValue, v, model)
	}
}
