package staff_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"phananh/domain"
	"phananh/staff"
)

var secret = bytes.Repeat([]byte{7}, 32)

func newTokens(t *testing.T, secret []byte, ttl time.Duration) *staff.Tokens {
	t.Helper()
	tokens, err := staff.NewTokens(secret, ttl)
	if err != nil {
		t.Fatalf("NewTokens: %v", err)
	}
	return tokens
}

func TestTokenRoundTrip(t *testing.T) {
	tokens := newTokens(t, secret, 0)
	now := time.Date(2026, 3, 2, 8, 0, 0, 500, time.UTC)
	u := staff.User{Name: "an.nguyen", Role: domain.RoleOfficer, Unit: "ubnd.lao-cai", PasswordHash: []byte("$2a$12$secret")}
	token, expires := tokens.Issue(u, now)
	if got, want := expires, time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("expires = %v, want %v (8 hours, whole seconds)", got, want)
	}
	if strings.Contains(token, "secret") || strings.ContainsAny(token, "+/=") {
		t.Errorf("token %q is not two base64url parts without the hash", token)
	}
	claims, err := tokens.Verify(token, now.Add(7*time.Hour))
	if err != nil {
		t.Fatalf("Verify: %v", err)
	}
	want := staff.Claims{Name: "an.nguyen", Role: domain.RoleOfficer, Unit: "ubnd.lao-cai", Expires: expires}
	if claims != want {
		t.Errorf("claims = %+v, want %+v", claims, want)
	}
	// Another replica with the same secret accepts it.
	if _, err := newTokens(t, bytes.Clone(secret), time.Hour).Verify(token, now); err != nil {
		t.Errorf("a second Tokens with the same secret refuses the token: %v", err)
	}
	// The admin's empty unit survives the trip.
	admin, _ := tokens.Issue(staff.User{Name: "chi.le", Role: domain.RoleAdmin}, now)
	if c, err := tokens.Verify(admin, now); err != nil || c.Unit != "" || c.Role != domain.RoleAdmin {
		t.Errorf("admin token: %+v, %v", c, err)
	}
}

func TestTokenRefusals(t *testing.T) {
	tokens := newTokens(t, secret, time.Hour)
	now := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	token, expires := tokens.Issue(staff.User{Name: "an.nguyen", Role: domain.RoleOfficer, Unit: "ubnd.lao-cai"}, now)
	body, sig, _ := strings.Cut(token, ".")

	// A claim rewritten by the client: role raised to admin, signature kept.
	forged := base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"an.nguyen","role":"admin","exp":9999999999}`)) + "." + sig
	flipped := []byte(sig)
	if flipped[0] == 'A' {
		flipped[0] = 'B'
	} else {
		flipped[0] = 'A'
	}
	other := newTokens(t, bytes.Repeat([]byte{8}, 32), time.Hour)
	otherToken, _ := other.Issue(staff.User{Name: "an.nguyen", Role: domain.RoleOfficer, Unit: "ubnd.lao-cai"}, now)

	tests := []struct {
		name  string
		token string
		at    time.Time
		want  error
	}{
		{"forged claims", forged, now, staff.ErrInvalidToken},
		{"altered signature", body + "." + string(flipped), now, staff.ErrInvalidToken},
		{"no signature", body, now, staff.ErrInvalidToken},
		{"empty signature", body + ".", now, staff.ErrInvalidToken},
		{"three parts", token + ".x", now, staff.ErrInvalidToken},
		{"empty", "", now, staff.ErrInvalidToken},
		{"garbage", "not a token", now, staff.ErrInvalidToken},
		{"huge", strings.Repeat("a", 5000) + "." + sig, now, staff.ErrInvalidToken},
		{"signed with another secret", otherToken, now, staff.ErrInvalidToken},
		{"at its expiry", token, expires, staff.ErrTokenExpired},
		{"after its expiry", token, expires.Add(time.Second), staff.ErrTokenExpired},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tokens.Verify(tt.token, tt.at)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Verify = %+v, %v; want %v", c, err, tt.want)
			}
		})
	}
	if _, err := tokens.Verify(token, expires.Add(-time.Second)); err != nil {
		t.Errorf("a second before expiry: %v", err)
	}
}

func TestNewTokensRefusesAShortSecret(t *testing.T) {
	if _, err := staff.NewTokens(make([]byte, 31), 0); err == nil {
		t.Error("NewTokens accepted a 31-byte secret")
	}
	if _, err := staff.NewTokens(secret, -time.Second); err == nil {
		t.Error("NewTokens accepted a negative lifetime")
	}
}
