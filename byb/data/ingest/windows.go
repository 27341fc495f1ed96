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

	explicit := o.Pretrain != "" || o.Finetune != "" || o.Test != ""
	if !explicit {
		pd, od := o.PretrainDays, o.ObsDays
		if pd <= 0 {
			pd = spec.pretrainDays
		}
		if od <= 0 {
			od = spec.obsDays
		}
		s, err := data.DefaultSplits(first, last, data.SplitOptions{PretrainDays: pd, ObsDays: od, HorizonDays: horizon, TestUsers: testUsers})
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
