package data

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"text/tabwriter"
)

// Stats describes a dataset the way the paper's Table 8 does — per split: samples, behavior
// IDs, max/min/avg length, days, windows — plus the users without any behavior in each
// observation window and the class balance of every task.
type Stats struct {
	Name   string       `json:"name"`
	Source string       `json:"source"`
	Users  int          `json:"users"`
	Events int64        `json:"events"`
	First  string       `json:"first"` // first and last event day
	Last   string       `json:"last"`
	Fields []Field      `json:"fields"`
	Splits []SplitStats `json:"splits"`
	// Overlaps lists where pretraining reaches into the finetune or test periods (Overlaps).
	Overlaps []string `json:"overlaps,omitempty"`
	// Warnings are the import's warnings, kept in meta.json (Meta.Warnings).
	Warnings []string `json:"warnings,omitempty"`
}

// SplitStats are one split's Table 8 row and its label balance.
type SplitStats struct {
	Name               string         `json:"name"`
	Window             string         `json:"window"`       // observation window START..END (end exclusive)
	LabelWindow        string         `json:"label_window"` // OBS_END..OBS_END+longest horizon; "" for pretrain
	Days               int            `json:"days"`
	Samples            int            `json:"samples"`
	EmptyUsers         int            `json:"empty_users"` // users of the split with no behavior in the window
	BehaviorIDs        int            `json:"behavior_ids"`
	BehaviorIDsByField map[string]int `json:"behavior_ids_by_field"`
	MaxLen             int            `json:"max_len"`
	MinLen             int            `json:"min_len"`
	AvgLen             float64        `json:"avg_len"`
	Tasks              []TaskBalance  `json:"tasks,omitempty"`
}

// TaskBalance is the class balance of one task's labels in one split.
type TaskBalance struct {
	Task    string `json:"task"`
	Kind    string `json:"kind"`
	Labeled int    `json:"labeled"`
	Missing int    `json:"missing"`
	// Binary tasks.
	Positives    int     `json:"positives"`
	PositiveRate float64 `json:"positive_rate"`
	// PositiveClass is class 1, the one AUROC and KS score as positive ("1" for a rule that
	// holds; for labels from a file, the second class in sorted order).
	PositiveClass string `json:"positive_class,omitempty"`
	// Every task: classes with at least one label, the most frequent class and its share,
	// the label entropy in bits and its ratio to log2(number of classes).
	Classes        int     `json:"classes"`
	ClassesPresent int     `json:"classes_present"`
	TopClass       string  `json:"top_class"`
	TopShare       float64 `json:"top_share"`
	EntropyBits    float64 `json:"entropy_bits"`
	NormEntropy    float64 `json:"norm_entropy"`
}

// ComputeStats computes the statistics of a loaded dataset.
func ComputeStats(d *Dataset) (*Stats, error) {
	st := &Stats{Name: d.Meta.Name, Source: d.Meta.Source, Users: d.Meta.Users, Events: d.Meta.Events,
		Fields: d.Meta.Fields}
	if d.Meta.Events > 0 {
		st.First, st.Last = day(d.Meta.First), day(d.Meta.Last)
	}
	for _, sp := range d.Meta.Splits {
		s, err := d.Samples(sp.Name)
		if err != nil {
			return nil, err
		}
		ls := d.SplitStats(s)
		ss := SplitStats{Name: sp.Name, Window: sp.Obs.String(), Days: ls.Days, Samples: ls.Samples,
			EmptyUsers: d.Meta.EmptyUsers[sp.Name], BehaviorIDs: ls.DistinctIDs, MaxLen: ls.Max, MinLen: ls.Min,
			AvgLen: ls.Avg, BehaviorIDsByField: distinctByField(d, s)}
		if sp.Name != Pretrain && len(d.Meta.Tasks) > 0 {
			if h := Horizon(d.Meta.Tasks); h > 0 {
				ss.LabelWindow = Span{sp.Obs.End, sp.Obs.End + int64(h)*Day}.String()
			}
			for ti, t := range d.Meta.Tasks {
				if ti >= len(s.Labels) {
					break
				}
				ss.Tasks = append(ss.Tasks, Balance(t, s.Labels[ti]))
			}
		}
		st.Splits = append(st.Splits, ss)
	}
	st.Overlaps = Overlaps(d.Meta.Splits, Horizon(d.Meta.Tasks))
	st.Warnings = d.Meta.Warnings
	return st, nil
}

func distinctByField(d *Dataset, s *Samples) map[string]int {
	m := d.Meta.NumIDs()
	seen := make([]map[int32]bool, m)
	for j := range seen {
		seen[j] = map[int32]bool{}
	}
	for _, u := range s.Users {
		times, ids := d.Events(int(u))
		lo, hi := spanRange(times, s.Split.Obs)
		for e := lo; e < hi; e++ {
			for j := 0; j < m; j++ {
				if id := ids[e*m+j]; id >= FirstValue {
					seen[j][id] = true
				}
			}
		}
	}
	out := map[string]int{}
	for j, f := range d.Meta.Fields {
		out[f.Name] = len(seen[j])
	}
	return out
}

// Balance computes the class balance of a task's labels (-1 = missing).
func Balance(t Task, labels []int32) TaskBalance {
	b := TaskBalance{Task: t.Name, Kind: t.Kind, Classes: t.NumClasses()}
	counts := map[int32]int{}
	for _, y := range labels {
		if y < 0 {
			b.Missing++
			continue
		}
		b.Labeled++
		counts[y]++
	}
	b.ClassesPresent = len(counts)
	if b.Labeled == 0 {
		return b
	}
	keys := make([]int32, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i] < keys[j] })
	top := keys[0]
	for _, k := range keys {
		p := float64(counts[k]) / float64(b.Labeled)
		b.EntropyBits -= p * math.Log2(p)
		if counts[k] > counts[top] {
			top = k
		}
	}
	b.EntropyBits = round6(b.EntropyBits)
	b.TopShare = round6(float64(counts[top]) / float64(b.Labeled))
	b.TopClass = fmt.Sprint(top)
	if int(top) < len(t.Classes) {
		b.TopClass = t.Classes[top]
	}
	if b.Classes > 1 {
		b.NormEntropy = round6(b.EntropyBits / math.Log2(float64(b.Classes)))
	}
	if t.Kind == Binary {
		if len(t.Classes) == 2 {
			b.PositiveClass = t.Classes[1]
		}
		b.Positives = counts[1]
		b.PositiveRate = round6(float64(counts[1]) / float64(b.Labeled))
	}
	return b
}

func round6(x float64) float64 { return math.Round(x*1e6) / 1e6 }

// WriteText prints the statistics as aligned tables.
func (st *Stats) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "dataset %s (%s)\n", st.Name, st.Source)
	fmt.Fprintf(w, "%d users, %d behaviors, %s..%s\n", st.Users, st.Events, st.First, st.Last)
	fields := make([]string, len(st.Fields))
	for i, f := range st.Fields {
		fields[i] = fmt.Sprintf("%s (vocab %d, %d raw values, coverage %.4f)", f.Name, f.VocabSize, f.RawValues, f.Coverage)
	}
	fmt.Fprintf(w, "fields: %s\n\n", strings.Join(fields, "; "))

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "split\t# samples\t# empty users\t# beh. IDs\tmax len\tmin len\tavg len\t# days\tsplit window\tlabel window\t")
	for _, s := range st.Splits {
		lw := s.LabelWindow
		if lw == "" {
			lw = "-"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%.1f\t%d\t%s\t%s\t\n", s.Name, s.Samples, s.EmptyUsers, s.BehaviorIDs,
			s.MaxLen, s.MinLen, s.AvgLen, s.Days, s.Window, lw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, x := range st.Warnings {
		fmt.Fprintf(w, "warning: %s\n", x)
	}
	for _, o := range st.Overlaps {
		fmt.Fprintf(w, "note: %s\n", o)
	}
	fmt.Fprintln(w, "note: objectives with a prediction window (BYB) also read the ΔT2 pooling windows after the pretraining span")
	for _, s := range st.Splits {
		if len(s.Tasks) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s labels:\n", s.Name)
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "task\tkind\tlabeled\tmissing\tpositive rate (class)\tclasses present\ttop class\ttop share\tentropy (bits)\tnorm. entropy\t")
		for _, b := range s.Tasks {
			pos := "-"
			if b.Kind == Binary {
				pos = fmt.Sprintf("%.4f (%s)", b.PositiveRate, b.PositiveClass)
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%d/%d\t%s\t%.4f\t%.3f\t%.3f\t\n", b.Task, b.Kind, b.Labeled, b.Missing, pos,
				b.ClassesPresent, b.Classes, b.TopClass, b.TopShare, b.EntropyBits, b.NormEntropy)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	return nil
}
