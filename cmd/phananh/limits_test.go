package main

import (
	"bytes"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestServeRefusesBadLimitFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{name: "a rate that is not one", args: []string{"--rate-submit", "ten/m"}, want: "rate-submit"},
		{name: "a burst of zero", args: []string{"--rate-lookup", "10/m burst 0"}, want: "burst"},
		{name: "a bad rate in the environment", env: map[string]string{"PHANANH_RATE_LOGIN": "often"}, want: "PHANANH_RATE_LOGIN"},
		{name: "a proxy that is not an address", args: []string{"--trusted-proxies", "10.0.0.1,proxy.local"}, want: "trusted-proxies"},
		{name: "a bad HSTS age", env: map[string]string{"PHANANH_HSTS_MAX_AGE": "a year"}, want: "PHANANH_HSTS_MAX_AGE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			var stderr bytes.Buffer
			// --http on a port in use would also fail: these must fail before listening.
			err := serve(append(tt.args, "--data", t.TempDir()), &stderr)
			if err == nil || !strings.Contains(err.Error()+stderr.String(), tt.want) {
				t.Fatalf("serve(%q) = %v (stderr %q), want an error naming %s", tt.args, err, stderr.String(), tt.want)
			}
		})
	}
}

func TestParsePrefixes(t *testing.T) {
	got, err := parsePrefixes(" 10.0.0.0/8, 192.168.1.7 ,2001:db8::/32,,::ffff:127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.168.1.7/32"),
		netip.MustParsePrefix("2001:db8::/32"), netip.MustParsePrefix("127.0.0.1/32")}
	if !slices.Equal(got, want) {
		t.Errorf("parsePrefixes = %v, want %v", got, want)
	}
	if got, err := parsePrefixes(""); err != nil || got != nil {
		t.Errorf(`parsePrefixes("") = %v, %v`, got, err)
	}
}
