package ingest

import "io"

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
	// "everything before the window's end").
	Pretrain, Finetune, Test string
	PretrainDays, ObsDays    int
	// TestUsers > 0 gives finetune and test disjoint users (this share goes to test);
	// < 0 turns off a format's default of user-disjoint splits.
	TestUsers float64

	// Tasks in data.ParseTask syntax; nil = the format's default tasks, empty = none.
	Tasks []string

	// Vocabulary: keep values seen at least MinCount times in the pretraining span (default
	// 1), at most MaxVocab per field (default 1,000,000; < 0 = no cap); the rest is OOV.
	MinCount, MaxVocab int

	// Progress receives periodic progress on big files and notes on choices made; nil is
	// silent.
	Progress io.Writer
}

// DefaultMaxVocab is the default vocabulary cap per field.
const DefaultMaxVocab = 1_000_000
