package api

import (
	"math"
	"net"
	"net/netip"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"phananh/domain"
	"phananh/ratelimit"
)

// Limits are the per-client-address request rates of the routes a
// stranger can hit cheaply and repeatedly. A zero Rate limits nothing.
type Limits struct {
	// Submit: new reports (native and Open311) and attachment uploads.
	Submit ratelimit.Rate
	// Login: login attempts of any outcome; each costs a bcrypt hash. The
	// staff throttle also locks a name or an address after repeated
	// failures, which is what stops password guessing.
	Login ratelimit.Rate
	// Lookup: anything that tries a tracking code (the citizen's view,
	// feedback, reopening, attachments) and Open311 reads by id or token.
	Lookup ratelimit.Rate
}

// DefaultLimits are generous for a person and tight for a script. Many
// citizens share one address behind a mobile carrier's NAT, hence bursts
// well above what one person needs.
func DefaultLimits() Limits {
	return Limits{
		Submit: ratelimit.Rate{Events: 20, Per: time.Minute, Burst: 40},
		Login:  ratelimit.Rate{Events: 30, Per: time.Minute, Burst: 30},
		Lookup: ratelimit.Rate{Events: 60, Per: time.Minute, Burst: 60},
	}
}

// Limiters are the running token buckets of Limits, shared by the native
// API and Open311 so that a client has one allowance whichever it uses.
type Limiters struct {
	Submit, Login, Lookup *ratelimit.Limiter
}

// NewLimiters starts empty buckets for l.
func NewLimiters(l Limits) *Limiters {
	return &Limiters{Submit: ratelimit.New(l.Submit, 0), Login: ratelimit.New(l.Login, 0),
		Lookup: ratelimit.New(l.Lookup, 0)}
}

func init() {
	enFallback[codeRateLimited] = "Too many requests. Please try again later."
}

// errRateLimited is the answer of a refused request; the caller sets Retry-After.
func errRateLimited() error {
	return &domain.Error{Code: codeRateLimited, Message: "too many requests from this address; wait before trying again"}
}

// retryAfter sets the Retry-After header to wait, in whole seconds (at least one).
func retryAfter(c echo.Context, wait time.Duration) {
	c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
}

// allow takes a token for the client of c from l; a refused request gets
// Retry-After.
func allow(c echo.Context, l *ratelimit.Limiter) bool {
	wait, ok := l.Allow(ClientKey(c), time.Now())
	if !ok {
		retryAfter(c, wait)
	}
	return ok
}

// limit is middleware answering 429 rate_limited once the client's bucket
// in l is empty.
func limit(l *ratelimit.Limiter) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		if l == nil {
			return next
		}
		return func(c echo.Context) error {
			if !allow(c, l) {
				return errRateLimited()
			}
			return next(c)
		}
	}
}

// TrustProxies makes e read the client's address from X-Forwarded-For,
// but only the hops added by the given proxies: a client elsewhere cannot
// pick a fresh address for every request by sending the header itself.
// With no proxies the connection's address is the client's.
func TrustProxies(e *echo.Echo, proxies []netip.Prefix) {
	if len(proxies) == 0 {
		e.IPExtractor = nil
		return
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, p := range proxies {
		opts = append(opts, echo.TrustIPRange(netipToIPNet(p)))
	}
	e.IPExtractor = echo.ExtractIPFromXFFHeader(opts...)
}

func netipToIPNet(p netip.Prefix) *net.IPNet {
	p = p.Masked()
	return &net.IPNet{IP: p.Addr().AsSlice(), Mask: net.CIDRMask(p.Bits(), p.Addr().BitLen())}
}
