package ingest

import (
	"fmt"
	"strings"
)

// RecBole atomic files (.inter): tab-separated, with a header of name:type columns, e.g.
//
//	user_id:token	item_id:token	rating:float	timestamp:float
//
// The user is the user_id column, the time the timestamp column (unix seconds, possibly
// with a fractional part), and the ID fields are the other :token columns, named without
// their type. --user-col, --time-col and --id-cols take names with or without the type.
func init() {
	registerFormat(&formatSpec{
		name: FormatRecBole, delim: '\t', timeFormat: TimeUnix,
		pretrainDays: allDays, obsDays: allDays,
		bind: bindRecBole,
	})
}

func bindRecBole(header []string, o *Options, file string) (*mapping, error) {
	// A header read as one column, holding another separator: a comma-separated export
	// would otherwise fail later on a column "name" of type "token,item_id".
	if d, n := likelyDelimiter(header[0]); len(header) == 1 && d != '\t' && n > 0 {
		return nil, fmt.Errorf("%s: the header has no tab: RecBole atomic files are tab-separated, and this one seems separated by %q: pass --delimiter %c, or convert it to tabs", file, d, d)
	}
	names := make([]string, len(header))
	types := make([]string, len(header))
	for i, h := range header {
		n, t, ok := strings.Cut(h, ":")
		if !ok {
			return nil, fmt.Errorf("%s: column %q has no type: a RecBole atomic header names columns as name:type (e.g. user_id:token), tab-separated; use --format csv for other files", file, h)
		}
		names[i], types[i] = n, t
	}
	strip := func(s string) string { n, _, _ := strings.Cut(s, ":"); return n }
	c := columnsSpec{user: strip(or(o.UserCol, "user_id")), time: strip(or(o.TimeCol, "timestamp"))}
	for _, id := range o.IDCols {
		c.ids = append(c.ids, strip(id))
	}
	if len(c.ids) == 0 {
		for i, n := range names {
			if types[i] == "token" && !strings.EqualFold(n, c.user) {
				c.ids = append(c.ids, n)
			}
		}
		if len(c.ids) == 0 {
			return nil, fmt.Errorf("%s: no :token column besides the user (columns: %s): pass --id-cols", file, strings.Join(header, ", "))
		}
	}
	return bindColumns(names, c, file)
}
