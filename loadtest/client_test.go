package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"phananh/domain"
)

// tapListener keeps a copy of what the server writes, so a test can show
// which framing (Content-Length or chunked) an answer really had.
type tapListener struct {
	net.Listener
	mu  sync.Mutex
	out bytes.Buffer
}

func (l *tapListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &tapConn{Conn: c, l: l}, nil
}

func (l *tapListener) take() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.out.String()
	l.out.Reset()
	return s
}

type tapConn struct {
	net.Conn
	l *tapListener
}

func (c *tapConn) Write(b []byte) (int, error) {
	c.l.mu.Lock()
	c.l.out.Write(b)
	c.l.mu.Unlock()
	return c.Conn.Write(b)
}

// big is a body larger than net/http's 4 KB response buffer and the
// client's 16 KB reader, so it is sent in chunks across several reads.
var big = strings.Repeat("0123456789abcdef", 2048) // 32 KB

// testServer answers each way the app may: a Content-Length body, a
// chunked one, an empty 204, a 409 with JSON, an answer that closes the
// connection, and an echo of what a POST carried.
func testServer(t *testing.T) (*httptest.Server, *tapListener) {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET /length", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "5")
		io.WriteString(w, "hello")
	})
	mux.HandleFunc("GET /chunked", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		for i := 0; i < len(big); i += 3000 {
			io.WriteString(w, big[i:min(i+3000, len(big))])
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(300 * time.Millisecond):
		case <-r.Context().Done():
		}
		io.WriteString(w, "late")
	})
	mux.HandleFunc("DELETE /empty", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("POST /conflict", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusConflict)
		io.WriteString(w, `{"error":{"code":"conflict","current_version":7}}`)
	})
	mux.HandleFunc("GET /close", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Connection", "close")
		io.WriteString(w, "bye")
	})
	mux.HandleFunc("POST /echo", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		json.NewEncoder(w).Encode(echoed{Method: r.Method, URI: r.RequestURI, Host: r.Host,
			ContentType: r.Header.Get("Content-Type"), ContentLength: r.ContentLength, Chunked: len(r.TransferEncoding) > 0,
			Authorization: r.Header.Get("Authorization"), IfMatch: r.Header.Get("If-Match"), Body: string(body)})
	})
	srv := httptest.NewUnstartedServer(mux)
	tap := &tapListener{Listener: srv.Listener}
	srv.Listener = tap
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, tap
}

// echoed is what the server received.
type echoed struct {
	Method, URI, Host, ContentType, Authorization, IfMatch, Body string
	ContentLength                                                int64
	Chunked                                                      bool
}

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// Every kind of answer, one after the other on one keep-alive connection:
// each body must be read whole and exactly, or the next answer is read
// from the wrong place (and the connection dropped, which dials again).
func TestClientAnswers(t *testing.T) {
	srv, tap := testServer(t)
	ctx := testContext(t)
	c := newClient(srv.Listener.Addr().String(), 1)
	defer c.close()
	c.token = "tok-123"

	tests := []struct {
		name        string
		method      string
		path        string
		body        []byte
		ifMatch     string
		wantStatus  int
		wantBody    string
		wantFraming string // in what the server wrote
	}{
		{name: "content-length body", method: "GET", path: "/length", wantStatus: 200, wantBody: "hello", wantFraming: "Content-Length: 5\r\n"},
		{name: "chunked body over 8 KB", method: "GET", path: "/chunked", wantStatus: 200, wantBody: big, wantFraming: "Transfer-Encoding: chunked\r\n"},
		{name: "empty 204", method: "DELETE", path: "/empty", wantStatus: 204, wantBody: ""},
		{name: "409 with JSON", method: "POST", path: "/conflict", body: []byte(`{}`), ifMatch: `"3"`, wantStatus: 409,
			wantBody: `{"error":{"code":"conflict","current_version":7}}`},
		{name: "chunked again", method: "GET", path: "/chunked", wantStatus: 200, wantBody: big, wantFraming: "Transfer-Encoding: chunked\r\n"},
		{name: "content-length after chunked", method: "GET", path: "/length", wantStatus: 200, wantBody: "hello"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tap.take()
			var got []byte
			status, err := c.do(ctx, tt.method, tt.path, tt.body, tt.ifMatch, func(_ int, body []byte) {
				got = bytes.Clone(body)
			})
			if err != nil {
				t.Fatal(err)
			}
			if status != tt.wantStatus {
				t.Errorf("status = %d, want %d", status, tt.wantStatus)
			}
			if string(got) != tt.wantBody {
				t.Errorf("body = %d bytes %.80q…, want %d bytes %.80q…", len(got), got, len(tt.wantBody), tt.wantBody)
			}
			if wrote := tap.take(); !strings.Contains(wrote, tt.wantFraming) {
				t.Errorf("the server's answer has no %q (the test does not test what it says):\n%.300s", tt.wantFraming, wrote)
			}
		})
	}
	if got := c.pool.dials.Load(); got != 1 {
		t.Errorf("%d dials for %d keep-alive requests, want 1", got, len(tests))
	}
}

// A POST carries its body and the headers the app reads, in the bytes the
// server received.
func TestClientSendsBodyAndHeaders(t *testing.T) {
	srv, _ := testServer(t)
	ctx := testContext(t)
	addr := srv.Listener.Addr().String()
	c := newClient(addr, 1)
	defer c.close()
	c.token = "tok-123"
	body := []byte(`{"note":"Tiếp nhận để xử lý"}`)
	var got echoed
	status, err := c.do(ctx, http.MethodPost, "/echo?x=1", body, `"42"`, func(_ int, data []byte) {
		if err := json.Unmarshal(data, &got); err != nil {
			t.Errorf("answer %q: %v", data, err)
		}
	})
	if err != nil || status != http.StatusCreated {
		t.Fatalf("POST /echo: %d %v", status, err)
	}
	want := echoed{Method: "POST", URI: "/echo?x=1", Host: addr, ContentType: "application/json",
		ContentLength: int64(len(body)), Authorization: "Bearer tok-123", IfMatch: `"42"`, Body: string(body)}
	if got != want {
		t.Errorf("the server received\n%+v\nwant\n%+v", got, want)
	}

	// Without a token or If-Match, neither header is sent.
	anon := &client{pool: c.pool}
	if _, err := anon.do(ctx, http.MethodPost, "/echo", []byte("{}"), "", func(_ int, data []byte) {
		got = echoed{}
		_ = json.Unmarshal(data, &got)
	}); err != nil {
		t.Fatal(err)
	}
	if got.Authorization != "" || got.IfMatch != "" || got.Body != "{}" {
		t.Errorf("anonymous POST: the server received %+v", got)
	}
}

// An answer with Connection: close ends the connection: the next request
// dials a new one rather than writing to a closed one and retrying.
func TestClientRedialsAfterConnectionClose(t *testing.T) {
	srv, _ := testServer(t)
	ctx := testContext(t)
	c := newClient(srv.Listener.Addr().String(), 1)
	defer c.close()
	for i := range 3 {
		var got string
		status, err := c.do(ctx, http.MethodGet, "/close", nil, "", func(_ int, body []byte) { got = string(body) })
		if err != nil || status != 200 || got != "bye" {
			t.Fatalf("request %d: %d %q %v", i, status, got, err)
		}
	}
	if _, err := c.do(ctx, http.MethodGet, "/length", nil, "", nil); err != nil {
		t.Fatal(err)
	}
	if got, want := c.pool.dials.Load(), int64(4); got != want {
		t.Errorf("%d dials, want %d: one per Connection: close answer, and one after", got, want)
	}
	if got := c.pool.retries.Load(); got != 0 {
		t.Errorf("%d requests sent again: a connection the server closed was reused", got)
	}
}

// A keep-alive connection the server closed while it was idle (its
// IdleTimeout) is replaced, and the request sent again on a new one.
func TestClientRedialsAfterIdleClose(t *testing.T) {
	srv, _ := testServer(t)
	ctx := testContext(t)
	c := newClient(srv.Listener.Addr().String(), 1)
	defer c.close()
	if _, err := c.do(ctx, http.MethodGet, "/length", nil, "", nil); err != nil {
		t.Fatal(err)
	}
	srv.CloseClientConnections()
	var got string
	status, err := c.do(ctx, http.MethodGet, "/length", nil, "", func(_ int, body []byte) { got = string(body) })
	if err != nil || status != 200 || got != "hello" {
		t.Fatalf("after the server closed the idle connection: %d %q %v", status, got, err)
	}
	if got, want := c.pool.dials.Load(), int64(2); got != want {
		t.Errorf("%d dials, want %d", got, want)
	}
}

// ctx's deadline bounds a request; a request after it, on the same
// connection, has its own.
func TestClientDeadline(t *testing.T) {
	srv, _ := testServer(t)
	c := newClient(srv.Listener.Addr().String(), 1)
	defer c.close()

	short, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := c.do(short, http.MethodGet, "/length", nil, "", nil); err != nil {
		t.Fatal(err)
	}
	var got string
	status, err := c.do(testContext(t), http.MethodGet, "/slow", nil, "", func(_ int, body []byte) { got = string(body) })
	if err != nil || status != 200 || got != "late" {
		t.Fatalf("a 300 ms answer after a request with a 100 ms deadline: %d %q %v", status, got, err)
	}

	short, cancel = context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	t0 := time.Now()
	if status, err := c.do(short, http.MethodGet, "/slow", nil, "", nil); err == nil {
		t.Fatalf("a 300 ms answer within a 100 ms deadline: %d", status)
	}
	if took := time.Since(t0); took > 250*time.Millisecond {
		t.Errorf("the request gave up after %v, want about 100 ms", took)
	}
	if got := c.pool.dials.Load(); got != 1 {
		t.Errorf("%d dials, want 1", got)
	}
}

// A fresh connection that closes without an answer is an error, not sent
// again (the request may have been acted on).
func TestClientFailsWhenFreshConnectionCloses(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			io.ReadAll(io.LimitReader(conn, 1)) // wait for the request to start
			conn.Close()
		}
	}()
	c := newClient(ln.Addr().String(), 1)
	defer c.close()
	if status, err := c.do(testContext(t), http.MethodPost, "/api/v1/reports", []byte("{}"), "", nil); err == nil {
		t.Fatalf("status %d and no error from a server that closed without answering", status)
	}
	if got := c.pool.retries.Load(); got != 0 {
		t.Errorf("sent again %d times", got)
	}
}

// Malformed answers are errors, and the connection is not reused.
func TestClientRefusesMalformedAnswers(t *testing.T) {
	tests := []struct{ name, answer string }{
		{name: "not HTTP", answer: "SSH-2.0-OpenSSH\r\n\r\n"},
		{name: "bad chunk size", answer: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"},
		{name: "chunk longer than said", answer: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n"},
		{name: "body shorter than Content-Length", answer: "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"},
		{name: "gzip transfer coding", answer: "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go func() {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				defer conn.Close()
				buf := make([]byte, 4096)
				conn.Read(buf)
				io.WriteString(conn, tt.answer)
			}()
			c := newClient(ln.Addr().String(), 1)
			defer c.close()
			if status, err := c.do(testContext(t), http.MethodGet, "/", nil, "", nil); err == nil {
				t.Errorf("answer %q: status %d, no error", tt.answer, status)
			}
			c.pool.mu.Lock()
			defer c.pool.mu.Unlock()
			if len(c.pool.idle) != 0 {
				t.Error("the connection went back to the pool")
			}
		})
	}
}

// A chunked body with extensions and trailers, cut at awkward places.
func TestClientChunkedEdges(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	answer := "HTTP/1.1 200 OK\r\ntransfer-encoding: Chunked\r\n\r\n" +
		"5;name=value\r\nhello\r\n1\r\n \r\nA\r\n0123456789\r\n0\r\nX-Trailer: yes\r\n\r\n"
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		buf := make([]byte, 4096)
		for range 2 { // two requests on the connection, the answer in pieces
			if _, err := conn.Read(buf); err != nil {
				return
			}
			for i := 0; i < len(answer); i += 7 {
				io.WriteString(conn, answer[i:min(i+7, len(answer))])
				time.Sleep(time.Millisecond)
			}
		}
	}()
	c := newClient(ln.Addr().String(), 1)
	defer c.close()
	for i := range 2 {
		var got string
		status, err := c.do(testContext(t), http.MethodGet, "/", nil, "", func(_ int, body []byte) { got = string(body) })
		if err != nil || status != 200 || got != "hello 0123456789" {
			t.Fatalf("request %d: %d %q %v", i, status, got, err)
		}
	}
	if got := c.pool.dials.Load(); got != 1 {
		t.Errorf("%d dials, want 1: the trailers were not read to the end", got)
	}
}

// Many clients at once share the pool: each answer is the one to its own
// request, and no more connections are opened than requests run at once.
func TestClientConcurrent(t *testing.T) {
	srv, _ := testServer(t)
	ctx := testContext(t)
	const workers, each = 8, 50
	c := newClient(srv.Listener.Addr().String(), workers)
	defer c.close()
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				body := fmt.Appendf(nil, `{"worker":%d,"i":%d}`, w, i)
				method, path, want, wantStatus := http.MethodPost, "/echo", string(body), http.StatusCreated
				if i%5 == 0 {
					method, path, want, wantStatus = http.MethodGet, "/chunked", big, http.StatusOK
				}
				var got string
				status, err := c.do(ctx, method, path, body, "", func(_ int, data []byte) {
					if path == "/chunked" {
						got = string(data)
						return
					}
					var e echoed
					_ = json.Unmarshal(data, &e)
					got = e.Body
				})
				if err != nil || status != wantStatus || got != want {
					errs <- fmt.Errorf("worker %d request %d %s: %d %v, got %.80q", w, i, path, status, err, got)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := c.pool.dials.Load(); got > workers {
		t.Errorf("%d dials for %d workers", got, workers)
	}
}

// reportBody's template is the JSON a report is: what json.Marshal of the
// same fields gives.
func TestReportBody(t *testing.T) {
	var got map[string]any
	if err := json.Unmarshal(reportBody(17), &got); err != nil {
		t.Fatalf("reportBody is not JSON: %v\n%s", err, reportBody(17))
	}
	id, _ := got["id"].(string)
	if len(id) != 36 {
		t.Errorf("id = %q", id)
	}
	want := map[string]any{
		"id":          id,
		"category":    "pollution.waste",
		"title":       "Bãi rác tự phát ven suối số 17",
		"description": "Rác thải sinh hoạt đổ xuống suối gần cầu, bốc mùi và tràn ra đường khi trời mưa.",
		"location":    map[string]any{"commune": benchCommune, "address": "Cầu Nậm Lúc"},
		"anonymous":   true,
	}
	wantJSON, _ := json.Marshal(want)
	gotJSON, _ := json.Marshal(got)
	if !bytes.Equal(gotJSON, wantJSON) {
		t.Errorf("reportBody(17) = %s, want %s", gotJSON, wantJSON)
	}
}

// Against the service itself: reports, a login and a queue page large
// enough that Echo sends it chunked, all over one connection.
func TestClientAgainstTheApp(t *testing.T) {
	ctx := testContext(t)
	cfg := DefaultConfig()
	a, err := startApp(ctx, cfg, ModeRelaxed, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	c := newClient(a.HTTPAddr(), 1)
	defer c.close()

	const reports = 60
	var first receipt
	for i := range reports {
		r, err := submitOne(ctx, c)
		if err != nil {
			t.Fatalf("report %d: %v", i, err)
		}
		if i == 0 {
			first = r
		}
	}
	if err := a.Users.Add(ctx, readerName, first.Unit, domain.RoleUnitHead, benchPasswd); err != nil {
		t.Fatal(err)
	}
	head, err := c.login(ctx, readerName, benchPasswd)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.login(ctx, readerName, "wrong"); err == nil {
		t.Error("login with a wrong password succeeded")
	}

	path := "/api/v1/queues/" + first.Unit + "?open=true&limit=50"
	var page struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	var size int
	deadline := time.Now().Add(10 * time.Second)
	for len(page.Items) < 50 {
		if time.Now().After(deadline) {
			t.Fatalf("the queue holds %d cases after 10 s, want 50", len(page.Items))
		}
		status, err := head.do(ctx, http.MethodGet, path, nil, "", func(status int, data []byte) {
			size = len(data)
			if err := json.Unmarshal(data, &page); err != nil {
				t.Errorf("queue page %d bytes: %v", len(data), err)
			}
		})
		if err != nil || status != http.StatusOK {
			t.Fatalf("GET %s: %d %v", path, status, err)
		}
		time.Sleep(10 * time.Millisecond)
	}

	// The page really came chunked, as net/http's own client sees it.
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+a.HTTPAddr()+path, nil)
	req.Header.Set("Authorization", "Bearer "+head.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(resp.TransferEncoding) == 0 || resp.TransferEncoding[0] != "chunked" {
		t.Errorf("the queue page (%d bytes) came with Transfer-Encoding %v, want chunked: the test does not test chunked bodies", size, resp.TransferEncoding)
	}

	// A stale If-Match is a 409 whose body tells the current version.
	var conflict struct {
		Error struct {
			CurrentVersion uint64 `json:"current_version"`
		} `json:"error"`
	}
	status, err := head.do(ctx, http.MethodPost, "/api/v1/cases/"+first.ID+"/accept", []byte(`{"note":"x"}`), `"999"`,
		func(_ int, data []byte) { _ = json.Unmarshal(data, &conflict) })
	if err != nil || status != http.StatusConflict || conflict.Error.CurrentVersion != first.Seq {
		t.Errorf("stale accept: %d %v, current version %d, want 409 and %d", status, err, conflict.Error.CurrentVersion, first.Seq)
	}
	if got := c.pool.dials.Load(); got != 1 {
		t.Errorf("%d dials, want 1: every answer left the connection usable", got)
	}
}
