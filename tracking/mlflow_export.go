package tracking

import (
	"bufio"
	"database/sql"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// MLflowExport says what ExportMLflow wrote.
type MLflowExport struct {
	Dir string `json:"dir"`
	// Runs were written: New ones added, Updated ones rewritten where an earlier export put them.
	Runs    int `json:"runs"`
	New     int `json:"new"`
	Updated int `json:"updated"`
	// Experiments maps each byb experiment exported to its MLflow experiment ID; Created are
	// those this export added to the store.
	Experiments map[string]string `json:"experiments"`
	Created     []string          `json:"created,omitempty"`
	Points      int64             `json:"metric_points"`
	Artifacts   int               `json:"artifact_files"`
	// Missing are the artifacts recorded by the runs that are no longer where they were
	// recorded (moved or deleted), so not copied.
	Missing []string `json:"missing_artifacts,omitempty"`
	// Renamed are the keys MLflow would refuse, by the name they were written under.
	Renamed map[string]string `json:"renamed_keys,omitempty"`
}

// mlflowRunID is what MLflow accepts as a run ID, and so as the name of a run's folder.
var mlflowRunID = regexp.MustCompile(`^[a-zA-Z0-9][\w\-]{0,255}$`)

// ExportMLflow writes runs (as ListRuns returns them) into dir in the layout of MLflow's file
// store, so that `mlflow ui --backend-store-uri DIR` and MLflow's clients open them: one MLflow
// experiment per byb experiment (the store's own, when it has one of that name), and per run
// its params, every metric point with its step and time, its tags and byb's record of it as
// tags (see mlflowTags), its start and end, its status, and its figures, tables and config
// copied under its artifacts. The MLflow run ID is byb's run ID: exporting into the same dir
// again rewrites each run's params, metrics and tags from the tracker, wherever the run is in
// the store, rather than adding it twice. A run deleted in MLflow stays deleted there.
func (s *Store) ExportMLflow(dir string, runs []RunInfo) (*MLflowExport, error) {
	m, err := openMLflowDir(dir)
	if err != nil {
		return nil, fmt.Errorf("export to MLflow: %w", err)
	}
	res := &MLflowExport{Dir: m.root, Experiments: map[string]string{}, Renamed: map[string]string{}}
	for _, r := range runs {
		if !mlflowRunID.MatchString(r.ID) {
			return nil, fmt.Errorf("export to MLflow: run ID %q is not one MLflow accepts (letters, digits, _ and -)", r.ID)
		}
		created, err := s.experimentCreated(r.Experiment)
		if err != nil {
			return nil, err
		}
		expID, err := m.experiment(r.Experiment, created)
		if err != nil {
			return nil, fmt.Errorf("export to MLflow: %w", err)
		}
		runDir, expID, existed := m.runDir(r.ID, expID)
		if err := s.exportRun(r, runDir, expID, res); err != nil {
			return nil, fmt.Errorf("export to MLflow: run %s: %w", r.ID, err)
		}
		res.Runs++
		if existed {
			res.Updated++
		} else {
			res.New++
		}
		res.Experiments[r.Experiment] = m.expByName[r.Experiment]
	}
	res.Created = m.created
	return res, nil
}

// exportRun writes one run into runDir: params, metrics and tags anew (what byb no longer has
// must not linger), its artifacts over the earlier copies, and its meta.yaml last, so that a
// run interrupted mid-write is finished by the next export.
func (s *Store) exportRun(r RunInfo, runDir, expID string, res *MLflowExport) error {
	lifecycle, deletedTime := "active", yamlValue(nil)
	if old, err := readMetaYAML(filepath.Join(runDir, "meta.yaml")); err == nil && old["lifecycle_stage"] == "deleted" {
		lifecycle = "deleted"
		if t, err := strconv.ParseInt(old["deleted_time"], 10, 64); err == nil {
			deletedTime = t
		}
	}
	for _, sub := range []string{"params", "metrics", "tags"} {
		if err := os.RemoveAll(filepath.Join(runDir, sub)); err != nil {
			return err
		}
	}
	for _, sub := range []string{"params", "metrics", "tags", "artifacts"} {
		if err := os.MkdirAll(filepath.Join(runDir, sub), 0o755); err != nil {
			return err
		}
	}
	if err := writeKV(filepath.Join(runDir, "params"), r.Params, res.Renamed); err != nil {
		return err
	}
	tags := map[string]string{}
	if err := s.scanKV(`SELECT key, value FROM tags WHERE rid = ?`, r.rid, tags); err != nil {
		return err
	}
	if err := writeKV(filepath.Join(runDir, "tags"), mlflowTags(r, tags), res.Renamed); err != nil {
		return err
	}
	if err := s.exportMetrics(r, filepath.Join(runDir, "metrics"), res); err != nil {
		return err
	}
	if err := s.exportArtifacts(r, filepath.Join(runDir, "artifacts"), res); err != nil {
		return err
	}
	var end yamlValue
	switch {
	case r.Status == StatusRunning:
	case !r.End.IsZero():
		end = r.End.UnixMilli()
	default: // killed without a word: it ended at its last heartbeat
		end = r.Heartbeat.UnixMilli()
	}
	return writeMetaYAML(filepath.Join(runDir, "meta.yaml"), map[string]yamlValue{
		"artifact_uri": fileURI(filepath.Join(runDir, "artifacts")), "deleted_time": deletedTime, "end_time": end,
		"entry_point_name": "", "experiment_id": expID, "lifecycle_stage": lifecycle,
		// run_uuid: what MLflow 1.x and 2.x read the run's ID from.
		"run_id": r.ID, "run_uuid": r.ID, "run_name": mlflowRunName(r),
		"source_name": "", "source_type": mlflowSourceLocal, "source_version": "",
		"start_time": r.Start.UnixMilli(), "status": mlflowStatus[r.Status], "tags": []string{}, "user_id": ""})
}

// mlflowTags are the tags an exported run carries: byb's tags as they are (a note, labels
// added in the TUI, upstream_run), then byb's record of the run under "byb." and the tags by
// which MLflow's UI names, nests and describes runs.
func mlflowTags(r RunInfo, own map[string]string) map[string]string {
	tags := make(map[string]string, len(own)+12)
	for k, v := range own {
		tags[k] = v
	}
	set := func(k, v string) {
		if v != "" {
			tags[k] = v
		}
	}
	set("mlflow.runName", mlflowRunName(r))
	set("mlflow.parentRunId", r.ParentID)
	set("mlflow.source.git.commit", r.GitCommit)
	set("mlflow.note.content", own["note"]) // the run's description in MLflow's UI
	set("byb.status", r.Status)             // byb's own word: "killed" when its heartbeat stopped
	set("byb.end_reason", r.EndReason)
	set("byb.engine", r.Engine)
	set("byb.git_commit", r.GitCommit)
	set("byb.dir", r.Dir)
	set("byb.command", r.Command)
	set("byb.resumed_from", r.ResumedFrom)
	if r.Seed != nil {
		set("byb.seed", strconv.FormatInt(*r.Seed, 10))
	}
	return tags
}

// mlflowRunName is the run's name, or what it ran when it has none (MLflow would make one up).
func mlflowRunName(r RunInfo) string {
	if r.Name != "" {
		return r.Name
	}
	if what := strings.TrimSpace(r.Params["method"] + " " + r.Params["task"]); what != "" {
		return what
	}
	return r.Experiment + " " + r.ID
}

// writeKV writes one file per key into dir, the value as it is (no newline), as MLflow writes
// params and tags.
func writeKV(dir string, kv map[string]string, renamed map[string]string) error {
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	names := keyNames(keys, renamed)
	for k, v := range kv {
		path := filepath.Join(dir, filepath.FromSlash(names[k]))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(path, []byte(v), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// exportMetrics writes every point of every metric of the run, by key and step, one line each
// as MLflow appends them. The run's own points only: a run that resumed another says so in its
// byb.resumed_from tag, and the other run is exported with its own.
func (s *Store) exportMetrics(r RunInfo, dir string, res *MLflowExport) error {
	keys := make([]string, 0, len(r.Metrics))
	for k := range r.Metrics {
		keys = append(keys, k)
	}
	names := keyNames(keys, res.Renamed)
	rows, err := s.db.Query(`SELECT key, step, value, ts_ms FROM metrics WHERE rid = ? ORDER BY key, step`, r.rid)
	if err != nil {
		return err
	}
	defer rows.Close()
	var (
		f   *os.File
		w   *bufio.Writer
		cur string
	)
	closeFile := func() error {
		if f == nil {
			return nil
		}
		err := w.Flush()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		f = nil
		return err
	}
	defer closeFile()
	for rows.Next() {
		var key string
		var step, ts int64
		var v sql.NullFloat64
		if err := rows.Scan(&key, &step, &v, &ts); err != nil {
			return err
		}
		if f == nil || key != cur {
			if err := closeFile(); err != nil {
				return err
			}
			name, ok := names[key]
			if !ok { // a key with points but no latest value: not expected, still exported
				name = keyNames(append(keys, key), res.Renamed)[key]
			}
			path := filepath.Join(dir, filepath.FromSlash(name))
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return err
			}
			if f, err = os.Create(path); err != nil {
				return err
			}
			w, cur = bufio.NewWriter(f), key
		}
		fmt.Fprintf(w, "%d %s %d\n", ts, pythonFloat(nullFloat(v)), step)
		res.Points++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return closeFile()
}

// pythonFloat prints v as Python's float() reads it back, exactly.
func pythonFloat(v float64) string {
	switch {
	case math.IsNaN(v):
		return "nan"
	case math.IsInf(v, 1):
		return "inf"
	case math.IsInf(v, -1):
		return "-inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// experimentCreated is when the tracker's experiment name was created (Unix ms).
func (s *Store) experimentCreated(name string) (int64, error) {
	var ms int64
	if err := s.db.QueryRow(`SELECT created_ms FROM experiments WHERE name = ?`, name).Scan(&ms); err != nil {
		return 0, fmt.Errorf("tracking: experiment %q: %w", name, err)
	}
	return ms, nil
}
