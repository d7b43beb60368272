package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"phananh/app"
	"phananh/eventstore"
	"phananh/testport"
)

// lockedBuffer collects logs written from several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// readyz returns /readyz's status code and its "status".
func readyz(addr string) (int, string, error) {
	resp, err := http.Get("http://" + addr + "/readyz")
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	var body struct {
		Status string `json:"status"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return resp.StatusCode, "", err
	}
	return resp.StatusCode, body.Status, nil
}

// TestExternalNATSComesAndGoes starts phananh before its (external) NATS
// server exists: start-up must wait, logging each retry, rather than fail.
// Then the server goes away: /readyz must say nats_disconnected, and
// phananh must reconnect by itself and serve writes when it comes back.
func TestExternalNATSComesAndGoes(t *testing.T) {
	natsAddr := testport.Addr(t) // free for seconds at a time: out of the kernel's ephemeral range
	storeDir := t.TempDir()
	startNATS := func() *eventstore.Embedded {
		t.Helper()
		emb, err := eventstore.StartEmbedded(eventstore.EmbeddedOptions{DataDir: storeDir, Listen: natsAddr, SyncAlways: true})
		if err != nil {
			t.Fatalf("start NATS on %s: %v", natsAddr, err)
		}
		return emb
	}

	logs := &lockedBuffer{}
	type started struct {
		a   *app.App
		err error
	}
	done := make(chan started, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		a, err := app.Start(ctx, app.Config{HTTPAddr: "127.0.0.1:0", NATSURL: "nats://" + natsAddr,
			NATSWait: 60 * time.Second, Log: slog.New(slog.NewJSONHandler(logs, nil))})
		done <- started{a, err}
	}()
	// Let start-up fail a few times (0.25 s, 0.5 s, 1 s back-off) first.
	checkFor(t, 30*time.Second, 50*time.Millisecond, func() error {
		if n := strings.Count(logs.String(), "connect to NATS failed; retrying"); n < 2 {
			return fmt.Errorf("%d retries logged so far", n)
		}
		return nil
	})
	emb := startNATS()
	t.Cleanup(func() { emb.Shutdown() })
	var s started
	select {
	case s = <-done:
	case <-time.After(90 * time.Second):
		t.Fatalf("app.Start did not return 90 s after NATS came up; logs:\n%s", logs)
	}
	if s.err != nil {
		t.Fatalf("app.Start with NATS arriving late: %v; logs:\n%s", s.err, logs)
	}
	a := s.a
	t.Cleanup(func() { a.Close(context.Background()) })
	waitReady(t, a)

	emb.Shutdown()
	checkFor(t, 30*time.Second, 20*time.Millisecond, func() error {
		code, status, err := readyz(a.HTTPAddr())
		if err != nil || code != http.StatusServiceUnavailable || status != "nats_disconnected" {
			return fmt.Errorf("readyz = %d %q (%v), want 503 nats_disconnected", code, status, err)
		}
		return nil
	})

	emb = startNATS()
	checkFor(t, 60*time.Second, 50*time.Millisecond, func() error {
		code, status, err := readyz(a.HTTPAddr())
		if err != nil || code != http.StatusOK {
			return fmt.Errorf("readyz = %d %q (%v), want 200 after NATS came back", code, status, err)
		}
		return nil
	})
	body := `{"category":"pollution.noise","title":"Tiếng ồn sau khi NATS trở lại","description":"Máy phát điện chạy cả đêm.","location":{"commune":"cam-duong"},"anonymous":true}`
	resp, err := http.Post("http://"+a.HTTPAddr()+"/api/v1/reports", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("a report after NATS came back: status %d, want 201; logs:\n%s", resp.StatusCode, logs)
	}
	if !strings.Contains(logs.String(), `"msg":"NATS reconnected"`) {
		t.Errorf("no reconnection logged; logs:\n%s", logs)
	}
}

// TestEmbeddedFailsFastOnWhatWaitingCannotMend: the embedded server is up
// before phananh connects, so a stream it cannot create (three replicas on
// one server) is reported at once rather than retried for --nats-wait.
func TestEmbeddedFailsFastOnWhatWaitingCannotMend(t *testing.T) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	a, err := app.Start(ctx, app.Config{DataDir: t.TempDir(), HTTPAddr: "127.0.0.1:0", NATSListen: "127.0.0.1:-1",
		Replicas: 3, NATSWait: time.Minute, Log: slog.New(slog.DiscardHandler)})
	if err == nil {
		a.Close(context.Background())
		t.Fatal("three replicas on the embedded server started")
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("the failure took %s: it was retried, though waiting cannot mend it", d)
	}
	if !strings.Contains(err.Error(), "replica") {
		t.Errorf("err = %v, want it to say what is wrong (replicas)", err)
	}
}

// TestExternalNATSFailsFastOnABadConfiguration: with an external NATS,
// start-up retries what a settling cluster may refuse, but an error of the
// configuration is not NATS settling, and waiting out --nats-wait for it
// would only hide it.
func TestExternalNATSFailsFastOnABadConfiguration(t *testing.T) {
	emb, err := eventstore.StartEmbedded(eventstore.EmbeddedOptions{DataDir: t.TempDir(), Listen: "127.0.0.1:-1"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { emb.Shutdown() })
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	a, err := app.Start(ctx, app.Config{HTTPAddr: "127.0.0.1:0", NATSURL: emb.ClientURL(), NATSWait: time.Minute,
		SMTPAddr: "mail.example.vn:25", SMTPFrom: "nobody", Log: slog.New(slog.DiscardHandler)})
	if err == nil {
		a.Close(context.Background())
		t.Fatal("started with an SMTP sender that is not an address")
	}
	if !strings.Contains(err.Error(), "--smtp-from") {
		t.Errorf("err = %v, want it to name the bad setting", err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("the failure took %s: it was retried for --nats-wait, though waiting cannot mend it", d)
	}
}
