package main

import (
	"bytes"
	"flag"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestApplyEnv(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantURL  string
		wantWait time.Duration
		wantErr  string
	}{
		{name: "defaults", wantURL: "", wantWait: time.Minute},
		{name: "the environment over the default", env: map[string]string{"PHANANH_NATS_URL": "nats://a:4222", "PHANANH_NATS_WAIT": "5s"},
			wantURL: "nats://a:4222", wantWait: 5 * time.Second},
		{name: "a flag over the environment", args: []string{"--nats-url", "nats://b:4222"}, env: map[string]string{"PHANANH_NATS_URL": "nats://a:4222"},
			wantURL: "nats://b:4222", wantWait: time.Minute},
		{name: "a bad value in the environment is named", env: map[string]string{"PHANANH_NATS_WAIT": "soon"}, wantErr: "PHANANH_NATS_WAIT"},
		{name: "a bad variable is ignored when the flag is given", args: []string{"--nats-wait", "2s"}, env: map[string]string{"PHANANH_NATS_WAIT": "soon"},
			wantWait: 2 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			url := fs.String("nats-url", "", "")
			wait := fs.Duration("nats-wait", time.Minute, "")
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			err := applyEnv(fs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("applyEnv = %v, want an error naming %s", err, tt.wantErr)
				}
				return
			}
			if err != nil || *url != tt.wantURL || *wait != tt.wantWait {
				t.Errorf("applyEnv = %v; nats-url %q, nats-wait %v; want %q, %v", err, *url, *wait, tt.wantURL, tt.wantWait)
			}
		})
	}
}

// Every flag of serve says which variable stands in for it, so -h documents
// the environment that applyEnv reads.
func TestServeFlagsNameTheirVariables(t *testing.T) {
	var out bytes.Buffer
	if err := serve([]string{"-h"}, &out); err != nil {
		t.Fatal(err)
	}
	flagLine := regexp.MustCompile(`^  -([a-z0-9-]+)`)
	var name string
	usage := map[string]string{}
	for _, line := range strings.Split(out.String(), "\n") {
		if m := flagLine.FindStringSubmatch(line); m != nil {
			name = m[1]
		}
		if name != "" {
			usage[name] += line
		}
	}
	if len(usage) < 20 {
		t.Fatalf("found %d flags in serve -h:\n%s", len(usage), out.String())
	}
	for name, text := range usage {
		if !strings.Contains(text, envName(name)) {
			t.Errorf("--%s does not name %s: %q", name, envName(name), text)
		}
	}
}
