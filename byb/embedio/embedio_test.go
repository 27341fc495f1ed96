package embedio

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/byb-dev/byb/internal/testenv"
	"github.com/parquet-go/parquet-go"
)

func sample(n, dim int) ([]string, []float32) {
	r := rand.New(rand.NewPCG(uint64(n), uint64(dim)))
	users := make([]string, n)
	emb := make([]float32, n*dim)
	for i := range users {
		users[i] = fmt.Sprintf("u%05d", i)
	}
	for i := range emb {
		emb[i] = float32(r.NormFloat64())
	}
	// Awkward but legal values and ids.
	if n >= 4 && dim >= 3 {
		users[1] = `comma, "quoted" id`
		users[2] = "ünïcode\nnewline"
		users[3] = ""
		emb[0], emb[1], emb[2] = float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())
		emb[dim] = math.SmallestNonzeroFloat32
		emb[dim+1] = math.MaxFloat32
		emb[dim+2] = float32(math.Copysign(0, -1))
	}
	return users, emb
}

// sameFloats compares float32 slices bit for bit except that any NaN equals any NaN.
func sameFloats(t *testing.T, got, want []float32) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d values, want %d", len(got), len(want))
	}
	for i := range want {
		g, w := got[i], want[i]
		if math.IsNaN(float64(w)) && math.IsNaN(float64(g)) {
			continue
		}
		if math.Float32bits(g) != math.Float32bits(w) {
			t.Fatalf("value %d: got %v, want %v", i, g, w)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	for _, ext := range []string{".csv", ".csv.gz", ".parquet", ".PARQUET"} {
		for _, shape := range [][2]int{{0, 3}, {1, 1}, {5, 3}, {3000, 17}} {
			n, dim := shape[0], shape[1]
			t.Run(fmt.Sprintf("%s/n=%d,dim=%d", ext, n, dim), func(t *testing.T) {
				path := filepath.Join(t.TempDir(), "emb"+ext)
				users, emb := sample(n, dim)
				if err := Write(path, users, emb, dim); err != nil {
					t.Fatal(err)
				}
				gotUsers, gotEmb, gotDim, err := Read(path)
				if err != nil {
					t.Fatal(err)
				}
				if gotDim != dim {
					t.Fatalf("dim %d, want %d", gotDim, dim)
				}
				if len(gotUsers) != n {
					t.Fatalf("%d users, want %d", len(gotUsers), n)
				}
				for i := range users {
					if gotUsers[i] != users[i] {
						t.Fatalf("user %d: %q, want %q", i, gotUsers[i], users[i])
					}
				}
				sameFloats(t, gotEmb, emb)
				st, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if st.Mode().Perm() != 0o644 {
					t.Errorf("mode %v, want 0644", st.Mode().Perm())
				}
			})
		}
	}
}

func TestWriteRows(t *testing.T) {
	path := filepath.Join(t.TempDir(), "rows.parquet")
	users := []string{"a", "b"}
	if err := WriteRows(path, users, [][]float32{{1, 2.5}, {-3, 0.125}}); err != nil {
		t.Fatal(err)
	}
	u, e, d, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if d != 2 || len(u) != 2 || u[0] != "a" || u[1] != "b" {
		t.Fatalf("got users %q dim %d", u, d)
	}
	sameFloats(t, e, []float32{1, 2.5, -3, 0.125})
	if err := WriteRows(path, nil, nil); err == nil {
		t.Error("WriteRows with no users: no error")
	}
	if err := WriteRows(path, []string{"a"}, [][]float32{{}}); err == nil {
		t.Error("WriteRows with empty embedding: no error")
	}
}

func TestParquetMultipleRowGroups(t *testing.T) {
	defer func(old int) { parquetRowGroupBytes = old }(parquetRowGroupBytes)
	parquetRowGroupBytes = 1 // → parquetBatchRows rows per group
	const n, dim = 2*parquetBatchRows + 100, 5
	path := filepath.Join(t.TempDir(), "groups.parquet")
	users, emb := sample(n, dim)
	if err := Write(path, users, emb, dim); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	if g := len(pf.RowGroups()); g != 3 {
		t.Errorf("%d row groups, want 3", g)
	}
	gotUsers, gotEmb, gotDim, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if gotDim != dim || len(gotUsers) != n || gotUsers[n-1] != users[n-1] {
		t.Fatalf("read dim %d, %d users", gotDim, len(gotUsers))
	}
	sameFloats(t, gotEmb, emb)
}

func TestCSVLayout(t *testing.T) {
	path := filepath.Join(t.TempDir(), "e.csv")
	err := Write(path, []string{"x", "y,z"}, []float32{0.1, 1e-8, float32(math.Inf(-1)), 3}, 2)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := "user_id,e0,e1\nx,0.1,1e-08\n\"y,z\",-inf,3\n"
	if string(got) != want {
		t.Errorf("CSV:\n%s\nwant:\n%s", got, want)
	}
}

func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"emb.txt", "emb", "emb.csv.bz2", "emb.parq"} {
		err := Write(filepath.Join(dir, name), []string{"a"}, []float32{1}, 1)
		if !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("Write(%s): err = %v, want ErrUnknownFormat", name, err)
		}
		if _, _, _, err := Read(filepath.Join(dir, name)); !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("Read(%s): err = %v, want ErrUnknownFormat", name, err)
		}
	}
	if err := Write(filepath.Join(dir, "a.csv"), []string{"a"}, []float32{1, 2}, 1); err == nil {
		t.Error("length mismatch: no error")
	}
	if err := Write(filepath.Join(dir, "a.csv"), nil, nil, 0); err == nil {
		t.Error("dim 0: no error")
	}
	if err := Write(filepath.Join(dir, "missing", "a.csv"), []string{"a"}, []float32{1}, 1); err == nil {
		t.Error("missing directory: no error")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 0 {
		t.Errorf("failed writes left files: %v", entries)
	}
	// Malformed files.
	bad := map[string]string{
		"hdr.csv":      "id,e0\na,1\n",
		"gap.csv":      "user_id,e0,e2\na,1,2\n",
		"num.csv":      "user_id,e0\na,abc\n",
		"ragged.csv":   "user_id,e0,e1\na,1\n",
		"empty.csv":    "",
		"junk.parquet": "not a parquet file at all",
		"junk.csv.gz":  "not gzip",
	}
	for name, content := range bad {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, _, err := Read(p); err == nil {
			t.Errorf("Read(%s): no error", name)
		}
	}
}

// A write that fails midway must leave an existing target byte-for-byte
// unchanged and no temporary file behind.
func TestAtomicity(t *testing.T) {
	// Small row groups so that the Parquet writer flushes to the temporary
	// file before the failure, as it would on a large real output.
	defer func(old int) { parquetRowGroupBytes = old }(parquetRowGroupBytes)
	parquetRowGroupBytes = 1 << 20
	for _, ext := range []string{".csv", ".csv.gz", ".parquet"} {
		t.Run(ext, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "emb"+ext)
			users, emb := sample(10, 4)
			if err := Write(path, users, emb, 4); err != nil {
				t.Fatal(err)
			}
			before, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			// Many good rows (enough to push data through the buffers into
			// the temporary file), then one with a mismatched dimension.
			const n, dim = 6000, 64
			r := rand.New(rand.NewPCG(5, 6))
			bigUsers := make([]string, n+1)
			rows := make([][]float32, n+1)
			for i := range rows {
				bigUsers[i] = fmt.Sprintf("user-%d", i)
				rows[i] = make([]float32, dim)
				for j := range rows[i] {
					rows[i][j] = r.Float32()
				}
			}
			rows[n] = rows[n][:dim-1]
			// Call write directly to observe the temporary file when the
			// bad row is reached: it must really hold partial output.
			var partial int64
			err = write(path, rowSource{users: bigUsers, dim: dim, vec: func(i int) ([]float32, error) {
				if len(rows[i]) != dim {
					tmps, _ := filepath.Glob(filepath.Join(dir, ".emb"+ext+".tmp-*"))
					for _, tmp := range tmps {
						if st, err := os.Stat(tmp); err == nil {
							partial += st.Size()
						}
					}
					return nil, fmt.Errorf("embedding %d has dim %d", i, len(rows[i]))
				}
				return rows[i], nil
			}})
			if err == nil || !strings.Contains(err.Error(), "dim 63") {
				t.Fatalf("err = %v, want dimension mismatch", err)
			}
			if partial == 0 {
				t.Errorf("temporary file was empty when the write failed; test does not exercise a midway failure")
			}
			t.Logf("%d bytes of partial output discarded", partial)
			if err := WriteRows(path, bigUsers, rows); err == nil || !strings.Contains(err.Error(), "dim 63") {
				t.Fatalf("WriteRows: err = %v, want dimension mismatch", err)
			}
			after, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Error("target modified by failed write")
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				t.Errorf("directory holds %d entries after failed write, want 1 (no temp left): %v", len(entries), entries)
			}
			// And a failed first write creates nothing.
			fresh := filepath.Join(dir, "fresh"+ext)
			if err := WriteRows(fresh, bigUsers, rows); err == nil {
				t.Fatal("no error")
			}
			if _, err := os.Stat(fresh); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("failed write created %s (stat err %v)", fresh, err)
			}
		})
	}
}

// pyarrowOneThread imports numpy and pandas with pyarrow on a single thread.
const pyarrowOneThread = `
import sys
import numpy as np
import pandas as pd
import pyarrow as pa
pa.set_cpu_count(1)
pa.set_io_thread_count(1)
`

// pandasScript reads the file given as argv[1] with pandas and prints
// "columns|dtypes|nrows|checksum" so the test can verify the layout.
//
// pyarrow's thread pools can abort the interpreter at exit ("terminate called without an
// active exception", apache/arrow#34314), more often on a loaded machine; the check is about
// the file's layout, so the scripts read and write on one thread.
const pandasScript = pyarrowOneThread + `
path = sys.argv[1]
df = pd.read_parquet(path, use_threads=False) if path.endswith(".parquet") else pd.read_csv(path, keep_default_na=False, na_values=["NaN"], dtype={"user_id": str})
emb = df.drop(columns=["user_id"]).to_numpy(dtype=np.float64)
print(",".join(df.columns))
print(",".join(sorted(set(str(t) for t in df.dtypes.iloc[1:]))))
print(len(df))
print(repr(df["user_id"].iloc[1]))
print(repr(float(emb[0, 0])), repr(float(emb[0, 1])), repr(float(emb[0, 2])))
print(repr(float(np.float32(emb[5, 3]))))
`

// TestPandasReads checks that pandas reads the files into the documented
// layout, when python3 with pandas and pyarrow is available.
func TestPandasReads(t *testing.T) {
	testenv.SkipShort(t, "pandas interoperability check")
	py, err := exec.LookPath("python3")
	testenv.Require(t, err == nil, "python3 in PATH (for the pandas interoperability check)",
		"`just setup` (`just test` puts its venv first in PATH)")
	out, err := exec.Command(py, "-c", "import numpy, pandas, pyarrow").CombinedOutput()
	testenv.Require(t, err == nil,
		fmt.Sprintf("numpy, pandas and pyarrow for %s (%v: %s)", py, err, testenv.LastLine(out)),
		"`just setup`, or pip install pandas pyarrow")
	t.Run("read_pandas_written", func(t *testing.T) {
		// A file written by pandas: nullable float64 columns, a NaN, and an
		// extra index column that Read must ignore.
		path := filepath.Join(t.TempDir(), "pandas.parquet")
		script := pyarrowOneThread +
			"df = pd.DataFrame({'user_id': ['x', 'y'], 'e0': [1.5, np.nan], 'e1': [2.0, -3.25]}, index=[7, 9])\n" +
			"df.to_parquet(sys.argv[1], index=True)\n"
		if out, err := exec.Command(py, "-c", script, path).CombinedOutput(); err != nil {
			t.Fatalf("pandas failed: %v\n%s", err, out)
		}
		users, emb, dim, err := Read(path)
		if err != nil {
			t.Fatal(err)
		}
		if dim != 2 || len(users) != 2 || users[0] != "x" || users[1] != "y" {
			t.Fatalf("users %q dim %d", users, dim)
		}
		sameFloats(t, emb, []float32{1.5, 2, float32(math.NaN()), -3.25})
	})
	const n, dim = 20, 12
	users, emb := sample(n, dim)
	for _, ext := range []string{".parquet", ".csv", ".csv.gz"} {
		t.Run(ext, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "emb"+ext)
			if err := Write(path, users, emb, dim); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(py, "-c", pandasScript, path).CombinedOutput()
			if err != nil {
				t.Fatalf("pandas failed: %v\n%s", err, out)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			cols := []string{"user_id"}
			for i := range dim {
				cols = append(cols, fmt.Sprintf("e%d", i))
			}
			wantDtype := "float32"
			if ext != ".parquet" {
				wantDtype = "float64" // CSV carries no type; pandas parses float64.
			}
			want := []string{
				strings.Join(cols, ","),
				wantDtype,
				fmt.Sprint(n),
				`'comma, "quoted" id'`,
				"inf -inf nan",
				fmt.Sprint(float64(emb[5*dim+3])),
			}
			if len(lines) != len(want) {
				t.Fatalf("pandas output:\n%s", out)
			}
			for i := range want {
				got := lines[i]
				if i == 3 {
					got = strings.ReplaceAll(got, `\'`, `'`)
				}
				if got != want[i] {
					t.Errorf("pandas line %d: %q, want %q", i, lines[i], want[i])
				}
			}
		})
	}
}

// The destination is checked before any embedding is computed: a directory that does not
// exist or takes no file, and a path that is a directory, are refused naming the path.
func TestCheckWritable(t *testing.T) {
	dir := t.TempDir()
	if err := CheckWritable(filepath.Join(dir, "e.csv")); err != nil {
		t.Fatalf("a writable path: %v", err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("the check left %v behind", left)
	}
	if err := CheckWritable(filepath.Join(dir, "missing", "e.csv")); err == nil || !strings.Contains(err.Error(), "cannot write") {
		t.Errorf("a missing directory: %v", err)
	}
	if err := CheckWritable(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("a directory as the file: %v", err)
	}
	if os.Geteuid() != 0 { // root writes anywhere
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o555)
		if err := CheckWritable(filepath.Join(ro, "e.csv")); err == nil {
			t.Error("a read-only directory must be refused")
		}
	}
}
