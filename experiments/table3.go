package experiments

import (
	"encoding/json"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/byb-dev/byb/byb/bench"
	"github.com/byb-dev/byb/byb/data/synth"
	"github.com/byb-dev/byb/byb/pipeline"
)

func init() {
	register(Experiment{Name: "table3", Summary: "Table 3 and Figure 3: every method's pretraining and finetuning throughput, epoch time and peak memory at each data set's shapes",
		Run: runTable3})
}

// table3Methods in the paper's order; BYB runs over the day-pooled windows, the baselines
// over the raw behaviors (the paper's setting). Supervised (w/ pooling) trains BYB's
// encoder from scratch with a head: its FT-train is BYB's.
var table3Methods = []string{"byb", "nbp", "mbmv1", "mbmv2", "cts", "msdp"}

// table3Steps: timed steps per measurement (after one untimed step, which compiles).
var table3Steps = map[string]int{"ci": 2, "small": 5, "paper": 20}

// table3Batch is B of every measurement: the table budget's.
const table3Batch = 32

type table3Cell struct{ pre, ft *bench.Result }

func runTable3(c Config) (*Report, error) {
	steps, ok := table3Steps[c.Scale]
	if !ok {
		return nil, fmt.Errorf("unknown scale %q (ci, small, paper)", c.Scale)
	}
	presets := c.Presets
	if len(presets) == 0 {
		presets = []string{synth.TmallLike, synth.MobileLike}
	}
	out := filepath.Join(c.Out, "table3-"+c.Scale)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	tr, err := newTracker(c, "table3", map[string]string{"scale": c.Scale, "presets": strings.Join(presets, ","), "settings": c.PretrainSettings.String()})
	if err != nil {
		return nil, err
	}
	start := time.Now()
	rep := &Report{Files: map[string]string{}}
	var md, csv strings.Builder
	fmt.Fprintf(&md, "# Table 3 and Figure 3 (scale %s, engine %s)\n\n", c.Scale, c.Engine.Config)
	fmt.Fprintf(&md, "Training throughput (samples/s) and the peak resident memory of the process, every measurement in a fresh process on random batches of the data set's shape (B=%d, n = the 95th percentile of its pretraining lengths, T its days, its vocabularies), %d timed steps after one untimed (compiling) step; epoch time = pretraining users / samples/s. BYB over the day-pooled windows, the baselines over the raw behaviors (the paper's setting); Supervised (w/ pooling) is BYB's encoder trained from scratch with a head, so its FT-train is BYB's. One measurement each on a shared machine: read the ratios, not the rates.\n\n", table3Batch, steps)
	csv.WriteString("dataset,method,stage,n,T,samples_per_s,peak_rss_mib\n")
	total := len(presets) * len(table3Methods) * 2
	done, reused := 0, 0
	for _, preset := range presets {
		dir, err := ensureData(c, preset, 1, 0)
		if err != nil {
			return nil, tr.fail(err)
		}
		vocab, n, windows, users, err := pipeline.PretrainShape(dir)
		if err != nil {
			return nil, tr.fail(err)
		}
		cells := map[string]table3Cell{}
		for _, m := range table3Methods {
			var cell table3Cell
			for _, stage := range []string{"pretrain", "finetune"} {
				cfg := bench.Config{Name: preset, Method: m, Stage: stage, Engine: c.Engine.Config, B: table3Batch, N: n, T: windows,
					Vocab: vocab, Pool: m == "byb", Warmup: 1, Steps: steps, Settings: c.PretrainSettings}
				res, cached, err := measure(out, cfg)
				done++
				if err != nil {
					c.logf("[table3] %s %s %s: %v", preset, m, stage, err)
					continue
				}
				note := ""
				if cached {
					reused++
					note = " (cached)"
				}
				c.logf("[table3] %d/%d %s %s %s: %.1f samples/s, %.0f MiB%s", done, total, preset, m, stage, res.SamplesPerSec, res.PeakRSSMiB, note)
				fmt.Fprintf(&csv, "%s,%s,%s,%d,%d,%.4f,%.1f\n", preset, m, stage, n, windows, res.SamplesPerSec, res.PeakRSSMiB)
				if stage == "pretrain" {
					cell.pre = res
				} else {
					cell.ft = res
				}
			}
			cells[m] = cell
		}
		md.WriteString(table3Section(preset, n, windows, users, cells))
		for _, fig := range []struct{ name, axis string }{{"throughput", "samples/s"}, {"memory", "peak RSS (MiB)"}, {"epoch", "pretraining epoch (minutes)"}} {
			png := filepath.Join(out, fmt.Sprintf("fig3-%s-%s.png", fig.name, preset))
			if err := barsPNG(png, fmt.Sprintf("%s · %s per method (n=%d raw, T=%d pooled)", preset, fig.axis, n, windows), fig.axis, 0,
				table3Bars(), table3Groups(fig.name), table3Values(fig.name, cells, users)); err != nil {
				c.logf("[table3] %s: %v", png, err)
				continue
			}
			rep.Files[fig.name+" "+preset] = png
			tr.artifact(png, "figure")
		}
	}
	if reused > 0 {
		fmt.Fprintf(&md, "%d of the %d measurements were read back from an earlier invocation (%s): they are from another moment of the machine. ", reused, total, filepath.Join(out, "cells"))
	}
	fmt.Fprintf(&md, "Measured in %s.\n", time.Since(start).Round(time.Second))
	rep.Markdown = md.String()
	for name, body := range map[string]string{"table3.md": rep.Markdown, "table3.csv": csv.String()} {
		path := filepath.Join(out, name)
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			return nil, tr.fail(err)
		}
		rep.Files[strings.TrimPrefix(filepath.Ext(name), ".")] = path
		tr.artifact(path, "table")
	}
	rep.RunID = tr.id()
	return rep, tr.finish(nil)
}

func table3Bars() []barRow {
	rows := []barRow{}
	for _, m := range table3Methods {
		rows = append(rows, barRow{m, strings.ToUpper(m)})
	}
	return rows
}

func table3Groups(fig string) []string {
	if fig == "epoch" {
		return []string{"pretrain"}
	}
	return []string{"pretrain", "FT-train"}
}

// table3Values are one figure's bars: method → group → one value.
func table3Values(fig string, cells map[string]table3Cell, users int) map[string]map[string]*cellResult {
	out := map[string]map[string]*cellResult{}
	for m, cell := range cells {
		out[m] = map[string]*cellResult{}
		for group, r := range map[string]*bench.Result{"pretrain": cell.pre, "FT-train": cell.ft} {
			if r == nil {
				continue
			}
			v := r.SamplesPerSec
			switch fig {
			case "memory":
				v = r.PeakRSSMiB
			case "epoch":
				if group != "pretrain" || v == 0 {
					continue
				}
				v = float64(users) / v / 60
			}
			out[m][group] = &cellResult{values: []float64{v}}
		}
	}
	return out
}

// table3Section is one data set's table with each method's ratio to BYB, and the paper's
// section 5.3 findings.
func table3Section(preset string, n, windows, users int, cells map[string]table3Cell) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## %s (n = %d raw behaviors, T = %d pooled windows, %d pretraining users)\n\n", preset, n, windows, users)
	b.WriteString("| method | pretrain samples/s | pretrain peak RSS MiB | pretraining epoch (min) | FT-train samples/s | FT-train peak RSS MiB | pretrain / BYB | FT-train / BYB |\n|---|---|---|---|---|---|---|---|\n")
	ref := cells["byb"]
	rate := func(r *bench.Result) string {
		if r == nil {
			return "failed"
		}
		return fmt.Sprintf("%.1f", r.SamplesPerSec)
	}
	mem := func(r *bench.Result) string {
		if r == nil {
			return "–"
		}
		return fmt.Sprintf("%.0f", r.PeakRSSMiB)
	}
	ratio := func(r, base *bench.Result) string {
		if r == nil || base == nil || base.SamplesPerSec == 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f", r.SamplesPerSec/base.SamplesPerSec)
	}
	for _, m := range table3Methods {
		c := cells[m]
		epoch := "–"
		if c.pre != nil && c.pre.SamplesPerSec > 0 {
			epoch = fmt.Sprintf("%.1f", float64(users)/c.pre.SamplesPerSec/60)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", m, rate(c.pre), mem(c.pre), epoch, rate(c.ft), mem(c.ft), ratio(c.pre, ref.pre), ratio(c.ft, ref.ft))
	}
	fmt.Fprintf(&b, "| Supervised (w/ pooling) | – | – | – | %s | %s | – | %s |\n\n", rate(ref.ft), mem(ref.ft), ratio(ref.ft, ref.ft))
	b.WriteString(table3Findings(cells))
	return b.String()
}

// table3Findings compares BYB with the best baseline on each measure (one measurement each:
// "yes" or "no", no verdict beyond it).
func table3Findings(cells map[string]table3Cell) string {
	ref := cells["byb"]
	if ref.pre == nil || ref.ft == nil {
		return "BYB's measurement failed: no finding.\n\n"
	}
	bestPre, bestFT, leastMem := 0.0, 0.0, math.Inf(1)
	for _, m := range table3Methods[1:] {
		c := cells[m]
		if c.pre != nil {
			bestPre = math.Max(bestPre, c.pre.SamplesPerSec)
			leastMem = math.Min(leastMem, c.pre.PeakRSSMiB)
		}
		if c.ft != nil {
			bestFT = math.Max(bestFT, c.ft.SamplesPerSec)
		}
	}
	yes := func(ok bool) string {
		if ok {
			return "yes"
		}
		return "no"
	}
	var b strings.Builder
	b.WriteString("Findings (one measurement each):\n\n")
	fmt.Fprintf(&b, "- BYB has the highest pretraining throughput (paper: on both data sets, +98.9%% over the second best on average, +162%% on Mobile): %s, %+.0f%% over the best baseline.\n", yes(ref.pre.SamplesPerSec > bestPre), 100*(ref.pre.SamplesPerSec/bestPre-1))
	fmt.Fprintf(&b, "- BYB's FT-train throughput exceeds every pretraining baseline's (paper): %s, %+.0f%%.\n", yes(ref.ft.SamplesPerSec > bestFT), 100*(ref.ft.SamplesPerSec/bestFT-1))
	fmt.Fprintf(&b, "- BYB pretrains in less memory than every baseline (paper, Fig. 3): %s, %.0f MiB against %.0f MiB at least.\n\n", yes(ref.pre.PeakRSSMiB < leastMem), ref.pre.PeakRSSMiB, leastMem)
	return b.String()
}

// measure runs cfg in a fresh process, or reads back the result an earlier invocation kept
// for the same configuration (the table resumes measurement by measurement).
func measure(out string, cfg bench.Config) (res *bench.Result, cached bool, err error) {
	key, _ := json.Marshal(cfg)
	path := filepath.Join(out, "cells", fmt.Sprintf("%s-%s-%s-%08x.json", cfg.Name, cfg.Method, cfg.Stage, crc32.ChecksumIEEE(key)))
	if b, err := os.ReadFile(path); err == nil {
		var r bench.Result
		if json.Unmarshal(b, &r) == nil && r.SamplesPerSec > 0 {
			return &r, true, nil
		}
	}
	if res, _, err = bench.RunIsolated(cfg); err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, false, err
	}
	b, _ := json.Marshal(res)
	return res, false, writeAtomic(path, b)
}
