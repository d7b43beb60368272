package testport

import (
	"net"
	"strconv"
	"testing"
)

// TestPortIsFreeAndBelowTheEphemeralRange: a drawn port can be bound, and
// it is one the kernel does not hand out for port 0.
func TestPortIsFreeAndBelowTheEphemeralRange(t *testing.T) {
	top := ephemeralStart()
	for range 20 {
		p := Port(t)
		if p < lowest || p >= top {
			t.Fatalf("port %d outside [%d, %d)", p, lowest, top)
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
		if err != nil {
			t.Fatalf("port %d cannot be bound: %v", p, err)
		}
		ln.Close()
	}
	if host, port, err := net.SplitHostPort(Addr(t)); err != nil || host != "127.0.0.1" || port == "" {
		t.Errorf("Addr = %s:%s, %v", host, port, err)
	}
}

// TestPickSkipsAPortInUse: of two ports, one held, the draw always gives
// the other.
func TestPickSkipsAPortInUse(t *testing.T) {
	p := freePair(t)
	held, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	for range 20 {
		forget(p, p+1) // so that only being in use rules p out
		if got := pick(t, p, p+2); got != p+1 {
			t.Fatalf("pick(%d, %d) = %d, want %d: %d is in use", p, p+2, got, p+1, p)
		}
	}
}

// TestPickNeverHandsOutAPortTwice: of two free ports, two draws give both
// (twenty times: without the list, a pair would be equal half the time).
func TestPickNeverHandsOutAPortTwice(t *testing.T) {
	p := freePair(t)
	for range 20 {
		forget(p, p+1)
		if a, b := pick(t, p, p+2), pick(t, p, p+2); a == b {
			t.Fatalf("pick handed out %d twice", a)
		}
	}
}

// freePair draws a port p such that p and p+1 were both free a moment ago.
func freePair(t *testing.T) int {
	for {
		p := Port(t)
		if ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p+1))); err == nil {
			ln.Close()
			return p
		}
	}
}

// forget takes ports off the handed-out list.
func forget(ports ...int) {
	handed.Lock()
	defer handed.Unlock()
	for _, p := range ports {
		delete(handed.ports, p)
	}
}
