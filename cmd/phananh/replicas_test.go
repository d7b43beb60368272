package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"phananh/testport"
)

// startServe runs `phananh serve` with args on a free HTTP port and waits
// until it is ready. Cleanup kills it.
func startServe(t *testing.T, args ...string) *process {
	t.Helper()
	return startServeAt(t, testport.Addr(t), args...)
}

// startServeAt is startServe on a given HTTP address, so that a process
// restarted after kill -9 answers where its clients already send requests.
func startServeAt(t *testing.T, httpAddr string, args ...string) *process {
	t.Helper()
	p := &process{http: httpAddr, logs: &syncBuffer{}}
	p.cmd = exec.Command(binary, append([]string{"serve", "--http", p.http}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = p.logs, p.logs
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			p.cmd.Process.Kill()
			p.cmd.Wait()
		}
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get("http://" + p.http + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("phananh %v not ready after 60s; logs:\n%s", args, p.logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// receipt is what a submitted report answers.
type receipt struct {
	ID           string `json:"id"`
	TrackingCode string `json:"tracking_code"`
	Seq          uint64 `json:"seq"`
}

func submitReceipt(t *testing.T, p *process, i int) receipt {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"category": "pollution.noise", "title": fmt.Sprintf("Tiếng ồn xưởng gỗ %d", i),
		"description": "Máy cưa chạy suốt đêm.", "location": map[string]any{"commune": "cam-duong"},
		"anonymous": true,
	})
	resp, err := http.Post("http://"+p.http+"/api/v1/reports", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("submit %d: status %d", i, resp.StatusCode)
	}
	var r receipt
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatal(err)
	}
	if r.Seq == 0 {
		t.Fatalf("submit %d: no seq in the receipt", i)
	}
	return r
}

// TestReadYourWritesAcrossTwoProcesses runs two replicas on one JetStream:
// the first embeds it, the second connects to it. A report written through
// the first and read through the second with its seq (?after= or
// X-After-Seq) is always there: the read waits until the second replica's
// read models have applied it. (Without it the read may come too early;
// that is allowed, so it is not asserted.)
func TestReadYourWritesAcrossTwoProcesses(t *testing.T) {
	nats := testport.Addr(t)
	first := startServe(t, "--data", t.TempDir(), "--nats-listen", nats)
	second := startServe(t, "--data", t.TempDir(), "--nats-url", "nats://"+nats)
	if strings.Contains(second.logs.String(), "embedded JetStream started") {
		t.Fatalf("the second replica embedded a server of its own; logs:\n%s", second.logs)
	}

	for i := range 20 {
		r := submitReceipt(t, first, i)
		req, _ := http.NewRequest(http.MethodGet, "http://"+second.http+"/api/v1/reports/"+r.ID, nil)
		req.Header.Set("X-Tracking-Code", r.TrackingCode)
		how := "?after="
		if i%2 == 0 {
			req.URL.RawQuery = "after=" + strconv.FormatUint(r.Seq, 10)
		} else {
			how = "X-After-Seq"
			req.Header.Set("X-After-Seq", strconv.FormatUint(r.Seq, 10))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var got struct {
			ID      string `json:"id"`
			Version uint64 `json:"version"`
			Status  string `json:"status"`
		}
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil {
			t.Fatalf("report %d read on the second replica with %s %d: status %d (%v)", i, how, r.Seq, resp.StatusCode, err)
		}
		if got.ID != r.ID || got.Version < r.Seq || got.Status != "received" {
			t.Fatalf("report %d on the second replica: %+v, want id %s at version ≥ %d, received", i, got, r.ID, r.Seq)
		}
	}
}
