package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// client speaks HTTP to the app the way a browser or a mobile app does: over
// keep-alive connections, one per concurrent client.
type client struct {
	base  string
	http  *http.Client
	token string
}

func newClient(addr string, concurrency int) *client {
	tr := &http.Transport{
		MaxIdleConns:        concurrency * 2,
		MaxIdleConnsPerHost: concurrency * 2,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	return &client{base: "http://" + addr, http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

func (c *client) close() { c.http.CloseIdleConnections() }

// do sends one request and reads the whole answer, so the connection goes
// back to the pool.
func (c *client) do(ctx context.Context, method, path string, body []byte, ifMatch string) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, r)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp.StatusCode, data, err
}

// login returns a client that acts as the staff member.
func (c *client) login(ctx context.Context, name, password string) (*client, error) {
	body, _ := json.Marshal(map[string]string{"name": name, "password": password})
	status, data, err := c.do(ctx, http.MethodPost, "/api/v1/auth/login", body, "")
	if err != nil {
		return nil, fmt.Errorf("login %s: %w", name, err)
	}
	var ans struct {
		Token string `json:"token"`
	}
	if status != http.StatusOK || json.Unmarshal(data, &ans) != nil || ans.Token == "" {
		return nil, fmt.Errorf("login %s: %d %s", name, status, data)
	}
	return &client{base: c.base, http: c.http, token: ans.Token}, nil
}

// waitReady polls until the read models have caught up, bounded.
func waitReady(ctx context.Context, ready func() bool, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for !ready() {
		if time.Now().After(deadline) {
			return fmt.Errorf("read models not ready after %s", limit)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	return nil
}
