package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/byb-dev/byb/byb/sweep"
)

// childArgs is the command line of one point: the user's command with the point's settings
// merged into its --set (the point's values winning), its --out DIR made DIR/POINT (an
// existing run directory is resumed: the points must not resume one another), the sweep's
// tracker and --json (to read the run's ID). The flags go before the command's first flag
// rather than at the end: the flag package stops at the first positional argument, and
// `baseline bag` has one before its flags.
func childArgs(command []string, p sweep.Point, tracker string) []string {
	base, rest := takeFlag(command, "set")
	flags := []string{"--set", sweep.Merge(base, p)}
	if out, rest2 := takeFlag(rest, "out"); out != "" {
		rest, flags = rest2, append(flags, "--out", filepath.Join(out, p.DirName()))
	}
	flags = append(flags, "--tracking", tracker, "--json")
	at := len(rest)
	for i, a := range rest {
		if strings.HasPrefix(a, "-") {
			at = i
			break
		}
	}
	out := append([]string{}, rest[:at]...)
	out = append(out, flags...)
	return append(out, rest[at:]...)
}

// takeFlag removes every --name VALUE, --name=VALUE (and the one-dash forms) from args and
// returns the last value, as the flag package would have read it.
func takeFlag(args []string, name string) (value string, rest []string) {
	for i := 0; i < len(args); i++ {
		a := args[i]
		bare := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		switch {
		case !strings.HasPrefix(a, "-"):
		case bare == name && i+1 < len(args):
			value = args[i+1]
			i++
			continue
		case strings.HasPrefix(bare, name+"="):
			value = strings.TrimPrefix(bare, name+"=")
			continue
		}
		rest = append(rest, a)
	}
	return value, rest
}

// hasFlag reports whether args give --name in any form.
func hasFlag(args []string, name string) bool {
	for _, a := range args {
		bare := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		if strings.HasPrefix(a, "-") && (bare == name || strings.HasPrefix(bare, name+"=")) {
			return true
		}
	}
	return false
}

// runChild runs one point as a subprocess of this executable, as a child of the run parent,
// and returns the run ID the command printed ("" when it printed none) and, when it failed,
// why: the last line it wrote on stderr (byb's one-line error). Its stderr also goes to
// progress when not nil.
func runChild(exe string, args []string, parent string, progress io.Writer) (runID string, err error) {
	cmd := exec.Command(exe, args...)
	cmd.Env = append(os.Environ(), parentRunEnv+"="+parent)
	var stdout bytes.Buffer
	stderr := &tail{max: 8 << 10}
	cmd.Stdout = &stdout
	cmd.Stderr = stderr
	if progress != nil {
		cmd.Stderr = io.MultiWriter(stderr, progress)
	}
	runErr := cmd.Run()
	var res struct {
		RunID string `json:"run_id"`
	}
	if json.Unmarshal(stdout.Bytes(), &res) != nil && runErr == nil {
		return "", fmt.Errorf("its output is not the JSON of a run: %q", clipBytes(stdout.Bytes(), 200))
	}
	if runErr != nil {
		if why := strings.TrimPrefix(lastLine(stderr.buf), "byb: "); why != "" {
			return res.RunID, errors.New(why)
		}
		return res.RunID, fmt.Errorf("%v, without a message", runErr)
	}
	return res.RunID, nil
}

// tail keeps the last max bytes written to it: a child's stderr may carry an hour of
// progress, and only its end says why it failed.
type tail struct {
	buf []byte
	max int
}

func (t *tail) Write(p []byte) (int, error) {
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

// lastLine is the last non-empty line of b (progress bars end lines with \r).
func lastLine(b []byte) string {
	lines := strings.FieldsFunc(string(b), func(r rune) bool { return r == '\n' || r == '\r' })
	for i := len(lines) - 1; i >= 0; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			return l
		}
	}
	return ""
}

func clipBytes(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}
