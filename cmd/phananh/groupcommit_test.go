package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/synadia-io/orbit.go/jetstreamext"

	"phananh/testport"
)

// submitConcurrently posts n reports at once and returns the id and
// tracking code of each acknowledged one (201).
func submitConcurrently(t *testing.T, p *process, n int) (ids, codes []string) {
	t.Helper()
	ids, codes = make([]string, n), make([]string, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			body, _ := json.Marshal(map[string]any{
				"category": "pollution.noise", "title": fmt.Sprintf("Tiếng ồn cùng lúc %d", i),
				"description": "Máy khoan hoạt động sau 22 giờ.", "location": map[string]any{"commune": "cam-duong"},
				"anonymous": true,
			})
			<-start
			resp, err := http.Post("http://"+p.http+"/api/v1/reports", "application/json", bytes.NewReader(body))
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			if resp.StatusCode != http.StatusCreated {
				errs[i] = fmt.Errorf("status %d", resp.StatusCode)
				return
			}
			var r struct {
				ID           string `json:"id"`
				TrackingCode string `json:"tracking_code"`
			}
			errs[i] = json.NewDecoder(resp.Body).Decode(&r)
			ids[i], codes[i] = r.ID, r.TrackingCode
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("submit %d: %v", i, err)
		}
	}
	return ids, codes
}

// groupedBatches counts the atomic batches in the CASES stream that hold
// the events of more than one case: appends grouped under one fsync.
func groupedBatches(t *testing.T, natsAddr string) int {
	t.Helper()
	js := jetStream(t, "nats://"+natsAddr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	stream, err := js.Stream(ctx, "CASES")
	if err != nil {
		t.Fatal(err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	subjects := map[string]map[string]bool{}
	for seq := info.State.FirstSeq; info.State.Msgs > 0 && seq <= info.State.LastSeq; seq++ {
		msg, err := stream.GetMsg(ctx, seq)
		if err != nil {
			t.Fatalf("get %d: %v", seq, err)
		}
		if id := msg.Header.Get(jetstreamext.BatchIDHeader); id != "" {
			if subjects[id] == nil {
				subjects[id] = map[string]bool{}
			}
			subjects[id][msg.Subject] = true
		}
	}
	n := 0
	for _, s := range subjects {
		if len(s) > 1 {
			n++
		}
	}
	return n
}

// TestKill9LosesNoGroupedReport is the kill -9 test for appends grouped
// under one fsync (the default with --sync-always): reports submitted at
// the same moment, every one acknowledged, then the process killed without
// warning. Each must be there after the restart, and the log must show that
// they were in fact written in shared batches.
func TestKill9LosesNoGroupedReport(t *testing.T) {
	dir := t.TempDir()
	natsAddr := testport.Addr(t)
	// 48 submissions from one address at once: more than the default
	// per-address limit lets through.
	p := startServe(t, append([]string{"--data", dir, "--nats-listen", natsAddr, "--group-min-batch", "2"}, noRateLimits...)...)
	ids, codes := submitConcurrently(t, p, 48)
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()

	q := startServe(t, "--data", dir, "--nats-listen", natsAddr)
	for i := range ids {
		if got := status(t, q, ids[i], codes[i]); got != http.StatusOK {
			t.Errorf("report %s after kill -9: status %d, want 200", ids[i], got)
		}
	}
	if n := groupedBatches(t, natsAddr); n == 0 {
		t.Errorf("no stored batch holds more than one case: 48 concurrent reports were not grouped")
	}
}
