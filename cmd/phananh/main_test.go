package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"phananh/api"
	"phananh/api/openapitest"
	"phananh/testport"
)

// binary is the phananh binary built once for the process tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "phananh-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "phananh")
	build := exec.Command("go", "build", "-race", "-o", binary, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build phananh:", err)
		os.Exit(1)
	}
	// The process tests' answers from the real binary are held to the
	// OpenAPI document too, as the app tests' are.
	check, err := openapitest.Install(api.OpenAPI())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	code := check.Report(m.Run())
	os.RemoveAll(dir)
	os.Exit(code)
}

// jetStream connects a client of the test's own to the NATS server at url,
// as an operator's nats CLI would, to check what the log and the buckets
// really hold; it is closed when the test ends.
func jetStream(t *testing.T, url string) jetstream.JetStream {
	t.Helper()
	nc, err := nats.Connect(url, nats.Name("phananh-test"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	return js
}

// process is a running phananh binary.
type process struct {
	cmd  *exec.Cmd
	http string
	logs *syncBuffer
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startProcess(t *testing.T, dataDir string) *process {
	t.Helper()
	return startServe(t, "--data", dataDir, "--nats-listen", testport.Addr(t))
}

func submit(t *testing.T, p *process, i int) (id, code string) {
	t.Helper()
	r := submitReceipt(t, p, i)
	return r.ID, r.TrackingCode
}

func status(t *testing.T, p *process, id, code string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, "http://"+p.http+"/api/v1/reports/"+id, nil)
	req.Header.Set("X-Tracking-Code", code)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestKill9LosesNoAcknowledgedReport kills the process without warning
// right after acknowledged writes: every acknowledged report must be there
// when it comes back on the same data directory.
func TestKill9LosesNoAcknowledgedReport(t *testing.T) {
	dir := t.TempDir()
	p := startProcess(t, dir)
	type ack struct{ id, code string }
	var acks []ack
	for i := range 20 {
		id, code := submit(t, p, i)
		acks = append(acks, ack{id, code})
	}
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()

	q := startProcess(t, dir)
	for _, a := range acks {
		if got := status(t, q, a.id, a.code); got != http.StatusOK {
			t.Errorf("report %s after kill -9: status %d, want 200", a.id, got)
		}
	}
}

// TestSIGTERMStopsCleanly asks the process to stop: it must exit 0, having
// logged its shutdown as structured JSON.
func TestSIGTERMStopsCleanly(t *testing.T) {
	p := startProcess(t, t.TempDir())
	submit(t, p, 1)
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("exit after SIGTERM: %v; logs:\n%s", err, p.logs)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("still running 30s after SIGTERM; logs:\n%s", p.logs)
	}
	logs := p.logs.String()
	if !strings.Contains(logs, `"msg":"phananh stopped"`) {
		t.Errorf("no structured shutdown log line; logs:\n%s", logs)
	}
	for _, line := range strings.Split(strings.TrimSpace(logs), "\n") {
		if !json.Valid([]byte(line)) {
			t.Errorf("log line is not JSON: %s", line)
		}
	}
}

func TestUsage(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run([]string{"bogus"}, &out, &errOut); err == nil {
		t.Error("an unknown command must fail")
	}
	if err := run([]string{"serve", "--log-level", "loud"}, &out, &errOut); err == nil {
		t.Error("a bad log level must fail")
	}
}
