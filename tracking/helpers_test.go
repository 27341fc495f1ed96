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
		HandleSignals(r)
		for i := 0; i < 300; i++ {
			r.LogMetric("loss", float64(i), int64(i))
		}
		fmt.Printf("ready %s\n", r.ID())
		time.Sleep(time.Minute)
		return 7
	}
	return 2
}

func childCmd(t *testing.T, mode, db string, env ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), append([]string{"BYB_TRACKING_CHILD=" + mode, "BYB_TRACKING_DB=" + db}, env...)...)
	cmd.Stderr = os.Stderr
	return cmd
}
