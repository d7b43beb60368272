// Package testport picks loopback TCP ports for tests that must name a port
// before something binds it: a server restarted on its old address, the
// routes of a cluster, an address where nothing listens.
//
// The usual trick, listening on port 0 and closing the listener, takes a
// port from the kernel's ephemeral range, and while it is free any other
// process's bind to port 0 or outgoing connection may be given it; go test
// runs several packages' test binaries at once, each binding port 0 all
// the time. A port below that range is never handed out that way, so only
// another explicit choice, such as this package's in another binary, can
// take it, and that is a random draw among thousands.
package testport

import (
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// lowest is the first port drawn: above the well-known and most
// registered services' ports.
const lowest = 10000

// Port returns a loopback TCP port that was free a moment ago and lies
// below the kernel's ephemeral range.
func Port(tb testing.TB) int {
	tb.Helper()
	return pick(tb, lowest, ephemeralStart())
}

// handed holds the ports this process has handed out, so that two draws
// of one test (an HTTP and a NATS address) never give the same port.
var handed struct {
	sync.Mutex
	ports map[int]bool
}

// pick draws a port in [lo, hi) that can be bound and was not handed out
// before.
func pick(tb testing.TB, lo, hi int) int {
	tb.Helper()
	handed.Lock()
	defer handed.Unlock()
	if handed.ports == nil {
		handed.ports = map[int]bool{}
	}
	for range 200 {
		p := lo + rand.IntN(hi-lo)
		if handed.ports[p] {
			continue
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			continue // in use
		}
		if err := ln.Close(); err != nil {
			tb.Fatalf("testport: close %d: %v", p, err)
		}
		handed.ports[p] = true
		return p
	}
	tb.Fatalf("testport: no free port between %d and %d in 200 draws", lo, hi)
	return 0
}

// Addr is Port as "127.0.0.1:port".
func Addr(tb testing.TB) string {
	tb.Helper()
	return fmt.Sprintf("127.0.0.1:%d", Port(tb))
}

// ephemeralStart is where the kernel's ephemeral ports begin: Linux says
// in /proc; elsewhere, or if it says something odd, IANA's 49152 (Linux's
// default is 32768).
func ephemeralStart() int {
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > lowest+1000 {
				return n
			}
		}
	}
	return 49152
}
