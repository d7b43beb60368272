package deploy

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nats-io/nats-server/v2/server"
	"go.yaml.in/yaml/v3"
)

// root is the repository root, where docker-compose.yml and the Dockerfile live.
const root = ".."

// compose is the part of docker-compose.yml the checks read.
type compose struct {
	Services map[string]service `yaml:"services"`
	Volumes  map[string]any     `yaml:"volumes"`
}

type service struct {
	Image string `yaml:"image"`
	Build *struct {
		Context    string `yaml:"context"`
		Dockerfile string `yaml:"dockerfile"`
	} `yaml:"build"`
	Command     []string          `yaml:"command"`
	Environment map[string]string `yaml:"environment"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	Volumes  []string `yaml:"volumes"`
	Ports    []string `yaml:"ports"`
	Profiles []string `yaml:"profiles"`
}

func loadCompose(t *testing.T) compose {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	// Keys the struct does not name are ignored (compose has many); a
	// known key of the wrong shape is an error.
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	if len(c.Services) == 0 {
		t.Fatal("docker-compose.yml has no services")
	}
	return c
}

// mount is one "source:target[:mode]" volume entry.
type mount struct{ source, target string }

func mounts(s service) []mount {
	var out []mount
	for _, v := range s.Volumes {
		parts := strings.Split(v, ":")
		if len(parts) >= 2 {
			out = append(out, mount{parts[0], parts[1]})
		}
	}
	return out
}

// hostPath maps a path inside a container to the file of the repository
// that a bind mount puts there, or "" if none does.
func hostPath(s service, inside string) string {
	for _, m := range mounts(s) {
		if !strings.HasPrefix(m.source, ".") {
			continue // a named volume
		}
		if inside == m.target || strings.HasPrefix(inside, m.target+"/") {
			return filepath.Join(root, m.source, strings.TrimPrefix(inside, m.target))
		}
	}
	return ""
}

// flagValue returns the value of --name in args ("--name v" or "--name=v").
func flagValue(args []string, name string) (string, bool) {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1], true
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// natsServices are the services running the official nats image.
func natsServices(c compose) []string {
	var out []string
	for name, s := range c.Services {
		if strings.HasPrefix(s.Image, "nats:") {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// replicaServices are the services built from the repository's Dockerfile.
func replicaServices(c compose) []string {
	var out []string
	for name, s := range c.Services {
		if s.Build != nil && path.Clean(s.Build.Context) == "." && s.Build.Dockerfile == "Dockerfile" {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// natsConfig reads a service's NATS config with nats-server's own parser,
// as the container's server will: the file its --config names, through the
// bind mount that puts it there.
func natsConfig(t *testing.T, name string, s service) *server.Options {
	t.Helper()
	inside, ok := flagValue(s.Command, "--config")
	if !ok {
		t.Fatalf("%s: no --config in command %v", name, s.Command)
	}
	file := hostPath(s, inside)
	if file == "" {
		t.Fatalf("%s: no bind mount puts a file of the repository at %s", name, inside)
	}
	opts, err := server.ProcessConfigFile(file)
	if err != nil {
		t.Fatalf("%s: nats-server refuses %s: %v", name, file, err)
	}
	return opts
}

func TestComposeNATSCluster(t *testing.T) {
	c := loadCompose(t)
	nodes := natsServices(c)
	if len(nodes) != 3 {
		t.Fatalf("%d nats services %v, want 3", len(nodes), nodes)
	}
	want := natsVersion(t)
	for _, name := range nodes {
		t.Run(name, func(t *testing.T) {
			s := c.Services[name]
			tag := strings.TrimPrefix(s.Image, "nats:")
			version := strings.SplitN(tag, "-", 2)[0]
			if version != want {
				t.Errorf("image %s: nats-server %s, want %s as the project embeds (go.mod)", s.Image, version, want)
			}
			if v := parseVersion(t, version); compareVersions(v, []int{2, 12}) < 0 {
				t.Errorf("image %s: JetStream atomic batch publish needs nats-server 2.12 or later", s.Image)
			}

			opts := natsConfig(t, name, s)
			if opts.ServerName != name {
				t.Errorf("server_name = %q, want the service name %q (the route and URL host)", opts.ServerName, name)
			}
			if !opts.JetStream {
				t.Error("JetStream is not enabled")
			}
			if !opts.SyncAlways {
				t.Error("sync_interval is not always: acknowledged writes can be lost on power loss (DESIGN.md §3)")
			}
			if opts.Cluster.Name != "phananh" || opts.Cluster.Port != 6222 {
				t.Errorf("cluster %q on port %d, want phananh on 6222", opts.Cluster.Name, opts.Cluster.Port)
			}
			if opts.Port != 4222 || opts.HTTPPort != 8222 {
				t.Errorf("client port %d, monitoring port %d; want 4222 and 8222", opts.Port, opts.HTTPPort)
			}
			var routes []string
			for _, r := range opts.Routes {
				host, port, err := net.SplitHostPort(r.Host)
				if err != nil || port != strconv.Itoa(opts.Cluster.Port) {
					t.Errorf("route %s: want host:%d", r, opts.Cluster.Port)
				}
				routes = append(routes, host)
			}
			slices.Sort(routes)
			others := slices.DeleteFunc(slices.Clone(nodes), func(n string) bool { return n == name })
			if !slices.Equal(routes, others) {
				t.Errorf("routes to %v, want the two other nodes %v", routes, others)
			}

			// The store on a named volume, declared at the top level.
			var onVolume bool
			for _, m := range mounts(s) {
				if strings.HasPrefix(m.source, ".") || strings.HasPrefix(m.source, "/") {
					continue
				}
				if _, declared := c.Volumes[m.source]; !declared {
					t.Errorf("volume %s is not declared under volumes:", m.source)
				}
				if opts.StoreDir == m.target || strings.HasPrefix(opts.StoreDir, m.target+"/") {
					onVolume = true
				}
			}
			if !onVolume {
				t.Errorf("store_dir %s is on no named volume (mounts %v): the log would die with the container", opts.StoreDir, s.Volumes)
			}

			hc := healthTest(t, name, s)
			if !strings.Contains(hc, fmt.Sprintf("127.0.0.1:%d/healthz?js-enabled-only=true", opts.HTTPPort)) {
				t.Errorf("health check %q does not ask the monitoring port's /healthz?js-enabled-only=true", hc)
			}
		})
	}
}

func TestComposeReplicas(t *testing.T) {
	c := loadCompose(t)
	nodes := natsServices(c)
	replicas := replicaServices(c)
	if len(replicas) != 2 {
		t.Fatalf("%d services built from the Dockerfile %v, want 2 phananh replicas", len(replicas), replicas)
	}
	for _, name := range replicas {
		t.Run(name, func(t *testing.T) {
			s := c.Services[name]
			if len(s.Command) == 0 || s.Command[0] != "serve" {
				t.Fatalf("command %v, want serve", s.Command)
			}
			n, ok := flagValue(s.Command, "--replicas")
			if !ok {
				n = s.Environment["PHANANH_REPLICAS"]
			}
			if n != "3" {
				t.Errorf("stream replicas %q (--replicas or PHANANH_REPLICAS), want 3", n)
			}
			raw, ok := flagValue(s.Command, "--nats-url")
			if !ok {
				raw = s.Environment["PHANANH_NATS_URL"]
			}
			var hosts []string
			for _, u := range strings.Split(raw, ",") {
				parsed, err := url.Parse(strings.TrimSpace(u))
				if err != nil || parsed.Scheme != "nats" || parsed.Port() != "4222" {
					t.Errorf("NATS URL %q: want nats://<node>:4222", u)
					continue
				}
				hosts = append(hosts, parsed.Hostname())
			}
			slices.Sort(hosts)
			if !slices.Equal(hosts, nodes) {
				t.Errorf("--nats-url names %v, want every node %v, so a replica survives one going down", hosts, nodes)
			}
			for _, node := range nodes {
				if d, ok := s.DependsOn[node]; !ok || d.Condition != "service_healthy" {
					t.Errorf("depends_on %s: %+v, want condition service_healthy", node, d)
				}
			}
			hc := healthTest(t, name, s)
			if !strings.HasPrefix(hc, "CMD /phananh healthcheck") || !strings.Contains(hc, "http://127.0.0.1:8080/readyz") {
				t.Errorf("health check %q, want the binary's healthcheck of /readyz on 8080", hc)
			}
			published := false
			for _, p := range s.Ports {
				published = published || strings.HasSuffix(p, ":8080")
			}
			if !published {
				t.Errorf("ports %v publish nothing to the container's 8080", s.Ports)
			}
		})
	}
}

// healthTest returns a service's health check as one line, failing if it has none.
func healthTest(t *testing.T, name string, s service) string {
	t.Helper()
	if s.Healthcheck == nil || len(s.Healthcheck.Test) < 2 {
		t.Fatalf("%s has no health check", name)
	}
	if k := s.Healthcheck.Test[0]; k != "CMD" && k != "CMD-SHELL" {
		t.Fatalf("%s: health check test %v must start with CMD or CMD-SHELL", name, s.Healthcheck.Test)
	}
	return strings.Join(s.Healthcheck.Test, " ")
}

func TestComposeEveryServiceIsChecked(t *testing.T) {
	c := loadCompose(t)
	for name, s := range c.Services {
		healthTest(t, name, s)
		for dep := range s.DependsOn {
			if _, ok := c.Services[dep]; !ok {
				t.Errorf("%s depends on %s, which is not a service", name, dep)
			}
		}
		for _, m := range mounts(s) {
			if strings.HasPrefix(m.source, ".") {
				if _, err := os.Stat(filepath.Join(root, m.source)); err != nil {
					t.Errorf("%s mounts %s: %v", name, m.source, err)
				}
			} else if _, ok := c.Volumes[m.source]; !ok && !strings.HasPrefix(m.source, "/") {
				t.Errorf("%s uses volume %s, not declared under volumes:", name, m.source)
			}
		}
	}
	// The proxy in front of both replicas checks their readiness.
	caddy, err := os.ReadFile(filepath.Join(root, "deploy", "Caddyfile"))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range replicaServices(c) {
		if !strings.Contains(string(caddy), r+":8080") {
			t.Errorf("the Caddyfile does not proxy to %s:8080", r)
		}
	}
	if !strings.Contains(string(caddy), "health_uri /readyz") {
		t.Error("the Caddyfile sends traffic to replicas that are not ready (no health_uri /readyz)")
	}
	// The operator's container starts only when asked for.
	if box, ok := c.Services["nats-box"]; !ok || len(box.Profiles) == 0 {
		t.Errorf("nats-box: %+v, want a service under a profile", box)
	}

	// Where Docker Compose is installed, it validates the file too.
	compose, why := composeCLI()
	if compose == nil {
		t.Logf("`docker compose config -q` not run (%s); the Go checks in this package stood in for it", why)
		return
	}
	args := append(compose[1:], "-f", filepath.Join(root, "docker-compose.yml"), "config", "-q")
	if out, err := exec.Command(compose[0], args...).CombinedOutput(); err != nil {
		t.Errorf("%s: %v: %s", strings.Join(append(compose[:1:1], args...), " "), err, out)
	} else {
		t.Logf("%s: the file is valid", strings.Join(append(compose[:1:1], args...), " "))
	}
}

// composeCLI finds Docker Compose: the docker CLI's plugin, or the
// standalone docker-compose. It says why when there is none: a docker CLI
// without the plugin is common (no engine, no compose).
func composeCLI() ([]string, string) {
	if docker, err := exec.LookPath("docker"); err == nil {
		if exec.Command(docker, "compose", "version").Run() == nil {
			return []string{docker, "compose"}, ""
		}
	}
	if standalone, err := exec.LookPath("docker-compose"); err == nil {
		return []string{standalone}, ""
	}
	if _, err := exec.LookPath("docker"); err == nil {
		return nil, "the docker CLI here has no compose plugin, and there is no docker-compose"
	}
	return nil, "no docker CLI here"
}
