package ingest

import (
	"fmt"

	"github.com/byb-dev/byb/byb/data"
)

// externalTestUsers is the test share used when a task has external labels: those labels
// have no time, so finetune and test must differ by user, not by window.
const externalTestUsers = 0.3

// chooseSplits returns the pretrain, finetune and test splits, and notes on what it chose.
func chooseSplits(o *Options, spec *formatSpec, first, last int64, tasks []data.Task) ([]data.Split, []string, error) {
	var notes []string
	horizon := data.Horizon(tasks)
	testUsers := o.TestUsers
	if testUsers == 0 {
		testUsers = spec.testUsers
		for _, t := range tasks {
			if t.FromFile() && testUsers == 0 {
				testUsers = externalTestUsers
				notes = append(notes, fmt.Sprintf("task %s has labels from a file (no time): finetune and test get disjoint users, %.0f%% to test (--test-users)", t.Name, 100*testUsers))
			}
		}
	}
	if testUsers < 0 {
		testUsers = 0
	}
	if testUsers >= 1 {
		return nil, nil, fmt.Errorf("--test-users %v: want a share of users in (0,1)", testUsers)
	}

	if !explicitWindows(o) {
		pd := o.PretrainDays
		if pd <= 0 {
			pd = spec.pretrainDays
		}
		od := obsDays(o, spec)
		s, err := data.DefaultSplits(first, last, data.SplitOptions{PretrainDays: pd, ObsDays: od, HorizonDays: horizon, TestUsers: testUsers})
		if err == nil && od != allDays && s[1].Obs.Days() < od {
			notes = append(notes, fmt.Sprintf("the finetune and test observation windows are %d days long, not %d: the data begin too late for more before the finetune window's end (%s)",
				s[1].Obs.Days(), od, s[1].Obs))
		}
		return s, notes, err
	}

	if o.Pretrain == "" || o.Finetune == "" || o.Test == "" {
		return nil, nil, fmt.Errorf("explicit windows need all of --pretrain, --finetune and --test (YYYY-MM-DD..YYYY-MM-DD), or none of them")
	}
	var splits []data.Split
	for _, w := range []struct{ name, span string }{{data.Pretrain, o.Pretrain}, {data.Finetune, o.Finetune}, {data.Test, o.Test}} {
		sp, err := data.ParseSpan(w.span)
		if err != nil {
			return nil, nil, fmt.Errorf("--%s: %v", w.name, err)
		}
		splits = append(splits, data.Split{Name: w.name, Obs: sp})
	}
	if testUsers > 0 {
		splits[1].UserFrom, splits[1].UserTo = 0, 1-testUsers
		splits[2].UserFrom, splits[2].UserTo = 1-testUsers, 1
	}
	// Windows outside the data are allowed (the user chose them) but reported.
	end := last/data.Day*data.Day + data.Day
	h := int64(horizon) * data.Day
	for _, s := range splits[1:] {
		if s.Obs.End+h > end {
			notes = append(notes, fmt.Sprintf("the %s label windows (%d days after %s) reach past the end of the data (%s): late labels see too few behaviors",
				s.Name, horizon, s.Obs, data.Span{Start: end - data.Day, End: end}))
		}
	}
	if testUsers == 0 && splits[1].Obs.End+h > splits[2].Obs.End {
		notes = append(notes, "finetune label windows reach into the test observation window: test users' futures leak into finetuning; end --finetune earlier or pass --test-users")
	}
	if splits[0].Obs.End > splits[2].Obs.End {
		notes = append(notes, "the pretraining span ends after the test observation window: pretraining sees the test label period")
	}
	return splits, notes, nil
}

// explicitWindows reports whether the windows are given (--pretrain, --finetune, --test) rather
// than placed at the end of the data.
func explicitWindows(o *Options) bool { return o.Pretrain != "" || o.Finetune != "" || o.Test != "" }

// obsDays is the length asked for the finetune and test observation windows placed at the end
// of the data (allDays: all history before each window's end).
func obsDays(o *Options, spec *formatSpec) int {
	if o.ObsDays > 0 {
		return o.ObsDays
	}
	return spec.obsDays
}

// obsLengthWarning warns when explicit finetune and test observation windows differ in
// length: byb finetune refuses such a dataset (a model finetuned on histories of one length
// would be tested on histories of another). Windows placed at the end of the data always
// have one length (data.DefaultSplits).
func obsLengthWarning(o *Options, splits []data.Split) string {
	if !explicitWindows(o) {
		return ""
	}
	var ft, test data.Span
	for _, s := range splits {
		switch s.Name {
		case data.Finetune:
			ft = s.Obs
		case data.Test:
			test = s.Obs
		}
	}
	if ft.Days() == test.Days() {
		return ""
	}
	return fmt.Sprintf("the finetune observation window %s is %d days long, the test one %s %d days: byb finetune refuses windows of two lengths (a model finetuned on %d-day histories would be tested on %d-day ones); give --finetune and --test the same length",
		ft, ft.Days(), test, test.Days(), ft.Days(), test.Days())
}
