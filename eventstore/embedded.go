package eventstore

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// readyTimeout bounds how long StartEmbedded waits for the server to accept
// clients. Recovering a large JetStream store takes a while, but a server that
// is not up after this long is broken, and the caller should hear so.
const readyTimeout = 30 * time.Second

// EmbeddedOptions configures the in-process JetStream server that
// `phananh serve` runs when no external cluster is given.
type EmbeddedOptions struct {
	// DataDir holds JetStream's file storage. It is required: an embedded
	// store that forgets on restart would lose the truth.
	DataDir string
	// Listen is the client address as host:port. Port -1 picks a free port
	// (tests); an empty Listen means "127.0.0.1:-1", so nothing is exposed
	// beyond the machine unless asked for.
	Listen string
	// SyncAlways fsyncs every write before the server acknowledges it. The
	// binary defaults to true: with the server's default two-minute sync
	// interval, acknowledged appends can vanish on power loss. Turning it off
	// trades that durability for several times the append throughput.
	SyncAlways bool
}

// Embedded is a running in-process NATS server with JetStream enabled.
// Clients still connect to it over loopback TCP (ClientURL): the in-process
// pipe only helps a single publisher and hurts tail latency from about eight
// concurrent publishers up (measured, DESIGN.md §3).
type Embedded struct {
	srv *server.Server
}

// StartEmbedded starts a NATS server with JetStream file storage in
// opts.DataDir and waits, bounded, until it accepts clients.
func StartEmbedded(opts EmbeddedOptions) (*Embedded, error) {
	if opts.DataDir == "" {
		return nil, errors.New("eventstore: start embedded: DataDir is required")
	}
	listen := opts.Listen
	if listen == "" {
		listen = "127.0.0.1:-1"
	}
	host, portText, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("eventstore: start embedded: listen %q: %w", listen, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < -1 || port > 65535 {
		return nil, fmt.Errorf("eventstore: start embedded: listen %q: bad port", listen)
	}
	if port == -1 {
		port = server.RANDOM_PORT
	}

	srv, err := server.NewServer(&server.Options{
		ServerName: "phananh-embedded",
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   opts.DataDir,
		SyncAlways: opts.SyncAlways,
		// The binary owns signal handling (SIGTERM drains HTTP first) and
		// logging (slog); the embedded server must not take either over.
		NoSigs: true,
		NoLog:  true,
	})
	if err != nil {
		return nil, fmt.Errorf("eventstore: start embedded: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(readyTimeout) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, fmt.Errorf("eventstore: start embedded: server not ready after %s", readyTimeout)
	}
	if !srv.JetStreamEnabled() {
		srv.Shutdown()
		srv.WaitForShutdown()
		return nil, errors.New("eventstore: start embedded: JetStream did not start")
	}
	return &Embedded{srv: srv}, nil
}

// ClientURL is the nats:// URL clients connect to, with the real port when
// Listen asked for a random one.
func (e *Embedded) ClientURL() string {
	return e.srv.ClientURL()
}

// Shutdown stops the server and waits until it has closed its store, so the
// same DataDir can be opened again at once.
func (e *Embedded) Shutdown() {
	e.srv.Shutdown()
	e.srv.WaitForShutdown()
}
