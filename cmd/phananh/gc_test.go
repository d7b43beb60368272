package main

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
)

func TestChooseGC(t *testing.T) {
	const (
		ownNS   = "0::/\n"                                      // v2 in a container with its own cgroup namespace
		service = "0::/system.slice/phananh.service\n"          // v2 on a host, under systemd
		v1      = "12:memory:/docker/ab12\n11:cpu,cpuacct:/x\n" // v1, the container's path as the host sees it
	)
	tests := []struct {
		name    string
		env     map[string]string
		files   map[string]string
		percent int
		limit   int64
		says    string // in the description
		wantErr bool
	}{
		{name: "no /proc: the default target, no limit", percent: 400,
			says: "GOGC 400 (phananh's default), memory limit none (no cgroup limit)"},
		{name: "v2 without a limit", files: map[string]string{"/proc/self/cgroup": ownNS, "/sys/fs/cgroup/memory.max": "max\n"},
			percent: 400, says: "memory limit none"},
		{name: "v2 container limit of 1 GiB",
			files:   map[string]string{"/proc/self/cgroup": ownNS, "/sys/fs/cgroup/memory.max": "1073741824\n"},
			percent: 400, limit: 966367641, says: "memory limit 921 MiB (90 % of /sys/fs/cgroup/memory.max (1073741824 bytes))"},
		{name: "v2 systemd unit's own limit", files: map[string]string{"/proc/self/cgroup": service,
			"/sys/fs/cgroup/system.slice/phananh.service/memory.max": "536870912", "/sys/fs/cgroup/system.slice/memory.max": "max"},
			percent: 400, limit: 483183820, says: "/sys/fs/cgroup/system.slice/phananh.service/memory.max"},
		{name: "v2 a parent's smaller limit binds", files: map[string]string{"/proc/self/cgroup": service,
			"/sys/fs/cgroup/system.slice/phananh.service/memory.max": "max", "/sys/fs/cgroup/system.slice/memory.max": "268435456"},
			percent: 400, limit: 241591910, says: "/sys/fs/cgroup/system.slice/memory.max"},
		{name: "v1 container: its path is not mounted, the root is its own",
			files:   map[string]string{"/proc/self/cgroup": v1, "/sys/fs/cgroup/memory/memory.limit_in_bytes": "2147483648\n"},
			percent: 400, limit: 1932735283},
		{name: "v1 without a limit", files: map[string]string{"/proc/self/cgroup": v1,
			"/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n"}, percent: 400},
		{name: "GOGC wins", env: map[string]string{"GOGC": "100"},
			files: map[string]string{"/proc/self/cgroup": ownNS, "/sys/fs/cgroup/memory.max": "1073741824"}, limit: 966367641,
			says: "GOGC as set (GOGC=100)"},
		{name: "GOMEMLIMIT wins", env: map[string]string{"GOMEMLIMIT": "512MiB"},
			files:   map[string]string{"/proc/self/cgroup": ownNS, "/sys/fs/cgroup/memory.max": "1073741824"},
			percent: 400, says: "memory limit as set (GOMEMLIMIT=512MiB)"},
		{name: "an unreadable limit keeps the target",
			files:   map[string]string{"/proc/self/cgroup": ownNS, "/sys/fs/cgroup/memory.max": "lots"},
			percent: 400, wantErr: true},
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
