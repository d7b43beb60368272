package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
)

// The collector's settings for the long-running commands (serve, bench).
//
// phananh's live heap is mostly its read models, about 2 KB a case. Go's
// default target (GOGC=100) collects whenever the heap has grown by as much
// again, and at 100 000 cases each collection marks for about half a
// second on two cores while requests wait behind it. In the bench's
// steady query phase (30 s, 1.2–1.5k reports/s) that was a collection
// every 5 s and a queue page p99 of 9.2 ms; with 400, one collection in
// the 30 s and 2.0 ms (BENCHMARKS.md, fourth session). The price is memory:
// the heap may reach five times the live data instead of twice. So phananh
// sets 400 unless GOGC is set, and unless GOMEMLIMIT is set it takes a
// memory limit from its cgroup (a container's, or a systemd unit's), so that
// under a tight limit the collector runs sooner instead of the process
// being killed.
const defaultGCPercent = 400

// memoryLimitShare is the share of the cgroup's memory limit the Go
// runtime may use: the rest is for what the cgroup charges but the runtime
// does not manage (the kernel's buffers, the page cache of the embedded
// server's files, though the kernel can reclaim that).
const memoryLimitShare = 0.9

// Where the process's cgroups are listed, and where the cgroup
// filesystems are mounted (v2, and v1's memory controller).
const (
	procSelfCgroup = "/proc/self/cgroup"
	cgroupV2Root   = "/sys/fs/cgroup"
	cgroupV1Memory = "/sys/fs/cgroup/memory"
)

// gcSettings is what chooseGC decided. A zero field is left as the Go
// runtime has it (from GOGC or GOMEMLIMIT, or Go's own default).
type gcSettings struct {
	percent int   // GC target to set
	limit   int64 // soft memory limit to set, in bytes
	// Where each value comes from, for the log and the bench's header.
	percentFrom, limitFrom string
}

// chooseGC decides the settings from the environment and the cgroup files.
func chooseGC(getenv func(string) string, readFile func(string) ([]byte, error)) (gcSettings, error) {
	var s gcSettings
	if v := getenv("GOGC"); v != "" {
		s.percentFrom = "GOGC=" + v
	} else {
		s.percent, s.percentFrom = defaultGCPercent, "phananh's default"
	}
	if v := getenv("GOMEMLIMIT"); v != "" {
		s.limitFrom = "GOMEMLIMIT=" + v
		return s, nil
	}
	s.limitFrom = "no cgroup limit"
	bytes, file, err := cgroupMemoryLimit(readFile)
	if err != nil || bytes == 0 {
		return s, err
	}
	s.limit = int64(float64(bytes) * memoryLimitShare)
	s.limitFrom = fmt.Sprintf("%.0f %% of %s (%d bytes)", memoryLimitShare*100, file, bytes)
	return s, nil
}

// cgroupMemoryLimit returns the smallest memory limit set on the process's
// cgroup or any cgroup above it (a limit on a parent binds its children),
// and the file it is in; 0 if there is none. The process's cgroup is read
// from /proc/self/cgroup (v2's "0::/path", or v1's memory controller) and
// looked up under the mount. Inside a container with its own cgroup
// namespace the path is "/", the mount's root; a file that does not exist
// on the way (a v1 container that sees only its own cgroup) is skipped.
func cgroupMemoryLimit(readFile func(string) ([]byte, error)) (int64, string, error) {
	list, err := readFile(procSelfCgroup)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, "", nil // not Linux, or no /proc
	}
	if err != nil {
		return 0, "", fmt.Errorf("memory limit: %w", err)
	}
	var limit int64
	var limitFile string
	for _, line := range strings.Split(string(list), "\n") {
		parts := strings.SplitN(line, ":", 3)
		if len(parts) != 3 {
			continue
		}
		var root, name string
		switch {
		case parts[0] == "0" && parts[1] == "":
			root, name = cgroupV2Root, "memory.max"
		case slices.Contains(strings.Split(parts[1], ","), "memory"):
			root, name = cgroupV1Memory, "memory.limit_in_bytes"
		default:
			continue
		}
		for dir := path.Join(root, parts[2]); ; dir = path.Dir(dir) {
			file := path.Join(dir, name)
			bytes, err := readLimit(readFile, file)
			if err != nil {
				return 0, "", err
			}
			if bytes > 0 && (limit == 0 || bytes < limit) {
				limit, limitFile = bytes, file
			}
			if dir == root || !strings.HasPrefix(dir, root+"/") {
				break
			}
		}
	}
	return limit, limitFile, nil
}

// readLimit reads one cgroup memory limit file: 0 for none or no file.
func readLimit(readFile func(string) ([]byte, error), file string) (int64, error) {
	raw, err := readFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("memory limit: %w", err)
	}
	text := strings.TrimSpace(string(raw))
	if text == "max" {
		return 0, nil // v2: no limit
	}
	bytes, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("memory limit: %s holds %q: %w", file, text, err)
	}
	// v1 writes a huge number (a page-rounded MaxInt64) for no limit.
	if bytes <= 0 || bytes >= 1<<62 {
		return 0, nil
	}
	return bytes, nil
}

// apply sets what s decided.
func (s gcSettings) apply() {
	if s.percent != 0 {
		debug.SetGCPercent(s.percent)
	}
	if s.limit != 0 {
		debug.SetMemoryLimit(s.limit)
	}
}

func (s gcSettings) String() string {
	percent := "GOGC " + strconv.Itoa(s.percent)
	if s.percent == 0 {
		percent = "GOGC as set"
	}
	limit := "memory limit none"
	if s.limit != 0 {
		limit = fmt.Sprintf("memory limit %d MiB", s.limit>>20)
	} else if strings.HasPrefix(s.limitFrom, "GOMEMLIMIT") {
		limit = "memory limit as set"
	}
	return fmt.Sprintf("%s (%s), %s (%s)", percent, s.percentFrom, limit, s.limitFrom)
}

// tuneGC chooses and applies the collector's settings for a long-running
// command and says what they are. A cgroup file it cannot read is
// reported, and the rest is applied anyway.
func tuneGC() (gcSettings, error) {
	s, err := chooseGC(os.Getenv, os.ReadFile)
	s.apply()
	return s, err
}
