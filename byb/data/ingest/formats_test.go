package ingest

import (
	"fmt"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/data"
)

// tmallLog is a small user_log_format1.csv: 3 users over 2014-05-01 .. 2014-09-27 (150
// days), one behavior a day each, categories cycling so that every task has labels.
func tmallLog() string {
	var b strings.Builder
	b.WriteString("user_id,item_id,cat_id,seller_id,brand_id,time_stamp,action_type\n")
	start := utc("2014-05-01 00:00:00")
	for d := 0; d < 150; d++ {
		mmdd := data.Span{Start: start + int64(d)*data.Day}.String()
		mmdd = mmdd[5:7] + mmdd[8:10]
		for u := 1; u <= 3; u++ {
			brand := fmt.Sprint(d % 5)
			if d%7 == 0 {
				brand = "" // the real log has behaviors without a brand
			}
			fmt.Fprintf(&b, "%d,%d,%d,%d,%s,%s,%d\n", u, 100+(d+u)%10, (d/3+u)%4, 7, brand, mmdd, d%4)
		}
	}
	return b.String()
}

func TestImportTmall(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "user_log_format1.csv", tmallLog())
	res, d := mustImport(t, Options{Format: FormatTmall, In: in, Out: filepath.Join(dir, "ds")})
	m := d.Meta
	if got := fieldNames(m); !reflect.DeepEqual(got, []string{"item", "category", "seller", "brand", "action"}) {
		t.Fatalf("fields %v", got)
	}
	if res.TimeFormat != TimeMMDD || m.First != utc("2014-05-01 00:00:00") || m.Events != 450 {
		t.Fatalf("time %s first %d events %d", res.TimeFormat, m.First, m.Events)
	}
	var names []string
	for _, task := range m.Tasks {
		names = append(names, task.Name)
		if task.Kind != data.Multiclass || task.Field != "category" || len(task.Classes) != 4 {
			t.Fatalf("task %+v", task)
		}
	}
	if !reflect.DeepEqual(names, []string{"5-day", "10-day", "15-day", "30-day"}) {
		t.Fatalf("tasks %v", names)
	}
	// Paper windows: data end 2014-09-28, horizon 30: test obs 60 days to 08-29, finetune
	// 60 days to 07-30, pretraining up to 120 days to 07-30 (where finetune observation ends;
	// the data start on 05-01).
	want := map[string]string{data.Pretrain: "2014-05-01..2014-07-30", data.Finetune: "2014-05-31..2014-07-30", data.Test: "2014-06-30..2014-08-29"}
	for _, s := range m.Splits {
		if s.Obs.String() != want[s.Name] {
			t.Errorf("%s window %s, want %s", s.Name, s.Obs, want[s.Name])
		}
	}
	// Empty brand values are "no ID", not a value.
	bi, _ := m.FieldIndex("brand")
	noID := 0
	for e := 0; e < int(m.Events); e++ {
		if d.IDs[e*5+bi] == data.NoID {
			noID++
		}
	}
	if noID != 3*22 {
		t.Fatalf("%d behaviors without brand, want 66", noID)
	}

	// --base-year moves the dates (the paper calls the same log 2013).
	res, d = mustImport(t, Options{Format: FormatTmall, In: in, Out: filepath.Join(dir, "ds2013"), BaseYear: 2013})
	if d.Meta.First != utc("2013-05-01 00:00:00") {
		t.Fatalf("base year 2013: first %d", d.Meta.First)
	}
	_ = res
}

func TestImportTmallBadInput(t *testing.T) {
	dir := t.TempDir()
	lines := strings.Split(tmallLog(), "\n")
	lines[3] = "2,105,1,7,3,0231,0"
	in := writeFile(t, dir, "log.csv.gz", strings.Join(lines, "\n"))
	importErr(t, Options{Format: FormatTmall, In: in, Out: filepath.Join(dir, "ds")},
		"log.csv.gz:4:", `time "0231" is not a time in format MMDD`, "--skip-bad-rows")
	in = writeFile(t, dir, "nocat.csv", strings.Replace(tmallLog(), "cat_id", "category_id", 1))
	importErr(t, Options{Format: FormatTmall, In: in, Out: filepath.Join(dir, "ds")},
		`no column "cat_id" (columns: user_id, item_id, category_id, seller_id, brand_id, time_stamp, action_type)`)
	in = writeFile(t, dir, "short.csv", strings.Join(append(lines[:3:3], "2,105,1,7,3,0501", lines[4]), "\n"))
	importErr(t, Options{Format: FormatTmall, In: in, Out: filepath.Join(dir, "ds")},
		"short.csv:4: row has 6 columns, the header has 7")
	in = writeFile(t, dir, "empty.csv", "")
	importErr(t, Options{Format: FormatTmall, In: in, Out: filepath.Join(dir, "ds")}, "empty.csv: the file is empty")
}

const retailHeader = `"InvoiceNo","StockCode","Description","Quantity","InvoiceDate","UnitPrice","CustomerID","Country"` + "\n"

// retailLog: customer 1 buys every 10 days over a year; customer 2 stops in July 2011;
// customer 3 only cancels after September. Plus lines without a customer.
func retailLog() string {
	var b strings.Builder
	b.WriteString(retailHeader)
	start := utc("2010-12-01 09:00:00")
	line := func(inv, code string, q int, t int64, cust string) {
		fmt.Fprintf(&b, "%q,%q,\"DESC, WITH COMMA\",%d,%q,2.55,%s,\"United Kingdom\"\n", inv, code, q, data.Span{Start: t}.String()[:10]+" 09:00:00", cust)
	}
	for d := 0; d <= 373; d += 10 {
		line("536365", "85123A", 6, start+int64(d)*data.Day, "17850")
		line("536366", "71053", 1, start+int64(d)*data.Day, "NA")
	}
	for d := 0; d < 220; d += 7 {
		line("536367", "22139", 100, start+int64(d)*data.Day, "13047")
	}
	line("536368", "22139", 12, start+30*data.Day, "12583")
	line("C536369", "22139", -12, start+300*data.Day, "12583")
	line("536370", "85123A", 3, start+373*data.Day, "")
	line("536371", "85123A", 1, start+373*data.Day, "17850") // the log's last day, 2011-12-09
	return b.String()
}

func TestImportOnlineRetailFixture(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "online_retail.csv.gz", retailLog())
	res, d := mustImport(t, Options{Format: FormatOnlineRetail, In: in, Out: filepath.Join(dir, "ds")})
	m := d.Meta
	if got := fieldNames(m); !reflect.DeepEqual(got, []string{"item", "action", "quantity"}) {
		t.Fatalf("fields %v", got)
	}
	if m.Users != 3 || res.SkippedByDesign != 38+1 || res.Skipped != 0 {
		t.Fatalf("users %d by design %d skipped %d", m.Users, res.SkippedByDesign, res.Skipped)
	}
	for _, c := range []struct{ field, raw string }{{"action", "purchase"}, {"quantity", "7"}, {"quantity", "3"}, {"quantity", "4"}} {
		// Vocabularies come from the pretraining span (before 2011-09-01): the later cancel
		// and quantity 1 are out of vocabulary.
		v, err := data.LoadVocab(filepath.Join(dir, "ds"), c.field)
		if err != nil {
			t.Fatal(err)
		}
		if v.Lookup(c.raw) < data.FirstValue { // |Quantity| 100→7, 6→3, 12→4
			t.Errorf("%s has no %q: %v", c.field, c.raw, v.Values)
		}
	}
	// The churn task: test obs ends on 2011-09-01; 12583 only cancels afterwards (no
	// purchase, so churned), 13047 stopped in July (churned), 17850 buys again.
	test, _ := m.Split(data.Test)
	ft, _ := m.Split(data.Finetune)
	if test.Obs.String() != "2010-12-01..2011-09-01" || ft.Obs != test.Obs || test.UserFrom != 0.7 || ft.UserTo != 0.7 {
		t.Fatalf("windows: %+v %+v", ft, test)
	}
	labels := map[string]int32{}
	for _, split := range []string{data.Finetune, data.Test} {
		s, err := d.Samples(split)
		if err != nil {
			t.Fatal(err)
		}
		for i, u := range s.Users {
			labels[d.Users[u]] = s.Labels[0][i]
		}
	}
	if !reflect.DeepEqual(labels, map[string]int32{"17850": 0, "13047": 1, "12583": 1}) {
		t.Fatalf("churn labels %v", labels)
	}
	if !strings.Contains(res.Summary(), "39 lines without a CustomerID") {
		t.Errorf("summary: %s", res.Summary())
	}
}

func TestImportOnlineRetailBadInput(t *testing.T) {
	dir := t.TempDir()
	bad := retailHeader + `"536365","85123A","X",six,"2010-12-01 08:26:00",2.55,17850,"United Kingdom"` + "\n"
	in := writeFile(t, dir, "r.csv", bad)
	importErr(t, Options{Format: FormatOnlineRetail, In: in, Out: filepath.Join(dir, "ds")},
		`r.csv:2: Quantity "six" is not a whole number`, "--skip-bad-rows")
	in = writeFile(t, dir, "r2.csv", strings.Replace(retailLog(), `"CustomerID"`, `"Customer"`, 1))
	importErr(t, Options{Format: FormatOnlineRetail, In: in, Out: filepath.Join(dir, "ds")},
		`no column "CustomerID" (columns: InvoiceNo, StockCode, Description, Quantity, InvoiceDate, UnitPrice, Customer, Country)`, "--user-col")
	// Only lines without a customer: nothing to build, and the message says why.
	in = writeFile(t, dir, "r3.csv", retailHeader+`"1","2","X",1,"2010-12-01 08:26:00",2.55,NA,"UK"`+"\n")
	importErr(t, Options{Format: FormatOnlineRetail, In: in, Out: filepath.Join(dir, "ds")},
		"no behaviors", "1 lines without a CustomerID")
}

func TestImportRecBole(t *testing.T) {
	var b strings.Builder
	b.WriteString("user_id:token\titem_id:token\trating:float\ttimestamp:float\tgenre:token_seq\n")
	for d := 1; d <= 20; d++ {
		for u := 1; u <= 3; u++ {
			fmt.Fprintf(&b, "%d\t%d\t%d\t%d.0\tDrama Comedy\n", u, (d*u)%7, 1+d%5, utc(dateTime(d, 8)))
		}
	}
	dir := t.TempDir()
	in := writeFile(t, dir, "ml.inter", b.String())
	res, d := mustImport(t, Options{Format: FormatRecBole, In: in, Out: filepath.Join(dir, "ds")})
	if got := fieldNames(d.Meta); !reflect.DeepEqual(got, []string{"item_id"}) {
		t.Fatalf("fields %v", got)
	}
	if d.Meta.Users != 3 || d.Meta.Events != 60 || res.TimeFormat != TimeUnix || d.Meta.First != utc(dateTime(1, 8)) {
		t.Fatalf("users %d events %d time %s", d.Meta.Users, d.Meta.Events, res.TimeFormat)
	}
	// Flags override, with or without the :type suffix.
	_, d = mustImport(t, Options{Format: FormatRecBole, In: in, Out: filepath.Join(dir, "ds2"), IDCols: []string{"item_id:token", "rating"}})
	if got := fieldNames(d.Meta); !reflect.DeepEqual(got, []string{"item_id", "rating"}) {
		t.Fatalf("fields %v", got)
	}
	in = writeFile(t, dir, "plain.inter", "user_id\titem_id\ttimestamp\n1\t2\t3\n")
	importErr(t, Options{Format: FormatRecBole, In: in, Out: filepath.Join(dir, "ds3")}, `column "user_id" has no type`, "name:type")
	in = writeFile(t, dir, "short.inter", "user_id:token\titem_id:token\ttimestamp:float\n1\t2\t978300760\n1\t978300760\n")
	importErr(t, Options{Format: FormatRecBole, In: in, Out: filepath.Join(dir, "ds3")}, "short.inter:3: row has 2 columns, the header has 3")
	in = writeFile(t, dir, "time.inter", "user_id:token\titem_id:token\ttimestamp:float\n1\t2\tnow\n")
	importErr(t, Options{Format: FormatRecBole, In: in, Out: filepath.Join(dir, "ds3")}, `time.inter:2: time "now" is not a time in format unix seconds`)
}

// A dataset is named after its input file, not after --out's last folder.
func TestNameFromInput(t *testing.T) {
	for in, want := range map[string]string{
		"/x/online_retail.csv.gz":  "online_retail",
		"logs/events.parquet":      "events",
		"ml-100k/":                 "ml-100k",
		"a/b/user_log_format1.csv": "user_log_format1",
		"v1.2.release":             "v1.2.release",
	} {
		if got := nameFromInput(in); got != want {
			t.Errorf("nameFromInput(%q) = %q, want %q", in, got, want)
		}
	}
}
