package ingest

import (
	"fmt"
	"sort"
	"strings"
)

// Format names of Options.Format (the CLI's --format).
const (
	FormatCSV          = "csv"
	FormatParquet      = "parquet"
	FormatTmall        = "tmall"
	FormatOnlineRetail = "online-retail"
	FormatRecBole      = "recbole"
)

// allDays is a pretraining or observation length that reaches back to the first event
// (data.DefaultSplits clamps windows to the data).
const allDays = 1 << 20

// formatSpec is what an importer knows about one kind of file: how to read it, its columns
// and the defaults that make an import with no flags do what the paper (or the data set's
// README) does.
type formatSpec struct {
	name       string
	delim      rune // for text formats
	parquet    bool
	timeFormat string
	// Default windows and tasks (see Options).
	pretrainDays, obsDays int
	testUsers             float64
	tasks                 []string
	bind                  func(header []string, o *Options, file string) (*mapping, error)
}

var formats = map[string]*formatSpec{}

func registerFormat(f *formatSpec) { formats[f.name] = f }

// Formats lists the formats Import reads.
func Formats() []string {
	out := make([]string, 0, len(formats))
	for n := range formats {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

func lookupFormat(name string) (*formatSpec, error) {
	if f, ok := formats[name]; ok {
		return f, nil
	}
	return nil, fmt.Errorf("unknown format %q (want %s)", name, strings.Join(Formats(), ", "))
}

// genericBind maps columns named by the flags, defaulting to user_id and timestamp.
func genericBind(header []string, o *Options, file string) (*mapping, error) {
	return bindColumns(header, columnsSpec{
		user: or(o.UserCol, "user_id"), time: or(o.TimeCol, "timestamp"), ids: o.IDCols,
	}, file)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func init() {
	registerFormat(&formatSpec{name: FormatCSV, delim: ',', timeFormat: TimeAuto,
		pretrainDays: allDays, obsDays: allDays, bind: genericBind})
	registerFormat(&formatSpec{name: FormatParquet, parquet: true, timeFormat: TimeAuto,
		pretrainDays: allDays, obsDays: allDays, bind: genericBind})
}
