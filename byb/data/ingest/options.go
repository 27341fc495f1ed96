package ingest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/byb-dev/byb/byb/data"
)

// Options describe one import. Zero values take the format's defaults, so that
// Options{Format: "online-retail", In: ..., Out: ...} does what its README describes.
type Options struct {
	Format  string // csv, parquet, tmall, online-retail, recbole
	In, Out string // input file; output dataset directory
	Name    string // dataset name in meta.json (default: the input file name without its extensions)

	// Columns: the user, the time and the ID fields (csv, parquet; overrides for the others).
	// Without IDCols, every other column is an ID field (RecBole: every other :token column).
	UserCol, TimeCol string
	IDCols           []string
	TimeFormat       string // auto, unix, unix_ms, rfc3339, datetime, mmdd or a Go layout; "" = format default
	BaseYear         int    // year of MMDD times (default 2014)
	Delimiter        rune   // field separator of text formats (default: the format's)
	SkipBadRows      bool   // skip and count bad rows instead of failing

	// Joins add the attribute tables' columns as ID fields of every behavior, by a shared
	// ID field (--join FILE:KEY).
	Joins []Join

	// Time windows, either explicit (all three, "YYYY-MM-DD..YYYY-MM-DD", end exclusive) or
	// placed at the end of the data by data.DefaultSplits from PretrainDays, ObsDays and the
	// tasks' longest horizon (0 = the format's default, which for logs other than Tmall is
	// "everything before the window's end"; negative is an error).
	Pretrain, Finetune, Test string
	PretrainDays, ObsDays    int
	// TestUsers > 0 gives finetune and test disjoint users (this share goes to test);
	// < 0 turns off a format's default of user-disjoint splits.
	TestUsers float64

	// Tasks in data.ParseTask syntax; nil = the format's default tasks, empty = none.
	Tasks []string

	// Vocabulary: keep values seen at least MinCount times in the pretraining span (default
	// 1), at most MaxVocab per field (default 1,000,000; < 0 = no cap); the rest is OOV. A
	// MinCount that leaves a field no value is an error.
	MinCount, MaxVocab int
	// MaxVocabSet says that MaxVocab was given by the user (the CLI's --max-vocab): 0 is then
	// an error (it would keep no value), not the default.
	MaxVocabSet bool

	// Force replaces Out when it already holds a dataset; without it such an Out is refused.
	Force bool

	// MaxMemory caps the memory, in bytes, the parsed behaviors take while importing
	// (0 = DefaultMaxMemory; < 0 = no cap): beyond it they wait in temporary files (in
	// $TMPDIR), so a log larger than memory imports at the cost of disk. The users and the
	// distinct raw values stay in memory.
	MaxMemory int64

	// Progress receives periodic progress on big files and notes on choices made; nil is
	// silent.
	Progress io.Writer
}

// DefaultMaxMemory is the default memory budget of an import's parsed behaviors: 4 GiB,
// about 67 million behaviors of four ID fields.
const DefaultMaxMemory = 4 << 30

// DefaultMaxVocab is the default vocabulary cap per field.
const DefaultMaxVocab = 1_000_000

// check rejects options that cannot mean what they say, before any input is read: negative
// day counts, an explicit --max-vocab 0, and an Out that would be overwritten by surprise.
func (o *Options) check() error {
	for _, d := range []struct {
		flag string
		days int
	}{{"--pretrain-days", o.PretrainDays}, {"--obs-days", o.ObsDays}} {
		if d.days < 0 {
			return fmt.Errorf("%s %d: want a positive number of days, or 0 for the format's default", d.flag, d.days)
		}
	}
	if o.MaxVocabSet && o.MaxVocab == 0 {
		return fmt.Errorf("--max-vocab 0 would keep no value; use -1 for no cap or leave it out for the default %s", thousands(DefaultMaxVocab))
	}
	return checkOut(o.Out, o.Force)
}

// checkOut refuses an output directory that holds a dataset unless force (a second import
// would silently replace a dataset that runs were trained on), and any other non-empty
// directory even with force: --force replaces datasets, never a folder of other files.
// (data.Create refuses the latter too, but only once the whole input is read.)
func checkOut(out string, force bool) error {
	st, err := os.Stat(out)
	if err != nil {
		return nil // absent (or unreadable: creating it will say why)
	}
	if !st.IsDir() {
		return fmt.Errorf("--out %s exists and is not a directory: choose another --out", out)
	}
	if _, err := os.Stat(filepath.Join(out, "meta.json")); err == nil {
		if force {
			return nil
		}
		what := "unreadable meta.json"
		if m, err := data.ReadMeta(out); err == nil {
			what = fmt.Sprintf("%s, %s users, created %s", m.Name, thousands(int64(m.Users)), m.Created)
		}
		return fmt.Errorf("%s already holds a dataset (%s): pass --force to replace it, or choose another --out", out, what)
	}
	if entries, _ := os.ReadDir(out); len(entries) > 0 {
		return fmt.Errorf("--out %s exists, is not empty and is not a byb dataset (no meta.json): choose another --out (--force only replaces datasets)", out)
	}
	return nil
}
