package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"phananh/domain"
	"phananh/staff"
)

const userUsage = `Usage:
  phananh user add --name NAME --role ROLE [--unit UNIT] [--nats-url URL]
  phananh user list [--nats-url URL]
  phananh user disable --name NAME [--nats-url URL]

Roles: officer, unit_head and supervisor belong to a unit (--unit);
coordinator, leader and admin may have one.
"add" reads the password from stdin when stdin is not a terminal (one
line), and otherwise asks for it twice without echoing it.
The NATS URL defaults to $PHANANH_NATS_URL, else nats://127.0.0.1:4222
(the server's embedded JetStream).
`

// userTimeout bounds one user command's work against JetStream.
const userTimeout = 30 * time.Second

// maxPasswordLine bounds what is read from stdin for a password.
const maxPasswordLine = 4 << 10

// runUser runs "phananh user ...", reading a password from stdin.
func runUser(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	return userCLI{cost: staff.DefaultCost}.run(args, stdin, stdout, stderr)
}

// userCLI is the user command; tests lower the bcrypt cost.
type userCLI struct {
	cost int
}

func (u userCLI) run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, userUsage)
		return errors.New("user: say add, list or disable")
	}
	switch args[0] {
	case "add":
		return u.add(args[1:], stdin, stdout, stderr)
	case "list":
		return u.list(args[1:], stdout, stderr)
	case "disable":
		return u.disable(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, userUsage)
		return nil
	}
	fmt.Fprint(stderr, userUsage)
	return fmt.Errorf("user: unknown command %q; say add, list or disable", args[0])
}

// userFlags is a flag set with the --nats-url every user command takes.
func userFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	return natsFlags("user", name, "accounts", stderr)
}

func parseUserFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s: unexpected arguments %q (flags are --name value)", fs.Name(), strings.Join(fs.Args(), " "))
	}
	return nil
}

func (u userCLI) add(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs, url := userFlags("add", stderr)
	name := fs.String("name", "", "login name: 3 to 64 of a-z 0-9 . _ - (required)")
	role := fs.String("role", "", "officer, unit_head, coordinator, supervisor, leader or admin (required)")
	unit := fs.String("unit", "", "unit code, e.g. ubnd.lao-cai (required for officer, unit_head, supervisor)")
	if err := parseUserFlags(fs, args); err != nil {
		return err
	}
	switch {
	case *name == "":
		return errors.New("user add: --name is required")
	case *role == "":
		return errors.New("user add: --role is required (officer, unit_head, coordinator, supervisor, leader or admin)")
	}
	// Refuse a bad name, role or unit before asking for a password.
	if err := staff.CheckAccount(*name, *unit, domain.Role(*role)); err != nil {
		return explain("user add", err)
	}
	password, err := readPassword(stdin, stderr)
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	if err := staff.CheckPassword(password); err != nil {
		return explain("user add", err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), userTimeout)
	defer cancel()
	dir, closeDir, err := u.open(ctx, *url)
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	defer closeDir()
	if err := dir.Add(ctx, *name, *unit, domain.Role(*role), password); err != nil {
		return explain("user add", err)
	}
	added := staff.NormalizeName(*name)
	if *unit != "" {
		fmt.Fprintf(stdout, "added %s (%s, %s)\n", added, *role, strings.TrimSpace(*unit))
	} else {
		fmt.Fprintf(stdout, "added %s (%s)\n", added, *role)
	}
	return nil
}

func (u userCLI) list(args []string, stdout, stderr io.Writer) error {
	fs, url := userFlags("list", stderr)
	if err := parseUserFlags(fs, args); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), userTimeout)
	defer cancel()
	dir, closeDir, err := u.open(ctx, *url)
	if err != nil {
		return fmt.Errorf("user list: %w", err)
	}
	defer closeDir()
	users, err := dir.List(ctx)
	if err != nil {
		return fmt.Errorf("user list: %w", err)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tROLE\tUNIT\tDISABLED\tCREATED")
	for _, user := range users {
		unit, disabled := user.Unit, "no"
		if unit == "" {
			unit = "-"
		}
		if user.Disabled {
			disabled = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", user.Name, user.Role, unit, disabled,
			user.CreatedAt.UTC().Format("2006-01-02 15:04Z"))
	}
	return tw.Flush()
}

func (u userCLI) disable(args []string, stdout, stderr io.Writer) error {
	fs, url := userFlags("disable", stderr)
	name := fs.String("name", "", "login name of the account to disable (required)")
	if err := parseUserFlags(fs, args); err != nil {
		return err
	}
	if *name == "" {
		return errors.New("user disable: --name is required")
	}
	ctx, cancel := context.WithTimeout(context.Background(), userTimeout)
	defer cancel()
	dir, closeDir, err := u.open(ctx, *url)
	if err != nil {
		return fmt.Errorf("user disable: %w", err)
	}
	defer closeDir()
	if err := dir.Disable(ctx, *name); err != nil {
		return explain("user disable", err)
	}
	fmt.Fprintf(stdout, "disabled %s\n", staff.NormalizeName(*name))
	return nil
}

// open connects to NATS and opens the accounts. It leaves the bucket's
// replication as the server set it (replicas 0).
func (u userCLI) open(ctx context.Context, url string) (*staff.Directory, func(), error) {
	nc, js, err := connectJetStream(url, "phananh user")
	if err != nil {
		return nil, nil, err
	}
	dir, err := staff.Open(ctx, js, 0, staff.WithCost(u.cost))
	if err != nil {
		nc.Close()
		return nil, nil, err
	}
	return dir, func() { dir.Close(); nc.Close() }, nil
}

// readPassword reads a password: from a terminal, twice and without echo;
// from anything else (a pipe, a file), the first line without its line end.
func readPassword(stdin io.Reader, stderr io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stderr, "Password: ")
		first, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read the password: %w", err)
		}
		fmt.Fprint(stderr, "Repeat the password: ")
		second, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("read the password: %w", err)
		}
		if string(first) != string(second) {
			return "", errors.New("the two passwords differ")
		}
		return string(first), nil
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, maxPasswordLine)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the password from stdin: %w", err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", errors.New("no password: give one line on stdin, or run in a terminal to be asked")
	}
	return line, nil
}

// explain turns a staff error into a message about the flag at fault.
func explain(cmd string, err error) error {
	var de *domain.Error
	if !errors.As(err, &de) {
		return fmt.Errorf("%s: %w", cmd, err)
	}
	switch de.Field {
	case "name", "role", "unit":
		return fmt.Errorf("%s: --%s: %s", cmd, de.Field, de.Message)
	case "":
		return fmt.Errorf("%s: %s", cmd, de.Message)
	}
	return fmt.Errorf("%s: %s: %s", cmd, de.Field, de.Message)
}
