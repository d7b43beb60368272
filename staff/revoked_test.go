package staff_test

import (
	"fmt"
	"testing"
	"time"

	"phananh/staff"
)

func TestRevokedTokenIsRefusedOnEveryReplica(t *testing.T) {
	url := startServer(t)
	ctx := testContext(t)
	open := func() *staff.Revocations {
		r, err := staff.OpenRevocations(ctx, connect(t, url), 1, time.Hour, nil)
		if err != nil {
			t.Fatalf("OpenRevocations: %v", err)
		}
		t.Cleanup(r.Close)
		return r
	}
	first, second := open(), open()
	expires := time.Now().Add(time.Hour)
	if first.Revoked("token-a") || second.Revoked("token-a") {
		t.Fatal("a token is revoked before anyone revoked it")
	}
	if err := first.Revoke(ctx, "token-a", expires); err != nil {
		t.Fatal(err)
	}
	if !first.Revoked("token-a") {
		t.Fatal("the replica that revoked a token still accepts it")
	}
	start := time.Now()
	checkFor(t, 2*time.Second, 5*time.Millisecond, func() error {
		if !second.Revoked("token-a") {
			return fmt.Errorf("token-a not revoked on the second replica %s after Revoke", time.Since(start))
		}
		return nil
	})
	if second.Revoked("token-b") {
		t.Error("revoking one token revoked another")
	}
	// A replica that starts later knows every revocation when Open returns.
	if third := open(); !third.Revoked("token-a") {
		t.Error("a replica opened after Revoke accepts the revoked token")
	}
	// The bucket holds a digest, never the token, and forgets it with the token.
	kv, err := connect(t, url).KeyValue(ctx, staff.RevokedBucket)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := kv.Keys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || len(keys[0]) != 64 || keys[0] == "token-a" {
		t.Errorf("bucket keys = %q, want one SHA-256 hex digest", keys)
	}
	status, err := kv.Status(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if status.TTL() < time.Hour {
		t.Errorf("bucket TTL = %s, want at least the token lifetime 1h", status.TTL())
	}
}

// Logging out revokes one token; another login of the same person in the
// same second must not share it.
func TestTokensOfTwoLoginsDiffer(t *testing.T) {
	tokens, err := staff.NewTokens([]byte("0123456789abcdef0123456789abcdef"), 0)
	if err != nil {
		t.Fatal(err)
	}
	u := staff.User{Name: "an.nguyen", Role: "officer", Unit: "ubnd.lao-cai"}
	at := time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)
	a, _ := tokens.Issue(u, at)
	b, _ := tokens.Issue(u, at)
	if a == b {
		t.Fatal("two logins at the same instant got the same token")
	}
	for _, tok := range []string{a, b} {
		if _, err := tokens.Verify(tok, at); err != nil {
			t.Errorf("Verify: %v", err)
		}
	}
}
