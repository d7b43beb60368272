package domain_test

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
)

// TestDomainIsPure holds the domain to what it promises: it imports the
// standard library, uuid and the Go project's Unicode normalisation
// (texts are counted and kept composed) only, never NATS or Echo, so that
// every rule runs in a plain unit test and no infrastructure leaks into
// the business.
func TestDomainIsPure(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go command is not on PATH")
	}
	cmd := exec.Command(gobin, "list", "-deps", "-f", "{{.ImportPath}} {{.Standard}}", ".")
	out, err := cmd.Output()
	if err != nil {
		var stderr string
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			stderr = string(exitErr.Stderr)
		}
		t.Fatalf("go list -deps: %v\n%s", err, stderr)
	}
	allowed := map[string]bool{
		"phananh/domain":         true,
		"github.com/google/uuid": true,
		// norm and the transform interface it implements: pure functions
		// over text, the same package the standard library vendors.
		"golang.org/x/text/unicode/norm": true,
		"golang.org/x/text/transform":    true,
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) < 2 {
		t.Fatalf("go list -deps printed too little to trust:\n%s", out)
	}
	sawSelf := false
	for _, line := range lines {
		pkg, standard, _ := strings.Cut(line, " ")
		if pkg == "phananh/domain" {
			sawSelf = true
		}
		switch {
		case strings.Contains(pkg, "nats-io"), strings.Contains(pkg, "labstack"):
			t.Errorf("the domain depends on %s: infrastructure belongs outside the domain", pkg)
		case standard == "true", allowed[pkg]:
		default:
			t.Errorf("the domain depends on %s: only the standard library, github.com/google/uuid and golang.org/x/text/unicode/norm are allowed", pkg)
		}
	}
	if !sawSelf {
		t.Fatalf("go list -deps did not list phananh/domain itself; was it run in the package directory?\n%s", out)
	}
}
