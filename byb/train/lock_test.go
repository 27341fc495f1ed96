package train

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A run directory is locked while a run writes it: a second run is refused with the holder's
// pid; a lock left by a process that no longer runs is taken over, saying so; unlock frees it.
func TestRunDirectoryLock(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run")
	unlock, note, err := lockDir(dir)
	if err != nil || note != "" {
		t.Fatalf("first lock: %v %q", err, note)
	}
	_, _, err = lockDir(dir)
	if err == nil || !strings.Contains(err.Error(), fmt.Sprintf("process %d", os.Getpid())) || !strings.Contains(err.Error(), "another --out") {
		t.Fatalf("second lock while the first is held: %v", err)
	}
	unlock()
	if _, err := os.Stat(filepath.Join(dir, LockFile)); !os.IsNotExist(err) {
		t.Fatalf("unlock left the lock file: %v", err)
	}

	// A process that has exited left its lock behind (killed with SIGKILL, say).
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skipf("cannot run `true` to get a dead pid: %v", err)
	}
	host, _ := os.Hostname()
	stale := fmt.Sprintf("%d %s 2026-12-07T06:00:00Z\n", dead.Process.Pid, host)
	if err := os.WriteFile(filepath.Join(dir, LockFile), []byte(stale), 0o644); err != nil {
		t.Fatal(err)
	}
	unlock, note, err = lockDir(dir)
	if err != nil || !strings.Contains(note, fmt.Sprintf("from process %d", dead.Process.Pid)) || !strings.Contains(note, "no longer runs") {
		t.Fatalf("stale lock: %v, note %q", err, note)
	}
	unlock()
}
