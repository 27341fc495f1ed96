package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/byb-dev/byb/byb/bench"
	"github.com/byb-dev/byb/byb/params"
)

// methodTable is this machine's Table 3 and Figure 3: for every method, pretraining and
// FT-train (unfrozen finetuning) samples/s and peak RSS at each shape, on one engine, each
// measurement in its own process, with every method's ratio to BYB. As in the paper the
// baselines' sequence model runs over the raw behaviors and BYB's (and Supervised's, which
// is FT-train from scratch) over the day-pooled windows.
func methodTable(shapeNames, methodNames []string, eng string, warmup, steps int, settings params.Set, jsonOut string) error {
	vocab := []int{10000, 100, 10}
	type cell struct{ pre, ft *bench.Result }
	var lines []string
	fmt.Printf("engine %s; samples/s (peak RSS MiB); ratio = method / BYB\n\n", eng)
	fmt.Println("| shape | method | pooled | pretrain samples/s | pretrain peak RSS MiB | FT-train samples/s | FT-train peak RSS MiB | pretrain / BYB | FT-train / BYB |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|")
	for _, name := range shapeNames {
		sh, ok := shapes[name]
		if !ok {
			return fmt.Errorf("unknown config %q (use a, b)", name)
		}
		n := sh.steps
		if steps > 0 {
			n = steps
		}
		cells := map[string]cell{}
		var order []string
		for _, m := range methodNames {
			pool := m == "byb"
			var c cell
			for _, stage := range []string{"pretrain", "finetune"} {
				cfg := bench.Config{Name: sh.name, Method: m, Stage: stage, Engine: eng, B: sh.B, N: sh.n, T: sh.T, Vocab: vocab,
					Pool: pool, Warmup: warmup, Steps: n, Settings: settings}
				fmt.Fprintf(os.Stderr, "%s %s %s pool=%v ...", sh.name, m, stage, pool)
				res, line, err := runChild(cfg)
				if err != nil {
					fmt.Fprintf(os.Stderr, " failed: %v\n", err)
					continue
				}
				fmt.Fprintf(os.Stderr, " %.1f samples/s, %.0f MiB\n", res.SamplesPerSec, res.PeakRSSMiB)
				lines = append(lines, line)
				if stage == "pretrain" {
					c.pre = res
				} else {
					c.ft = res
				}
			}
			cells[m] = c
			order = append(order, m)
		}
		ref := cells["byb"]
		for _, m := range order {
			c := cells[m]
			fmt.Printf("| %s | %s | %v | %s | %s | %s | %s | %s | %s |\n", sh.name, m, m == "byb",
				rate(c.pre), rss(c.pre), rate(c.ft), rss(c.ft), ratio(c.pre, ref.pre), ratio(c.ft, ref.ft))
		}
	}
	if jsonOut != "" {
		return os.WriteFile(jsonOut, []byte(strings.Join(lines, "\n")+"\n"), 0o644)
	}
	return nil
}

func rate(r *bench.Result) string {
	if r == nil {
		return "failed"
	}
	return fmt.Sprintf("%.1f", r.SamplesPerSec)
}

func rss(r *bench.Result) string {
	if r == nil {
		return "-"
	}
	return fmt.Sprintf("%.0f", r.PeakRSSMiB)
}

func ratio(r, ref *bench.Result) string {
	if r == nil || ref == nil || ref.SamplesPerSec == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", r.SamplesPerSec/ref.SamplesPerSec)
}
