package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"phananh/eventstore"
)

const reporterUsage = `Usage:
  phananh reporter reerase [--nats-url URL] [--timeout 10m]

"reerase" destroys, again, the key of every reporter the log records as
erased (every reporter_erased event of the stream CASES). Run it after
restoring the REPORTER_KEYS bucket from a backup, before starting the
servers: a backup taken before an erasure still holds that reporter's key,
and restoring it would make their identity readable again. It is idempotent
and changes nothing else. To erase one reporter, an administrator uses
POST /api/v1/cases/{id}/erase-reporter. See docs/operations.md.
The NATS URL defaults to $PHANANH_NATS_URL, else nats://127.0.0.1:4222.
`

// runReporter runs "phananh reporter ...".
func runReporter(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, reporterUsage)
		return errors.New("reporter: say reerase")
	}
	switch args[0] {
	case "reerase":
		return reporterReerase(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, reporterUsage)
		return nil
	}
	fmt.Fprint(stderr, reporterUsage)
	return fmt.Errorf("reporter: unknown command %q; say reerase", args[0])
}

func reporterReerase(args []string, stdout, stderr io.Writer) error {
	fs, url := natsFlags("reporter", "reerase", "stream CASES and the bucket REPORTER_KEYS", stderr)
	timeout := fs.Duration("timeout", 10*time.Minute, "give up after this long (the whole log is read)")
	if err := parseUserFlags(fs, args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	nc, js, err := connectJetStream(*url, "phananh reporter reerase")
	if err != nil {
		return fmt.Errorf("reporter reerase: %w", err)
	}
	defer nc.Close()
	n, err := eventstore.ReapplyErasures(ctx, js)
	if err != nil {
		return fmt.Errorf("reporter reerase: after %d erasures: %w", n, err)
	}
	fmt.Fprintf(stdout, "%d recorded erasures applied again; their keys are destroyed\n", n)
	return nil
}
