package notebooks_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/byb-dev/byb/internal/testenv"
	"github.com/byb-dev/byb/notebooks"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Every notebook executes cleanly, headless, with the GoNB kernel: each into a temporary copy
// (the saved notebooks keep their outputs), then every cell's outputs are checked, since
// nbconvert exits 0 after a Go panic.
func TestNotebooksExecute(t *testing.T) {
	testenv.SkipShort(t, "executes every notebook in Jupyter (minutes)")
	jupyter, err := exec.LookPath("jupyter")
	testenv.Require(t, err == nil, "Jupyter (jupyter nbconvert)", "`just setup` (`just test` puts its venv first in PATH)")
	out, err := exec.Command(jupyter, "kernelspec", "list", "--json").Output()
	testenv.Require(t, err == nil && strings.Contains(string(out), `"gonb"`), "the GoNB Jupyter kernel", "`just setup`")
	paths, err := filepath.Glob("*.ipynb")
	if err != nil || len(paths) == 0 {
		t.Fatalf("no notebook found (%v)", err)
	}
	for _, path := range paths {
		t.Run(strings.TrimSuffix(path, ".ipynb"), func(t *testing.T) {
			executed := filepath.Join(t.TempDir(), path)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			start := time.Now()
			cmd := exec.CommandContext(ctx, jupyter, "nbconvert", "--to", "notebook", "--execute", "--allow-errors",
				"--ExecutePreprocessor.timeout=600", "--ExecutePreprocessor.kernel_name=gonb", "--output", executed, path)
			// runs.ipynb records into the tracker it opens: a test's own, never the user's.
			cmd.Env = append(os.Environ(), "BYB_TRACKING="+filepath.Join(t.TempDir(), "byb.db"))
			if log, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("nbconvert: %v\n%s", err, tail(log))
			}
			checkNotebook(t, executed, path)
			t.Logf("%s executed in %s", path, time.Since(start).Round(time.Second))
		})
	}
}

// The saved notebooks carry their outputs (a reader on the web sees the plots) and no error.
func TestSavedNotebooksHaveOutputs(t *testing.T) {
	paths, _ := filepath.Glob("*.ipynb")
	if len(paths) < 4 {
		t.Fatalf("want the 4 notebooks (quickstart, runs, byo-data, ablation), found %v", paths)
	}
	for _, path := range paths {
		b := checkNotebook(t, path, path)
		if !strings.Contains(string(b), "data:image/png;base64,") && !strings.Contains(string(b), `"image/png"`) {
			t.Errorf("%s: no plot saved with it (run `just notebooks-run`)", path)
		}
	}
}

// Problems catches what nbconvert lets through: a Go panic (stderr only), a non-zero exit, a
// GoNB build failure (HTML), an error output and a cell that never ran; a clean notebook has
// none.
func TestProblems(t *testing.T) {
	cell := func(count any, outputs ...map[string]any) map[string]any {
		return map[string]any{"cell_type": "code", "execution_count": count, "outputs": outputs}
	}
	stderr := func(text ...string) map[string]any {
		return map[string]any{"output_type": "stream", "name": "stderr", "text": text}
	}
	stdout := map[string]any{"output_type": "stream", "name": "stdout", "text": []string{"auroc 0.71\n"}}
	cases := []struct {
		name  string
		cells []map[string]any
		want  []string // one substring per problem, in order
	}{
		{"clean", []map[string]any{cell(1, stdout), cell(2, stderr("warning: few prefixes\n"))}, nil},
		// GoNB streams a panic in pieces; only their concatenation reads "panic: ".
		{"panic", []map[string]any{cell(1, stdout), cell(2, stderr("panic", ": ", "index out of range\n", "exit status 2\n"))},
			[]string{"code cell 2: panic: index out of range"}},
		{"exit", []map[string]any{cell(1, stderr("exit status 1\n"))}, []string{"code cell 1: exit status 1"}},
		{"build", []map[string]any{cell(1, map[string]any{"output_type": "display_data",
			"data": map[string]any{"text/html": []string{"<style>x</style><div>", `failed to run "/usr/local/go/bin/go build"`, "</div>"}}})},
			[]string{`code cell 1: failed to run "/usr/local/go/bin/go build"`}},
		{"error", []map[string]any{cell(1, map[string]any{"output_type": "error", "ename": "ERROR", "evalue": "undefined: x"})},
			[]string{"code cell 1: error ERROR: undefined: x"}},
		{"never ran", []map[string]any{cell(1, stdout), cell(nil)}, []string{"code cell 2: never ran"}},
	}
	for _, c := range cases {
		b, _ := json.Marshal(map[string]any{"cells": append([]map[string]any{{"cell_type": "markdown", "source": []string{"# x"}}}, c.cells...)})
		got, err := notebooks.Problems(b)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: problems %q, want %d", c.name, got, len(c.want))
			continue
		}
		for i, w := range c.want {
			if !strings.Contains(got[i], w) {
				t.Errorf("%s: problem %q lacks %q", c.name, got[i], w)
			}
		}
	}
	if _, err := notebooks.Problems([]byte("{")); err == nil {
		t.Error("a truncated file passed for a notebook")
	}
}

func tail(b []byte) string {
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// PlotHTML's image is the plot's PNG, decodable, of the asked size at 96 dpi.
func TestPlotHTML(t *testing.T) {
	p := plot.New()
	line, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 1}, {X: 1, Y: 0}})
	p.Add(line)
	html, err := notebooks.PlotHTML(p, 4*vg.Inch, 2*vg.Inch)
	if err != nil {
		t.Fatal(err)
	}
	const prefix = `<img src="data:image/png;base64,`
	if !strings.HasPrefix(html, prefix) || !strings.HasSuffix(html, `">`) {
		t.Fatalf("not an inline image: %.60s…", html)
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSuffix(strings.TrimPrefix(html, prefix), `">`))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	if s := img.Bounds().Size(); s.X != 4*96 || s.Y != 2*96 {
		t.Errorf("image is %v, want 384×192", s)
	}
	if _, err := notebooks.PNGFileHTML("doc.go"); err == nil {
		t.Error("a Go file passed for a PNG")
	}
}

// checkNotebook reads the notebook file at path and reports each of its Problems as an error
// naming it by name; it returns the file's bytes.
func checkNotebook(t *testing.T, path, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	problems, err := notebooks.Problems(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("%s: %s", name, p)
	}
	return b
}
