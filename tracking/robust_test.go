package tracking

import (
	"bufio"
	"bytes"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// reader polls the tracker the way the TUI does until stop is closed, and fails on any error
// (in particular "database is locked").
func reader(t *testing.T, path string, stop <-chan struct{}, wg *sync.WaitGroup) {
	defer wg.Done()
	s, err := Open(path)
	if err != nil {
		t.Error(err)
		return
	}
	defer s.Close()
	for {
		select {
		case <-stop:
			return
		default:
		}
		runs, err := s.ListRuns(Filter{})
		if err != nil {
			t.Errorf("reader: %v", err)
			return
		}
		for _, r := range runs {
			if _, err := s.MetricHistory(r.ID, "loss"); err != nil {
				t.Errorf("reader: %v", err)
				return
			}
		}
		if _, err := s.Experiments(); err != nil {
			t.Errorf("reader: %v", err)
			return
		}
	}
}

func TestOneReaderTwoWritersGoroutines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "byb.db")
	stop := make(chan struct{})
	var rwg, wwg sync.WaitGroup
	rwg.Add(1)
	go reader(t, path, stop, &rwg)
	const n = 2000
	for w := 0; w < 2; w++ {
		wwg.Add(1)
		go func() {
			defer wwg.Done()
			s, err := Open(path) // each writer its own handle, as two commands would have
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close()
			r, err := s.StartRun(RunOptions{FlushEvery: 10, FlushInterval: 5 * time.Millisecond, HeartbeatInterval: 10 * time.Millisecond})
			if err != nil {
				t.Error(err)
				return
			}
			for i := 0; i < n; i++ {
				if err := r.LogMetric("loss", float64(i), int64(i)); err != nil {
					t.Error(err)
					return
				}
				if i%100 == 0 {
					if err := r.LogParams(map[string]string{"i": string(rune('a' + i/100))}); err != nil {
						t.Error(err)
						return
					}
				}
			}
			if err := r.End(StatusFinished, ""); err != nil {
				t.Error(err)
			}
		}()
	}
	wwg.Wait()
	close(stop)
	rwg.Wait()
	checkPoints(t, path, 2, n)
}

func TestOneReaderTwoWriterProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "byb.db")
	s, err := Open(path) // create the schema once, so the children race on data, not DDL
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	stop := make(chan struct{})
	var rwg sync.WaitGroup
	rwg.Add(1)
	go reader(t, path, stop, &rwg)
	const n = 2000
	a := childCmd(t, "writer", path, "BYB_TRACKING_N=2000")
	b := childCmd(t, "writer", path, "BYB_TRACKING_N=2000")
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	if err := b.Start(); err != nil {
		t.Fatal(err)
	}
	errA, errB := a.Wait(), b.Wait()
	close(stop)
	rwg.Wait()
	if errA != nil || errB != nil {
		t.Fatalf("writer processes: %v, %v", errA, errB)
	}
	checkPoints(t, path, 2, n)
}

func checkPoints(t *testing.T, path string, runs, n int) {
	t.Helper()
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.ListRuns(Filter{Status: StatusFinished})
	if err != nil || len(got) != runs {
		t.Fatalf("%d finished runs, %v; want %d", len(got), err, runs)
	}
	for _, r := range got {
		h, _ := s.MetricHistory(r.ID, "loss")
		if len(h) != n {
			t.Errorf("run %s has %d points, want %d", r.ID, len(h), n)
		}
	}
	if err := s.IntegrityCheck(); err != nil {
		t.Fatal(err)
	}
}

func TestSIGKILLKeepsCommittedMetrics(t *testing.T) {
	path := filepath.Join(t.TempDir(), "byb.db")
	cmd := childCmd(t, "sigkill", path)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		t.Fatalf("child said nothing: %v", err)
	}
	f := strings.Fields(line)
	if len(f) != 3 || f[0] != "committed" {
		t.Fatalf("child said %q", line)
	}
	id := f[1]
	time.Sleep(30 * time.Millisecond) // let it write more batches, so the kill may land mid-write
	cmd.Process.Signal(syscall.SIGKILL)
	cmd.Wait()

	// Read before the heartbeat goes stale (interval 50 ms): the run still reads as running.
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.IntegrityCheck(); err != nil {
		t.Fatal(err)
	}
	h, err := s.MetricHistory(id, "loss")
	if err != nil || len(h) < 500 {
		t.Fatalf("after SIGKILL: %d points, %v; want ≥ 500 committed", len(h), err)
	}
	for i, p := range h {
		if p.Step != int64(i) {
			t.Fatalf("point %d has step %d: history has a hole", i, p.Step)
		}
	}
	time.Sleep(StaleFactor*50*time.Millisecond + 50*time.Millisecond)
	d, err := s.GetRun(id)
	if err != nil || d.Status != StatusKilled {
		t.Fatalf("after a stale heartbeat: status %v, %v; want killed", d.Status, err)
	}
}

func TestSIGTERMEndsRunAsKilled(t *testing.T) {
	path := filepath.Join(t.TempDir(), "byb.db")
	cmd := childCmd(t, "sigterm", path)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		cmd.Process.Kill()
		t.Fatalf("child said nothing: %v", err)
	}
	id := strings.Fields(line)[1]
	cmd.Process.Signal(syscall.SIGTERM)
	err = cmd.Wait()
	if ee, ok := err.(interface{ ExitCode() int }); !ok || ee.ExitCode() != 128+int(syscall.SIGTERM) {
		t.Fatalf("child exit: %v; want status %d", err, 128+int(syscall.SIGTERM))
	}
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	d, err := s.GetRun(id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != StatusKilled || d.EndReason != "interrupted by SIGTERM" || d.End.IsZero() {
		t.Fatalf("status %q reason %q end %v", d.Status, d.EndReason, d.End)
	}
	if d.MetricPoints["loss"] != 300 {
		t.Fatalf("buffered points flushed at the signal: %d, want 300", d.MetricPoints["loss"])
	}
}

func TestBadFilesAreRefusedAndLeftUntouched(t *testing.T) {
	dir := t.TempDir()
	// A real tracker, then damaged in page 1 (the schema) while keeping the SQLite header.
	good := filepath.Join(dir, "good.db")
	s, err := Open(good)
	if err != nil {
		t.Fatal(err)
	}
	r, _ := s.StartRun(RunOptions{})
	r.LogMetric("loss", 1, 1)
	r.End(StatusFinished, "")
	s.Close()
	damaged, _ := os.ReadFile(good)
	for i := 100; i < 4096 && i < len(damaged); i++ {
		damaged[i] = byte(i * 7)
	}
	// A SQLite database of some other program.
	other := filepath.Join(dir, "other.db")
	odb, _ := sql.Open("sqlite3", other)
	if _, err := odb.Exec(`CREATE TABLE customers (id INTEGER)`); err != nil {
		t.Fatal(err)
	}
	odb.Close()
	otherBytes, _ := os.ReadFile(other)

	for _, tc := range []struct {
		name    string
		content []byte
		want    string
	}{
		{"notes.txt", []byte("these are my notes, not a database\n"), "not a SQLite database"},
		{"short.db", []byte("SQLite"), "not a SQLite database"},
		{"random.db", bytes.Repeat([]byte{0xde, 0xad, 0xbe, 0xef}, 2048), "not a SQLite database"},
		{"damaged.db", damaged, "damaged"},
		{"other.db", otherBytes, "not a byb tracker"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, tc.name)
			if err := os.WriteFile(p, tc.content, 0o644); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(p)
			s, err := Open(p)
			if err == nil {
				s.Close()
				t.Fatalf("Open accepted %s", tc.name)
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "untouched") {
				t.Fatalf("error %q; want it to say %q and that the file was left untouched", err, tc.want)
			}
			after, _ := os.ReadFile(p)
			if !bytes.Equal(before, after) {
				t.Fatal("the file was modified")
			}
		})
	}
	if _, err := Open(dir); err == nil || !strings.Contains(err.Error(), "directory") {
		t.Fatalf("Open(dir): %v", err)
	}
	if _, err := Open(filepath.Join(dir, "missing", "x.db")); err == nil {
		t.Fatal("Open in a missing directory succeeded")
	}
}
