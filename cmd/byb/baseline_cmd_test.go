package main

import (
	"encoding/json"
	"errors"
	"flag"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/pipeline"
	"github.com/byb-dev/byb/internal/testdata"
)

// `byb baseline bag --with-e RUN` appends E of the run's encoder and says so in its JSON;
// --help documents it; --with-e none without --like is refused.
func TestBaselineBagWithE(t *testing.T) {
	_, stderr, err := capture(t, func() error { return runBaseline([]string{"bag", "--help"}) })
	if !errors.Is(err, flag.ErrHelp) || !strings.Contains(stderr, "--with-e RUNDIR|none") || !strings.Contains(stderr, "Bag-of-IDs + E") {
		t.Fatalf("baseline bag --help (%v) does not document --with-e:\n%s", err, stderr)
	}
	dataDir := testdata.CITmall(t)
	const backend = "go:ops_sequential" // a tiny encoder runs at once on the pure-Go engine
	b, info, err := engine.OpenConfig(backend)
	if err != nil {
		t.Fatal(err)
	}
	runDir := filepath.Join(t.TempDir(), "run")
	if _, err := pipeline.Pretrain(pipeline.PretrainOptions{Data: dataDir, Method: "byb", Out: runDir, Backend: b, Engine: info,
		Settings: params.MustParse("batch_size=16;steps=1;max_len=64;d=8;layers=1;heads=1;ff=8"), Progress: io.Discard}); err != nil {
		t.Fatal(err)
	}
	args := []string{"bag", "--data", dataDir, "--task", "5-day", "--backend", backend, "--tracking", "off", "--json", "--set", "bag_max_iter=3"}
	stdout, _, err := capture(t, func() error { return runBaseline(append(args, "--with-e", runDir)) })
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Dense int `json:"dense"`
		WithE struct {
			Run string `json:"run"`
			Dim int    `json:"dim"`
		} `json:"with_e"`
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || res.WithE.Run != runDir || res.WithE.Dim != 8 || res.Dense != 11 {
		t.Fatalf("--json %q (%v): want with_e.run %s, dim 8, 11 dense features", stdout, err, runDir)
	}
	if _, _, err := capture(t, func() error { return runBaseline(append(args, "--with-e", "none")) }); err == nil || !strings.Contains(err.Error(), "needs --like") {
		t.Errorf("--with-e none without --like: %v", err)
	}
}
