package experiments

import (
	"fmt"

	"github.com/byb-dev/byb/byb/data/synth"
)

func init() {
	register(Experiment{Name: "table2", Summary: "main results: every method, frozen and unfrozen, on both data sets (AUROC)", Run: func(c Config) (*Report, error) { return runTable(table2Spec, c) }})
}

// table2Spec is the paper's Table 2: every method, frozen and unfrozen, on both data sets.
var table2Spec = &tableSpec{
	name: "table2", title: "Table 2", rows: table2Rows, tasks: table2Tasks, claims: table2Claims,
	presets: []string{synth.TmallLike, synth.MobileLike},
}

// table2Rows in the paper's order, with its numbers (Table 2).
var table2Rows = []tableRow{
	{Key: "supervised", Label: "Supervised", Paper: paperRow(0.6267, 0.6239, 0.6223, 0.6147, 0.9218, 0.9132, 0.7462, 0.7215)},
	{Key: "mbmv1", Label: "MBMv1", Method: "mbmv1", Freeze: true, Paper: paperRow(0.4555, 0.4458, 0.4412, 0.4261, 0.6668, 0.6315, 0.5274, 0.5372)},
	{Key: "mbmv2", Label: "MBMv2", Method: "mbmv2", Freeze: true, Paper: paperRow(0.4644, 0.4556, 0.4498, 0.4341, 0.6260, 0.5998, 0.5498, 0.5503)},
	{Key: "nbp", Label: "NBP", Method: "nbp", Freeze: true, Paper: paperRow(0.3321, 0.3374, 0.3300, 0.3024, 0.8447, 0.7893, 0.6449, 0.6378)},
	{Key: "cts", Label: "CTS", Method: "cts", Freeze: true, Paper: paperRow(0.4394, 0.4274, 0.4226, 0.4060, 0.8032, 0.7815, 0.6607, 0.6509)},
	{Key: "msdp", Label: "MSDP", Method: "msdp", Freeze: true, Paper: paperRow(0.4799, 0.4686, 0.4620, 0.4476, 0.8893, 0.8900, 0.7425, 0.7226)},
	{Key: "byb-freeze", Label: "BYB(freeze)", Method: "byb", Freeze: true, Paper: paperRow(0.5779, 0.5673, 0.5618, 0.5456, 0.9134, 0.8950, 0.6823, 0.6702)},
	{Key: "byb-unfreeze", Label: "BYB(unfreeze)", Method: "byb", Paper: paperRow(0.6409, 0.6381, 0.6364, 0.6281, 0.9238, 0.9224, 0.7669, 0.7405)},
	{Key: "random-freeze", Label: "Random init (freeze)", Freeze: true, OursRef: true},
	{Key: "bag", Label: "Bag-of-IDs (logistic regression)", OursRef: true, Bag: true},
	hybridRows[0], hybridRows[1],
}

// The paper's task columns per data set.
var table2Tasks = map[string][]string{
	synth.TmallLike:  {"5-day", "10-day", "15-day", "30-day"},
	synth.MobileLike: {"Active-30d", "Login-90d", "Unbind-30d", "Unbind-90d"},
}

func paperRow(v ...float64) map[string]float64 {
	cols := append(append([]string{}, table2Tasks[synth.TmallLike]...), table2Tasks[synth.MobileLike]...)
	m := map[string]float64{}
	for i, c := range cols {
		m[c] = v[i]
	}
	return m
}

var (
	frozenPretrained = []string{"mbmv1", "mbmv2", "nbp", "cts", "msdp", "byb-freeze"}
	pretrainBaseline = []string{"mbmv1", "mbmv2", "nbp", "cts", "msdp"}
)

// table2Claims states, from the measured numbers and their seed spread, which of the paper's
// Table 2 claims hold here (paired per-seed differences, see pairedVerdict).
func table2Claims(preset string, res map[string]map[string]*cellResult, tasks []string) string {
	var lines []string
	say := func(format string, args ...any) { lines = append(lines, fmt.Sprintf(format, args...)) }

	// 1. BYB(freeze) is the best frozen pretrained model, by some margin over the second.
	if first, wins, rel := bestClaim(res, frozenPretrained, "byb-freeze", tasks); first.n() > 0 {
		gain := ""
		if len(rel) > 0 {
			m, _ := meanStd(rel)
			gain = fmt.Sprintf(", by %+.1f%% over the second best on average where it is best", 100*m)
		}
		say("- 1. BYB(freeze) is the best frozen pretrained model on %d of %d tasks%s (paper: 6 of 8, +3.9%%): %s.", wins, first.n(), gain, first)
	}

	// 2. BYB(unfreeze) beats Supervised.
	var unfrozen tally
	var rel2 []float64
	for _, t := range tasks {
		if v, _, ok := pairedVerdict(res, "byb-unfreeze", "supervised", t); ok {
			unfrozen.add(v)
			b, _ := meanOf(res, "byb-unfreeze", t)
			o, _ := meanOf(res, "supervised", t)
			rel2 = append(rel2, (b-o)/o)
		}
	}
	if unfrozen.n() > 0 {
		m, _ := meanStd(rel2)
		say("- 2. BYB(unfreeze) beats Supervised (paper: on 8 of 8 tasks, +1.3%%; here %+.1f%% on average): %s.", 100*m, unfrozen)
	}

	// 3. MSDP is the best pretraining baseline.
	if msdp, wins, _ := bestClaim(res, pretrainBaseline, "msdp", tasks); msdp.n() > 0 {
		say("- 3. MSDP is the best pretraining baseline on %d of %d tasks (paper: on every task): %s.", wins, msdp.n(), msdp)
	}

	// 4. byb's own checks: pretraining adds to the random encoder, and beats counting IDs.
	for _, ref := range []struct{ key, what string }{
		{"random-freeze", "Random init (freeze): pretraining helps"},
		{"bag", "Bag-of-IDs: the encoder beats counting IDs"},
	} {
		var t4 tally
		for _, t := range tasks {
			if v, _, ok := pairedVerdict(res, "byb-freeze", ref.key, t); ok {
				t4.add(v)
			}
		}
		if t4.n() > 0 {
			say("- 4. BYB(freeze) beats %s (byb's check, not the paper's): %s.", ref.what, t4)
		}
	}

	// 5. E adds to what counting IDs knows: against the bag alone, and against a random
	// encoder's E in the same regression.
	for _, ref := range []struct{ key, what string }{
		{"bag", "the bag alone"},
		{"bag-e-random", "Bag-of-IDs + E (random): pretraining's E adds more than a random encoder's"},
	} {
		if wins, t5, _ := beats(res, "bag-e-byb", ref.key, tasks); t5.n() > 0 {
			say("- 5. E adds to the bag: Bag-of-IDs + E (BYB) beats %s on %d of %d tasks by the mean (byb's check, not the paper's): %s.", ref.what, wins, t5.n(), t5)
		}
	}
	return claimsSection(lines)
}
