package train

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// LockFile is the file that marks a run directory as being written by one process: two runs
// writing one --out at once would leave one's config beside the other's checkpoints.
const LockFile = "byb.lock"

// lockDir takes dir's lock for this process, creating dir if needed. The lock holds the
// process's pid and host; a lock left by a process of this host that no longer runs (killed)
// is taken over, and note says so. unlock removes it.
func lockDir(dir string) (unlock func(), note string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	path := filepath.Join(dir, LockFile)
	host, _ := os.Hostname()
	mine := fmt.Sprintf("%d %s %s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
	for attempt := 0; attempt < 2; attempt++ {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err == nil {
			_, werr := f.WriteString(mine)
			if cerr := f.Close(); werr == nil {
				werr = cerr
			}
			if werr != nil {
				os.Remove(path)
				return nil, "", werr
			}
			return func() { os.Remove(path) }, note, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, "", fmt.Errorf("locking %s: %w", dir, err)
		}
		held, _ := os.ReadFile(path)
		pid, owner, since := parseLock(string(held))
		if pid > 0 && owner == host && !processRuns(pid) {
			note = fmt.Sprintf("took over the lock of %s from process %d (started %s), which no longer runs", dir, pid, since)
			os.Remove(path)
			continue
		}
		who := fmt.Sprintf("process %d on %s since %s", pid, owner, since)
		if pid <= 0 {
			who = fmt.Sprintf("another process (%s holds %q)", path, strings.TrimSpace(string(held)))
		}
		return nil, "", fmt.Errorf("%s is being written by %s: wait for that run to end, or pass another --out (if no such run is alive, remove %s)", dir, who, path)
	}
	return nil, "", fmt.Errorf("locking %s: another process took the lock as this one took it over", dir)
}

// parseLock reads a lock file's "PID HOST TIME".
func parseLock(s string) (pid int, host, since string) {
	f := strings.Fields(s)
	if len(f) < 3 {
		return 0, "", ""
	}
	pid, _ = strconv.Atoi(f[0])
	return pid, f[1], f[2]
}

// processRuns reports whether a process with pid runs on this host (signal 0 probes it; a
// process of another user answers EPERM, and runs).
func processRuns(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
