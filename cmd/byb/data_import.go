package main

import (
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/byb/data/ingest"
)

// byb data import: real logs → a dataset directory (byb/data/ingest does the work).
func init() {
	registerDataVerb(&command{name: "import", summary: "import a log (csv, parquet, tmall, online-retail, recbole) into a dataset", run: runDataImport})
}

// listFlag collects a repeated flag (--task A --task B).
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

const importDescription = `
Reads a log of behaviors (one row per behavior: a user, a time and one or more categorical
IDs) and writes a byb dataset directory: vocabularies, the pretraining, finetune and test
splits, and task labels. The output is written to a temporary directory and renamed, so a
failed import leaves nothing behind. An --out that already holds a dataset is refused unless
--force, which replaces it only once the new one is complete (never a folder of other files).

Formats and their defaults:
  csv            --user-col (user_id) --time-col (timestamp) --id-cols (every other column); .gz ok
  parquet        the same columns; TIMESTAMP and DATE columns are read as times, FLOAT and
                 DOUBLE time columns as unix seconds
  tmall          IJCAI-15 user_log_format1.csv: fields item, category, seller, brand, action;
                 MMDD times in --base-year; 120-day pretraining, 60-day observation windows;
                 tasks 5-day, 10-day, 15-day, 30-day = most_frequent:category:N (the paper's)
  online-retail  UCI Online Retail: fields item, action (purchase|cancel), quantity (log2
                 bucket); lines without a CustomerID are left out by design; task
                 churn=none_of:action:purchase:100 (no purchase 2011-09-01..2011-12-09 among
                 customers active before; cancellations do not count), finetune and test
                 split by user (--test-users 0.3)
  recbole        RecBole atomic .inter (tab-separated name:type header): user_id, timestamp,
                 the other :token columns as fields

Times (--time-format): auto (default for csv/parquet: tries mmdd for four digits, then unix
seconds or milliseconds by magnitude, rfc3339, datetime = YYYY-MM-DD[ HH:MM:SS]), unix,
unix_ms, rfc3339, datetime, mmdd, or a Go layout such as "02/01/2006 15:04".

Attribute tables (--join FILE:KEY[:COLS], repeated): a table with a header and one row per
KEY value (CSV, TSV or Parquet), e.g. a product table joined on PRODUCT_ID; its other columns
(or the COLS named) become ID fields of every behavior, before the vocabularies are built.

Windows: explicit --pretrain, --finetune, --test START..END (YYYY-MM-DD, end exclusive), or
placed at the end of the data from --pretrain-days, --obs-days and the tasks' longest horizon;
--test-users S gives finetune and test the same window and disjoint users.

Tasks (--task, repeated; --task none for no task):
  NAME=most_frequent:FIELD:DAYS   NAME=active:DAYS   NAME=inactive:DAYS
  NAME=any_of:FIELD:V1|V2:DAYS    NAME=none_of:FIELD:V1|V2:DAYS
  NAME=external:labels.csv  (user_id,label lines; with a header, the column named label)
  NAME=external:labels.csv:COLUMN  (the named column of a labels file with a header)
  NAME=column:users.csv:COLUMN[:bins=E1|E2|...|qN]  a column of a per-user table (a user_id,
                            user, userid or --user-col column), e.g. a demographics table;
                            numeric columns binned by edges or N quantiles
Labels from files have no time: finetune and test then get disjoint users (--test-users).
For binary tasks the positive class is the second class in sorted order (byb data stats).

Nothing is dropped silently. Bad rows fail with file:line (or are counted with
--skip-bad-rows); values that are not UTF-8 are bad rows. What is kept but questionable gets a
"warning: " line with counts, kept in meta.json and repeated by byb data stats: behaviors
outside every window, times before 1970 or more than a year ahead, duplicate behaviors (same
user, time and IDs; kept), label windows without behaviors, fields without a value in the
pretraining span, finetune and test observation windows of different lengths, tasks whose
finetune or test labels have one class (AUROC undefined) or none. A split without samples, a --min-count that leaves a field no value,
--max-vocab 0 and negative day counts are errors.

Example:
  byb data import --format online-retail --in ../shared/data/online-retail/online_retail.csv.gz --out data/retail
`

func runDataImport(args []string) error {
	fs := newFlagSet("data import", "data import --format F --in PATH --out DIR [flags]", importDescription)
	var c commonFlags
	c.register(fs, false)
	var o ingest.Options
	var idCols, delim string
	var tasks, joins listFlag
	fs.StringVar(&o.Format, "format", "", "input format: "+strings.Join(ingest.Formats(), " | "))
	fs.StringVar(&o.In, "in", "", "input file, or a directory of its shards (one file each, read in name order; _SUCCESS and other _ or . files skipped)")
	fs.StringVar(&o.Out, "out", "", "output dataset directory")
	fs.StringVar(&o.Name, "name", "", "dataset name (default: the input file name without its extensions, e.g. online_retail for online_retail.csv.gz)")
	fs.StringVar(&o.UserCol, "user-col", "", "user column (default: the format's)")
	fs.StringVar(&o.TimeCol, "time-col", "", "time column (default: the format's)")
	fs.StringVar(&idCols, "id-cols", "", "comma-separated ID columns, one field each (default: the format's)")
	fs.StringVar(&o.TimeFormat, "time-format", "", "auto | unix | unix_ms | rfc3339 | datetime | mmdd | Go layout (default: the format's)")
	fs.IntVar(&o.BaseYear, "base-year", 2014, "year of MMDD times (the Tmall log)")
	fs.StringVar(&delim, "delimiter", "", `field separator of text files: one character, or "tab" (default: the format's)`)
	fs.BoolVar(&o.SkipBadRows, "skip-bad-rows", false, "skip and count bad rows instead of failing")
	fs.StringVar(&o.Pretrain, "pretrain", "", "pretraining span START..END (YYYY-MM-DD, end exclusive)")
	fs.StringVar(&o.Finetune, "finetune", "", "finetune observation window START..END")
	fs.StringVar(&o.Test, "test", "", "test observation window START..END")
	fs.IntVar(&o.PretrainDays, "pretrain-days", 0, "pretraining span in days, ending where the finetune observation window ends (0 = the format's default: 120 for tmall, all history otherwise)")
	fs.IntVar(&o.ObsDays, "obs-days", 0, "finetune and test observation windows in days (0 = the format's default: 60 for tmall, all history otherwise)")
	fs.Float64Var(&o.TestUsers, "test-users", 0, "share of users for test, disjoint from finetune, with one shared window (0 = the format's default: 0.3 for online-retail and external tasks, else off; -1 = off)")
	fs.Var(&joins, "join", "attribute table FILE:KEY[:COL1,COL2] joined on the ID field KEY; its other columns (or COLs) become ID fields of every behavior; repeated")
	fs.Var(&tasks, "task", "downstream task NAME=RULE:ARGS, repeated (default: the format's; none = no task)")
	fs.IntVar(&o.MinCount, "min-count", 1, "keep ID values seen at least this often in the pretraining span")
	fs.IntVar(&o.MaxVocab, "max-vocab", ingest.DefaultMaxVocab, "keep at most this many values per field (-1 = no cap; 0 is an error); the rest is out-of-vocabulary")
	fs.BoolVar(&o.Force, "force", false, "replace the dataset already at --out")
	maxMemory := fs.String("max-memory", humanize.IBytes(ingest.DefaultMaxMemory), `memory for the parsed behaviors, e.g. 512MiB or 16GiB; beyond it they wait in temporary files in $TMPDIR ("none" = no cap)`)
	if err := parse(fs, args); err != nil {
		return err
	}
	// Options.MaxVocab 0 means the default; given on the command line it means "keep nothing",
	// which the importer refuses when told it was explicit.
	fs.Visit(func(f *flag.Flag) { o.MaxVocabSet = o.MaxVocabSet || f.Name == "max-vocab" })
	if *maxMemory == "none" {
		o.MaxMemory = -1
	} else if n, err := humanize.ParseBytes(*maxMemory); err != nil || n == 0 {
		return fmt.Errorf("--max-memory %q: want a size such as 512MiB or 16GiB, or none", *maxMemory)
	} else {
		o.MaxMemory = int64(n)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q: every input is a flag (--in PATH)", fs.Args())
	}
	if o.Format == "" || o.In == "" || o.Out == "" {
		return fmt.Errorf("data import needs --format, --in and --out (see `byb data import --help`)")
	}
	if idCols != "" {
		for _, col := range strings.Split(idCols, ",") {
			if col = strings.TrimSpace(col); col != "" {
				o.IDCols = append(o.IDCols, col)
			}
		}
	}
	switch {
	case delim == "":
	case delim == "tab" || delim == `\t`:
		o.Delimiter = '\t'
	case len([]rune(delim)) == 1:
		o.Delimiter = []rune(delim)[0]
	default:
		return fmt.Errorf("--delimiter %q: want one character or \"tab\"", delim)
	}
	for _, j := range joins {
		join, err := ingest.ParseJoin(j)
		if err != nil {
			return err
		}
		o.Joins = append(o.Joins, join)
	}
	switch {
	case len(tasks) == 1 && tasks[0] == "none":
		o.Tasks = []string{}
	case len(tasks) > 0:
		o.Tasks = tasks
	}
	o.Progress = os.Stderr
	run, finish, err := c.beginRun(runSpec{experiment: "data", name: "import " + o.Format, dir: o.Out,
		params: map[string]string{"command": "data import", "format": o.Format, "in": o.In, "data": o.Out}})
	if err != nil {
		return err
	}
	res, err := ingest.Import(o)
	if err == nil {
		run.LogMetric("users", float64(res.Meta.Users), 0)
		run.LogMetric("events", float64(res.Meta.Events), 0)
		run.LogMetric("skipped_rows", float64(res.Skipped), 0)
		run.LogMetric("seconds", res.Seconds, 0)
		run.LogArtifact(o.Out, "dataset")
	}
	if err := finish(err); err != nil {
		return err
	}
	for _, n := range res.Notes {
		fmt.Fprintf(os.Stderr, "note: %s\n", n)
	}
	fmt.Fprintln(os.Stderr, res.Summary())
	if c.json {
		return emitJSON(struct {
			*data.Meta
			Import *ingest.Result `json:"import"`
		}{res.Meta, res})
	}
	return nil
}
