package ingest

import (
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/data"
)

// A product table joined on item gives every behavior its product's department and brand;
// a behavior whose item the table lacks gets no ID there, and the import says how many.
func TestImportJoinsAttributeTable(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "events.csv", "user,ts,item\n"+
		"u1,2013-05-01 10:00:00,i1\n"+
		"u1,2013-05-02 10:00:00,i2\n"+
		"u2,2013-05-03 10:00:00,i3\n"+ // not in the table
		"u2,2013-05-04 10:00:00,i1\n")
	products := writeFile(t, dir, "products.tsv", "item\tdepartment\tbrand\n"+
		"i1\tdairy\tb7\n"+
		"i2\tbakery\tb7\n"+
		"i9\tdairy\tb1\n"+
		"i1\tdairy\tb7\n") // a repeated identical row is fine
	o := Options{Format: FormatCSV, In: in, Out: filepath.Join(dir, "ds"), UserCol: "user", TimeCol: "ts",
		IDCols: []string{"item"}, Tasks: []string{}, Joins: []Join{{Path: products, Key: "item"}}}
	res, d := mustImport(t, o)
	if got := fieldNames(d.Meta); !reflect.DeepEqual(got, []string{"item", "department", "brand"}) {
		t.Fatalf("fields %v, want item, department, brand", got)
	}
	vocab := map[string]*data.Vocab{}
	for _, f := range []string{"item", "department", "brand"} {
		v, err := data.LoadVocab(o.Out, f)
		if err != nil {
			t.Fatal(err)
		}
		vocab[f] = v
	}
	got := map[string]string{}
	for u, user := range d.Users {
		_, ids := d.Events(u)
		for e := 0; e < len(ids)/3; e++ {
			item := vocab["item"].Value(ids[3*e])
			got[user+"/"+item] = vocab["department"].Value(ids[3*e+1]) + "," + vocab["brand"].Value(ids[3*e+2])
		}
	}
	want := map[string]string{"u1/i1": "dairy,b7", "u1/i2": "bakery,b7", "u2/i1": "dairy,b7", "u2/i3": ","}
	for k, v := range want {
		if k == "u2/i3" {
			if vocab["department"].Value(0) != got[k][:strings.Index(got[k], ",")] {
				t.Errorf("%s: the missing product's department should be no ID, got %q", k, got[k])
			}
			continue
		}
		if got[k] != v {
			t.Errorf("%s: attributes %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	if !strings.Contains(strings.Join(res.Notes, "\n"), "1 behaviors (25.0%) have a item the table lacks") {
		t.Errorf("notes lack the missing-key count: %v", res.Notes)
	}
}

func TestJoinBadInput(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "events.csv", "user,ts,item\nu1,2013-05-01 10:00:00,i1\n")
	base := Options{Format: FormatCSV, In: in, UserCol: "user", TimeCol: "ts", IDCols: []string{"item"}, Tasks: []string{}}
	for name, c := range map[string]struct{ table, key, want string }{
		"no such key column":    {"sku,dept\ni1,d\n", "item", `no column "item" (columns: sku, dept)`},
		"key not a field":       {"sku,dept\ni1,d\n", "sku", "has no ID field sku"},
		"conflicting duplicate": {"item,dept\ni1,d1\ni1,d2\n", "item", `products.csv:3: item "i1" given twice with different attributes`},
		// It used to import with every joined field empty, and exit 0.
		"no key matches": {"item,dept\n0001,d1\n0002,d2\n", "item", `matched no behavior: the log's item values look like ["i1"], the table's like ["0001" "0002"]`},
	} {
		t.Run(name, func(t *testing.T) {
			o := base
			o.Out = filepath.Join(t.TempDir(), "ds")
			o.Joins = []Join{{Path: writeFile(t, dir, "products.csv", c.table), Key: c.key}}
			if _, err := Import(o); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want one containing %q", err, c.want)
			}
		})
	}
	for _, bad := range []string{"products.csv", ":item", "a:b:c:d"} {
		if _, err := ParseJoin(bad); err == nil {
			t.Errorf("ParseJoin(%q) accepted", bad)
		}
	}
	if j, err := ParseJoin("p.csv:item:dept,brand"); err != nil || j.Key != "item" || !reflect.DeepEqual(j.Cols, []string{"dept", "brand"}) {
		t.Errorf("ParseJoin with columns = %+v, %v", j, err)
	}
}

// Side tables as R and pandas write them: every name quoted (R's write.csv, pandas'
// QUOTE_ALL; the separator sniffer used to fail on them with a false parse error), an
// unnamed first column of row names or index (it used to become an ID field), and NA, NaN or
// an empty value for a missing attribute (NA used to become a department). --id-cols may
// name a column only the table has: it is joined from there.
func TestJoinTablesAsRAndPandasWriteThem(t *testing.T) {
	dir := t.TempDir()
	in := writeFile(t, dir, "events.csv", "user,ts,item\n"+
		"u1,2013-05-01 10:00:00,i1\n"+
		"u1,2013-05-02 10:00:00,i2\n"+
		"u2,2013-05-03 10:00:00,i3\n")
	tables := map[string]string{
		// write.csv(products): row names, every name and string quoted, NA unquoted.
		"r-write.csv": "\"\",\"item\",\"department\",\"brand\"\n\"1\",\"i1\",\"dairy\",\"b7\"\n\"2\",\"i2\",NA,\"b7\"\n\"3\",\"i3\",\"bakery\",NA\n",
		// write.csv(products, quote = FALSE)
		"r-noquote.csv": ",item,department,brand\n1,i1,dairy,b7\n2,i2,NA,b7\n3,i3,bakery,NA\n",
		// products.to_csv(path, quoting=csv.QUOTE_ALL): index, NaN written as "".
		"pandas-quoteall.csv": "\"\",\"item\",\"department\",\"brand\"\n\"0\",\"i1\",\"dairy\",\"b7\"\n\"1\",\"i2\",\"\",\"b7\"\n\"2\",\"i3\",\"bakery\",\"\"\n",
		// products.to_csv(path, na_rep="NaN")
		"pandas-nan.csv": ",item,department,brand\n0,i1,dairy,b7\n1,i2,NaN,b7\n2,i3,bakery,NaN\n",
	}
	for name, content := range tables {
		t.Run(name, func(t *testing.T) {
			products := writeFile(t, dir, name, content)
			o := Options{Format: FormatCSV, In: in, Out: filepath.Join(t.TempDir(), "ds"), UserCol: "user", TimeCol: "ts",
				IDCols: []string{"item"}, Tasks: []string{}, Joins: []Join{{Path: products, Key: "item"}}}
			_, d := mustImport(t, o)
			if got := fieldNames(d.Meta); !reflect.DeepEqual(got, []string{"item", "department", "brand"}) {
				t.Fatalf("fields %v, want item, department, brand (no row-name field)", got)
			}
			for field, want := range map[string][]string{"department": {"bakery", "dairy"}, "brand": {"b7"}} {
				v, err := data.LoadVocab(o.Out, field)
				if err != nil {
					t.Fatal(err)
				}
				var got []string
				for i := 1; i < v.Size(); i++ {
					if val := v.Value(int32(i)); val != "<oov>" { // the out-of-vocabulary ID every field has
						got = append(got, val)
					}
				}
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Errorf("%s values %v, want %v (a missing value is no ID)", field, got, want)
				}
			}
		})
	}
	// --id-cols item,department with the department only in the table: joined from there.
	products := writeFile(t, dir, "p.csv", tables["r-noquote.csv"])
	o := Options{Format: FormatCSV, In: in, Out: filepath.Join(dir, "idcols"), UserCol: "user", TimeCol: "ts",
		IDCols: []string{"item", "department"}, Tasks: []string{}, Joins: []Join{{Path: products, Key: "item"}}}
	_, d := mustImport(t, o)
	if got := fieldNames(d.Meta); !reflect.DeepEqual(got, []string{"item", "department"}) {
		t.Errorf("--id-cols item,department with department in the table: fields %v", got)
	}
}
