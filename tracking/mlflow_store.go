package tracking

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// The layout of MLflow's file store (mlflow/store/tracking/file_store.py), which `mlflow ui
// --backend-store-uri DIR` and MLflow's clients read:
//
//	DIR/.trash/                      deleted experiments
//	DIR/0/meta.yaml                  the "Default" experiment MLflow makes in a new store
//	DIR/EXP_ID/meta.yaml             an experiment: experiment_id, name, artifact_location, ...
//	DIR/EXP_ID/RUN_ID/meta.yaml      a run: run_id, experiment_id, status (1 running, 3
//	                                 finished, 4 failed, 5 killed), start_time, end_time (ms), ...
//	DIR/EXP_ID/RUN_ID/params/KEY     the value
//	DIR/EXP_ID/RUN_ID/metrics/KEY    one line per point: "TIMESTAMP_MS VALUE STEP"
//	DIR/EXP_ID/RUN_ID/tags/KEY       the value
//	DIR/EXP_ID/RUN_ID/artifacts/     the run's files
//
// A key with "/" is a path below params/, metrics/ or tags/.

// mlflowStatus is MLflow's RunStatus number of each byb status.
var mlflowStatus = map[string]int{StatusRunning: 1, StatusFinished: 3, StatusFailed: 4, StatusKilled: 5}

// mlflowSourceLocal is MLflow's SourceType.LOCAL, the source type its own runs record.
const mlflowSourceLocal = 4

// mlflowReserved are the folders of an experiment that are not runs, and of the store's root
// that are not experiments.
var mlflowReserved = map[string]bool{"tags": true, "datasets": true, "traces": true, "models": true, ".trash": true}

// mlflowDir is an MLflow file store being written into: its experiments by name, and where
// each run already is, so that a second export finds the runs of the first and rewrites them
// instead of adding them again.
type mlflowDir struct {
	root      string            // absolute
	expByName map[string]string // active experiment name → ID
	trashed   map[string]string // deleted experiment name → ID
	runExp    map[string]string // run ID → ID of the active experiment holding it
	created   []string          // experiments this export created, by name
	maxID     uint64            // the largest numeric experiment ID in the store
}

// openMLflowDir opens dir as an MLflow file store, creating it (with MLflow's Default
// experiment) if it does not exist. A directory that holds other things is refused: an export
// never scatters experiments among someone's files.
func openMLflowDir(dir string) (*mlflowDir, error) {
	root, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(root); err == nil && !st.IsDir() {
		return nil, fmt.Errorf("%s is a file: --out names the directory of an MLflow store (new, or one MLflow made)", dir)
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("creating %s: %w", dir, err)
	}
	m := &mlflowDir{root: root, expByName: map[string]string{}, trashed: map[string]string{}, runExp: map[string]string{}}
	entries, err := os.ReadDir(root)
	if err != nil {
		return nil, err
	}
	var strangers []string
	for _, e := range entries {
		switch {
		case e.Name() == ".trash" && e.IsDir():
			if err := m.readExperiments(filepath.Join(root, e.Name()), m.trashed, nil); err != nil {
				return nil, err
			}
		case e.Name() == "models" && e.IsDir(): // MLflow's model registry
		case !e.IsDir() || !fileExists(filepath.Join(root, e.Name(), "meta.yaml")):
			strangers = append(strangers, e.Name())
		}
	}
	if len(strangers) > 0 {
		return nil, fmt.Errorf("%s is not an MLflow store: it holds %s, which MLflow's file store does not; export into a new directory or into an MLflow store (an mlruns directory)",
			dir, strings.Join(firstN(strangers, 3), ", "))
	}
	if err := m.readExperiments(root, m.expByName, m.runExp); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(root, ".trash"), 0o755); err != nil {
		return nil, err
	}
	// MLflow's UI and clients fall back on experiment 0, which MLflow makes in a new store.
	if !fileExists(filepath.Join(root, "0")) && !fileExists(filepath.Join(root, ".trash", "0")) {
		if err := m.writeExperiment("0", "Default", nowMS()); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// readExperiments indexes the experiments in parent by name into byName and, when runs is not
// nil, their runs by ID.
func (m *mlflowDir) readExperiments(parent string, byName, runs map[string]string) error {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return err
	}
	for _, e := range entries {
		meta := filepath.Join(parent, e.Name(), "meta.yaml")
		if !e.IsDir() || mlflowReserved[e.Name()] || !fileExists(meta) {
			continue
		}
		kv, err := readMetaYAML(meta)
		if err != nil {
			return fmt.Errorf("reading the MLflow experiment %s: %w", meta, err)
		}
		if kv["experiment_id"] != e.Name() {
			continue // MLflow ignores an experiment whose ID is not its folder's name
		}
		if n, err := strconv.ParseUint(e.Name(), 10, 64); err == nil && n > m.maxID {
			m.maxID = n
		}
		byName[kv["name"]] = e.Name()
		if runs == nil {
			continue
		}
		inside, err := os.ReadDir(filepath.Join(parent, e.Name()))
		if err != nil {
			return err
		}
		for _, r := range inside {
			if r.IsDir() && !mlflowReserved[r.Name()] && fileExists(filepath.Join(parent, e.Name(), r.Name(), "meta.yaml")) {
				runs[r.Name()] = e.Name()
			}
		}
	}
	return nil
}

// experiment returns the ID of the active experiment named name, creating it (created_ms: the
// byb experiment's creation time) when the store has none.
func (m *mlflowDir) experiment(name string, createdMS int64) (string, error) {
	if id, ok := m.expByName[name]; ok {
		return id, nil
	}
	if id, ok := m.trashed[name]; ok {
		return "", fmt.Errorf("the MLflow store %s has the experiment %q deleted (in .trash/%s): restore it (mlflow experiments restore --experiment-id %s) or delete it for good (mlflow gc), then export again",
			m.root, name, id, id)
	}
	m.maxID++
	id := strconv.FormatUint(m.maxID, 10)
	if err := m.writeExperiment(id, name, createdMS); err != nil {
		return "", err
	}
	m.expByName[name] = id
	m.created = append(m.created, name)
	return id, nil
}

func (m *mlflowDir) writeExperiment(id, name string, createdMS int64) error {
	dir := filepath.Join(m.root, id)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	return writeMetaYAML(filepath.Join(dir, "meta.yaml"), map[string]yamlValue{
		"artifact_location": fileURI(dir), "creation_time": createdMS, "experiment_id": id,
		"last_update_time": createdMS, "lifecycle_stage": "active", "name": name})
}

// runDir is where run id goes: where the store already has it (in whichever experiment, even
// one renamed in MLflow since), else under the experiment expID.
func (m *mlflowDir) runDir(id, expID string) (dir, exp string, existed bool) {
	if e, ok := m.runExp[id]; ok {
		return filepath.Join(m.root, e, id), e, true
	}
	m.runExp[id] = expID
	return filepath.Join(m.root, expID, id), expID, false
}

// fileURI is the file: URI of an absolute path, as MLflow records artifact locations.
func fileURI(path string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(path)}).String()
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return !errors.Is(err, os.ErrNotExist)
}

func firstN(s []string, n int) []string {
	sort.Strings(s)
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("and %d more", len(s)-n))
	}
	return s
}
