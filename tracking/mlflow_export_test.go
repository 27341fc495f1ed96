package tracking

import (
	"math"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// mlflowFixture is a small tracker as byb's commands leave one: a pretraining with its loss
// curve (a NaN among its points, as a diverging step logs), a diagnostic and its config.json;
// a finetuning child of it carrying the pretraining's params (pretrain.*), a note and a tag
// MLflow would refuse as it is, its figure, and a figure since deleted; and a failed run. It
// returns the store and the three runs' IDs.
func mlflowFixture(t *testing.T) (s *Store, pre, ft, failed string) {
	t.Helper()
	s, _ = openTemp(t)
	dir := t.TempDir()
	preDir := filepath.Join(dir, "runs", "byb-seed0")
	if err := os.MkdirAll(filepath.Join(preDir, "ckpt"), 0o755); err != nil {
		t.Fatal(err)
	}
	config := filepath.Join(preDir, "config.json")
	figure := filepath.Join(dir, "out", "loss.png")
	gone := filepath.Join(dir, "out", "gone.png")
	writeFile(t, config, `{"method":"byb","steps":5}`)
	writeFile(t, figure, "\x89PNG not really")

	p, err := s.StartRun(RunOptions{Experiment: "pretrain", Name: "byb tmall-like", Engine: "go", GitCommit: "0123abcd+dirty", Seed: Seed(0), Dir: preDir,
		Params: map[string]string{"method": "byb", "data": "/data/tmall-like", "settings": "steps=5;d=16", "seed": "0"}})
	if err != nil {
		t.Fatal(err)
	}
	for i, loss := range []float64{2.5, 1.75, math.NaN(), 1.125, 0.9375} {
		p.LogMetric("train/loss", loss, int64(10*i))
	}
	p.LogMetric("diag_E_rank", 11.5, 40)
	p.LogArtifact(config, ArtifactConfig)
	p.LogArtifact(filepath.Join(preDir, "ckpt"), ArtifactCheckpoint)
	if err := p.End(StatusFinished, ""); err != nil {
		t.Fatal(err)
	}

	f, err := s.StartRun(RunOptions{Experiment: "finetune", Name: "byb-freeze 5-day", ParentID: p.ID(), Upstream: preDir, Engine: "go",
		Params: map[string]string{"method": "byb-freeze", "task": "5-day", "data": "/data/tmall-like", "freeze": "true", "seed": "0"},
		Tags:   map[string]string{"note": "the frozen probe", "reviewed by#": "ana"}})
	if err != nil {
		t.Fatal(err)
	}
	f.LogMetric("val_auroc", 0.61, 1)
	f.LogMetric("val_auroc", 0.64, 2)
	f.LogMetric("test_auroc", 0.6375, 2)
	f.LogArtifact(figure, ArtifactFigure)
	f.LogArtifact(gone, ArtifactFigure)
	if err := f.End(StatusFinished, ""); err != nil {
		t.Fatal(err)
	}

	x, err := s.StartRun(RunOptions{Experiment: "finetune", Name: "nbp 5-day", Params: map[string]string{"method": "nbp", "task": "5-day"}})
	if err != nil {
		t.Fatal(err)
	}
	x.LogMetric("train/loss", 3, 0)
	if err := x.End(StatusFailed, "loss is NaN at step 1"); err != nil {
		t.Fatal(err)
	}
	return s, p.ID(), f.ID(), x.ID()
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func exportAll(t *testing.T, s *Store, dir string) *MLflowExport {
	t.Helper()
	runs, err := s.ListRuns(Filter{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := s.ExportMLflow(dir, runs)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// The files of MLflow's file store, as byb writes them: experiments by name, each run under
// its byb ID with its record, params (the pretraining's lineage too), every metric point,
// tags and the files a person opens.
func TestExportMLflowLayout(t *testing.T) {
	s, pre, ft, failed := mlflowFixture(t)
	dir := filepath.Join(t.TempDir(), "mlruns")
	res := exportAll(t, s, dir)
	if res.Runs != 3 || res.New != 3 || res.Updated != 0 || res.Points != 5+1+3+1 || res.Artifacts != 2 {
		t.Fatalf("export %+v", res)
	}
	if len(res.Missing) != 1 || !strings.HasSuffix(res.Missing[0], "gone.png") || res.Renamed["reviewed by#"] != "reviewed by_" {
		t.Errorf("missing %q, renamed %q", res.Missing, res.Renamed)
	}
	def, err := readMetaYAML(filepath.Join(dir, "0", "meta.yaml"))
	if err != nil || def["name"] != "Default" {
		t.Errorf("MLflow's Default experiment: %v %v", def, err)
	}
	expDir := func(name string) string {
		id := res.Experiments[name]
		meta, err := readMetaYAML(filepath.Join(dir, id, "meta.yaml"))
		if err != nil || meta["name"] != name || meta["experiment_id"] != id || meta["lifecycle_stage"] != "active" {
			t.Fatalf("experiment %s (%s): %v %v", name, id, meta, err)
		}
		return filepath.Join(dir, id)
	}
	preRun := filepath.Join(expDir("pretrain"), pre)
	meta, err := readMetaYAML(filepath.Join(preRun, "meta.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if meta["run_id"] != pre || meta["status"] != "3" || meta["run_name"] != "byb tmall-like" || meta["end_time"] == "" ||
		meta["artifact_uri"] != "file://"+filepath.Join(preRun, "artifacts") {
		t.Errorf("pretraining's meta.yaml %v", meta)
	}
	if got := readFile(t, filepath.Join(preRun, "metrics", "train", "loss")); !matchLines(got, `^\d+ 2\.5 0$`, `^\d+ 1\.75 10$`, `^\d+ nan 20$`, `^\d+ 1\.125 30$`, `^\d+ 0\.9375 40$`) {
		t.Errorf("train/loss:\n%s", got)
	}
	if got := readFile(t, filepath.Join(preRun, "params", "settings")); got != "steps=5;d=16" {
		t.Errorf("param settings %q", got)
	}
	for tag, want := range map[string]string{"mlflow.runName": "byb tmall-like", "mlflow.source.git.commit": "0123abcd+dirty", "byb.engine": "go",
		"byb.status": "finished", "byb.seed": "0"} {
		if got := readFile(t, filepath.Join(preRun, "tags", tag)); got != want {
			t.Errorf("pretraining tag %s = %q, want %q", tag, got, want)
		}
	}
	if got := readFile(t, filepath.Join(preRun, "artifacts", "config.json")); !strings.Contains(got, `"steps":5`) {
		t.Errorf("config.json %q", got)
	}
	if _, err := os.Stat(filepath.Join(preRun, "artifacts", "ckpt")); !os.IsNotExist(err) {
		t.Errorf("the checkpoint was copied (%v)", err)
	}

	ftRun := filepath.Join(expDir("finetune"), ft)
	for tag, want := range map[string]string{"mlflow.parentRunId": pre, "note": "the frozen probe", "mlflow.note.content": "the frozen probe",
		"reviewed by_": "ana", UpstreamTag: pre} {
		if got := readFile(t, filepath.Join(ftRun, "tags", tag)); got != want {
			t.Errorf("finetuning tag %s = %q, want %q", tag, got, want)
		}
	}
	for param, want := range map[string]string{"pretrain.settings": "steps=5;d=16", "pretrain.method": "byb", "method": "byb-freeze"} {
		if got := readFile(t, filepath.Join(ftRun, "params", param)); got != want {
			t.Errorf("finetuning param %s = %q, want %q", param, got, want)
		}
	}
	if got := readFile(t, filepath.Join(ftRun, "metrics", "val_auroc")); !matchLines(got, `^\d+ 0\.61 1$`, `^\d+ 0\.64 2$`) {
		t.Errorf("val_auroc:\n%s", got)
	}
	if _, err := os.Stat(filepath.Join(ftRun, "artifacts", "figures", "loss.png")); err != nil {
		t.Errorf("the figure: %v", err)
	}

	failedMeta, err := readMetaYAML(filepath.Join(expDir("finetune"), failed, "meta.yaml"))
	if err != nil || failedMeta["status"] != "4" {
		t.Errorf("failed run's meta %v %v", failedMeta, err)
	}
	if got := readFile(t, filepath.Join(expDir("finetune"), failed, "tags", "byb.end_reason")); got != "loss is NaN at step 1" {
		t.Errorf("end reason %q", got)
	}
}

// matchLines reports whether text has exactly one line per pattern, each matching its own.
func matchLines(text string, patterns ...string) bool {
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if len(lines) != len(patterns) {
		return false
	}
	for i, p := range patterns {
		if !regexp.MustCompile(p).MatchString(lines[i]) {
			return false
		}
	}
	return true
}

// Exporting again into the same store rewrites the runs it holds, where they are, and adds
// only the new ones: no run twice, the new points there, a tag removed in byb gone, a run
// deleted in MLflow still deleted.
func TestExportMLflowAgainUpdatesInPlace(t *testing.T) {
	s, pre, ft, _ := mlflowFixture(t)
	dir := filepath.Join(t.TempDir(), "mlruns")
	first := exportAll(t, s, dir)
	ftRun := filepath.Join(dir, first.Experiments["finetune"], ft)
	// In MLflow, the user deletes the finetuning run; in byb, its note goes and a run comes.
	meta := readFile(t, filepath.Join(ftRun, "meta.yaml"))
	writeFile(t, filepath.Join(ftRun, "meta.yaml"), strings.NewReplacer("lifecycle_stage: active", "lifecycle_stage: deleted", "deleted_time: null", "deleted_time: 1796649957999").Replace(meta))
	if err := s.SetRunTag(ft, "note", ""); err != nil {
		t.Fatal(err)
	}
	r, err := s.StartRun(RunOptions{Experiment: "pretrain", Name: "nbp tmall-like", Params: map[string]string{"method": "nbp"}})
	if err != nil {
		t.Fatal(err)
	}
	r.LogMetric("train/loss", 2, 0)
	r.End(StatusFinished, "")

	again := exportAll(t, s, dir)
	if again.Runs != 4 || again.New != 1 || again.Updated != 3 || len(again.Created) != 0 {
		t.Fatalf("second export %+v", again)
	}
	for name, id := range first.Experiments {
		if again.Experiments[name] != id {
			t.Errorf("experiment %s moved from %s to %s", name, id, again.Experiments[name])
		}
	}
	runs := 0
	for _, id := range again.Experiments {
		entries, _ := os.ReadDir(filepath.Join(dir, id))
		for _, e := range entries {
			if e.IsDir() && !mlflowReserved[e.Name()] {
				runs++
			}
		}
	}
	if runs != 4 {
		t.Errorf("%d run folders in the store, want 4", runs)
	}
	if _, err := os.Stat(filepath.Join(ftRun, "tags", "note")); !os.IsNotExist(err) {
		t.Errorf("the note removed in byb is still a tag (%v)", err)
	}
	m, err := readMetaYAML(filepath.Join(ftRun, "meta.yaml"))
	if err != nil || m["lifecycle_stage"] != "deleted" || m["deleted_time"] != "1796649957999" {
		t.Errorf("a run deleted in MLflow came back: %v %v", m, err)
	}
	if got := readFile(t, filepath.Join(dir, first.Experiments["pretrain"], pre, "metrics", "train", "loss")); strings.Count(got, "\n") != 5 {
		t.Errorf("the points doubled:\n%s", got)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, "*", "*", "*.byb-tmp"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

// An export goes beside what an MLflow store already holds: into its experiment of the same
// name (kept under its ID, even when renamed in MLflow: the runs are found where they are),
// never into a directory of other things, and not under the name of a deleted experiment.
func TestExportMLflowIntoAnExistingStore(t *testing.T) {
	s, _, ft, _ := mlflowFixture(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "527853669646192079", "meta.yaml"),
		"artifact_location: file:///elsewhere/527853669646192079\nexperiment_id: '527853669646192079'\nlifecycle_stage: active\nname: finetune\n")
	writeFile(t, filepath.Join(dir, "527853669646192079", "ea8099ec49a543f9908136adcded2439", "meta.yaml"), "run_id: ea8099ec49a543f9908136adcded2439\n")
	res := exportAll(t, s, dir)
	if res.Experiments["finetune"] != "527853669646192079" || res.Experiments["pretrain"] != "527853669646192080" ||
		len(res.Created) != 1 || res.Created[0] != "pretrain" {
		t.Fatalf("experiments %v, created %v", res.Experiments, res.Created)
	}
	if _, err := os.Stat(filepath.Join(dir, "527853669646192079", "ea8099ec49a543f9908136adcded2439", "meta.yaml")); err != nil {
		t.Errorf("the store's own run: %v", err)
	}
	// Renamed in MLflow: the next export finds byb's runs in it all the same.
	writeFile(t, filepath.Join(dir, "527853669646192079", "meta.yaml"),
		"artifact_location: file:///elsewhere/527853669646192079\nexperiment_id: '527853669646192079'\nlifecycle_stage: active\nname: my finetunings\n")
	again := exportAll(t, s, dir)
	if again.New != 0 || !fileExists(filepath.Join(dir, "527853669646192079", ft)) {
		t.Errorf("after a rename in MLflow: %+v", again)
	}

	other := t.TempDir()
	writeFile(t, filepath.Join(other, "notes.txt"), "mine")
	runs, _ := s.ListRuns(Filter{})
	if _, err := s.ExportMLflow(other, runs); err == nil || !strings.Contains(err.Error(), "is not an MLflow store: it holds notes.txt") {
		t.Errorf("a directory of other things: %v", err)
	}
	trashed := t.TempDir()
	writeFile(t, filepath.Join(trashed, ".trash", "3", "meta.yaml"), "experiment_id: '3'\nlifecycle_stage: deleted\nname: pretrain\n")
	if _, err := s.ExportMLflow(trashed, runs); err == nil || !strings.Contains(err.Error(), `experiment "pretrain" deleted (in .trash/3): restore it`) {
		t.Errorf("a deleted experiment of the same name: %v", err)
	}
}

// Keys MLflow refuses are renamed to ones it reads, apart from every other key, and a key
// MLflow takes keeps its name.
func TestMLflowKeyNames(t *testing.T) {
	renamed := map[string]string{}
	got := keyNames([]string{"a#", "a_", "train/loss", "x/../y", "/lead", "b", "b/c", "ok key: 1"}, renamed)
	want := map[string]string{"a#": "a__2", "a_": "a_", "train/loss": "train/loss", "x/../y": "x/__/y", "/lead": "_/lead",
		"b": "b_2", "b/c": "b/c", "ok key: 1": "ok key: 1"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%q named %q, want %q", k, got[k], v)
		}
	}
	var keys []string
	for k := range renamed {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if strings.Join(keys, ",") != "/lead,a#,b,x/../y" {
		t.Errorf("renamed %v", renamed)
	}
}
