package main

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

func TestChooseGC(t *testing.T) {
	const v2, v1 = "/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"
	tests := []struct {
		name    string
		env     map[string]string
		files   map[string]string
		percent int
		limit   int64
		says    string // in the description
		wantErr bool
	}{
		{name: "bare host: the default target, no limit", percent: 400, says: "GOGC 400 (phananh's default), memory limit none (no cgroup limit)"},
		{name: "cgroup v2 without a limit", files: map[string]string{v2: "max\n"}, percent: 400, says: "memory limit none"},
		{name: "cgroup v2 limit of 1 GiB", files: map[string]string{v2: "1073741824\n"}, percent: 400, limit: 966367641,
			says: "memory limit 921 MiB (90 % of /sys/fs/cgroup/memory.max (1073741824 bytes))"},
		{name: "cgroup v1 limit of 2 GiB", files: map[string]string{v1: "2147483648\n"}, percent: 400, limit: 1932735283},
		{name: "cgroup v1 without a limit", files: map[string]string{v1: "9223372036854771712\n"}, percent: 400},
		{name: "v2 is read before v1", files: map[string]string{v2: "1073741824", v1: "2147483648"}, percent: 400, limit: 966367641},
		{name: "GOGC wins", env: map[string]string{"GOGC": "100"}, files: map[string]string{v2: "1073741824"}, limit: 966367641,
			says: "GOGC as set (GOGC=100)"},
		{name: "GOMEMLIMIT wins", env: map[string]string{"GOMEMLIMIT": "512MiB"}, files: map[string]string{v2: "1073741824"}, percent: 400,
			says: "memory limit as set (GOMEMLIMIT=512MiB)"},
		{name: "an unreadable limit keeps the target", files: map[string]string{v2: "lots"}, percent: 400, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			readFile := func(name string) ([]byte, error) {
				if text, ok := tt.files[name]; ok {
					return []byte(text), nil
				}
				return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
			}
			s, err := chooseGC(getenv, readFile)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, want one: %t", err, tt.wantErr)
			}
			if s.percent != tt.percent || s.limit != tt.limit {
				t.Errorf("chose GOGC %d, limit %d; want %d, %d", s.percent, s.limit, tt.percent, tt.limit)
			}
			if !strings.Contains(s.String(), tt.says) {
				t.Errorf("described as %q, want it to hold %q", s.String(), tt.says)
			}
		})
	}
}

func TestChooseGCReportsAFileItCannotRead(t *testing.T) {
	denied := errors.New("permission denied")
	_, err := chooseGC(func(string) string { return "" }, func(string) ([]byte, error) { return nil, denied })
	if !errors.Is(err, denied) {
		t.Fatalf("error %v, want it to wrap %v", err, denied)
	}
}
