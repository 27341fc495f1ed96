package tracking

import (
	"bufio"
	"bytes"
	"database/sql"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"
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

// TestReadersNeverDisturbAWriter is the failure `byb reproduce` met with `byb runs list`
// polling beside it: a writer that opens and closes the database for every run, and
// checkpoints its WAL, beside reader processes that open, query and close in a loop. Every
// process must finish without a single error.
func TestReadersNeverDisturbAWriter(t *testing.T) {
	path := filepath.Join(t.TempDir(), "byb.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	// A tracker of some size, as after a few reproductions: checks that read every page take
	// long enough to overlap the writer's checkpoints.
	big, err := s.StartRun(RunOptions{Experiment: "history", FlushEvery: 5000})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100000; i++ {
		big.LogMetric("loss", float64(i), int64(i))
	}
	if err := big.End(StatusFinished, ""); err != nil {
		t.Fatal(err)
	}
	s.Close()
	const span = "BYB_TRACKING_FOR=6s"
	procs := []*exec.Cmd{childCmd(t, "cycler", path, span)}
	for i := 0; i < 3; i++ {
		procs = append(procs, childCmd(t, "poller", path, span))
	}
	for _, p := range procs {
		if err := p.Start(); err != nil {
			t.Fatal(err)
		}
	}
	for i, p := range procs {
		if err := p.Wait(); err != nil {
			t.Errorf("process %d (%s): %v", i, p.Env[len(p.Env)-3], err)
		}
	}
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	runs, err := s.ListRuns(Filter{Status: StatusFinished})
	if err != nil || len(runs) < 5 {
		t.Fatalf("%d finished runs (%v): the writer hardly wrote", len(runs), err)
	}
	if err := s.IntegrityCheck(); err != nil {
		t.Fatal(err)
	}
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
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
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
	// The user is told, on a line of its own, what happened and what to do.
	if !strings.Contains(stderr.String(), "\nbyb: interrupted by SIGTERM; run it again to resume\n") {
		t.Errorf("stderr %q does not say it was interrupted and how to resume", stderr.String())
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

// Only a failing quick_check makes Open call a tracker damaged; other errors say what they are.
func TestReadErrorsAreNamed(t *testing.T) {
	s, path := openTemp(t)
	s.Close()
	db, err := sql.Open("sqlite3", dsn(path, true))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, tc := range []struct {
		code      sqlite3.ErrNo
		want, not string
	}{
		{sqlite3.ErrIoErr, "not damage", "damaged"},
		{sqlite3.ErrFull, "disk is full", "damaged"},
		{sqlite3.ErrCorrupt, "not damage", "damaged"}, // quick_check says ok: it was not the file
	} {
		err := explainOpenError(db, path, 4096, sqlite3.Error{Code: tc.code})
		if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), tc.not) {
			t.Errorf("code %d: %q; want %q and not %q", tc.code, err, tc.want, tc.not)
		}
	}
}

// A tracker that stops taking writes mid-run never stops the run: logging goes on without an
// error, the failure is reported once, and what was not recorded is kept in the run directory.
func TestTrackerFailureKeepsTheRecordInTheRunDir(t *testing.T) {
	s, _ := openTemp(t)
	dir := t.TempDir()
	var warnings bytes.Buffer
	r, err := s.StartRun(RunOptions{Dir: dir, Warnings: &warnings, FlushEvery: 5, FlushInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10; i++ {
		r.LogMetric("loss", float64(i), int64(i))
	}
	if err := r.Flush(); err != nil {
		t.Fatal(err)
	}
	s.db.Close() // the database goes away under the run
	for i := 10; i < 30; i++ {
		if err := r.LogMetric("loss", float64(i), int64(i)); err != nil {
			t.Fatalf("LogMetric after the tracker failed: %v", err)
		}
		time.Sleep(100 * time.Microsecond) // let the background flush fail a few times
	}
	if err := r.SetTag("note", "kept"); err != nil {
		t.Fatalf("SetTag: %v", err)
	}
	if err := r.End(StatusFinished, ""); err != nil {
		t.Fatalf("End: %v", err)
	}
	if n := strings.Count(warnings.String(), "failed to record"); n != 1 {
		t.Errorf("the failure was reported %d times, want once:\n%s", n, warnings.String())
	}
	if !strings.Contains(warnings.String(), "20 metric points") {
		t.Errorf("warnings do not say how many points were kept:\n%s", warnings.String())
	}
	kept, err := os.ReadFile(filepath.Join(dir, UnrecordedFile))
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]int{}
	steps := map[int64]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(kept)), "\n") {
		var u unrecorded
		if err := json.Unmarshal([]byte(line), &u); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		kinds[u.Kind]++
		if u.Kind == "metric" {
			steps[u.Step] = true
		}
	}
	if kinds["metric"] != 20 || len(steps) != 20 || !steps[10] || !steps[29] || kinds["tag"] != 1 || kinds["end"] != 1 {
		t.Fatalf("kept %v with steps %v; want the 20 unwritten points (steps 10..29), the tag and the end", kinds, steps)
	}
}
