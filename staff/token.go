package staff

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"phananh/domain"
)

// DefaultTokenTTL is how long a login lasts: a working day.
const DefaultTokenTTL = 8 * time.Hour

// MinSecretBytes is the shortest secret Tokens accepts.
const MinSecretBytes = 32

// maxTokenLen bounds the work Verify does on what a client sends.
const maxTokenLen = 2048

// tokenContext separates this use of the shared secret from any other: the
// MAC key is derived from the secret and this label.
const tokenContext = "phananh staff session token v1"

// Token errors. Both mean "log in again".
var (
	ErrInvalidToken = errors.New("staff: invalid token")
	ErrTokenExpired = errors.New("staff: token expired")
)

// Claims is what a token asserts: who logged in, with which role and unit,
// until when. The middleware still checks that the account is active.
type Claims struct {
	Name    string
	Role    domain.Role
	Unit    string
	Expires time.Time
}

// wireClaims is the JSON inside a token.
type wireClaims struct {
	Name    string      `json:"sub"`
	Role    domain.Role `json:"role"`
	Unit    string      `json:"unit,omitempty"`
	Expires int64       `json:"exp"` // Unix seconds
	// ID makes every login's token unique, so that logging out (which
	// revokes the token) ends that session only, not another login of the
	// same person in the same second. Older tokens have none.
	ID string `json:"jti,omitempty"`
}

// Tokens issues and verifies login tokens:
// base64url(JSON claims) "." base64url(HMAC-SHA256). Every replica derives
// the same key from the shared secret, so a token from one is good on all.
type Tokens struct {
	key []byte
	ttl time.Duration
}

// NewTokens returns Tokens signing with a key derived from secret, which
// must have at least MinSecretBytes bytes. A ttl of zero means
// DefaultTokenTTL.
func NewTokens(secret []byte, ttl time.Duration) (*Tokens, error) {
	if len(secret) < MinSecretBytes {
		return nil, fmt.Errorf("staff: token secret has %d bytes, want at least %d", len(secret), MinSecretBytes)
	}
	if ttl < 0 {
		return nil, fmt.Errorf("staff: negative token lifetime %s", ttl)
	}
	if ttl == 0 {
		ttl = DefaultTokenTTL
	}
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(tokenContext))
	return &Tokens{key: mac.Sum(nil), ttl: ttl}, nil
}

// TTL is how long an issued token lasts.
func (t *Tokens) TTL() time.Duration { return t.ttl }

// Issue returns a token for u, valid from now for the TTL, and when it
// expires (whole seconds, as the token records it).
func (t *Tokens) Issue(u User, now time.Time) (token string, expires time.Time) {
	expires = now.Add(t.ttl).Truncate(time.Second).UTC()
	id := make([]byte, 12)
	rand.Read(id) // never fails (crypto/rand)
	payload, err := json.Marshal(wireClaims{Name: u.Name, Role: u.Role, Unit: u.Unit, Expires: expires.Unix(),
		ID: base64.RawURLEncoding.EncodeToString(id)})
	if err != nil {
		panic(fmt.Sprintf("staff: encode claims: %v", err)) // strings and an int cannot fail
	}
	body := base64.RawURLEncoding.EncodeToString(payload)
	return body + "." + base64.RawURLEncoding.EncodeToString(t.sign(body)), expires
}

// Verify checks a token's signature (in constant time) and expiry and
// returns its claims. It returns ErrTokenExpired for a genuine token past
// its expiry and ErrInvalidToken for anything else.
func (t *Tokens) Verify(token string, now time.Time) (Claims, error) {
	if len(token) > maxTokenLen {
		return Claims{}, ErrInvalidToken
	}
	body, sig, ok := strings.Cut(token, ".")
	if !ok || body == "" || strings.Contains(sig, ".") {
		return Claims{}, ErrInvalidToken
	}
	// Strict: a signature with altered padding bits is another token, not the same one.
	gotMAC, err := base64.RawURLEncoding.Strict().DecodeString(sig)
	if err != nil || !hmac.Equal(gotMAC, t.sign(body)) {
		return Claims{}, ErrInvalidToken
	}
	payload, err := base64.RawURLEncoding.DecodeString(body)
	if err != nil {
		return Claims{}, ErrInvalidToken
	}
	var wc wireClaims
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&wc); err != nil || wc.Name == "" || wc.Role == "" || wc.Expires == 0 {
		return Claims{}, ErrInvalidToken
	}
	expires := time.Unix(wc.Expires, 0).UTC()
	if !now.Before(expires) {
		return Claims{}, ErrTokenExpired
	}
	return Claims{Name: wc.Name, Role: wc.Role, Unit: wc.Unit, Expires: expires}, nil
}

func (t *Tokens) sign(body string) []byte {
	mac := hmac.New(sha256.New, t.key)
	mac.Write([]byte(body))
	return mac.Sum(nil)
}
