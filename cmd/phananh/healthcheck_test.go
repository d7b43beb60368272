package main

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"phananh/testport"
)

func TestHealthcheck(t *testing.T) {
	t.Parallel()
	ready := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json") // as phananh answers
		w.Write([]byte(`{"status":"ready"}`))
	}))
	defer ready.Close()
	starting := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"status":"starting"}`))
	}))
	defer starting.Close()
	release := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer slow.Close()
	defer close(release)
	gone := httptest.NewServer(http.NotFoundHandler())
	gone.Close() // nothing listens there any more

	tests := []struct {
		name    string
		args    []string
		wantErr string // "" for success
	}{
		{"ready", []string{"--url", ready.URL + "/readyz"}, ""},
		{"not ready yet", []string{"--url", starting.URL + "/readyz"}, "503"},
		{"wrong path", []string{"--url", ready.URL + "/nope"}, "404"},
		{"nothing listening", []string{"--url", gone.URL + "/readyz"}, "connect"},
		{"too slow", []string{"--url", slow.URL + "/readyz", "--timeout", "100ms"}, "deadline"},
		{"zero timeout", []string{"--url", ready.URL + "/readyz", "--timeout", "0s"}, "positive"},
		{"stray argument", []string{"--url", ready.URL + "/readyz", "now"}, "no arguments"},
		{"unknown flag", []string{"--port", "8080"}, "not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			start := time.Now()
			err := run(append([]string{"healthcheck"}, tt.args...), &stdout, &stderr)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("healthcheck %v: %v", tt.args, err)
				}
				if !strings.Contains(stdout.String(), "ready") {
					t.Errorf("stdout = %q", stdout.String())
				}
				return
			}
			if err == nil {
				t.Fatalf("healthcheck %v succeeded, want an error with %q", tt.args, tt.wantErr)
			}
			if msg := err.Error() + stderr.String(); !strings.Contains(msg, tt.wantErr) {
				t.Errorf("healthcheck %v: %v (stderr %q), want %q in it", tt.args, err, stderr.String(), tt.wantErr)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %s: the timeout does not bound it", d)
			}
		})
	}
}

// TestHealthcheckProcess runs the binary as a container runtime would,
// against a real server: exit status 0 when ready, 1 when not.
func TestHealthcheckProcess(t *testing.T) {
	t.Parallel()
	p := startProcess(t, t.TempDir())
	out, err := exec.Command(binary, "healthcheck", "--url", "http://"+p.http+"/readyz").CombinedOutput()
	if err != nil {
		t.Fatalf("healthcheck of a ready server: %v: %s", err, out)
	}
	gone := testport.Addr(t)
	out, err = exec.Command(binary, "healthcheck", "--url", "http://"+gone+"/readyz", "--timeout", "1s").CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 {
		t.Fatalf("healthcheck of nothing: %v, want exit status 1: %s", err, out)
	}
	// The default URL is the one the Dockerfile relies on: 127.0.0.1:8080.
	cmd := exec.Command(binary, "healthcheck", "-h")
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "http://127.0.0.1:8080/readyz") {
		t.Errorf("healthcheck -h = %v: %s", err, out)
	}
}
