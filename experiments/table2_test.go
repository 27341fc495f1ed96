package experiments

import (
	"encoding/json"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/engine"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/internal/testenv"
	"github.com/gomlx/gomlx/backends"

	"github.com/byb-dev/byb/byb/data/synth"
	"github.com/byb-dev/byb/internal/testdata"
)

// The table's verdicts are computed from the numbers, never written by hand: check them on
// made-up results whose paired differences are worked out below.
func TestTable2ClaimsAndMarkdown(t *testing.T) {
	tasks := table2Tasks[synth.MobileLike] // Active-30d, Login-90d, Unbind-30d, Unbind-90d
	res := map[string]map[string]*cellResult{}
	// set gives a row two seeds per task: v, then v + step.
	set := func(key string, step float64, v ...float64) {
		res[key] = map[string]*cellResult{}
		for i, task := range tasks {
			res[key][task] = &cellResult{values: []float64{v[i], v[i] + step}}
		}
	}
	set("supervised", 0.02, 0.80, 0.80, 0.80, 0.80)
	set("byb-freeze", 0.02, 0.70, 0.70, 0.90, 0.70)
	set("byb-unfreeze", 0.02, 0.85, 0.85, 0.85, 0.79)
	set("random-freeze", 0.02, 0.60, 0.75, 0.60, 0.60)
	set("msdp", 0.02, 0.65, 0.72, 0.95, 0.69)
	set("cts", 0.02, 0.60, 0.60, 0.60, 0.72)
	set("bag", 0.03, 0.72, 0.72, 0.72, 0.72)
	res["nbp"] = map[string]*cellResult{}
	for _, task := range tasks {
		res["nbp"][task] = &cellResult{skipped: "not implemented"}
	}
	got := table2Claims(synth.MobileLike, res, tasks)
	for _, want := range []string{
		// Best frozen pretrained: BYB on Active-30d (+0.05 over MSDP's 0.66, +7.6%); MSDP on
		// Login-90d and Unbind-30d, CTS on Unbind-90d, each ahead of BYB on both seeds.
		"- 1. BYB(freeze) is the best frozen pretrained model on 1 of 4 tasks, by +7.6% over the second best on average where it is best (paper: 6 of 8, +3.9%): does not hold (holds on 1, does not hold on 3, inconclusive on 0 of 4 tasks).",
		// +0.05 on three tasks, −0.01 on Unbind-90d; Supervised averages 0.81: (3 × 0.05 − 0.01)/0.81/4.
		"- 2. BYB(unfreeze) beats Supervised (paper: on 8 of 8 tasks, +1.3%; here +4.3% on average): does not hold (holds on 3, does not hold on 1, inconclusive on 0 of 4 tasks).",
		// MSDP leads the baselines but on Unbind-90d, where CTS is +0.03 ahead.
		"- 3. MSDP is the best pretraining baseline on 3 of 4 tasks (paper: on every task): does not hold (holds on 3, does not hold on 1, inconclusive on 0 of 4 tasks).",
		"- 4. BYB(freeze) beats Random init (freeze): pretraining helps (byb's check, not the paper's): does not hold (holds on 3, does not hold on 1, inconclusive on 0 of 4 tasks).",
		// Against the bag: −0.02 and −0.03 per seed on three tasks, +0.18 and +0.17 on Unbind-30d.
		"- 4. BYB(freeze) beats Bag-of-IDs: the encoder beats counting IDs (byb's check, not the paper's): does not hold (holds on 1, does not hold on 3, inconclusive on 0 of 4 tasks).",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("claims lack %q:\n%s", want, got)
		}
	}
	// A difference smaller than its seed spread, and a single seed, are inconclusive.
	noisy := map[string]map[string]*cellResult{"byb-unfreeze": {}, "supervised": {}}
	noisy["byb-unfreeze"]["Active-30d"] = &cellResult{values: []float64{0.81, 0.79}}
	noisy["supervised"]["Active-30d"] = &cellResult{values: []float64{0.80, 0.80}}
	noisy["byb-unfreeze"]["Login-90d"] = &cellResult{values: []float64{0.9}}
	noisy["supervised"]["Login-90d"] = &cellResult{values: []float64{0.5}}
	if got := table2Claims(synth.MobileLike, noisy, tasks); !strings.Contains(got, "inconclusive (holds on 0, does not hold on 0, inconclusive on 2 of 2 tasks)") {
		t.Errorf("noisy or one-seed differences must be inconclusive:\n%s", got)
	}

	best := bestFrozen(table2Rows, res, tasks)
	if best["Active-30d"] != "byb-freeze" || best["Login-90d"] != "msdp" {
		t.Errorf("best frozen %v", best)
	}
	row := rowByKey(t, "byb-unfreeze")
	if cell := formatCell(res["byb-unfreeze"]["Active-30d"], row, "Active-30d", ""); cell != "0.8600 ± 0.0141 [0.9238]" {
		t.Errorf("cell %q", cell)
	}
	one := &cellResult{values: []float64{0.5}}
	if cell := formatCell(one, row, "Active-30d", row.Key); cell != "**0.5000** [0.9238]" {
		t.Errorf("one seed, best: %q", cell)
	}
	if cell := formatCell(res["nbp"]["Active-30d"], rowByKey(t, "nbp"), "Active-30d", ""); cell != "not implemented [0.8447]" {
		t.Errorf("skipped cell %q", cell)
	}
}

func rowByKey(t *testing.T, key string) tableRow {
	t.Helper()
	for _, r := range table2Rows {
		if r.Key == key {
			return r
		}
	}
	t.Fatalf("no row %q", key)
	return tableRow{}
}

// --rows and --tasks select cells; a name no row or task has is an error naming the known.
func TestTable2Filters(t *testing.T) {
	c := Config{Rows: []string{"frozen"}, Tasks: []string{"5-day", "Active-30d"}}
	for key, want := range map[string]bool{"byb-freeze": true, "random-freeze": true, "nbp": true, "byb-unfreeze": false, "supervised": false} {
		frozen := key != "byb-unfreeze" && key != "supervised"
		if got := c.runsRow(key, frozen); got != want {
			t.Errorf("rows=frozen: runsRow(%s) = %v, want %v", key, got, want)
		}
	}
	if !c.runsTask("5-day") || c.runsTask("10-day") {
		t.Errorf("tasks=5-day,Active-30d: runsTask(5-day)=%v runsTask(10-day)=%v", c.runsTask("5-day"), c.runsTask("10-day"))
	}
	if all := (Config{}); !all.runsRow("supervised", false) || !all.runsTask("Unbind-90d") || !all.runs("msdp") {
		t.Error("no filter must run every row, task and method")
	}
	if only := (Config{Methods: []string{"byb", "cts"}}); !only.runs("cts") || only.runs("nbp") {
		t.Error("--methods byb,cts must run cts and not nbp")
	}
	presets, err := tableDatasets(table2Spec, Config{})
	if err != nil || len(presets) != 2 {
		t.Fatalf("default data sets %v, %v; want the two presets", presets, err)
	}
	if err := checkTableFilters(table2Spec, c, presets); err != nil {
		t.Errorf("valid filters rejected: %v", err)
	}
	if err := checkTableFilters(table2Spec, Config{Tasks: []string{"7-day"}}, presets); err == nil || !strings.Contains(err.Error(), "5-day") {
		t.Errorf("unknown task: err = %v, want one listing the known tasks", err)
	}
	if err := checkTableFilters(table2Spec, Config{Rows: []string{"bybfreeze"}}, presets); err == nil || !strings.Contains(err.Error(), "byb-freeze") {
		t.Errorf("unknown row: err = %v, want one listing the known rows", err)
	}
	// An unknown method is refused like an unknown row (it used to be ignored, running the
	// rows of no method), and so is a selection that runs nothing (it used to write a table
	// of "not run" over the last results).
	if err := checkTableFilters(table2Spec, Config{Methods: []string{"byb", "bpy"}}, presets); err == nil || !strings.Contains(err.Error(), `"bpy"`) || !strings.Contains(err.Error(), "msdp") {
		t.Errorf("unknown method: err = %v, want one naming it and listing the known methods", err)
	}
	if err := checkTableFilters(table2Spec, Config{Methods: []string{"byb"}, Rows: []string{"nbp"}}, presets); err == nil || !strings.Contains(err.Error(), "no cell") {
		t.Errorf("--methods byb --rows nbp selects nothing: err = %v", err)
	}
	if err := checkTableFilters(table2Spec, Config{Methods: []string{"byb"}, Rows: []string{"byb-freeze", "bag"}, Seeds: 1}, presets); err != nil {
		t.Errorf("--methods byb --rows byb-freeze,bag: %v", err)
	}
}

// At the CPU scales every row gets the shared table budget; --budget, then --pretrain-set and
// --finetune-set come after it, so that they override it.
func TestTable2BudgetIsSharedAndOverridable(t *testing.T) {
	holds := func(what string, s params.Set, want map[string]any) {
		t.Helper()
		for name, v := range want {
			if got, ok := s.Lookup(name); !ok || got != v {
				t.Errorf("%s: %s = %v (set: %v) in %q; want %v", what, name, got, ok, s, v)
			}
		}
	}
	b, err := tableBudget(Config{Scale: "small", PretrainSettings: params.MustParse("max_len=0"), FinetuneSettings: params.MustParse("epochs=2")})
	if err != nil {
		t.Fatal(err)
	}
	// The table budget (max_len=128;batch_size=32;steps=1000), the user's max_len over it.
	holds("pretrain", b.pretrain, map[string]any{"max_len": 0, "batch_size": 32, "steps": 1000})
	holds("finetune", b.finetune, map[string]any{"epochs": 2})
	holds("probe", b.probe, map[string]any{"epochs": 2})
	// --budget: equal steps, or equal time with no step count, between the scale's budget and
	// --pretrain-set.
	for budget, want := range map[string]map[string]any{
		"steps=900": {"steps": 900, "time_budget": "", "max_len": 0, "batch_size": 32},
		"time=3m":   {"steps": 0, "time_budget": "3m0s", "max_len": 0, "batch_size": 32},
	} {
		b, err := tableBudget(Config{Scale: "small", Budget: budget, PretrainSettings: params.MustParse("max_len=0")})
		if err != nil {
			t.Fatalf("--budget %s: %v", budget, err)
		}
		holds("--budget "+budget, b.pretrain, want)
	}
	for _, bad := range []string{"steps=0", "steps=ten", "time=3", "time=-1m", "epochs=3", "600"} {
		if _, err := tableBudget(Config{Scale: "small", Budget: bad}); err == nil || !strings.Contains(err.Error(), "steps=N") {
			t.Errorf("--budget %q: err %v, want one naming the two forms", bad, err)
		}
	}
	if p, _ := tableBudget(Config{Scale: "paper"}); !strings.Contains(p.pretrain.String(), "protocol=paper") || !strings.Contains(p.finetune.String(), "protocol=paper") {
		t.Errorf("paper scale %+v: want the paper's protocol", p)
	}
}

// The PNG has one colored bar group per task: decode it and find the bars' colors.
func TestTable2PNG(t *testing.T) {
	tasks := table2Tasks[synth.TmallLike]
	res := map[string]map[string]*cellResult{"byb-freeze": {}, "random-freeze": {}}
	for i, task := range tasks {
		res["byb-freeze"][task] = &cellResult{values: []float64{0.7 + 0.05*float64(i), 0.72 + 0.05*float64(i)}}
		res["random-freeze"][task] = &cellResult{values: []float64{0.6}}
	}
	path := filepath.Join(t.TempDir(), "t.png")
	if err := table2PNG(path, synth.TmallLike, tasks, res); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	colors := map[color.Color]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			colors[img.At(x, y)]++
		}
	}
	// The two rows' bar colors cover many pixels each.
	for i := 0; i < 2; i++ {
		r, g, bl, _ := barColors[i].RGBA()
		n := 0
		for c, k := range colors {
			cr, cg, cb, _ := c.RGBA()
			if cr>>8 == r>>8 && cg>>8 == g>>8 && cb>>8 == bl>>8 {
				n += k
			}
		}
		if n < 500 {
			t.Errorf("row %d's color covers %d pixels: its bars are missing", i, n)
		}
	}
	if err := table2PNG(path, synth.TmallLike, tasks, map[string]map[string]*cellResult{}); err == nil {
		t.Error("an empty table must not make an empty chart")
	}
	// A notebook's grouped bars over no recorded runs: an error, not a panic in gonum/plot.
	if err := GroupedBarsPNG(path, "none", nil, nil, nil); err == nil {
		t.Error("grouped bars with no rows and no tasks must be an error")
	}
}

// xlaCPU opens the XLA CPU engine the end-to-end tests run on (`just setup` installs it).
func xlaCPU(t *testing.T) (backends.Backend, engine.Info) {
	t.Helper()
	testenv.Require(t, engine.XLACPUPluginPath() != "", "the XLA CPU plugin", "`just setup`")
	backend, info, err := engine.OpenConfig("xla:cpu")
	if err != nil {
		t.Fatal(err)
	}
	return backend, info
}

// smokeEngine is the engine of the smoke tests: GoMLX's pure-Go engine, which runs their tiny
// models at once, where XLA spends most of such a test compiling every batch shape.
func smokeEngine(t *testing.T) (backends.Backend, engine.Info) {
	t.Helper()
	backend, info, err := engine.OpenConfig(engine.PureGo)
	if err != nil {
		t.Fatal(err)
	}
	return backend, info
}

// The smoke budget of the end-to-end tests: a few pretraining steps of a tiny encoder, one
// finetuning epoch. Every number is produced; none is expected to be good.
var (
	smokePretrain = params.MustParse("steps=2;batch_size=16;max_len=32;d=16;ff=32;heads=2;layers=1")
	smokeFinetune = params.MustParse("epochs=1;bag_max_iter=5")
)

// The table on an imported dataset directory, end to end at a smoke budget: its own tasks,
// the frozen rows and the bag-of-IDs row with two seeds, claims, Markdown, CSV and a PNG.
func TestTable2OnADataset(t *testing.T) {
	testenv.SkipShort(t, "pretrains twice and probes on a generated dataset")
	backend, info := smokeEngine(t)
	dir := testdata.CITmall(t)
	var log strings.Builder
	c := Config{Scale: "ci", Seeds: 2, Out: t.TempDir(), Backend: backend, Engine: info, Tracking: "off", Log: &log, Quiet: true,
		Datasets: []string{dir}, Rows: []string{"byb-freeze", "random-freeze", "bag"}, Tasks: []string{"5-day"},
		PretrainSettings: smokePretrain, FinetuneSettings: smokeFinetune}
	rep, err := runTable(table2Spec, c)
	if err != nil {
		t.Fatal(err)
	}
	csv, err := os.ReadFile(rep.Files["csv"])
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(csv)), "\n")
	if len(lines) != 1+3*2 {
		t.Fatalf("csv has %d rows, want 3 rows × 2 seeds:\n%s", len(lines)-1, csv)
	}
	for _, l := range lines[1:] {
		f := strings.Split(l, ",")
		v, err := strconv.ParseFloat(f[4], 64)
		if err != nil || v <= 0 || v >= 1 || f[5] != "" {
			t.Errorf("csv row %q: want an AUROC in (0,1) and no paper number", l)
		}
	}
	for _, want := range []string{"Bag-of-IDs (logistic regression)", "Claims", "- 4. BYB(freeze) beats Bag-of-IDs", "Imported data: "} {
		if !strings.Contains(rep.Markdown, want) {
			t.Errorf("the table lacks %q:\n%s", want, rep.Markdown)
		}
	}
	charts := 0
	for kind, path := range rep.Files {
		if st, err := os.Stat(path); strings.HasPrefix(kind, "chart ") && err == nil && st.Size() > 0 {
			charts++
		}
	}
	if charts != 1 {
		t.Errorf("%d PNG charts among %v, want the dataset's one", charts, rep.Files)
	}
	if !strings.Contains(log.String(), "cell 6/6") {
		t.Errorf("progress does not count the table's 6 cells:\n%s", log.String())
	}
	// The regression has no seed: the second seed reads the first one's cell.
	if !regexp.MustCompile(`seed 1: Bag-of-IDs \(logistic regression\) on 5-day: test AUROC [0-9.]+ \(cached\)`).MatchString(log.String()) {
		t.Errorf("the bag-of-IDs cell was computed again for seed 1:\n%s", log.String())
	}
}

// The whole table as `just reproduce table2` makes it, at a smoke budget (a few pretraining
// steps of a tiny encoder, one finetuning epoch): every method pretrained on both synthetic
// data sets, every row on every task, each cell a number in [0, 1] beside the paper's, the
// claims section, the Markdown, CSV and a PNG per data set; run again, it reuses the finished
// pretrainings and every cell.
func TestTable2EveryRowAtASmokeBudget(t *testing.T) {
	testenv.SkipShort(t, "pretrains six methods on two generated data sets and fills 96 cells")
	backend, info := smokeEngine(t)
	var log strings.Builder
	c := Config{Scale: "ci", Seeds: 1, Out: t.TempDir(), Backend: backend, Engine: info, Tracking: "off",
		Log: &log, Quiet: true, Methods: []string{"all"},
		PretrainSettings: smokePretrain, FinetuneSettings: smokeFinetune}
	rep, err := runTable(table2Spec, c)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	csv, err := os.ReadFile(rep.Files["csv"])
	if err != nil {
		t.Fatal(err)
	}
	cells := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(string(csv)), "\n")[1:] {
		f := strings.Split(l, ",") // dataset,method,task,seed,auroc,paper
		v, err := strconv.ParseFloat(f[4], 64)
		if err != nil || v < 0 || v > 1 {
			t.Errorf("csv row %q: the AUROC is not a number in [0, 1]", l)
		}
		row := rowByKey(t, f[1])
		if _, paper := row.Paper[f[2]]; paper == (f[5] == "") {
			t.Errorf("csv row %q: the paper's number is missing or made up", l)
		}
		cells[f[0]+"/"+f[1]+"/"+f[2]] = true
	}
	for _, preset := range []string{synth.TmallLike, synth.MobileLike} {
		for _, row := range table2Rows {
			for _, task := range table2Tasks[preset] {
				if !cells[preset+"/"+row.Key+"/"+task] {
					t.Errorf("no cell for %s on %s/%s", row.Label, preset, task)
				}
			}
		}
	}
	for _, want := range []string{"## tmall-like", "## mobile-like", "Claims", "- 1. BYB(freeze) is the best frozen pretrained model",
		"- 2. BYB(unfreeze) beats Supervised", "- 3. MSDP is the best pretraining baseline", "- 4. BYB(freeze) beats Random init (freeze)",
		"- 4. BYB(freeze) beats Bag-of-IDs", "- 5. E adds to the bag: Bag-of-IDs + E (BYB) beats the bag alone",
		"- 5. E adds to the bag: Bag-of-IDs + E (BYB) beats Bag-of-IDs + E (random)", "| Bag-of-IDs + E (random) † |",
		"Training, per row", "| Supervised | – | – | – | "} {
		if !strings.Contains(rep.Markdown, want) {
			t.Errorf("the table lacks %q:\n%s", want, rep.Markdown)
		}
	}
	for _, absent := range []string{"not run", "not implemented"} {
		if strings.Contains(rep.Markdown, absent) {
			t.Errorf("a cell or the legend says %q:\n%s", absent, rep.Markdown)
		}
	}
	for _, kind := range []string{"table", "chart " + synth.TmallLike, "chart " + synth.MobileLike} {
		if st, err := os.Stat(rep.Files[kind]); err != nil || st.Size() == 0 {
			t.Errorf("%s: %q not written (%v)", kind, rep.Files[kind], err)
		}
	}
	if !strings.Contains(log.String(), "cell 96/96") {
		t.Errorf("progress does not count the table's 96 cells:\n%s", log.String())
	}

	// Run again, it reuses the finished pretrainings and every cell.
	log.Reset()
	again, err := runTable(table2Spec, c)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(log.String(), "(cached)"); n != 96 || strings.Contains(log.String(), ": pretraining ") {
		t.Errorf("the rerun computed cells or pretrained again (%d cached):\n%s", n, log.String())
	}
	if again.Markdown[strings.Index(again.Markdown, "\n"):] != rep.Markdown[strings.Index(rep.Markdown, "\n"):] {
		t.Errorf("the rerun's table differs:\n%s\nvs\n%s", again.Markdown, rep.Markdown)
	}
}

// --data-seeds: each seed's synthetic data set is generated with its own seed, once.
func TestEnsureDataPerSeed(t *testing.T) {
	c := Config{Scale: "ci", Out: t.TempDir()}
	one, err := ensureData(c, synth.TmallLike, 1, 0)
	if err != nil {
		t.Fatal(err)
	}
	two, err := ensureData(c, synth.TmallLike, 2, 0)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := os.ReadFile(filepath.Join(one, "times.bin"))
	b, _ := os.ReadFile(filepath.Join(two, "times.bin"))
	if one == two || len(a) == 0 || string(a) == string(b) {
		t.Fatalf("data seeds 1 and 2 gave %s and %s with the same behaviors", one, two)
	}
	if again, err := ensureData(c, synth.TmallLike, 2, 0); err != nil || again != two {
		t.Fatalf("a second call must reuse %s: %s, %v", two, again, err)
	}
}

// Every row of the largest table gets a colour of its own.
func TestBarColorsAreDistinct(t *testing.T) {
	seen := map[color.Color]bool{}
	for _, c := range barColors {
		seen[c] = true
	}
	if len(seen) < len(table2Rows) {
		t.Errorf("%d distinct bar colours for %d rows", len(seen), len(table2Rows))
	}
}

// --tune at a smoke budget: with seed 0, each pretraining is run at every learning rate of the
// grid and the one whose frozen probe scores best on validation is kept; each finetuning row
// is run at every learning rate and the best on validation is kept; seed 1 uses seed 0's
// choices without searching again, the chosen candidate's seed-0 run is the cell (not
// computed twice), and the table says what was chosen.
func TestTable2TuneChoosesOnValidation(t *testing.T) {
	testenv.SkipShort(t, "pretrains three times and finetunes a dozen cells")
	backend, info := smokeEngine(t)
	dir := testdata.CITmall(t)
	var log strings.Builder
	out := t.TempDir()
	c := Config{Scale: "ci", Seeds: 2, Out: out, Backend: backend, Engine: info, Tracking: "off", Log: &log, Quiet: true,
		Datasets: []string{dir}, Rows: []string{"byb-freeze", "supervised"}, Tasks: []string{"5-day"}, Tune: true,
		PretrainSettings: smokePretrain, FinetuneSettings: smokeFinetune}
	rep, err := runTable(table2Spec, c)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	choices, _ := filepath.Glob(filepath.Join(out, "table2-ci", "tune", "*", "*.json"))
	if len(choices) != 3 {
		t.Fatalf("%d tuning choices (%v), want the pretraining's, BYB(freeze)'s and Supervised's", len(choices), choices)
	}
	for _, path := range choices {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var ch tuneChoice
		if err := json.Unmarshal(b, &ch); err != nil || len(ch.Candidates) != 3 || len(ch.Scores) != 3 {
			t.Fatalf("%s: %s (%v)", path, b, err)
		}
		best, bestScore := "", -1.0
		for i, sc := range ch.Scores {
			if v, err := strconv.ParseFloat(sc, 64); err == nil && v > bestScore {
				best, bestScore = ch.Candidates[i], v
			}
		}
		if ch.Chosen != best {
			t.Errorf("%s: chose %s, the best validation score is %s's", ch.What, ch.Chosen, best)
		}
		if !strings.Contains(rep.Markdown, ch.What+": "+ch.Chosen) {
			t.Errorf("the table does not say %s was tuned to %s:\n%s", ch.What, ch.Chosen, rep.Markdown)
		}
	}
	if n := strings.Count(log.String(), "candidate learning_rate="); n != 9 {
		t.Errorf("%d candidates run, want 3 per search (the second seed searches nothing):\n%s", n, log.String())
	}
	// 3 probes of the pretraining's candidates, 3 candidates of each row, 2 rows × 2 seeds.
	if !strings.Contains(log.String(), "cell 13/13") {
		t.Errorf("progress does not count the 13 cells:\n%s", log.String())
	}
	// Seed 0's cells are the chosen candidates' runs, read back.
	if !regexp.MustCompile(`seed 0: Supervised on 5-day: test AUROC [0-9.]+ \(cached\)`).MatchString(log.String()) {
		t.Errorf("seed 0's Supervised cell was computed again instead of being the chosen candidate's:\n%s", log.String())
	}
}
