package api

import (
	"errors"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"phananh/domain"
	"phananh/staff"
)

// Authentication error codes.
const (
	codeInvalidCredentials domain.Code = "invalid_credentials"
	codeUnauthenticated    domain.Code = "unauthenticated"
	codeCSRF               domain.Code = "csrf_header_required"
)

// CSRFHeader and CSRFValue: a state-changing request authenticated by the
// session cookie must carry this header. A cross-site form cannot set a
// custom header, and a cross-site script cannot send one without a CORS
// preflight, which this server never grants. Bearer requests are exempt:
// a browser never adds that header on its own.
const (
	CSRFHeader = "X-Requested-With"
	CSRFValue  = "phananh"
)

// SessionCookie is the cookie that carries a staff token for browsers.
const SessionCookie = "phananh_session"

// maxLoginBytes bounds a login body: a name and a password of at most 128
// characters need far less.
const maxLoginBytes = 4 << 10

// actorKey is where requireStaff leaves the actor in the Echo context.
const actorKey = "phananh.actor"

func init() {
	viMessages[codeInvalidCredentials] = "Tên đăng nhập hoặc mật khẩu không đúng."
	viMessages[codeUnauthenticated] = "Bạn cần đăng nhập (hoặc phiên đăng nhập đã hết hạn). Vui lòng đăng nhập lại."
	enFallback[codeInvalidCredentials] = "Wrong name or password."
	enFallback[codeUnauthenticated] = "Please log in (or log in again: the session has ended)."
	viMessages[codeCSRF] = "Yêu cầu bị từ chối vì thiếu dấu hiệu chống giả mạo (X-Requested-With). Hãy tải lại trang và thử lại."
	enFallback[codeCSRF] = "Request refused: the anti-forgery header (X-Requested-With) is missing. Reload the page and try again."
}

// errBadCredentials is the one answer to a failed login. It has no English
// message of its own, so every failure renders the same fallback.
var errBadCredentials = &domain.Error{Code: codeInvalidCredentials}

func errUnauthenticated() error { return &domain.Error{Code: codeUnauthenticated} }

type loginRequest struct {
	Name     string `json:"name"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token     string      `json:"token"`
	ExpiresAt time.Time   `json:"expires_at"`
	Role      domain.Role `json:"role"`
	Unit      string      `json:"unit"`
}

type meResponse struct {
	Name string      `json:"name"`
	Role domain.Role `json:"role"`
	Unit string      `json:"unit"`
}

// registerAuth adds the login routes. New calls it when cfg.Users is set.
func (s *server) registerAuth(g *echo.Group) {
	if s.cfg.Tokens == nil {
		panic("api: Users without Tokens")
	}
	if s.cfg.Throttle == nil {
		s.cfg.Throttle = staff.NewThrottle(staff.ThrottleConfig{})
	}
	g.POST("/auth/login", s.login, limit(s.lim.Login))
	g.POST("/auth/logout", s.logout)
	g.GET("/auth/me", s.me, s.requireStaff)
}

// login: POST /api/v1/auth/login {"name","password"} → 200 with a token
// (also set as the session cookie); 401 invalid_credentials whatever was
// wrong; 429 rate_limited with Retry-After after repeated failures.
func (s *server) login(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	var req loginRequest
	if err := bindJSON(c, maxLoginBytes, &req); err != nil {
		return err
	}
	name := staff.NormalizeName(req.Name)
	if len(name) > staff.MaxNameLen {
		// Too long to be anyone; keep the throttle's key bounded all the same.
		name = name[:staff.MaxNameLen+1]
	}
	ip := ClientKey(c)
	if wait, ok := s.cfg.Throttle.Attempt(name, ip); !ok {
		c.Response().Header().Set(echo.HeaderRetryAfter, strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		return &domain.Error{Code: codeRateLimited, Message: "too many failed logins; wait before trying again"}
	}
	u, err := s.cfg.Users.Authenticate(c.Request().Context(), name, req.Password)
	if errors.Is(err, staff.ErrBadCredentials) {
		return errBadCredentials
	}
	if err != nil {
		return err
	}
	s.cfg.Throttle.Succeeded(name, ip)
	token, expires := s.cfg.Tokens.Issue(u, time.Now())
	c.SetCookie(sessionCookie(token, expires))
	return c.JSON(http.StatusOK, loginResponse{Token: token, ExpiresAt: expires, Role: u.Role, Unit: u.Unit})
}

// logout: POST /api/v1/auth/logout clears the session cookie and revokes
// the token it or the Authorization header carries, on every replica: a
// copy of the token (a stolen cookie, a script's bearer token) is refused
// from then on. Disabling the account is what ends all of a person's
// sessions at once.
func (s *server) logout(c echo.Context) error {
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	token, viaCookie, err := requestToken(c)
	if err == nil && viaCookie && c.Request().Header.Get(CSRFHeader) != CSRFValue {
		// Another site's form must not end a session either.
		return csrfRefusal()
	}
	c.SetCookie(sessionCookie("", time.Unix(0, 0)))
	if err == nil && token != "" && s.cfg.Revoked != nil {
		if claims, err := s.cfg.Tokens.Verify(token, time.Now()); err == nil {
			if err := s.cfg.Revoked.Revoke(c.Request().Context(), token, claims.Expires); err != nil {
				s.log.Error("logout: token not revoked", "err", err)
				return domain.Errorf(domain.EUnavailable, "the session could not be ended; try again")
			}
		}
	}
	return c.NoContent(http.StatusNoContent)
}

// requestToken returns the token of a request, from Authorization: Bearer
// or else the session cookie, and whether the cookie carried it.
func requestToken(c echo.Context) (token string, viaCookie bool, err error) {
	if h := c.Request().Header.Get(echo.HeaderAuthorization); h != "" {
		scheme, value, ok := strings.Cut(h, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return "", false, errUnauthenticated()
		}
		return strings.TrimSpace(value), false, nil
	}
	if ck, err := c.Cookie(SessionCookie); err == nil {
		return ck.Value, true, nil
	}
	return "", false, nil
}

// me: GET /api/v1/auth/me → who the token says the caller is.
func (s *server) me(c echo.Context) error {
	actor, _ := ActorFrom(c)
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.JSON(http.StatusOK, meResponse{Name: actor.ID, Role: actor.Role, Unit: actor.Unit})
}

func sessionCookie(token string, expires time.Time) *http.Cookie {
	ck := &http.Cookie{Name: SessionCookie, Value: token, Path: "/", Expires: expires,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteStrictMode}
	if token == "" {
		ck.MaxAge = -1
	}
	return ck
}

// requireStaff lets a request through only with a valid, unexpired token
// (Authorization: Bearer, or the session cookie) of an account that is
// still active, with the role and unit the token was issued for; it leaves
// the actor for ActorFrom. Anything else is 401 unauthenticated.
func (s *server) requireStaff(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		actor, viaCookie, err := s.authenticate(c)
		if err != nil {
			c.Response().Header().Set(echo.HeaderWWWAuthenticate, `Bearer realm="phananh"`)
			return err
		}
		if viaCookie && !safeMethod(c.Request().Method) && c.Request().Header.Get(CSRFHeader) != CSRFValue {
			return csrfRefusal()
		}
		c.Set(actorKey, actor)
		// What a staff member sees is theirs alone; a handler may say more (a download).
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		return next(c)
	}
}

// csrfRefusal answers a state-changing request that the session cookie
// authenticates without the header a page's script sends.
func csrfRefusal() error {
	return &domain.Error{Code: codeCSRF, Message: "a request authenticated by the session cookie must send " + CSRFHeader + ": " + CSRFValue}
}

// safeMethod: requests that change nothing need no CSRF header.
func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// authenticate returns the actor and whether the session cookie (not a
// bearer token) carried the token.
func (s *server) authenticate(c echo.Context) (domain.Actor, bool, error) {
	if s.cfg.Users == nil || s.cfg.Tokens == nil {
		return domain.Actor{}, false, errUnauthenticated() // no accounts configured: nobody is staff
	}
	token, viaCookie, err := requestToken(c)
	if err != nil || token == "" {
		return domain.Actor{}, false, errUnauthenticated()
	}
	claims, err := s.cfg.Tokens.Verify(token, time.Now())
	if err != nil {
		return domain.Actor{}, false, errUnauthenticated()
	}
	if s.cfg.Revoked != nil && s.cfg.Revoked.Revoked(token) {
		return domain.Actor{}, false, errUnauthenticated() // logged out
	}
	u, ok := s.cfg.Users.Active(claims.Name)
	if !ok || u.Role != claims.Role || u.Unit != claims.Unit {
		// Disabled, gone, or changed since the login: log in again.
		return domain.Actor{}, false, errUnauthenticated()
	}
	return domain.Actor{ID: u.Name, Role: u.Role, Unit: u.Unit}, viaCookie, nil
}

// ActorFrom returns the staff member requireStaff let through.
func ActorFrom(c echo.Context) (domain.Actor, bool) {
	a, ok := c.Get(actorKey).(domain.Actor)
	return a, ok
}

// ClientKey is the client's address as the login throttle and the rate
// limits count it. It uses the
// connection's address unless the server was told how to read a proxy's
// headers (Echo's IPExtractor, see TrustProxies): X-Forwarded-For from an untrusted client
// would let it pick a fresh address for every guess. An IPv6 client counts
// by its /64, which one subscriber usually holds whole.
func ClientKey(c echo.Context) string {
	raw := c.Request().RemoteAddr
	if c.Echo().IPExtractor != nil {
		raw = c.RealIP()
	} else if host, _, err := net.SplitHostPort(raw); err == nil {
		raw = host
	}
	addr, err := netip.ParseAddr(raw)
	if err != nil {
		return raw
	}
	addr = addr.Unmap()
	if addr.Is6() {
		if p, err := addr.Prefix(64); err == nil {
			return p.String()
		}
	}
	return addr.String()
}
