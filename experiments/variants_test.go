package experiments

import (
	"image"
	_ "image/png"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/data/synth"
	"github.com/byb-dev/byb/byb/finetune"
	"github.com/byb-dev/byb/byb/params"
	"github.com/byb-dev/byb/byb/pipeline"
	"github.com/byb-dev/byb/byb/train"
	"github.com/byb-dev/byb/internal/testenv"
	"github.com/byb-dev/byb/tracking"
	"gonum.org/v1/plot/plotter"
)

// The smoke budget of the BYB-variant experiments: enough steps for a few logged
// diagnostics (every 4 steps) and losses to draw.
var variantsPretrain = params.MustParse("steps=12;diag_every=4;batch_size=16;max_len=32;d=16;ff=32;heads=2;layers=1")

// decodePNG checks that path is a PNG at least minWidth pixels wide and heightMM tall at
// gonum/plot's 96 dpi (what linesPNG, groupedBarsPNG and scatterPNG draw).
func decodePNG(t *testing.T, path string, minWidth int, heightMM float64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Errorf("%v", err)
		return
	}
	defer f.Close()
	cfg, format, err := image.DecodeConfig(f)
	if err != nil || format != "png" {
		t.Errorf("%s: not a PNG (%v, %q)", path, err, format)
		return
	}
	if wantH := int(math.Round(heightMM / 25.4 * 96)); cfg.Width < minWidth || cfg.Height < wantH-1 || cfg.Height > wantH+1 {
		t.Errorf("%s is %d×%d px, want at least %d wide and %d tall", path, cfg.Width, cfg.Height, minWidth, wantH)
	}
}

// The ablations (Tables 6-7) and ΔT2 (Figure 4) experiments end to end at a smoke budget on
// tmall-like's 5-day task with two seeds: every version pretrained once per seed, every cell
// filled, the claims, the bar chart, the collapse diagnostics and the loss curves drawn.
func TestAblationsAndFig4AtASmokeBudget(t *testing.T) {
	testenv.SkipShort(t, "pretrains eight BYB variants twice on a generated data set")
	backend, info := smokeEngine(t)
	out := t.TempDir()
	for _, tc := range []struct {
		spec   *tableSpec
		rows   int
		want   []string
		charts []string
	}{
		{ablationsSpec, len(ablationsSpec.rows), []string{"removing EMA is worse than Base", "removing the predictor is worse than Base",
			"MSE beats CE (Base)", "(paper: 1 of 1)", "(paper: 0 of 1)", "Base beats Bag-of-IDs", "E's collapse diagnostics", "| Predictor (no predictor) | "},
			[]string{"effective rank " + synth.TmallLike, "E spread " + synth.TmallLike}},
		{fig4Spec, len(fig4Rows), []string{"ΔT2 = 1 and 3 are similar", "ΔT2 = 3 beats ΔT2 = 10", "Final training loss", "The training loss grows with ΔT2"},
			[]string{"loss " + synth.TmallLike}},
	} {
		var log strings.Builder
		c := Config{Scale: "ci", Seeds: 2, Out: out, Backend: backend, Engine: info, Tracking: "off", Log: &log, Quiet: true,
			Presets: []string{synth.TmallLike}, Tasks: []string{"5-day"}, PretrainSettings: variantsPretrain, FinetuneSettings: smokeFinetune}
		rep, err := runTable(tc.spec, c)
		if err != nil {
			t.Fatalf("%s: %v\n%s", tc.spec.name, err, log.String())
		}
		for _, want := range tc.want {
			if !strings.Contains(rep.Markdown, want) {
				t.Errorf("%s lacks %q:\n%s", tc.spec.name, want, rep.Markdown)
			}
		}
		// One pretraining per version and seed, trained here or reused: fig4's default ΔT2
		// is the ablations' Base, which the shared runs directory already holds.
		trained := strings.Count(log.String(), ": pretraining byb")
		reused := strings.Count(log.String(), ": reusing the finished byb pretraining")
		if trained+reused != 2*(tc.rows-2) {
			t.Errorf("%s: %d BYB pretrainings and %d reused, want one per version and seed (%d):\n%s", tc.spec.name, trained, reused, 2*(tc.rows-2), log.String())
		}
		if tc.spec.name == "fig4" && reused != 2 {
			t.Errorf("fig4 reused %d of the ablations' Base runs, want its ΔT2 = 1 row's 2 seeds:\n%s", reused, log.String())
		}
		cells := tc.rows * 2
		csv, err := os.ReadFile(rep.Files["csv"])
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Count(strings.TrimSpace(string(csv)), "\n"); got != cells {
			t.Errorf("%s: %d csv rows, want %d (every row × 2 seeds)", tc.spec.name, got, cells)
		}
		decodePNG(t, rep.Files["chart "+synth.TmallLike], 600, 110)
		for _, kind := range tc.charts {
			decodePNG(t, rep.Files[kind], 600, 100)
		}
	}
}

// The curves a pretraining keeps are read back in step order, metric by metric, and the
// running mean smooths over its window.
func TestCurvesRoundTripAndSmooth(t *testing.T) {
	dir := t.TempDir()
	r := &curveRecorder{Run: tracking.Nop{}}
	for _, p := range []curvePoint{{"loss", 2, 3}, {"loss", 1, 5}, {"diag_E_rank", 1, 7}, {"samples_per_s", 1, 9}} {
		_ = r.LogMetric(p.metric, p.value, p.step)
	}
	if err := r.save(dir); err != nil {
		t.Fatal(err)
	}
	got, err := readCurves(dir)
	if err != nil {
		t.Fatal(err)
	}
	if l := got["loss"]; len(l) != 2 || l[0] != (plotter.XY{X: 1, Y: 5}) || l[1] != (plotter.XY{X: 2, Y: 3}) {
		t.Errorf("loss %v, want (1,5) then (2,3)", l)
	}
	if len(got["diag_E_rank"]) != 1 || len(got["samples_per_s"]) != 0 {
		t.Errorf("curves %v: want the rank kept and samples/s left out", got)
	}
	m := runningMean(plotter.XYs{{X: 1, Y: 2}, {X: 2, Y: 4}, {X: 3, Y: 9}}, 2)
	if m[0].Y != 2 || m[1].Y != 3 || m[2].Y != 6.5 {
		t.Errorf("running mean of 2: %v, want 2, 3, 6.5", m)
	}
}

// k-NN purity on hand-checked points: two tight groups on a line are pure; labels that
// alternate along it are not.
func TestKNNPurityHandCase(t *testing.T) {
	x := [][]float32{{0}, {1}, {2}, {10}, {11}, {12}}
	if got := knnPurity(x, []int32{0, 0, 0, 1, 1, 1}, 2); got != 1 {
		t.Errorf("two pure groups: purity %v, want 1", got)
	}
	// Alternating labels, k=2: the ends' neighbours are one same and one other (1/2); the
	// inner points' two nearest are both of the other label (0), except 2 and 10 whose
	// nearest pair is (1, 0) at distance 1 and 8: 2's are 1 (other) and 0 (same) = 1/2; 10's
	// are 11 (other) and 12 (same) = 1/2; 1's are 0, 2 (both other) = 0; 11's are 10, 12 = 0.
	want := (0.5 + 0 + 0.5 + 0.5 + 0 + 0.5) / 6
	if got := knnPurity(x, []int32{0, 1, 0, 1, 0, 1}, 2); math.Abs(got-want) > 1e-12 {
		t.Errorf("alternating labels: purity %v, want %v", got, want)
	}
	if got := baseRatePurity(map[string]int32{"a": 0, "b": 0, "c": 0, "d": 1}); got != 0.625 {
		t.Errorf("base rate of 3:1 = %v, want 0.75²+0.25² = 0.625", got)
	}
}

// Figure 6 end to end at a smoke budget: three encoders' E mapped by t-SNE, three scatter
// plots, the purity table and the paper's two findings.
func TestFig6AtASmokeBudget(t *testing.T) {
	testenv.SkipShort(t, "pretrains and finetunes on a generated data set, then three t-SNE maps")
	backend, info := smokeEngine(t)
	var log strings.Builder
	c := Config{Scale: "ci", Out: t.TempDir(), Backend: backend, Engine: info, Tracking: "off", Log: &log, Quiet: true,
		PretrainSettings: smokePretrain, FinetuneSettings: smokeFinetune}
	rep, err := runFig6(c)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	for _, want := range []string{"| Random init |", "| Pretrained BYB (Fig. 6a) |", "| Finetuned BYB (Fig. 6b) |",
		"Pretrained E groups users by the label", "Finetuned E is more classifiable"} {
		if !strings.Contains(rep.Markdown, want) {
			t.Errorf("fig6 lacks %q:\n%s", want, rep.Markdown)
		}
	}
	for _, m := range []string{"random", "pretrained", "finetuned"} {
		decodePNG(t, rep.Files["map "+m], 560, 130)
	}
}

// Rank correlation on hand-checked cases, ties included.
func TestSpearmanByHand(t *testing.T) {
	for _, tc := range []struct {
		x, y []float64
		want float64
	}{
		{[]float64{1, 2, 3, 4}, []float64{10, 20, 30, 40}, 1},
		{[]float64{1, 2, 3, 4}, []float64{4, 3, 2, 1}, -1},
		// Ranks of y: 1, 2.5, 2.5, 4 against 1..4: ρ = Σ(dx·dy)/√(Σdx²Σdy²) = 4.5/√(5·4.5).
		{[]float64{1, 2, 3, 4}, []float64{1, 5, 5, 9}, 4.5 / math.Sqrt(5*4.5)},
	} {
		if got := spearman(tc.x, tc.y); math.Abs(got-tc.want) > 1e-12 {
			t.Errorf("spearman(%v, %v) = %v, want %v", tc.x, tc.y, got, tc.want)
		}
	}
}

// A decaying series with a 7-step ripple shows period 7; the same decay alone does not.
func TestWeeklyPeriodFindsARippleUnderADecay(t *testing.T) {
	ripple, plain := make([]float64, 60), make([]float64, 60)
	for lag := range ripple {
		plain[lag] = math.Exp(-float64(lag) / 10)
		ripple[lag] = plain[lag] + 0.05*math.Cos(2*math.Pi*float64(lag)/7)
	}
	if r7, best := weeklyPeriod(ripple); best != 7 || r7 < 0.5 {
		t.Errorf("decay + period 7: autocorrelation at 7 = %.3f, strongest at %d; want 7 and > 0.5", r7, best)
	}
	if r7, _ := weeklyPeriod(plain); r7 > 0.5 {
		t.Errorf("decay alone: autocorrelation at 7 = %.3f, want no period", r7)
	}
}

// The higher-layers reading compares the upper half's mean with the lower half's.
func TestHigherLayersFinding(t *testing.T) {
	for _, c := range []struct {
		lag7 []float64
		want string
	}{
		{[]float64{0.3, 0.2, 0.2, 0.08}, "+0.140 in layers 3-4 against +0.250 in layers 1-2: does not hold"},
		{[]float64{0.1, 0.9, 0.3}, "+0.300 in layers 3-3 against +0.100 in layers 1-1: holds"},
		{[]float64{0.5}, "inconclusive (one layer)"},
	} {
		if got := higherLayersFinding(c.lag7); !strings.HasSuffix(got, c.want) {
			t.Errorf("higherLayersFinding(%v) = %q, want it to end %q", c.lag7, got, c.want)
		}
	}
}

// Figure 5 end to end at a smoke budget: a heatmap per layer, and the averaged maps are
// attention: each query's weights sum to 1 and, under the causal mask, are 0 on later keys.
func TestFig5AtASmokeBudget(t *testing.T) {
	testenv.SkipShort(t, "pretrains on a generated data set and averages its attention")
	backend, info := smokeEngine(t)
	var log strings.Builder
	c := Config{Scale: "ci", Out: t.TempDir(), Backend: backend, Engine: info, Tracking: "off", Log: &log, Quiet: true,
		PretrainSettings: smokePretrain}
	rep, err := runFig5(c)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	for _, want := range []string{"| 1 |", "Attention decays with distance", "A 7-day period", "strongest in the higher layers"} {
		if !strings.Contains(rep.Markdown, want) {
			t.Errorf("fig5 lacks %q:\n%s", want, rep.Markdown)
		}
	}
	decodePNG(t, rep.Files["layer 1"], 700, 80)
	dataDir, _ := ensureData(c, synth.MobileLike, 1, 0)
	runs, _ := filepath.Glob(filepath.Join(sharedRunsDir(c), "*", "byb-seed0-*"))
	if len(runs) != 1 {
		t.Fatalf("pretraining runs %v, want one", runs)
	}
	att, err := pipeline.Attention(pipeline.AttentionOptions{Model: runs[0], Data: dataDir, Users: 20, Last: 3, Backend: backend})
	if err != nil {
		t.Fatal(err)
	}
	L := att.Length
	for l, layer := range att.Layers {
		for q, row := range layer {
			pos := L - 3 + q // the query's position
			var sum float64
			for k, w := range row {
				sum += w
				if k > pos && w != 0 {
					t.Fatalf("layer %d query %d attends to the later key %d (%g)", l, pos, k, w)
				}
			}
			if math.Abs(sum-1) > 1e-4 {
				t.Errorf("layer %d query %d: weights sum to %v, want 1", l, pos, sum)
			}
		}
	}
}

// Table 4 end to end at a smoke budget on one task: a row per size, the configurations with
// their parameters — counted in the checkpoints, and equal to the Transformer's count by
// hand (positions, then per layer Q/K/V/output, the feed-forward pair and two norms) — and
// the AUROC-against-parameters plot.
func TestTable4AtASmokeBudget(t *testing.T) {
	testenv.SkipShort(t, "pretrains five BYB sizes on a generated data set")
	backend, info := xlaCPU(t)
	var log strings.Builder
	c := Config{Scale: "ci", Seeds: 1, Out: t.TempDir(), Backend: backend, Engine: info, Tracking: "off", Log: &log, Quiet: true,
		Tasks: []string{"Unbind-30d"}, Rows: []string{"base", "x2", "x4", "x8", "x16"}, PretrainSettings: smokePretrain, FinetuneSettings: smokeFinetune}
	rep, err := runTable(table4Spec, c)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	for _, want := range []string{"| Base×8 (deeper) | layers=16;ff=512 |", "| Base×16 (wider) | layers=8;ff=2816 |", "Base×8 (deeper) beats Base×16 (wider)", "(paper: 1 of 1)"} {
		if !strings.Contains(rep.Markdown, want) {
			t.Errorf("table4 lacks %q:\n%s", want, rep.Markdown)
		}
	}
	decodePNG(t, rep.Files["scaling "+synth.MobileLike], 600, 100)
	dirs, _ := filepath.Glob(filepath.Join(sharedRunsDir(c), "*", "byb-seed0-*"))
	if len(dirs) != len(table4Sizes) {
		t.Fatalf("runs %v, want one per size", dirs)
	}
	for _, dir := range dirs {
		cfg, err := train.ReadConfig(dir)
		if err != nil {
			t.Fatal(err)
		}
		d, ff, layers := paramInt(t, cfg.Params, "d"), paramInt(t, cfg.Params, "ff"), paramInt(t, cfg.Params, "layers")
		want := cfg.Windows*d + layers*(4*(d*d+d)+(d*ff+ff)+(ff*d+d)+2*2*d)
		got, total, err := finetune.ParamCounts(dir)
		if err != nil {
			t.Fatal(err)
		}
		if got != want || total <= got {
			t.Errorf("%s (d=%d ff=%d layers=%d, T=%d): %d Transformer parameters counted, %d by hand; encoder %d", dir, d, ff, layers, cfg.Windows, got, want, total)
		}
	}
}

func paramInt(t *testing.T, params map[string]any, name string) int {
	t.Helper()
	switch v := params[name].(type) {
	case float64:
		return int(v)
	case int:
		return v
	}
	t.Fatalf("param %s = %v (%T)", name, params[name], params[name])
	return 0
}

// `reproduce all` runs every registered experiment once.
func TestAllOrderHasEveryExperiment(t *testing.T) {
	got := append([]string(nil), AllOrder...)
	sort.Strings(got)
	if want := Names(); !reflect.DeepEqual(got, want) {
		t.Errorf("AllOrder %v, want each of %v once", AllOrder, want)
	}
}

// Table 3 end to end at a smoke size on tmall-like: every method's pretraining and FT-train
// measured in its own process at the data set's shape, the ratios to BYB, the findings and
// the three Figure 3 charts.
func TestTable3AtASmokeSize(t *testing.T) {
	testenv.SkipShort(t, "twelve throughput measurements, each in its own process")
	backend, info := xlaCPU(t)
	var log strings.Builder
	c := Config{Scale: "ci", Out: t.TempDir(), Backend: backend, Engine: info, Tracking: "off", Log: &log, Quiet: true,
		Presets: []string{synth.TmallLike}, PretrainSettings: params.MustParse("d=16;ff=32;heads=2;layers=1")}
	rep, err := runTable3(c)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	if strings.Contains(rep.Markdown, "failed") {
		t.Errorf("a measurement failed:\n%s\n%s", rep.Markdown, log.String())
	}
	for _, want := range []string{"| byb |", "| nbp |", "| msdp |", "| Supervised (w/ pooling) |", "BYB has the highest pretraining throughput", "BYB pretrains in less memory"} {
		if !strings.Contains(rep.Markdown, want) {
			t.Errorf("table3 lacks %q:\n%s", want, rep.Markdown)
		}
	}
	for _, fig := range []string{"throughput", "memory", "epoch"} {
		decodePNG(t, rep.Files[fig+" "+synth.TmallLike], 600, 110)
	}
	csv, err := os.ReadFile(rep.Files["csv"])
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(strings.TrimSpace(string(csv)), "\n"); n != 12 {
		t.Errorf("%d measurements in the csv, want 6 methods × 2 stages:\n%s", n, csv)
	}
	// Again: every measurement is read back (no process is started), and the table says so.
	again, err := runTable3(c)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(again.Markdown, "12 of the 12 measurements were read back") {
		t.Errorf("the second invocation does not report its cached measurements:\n%s", again.Markdown)
	}
	if csv2, _ := os.ReadFile(again.Files["csv"]); string(csv2) != string(csv) {
		t.Errorf("cached measurements differ:\n%s\nagainst\n%s", csv2, csv)
	}
}

// A reused run without curves.csv is named in the figure's note, not dropped silently, and
// the note is empty when every run has its curves.
func TestMissingCurvesNote(t *testing.T) {
	if got := missingCurvesNote(nil); got != "" {
		t.Errorf("no missing runs: got %q, want nothing", got)
	}
	got := missingCurvesNote([]string{"ΔT2 = 1 seed 0 (out/runs/a)", "ΔT2 = 1 seed 1 (out/runs/b)"})
	for _, want := range []string{"ΔT2 = 1 seed 0 (out/runs/a), ΔT2 = 1 seed 1 (out/runs/b)", curvesFile, "Delete the run's directory"} {
		if !strings.Contains(got, want) {
			t.Errorf("note %q lacks %q", got, want)
		}
	}
	dir := t.TempDir()
	if _, err := readCurves(dir); err == nil {
		t.Errorf("readCurves of a run without %s: no error", curvesFile)
	}
}
