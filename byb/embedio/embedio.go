// Package embedio writes (and reads back) per-user embeddings in formats that
// tools outside byb consume directly: CSV, gzip-compressed CSV and Parquet.
//
// Why: the point of pretraining user representations is to use them in
// downstream models that usually live in the Python/SQL world (pandas,
// scikit-learn, LightGBM, Spark, DuckDB). Rather than a byb-specific binary
// format, embeddings are written as a plain table, one row per user:
//
//	user_id, e0, e1, ..., e{d-1}
//
// The same column layout is used for every format, so
// pandas.read_csv / pandas.read_parquet give the same DataFrame (user_id as a
// string column, e0..e{d-1} as float columns) that can be joined on user_id
// and fed to a model without reshaping. Parquet uses one FLOAT (float32)
// column per dimension rather than a list column because that is what
// pandas.read_parquet maps naturally to numeric DataFrame columns (a list
// column would arrive as an object column of numpy arrays), and it lets
// columnar engines read a subset of dimensions. Parquet files are
// Snappy-compressed, the pandas/pyarrow default.
//
// The format is chosen by the file extension (case-insensitive): ".csv",
// ".csv.gz" or ".parquet". CSV floats are written with the shortest
// representation that round-trips the float32 exactly
// (strconv.FormatFloat(v, 'g', -1, 32)); non-finite values are written as
// "NaN", "inf" and "-inf", spellings that both pandas and strconv parse.
//
// Writes are atomic: the data goes to a temporary file in the target's
// directory which is renamed over the target only after everything was
// written, flushed and synced. A failed Write leaves no partial output, and an
// existing file at the target path stays untouched. user_id uniqueness is not
// checked.
package embedio

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrUnknownFormat is returned (wrapped) for a path whose extension is not
// one of the supported formats.
var ErrUnknownFormat = errors.New("embedio: unknown file format (want .csv, .csv.gz or .parquet)")

// Format is a supported file format.
type Format int

// Supported formats.
const (
	CSV Format = iota + 1
	CSVGzip
	Parquet
)

// String implements fmt.Stringer.
func (f Format) String() string {
	switch f {
	case CSV:
		return "csv"
	case CSVGzip:
		return "csv.gz"
	case Parquet:
		return "parquet"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// FormatOf returns the format selected by path's extension.
func FormatOf(path string) (Format, error) {
	lower := strings.ToLower(path)
	switch {
	case strings.HasSuffix(lower, ".csv.gz"):
		return CSVGzip, nil
	case strings.HasSuffix(lower, ".csv"):
		return CSV, nil
	case strings.HasSuffix(lower, ".parquet"):
		return Parquet, nil
	}
	return 0, fmt.Errorf("%w: %q", ErrUnknownFormat, path)
}

// Column names.
const userIDColumn = "user_id"

func dimColumn(i int) string { return fmt.Sprintf("e%d", i) }

// rowSource yields the rows to write; vec may return an error for a row that
// turns out to be invalid while streaming (e.g. a ragged [][]float32).
type rowSource struct {
	users []string
	dim   int
	vec   func(i int) ([]float32, error)
}

// Write writes users and their embeddings to path, in the format given by
// its extension. emb is row-major with shape [len(users), dim]: the
// embedding of users[i] is emb[i*dim : (i+1)*dim]. dim must be >= 1; zero
// users give a file with only the header/schema.
func Write(path string, users []string, emb []float32, dim int) error {
	if dim < 1 {
		return fmt.Errorf("embedio: dim=%d, want >= 1", dim)
	}
	if len(emb) != len(users)*dim {
		return fmt.Errorf("embedio: %d values for %d users × dim %d (want %d)", len(emb), len(users), dim, len(users)*dim)
	}
	return write(path, rowSource{users: users, dim: dim, vec: func(i int) ([]float32, error) {
		return emb[i*dim : (i+1)*dim], nil
	}})
}

// WriteRows is Write with one embedding slice per user. All rows must have
// the same, non-zero length; since rows are checked while streaming, a bad
// row fails the write midway, which (the write being atomic) leaves the
// target untouched. At least one user is required to know the dimension.
func WriteRows(path string, users []string, emb [][]float32) error {
	if len(emb) != len(users) {
		return fmt.Errorf("embedio: %d embeddings for %d users", len(emb), len(users))
	}
	if len(emb) == 0 {
		return errors.New("embedio: WriteRows with no users (use Write with an explicit dim)")
	}
	dim := len(emb[0])
	if dim == 0 {
		return errors.New("embedio: embedding of user 0 is empty")
	}
	return write(path, rowSource{users: users, dim: dim, vec: func(i int) ([]float32, error) {
		if len(emb[i]) != dim {
			return nil, fmt.Errorf("embedio: embedding of user %d (%q) has dim %d, user 0 has %d", i, users[i], len(emb[i]), dim)
		}
		return emb[i], nil
	}})
}

func write(path string, src rowSource) error {
	format, err := FormatOf(path)
	if err != nil {
		return err
	}
	return writeAtomic(path, func(f *os.File) error {
		switch format {
		case CSV:
			return writeCSV(f, src, false)
		case CSVGzip:
			return writeCSV(f, src, true)
		default:
			return writeParquet(f, src)
		}
	})
}

// CheckWritable reports whether Write could write path: its directory exists and takes a new
// file, and path is no directory. Call it before the work whose result Write will keep.
func CheckWritable(path string) error {
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("%s is a directory: want a file name ending in .csv, .csv.gz or .parquet", path)
	}
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if st, err := os.Stat(dir); err != nil {
		return fmt.Errorf("cannot write %s: its directory: %w", path, err)
	} else if !st.IsDir() {
		return fmt.Errorf("cannot write %s: %s is not a directory", path, dir)
	}
	tmp, err := os.CreateTemp(dir, "."+base+".check-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: directory %s takes no new file (%v)", path, dir, errors.Unwrap(err))
	}
	tmp.Close()
	return os.Remove(tmp.Name())
}

// writeAtomic calls fill on a temporary file in path's directory and renames
// it to path if fill succeeded; otherwise the temporary file is removed.
func writeAtomic(path string, fill func(*os.File) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("embedio: %w", err)
	}
	tmpName := tmp.Name()
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmpName)
		}
	}()
	if err = fill(tmp); err != nil {
		return fmt.Errorf("embedio: writing %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("embedio: %w", err)
	}
	if err = tmp.Chmod(0o644); err != nil { // CreateTemp uses 0600.
		return fmt.Errorf("embedio: %w", err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("embedio: %w", err)
	}
	if err = os.Rename(tmpName, path); err != nil {
		return fmt.Errorf("embedio: %w", err)
	}
	// Best effort: persist the rename itself.
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

// Read reads a file written by Write (format chosen by extension) and
// returns the user ids, the row-major embeddings and their dimension.
// Parquet files written by other tools are accepted if they have a string
// user_id column and numeric (float or double) columns e0..e{d-1}; nulls in
// embedding columns read as NaN.
func Read(path string) (users []string, emb []float32, dim int, err error) {
	format, err := FormatOf(path)
	if err != nil {
		return nil, nil, 0, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("embedio: %w", err)
	}
	defer f.Close()
	switch format {
	case CSV:
		users, emb, dim, err = readCSV(f, false)
	case CSVGzip:
		users, emb, dim, err = readCSV(f, true)
	default:
		users, emb, dim, err = readParquet(f)
	}
	if err != nil {
		return nil, nil, 0, fmt.Errorf("embedio: reading %s: %w", path, err)
	}
	return users, emb, dim, nil
}
