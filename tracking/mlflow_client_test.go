package tracking

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/byb-dev/byb/internal/testenv"
)

// mlflowRead is a Python program that reads an MLflow store with MLflow's own client and prints
// everything it finds as JSON: every experiment, and every run of each (deleted ones too) with
// its status, times, params, tags, the full history of each of its metrics and its artifacts.
// With "mine" as a second argument it first adds, as a user would with MLflow itself, an
// experiment "finetune" with a run of their own, to export byb's runs beside.
const mlflowRead = `
import json, math, sys
from mlflow.tracking import MlflowClient
from mlflow.entities import ViewType

store = sys.argv[1]
client = MlflowClient(tracking_uri="file:" + store)
if len(sys.argv) > 2 and sys.argv[2] == "mine":
    exp = client.create_experiment("finetune")
    run = client.create_run(exp, run_name="mine")
    client.log_metric(run.info.run_id, "acc", 0.5, step=1)
    client.set_terminated(run.info.run_id)
    print(json.dumps({"mine": run.info.run_id, "experiment": exp}))
    sys.exit(0)

def num(v):
    return None if math.isnan(v) else v

def artifacts(run_id, path=None):
    out = []
    for a in client.list_artifacts(run_id, path):
        out += artifacts(run_id, a.path) if a.is_dir else [a.path]
    return out

out = {"experiments": {}, "runs": {}}
for e in client.search_experiments(view_type=ViewType.ALL):
    out["experiments"][e.name] = e.experiment_id
    for r in client.search_runs([e.experiment_id], run_view_type=ViewType.ALL, max_results=1000):
        rid = r.info.run_id
        out["runs"][rid] = {
            "experiment": e.name, "name": r.info.run_name, "status": r.info.status,
            "start": r.info.start_time, "end": r.info.end_time, "lifecycle": r.info.lifecycle_stage,
            "params": r.data.params, "tags": r.data.tags,
            "metrics": {k: [[m.step, num(m.value), m.timestamp] for m in client.get_metric_history(rid, k)] for k in r.data.metrics},
            "artifacts": sorted(artifacts(rid)),
        }
print(json.dumps(out))
`

// mlflowSeen is what mlflowRead prints.
type mlflowSeen struct {
	Experiments map[string]string `json:"experiments"`
	Runs        map[string]struct {
		Experiment string                   `json:"experiment"`
		Name       string                   `json:"name"`
		Status     string                   `json:"status"`
		Start      int64                    `json:"start"`
		End        *int64                   `json:"end"`
		Lifecycle  string                   `json:"lifecycle"`
		Params     map[string]string        `json:"params"`
		Tags       map[string]string        `json:"tags"`
		Metrics    map[string][][3]*float64 `json:"metrics"`
		Artifacts  []string                 `json:"artifacts"`
	} `json:"runs"`
}

// mlflowPython is the python3 that has MLflow's client (mlflow-skinny, which `just setup`
// installs into byb's venv): the test is skipped without it, and fails under BYB_CI=1.
func mlflowPython(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	testenv.Require(t, err == nil, "python3 in PATH (to read the export with MLflow's own client)",
		"`just setup` (`just test` puts its venv first in PATH)")
	out, err := exec.Command(py, "-c", "import mlflow").CombinedOutput()
	testenv.Require(t, err == nil, fmt.Sprintf("MLflow's client (mlflow-skinny) for %s (%v: %s)", py, err, testenv.LastLine(out)),
		"`just setup`, or pip install mlflow-skinny")
	return py
}

// runMLflow runs mlflowRead on store. MLflow 3.13 and later read a file store only when
// MLFLOW_ALLOW_FILE_STORE=true says the user means it (the README says so too).
func runMLflow(t *testing.T, py, store string, args ...string) []byte {
	t.Helper()
	script := filepath.Join(t.TempDir(), "read_mlflow.py")
	writeFile(t, script, mlflowRead)
	cmd := exec.Command(py, append([]string{script, store}, args...)...)
	cmd.Env = append(os.Environ(), "MLFLOW_ALLOW_FILE_STORE=true", "PYTHONWARNINGS=ignore", "MLFLOW_TRACKING_URI=")
	cmd.Stderr = &strings.Builder{}
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("MLflow's client on %s: %v\n%s", store, err, cmd.Stderr)
	}
	return out
}

// The CI test of the export: MLflow's own client (mlflow-skinny) reads every run of a small
// tracker — a pretraining with its curve, a finetuning child, a failed run — with the right
// statuses, times, params (lineage included), every metric point with its step, value and
// time, the tags (the parent link, the note, byb's record) and the copied files; beside a run
// a user made in MLflow; and a second export leaves every run once.
func TestExportMLflowReadByMLflow(t *testing.T) {
	py := mlflowPython(t)
	s, pre, ft, failed := mlflowFixture(t)
	store := filepath.Join(t.TempDir(), "mlruns")
	var mine struct{ Mine, Experiment string }
	if err := json.Unmarshal(runMLflow(t, py, store, "mine"), &mine); err != nil {
		t.Fatal(err)
	}
	exportAll(t, s, store)
	exportAll(t, s, store) // again: nothing doubles

	var seen mlflowSeen
	if err := json.Unmarshal(runMLflow(t, py, store), &seen); err != nil {
		t.Fatal(err)
	}
	if seen.Experiments["finetune"] != mine.Experiment || seen.Experiments["pretrain"] == "" || seen.Experiments["Default"] != "0" {
		t.Errorf("experiments %v: want byb's finetune runs in the user's experiment %s", seen.Experiments, mine.Experiment)
	}
	if len(seen.Runs) != 4 {
		t.Errorf("MLflow sees %d runs, want byb's 3 and the user's 1", len(seen.Runs))
	}
	if u := seen.Runs[mine.Mine]; u.Name != "mine" || len(u.Metrics["acc"]) != 1 {
		t.Errorf("the user's own run: %+v", u)
	}

	runs, err := s.ListRuns(Filter{})
	if err != nil {
		t.Fatal(err)
	}
	points := 0
	for _, r := range seen.Runs {
		for _, pts := range r.Metrics {
			points += len(pts)
		}
	}
	t.Logf("MLflow's client read %d experiments, %d runs, %d metric points", len(seen.Experiments), len(seen.Runs), points)
	wantStatus := map[string]string{pre: "FINISHED", ft: "FINISHED", failed: "FAILED"}
	for _, r := range runs {
		got, ok := seen.Runs[r.ID]
		if !ok {
			t.Errorf("run %s (%s) is not in MLflow", r.ID, r.Name)
			continue
		}
		if got.Experiment != r.Experiment || got.Name != r.Name || got.Status != wantStatus[r.ID] || got.Lifecycle != "active" {
			t.Errorf("run %s: experiment %q name %q status %s (%s), want %q %q %s", r.ID, got.Experiment, got.Name, got.Status, got.Lifecycle,
				r.Experiment, r.Name, wantStatus[r.ID])
		}
		if got.Start != r.Start.UnixMilli() || got.End == nil || *got.End != r.End.UnixMilli() {
			t.Errorf("run %s: start %d end %v, want %d %d", r.ID, got.Start, got.End, r.Start.UnixMilli(), r.End.UnixMilli())
		}
		if !sameMap(got.Params, r.Params) {
			t.Errorf("run %s: params %v, want %v", r.ID, got.Params, r.Params)
		}
		if len(got.Metrics) != len(r.Metrics) {
			t.Errorf("run %s: metrics %v, want the keys of %v", r.ID, keysOf(got.Metrics), r.Metrics)
		}
		for key := range r.Metrics {
			want, err := s.ownHistory(r.ID, key)
			if err != nil {
				t.Fatal(err)
			}
			pts := got.Metrics[key]
			if len(pts) != len(want) {
				t.Errorf("run %s %s: %d points in MLflow, %d in byb", r.ID, key, len(pts), len(want))
				continue
			}
			for i, p := range want {
				step, value, ts := pts[i][0], pts[i][1], pts[i][2]
				sameValue := value == nil && math.IsNaN(p.Value) || value != nil && *value == p.Value
				if *step != float64(p.Step) || !sameValue || *ts != float64(p.Time.UnixMilli()) {
					t.Errorf("run %s %s point %d: MLflow step %v value %v time %v, byb %+v", r.ID, key, i, *step, value, *ts, p)
				}
			}
		}
	}
	for tag, want := range map[string]string{"mlflow.parentRunId": pre, "note": "the frozen probe", "mlflow.note.content": "the frozen probe",
		"mlflow.runName": "byb-freeze 5-day", "byb.engine": "go", "byb.status": "finished", UpstreamTag: pre} {
		if got := seen.Runs[ft].Tags[tag]; got != want {
			t.Errorf("finetuning tag %s = %q, want %q", tag, got, want)
		}
	}
	if got := seen.Runs[pre].Tags["mlflow.source.git.commit"]; got != "0123abcd+dirty" {
		t.Errorf("git commit %q", got)
	}
	if got := seen.Runs[failed].Tags["byb.end_reason"]; got != "loss is NaN at step 1" {
		t.Errorf("the failed run's reason %q", got)
	}
	if got := seen.Runs[ft].Params["pretrain.settings"]; got != "steps=5;d=16" {
		t.Errorf("the finetuning's lineage param pretrain.settings = %q", got)
	}
	if a := seen.Runs[pre].Artifacts; len(a) != 1 || a[0] != "config.json" {
		t.Errorf("pretraining artifacts %q", a)
	}
	if a := seen.Runs[ft].Artifacts; len(a) != 1 || a[0] != "figures/loss.png" {
		t.Errorf("finetuning artifacts %q", a)
	}
}

func sameMap(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func keysOf[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
