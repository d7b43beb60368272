package metrics_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"

	"phananh/domain"
	"phananh/metrics"
	"phananh/projections"
)

// fakeLog is a log at a settable position, or failing.
type fakeLog struct {
	last atomic.Uint64
	err  error
}

func (l *fakeLog) LastSeq(context.Context) (uint64, error) { return l.last.Load(), l.err }

// fakeRunner stands for projections.Runner.
type fakeRunner struct {
	applied uint64
	startup projections.Startup
}

func (r *fakeRunner) Applied() uint64              { return r.applied }
func (r *fakeRunner) Startup() projections.Startup { return r.startup }

// fakeStore appends anything except to a case it was told to refuse.
type fakeStore struct{ refuse uuid.UUID }

func (s fakeStore) Append(_ context.Context, v uint64, events []domain.Envelope) (uint64, error) {
	if events[0].CaseID == s.refuse {
		return 0, domain.ErrConcurrency
	}
	return v + uint64(len(events)), nil
}

func (s fakeStore) Load(context.Context, uuid.UUID) ([]domain.Envelope, uint64, error) {
	return nil, 0, nil
}

func (s fakeStore) Version(context.Context, uuid.UUID) (uint64, error) { return 0, nil }

func (s fakeStore) LastSeq(context.Context) (uint64, error) { return 0, nil }

func scrape(t *testing.T, m *metrics.Metrics) string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String()
}

func wantLines(t *testing.T, body string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(body, "\n"+l+"\n") {
			t.Errorf("scrape lacks %q", l)
		}
	}
}

func TestMetrics(t *testing.T) {
	log := &fakeLog{}
	log.last.Store(120)
	runner := &fakeRunner{applied: 117, startup: projections.Startup{
		Restored: map[string]uint64{"case_view": 100, "queues": 0}, Ready: true, Rebuild: 1500 * time.Millisecond}}
	m := metrics.New(log, runner, slog.New(slog.NewTextHandler(io.Discard, nil)))

	// Appends: two events in a batch, one alone, one refused.
	refused := uuid.New()
	store := m.CountAppends(fakeStore{refuse: refused})
	id := uuid.New()
	env := func(id uuid.UUID, e domain.Event) domain.Envelope { return domain.Envelope{CaseID: id, Event: e} }
	ctx := context.Background()
	if _, err := store.Append(ctx, 0, []domain.Envelope{env(id, domain.Reported{}), env(id, domain.Accepted{})}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(ctx, 2, []domain.Envelope{env(id, domain.Accepted{})}); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Append(ctx, 0, []domain.Envelope{env(refused, domain.Reported{})}); !errors.Is(err, domain.ErrConcurrency) {
		t.Fatalf("refused append = %v", err)
	}

	// Requests through Echo, the middleware installed as the app does.
	e := echo.New()
	e.Pre(m.Middleware())
	e.GET("/api/v1/cases/:id", func(c echo.Context) error { return c.String(http.StatusOK, "ok") })
	e.POST("/api/v1/cases/:id/:action", func(c echo.Context) error {
		return echo.NewHTTPError(http.StatusConflict, "stale")
	})
	for _, r := range []struct{ method, path string }{
		{http.MethodGet, "/api/v1/cases/0b5c3d3e-1c1e-4a8e-9d7a-1d2f3a4b5c6d?code=secret"},
		{http.MethodGet, "/api/v1/cases/another"},
		{http.MethodPost, "/api/v1/cases/x/accept"},
		{http.MethodGet, "/no/such/page"},
		{"BREW", "/api/v1/cases/x"},
	} {
		e.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(r.method, r.path, nil))
	}

	body := scrape(t, m)
	wantLines(t, body,
		`phananh_events_appended_total{type="reported"} 1`,
		`phananh_events_appended_total{type="accepted"} 2`,
		`phananh_events_appended_total{type="closed"} 0`,
		`phananh_http_request_duration_seconds_count{method="GET",route="/api/v1/cases/:id",status="200"} 2`,
		`phananh_http_request_duration_seconds_count{method="POST",route="/api/v1/cases/:id/:action",status="409"} 1`,
		`phananh_projection_lag_events 3`,
		`phananh_projection_rebuild_seconds 1.5`,
		`phananh_projection_restored_from_snapshot{model="case_view"} 1`,
		`phananh_projection_restored_from_snapshot{model="queues"} 0`,
	)
	for _, leak := range []string{"0b5c3d3e", "secret", "another", "/no/such/page", "BREW"} {
		if strings.Contains(body, leak) {
			t.Errorf("scrape holds %q from a request URL or method", leak)
		}
	}
	for _, family := range []string{"go_goroutines", "process_cpu_seconds_total", "phananh_http_request_duration_seconds_bucket"} {
		if !strings.Contains(body, family) {
			t.Errorf("scrape lacks %s", family)
		}
	}
	t.Log(grep(body, "phananh_http_request_duration_seconds_count"))

	// A log that cannot be read leaves the lag out, and the rest in.
	log.err = errors.New("no responders")
	body = scrape(t, m)
	if strings.Contains(body, "phananh_projection_lag_events ") {
		t.Errorf("lag reported while the log is unreadable")
	}
	wantLines(t, body, `phananh_projection_rebuild_seconds 1.5`)
}

func grep(body, prefix string) string {
	var out []string
	for _, l := range strings.Split(body, "\n") {
		if strings.HasPrefix(l, prefix) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
