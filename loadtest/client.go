package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// client speaks HTTP/1.1 to the app the way a browser or a mobile app does:
// over keep-alive TCP connections, one per concurrent request. It is a
// small client of its own (conn.go), not net/http's Transport: the load
// clients share the two cores and the Go runtime with the service they
// measure, and the Transport's two goroutines per connection, its header
// maps and io.ReadAll's growing buffers cost about a quarter of the CPU of
// the submit phase and a fifth of the query phase's allocations, which every
// HTTP figure then charged to the service.
type client struct {
	pool  *connPool
	token string
}

func newClient(addr string, concurrency int) *client {
	return &client{pool: newConnPool(addr, concurrency)}
}

func (c *client) close() { c.pool.close() }

// do sends one request and reads the whole answer. If read is not nil it is
// given the answer's status and body before the connection goes back to the
// pool: the body is the connection's own buffer, valid only during read, so
// read copies what it keeps (json.Unmarshal and fmt do). do returns the
// status; an error means no complete answer came.
func (c *client) do(ctx context.Context, method, path string, body []byte, ifMatch string, read func(status int, body []byte)) (int, error) {
	return c.pool.roundTrip(ctx, request{method: method, path: path, body: body, token: c.token, ifMatch: ifMatch}, read)
}

// login returns a client that acts as the staff member, on the same
// connections.
func (c *client) login(ctx context.Context, name, password string) (*client, error) {
	body, _ := json.Marshal(map[string]string{"name": name, "password": password})
	var ans struct {
		Token string `json:"token"`
	}
	var failure string
	_, err := c.do(ctx, http.MethodPost, "/api/v1/auth/login", body, "", func(status int, data []byte) {
		if status != http.StatusOK || json.Unmarshal(data, &ans) != nil || ans.Token == "" {
			failure = fmt.Sprintf("%d %.200s", status, data)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("login %s: %w", name, err)
	}
	if failure != "" {
		return nil, fmt.Errorf("login %s: %s", name, failure)
	}
	return &client{pool: c.pool, token: ans.Token}, nil
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
