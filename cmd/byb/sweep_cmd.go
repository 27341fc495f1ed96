package main

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"time"

	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/sweep"
	"github.com/byb-dev/byb/tracking"
)

func init() {
	register(&command{name: "sweep", summary: "run a command over a grid (or a random sample) of hyper-parameters and pick the best on validation", run: runSweep})
}

// sweepable are the commands a sweep runs: each records one run, under the sweep's, with the
// metrics it is scored by.
var sweepable = map[string]bool{"finetune": true, "pretrain": true, "baseline": true}

func runSweep(args []string) error {
	fs := newFlagSet("sweep", "sweep --grid SPEC [--random N [--seed S]] [--metric M] [--goal max|min] -- COMMAND ARGS...",
		`Runs the byb command COMMAND (finetune, pretrain or baseline) once per point of a grid of
hyper-parameters, each as a subprocess of this program with the point's values added to the
command's own --set (the point's values win), and picks the point with the best --metric.

  byb sweep --grid "learning_rate=1e-4,3e-4,1e-3" -- finetune --data DIR --init none --task 5-day

--grid "name=v1,v2;name=v3,v4" is the Cartesian product of the values (6 points for
"learning_rate=1e-4,3e-4,1e-3;batch_size=32,64", the first name varying slowest); --random N
runs N points of it drawn without replacement (--seed; N at or above the grid's size runs
all), and with --random a name may take a log-uniform range, "learning_rate=log(1e-5,1e-2)".

The sweep is one run in the tracker (experiment "sweep") and every point's run is its child
(the sweep passes its ID in $BYB_PARENT_RUN). A point's score is the latest value of --metric
the tracker holds for its run: val_best, the default, is what finetune logs, the validation
score of the epoch it kept. The metric must be measured on validation data: choosing on the
test split leaks it into the result, so a metric named test_* is refused unless
--allow-test-metric. A point that fails, or logs no value of the metric, is marked failed and
the sweep goes on; the sweep fails only when every point does. A command's --out DIR becomes
DIR/POINT for each point (DIR/learning_rate=1e-3): a run directory that exists is resumed,
so the points must not share one, and a rerun of the sweep resumes its points.

Progress goes to stderr, one line per point; at the end a table of the points, best first
(or --json: every point and the best). The sweep's run records the best value as its metric,
and the best point's settings and run as the tags best_settings and best_run.`)
	var cf commonFlags
	cf.register(fs, false)
	grid := fs.String("grid", "", `the points: "name=v1,v2,...;name=..." (with --random also "name=log(lo,hi)")`)
	random := fs.Int("random", 0, "run N points drawn at random from the grid instead of all of it")
	seed := fs.Uint64("seed", 1, "seed of the --random draw")
	metric := fs.String("metric", "val_best", "the validation metric that scores a point")
	goalFlag := fs.String("goal", "", "max or min (default: min for a loss, error or time, else max)")
	allowTest := fs.Bool("allow-test-metric", false, "allow a test_* metric (choosing on the test split: for a study of that leak only)")
	verbose := fs.Bool("verbose", false, "show each point's own progress on stderr")
	if err := parse(fs, args); err != nil {
		return err
	}
	command := fs.Args()
	points, goal, err := sweepPlan(cf, command, *grid, *random, *seed, *metric, *goalFlag, *allowTest)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("sweep: finding this program to run the points: %w", err)
	}
	record := map[string]string{"command": "sweep", "sweep_command": strings.Join(command, " "), "grid": *grid,
		"metric": *metric, "goal": string(goal), "points": fmt.Sprint(len(points))}
	if *random > 0 {
		// Not "seed": by the tracker's convention that is a training seed (runs' seed column).
		record["random"], record["sample_seed"] = fmt.Sprint(*random), fmt.Sprint(*seed)
	}
	if *allowTest {
		record["allow_test_metric"] = "true" // the record says the choice was made on test
	}
	run, finish, err := cf.beginRun(runSpec{experiment: "sweep", name: "sweep " + command[0] + " " + *grid, params: record})
	if err != nil {
		return err
	}
	var childProgress io.Writer
	if *verbose {
		childProgress = os.Stderr
	}
	s := sweeper{exe: exe, command: command, tracker: cf.tracking, metric: *metric, run: run,
		store: run.(*tracking.StoreRun).Store(), progress: os.Stderr, childProgress: childProgress}
	fmt.Fprintf(os.Stderr, "[sweep] run %s: %d point(s) of `%s`, scored by %s (%s)\n", run.ID(), len(points), strings.Join(command, " "), *metric, goal)
	results := s.runAll(points)
	best := sweep.Best(scores(results), goal)
	var sweepErr error
	if best < 0 {
		sweepErr = fmt.Errorf("sweep: every point failed (point 1: %s)", results[0].Error)
	} else {
		b := results[best]
		_ = run.LogMetric(*metric, *b.Value, 0)
		_ = run.SetTag("best_run", b.RunID)
		_ = run.SetTag("best_settings", b.Settings)
	}
	_ = run.LogMetric("points_failed", float64(countFailed(results)), 0)
	rep := sweepReport{RunID: run.ID(), Command: command, Grid: *grid, Metric: *metric, Goal: goal, Points: results}
	if best >= 0 {
		rep.Best = &results[best]
	}
	if cf.json {
		if err := emitJSON(rep); err != nil {
			return finish(err)
		}
	} else {
		rep.writeTable(os.Stdout)
	}
	return finish(sweepErr)
}

// sweepPlan checks the sweep's flags and the command before anything runs, and returns the
// points and the goal. Every refusal here would otherwise cost a point (or all of them).
func sweepPlan(cf commonFlags, command []string, grid string, random int, seed uint64, metric, goalFlag string, allowTest bool) ([]sweep.Point, sweep.Goal, error) {
	switch {
	case len(command) == 0:
		return nil, "", fmt.Errorf("sweep needs the command to run after --, e.g. `byb sweep --grid \"learning_rate=1e-4,1e-3\" -- finetune --data DIR --init none --task 5-day`")
	case !sweepable[command[0]]:
		return nil, "", fmt.Errorf("sweep runs finetune, pretrain or baseline (commands that record one scored run), not %q", command[0])
	case cf.tracking == "off":
		return nil, "", errors.New("sweep reads each point's score from the tracker: --tracking off cannot be swept (give a database, or leave the default)")
	case hasFlag(command, "tracking"):
		return nil, "", errors.New("give --tracking to sweep, not to the command: every point is recorded where the sweep is")
	case grid == "":
		return nil, "", errors.New(`sweep needs --grid "name=v1,v2,...;name=..."`)
	case metric == "":
		return nil, "", errors.New("sweep needs a --metric to score the points by")
	case isTestMetric(metric) && !allowTest:
		return nil, "", fmt.Errorf("--metric %s is measured on the test split: choosing hyper-parameters on it leaks the test set into the result, so the score reported is no longer an unbiased estimate; sweep a validation metric (val_best), or pass --allow-test-metric to study that leak on purpose", metric)
	case random < 0:
		return nil, "", fmt.Errorf("--random %d: want a number of points (1 or more), or 0 for the whole grid", random)
	}
	goal := sweep.Max
	if goalFlag == "" && tracking.LowerIsBetter(metric) {
		goal = sweep.Min
	} else if goalFlag != "" {
		g, err := sweep.ParseGoal(goalFlag)
		if err != nil {
			return nil, "", fmt.Errorf("--goal: %w", err)
		}
		goal = g
	}
	spec, err := sweep.Parse(grid)
	if err != nil {
		return nil, "", fmt.Errorf("--grid: %w", err)
	}
	for _, name := range spec.Names() {
		base := name[strings.LastIndex(name, "/")+1:] // scope/name, as --set takes it
		if _, ok := params.Lookup(base); !ok {
			return nil, "", fmt.Errorf("--grid: %w", params.Unknown(base))
		}
	}
	var points []sweep.Point
	if random > 0 {
		points, err = spec.Sample(random, seed)
	} else {
		points, err = spec.Grid()
		if spec.HasRange() {
			err = fmt.Errorf("%w; add --random N", err)
		}
	}
	if err != nil {
		return nil, "", fmt.Errorf("--grid: %w", err)
	}
	return points, goal, nil
}

// isTestMetric reports a metric measured on the test split: finetuning logs test_*, and the
// TUI's headline is "test AUROC".
func isTestMetric(m string) bool {
	m = strings.ToLower(m)
	return strings.HasPrefix(m, "test_") || strings.HasPrefix(m, "test ") || strings.HasPrefix(m, "test/")
}

// pointResult is one point of a sweep, as the table and the JSON report it.
type pointResult struct {
	Point    int      `json:"point"` // 1-based, in the order run
	Settings string   `json:"settings"`
	RunID    string   `json:"run_id,omitempty"`
	Status   string   `json:"status"` // finished or failed
	Value    *float64 `json:"value"`  // the metric; null for a failed point
	Error    string   `json:"error,omitempty"`
	Seconds  float64  `json:"seconds"`
}

// sweeper runs the points one after the other and scores them from the tracker.
type sweeper struct {
	exe           string
	command       []string
	tracker       string
	metric        string
	run           tracking.Run
	store         *tracking.Store
	progress      io.Writer // the sweep's own lines
	childProgress io.Writer // the points' stderr; nil: kept for their error only
}

func (s sweeper) runAll(points []sweep.Point) []pointResult {
	results := make([]pointResult, len(points))
	seen := map[string]bool{}
	start := time.Now()
	for i, p := range points {
		t0 := time.Now()
		r := s.runPoint(p, seen)
		r.Point, r.Seconds = i+1, time.Since(t0).Seconds()
		results[i] = r
		outcome := fmt.Sprintf("%s=%s", s.metric, tracking.FormatValue(valueOr(r.Value)))
		if r.Status != tracking.StatusFinished {
			outcome = "failed: " + r.Error
		}
		timing := tracking.FormatDuration(time.Since(t0))
		if left := len(points) - i - 1; left > 0 {
			eta := time.Since(start) / time.Duration(i+1) * time.Duration(left)
			timing += "; ETA " + tracking.FormatDuration(eta)
		}
		fmt.Fprintf(s.progress, "[sweep] point %d/%d: %s → %s (%s)\n", i+1, len(points), p, outcome, timing)
	}
	return results
}

// runPoint runs one point and reads its score. The run is the one the command printed, or
// else (a command that failed before printing) the one child of the sweep not seen before.
func (s sweeper) runPoint(p sweep.Point, seen map[string]bool) pointResult {
	r := pointResult{Settings: p.String(), Status: tracking.StatusFailed}
	id, err := runChild(s.exe, childArgs(s.command, p, s.tracker), s.run.ID(), s.childProgress)
	kids, lerr := s.store.ListRuns(tracking.Filter{ParentID: s.run.ID()})
	if lerr != nil && err == nil {
		err = fmt.Errorf("reading its run from the tracker: %w", lerr)
	}
	var kid *tracking.RunInfo
	for i := range kids {
		if k := &kids[i]; k.ID == id || (id == "" && !seen[k.ID]) {
			kid = k
		}
	}
	if kid != nil {
		r.RunID = kid.ID
		seen[kid.ID] = true
	}
	switch {
	case err != nil:
		r.Error = err.Error()
		return r
	case kid == nil:
		r.Error = fmt.Sprintf("run %s is not in the tracker as a child of the sweep", id)
		return r
	}
	switch v, ok := kid.Metrics[s.metric]; {
	case !ok:
		r.Error = fmt.Sprintf("run %s logged no %s (does %s log it? `byb runs show %s` lists what it did)", kid.ID, s.metric, s.command[0], kid.ID)
	case sweep.Failed(v):
		r.Error = fmt.Sprintf("%s is %v", s.metric, v)
	default:
		r.Status, r.Value = tracking.StatusFinished, &v
	}
	return r
}

func scores(rs []pointResult) []float64 {
	out := make([]float64, len(rs))
	for i, r := range rs {
		out[i] = valueOr(r.Value)
	}
	return out
}

func valueOr(v *float64) float64 {
	if v == nil {
		return math.NaN()
	}
	return *v
}

func countFailed(rs []pointResult) int {
	n := 0
	for _, r := range rs {
		if r.Status != tracking.StatusFinished {
			n++
		}
	}
	return n
}

// sortedPoints are the results best first, failed last (sweep.Rank).
func sortedPoints(rs []pointResult, g sweep.Goal) []pointResult {
	out := make([]pointResult, 0, len(rs))
	for _, i := range sweep.Rank(scores(rs), g) {
		out = append(out, rs[i])
	}
	return out
}
