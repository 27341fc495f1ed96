package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/byb-dev/byb/tracking"
)

// Ctrl-C during `byb pretrain` stops after the step under way with a checkpoint, although
// checkpoint_every (500) is far beyond the run, says from which step the same command goes
// on, exits 130 and records the run as killed; the same command then says it resumes from
// that step. (It used to promise a resume from a checkpoint that did not exist, and the rerun
// silently started at step 0.)
func TestPretrainCtrlCWritesACheckpoint(t *testing.T) {
	dir := t.TempDir()
	out, db := filepath.Join(dir, "run"), filepath.Join(dir, "byb.db")
	args := []string{"pretrain", "--backend", "go", "--data", ciData(t), "--out", out, "--tracking", db,
		"--set", "steps=100000;checkpoint_every=500;max_len=32;batch_size=8"}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), asBybVar+"=1")
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Interrupt once the progress bar shows a few steps done.
	var stderr bytes.Buffer
	r := bufio.NewReader(io.TeeReader(pipe, &stderr))
	steps := regexp.MustCompile(`\((\d+)/100000\)`)
	for {
		chunk, err := r.ReadString(' ')
		if err != nil {
			t.Fatalf("pretrain ended before its steps: %v\n%s", err, stderr.String())
		}
		if m := steps.FindStringSubmatch(chunk); m != nil && m[1] != "0" && m[1] != "1" && m[1] != "2" {
			break
		}
	}
	cmd.Process.Signal(syscall.SIGINT)
	io.Copy(io.Discard, r)
	err = cmd.Wait()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 130 {
		t.Fatalf("exit %v, want status 130\n%s", err, stderr.String())
	}
	m := regexp.MustCompile(`resume from step (\d+)`).FindStringSubmatch(stderr.String())
	if m == nil {
		t.Fatalf("stderr does not say from which step a rerun resumes:\n%s", stderr.String())
	}
	s, err := tracking.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	runs, err := s.ListRuns(tracking.Filter{})
	s.Close()
	if err != nil || len(runs) != 1 || runs[0].Status != tracking.StatusKilled {
		t.Fatalf("tracker: %+v, %v; want one killed run", runs, err)
	}

	// The rerun (to two steps more) says where it goes on.
	rerun := append(args[:len(args)-1:len(args)-1], fmt.Sprintf("steps=%d;checkpoint_every", atoi(t, m[1])+2)+"=500;max_len=32;batch_size=8")
	cmd = exec.Command(os.Args[0], rerun...)
	cmd.Env = append(os.Environ(), asBybVar+"=1")
	var again bytes.Buffer
	cmd.Stderr = &again
	if err := cmd.Run(); err != nil {
		t.Fatalf("rerun: %v\n%s", err, again.String())
	}
	if want := "from its checkpoint at step " + m[1]; !strings.Contains(again.String(), want) {
		t.Errorf("rerun stderr lacks %q:\n%s", want, again.String())
	}
}

func atoi(t *testing.T, s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
