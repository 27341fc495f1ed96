package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/byb-dev/byb/byb/objective"
)

// A measurement's peak memory is its process's, so every measurement runs in a fresh
// process: RunIsolated starts this same executable with the configuration in IsolatedEnv,
// and the executable's main (or a test binary's TestMain) calls ServeIsolated first, which
// runs it, prints the Result as one JSON line and exits.
const IsolatedEnv = "BYB_BENCH_ONE"

// RunIsolated measures cfg in a fresh process of this executable; it returns the result and
// its JSON line.
func RunIsolated(cfg Config) (*Result, string, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, "", err
	}
	b, _ := json.Marshal(cfg)
	cmd := exec.Command(self)
	cmd.Env = append(os.Environ(), IsolatedEnv+"="+string(b))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, "", fmt.Errorf("%v: %s", err, lastLine(stderr.String()))
	}
	line := lastLine(string(out))
	var res Result
	if err := json.Unmarshal([]byte(line), &res); err != nil {
		return nil, "", fmt.Errorf("bad output %q: %v (does this executable call bench.ServeIsolated first?)", line, err)
	}
	return &res, line, nil
}

// ServeIsolated, when this process was started by RunIsolated, runs its measurement, prints
// the result and exits (status 1 on an error); otherwise it returns at once.
func ServeIsolated(lookup func(string) (objective.Method, error)) {
	spec := os.Getenv(IsolatedEnv)
	if spec == "" {
		return
	}
	var cfg Config
	err := json.Unmarshal([]byte(spec), &cfg)
	var res *Result
	if err == nil {
		res, err = Run(cfg, lookup)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
	b, _ := json.Marshal(res)
	fmt.Println(string(b))
	os.Exit(0)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
