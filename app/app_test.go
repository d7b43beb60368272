package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"phananh/api"
	"phananh/app"
)

// startApp starts the whole service as the binary does, on free ports and
// a data directory the caller may reuse to restart it.
func startApp(t testing.TB, dir string) *app.App {
	t.Helper()
	return startAppWith(t, dir, nil)
}

// startAppWith is startApp with the config changed by change first.
func startAppWith(t testing.TB, dir string, change func(*app.Config)) *app.App {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cfg := app.Config{
		DataDir: dir, HTTPAddr: "127.0.0.1:0", NATSListen: "127.0.0.1:-1", SyncAlways: true,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	if change != nil {
		change(&cfg)
	}
	a, err := app.Start(ctx, cfg)
	if err != nil {
		t.Fatalf("start app: %v", err)
	}
	t.Cleanup(func() { a.Close(context.Background()) })
	waitReady(t, a)
	return a
}

// noRateLimits is for tests that send more requests from one address
// than a person would; TestRateLimits shows the defaults at work.
func noRateLimits(cfg *app.Config) { cfg.Limits = &api.Limits{} }

func waitReady(t testing.TB, a *app.App) {
	t.Helper()
	checkFor(t, 20*time.Second, 20*time.Millisecond, func() error {
		resp, err := http.Get("http://" + a.HTTPAddr() + "/readyz")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz = %d", resp.StatusCode)
		}
		return nil
	})
}

// checkFor polls f until it succeeds or total runs out (nats-server's habit).
func checkFor(t testing.TB, total, every time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("condition not met after %s: %v", total, err)
		}
		time.Sleep(every)
	}
}

// response is a decoded HTTP answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("response %d is not a JSON object: %v: %s", r.Status, err, r.Body)
	}
	return m
}

// errorCode returns error.code of an error response.
func (r response) errorCode(t testing.TB) string {
	t.Helper()
	e, ok := r.json(t)["error"].(map[string]any)
	if !ok {
		t.Fatalf("response %d has no error object: %s", r.Status, r.Body)
	}
	return fmt.Sprint(e["code"])
}

func do(t testing.TB, a *app.App, method, path, contentType string, body []byte, headers ...string) response {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+a.HTTPAddr()+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: data}
}

func postJSON(t testing.TB, a *app.App, path string, v any, headers ...string) response {
	t.Helper()
	body, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return do(t, a, http.MethodPost, path, "application/json", body, headers...)
}

// stream opens the CASES stream through a separate client, as an operator
// with the nats CLI would, to check what the log really holds.
func stream(t testing.TB, a *app.App) jetstream.Stream {
	t.Helper()
	nc, err := nats.Connect(a.NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	s, err := js.Stream(context.Background(), "CASES")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func streamState(t testing.TB, s jetstream.Stream) jetstream.StreamState {
	t.Helper()
	info, err := s.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return info.State
}

// eventsOn counts the events stored for one case.
func eventsOn(t testing.TB, s jetstream.Stream, caseID string) uint64 {
	t.Helper()
	info, err := s.Info(context.Background(), jetstream.WithSubjectFilter("cases."+caseID))
	if err != nil {
		t.Fatal(err)
	}
	return info.State.Subjects["cases."+caseID]
}

func validReport(id string) map[string]any {
	r := map[string]any{
		"category":    "pollution.water",
		"title":       "Nước suối đổi màu đen",
		"description": "Từ sáng nay nước suối chảy qua thôn có màu đen và mùi hôi, cá chết nhiều.",
		"location":    map[string]any{"commune": "lao-cai", "address": "Suối Ngòi Đường, tổ 5", "lat": 22.485, "lon": 103.97},
		"occurred_at": "2026-11-27T07:30:00+07:00",
		"reporter":    map[string]any{"name": "Nguyễn Văn An", "phone": "0912 345 678"},
	}
	if id != "" {
		r["id"] = id
	}
	return r
}

func mustString(t testing.TB, m map[string]any, key string) string {
	t.Helper()
	s, ok := m[key].(string)
	if !ok || s == "" {
		t.Fatalf("%s missing in %v", key, m)
	}
	return s
}

func jsonMarshal(v any) ([]byte, error)      { return json.Marshal(v) }
func jsonUnmarshal(data []byte, v any) error { return json.Unmarshal(data, v) }
