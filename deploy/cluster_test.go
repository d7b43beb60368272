package deploy

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"phananh/app"
	"phananh/domain"
	"phananh/eventstore"
	"phananh/testport"
)

// TestComposeTopologyRuns starts what docker-compose.yml describes, in
// this process: the three NATS nodes from their own config files (only the
// addresses and the store directories changed, since every node here
// shares one loopback) and the two phananh replicas with the arguments the
// compose file gives them. It shows that the configs form a JetStream
// cluster, that the replicas create an R3 stream on it, that a report
// written through one replica is read through the other, that a retried
// submission and an erasure work on replicated streams, and that the
// service goes on when one node is down.
func TestComposeTopologyRuns(t *testing.T) {
	t.Parallel()
	c := loadCompose(t)
	nodes := natsServices(c)
	clientPort, clusterPort := map[string]int{}, map[string]int{}
	for _, n := range nodes {
		clientPort[n], clusterPort[n] = testport.Port(t), testport.Port(t)
	}
	servers := map[string]*server.Server{}
	for _, n := range nodes {
		opts := natsConfig(t, n, c.Services[n])
		if !opts.JetStream || !opts.SyncAlways {
			t.Fatalf("%s: JetStream %v, sync always %v", n, opts.JetStream, opts.SyncAlways)
		}
		opts.Host, opts.Port = "127.0.0.1", clientPort[n]
		opts.HTTPHost, opts.HTTPPort = "127.0.0.1", -1
		opts.Cluster.Host, opts.Cluster.Port = "127.0.0.1", clusterPort[n]
		opts.StoreDir = t.TempDir()
		for _, r := range opts.Routes {
			r.Host = "127.0.0.1:" + strconv.Itoa(clusterPort[r.Hostname()])
		}
		opts.NoLog, opts.NoSigs = true, true
		s, err := server.NewServer(opts)
		if err != nil {
			t.Fatalf("%s: %v", n, err)
		}
		go s.Start()
		t.Cleanup(s.Shutdown)
		servers[n] = s
	}
	for n, s := range servers {
		if !s.ReadyForConnections(20 * time.Second) {
			t.Fatalf("%s not ready", n)
		}
		if !s.JetStreamEnabled() {
			t.Fatalf("%s: JetStream is off", n)
		}
		// The compose health check's URL answers 200 on every node.
		healthz := "http://" + s.MonitorAddr().String() + "/healthz?js-enabled-only=true"
		poll(t, 20*time.Second, func() error {
			resp, err := http.Get(healthz)
			if err != nil {
				return err
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return fmt.Errorf("%s: %s answered %d", n, healthz, resp.StatusCode)
			}
			return nil
		})
	}
	poll(t, 30*time.Second, func() error {
		for n, s := range servers {
			if !s.JetStreamIsCurrent() {
				return fmt.Errorf("%s: the JetStream meta group is not current", n)
			}
		}
		return nil
	})

	// The replicas, with the compose file's arguments.
	var apps []*app.App
	for _, name := range replicaServices(c) {
		cmd := c.Services[name].Command
		raw, _ := flagValue(cmd, "--nats-url")
		var urls []string
		for _, u := range strings.Split(raw, ",") {
			parsed, err := url.Parse(u)
			if err != nil {
				t.Fatal(err)
			}
			urls = append(urls, "nats://127.0.0.1:"+strconv.Itoa(clientPort[parsed.Hostname()]))
		}
		replicas, _ := flagValue(cmd, "--replicas")
		n, err := strconv.Atoi(replicas)
		if err != nil {
			t.Fatalf("%s: --replicas %q: %v", name, replicas, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		a, err := app.Start(ctx, app.Config{NATSURL: strings.Join(urls, ","), Replicas: n, SyncAlways: true,
			HTTPAddr: "127.0.0.1:0", DataDir: t.TempDir(), Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
		cancel()
		if err != nil {
			t.Fatalf("%s: start: %v", name, err)
		}
		t.Cleanup(func() { a.Close(context.Background()) })
		poll(t, 30*time.Second, func() error { return get(a, "/readyz", nil, http.StatusOK) })
		apps = append(apps, a)
	}

	nc, err := nats.Connect(apps[0].NATSURL())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, name := range []string{eventstore.StreamName, "KV_" + eventstore.KeysBucket, "KV_" + eventstore.SecretsBucket} {
		s, err := js.Stream(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		info, err := s.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if info.Config.Replicas != 3 || info.Cluster == nil || len(info.Cluster.Replicas) != 2 {
			t.Errorf("%s: %d replicas, cluster %+v; want R3 on the three nodes", name, info.Config.Replicas, info.Cluster)
		}
	}

	// Written through one replica, read through the other; a retry is one case.
	id := uuid.Must(uuid.NewV7()).String()
	body, _ := json.Marshal(map[string]any{
		"id": id, "category": "pollution.water", "title": "Nước suối đổi màu đen",
		"description": "Nước suối chảy qua thôn có màu đen và mùi hôi.",
		"location":    map[string]any{"commune": "lao-cai", "address": "Tổ 5"},
		"reporter":    map[string]any{"name": "Lò Thị Xuyến", "phone": "0987 654 321"},
	})
	receipt := submitTo(t, apps[0], body, http.StatusCreated)
	if again := submitTo(t, apps[1], body, http.StatusOK); again.TrackingCode != receipt.TrackingCode || again.ID != receipt.ID {
		t.Errorf("the retry through the other replica answered %+v, want %+v", again, receipt)
	}
	id = receipt.ID // the case's id; the client's id is only its retry key
	read := func(a *app.App) error {
		return get(a, "/api/v1/reports/"+id+"?after="+strconv.FormatUint(receipt.Seq, 10),
			http.Header{"X-Tracking-Code": {receipt.TrackingCode}}, http.StatusOK)
	}
	if err := read(apps[1]); err != nil {
		t.Fatal(err)
	}

	// Erasing a key is a secure delete on a replicated stream.
	events, _, err := apps[0].Store.Load(ctx, uuid.MustParse(id))
	if err != nil {
		t.Fatal(err)
	}
	sealed := *events[0].Event.(domain.Reported).Reporter
	if err := apps[0].Store.Erase(ctx, sealed.KeyID); err != nil {
		t.Fatalf("erase on R3: %v", err)
	}
	// At once, through the other replica: reads of the keys go to the
	// stream's leader, which has applied the erasure when Erase returns.
	// (With direct gets a follower answered "not found" here once, in CI
	// on 2026-11-28: it had applied the secure delete but not yet the purge
	// marker, and one a step further behind would have opened the key.)
	if _, err := apps[1].Store.Open(ctx, sealed); !errors.Is(err, eventstore.ErrErased) {
		t.Errorf("after erasure on R3 the other replica answers %v, want erased", err)
	}

	// One node down: the other two are a quorum, and the replicas go on.
	servers[nodes[2]].Shutdown()
	body2, _ := json.Marshal(map[string]any{
		"category": "pollution.air", "title": "Khói đen từ lò gạch", "description": "Lò gạch đốt than, khói đen cả buổi chiều.",
		"location": map[string]any{"commune": "lao-cai", "address": "Tổ 9"}, "anonymous": true,
	})
	poll(t, 45*time.Second, func() error {
		r, err := submit(apps[1], body2)
		if err != nil {
			return err
		}
		if r.status != http.StatusCreated {
			return fmt.Errorf("with %s down, a report answers %d", nodes[2], r.status)
		}
		return nil
	})
	if err := read(apps[0]); err != nil {
		t.Errorf("with %s down: %v", nodes[2], err)
	}
}

type receipt struct {
	ID           string `json:"id"`
	TrackingCode string `json:"tracking_code"`
	Seq          uint64 `json:"seq"`
	status       int
}

func submit(a *app.App, body []byte) (receipt, error) {
	resp, err := http.Post("http://"+a.HTTPAddr()+"/api/v1/reports", "application/json", bytes.NewReader(body))
	if err != nil {
		return receipt{}, err
	}
	defer resp.Body.Close()
	var r receipt
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode < 300 {
		if err := json.Unmarshal(data, &r); err != nil {
			return receipt{}, fmt.Errorf("receipt %s: %w", data, err)
		}
	}
	r.status = resp.StatusCode
	return r, nil
}

func submitTo(t *testing.T, a *app.App, body []byte, want int) receipt {
	t.Helper()
	r, err := submit(a, body)
	if err != nil {
		t.Fatal(err)
	}
	if r.status != want {
		t.Fatalf("submit = %d, want %d", r.status, want)
	}
	return r
}

func get(a *app.App, path string, h http.Header, want int) error {
	req, err := http.NewRequest(http.MethodGet, "http://"+a.HTTPAddr()+path, nil)
	if err != nil {
		return err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		data, _ := io.ReadAll(resp.Body)
		return fmt.Errorf("GET %s = %d %s, want %d", path, resp.StatusCode, data, want)
	}
	return nil
}

// poll calls f until it succeeds or total runs out.
func poll(t *testing.T, total time.Duration, f func() error) {
	t.Helper()
	deadline := time.Now().Add(total)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("not so after %s: %v", total, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
