package experiments

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"

	"github.com/byb-dev/byb/byb/data/synth"
	"github.com/byb-dev/byb/byb/params"
)

func init() {
	register(Experiment{Name: "ablations", Summary: "Tables 5-7: BYB without EMA, with MSE, without predictor, against Base, on both data sets (frozen AUROC) and E's collapse diagnostics",
		Run: func(c Config) (*Report, error) { return runTable(ablationsSpec, c) }})
}

// ablationRows are the paper's Table 5 versions, each a frozen BYB with one switch changed,
// with the paper's numbers (Tables 6 and 7), and two more readings of its CE loss.
var ablationRows = []tableRow{
	{Key: "base", Label: "Base", Method: "byb", Freeze: true,
		Paper: paperRow(0.5073, 0.5025, 0.4996, 0.4819, 0.9096, 0.8922, 0.668, 0.6592)},
	{Key: "no-ema", Label: "EMA (no EMA teacher)", Method: "byb", Freeze: true, Pretrain: params.MustParse("byb_ema=false"),
		Paper: paperRow(0.5082, 0.5019, 0.4984, 0.4815, 0.9099, 0.8900, 0.6605, 0.6568)},
	{Key: "mse", Label: "MSE (loss Eq. 11)", Method: "byb", Freeze: true, Pretrain: params.MustParse("byb_loss=mse"),
		Paper: paperRow(0.4997, 0.4940, 0.4900, 0.4731, 0.9126, 0.895, 0.6676, 0.6606)},
	{Key: "no-predictor", Label: "Predictor (no predictor)", Method: "byb", Freeze: true, Pretrain: params.MustParse("byb_predictor=false"),
		Paper: paperRow(0.3556, 0.3462, 0.3402, 0.3207, 0.5005, 0.5044, 0.4915, 0.4965)},
	// The paper's CE read two other ways (objective.CrossEntropyForm): Eq. 10 as written, and
	// the appendix's Algorithm 1 in PyTorch; Base is byb's reading. Not in the paper's tables.
	{Key: "ce-literal", Label: "CE as Eq. 10 reads (−Σ p̂·log p̄)", Method: "byb", Freeze: true, Pretrain: params.MustParse("byb_ce=literal")},
	{Key: "ce-algorithm1", Label: "CE as Algorithm 1 (prediction softmaxed twice)", Method: "byb", Freeze: true, Pretrain: params.MustParse("byb_ce=algorithm1")},
}

// ablationRowsWithReferences are the versions beside byb's reference rows.
var ablationRowsWithReferences = append(append([]tableRow{}, ablationRows...), referenceRows...)

var ablationsSpec = &tableSpec{
	name: "ablations", title: "Tables 6-7 (ablations)", rows: ablationRowsWithReferences, tasks: table2Tasks,
	claims: ablationClaims, figures: collapseFigures,
	presets: []string{synth.TmallLike, synth.MobileLike},
}

// ablationClaims states the paper's section 5.6 findings on one data set, from the paired
// per-seed differences, beside what the paper's own numbers say on the same tasks.
func ablationClaims(preset string, res map[string]map[string]*cellResult, tasks []string) string {
	var lines []string
	for _, cl := range []struct{ better, worse, what string }{
		{"base", "no-ema", "removing EMA is worse than Base"},
		{"base", "no-predictor", "removing the predictor is worse than Base"},
		{"mse", "base", "MSE beats CE (Base)"},
		{"base", "ce-literal", "Base's CE beats CE as Eq. 10 reads (byb's check)"},
		{"base", "ce-algorithm1", "Base's CE beats CE as Algorithm 1 computes it (byb's check)"},
		{"base", "random-freeze", "Base beats Random init (freeze) (byb's check)"},
		{"base", "bag", "Base beats Bag-of-IDs (byb's check)"},
	} {
		wins, t, judged := beats(res, cl.better, cl.worse, tasks)
		if t.n() == 0 {
			continue
		}
		paper := ""
		if k, n := paperBeats(ablationRows, cl.better, cl.worse, judged); n > 0 {
			paper = fmt.Sprintf(" (paper: %d of %d)", k, n)
		}
		lines = append(lines, fmt.Sprintf("- %s on %d of %d tasks by the mean%s: %s.", cl.what, wins, t.n(), paper, t))
	}
	return claimsSection(lines)
}

// collapseFigures draws E's collapse diagnostics over pretraining, per version (seed 0):
// the effective rank and the mean per-dimension standard deviation of E on each batch. A
// collapsed encoder's rank falls towards 1 and its spread towards 0.
func collapseFigures(c Config, out string, d tableData, runs []map[string]string, _ map[string]map[string]*cellResult) (map[string]string, string, error) {
	if len(runs) == 0 {
		return nil, "", nil
	}
	files := map[string]string{}
	missing := map[string]bool{}
	for _, m := range []struct{ metric, name, axis string }{
		{"diag_E_rank", "effective rank", "effective rank of E (batch)"},
		{"diag_E_std", "E spread", "mean per-dimension std of E"},
	} {
		var series []lineSeries
		for _, row := range ablationRows {
			dir := runs[0][row.pretrainKey()]
			if dir == "" {
				continue
			}
			curves, err := readCurves(dir)
			if err != nil {
				c.logf("[ablations] no curves for %s: %v", row.Label, err)
				missing[fmt.Sprintf("%s seed 0 (%s)", row.Label, dir)] = true
				continue
			}
			series = append(series, lineSeries{row.Label, curves[m.metric]})
		}
		path := filepath.Join(out, fmt.Sprintf("collapse-%s-%s.png", strings.ReplaceAll(m.name, " ", "-"), d.name))
		if err := linesPNG(path, fmt.Sprintf("%s · %s over pretraining (seed 0)", d.name, m.name), "step", m.axis, series, 1); err != nil {
			return files, "", err
		}
		files[m.name] = path
	}
	return files, collapseNote(runs[0]) + missingCurvesNote(slices.Sorted(maps.Keys(missing))), nil
}

// beats tallies the paired verdicts of "row a beats row b" on the tasks where both have
// values (judged), and counts those where a's mean is above b's (wins).
func beats(res map[string]map[string]*cellResult, a, b string, tasks []string) (wins int, t tally, judged []string) {
	for _, task := range tasks {
		v, diff, ok := pairedVerdict(res, a, b, task)
		if !ok {
			continue
		}
		t.add(v)
		judged = append(judged, task)
		if diff > 0 {
			wins++
		}
	}
	return wins, t, judged
}

// paperBeats counts the tasks where the paper's number of row a is above row b's.
func paperBeats(rows []tableRow, a, b string, tasks []string) (wins, n int) {
	var pa, pb map[string]float64
	for _, r := range rows {
		switch r.Key {
		case a:
			pa = r.Paper
		case b:
			pb = r.Paper
		}
	}
	for _, task := range tasks {
		va, okA := pa[task]
		vb, okB := pb[task]
		if okA && okB {
			n++
			if va > vb {
				wins++
			}
		}
	}
	return wins, n
}

// collapseNote lists, per version, E's effective rank and spread at the end of its seed-0
// pretraining: a rank near 1 is a collapsed encoder (every user mapped to one direction).
func collapseNote(runs map[string]string) string {
	var lines []string
	for _, row := range ablationRows {
		dir := runs[row.pretrainKey()]
		if dir == "" {
			continue
		}
		curves, err := readCurves(dir)
		if err != nil || len(curves["diag_E_rank"]) == 0 {
			continue
		}
		rank, std := curves["diag_E_rank"], curves["diag_E_std"]
		last := fmt.Sprintf("| %s | %.0f | %.2f → %.2f |", row.Label, rank[len(rank)-1].X, rank[0].Y, rank[len(rank)-1].Y)
		if len(std) > 0 {
			last += fmt.Sprintf(" %.4f → %.4f |", std[0].Y, std[len(std)-1].Y)
		} else {
			last += " – |"
		}
		lines = append(lines, last)
	}
	if len(lines) == 0 {
		return ""
	}
	return "E's collapse diagnostics over the seed-0 pretraining (first → last logged batch; an effective rank near 1 is a collapsed encoder):\n\n" +
		"| version | last step | effective rank of E | per-dimension std of E |\n|---|---|---|---|\n" + strings.Join(lines, "\n") + "\n"
}
