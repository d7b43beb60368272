package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"phananh/eventstore"
	"phananh/staff"
)

// startJetStream starts a real embedded JetStream server for the user
// commands to talk to, as `phananh serve` would run it.
func startJetStream(t *testing.T) string {
	t.Helper()
	emb, err := eventstore.StartEmbedded(eventstore.EmbeddedOptions{DataDir: t.TempDir(), Listen: "127.0.0.1:-1"})
	if err != nil {
		t.Fatalf("StartEmbedded: %v", err)
	}
	t.Cleanup(emb.Shutdown)
	return emb.ClientURL()
}

// testCLI is the user command with the cheapest bcrypt cost: a cost-12 hash
// takes seconds under the race detector.
var testCLI = userCLI{cost: bcrypt.MinCost}

// user runs "phananh user args..." with stdin and returns what it printed.
func user(t *testing.T, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = testCLI.run(args, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

// through runs args through run, as main does.
func through(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(args, &out, &errOut)
	return out.String(), err
}

func TestUserAddListDisable(t *testing.T) {
	url := startJetStream(t)

	out, _, err := user(t, "mật khẩu đủ dài\n", "add", "--name", "An.Nguyen", "--role", "officer", "--unit", "ubnd.lao-cai", "--nats-url", url)
	if err != nil {
		t.Fatalf("user add: %v", err)
	}
	if got, want := out, "added an.nguyen (officer, ubnd.lao-cai)\n"; got != want {
		t.Errorf("user add printed %q, want %q", got, want)
	}
	// A password piped from a Windows file ends in CRLF; both are trimmed.
	if _, _, err := user(t, "mật khẩu quản trị\r\n", "add", "--name", "chi.le", "--role", "admin", "--nats-url", url); err != nil {
		t.Fatalf("user add admin: %v", err)
	}
	if _, _, err := user(t, "mật khẩu khác\n", "add", "--name", "an.nguyen", "--role", "officer", "--unit", "ubnd.cam-duong", "--nats-url", url); err == nil ||
		!strings.Contains(err.Error(), "--name") || !strings.Contains(err.Error(), "exists already") {
		t.Errorf("adding an existing name: %v, want a --name error saying it exists", err)
	}

	// The passwords are the ones given, without their line ends.
	js := jetStream(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dir, err := staff.Open(ctx, js, 0, staff.WithCost(bcrypt.MinCost))
	if err != nil {
		t.Fatal(err)
	}
	defer dir.Close()
	for name, password := range map[string]string{"an.nguyen": "mật khẩu đủ dài", "chi.le": "mật khẩu quản trị"} {
		if _, err := dir.Authenticate(ctx, name, password); err != nil {
			t.Errorf("%s cannot log in with the password given to user add: %v", name, err)
		}
	}

	// list goes through run, as the binary does; the URL comes from the environment.
	t.Setenv("PHANANH_NATS_URL", url)
	out, err = through(t, "user", "list")
	if err != nil {
		t.Fatalf("user list: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("user list printed %d lines, want a header and 2 accounts:\n%s", len(lines), out)
	}
	if f := strings.Fields(lines[0]); strings.Join(f[:4], " ") != "NAME ROLE UNIT DISABLED" {
		t.Errorf("header = %q", lines[0])
	}
	if f := strings.Fields(lines[1]); strings.Join(f[:4], " ") != "an.nguyen officer ubnd.lao-cai no" {
		t.Errorf("first row = %q, want an.nguyen officer ubnd.lao-cai no", lines[1])
	}
	if f := strings.Fields(lines[2]); strings.Join(f[:4], " ") != "chi.le admin - no" {
		t.Errorf("second row = %q, want chi.le admin - no", lines[2])
	}
	for _, secret := range []string{"$2a$", "JDJh", "hash", "mật khẩu"} {
		if strings.Contains(out, secret) {
			t.Errorf("user list shows %q:\n%s", secret, out)
		}
	}

	out, err = through(t, "user", "disable", "--name", "an.nguyen")
	if err != nil {
		t.Fatalf("user disable: %v", err)
	}
	if got, want := out, "disabled an.nguyen\n"; got != want {
		t.Errorf("user disable printed %q, want %q", got, want)
	}
	out, err = through(t, "user", "list", "--nats-url", url)
	if err != nil {
		t.Fatal(err)
	}
	if f := strings.Fields(strings.Split(out, "\n")[1]); f[0] != "an.nguyen" || f[3] != "yes" {
		t.Errorf("after disable, list shows %q, want an.nguyen disabled", f)
	}
	if _, err := dir.Authenticate(ctx, "an.nguyen", "mật khẩu đủ dài"); err == nil {
		t.Error("a disabled account can still log in")
	}
}

func TestUserCommandFailures(t *testing.T) {
	url := startJetStream(t)
	tests := []struct {
		name    string
		stdin   string
		args    []string
		wantErr string
	}{
		{"no command", "", nil, "say add, list or disable"},
		{"unknown command", "", []string{"remove"}, `unknown command "remove"`},
		{"add without a name", "mật khẩu đủ dài\n", []string{"add", "--role", "admin", "--nats-url", url}, "--name is required"},
		{"add without a role", "mật khẩu đủ dài\n", []string{"add", "--name", "an.nguyen", "--nats-url", url}, "--role is required"},
		{"add with an unknown role", "mật khẩu đủ dài\n", []string{"add", "--name", "an.nguyen", "--role", "boss", "--nats-url", url}, "--role: role \"boss\" is not a staff role"},
		{"add an officer without a unit", "mật khẩu đủ dài\n", []string{"add", "--name", "an.nguyen", "--role", "officer", "--nats-url", url}, "--unit: role officer needs a unit"},
		{"add with a bad name", "mật khẩu đủ dài\n", []string{"add", "--name", "an nguyen", "--role", "admin", "--nats-url", url}, "--name: a name may hold only"},
		{"add with no password on stdin", "", []string{"add", "--name", "an.nguyen", "--role", "admin", "--nats-url", url}, "no password"},
		{"add with an empty line", "\n", []string{"add", "--name", "an.nguyen", "--role", "admin", "--nats-url", url}, "no password"},
		{"add with a short password", "ngắn\n", []string{"add", "--name", "an.nguyen", "--role", "admin", "--nats-url", url}, "password: a password has at least 10 characters"},
		{"add with a stray argument", "", []string{"add", "an.nguyen", "--role", "admin"}, "unexpected arguments"},
		{"disable without a name", "", []string{"disable", "--nats-url", url}, "--name is required"},
		{"disable an unknown account", "", []string{"disable", "--name", "khong.co.ai", "--nats-url", url}, "no account named khong.co.ai"},
		{"list from nowhere", "", []string{"list", "--nats-url", "nats://127.0.0.1:1"}, "connect to NATS at nats://127.0.0.1:1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _, err := user(t, tt.stdin, tt.args...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("user %q = %v (printed %q), want an error containing %q", tt.args, err, out, tt.wantErr)
			}
		})
	}
	// None of the refused adds created an account.
	out, _, err := user(t, "", "list", "--nats-url", url)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 1 {
		t.Errorf("after refused adds, list shows:\n%s", out)
	}
	// run knows the command and shows it in its usage.
	if _, err := through(t, "user"); err == nil || !strings.Contains(err.Error(), "say add, list or disable") {
		t.Errorf(`run("user") = %v`, err)
	}
	if out, _ := through(t, "help"); !strings.Contains(out, "phananh user") {
		t.Errorf("usage does not mention the user command:\n%s", out)
	}
}
