package tracking

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// Tests that need a separate process (crash, signals, writers in two processes) re-execute
// this test binary with BYB_TRACKING_CHILD set; TestMain then runs the child's part instead
// of the tests.
func TestMain(m *testing.M) {
	if mode := os.Getenv("BYB_TRACKING_CHILD"); mode != "" {
		os.Exit(childMain(mode, os.Getenv("BYB_TRACKING_DB")))
	}
	os.Exit(m.Run())
}

func childMain(mode, db string) int {
	switch mode {
	case "cycler":
		return cycler(db)
	case "poller":
		return poller(db)
	}
	s, err := Open(db)
	if err != nil {
		fmt.Fprintln(os.Stderr, "child:", err)
		return 3
	}
	switch mode {
	case "writer": // logs N points in many small flushes, as a busy trainer would
		n, _ := strconv.Atoi(os.Getenv("BYB_TRACKING_N"))
		r, err := s.StartRun(RunOptions{Experiment: "procs", FlushEvery: 10, FlushInterval: 5 * time.Millisecond,
			HeartbeatInterval: 20 * time.Millisecond, Params: map[string]string{"pid": strconv.Itoa(os.Getpid())}})
		if err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 4
		}
		for i := 0; i < n; i++ {
			if err := r.LogMetric("loss", float64(i), int64(i)); err != nil {
				fmt.Fprintln(os.Stderr, "child:", err)
				return 5
			}
			if i%50 == 0 {
				if err := r.SetTag("progress", strconv.Itoa(i)); err != nil {
					fmt.Fprintln(os.Stderr, "child:", err)
					return 5
				}
			}
		}
		if err := r.End(StatusFinished, ""); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			return 6
		}
		return 0
	case "sigkill": // commits 500 points, says so, then keeps logging until killed
		r, err := s.StartRun(RunOptions{Experiment: "crash", FlushEvery: 50, FlushInterval: 10 * time.Millisecond,
			HeartbeatInterval: 50 * time.Millisecond})
		if err != nil {
			return 4
		}
		for i := 0; i < 500; i++ {
			r.LogMetric("loss", 1/float64(i+1), int64(i))
		}
		if err := r.Flush(); err != nil {
			return 5
		}
		fmt.Printf("committed %s 500\n", r.ID())
		for i := 500; ; i++ {
			r.LogMetric("loss", 1/float64(i+1), int64(i))
			time.Sleep(100 * time.Microsecond)
		}
	case "sigterm": // buffers 300 points (no flush before End), then waits for the signal
		r, err := s.StartRun(RunOptions{Experiment: "signals", FlushEvery: 1 << 20, FlushInterval: time.Hour})
		if err != nil {
			return 4
		}
		HandleSignals(r, "run it again to resume")
		for i := 0; i < 300; i++ {
			r.LogMetric("loss", float64(i), int64(i))
		}
		fmt.Printf("ready %s\n", r.ID())
		time.Sleep(time.Minute)
		return 7
	}
	return 2
}

// childFor is how long a cycler or poller child runs (BYB_TRACKING_FOR, a duration).
func childFor() time.Duration {
	d, err := time.ParseDuration(os.Getenv("BYB_TRACKING_FOR"))
	if err != nil {
		return time.Second
	}
	return d
}

// cycler writes as `byb reproduce` does: run after run, each opening the database, logging
// metrics, ending and closing it (so there are moments with no writer connection at all),
// with a WAL checkpoint now and then. It exits non-zero on the first error.
func cycler(db string) int {
	parent, err := Begin(db, RunOptions{Experiment: "cycle", Name: "parent", HeartbeatInterval: 10 * time.Millisecond})
	if err != nil {
		fmt.Fprintln(os.Stderr, "cycler: begin parent:", err)
		return 4
	}
	defer parent.End(StatusFinished, "")
	for i, until := 0, time.Now().Add(childFor()); time.Now().Before(until); i++ {
		r, err := Begin(db, RunOptions{Experiment: "cycle", ParentID: parent.ID(), FlushEvery: 25, FlushInterval: 2 * time.Millisecond,
			HeartbeatInterval: 10 * time.Millisecond, Params: map[string]string{"i": strconv.Itoa(i)}})
		if err != nil {
			fmt.Fprintln(os.Stderr, "cycler: begin:", err)
			return 4
		}
		for k := 0; k < 200; k++ {
			if err := r.LogMetric("loss", float64(k), int64(k)); err != nil {
				fmt.Fprintln(os.Stderr, "cycler: log:", err)
				return 5
			}
		}
		if i%5 == 0 {
			if _, err := r.Store().DB().Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
				fmt.Fprintln(os.Stderr, "cycler: checkpoint:", err)
				return 5
			}
		}
		if err := r.End(StatusFinished, ""); err != nil {
			fmt.Fprintln(os.Stderr, "cycler: end:", err)
			return 6
		}
	}
	return 0
}

// poller reads as `byb runs list` run in a loop does: open, list, read histories, close.
func poller(db string) int {
	for until := time.Now().Add(childFor()); time.Now().Before(until); {
		s, err := OpenExisting(db)
		if err != nil {
			fmt.Fprintln(os.Stderr, "poller: open:", err)
			return 4
		}
		runs, err := s.ListRuns(Filter{})
		if err == nil && len(runs) > 0 {
			_, err = s.MetricHistory(runs[0].ID, "loss")
		}
		if err == nil {
			_, err = s.Fingerprint()
		}
		s.Close()
		if err != nil {
			fmt.Fprintln(os.Stderr, "poller: query:", err)
			return 5
		}
	}
	return 0
}

func childCmd(t *testing.T, mode, db string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{"BYB_TRACKING_CHILD=" + mode, "BYB_TRACKING_DB=" + db}, env...)...)
	cmd.Stderr = os.Stderr
	return cmd
}
