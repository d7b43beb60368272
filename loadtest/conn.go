package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// request is what client.do sends.
type request struct {
	method, path   string
	body           []byte // sent as application/json when not nil
	token, ifMatch string
}

const (
	// requestTimeout caps one request, as the Transport client's Timeout
	// did.
	requestTimeout = 30 * time.Second
	// maxKeptBody is the largest body buffer a connection keeps for its
	// next answer: queue pages are about 16 KB, and one odd large answer
	// should not pin its buffer for the rest of the run.
	maxKeptBody = 1 << 20
	// maxBody refuses an answer no endpoint gives rather than allocating it.
	maxBody = 64 << 20
)

// errNoAnswer is a connection that closed before the first byte of the
// answer. On a connection that has answered before, it is the server
// having closed it while idle (its IdleTimeout), and the request is sent
// again on a fresh one: the server did not read it.
var errNoAnswer = errors.New("connection closed before the answer")

// connPool holds the idle keep-alive connections to one address. A
// connection carries one request at a time; a request takes the most
// recently used idle one, or dials.
type connPool struct {
	addr string

	mu     sync.Mutex
	idle   []*conn
	closed bool

	// What the tests check: how often the pool dialled, and sent a
	// request again after a stale idle connection.
	dials, retries atomic.Int64
}

func newConnPool(addr string, concurrency int) *connPool {
	return &connPool{addr: addr, idle: make([]*conn, 0, concurrency)}
}

// conn is one TCP connection with what it reuses from one request to the
// next: the request's bytes, the reader and the answer's body.
type conn struct {
	nc       net.Conn
	r        *bufio.Reader
	out      []byte
	body     []byte
	used     bool      // has answered a request before
	deadline time.Time // the connection's, for reads and writes
}

func (p *connPool) get(ctx context.Context) (*conn, error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		c := p.idle[n-1]
		p.idle[n-1] = nil
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return c, nil
	}
	p.mu.Unlock()
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", p.addr)
	if err != nil {
		return nil, err
	}
	p.dials.Add(1)
	return &conn{nc: nc, r: bufio.NewReaderSize(nc, 16<<10)}, nil
}

func (p *connPool) put(c *conn) {
	if cap(c.body) > maxKeptBody {
		c.body = nil
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		c.nc.Close()
		return
	}
	p.idle = append(p.idle, c)
	p.mu.Unlock()
}

// close closes the idle connections, and those in use as they come back.
func (p *connPool) close() {
	p.mu.Lock()
	idle := p.idle
	p.idle, p.closed = nil, true
	p.mu.Unlock()
	for _, c := range idle {
		c.nc.Close()
	}
}

// roundTrip sends req and reads its answer, handing it to read. A
// connection that failed in any way is closed, never reused.
//
// ctx bounds the request through the connection's deadline (its own, or
// requestTimeout if sooner); a cancellation without a deadline is seen
// before the request is sent, not during it. Watching ctx.Done during each
// request (context.AfterFunc) would cost an allocation and a lock shared by
// every client per request, and the service answers in milliseconds.
func (p *connPool) roundTrip(ctx context.Context, req request, read func(status int, body []byte)) (int, error) {
	for {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		c, err := p.get(ctx)
		if err != nil {
			return 0, fmt.Errorf("%s %s: dial: %w", req.method, req.path, err)
		}
		reused := c.used
		status, keep, err := c.roundTrip(ctx, p.addr, req, read)
		if err == nil {
			if keep {
				c.used = true
				p.put(c)
			} else {
				c.nc.Close()
			}
			return status, nil
		}
		c.nc.Close()
		if reused && errors.Is(err, errNoAnswer) {
			p.retries.Add(1)
			continue
		}
		return 0, fmt.Errorf("%s %s: %w", req.method, req.path, err)
	}
}

// roundTrip writes the request in one write and reads the answer. keep is
// false when the server said it closes the connection.
func (c *conn) roundTrip(ctx context.Context, host string, req request, read func(status int, body []byte)) (status int, keep bool, err error) {
	if err := c.setDeadline(ctx); err != nil {
		return 0, false, err
	}
	if err := c.write(host, req); err != nil {
		if isClosed(err) {
			err = fmt.Errorf("%w: %w", errNoAnswer, err)
		}
		return 0, false, err
	}
	status, keep, err = c.readAnswer(req.method)
	if err != nil {
		return 0, false, err
	}
	if read != nil {
		read(status, c.body)
	}
	return status, keep, nil
}

// setDeadline bounds the request by ctx's deadline or requestTimeout,
// whichever is sooner. Moving a connection's deadline updates a runtime
// timer, an eighth of this client's CPU when done per request; a deadline
// set in the last second is kept, so a request has 29 to 30 s.
func (c *conn) setDeadline(ctx context.Context) error {
	want := time.Now().Add(requestTimeout)
	if d, ok := ctx.Deadline(); ok && d.Before(want) {
		want = d
	}
	if !c.deadline.After(want) && want.Sub(c.deadline) <= time.Second {
		return nil
	}
	c.deadline = want
	return c.nc.SetDeadline(want)
}

// write sends the request line, the headers the app reads and the body as
// one write.
func (c *conn) write(host string, req request) error {
	for _, s := range [...]string{req.method, req.path, req.token, req.ifMatch} {
		if strings.ContainsAny(s, "\r\n") {
			return fmt.Errorf("line break in %q", s)
		}
	}
	b := c.out[:0]
	b = append(b, req.method...)
	b = append(b, ' ')
	b = append(b, req.path...)
	b = append(b, " HTTP/1.1\r\nHost: "...)
	b = append(b, host...)
	b = append(b, "\r\n"...)
	if req.token != "" {
		b = append(b, "Authorization: Bearer "...)
		b = append(b, req.token...)
		b = append(b, "\r\n"...)
	}
	if req.ifMatch != "" {
		b = append(b, "If-Match: "...)
		b = append(b, req.ifMatch...)
		b = append(b, "\r\n"...)
	}
	if req.body != nil {
		b = append(b, "Content-Type: application/json\r\n"...)
	}
	if req.body != nil || (req.method != "GET" && req.method != "HEAD") {
		b = append(b, "Content-Length: "...)
		b = strconv.AppendInt(b, int64(len(req.body)), 10)
		b = append(b, "\r\n"...)
	}
	b = append(b, "\r\n"...)
	b = append(b, req.body...)
	c.out = b
	_, err := c.nc.Write(b)
	return err
}

// readAnswer reads the status line, the headers that frame the body
// (Content-Length, Transfer-Encoding, Connection) and the body into c.body.
func (c *conn) readAnswer(method string) (status int, keep bool, err error) {
	first := true
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			if first && len(line) == 0 && isClosed(err) {
				err = fmt.Errorf("%w: %w", errNoAnswer, err)
			}
			return 0, false, fmt.Errorf("status line: %w", err)
		}
		first = false
		line = trimEOL(line)
		if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' || (len(line) > 12 && line[12] != ' ') {
			return 0, false, fmt.Errorf("malformed status line %q", line)
		}
		status, err = strconv.Atoi(string(line[9:12]))
		if err != nil || status < 100 {
			return 0, false, fmt.Errorf("malformed status line %q", line)
		}
		http10 := line[7] == '0'
		length, chunked, closes, keepAlive, err := c.readHeaders()
		if err != nil {
			return 0, false, err
		}
		if status == 101 {
			return 0, false, fmt.Errorf("unexpected %q", line)
		}
		if status < 200 { // 100 Continue and the like precede the answer
			continue
		}
		keep = !closes && (!http10 || keepAlive)
		c.body = c.body[:0]
		switch {
		case method == "HEAD" || status == 204 || status == 304:
		case chunked:
			err = c.readChunked()
		case length >= 0:
			err = c.readLength(length)
		default: // the body runs to the end of the connection
			keep = false
			err = c.readToEOF()
		}
		if err != nil {
			return 0, false, fmt.Errorf("body of a %d: %w", status, err)
		}
		if c.r.Buffered() > 0 { // bytes nobody asked for: the framing is off
			keep = false
		}
		return status, keep, nil
	}
}

// readHeaders reads the header lines up to the blank one.
func (c *conn) readHeaders() (length int64, chunked, closes, keepAlive bool, err error) {
	length = -1
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return 0, false, false, false, fmt.Errorf("headers: %w", err)
		}
		line = trimEOL(line)
		if len(line) == 0 {
			return length, chunked, closes, keepAlive, nil
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return 0, false, false, false, fmt.Errorf("malformed header %q", line)
		}
		name, value := line[:colon], bytes.TrimSpace(line[colon+1:])
		switch {
		case bytes.EqualFold(name, []byte("Content-Length")):
			n, err := strconv.ParseInt(string(value), 10, 64)
			if err != nil || n < 0 || (length >= 0 && n != length) {
				return 0, false, false, false, fmt.Errorf("bad Content-Length %q", value)
			}
			length = n
		case bytes.EqualFold(name, []byte("Transfer-Encoding")):
			if !bytes.EqualFold(value, []byte("chunked")) {
				return 0, false, false, false, fmt.Errorf("unsupported Transfer-Encoding %q", value)
			}
			chunked = true
		case bytes.EqualFold(name, []byte("Connection")):
			for tok := range bytes.SplitSeq(value, []byte(",")) {
				tok = bytes.TrimSpace(tok)
				closes = closes || bytes.EqualFold(tok, []byte("close"))
				keepAlive = keepAlive || bytes.EqualFold(tok, []byte("keep-alive"))
			}
		}
	}
}

func (c *conn) readLength(n int64) error {
	if n > maxBody {
		return fmt.Errorf("Content-Length %d over %d", n, maxBody)
	}
	if int64(cap(c.body)) < n {
		c.body = make([]byte, n)
	}
	c.body = c.body[:n]
	_, err := io.ReadFull(c.r, c.body)
	return err
}

// readChunked reads a chunked body (RFC 9112 §7.1): hexadecimal sizes,
// each chunk followed by CRLF, a zero size, then trailers to a blank line.
func (c *conn) readChunked() error {
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return fmt.Errorf("chunk size: %w", err)
		}
		line = trimEOL(line)
		if i := bytes.IndexByte(line, ';'); i >= 0 { // chunk extensions
			line = line[:i]
		}
		size, err := strconv.ParseUint(string(bytes.TrimSpace(line)), 16, 63)
		if err != nil {
			return fmt.Errorf("bad chunk size %q", line)
		}
		if size == 0 {
			break
		}
		if uint64(len(c.body))+size > maxBody {
			return fmt.Errorf("chunked body over %d", maxBody)
		}
		start := len(c.body)
		c.body = slices.Grow(c.body, int(size))[:start+int(size)]
		if _, err := io.ReadFull(c.r, c.body[start:]); err != nil {
			return fmt.Errorf("chunk: %w", err)
		}
		if end, err := c.r.ReadSlice('\n'); err != nil || len(trimEOL(end)) != 0 {
			return fmt.Errorf("no line end after a chunk: %q %v", end, err)
		}
	}
	for {
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return fmt.Errorf("trailers: %w", err)
		}
		if len(trimEOL(line)) == 0 {
			return nil
		}
	}
}

func (c *conn) readToEOF() error {
	for {
		if len(c.body) == cap(c.body) {
			if len(c.body) >= maxBody {
				return fmt.Errorf("body over %d", maxBody)
			}
			c.body = slices.Grow(c.body, 4096)
		}
		n, err := c.r.Read(c.body[len(c.body):cap(c.body)])
		c.body = c.body[:len(c.body)+n]
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

func trimEOL(line []byte) []byte {
	line = bytes.TrimSuffix(line, []byte("\n"))
	return bytes.TrimSuffix(line, []byte("\r"))
}

// isClosed is the peer having closed the connection.
func isClosed(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}
