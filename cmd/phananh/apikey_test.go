package main

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	"phananh/apikeys"
)

var keyRE = regexp.MustCompile(`^hue-311\.[0-9a-f]{64}$`)

func TestAPIKeyAddListRevoke(t *testing.T) {
	url := startJetStream(t)
	t.Setenv("PHANANH_NATS_URL", url)

	out, err := through(t, "apikey", "add", "--name", "Hue-311")
	if err != nil {
		t.Fatalf("apikey add: %v", err)
	}
	key := strings.TrimSpace(out)
	if !keyRE.MatchString(key) {
		t.Fatalf("apikey add printed %q, want the key alone: hue-311.<64 hex digits>", out)
	}
	if _, err := through(t, "apikey", "add", "--name", "partner.portal"); err != nil {
		t.Fatal(err)
	}
	if _, err := through(t, "apikey", "add", "--name", "hue-311"); err == nil || !strings.Contains(err.Error(), "--name") ||
		!strings.Contains(err.Error(), "issued already") {
		t.Errorf("adding a name twice: %v, want a --name error saying it was issued already", err)
	}

	// The bucket holds the key's hash, never the key; Check knows it.
	js := jetStream(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	kv, err := js.KeyValue(ctx, apikeys.Bucket)
	if err != nil {
		t.Fatal(err)
	}
	entry, err := kv.Get(ctx, "hue-311")
	if err != nil {
		t.Fatal(err)
	}
	secret := key[strings.LastIndexByte(key, '.')+1:]
	if strings.Contains(string(entry.Value()), secret) {
		t.Errorf("the bucket holds the key in plaintext: %s", entry.Value())
	}
	store, err := apikeys.Open(ctx, js, 0)
	if err != nil {
		t.Fatal(err)
	}
	if name, err := store.Check(ctx, key); err != nil || name != "hue-311" {
		t.Errorf("Check(the key) = %q, %v; want hue-311", name, err)
	}
	for _, bad := range []string{"", key + "0", key[:len(key)-1] + "x", "partner.portal" + key[len("hue-311"):], "nobody" + key[len("hue-311"):]} {
		if _, err := store.Check(ctx, bad); !errors.Is(err, apikeys.ErrInvalidKey) {
			t.Errorf("Check(%q) = %v, want ErrInvalidKey", bad, err)
		}
	}

	out, err = through(t, "apikey", "list")
	if err != nil {
		t.Fatalf("apikey list: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || strings.Join(strings.Fields(lines[0]), " ") != "NAME CREATED REVOKED" ||
		strings.Fields(lines[1])[0] != "hue-311" || strings.Fields(lines[2])[0] != "partner.portal" ||
		strings.Fields(lines[1])[3] != "-" {
		t.Errorf("apikey list printed:\n%s", out)
	}
	if strings.Contains(out, secret) {
		t.Errorf("apikey list shows the key:\n%s", out)
	}

	out, err = through(t, "apikey", "revoke", "--name", "hue-311")
	if err != nil || out != "revoked hue-311\n" {
		t.Fatalf("apikey revoke = %q, %v", out, err)
	}
	if _, err := store.Check(ctx, key); !errors.Is(err, apikeys.ErrInvalidKey) {
		t.Errorf("Check(a revoked key) = %v, want ErrInvalidKey", err)
	}
	if _, err := through(t, "apikey", "revoke", "--name", "hue-311"); err != nil {
		t.Errorf("revoking twice: %v, want success", err)
	}
	out, err = through(t, "apikey", "list")
	if err != nil {
		t.Fatal(err)
	}
	if f := strings.Fields(strings.Split(out, "\n")[1]); f[0] != "hue-311" || f[3] == "-" {
		t.Errorf("after revoke, list shows %q, want hue-311 with a revocation time", f)
	}
}

func TestAPIKeyCommandFailures(t *testing.T) {
	url := startJetStream(t)
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"no command", []string{"apikey"}, "say add, list or revoke"},
		{"unknown command", []string{"apikey", "delete"}, `unknown command "delete"`},
		{"add without a name", []string{"apikey", "add", "--nats-url", url}, "--name is required"},
		{"add with a bad name", []string{"apikey", "add", "--name", "hue 311", "--nats-url", url}, "--name: a name may hold only"},
		{"add with a stray argument", []string{"apikey", "add", "hue"}, "unexpected arguments"},
		{"revoke without a name", []string{"apikey", "revoke", "--nats-url", url}, "--name is required"},
		{"revoke an unknown key", []string{"apikey", "revoke", "--name", "nobody", "--nats-url", url}, "no key named nobody"},
		{"list from nowhere", []string{"apikey", "list", "--nats-url", "nats://127.0.0.1:1"}, "connect to NATS at nats://127.0.0.1:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := through(t, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("%q = %v (printed %q), want an error containing %q", tt.args, err, out, tt.wantErr)
			}
		})
	}
	if out, _ := through(t, "help"); !strings.Contains(out, "phananh apikey") {
		t.Errorf("usage does not mention the apikey command:\n%s", out)
	}
}
