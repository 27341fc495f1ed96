package tracking

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"time"
)

// Export writes runs as "csv" (one row per run: its columns, then one "param:K" column per
// param key and one "metric:K" column per metric key, with the final value) or "json" (an
// array of runs with their params and final metrics).
func Export(w io.Writer, format string, runs []RunInfo) error {
	switch format {
	case "json":
		if runs == nil {
			runs = []RunInfo{}
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(runs)
	case "csv":
		return exportCSV(w, runs)
	}
	return fmt.Errorf("tracking: export format %q: want csv or json", format)
}

func exportCSV(w io.Writer, runs []RunInfo) error {
	pset, mset := map[string]bool{}, map[string]bool{}
	for _, r := range runs {
		for k := range r.Params {
			pset[k] = true
		}
		for k := range r.Metrics {
			mset[k] = true
		}
	}
	pkeys, mkeys := sortedKeys(pset), sortedKeys(mset)
	cw := csv.NewWriter(w)
	head := []string{"id", "name", "experiment", "status", "start", "end", "duration_s", "engine", "git_commit",
		"seed", "parent_id", "dir", "end_reason"}
	for _, k := range pkeys {
		head = append(head, "param:"+k)
	}
	for _, k := range mkeys {
		head = append(head, "metric:"+k)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, r := range runs {
		seed := ""
		if r.Seed != nil {
			seed = strconv.FormatInt(*r.Seed, 10)
		}
		end := ""
		if !r.End.IsZero() {
			end = r.End.UTC().Format(time.RFC3339)
		}
		row := []string{r.ID, r.Name, r.Experiment, r.Status, r.Start.UTC().Format(time.RFC3339), end,
			strconv.FormatFloat(r.Duration().Seconds(), 'f', 1, 64), r.Engine, r.GitCommit, seed, r.ParentID, r.Dir, r.EndReason}
		for _, k := range pkeys {
			row = append(row, r.Params[k])
		}
		for _, k := range mkeys {
			v, ok := r.Metrics[k]
			switch {
			case !ok:
				row = append(row, "")
			case math.IsNaN(v):
				row = append(row, "NaN")
			default:
				row = append(row, strconv.FormatFloat(v, 'g', -1, 64))
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
