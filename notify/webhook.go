package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"syscall"
	"time"

	"github.com/google/uuid"
)

// Webhook request headers. The signature covers the timestamp and the body:
// sha256=<hex HMAC-SHA256(key, timestamp + "." + body)>, so a receiver can
// refuse a replayed old request as well as a forged one.
const (
	HeaderEventID   = "X-Phananh-Event-Id"
	HeaderTimestamp = "X-Phananh-Timestamp"
	HeaderSignature = "X-Phananh-Signature"
)

// ErrRefusedDestination reports a webhook whose host resolves to an address
// the server must not call (loopback, private, link-local…): a report could
// otherwise make the server probe its own network (SSRF). Retrying cannot
// help, so the send is dead-lettered at once.
var ErrRefusedDestination = errors.New("webhook destination refused: not a public address")

// Sign returns the signature header value for a request.
func Sign(key []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Verify checks a signature header in constant time; receivers (and the
// tests) use it.
func Verify(key []byte, timestamp string, body []byte, signature string) bool {
	return hmac.Equal([]byte(Sign(key, timestamp, body)), []byte(signature))
}

// CaseWebhookSecret is the secret that signs a case's webhooks to its
// reporter: hex(HMAC-SHA256(server secret, case id)). Deriving it gives each
// reporter a key of their own (checking their notifications teaches them
// nothing about anyone else's) without storing one; the receipt of a
// report that subscribed a webhook carries it. The signature's key is the
// hex text's bytes, which is what a receiver does with a secret it was
// given as text.
func CaseWebhookSecret(secret []byte, caseID uuid.UUID) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte("phananh webhook key v1\x00"))
	mac.Write(caseID[:])
	return hex.EncodeToString(mac.Sum(nil))
}

// poster POSTs signed webhooks.
type poster struct {
	client *http.Client
	now    func() time.Time
}

func newPoster(allowPrivate bool, timeout time.Duration, now func() time.Time) *poster {
	dialer := &net.Dialer{Timeout: timeout}
	if !allowPrivate {
		// Checked on the address actually dialled, after resolution, so a
		// name that resolves differently later (DNS rebinding) is caught too.
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("%w: %v", ErrRefusedDestination, err)
			}
			if !publicAddr(ap.Addr()) {
				return ErrRefusedDestination
			}
			return nil
		}
	}
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would dial for us, past the address check
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
		MaxIdleConnsPerHost:   2,
		IdleConnTimeout:       30 * time.Second,
	}
	return &poster{now: now, client: &http.Client{
		Transport: transport,
		Timeout:   timeout,
		// A redirect could lead anywhere; the subscriber must give the
		// final address.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// publicAddr reports whether an address is one a webhook may reach.
func publicAddr(a netip.Addr) bool {
	a = a.Unmap()
	if !a.IsValid() || a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified() {
		return false
	}
	for _, p := range nonPublic {
		if p.Contains(a) {
			return false
		}
	}
	return true
}

// nonPublic are ranges the netip predicates leave out: "this network",
// carrier-grade NAT, benchmarking, IETF protocol assignments, reserved,
// NAT64 and documentation ranges.
var nonPublic = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// hook is one webhook request.
type hook struct {
	URL     string
	EventID string
	Key     []byte
	Body    []byte
}

func (p *poster) send(ctx context.Context, h hook) error {
	ts := strconv.FormatInt(p.now().Unix(), 10)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, h.URL, bytes.NewReader(h.Body))
	if err != nil {
		return fmt.Errorf("webhook: request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "phananh-notify/1")
	req.Header.Set(HeaderEventID, h.EventID)
	req.Header.Set(HeaderTimestamp, ts)
	req.Header.Set(HeaderSignature, Sign(h.Key, ts, h.Body))
	resp, err := p.client.Do(req)
	if err != nil {
		return describe(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("webhook: answered %s", resp.Status)
	}
	return nil
}

// describe says why a request failed in words that name no address: the
// client's errors carry the URL (its path may hold a subscriber's token),
// the IP dialled or the certificate's names, and these errors reach logs
// and dead letters, which erasing a reporter does not touch.
func describe(err error) error {
	var netErr net.Error
	var tlsErr *tls.CertificateVerificationError
	var recordErr tls.RecordHeaderError
	var opErr *net.OpError
	switch {
	case errors.Is(err, ErrRefusedDestination):
		return ErrRefusedDestination
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return errors.New("webhook: timed out")
	case errors.As(err, &tlsErr), errors.As(err, &recordErr):
		return errors.New("webhook: TLS handshake failed")
	case errors.As(err, &opErr) && opErr.Op == "dial":
		var dnsErr *net.DNSError
		if errors.As(err, &dnsErr) {
			return errors.New("webhook: host name not found")
		}
		return errors.New("webhook: could not connect")
	}
	return errors.New("webhook: request failed")
}

// hostOf is the host a URL points at, for logs and dead letters.
func hostOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Hostname()
}
