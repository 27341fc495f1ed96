package data

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"time"
)

// FormatVersion is the version of the on-disk dataset layout written by this package.
const FormatVersion = 1

// Day is the length of one day in seconds; timestamps are unix seconds, days are UTC days.
const Day = int64(24 * 3600)

// Span is a half-open time interval [Start, End) in unix seconds.
type Span struct {
	Start int64 `json:"start"`
	End   int64 `json:"end"`
}

// Contains reports whether t lies in the span.
func (s Span) Contains(t int64) bool { return t >= s.Start && t < s.End }

// Days is the span's length in whole days (rounded up).
func (s Span) Days() int { return int((s.End - s.Start + Day - 1) / Day) }

// IsZero reports whether the span is unset.
func (s Span) IsZero() bool { return s.Start == 0 && s.End == 0 }

func (s Span) String() string {
	f := func(t int64) string { return time.Unix(t, 0).UTC().Format("2006-01-02") }
	return f(s.Start) + ".." + f(s.End)
}

// Split is one of the paper's three data subsets: pretrain, finetune and test. Each is an
// observation window over time; finetune and test are followed by label windows (one per
// task, starting at Obs.End, of the task's horizon). Optionally a split keeps only a hash
// range of users, so that finetune and test users can be made disjoint.
type Split struct {
	Name string `json:"name"`
	Obs  Span   `json:"obs"`
	// UserFrom/UserTo select users whose hash bucket (UserBucket, in [0,1)) lies in
	// [UserFrom, UserTo). 0 and 0 mean every user.
	UserFrom float64 `json:"user_from,omitempty"`
	UserTo   float64 `json:"user_to,omitempty"`
}

// HasUser reports whether the split keeps a user with the given raw id.
func (s Split) HasUser(rawID string) bool {
	if s.UserFrom == 0 && s.UserTo == 0 {
		return true
	}
	b := UserBucket(rawID)
	return b >= s.UserFrom && b < s.UserTo
}

// UserBucket maps a raw user id to a stable number in [0,1), used to split users: FNV-1a of
// the id, then SplitMix64's finaliser. FNV-1a alone is not enough: its top bits barely move
// between short ids that differ in their last characters, so the ids 1..943 (MovieLens) all
// landed below 0.7 and a 30% test split got none of them. The finaliser makes every output
// bit depend on every input bit, so the bucket is uniform for sequential numbers, prefixed
// strings and UUIDs alike (TestUserBucketIsUniform).
func UserBucket(rawID string) float64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(rawID); i++ {
		h ^= uint64(rawID[i])
		h *= 1099511628211
	}
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	return float64(h>>11) / float64(uint64(1)<<53)
}

// UserShareNotes warns, for every split that keeps a range of users, when the share of the
// dataset's users it kept is far from the range asked for: more than 2 points and more than
// four binomial standard deviations away (a few users cannot split exactly).
func UserShareNotes(m *Meta) []string {
	var notes []string
	for _, s := range m.Splits {
		kept, ok := m.SplitUsers[s.Name]
		if s.UserFrom == 0 && s.UserTo == 0 || !ok || m.Users == 0 {
			continue
		}
		want, got := s.UserTo-s.UserFrom, float64(kept)/float64(m.Users)
		sd := math.Sqrt(want * (1 - want) / float64(m.Users))
		if d := math.Abs(got - want); d > 0.02 && d > 4*sd {
			notes = append(notes, fmt.Sprintf("split %s kept %d of %d users (%.1f%%), far from the %.1f%% asked for: check the user ids",
				s.Name, kept, m.Users, 100*got, 100*want))
		}
	}
	return notes
}

// Split names.
const (
	Pretrain = "pretrain"
	Finetune = "finetune"
	Test     = "test"
)

// Field is one categorical ID field of a behavior (item, category, action...). Its
// vocabulary maps raw values to indices: 0 = no ID, 1 = out of vocabulary, 2.. = values.
type Field struct {
	Name      string  `json:"name"`
	VocabSize int     `json:"vocab_size"` // including the two reserved indices
	RawValues int64   `json:"raw_values"` // distinct raw values seen in the pretraining span
	Coverage  float64 `json:"coverage"`   // share of pretraining-span IDs that are in the vocabulary
}

// Meta is meta.json: everything about a dataset directory except the events themselves.
type Meta struct {
	Format  int     `json:"format"`
	Name    string  `json:"name"`
	Source  string  `json:"source"`  // how it was made: "synthetic tmall-like scale=ci seed=1", "import csv file.csv"
	Created string  `json:"created"` // RFC 3339
	Fields  []Field `json:"fields"`
	Users   int     `json:"users"`
	Events  int64   `json:"events"`
	First   int64   `json:"first"` // earliest and latest event time
	Last    int64   `json:"last"`
	Splits  []Split `json:"splits"`
	Tasks   []Task  `json:"tasks"`
	// Vocabulary settings used at build time, so that a re-import is reproducible.
	MinCount int `json:"min_count"`
	MaxVocab int `json:"max_vocab"`
	// Counts of users without any behavior in each split's observation window: they are not
	// samples of that split (reported by `byb data stats`, never silently dropped).
	EmptyUsers map[string]int `json:"empty_users,omitempty"`
	// SplitUsers are, per split that keeps a range of users, the users in its range (with or
	// without a behavior in its window).
	SplitUsers map[string]int `json:"split_users,omitempty"`
	// UnlabelledUsers are users written for pretraining only (Writer.AddUnlabelled): no
	// finetune or test split holds them (the data-scaling experiment's extra users).
	UnlabelledUsers int `json:"unlabelled_users,omitempty"`
	// Labels that could not be computed, per split and task (e.g. no behavior in the label
	// window for a most-frequent task).
	MissingLabels map[string]map[string]int `json:"missing_labels,omitempty"`
	// Rows skipped by --skip-bad-rows, with the first few reasons.
	SkippedRows  int      `json:"skipped_rows,omitempty"`
	SkipExamples []string `json:"skip_examples,omitempty"`
	// Warnings are what the import found questionable but kept (behaviors outside every
	// window, implausible times, duplicates, empty windows, one-class labels...), one
	// sentence each, so that `byb data stats` repeats them long after the import.
	Warnings []string `json:"warnings,omitempty"`
}

// NumIDs is m, the number of ID slots per behavior.
func (m *Meta) NumIDs() int { return len(m.Fields) }

// VocabSizes returns the vocabulary size of each ID slot (what embedding tables need).
func (m *Meta) VocabSizes() []int {
	v := make([]int, len(m.Fields))
	for i, f := range m.Fields {
		v[i] = f.VocabSize
	}
	return v
}

// Split returns the split with the given name.
func (m *Meta) Split(name string) (Split, error) {
	for _, s := range m.Splits {
		if s.Name == name {
			return s, nil
		}
	}
	return Split{}, fmt.Errorf("dataset %q has no split %q (it has %v)", m.Name, name, m.splitNames())
}

// Task returns the task with the given name.
func (m *Meta) Task(name string) (int, Task, error) {
	for i, t := range m.Tasks {
		if t.Name == name {
			return i, t, nil
		}
	}
	names := make([]string, len(m.Tasks))
	for i, t := range m.Tasks {
		names[i] = t.Name
	}
	return -1, Task{}, fmt.Errorf("dataset %q has no task %q (it has %v)", m.Name, name, names)
}

// FieldIndex returns the slot of the named field.
func (m *Meta) FieldIndex(name string) (int, error) {
	for i, f := range m.Fields {
		if f.Name == name {
			return i, nil
		}
	}
	return -1, fmt.Errorf("no ID field %q (fields: %v)", name, m.fieldNames())
}

func (m *Meta) splitNames() []string {
	out := make([]string, len(m.Splits))
	for i, s := range m.Splits {
		out[i] = s.Name
	}
	return out
}

func (m *Meta) fieldNames() []string {
	out := make([]string, len(m.Fields))
	for i, f := range m.Fields {
		out[i] = f.Name
	}
	return out
}

const metaFile = "meta.json"

// ReadMeta reads DIR/meta.json.
func ReadMeta(dir string) (*Meta, error) {
	b, err := os.ReadFile(filepath.Join(dir, metaFile))
	if err != nil {
		if os.IsNotExist(err) {
			return nil, fmt.Errorf("%s is not a byb dataset (no %s): create one with `byb data gen` or `byb data import`", dir, metaFile)
		}
		return nil, err
	}
	var m Meta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %v", filepath.Join(dir, metaFile), err)
	}
	if m.Format != FormatVersion {
		return nil, fmt.Errorf("%s: dataset format %d, this byb reads format %d: re-create the dataset", dir, m.Format, FormatVersion)
	}
	return &m, nil
}

func writeMeta(dir string, m *Meta) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, metaFile), append(b, '\n'), 0o644)
}
