package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"text/tabwriter"

	"phananh/apikeys"
)

const apikeyUsage = `Usage:
  phananh apikey add --name NAME [--nats-url URL]
  phananh apikey list [--nats-url URL]
  phananh apikey revoke --name NAME [--nats-url URL]

An API key lets an Open311 client post requests (POST /open311/v2/requests).
"add" prints the new key once: only its SHA-256 is stored, so it cannot be
shown again; a lost key is revoked and a new one issued under a new name.
The NATS URL defaults to $PHANANH_NATS_URL, else nats://127.0.0.1:4222
(the server's embedded JetStream).
`

// runAPIKey runs "phananh apikey ...".
func runAPIKey(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, apikeyUsage)
		return errors.New("apikey: say add, list or revoke")
	}
	switch args[0] {
	case "add":
		return apikeyAdd(args[1:], stdout, stderr)
	case "list":
		return apikeyList(args[1:], stdout, stderr)
	case "revoke":
		return apikeyRevoke(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, apikeyUsage)
		return nil
	}
	fmt.Fprint(stderr, apikeyUsage)
	return fmt.Errorf("apikey: unknown command %q; say add, list or revoke", args[0])
}

func apikeyAdd(args []string, stdout, stderr io.Writer) error {
	fs, url := apikeyFlags("add", stderr)
	name := fs.String("name", "", "client name: 3 to 64 of a-z 0-9 . _ - (required)")
	if err := parseUserFlags(fs, args); err != nil {
		return err
	}
	if *name == "" {
		return errors.New("apikey add: --name is required")
	}
	if err := apikeys.CheckName(apikeys.NormalizeName(*name)); err != nil {
		return explain("apikey add", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), userTimeout)
	defer cancel()
	store, closeStore, err := openAPIKeys(ctx, *url)
	if err != nil {
		return fmt.Errorf("apikey add: %w", err)
	}
	defer closeStore()
	key, err := store.Add(ctx, *name)
	if err != nil {
		return explain("apikey add", err)
	}
	fmt.Fprintf(stderr, "issued a key for %s; it is shown once, keep it now:\n", apikeys.NormalizeName(*name))
	fmt.Fprintln(stdout, key)
	return nil
}

func apikeyList(args []string, stdout, stderr io.Writer) error {
	fs, url := apikeyFlags("list", stderr)
	if err := parseUserFlags(fs, args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), userTimeout)
	defer cancel()
	store, closeStore, err := openAPIKeys(ctx, *url)
	if err != nil {
		return fmt.Errorf("apikey list: %w", err)
	}
	defer closeStore()
	keys, err := store.List(ctx)
	if err != nil {
		return fmt.Errorf("apikey list: %w", err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tCREATED\tREVOKED")
	for _, k := range keys {
		revoked := "-"
		if k.RevokedAt != nil {
			revoked = k.RevokedAt.UTC().Format("2006-01-02 15:04Z")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", k.Name, k.CreatedAt.UTC().Format("2006-01-02 15:04Z"), revoked)
	}
	return tw.Flush()
}

func apikeyRevoke(args []string, stdout, stderr io.Writer) error {
	fs, url := apikeyFlags("revoke", stderr)
	name := fs.String("name", "", "client name of the key to revoke (required)")
	if err := parseUserFlags(fs, args); err != nil {
		return err
	}
	if *name == "" {
		return errors.New("apikey revoke: --name is required")
	}
	ctx, cancel := context.WithTimeout(context.Background(), userTimeout)
	defer cancel()
	store, closeStore, err := openAPIKeys(ctx, *url)
	if err != nil {
		return fmt.Errorf("apikey revoke: %w", err)
	}
	defer closeStore()
	if err := store.Revoke(ctx, *name); err != nil {
		return explain("apikey revoke", err)
	}
	fmt.Fprintf(stdout, "revoked %s\n", apikeys.NormalizeName(*name))
	return nil
}

// apikeyFlags is a flag set with the --nats-url every apikey command takes.
func apikeyFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	return natsFlags("apikey", name, "keys", stderr)
}

// openAPIKeys connects to NATS and opens the keys, leaving the bucket's
// replication as the server set it (replicas 0).
func openAPIKeys(ctx context.Context, url string) (*apikeys.Store, func(), error) {
	nc, js, err := connectJetStream(url, "phananh apikey")
	if err != nil {
		return nil, nil, err
	}
	store, err := apikeys.Open(ctx, js, 0)
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return store, nc.Close, nil
}
