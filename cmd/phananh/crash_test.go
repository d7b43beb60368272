package main

import (
	"flag"
	"math/rand/v2"
	"syscall"
	"testing"
	"time"

	"phananh/testport"
)

// The crash test's size. CI runs the defaults; a longer run locally:
//
//	go test -race -run TestCrash -timeout 30m ./cmd/phananh/ -crash.kills=100
var (
	crashKills   = flag.Int("crash.kills", 10, "crash test: how many times phananh serve is killed with SIGKILL under load")
	crashClients = flag.Int("crash.clients", 4, "crash test: concurrent clients filing reports and acting on cases")
)

// TestCrashKill9UnderLoadLosesNothing kills `phananh serve` (embedded
// JetStream, fsync on every append, the default) with SIGKILL at random
// moments while clients file reports and staff act on cases, and restarts
// it on the same data each time. The clients retry as real ones do: a
// report with its own id, an action with the If-Match it was first sent
// with. At the end a fresh process must hold every acknowledged report and
// action, in the stream (read with a NATS client of its own) and in the
// read models, no report twice, and every case's events a legal lifecycle.
// noRateLimits turns off the per-address limits for tests whose many
// clients all come from 127.0.0.1: they test durability, not abuse limits
// (app TestRateLimitsWithDefaults does).
var noRateLimits = []string{"--rate-submit", "0", "--rate-login", "0", "--rate-lookup", "0"}

func TestCrashKill9UnderLoadLosesNothing(t *testing.T) {
	start := time.Now()
	dir := t.TempDir()
	httpAddr, natsAddr := testport.Addr(t), testport.Addr(t)
	natsURL := "nats://" + natsAddr
	args := append([]string{"--data", dir, "--nats-listen", natsAddr}, noRateLimits...)
	p := startServeAt(t, httpAddr, args...)

	first, unit := unitFor(t, httpAddr)
	token, officer := login(t, natsURL, httpAddr, unit)
	setup := time.Since(start)

	stop := make(chan struct{})
	type result struct {
		ledger  []*ledgerCase
		retries int
	}
	done := make(chan result, 1)
	go func() {
		// Generous: a client's retries give up only if the server has not
		// answered for this long, which is a failure in itself.
		ledger, retries := load(t, *crashClients, []string{httpAddr}, token, officer, stop, 2*time.Minute)
		done <- result{ledger, retries}
	}()

	rng := rand.New(rand.NewPCG(uint64(start.UnixNano()), 1))
	var down time.Duration // from each kill until the restarted process is ready
	for range *crashKills {
		// A random moment of load: some kills land mid-append, some
		// between an append and its answer, some while idle.
		time.Sleep(time.Duration(200+rng.IntN(1000)) * time.Millisecond)
		if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		killed := time.Now()
		p.cmd.Wait()
		p = startServeAt(t, httpAddr, args...)
		down += time.Since(killed)
	}
	close(stop)
	var r result
	select {
	case r = <-done:
	case <-time.After(5 * time.Minute):
		t.Fatalf("the clients did not finish 5 min after the last restart; logs:\n%s", p.logs)
	}

	// The check runs against a fresh process, itself started after a kill.
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
	p = startServeAt(t, httpAddr, args...)
	auditStart := time.Now()
	n := audit(t, t, append(r.ledger, first), natsURL, []string{httpAddr}, token)
	t.Logf("crash test: %d kills under load (+1 before the audit), %d clients, %s (set-up %s, audit %s, mean restart to ready %s); %d client retries; %s",
		*crashKills, *crashClients, time.Since(start).Round(time.Second), setup.Round(100*time.Millisecond),
		time.Since(auditStart).Round(100*time.Millisecond), (down / time.Duration(max(*crashKills, 1))).Round(10*time.Millisecond), r.retries, n)
	if n.ReportsAcked == 0 || n.ActionsAcked == 0 {
		t.Errorf("nothing was acknowledged: the test proved nothing (%s)", n)
	}
	if n.bad() {
		t.Fatalf("the crash test found losses, duplicates or illegal histories: %s", n)
	}
	t.Run("the audit catches tampering", func(t *testing.T) {
		auditCatchesTampering(t, append(r.ledger, first), natsURL, []string{httpAddr}, token)
	})
}
