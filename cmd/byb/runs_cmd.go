package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"

	"github.com/byb-dev/byb/tracking"
)

func init() {
	register(&command{name: "runs", summary: "list, show, compare, export and delete tracked runs", run: runRuns})
}

const runsUsage = `Usage: byb runs VERB [flags]

Verbs:
  list      [--experiment E] [--method M] [--data D] [--status S] [--param k=v ...]
  show      ID                 params, final metrics, artifacts, children
  compare   ID ID...           params that differ; metrics side by side, Δ vs the first
  export    --format csv|json [--out FILE]   one row per run (takes list's filters)
            --format mlflow --out DIR        MLflow's file store: mlflow ui opens it
  delete    ID... [--yes]      asks for confirmation unless --yes
  experiments                  experiments with their run counts
  replay    DIR...             write what runs kept in DIR/unrecorded-tracking.jsonl while the
                               tracker refused them (disk full) into the tracker

IDs may be shortened to any unique prefix. Every verb takes --json and --tracking PATH
(default $BYB_TRACKING, else byb.db).`

func runRuns(args []string) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(os.Stderr, runsUsage)
		if len(args) == 0 {
			return errUsage
		}
		return flag.ErrHelp
	}
	verb, rest := args[0], args[1:]
	switch verb {
	case "list", "ls":
		return runsList(rest)
	case "show":
		return runsShow(rest)
	case "compare":
		return runsCompare(rest)
	case "export":
		return runsExport(rest)
	case "delete", "rm":
		return runsDelete(rest)
	case "experiments":
		return runsExperiments(rest)
	case "replay":
		return runsReplay(rest)
	}
	fmt.Fprintf(os.Stderr, "byb runs: unknown verb %q\n\n%s\n", verb, runsUsage)
	return errUsage
}

// parseAll parses flags that may come before, between or after the positional arguments
// (`byb runs show ID --json`), which the flag package alone stops at.
func parseAll(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := parse(fs, args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// multiFlag collects a repeated flag (--param k=v --param k2=v2).
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, ",") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// filterFlags are list's and export's run filters.
type filterFlags struct {
	experiment, method, data, status string
	params                           multiFlag
}

func (f *filterFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.experiment, "experiment", "", "only runs of this experiment")
	fs.StringVar(&f.method, "method", "", "only runs with param method=M")
	fs.StringVar(&f.data, "data", "", "only runs on this data set (its directory or the directory's name)")
	fs.StringVar(&f.status, "status", "", "only runs with this status: running, finished, failed or killed")
	fs.Var(&f.params, "param", "only runs with param k=v (repeatable)")
}

func (f *filterFlags) filter() (tracking.Filter, error) {
	switch f.status {
	case "", tracking.StatusRunning, tracking.StatusFinished, tracking.StatusFailed, tracking.StatusKilled:
	default:
		return tracking.Filter{}, fmt.Errorf("--status %q: want running, finished, failed or killed", f.status)
	}
	params, err := tracking.ParseParamFilters(f.params)
	if err != nil {
		return tracking.Filter{}, err
	}
	return tracking.Filter{Experiment: f.experiment, Method: f.method, Data: f.data, Status: f.status, Params: params}, nil
}

func openTracker(cf *commonFlags) (*tracking.Store, error) {
	return tracking.OpenExisting(cf.tracking)
}

func runsList(args []string) error {
	fs := newFlagSet("runs list", "runs list [filters] [--json]", "Lists tracked runs, newest first.")
	var cf commonFlags
	var ff filterFlags
	cf.register(fs, false)
	ff.register(fs)
	if _, err := parseAll(fs, args); err != nil {
		return err
	}
	f, err := ff.filter()
	if err != nil {
		return err
	}
	s, err := openTracker(&cf)
	if err != nil {
		return err
	}
	defer s.Close()
	runs, err := s.ListRuns(f)
	if err != nil {
		return err
	}
	if cf.json {
		if runs == nil {
			runs = []tracking.RunInfo{}
		}
		return emitJSON(map[string]any{"count": len(runs), "runs": runs})
	}
	return tracking.WriteRunsTable(os.Stdout, runs)
}

func runsShow(args []string) error {
	fs := newFlagSet("runs show", "runs show ID [--json]", "Shows one run: its record, params, final metrics, artifacts and children.")
	var cf commonFlags
	cf.register(fs, false)
	pos, err := parseAll(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("runs show: want exactly one run ID")
	}
	s, err := openTracker(&cf)
	if err != nil {
		return err
	}
	defer s.Close()
	d, err := s.GetRun(pos[0])
	if err != nil {
		return err
	}
	if cf.json {
		return emitJSON(d)
	}
	return tracking.WriteRun(os.Stdout, d)
}

func runsCompare(args []string) error {
	fs := newFlagSet("runs compare", "runs compare ID ID... [--json]",
		"Compares runs: the params whose values differ, then every metric side by side with its delta\nagainst the first run.")
	var cf commonFlags
	cf.register(fs, false)
	pos, err := parseAll(fs, args)
	if err != nil {
		return err
	}
	if len(pos) < 2 {
		return errors.New("runs compare: want at least two run IDs")
	}
	s, err := openTracker(&cf)
	if err != nil {
		return err
	}
	defer s.Close()
	c, err := s.Compare(pos)
	if err != nil {
		return err
	}
	if cf.json {
		return emitJSON(c)
	}
	return tracking.WriteCompare(os.Stdout, c)
}

func runsExport(args []string) error {
	fs := newFlagSet("runs export", "runs export --format csv|json [--out FILE] | --format mlflow --out DIR [filters]",
		`Exports the runs that match the filters (those of runs list; default: every run).

csv and json: one row per run with its params and final metrics (CSV: param:K and metric:K
columns; JSON: an array of runs), to --out FILE or stdout.

mlflow: into DIR in the layout of MLflow's file store (mlruns), so that MLflow opens byb's
runs beside its own:
  MLFLOW_ALLOW_FILE_STORE=true mlflow ui --backend-store-uri DIR
(MLflow 3.13 and later read a file store only with MLFLOW_ALLOW_FILE_STORE=true; MLflow's
Python client reads it with tracking_uri="file:DIR" under the same variable.) One MLflow
experiment per byb experiment — DIR's own when it has one of that name — and per run its
params (a finetuning's pretrain.* lineage too), every metric point with its step and time,
its tags, byb's record of it as byb.* tags (status, engine, git commit, run directory,
command), mlflow.parentRunId for a child, its start and end, and its figures, tables and
config.json copied under its artifacts (checkpoints and embeddings stay where they are).
The MLflow run ID is byb's run ID: exporting into DIR again rewrites the runs it holds from
the tracker instead of adding them twice. DIR must be new, empty or an MLflow store.`)
	var cf commonFlags
	var ff filterFlags
	cf.register(fs, false)
	ff.register(fs)
	format := fs.String("format", "csv", "csv, json or mlflow")
	out := fs.String("out", "", "file to write (default stdout); for mlflow, the store's directory (required)")
	if _, err := parseAll(fs, args); err != nil {
		return err
	}
	switch *format {
	case "csv", "json":
	case "mlflow":
		if *out == "" {
			return errors.New("--format mlflow writes a directory: give it with --out DIR (e.g. --out mlruns)")
		}
	default:
		return fmt.Errorf("--format %q: want csv, json or mlflow", *format)
	}
	f, err := ff.filter()
	if err != nil {
		return err
	}
	s, err := openTracker(&cf)
	if err != nil {
		return err
	}
	defer s.Close()
	runs, err := s.ListRuns(f)
	if err != nil {
		return err
	}
	if *format == "mlflow" {
		return exportMLflow(s, runs, *out, cf.json)
	}
	var w io.Writer = os.Stdout
	if *out != "" {
		file, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer file.Close()
		w = file
	}
	if err := tracking.Export(w, *format, runs); err != nil {
		return err
	}
	if *out != "" {
		if cf.json {
			return emitJSON(map[string]any{"out": *out, "format": *format, "runs": len(runs)})
		}
		fmt.Fprintf(os.Stderr, "wrote %d run(s) to %s\n", len(runs), *out)
	}
	return nil
}

// exportMLflow writes runs into the MLflow store dir and says what it wrote, and how to open it.
func exportMLflow(s *tracking.Store, runs []tracking.RunInfo, dir string, asJSON bool) error {
	res, err := s.ExportMLflow(dir, runs)
	if err != nil {
		return err
	}
	if asJSON {
		return emitJSON(res)
	}
	fmt.Printf("exported %d run(s) into %s: %d new, %d updated; %d metric points, %d artifact file(s)\n",
		res.Runs, res.Dir, res.New, res.Updated, res.Points, res.Artifacts)
	names := make([]string, 0, len(res.Experiments))
	for name := range res.Experiments {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		note := ""
		if slices.Contains(res.Created, name) {
			note = " (new)"
		}
		fmt.Printf("  experiment %-12s MLflow ID %s%s\n", name, res.Experiments[name], note)
	}
	if len(res.Renamed) > 0 {
		var kv []string
		for k, v := range res.Renamed {
			kv = append(kv, fmt.Sprintf("%q → %q", k, v))
		}
		sort.Strings(kv)
		fmt.Printf("renamed %d key(s) MLflow would refuse: %s\n", len(kv), strings.Join(kv, ", "))
	}
	if len(res.Missing) > 0 {
		fmt.Printf("%d artifact(s) not copied: no longer where they were recorded (moved or deleted), e.g. %s\n", len(res.Missing), res.Missing[0])
	}
	fmt.Printf("open it: MLFLOW_ALLOW_FILE_STORE=true mlflow ui --backend-store-uri %s\n", res.Dir)
	return nil
}

func runsDelete(args []string) error {
	fs := newFlagSet("runs delete", "runs delete ID... [--yes] [--json]",
		"Deletes runs with their params, metrics, tags and artifact records (not the files in their run\ndirectories). Asks for confirmation on stdin unless --yes.")
	var cf commonFlags
	cf.register(fs, false)
	yes := fs.Bool("yes", false, "do not ask for confirmation")
	pos, err := parseAll(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return errors.New("runs delete: want at least one run ID")
	}
	s, err := openTracker(&cf)
	if err != nil {
		return err
	}
	defer s.Close()
	ids, err := s.ResolveIDs(pos)
	if err != nil {
		return err
	}
	if !*yes {
		runs, err := s.ListRuns(tracking.Filter{IDs: ids})
		if err != nil {
			return err
		}
		tracking.WriteRunsTable(os.Stderr, runs)
		fmt.Fprintf(os.Stderr, "Delete these %d run(s)? [y/N] ", len(ids))
		answer, _ := bufio.NewReader(os.Stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(answer)); a != "y" && a != "yes" {
			return errors.New("runs delete: not confirmed; nothing deleted")
		}
	}
	deleted, err := s.DeleteRuns(ids)
	if err != nil {
		return err
	}
	if cf.json {
		return emitJSON(map[string]any{"deleted": deleted})
	}
	fmt.Printf("deleted %d run(s): %s\n", len(deleted), strings.Join(deleted, " "))
	return nil
}

func runsReplay(args []string) error {
	fs := newFlagSet("runs replay", "runs replay DIR... [--json]",
		"Writes what runs kept in their directories' "+tracking.UnrecordedFile+" while the tracker refused\nthem (a full disk, a locked or missing database) into the tracker: metric points, params, tags,\nartifacts and the status each run really ended with. A replayed file is renamed, so that a\nsecond replay adds nothing.")
	var cf commonFlags
	cf.register(fs, false)
	pos, err := parseAll(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return errors.New("runs replay: want at least one run directory")
	}
	s, err := tracking.Open(cf.tracking)
	if err != nil {
		return err
	}
	defer s.Close()
	var results []*tracking.ReplayResult
	for _, dir := range pos {
		res, err := s.Replay(dir)
		if err != nil {
			return err
		}
		results = append(results, res)
		if !cf.json {
			fmt.Printf("replayed %d line(s) of %s into run(s) %s (%d new); the file is now %s\n",
				res.Lines, res.File, strings.Join(res.Runs, " "), len(res.Created), res.Kept)
		}
	}
	if cf.json {
		return emitJSON(map[string]any{"replayed": results})
	}
	return nil
}

func runsExperiments(args []string) error {
	fs := newFlagSet("runs experiments", "runs experiments [--json]", "Lists experiments with their run counts by status.")
	var cf commonFlags
	cf.register(fs, false)
	if _, err := parseAll(fs, args); err != nil {
		return err
	}
	s, err := openTracker(&cf)
	if err != nil {
		return err
	}
	defer s.Close()
	exps, err := s.Experiments()
	if err != nil {
		return err
	}
	if cf.json {
		return emitJSON(map[string]any{"experiments": exps})
	}
	return tracking.WriteExperiments(os.Stdout, exps)
}
