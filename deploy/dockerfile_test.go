package deploy

import (
	"bufio"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// instruction is one Dockerfile instruction, continuation lines joined.
type instruction struct {
	cmd  string // upper case: FROM, RUN, …
	args string
}

// stage is a FROM and the instructions under it.
type stage struct {
	from  string // image reference
	name  string // AS name
	instr []instruction
}

func (s stage) all(cmd string) []string {
	var out []string
	for _, in := range s.instr {
		if in.cmd == cmd {
			out = append(out, in.args)
		}
	}
	return out
}

// parseDockerfile reads the instructions of a Dockerfile: comments and
// parser directives dropped, lines ending in a backslash joined.
func parseDockerfile(t *testing.T, file string) []stage {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var stages []stage
	var pending strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "#") || (line == "" && pending.Len() == 0) {
			continue
		}
		if cont, ok := strings.CutSuffix(line, "\\"); ok {
			pending.WriteString(cont + " ")
			continue
		}
		pending.WriteString(line)
		full := strings.TrimSpace(pending.String())
		pending.Reset()
		if full == "" {
			continue
		}
		cmd, args, _ := strings.Cut(full, " ")
		in := instruction{cmd: strings.ToUpper(cmd), args: strings.TrimSpace(args)}
		if in.cmd == "FROM" {
			fields := strings.Fields(in.args)
			st := stage{from: fields[0]}
			if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
				st.name = fields[2]
			}
			stages = append(stages, st)
			continue
		}
		if len(stages) == 0 {
			t.Fatalf("%s: %s before any FROM", file, in.cmd)
		}
		stages[len(stages)-1].instr = append(stages[len(stages)-1].instr, in)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return stages
}

func TestDockerfile(t *testing.T) {
	stages := parseDockerfile(t, filepath.Join(root, "Dockerfile"))
	if len(stages) < 2 {
		t.Fatalf("%d stages, want a multi-stage build (the toolchain stays out of the image)", len(stages))
	}
	build, run := stages[0], stages[len(stages)-1]

	t.Run("build stage", func(t *testing.T) {
		image, tag, _ := strings.Cut(build.from, ":")
		if image != "golang" {
			t.Fatalf("build stage FROM %s, want the golang image", build.from)
		}
		m := regexp.MustCompile(`^(\d+\.\d+(?:\.\d+)?)`).FindString(tag)
		if m == "" {
			t.Fatalf("golang tag %q names no Go version", tag)
		}
		if mod := goModVersion(t); compareVersions(parseVersion(t, m), parseVersion(t, mod)) < 0 {
			t.Errorf("golang:%s is older than go.mod's go %s", tag, mod)
		} else if compareVersions(parseVersion(t, m)[:2], parseVersion(t, mod)[:2]) != 0 {
			t.Errorf("golang:%s is another minor release than go.mod's go %s: build with the version the code is tested with", tag, mod)
		}
		runs := build.all("RUN")
		copies := build.all("COPY")
		download := slices.IndexFunc(runs, func(r string) bool { return strings.Contains(r, "go mod download") })
		if download < 0 || len(copies) < 2 || !strings.Contains(copies[0], "go.mod") || !strings.Contains(copies[0], "go.sum") ||
			strings.HasPrefix(copies[0], ". ") {
			t.Errorf("want COPY go.mod go.sum, RUN go mod download, then COPY . . (a cached module layer); COPY %v, RUN %v", copies, runs)
		}
		var built bool
		for _, r := range runs {
			if strings.Contains(r, "go build") {
				built = true
				for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "./cmd/phananh"} {
					if !strings.Contains(r, want) {
						t.Errorf("go build without %s: %s", want, r)
					}
				}
			}
		}
		if !built {
			t.Error("no RUN go build in the build stage")
		}
	})

	t.Run("run stage", func(t *testing.T) {
		if !strings.HasPrefix(run.from, "gcr.io/distroless/static") && !strings.HasPrefix(run.from, "alpine") {
			t.Errorf("run stage FROM %s, want distroless static or alpine", run.from)
		}
		users := run.all("USER")
		if len(users) == 0 {
			t.Fatal("no USER in the run stage: the server would run as root")
		}
		user, _, _ := strings.Cut(users[len(users)-1], ":")
		if user == "root" || user == "0" {
			t.Errorf("USER %s: want a non-root user", users[len(users)-1])
		}
		var copied bool
		for _, c := range run.all("COPY") {
			copied = copied || strings.Contains(c, "--from="+build.name) && strings.Contains(c, "/phananh")
		}
		if build.name == "" || !copied {
			t.Errorf("the run stage does not COPY the binary from the named build stage %q", build.name)
		}
		hc := run.all("HEALTHCHECK")
		if len(hc) != 1 || !strings.Contains(hc[0], `CMD ["/phananh", "healthcheck"`) || !strings.Contains(hc[0], "/readyz") {
			t.Errorf("HEALTHCHECK %v, want the binary's healthcheck (exec form: no shell in the image) of /readyz", hc)
		}
		var exposed []string
		for _, e := range run.all("EXPOSE") {
			exposed = append(exposed, strings.Fields(e)...)
		}
		for _, p := range []string{"8080", "4222"} {
			if !slices.Contains(exposed, p) {
				t.Errorf("EXPOSE %v lacks %s", exposed, p)
			}
		}
		env := strings.Join(run.all("ENV"), " ")
		if v := run.all("VOLUME"); len(v) == 0 || !strings.Contains(v[0], "/data") || !strings.Contains(env, "PHANANH_DATA=/data") {
			t.Errorf("VOLUME %v, ENV %s: want the data directory /data on a volume", v, env)
		}
		if !strings.Contains(env, "PHANANH_HTTP=:8080") {
			t.Errorf("ENV %s: the health check asks port 8080, so the server must listen there", env)
		}
		if e := run.all("ENTRYPOINT"); len(e) != 1 || !strings.Contains(e[0], `"/phananh"`) {
			t.Errorf("ENTRYPOINT %v, want the binary", e)
		}
	})

	t.Run("dockerignore", func(t *testing.T) {
		data, err := os.ReadFile(filepath.Join(root, ".dockerignore"))
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(string(data), "\n")
		for _, want := range []string{".git", "**/data"} {
			if !slices.Contains(lines, want) {
				t.Errorf(".dockerignore lacks %s (the history, and a local data directory's log, would enter the build context)", want)
			}
		}
	})
}

// goModVersion is go.mod's go directive.
func goModVersion(t *testing.T) string {
	t.Helper()
	return goModLine(t, `(?m)^go (\d+\.\d+(?:\.\d+)?)\s*$`)
}

// natsVersion is the nats-server version go.mod requires, without the v.
func natsVersion(t *testing.T) string {
	t.Helper()
	return goModLine(t, `(?m)^\s*github\.com/nats-io/nats-server/v2 v(\d+\.\d+\.\d+)\s*$`)
}

func goModLine(t *testing.T, pattern string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(pattern).FindSubmatch(data)
	if m == nil {
		t.Fatalf("go.mod has no line matching %s", pattern)
	}
	return string(m[1])
}

// parseVersion splits "1.26.0" into numbers.
func parseVersion(t *testing.T, v string) []int {
	t.Helper()
	var out []int
	for _, p := range strings.Split(v, ".") {
		n, err := strconv.Atoi(p)
		if err != nil {
			t.Fatalf("version %q: %v", v, err)
		}
		out = append(out, n)
	}
	return out
}

// compareVersions compares numerically; a missing part counts as 0, so
// the image golang:1.26 (the newest 1.26.x) satisfies go 1.26.0.
func compareVersions(a, b []int) int {
	for i := 0; i < max(len(a), len(b)); i++ {
		var x, y int
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}
