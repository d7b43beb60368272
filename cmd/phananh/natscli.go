package main

import (
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// natsFlags is a flag set for "phananh <group> <name>" with the --nats-url
// every user and apikey command takes; holding says what the server holds.
func natsFlags(group, name, holding string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet(group+" "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	url := fs.String("nats-url", env("PHANANH_NATS_URL", "nats://127.0.0.1:4222"), "NATS server or cluster holding the "+holding+" (PHANANH_NATS_URL)")
	return fs, url
}

// connectJetStream connects to NATS at url as client and returns the
// connection, which the caller closes, and its JetStream.
func connectJetStream(url, client string) (*nats.Conn, jetstream.JetStream, error) {
	nc, err := nats.Connect(url, nats.Name(client), nats.Timeout(5*time.Second))
	if err != nil {
		return nil, nil, fmt.Errorf("connect to NATS at %s (is phananh serve running, or --nats-url right?): %w", url, err)
	}
	js, err := jetstream.New(nc)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return nc, js, nil
}
