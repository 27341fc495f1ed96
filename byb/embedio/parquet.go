package embedio

import (
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"reflect"

	"github.com/parquet-go/parquet-go"
)

const parquetBatchRows = 1024

// parquetRowGroupBytes bounds the uncompressed size of a row group, and so
// the memory the writer buffers: parquet-go keeps a whole row group in memory
// until it is flushed. 64 MiB row groups are also a good size for readers
// (pyarrow, Spark, DuckDB parallelize over row groups). A variable so tests
// can force several row groups.
var parquetRowGroupBytes = 64 << 20

// parquetRowsPerGroup is the row-group length for embeddings of size dim.
func parquetRowsPerGroup(dim int) int64 {
	rowBytes := 4*dim + 32 // floats plus a typical user id
	return int64(max(parquetBatchRows, parquetRowGroupBytes/rowBytes))
}

// parquetSchema returns the schema "user_id: required string, e0..e{d-1}:
// required float". It is built from a synthetic struct type so that the
// column order is the declaration order (parquet.Group sorts its fields by
// name, which would put e10 before e2 and user_id last).
func parquetSchema(dim int) *parquet.Schema {
	fields := make([]reflect.StructField, dim+1)
	fields[0] = reflect.StructField{Name: "UserID", Type: reflect.TypeFor[string](), Tag: `parquet:"user_id"`}
	for i := range dim {
		fields[i+1] = reflect.StructField{
			Name: fmt.Sprintf("E%d", i),
			Type: reflect.TypeFor[float32](),
			Tag:  reflect.StructTag(fmt.Sprintf(`parquet:"%s"`, dimColumn(i))),
		}
	}
	root := parquet.SchemaOf(reflect.New(reflect.StructOf(fields)).Interface())
	return parquet.NewSchema("schema", root)
}

func writeParquet(out io.Writer, src rowSource) error {
	schema := parquetSchema(src.dim)
	w := parquet.NewWriter(out, schema,
		parquet.Compression(&parquet.Snappy),
		parquet.CreatedBy("byb embedio", "", ""),
		parquet.MaxRowsPerRowGroup(parquetRowsPerGroup(src.dim)),
	)
	batch := make([]parquet.Row, 0, parquetBatchRows)
	values := make([]parquet.Value, parquetBatchRows*(src.dim+1))
	flush := func() error {
		if _, err := w.WriteRows(batch); err != nil {
			return err
		}
		batch = batch[:0]
		return nil
	}
	for i, u := range src.users {
		vec, err := src.vec(i)
		if err != nil {
			return err
		}
		k := len(batch) * (src.dim + 1)
		row := values[k : k+src.dim+1 : k+src.dim+1]
		row[0] = parquet.ByteArrayValue([]byte(u)).Level(0, 0, 0)
		for j, v := range vec {
			row[j+1] = parquet.FloatValue(v).Level(0, 0, j+1)
		}
		batch = append(batch, row)
		if len(batch) == parquetBatchRows {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if len(batch) > 0 {
		if err := flush(); err != nil {
			return err
		}
	}
	return w.Close()
}

func readParquet(f *os.File) (users []string, emb []float32, dim int, err error) {
	st, err := f.Stat()
	if err != nil {
		return nil, nil, 0, err
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return nil, nil, 0, err
	}
	schema := pf.Schema()
	uc, ok := schema.Lookup(userIDColumn)
	if !ok {
		return nil, nil, 0, fmt.Errorf("no %s column", userIDColumn)
	}
	if uc.Node.Type().Kind() != parquet.ByteArray || uc.MaxRepetitionLevel != 0 {
		return nil, nil, 0, fmt.Errorf("column %s is not a string column", userIDColumn)
	}
	// colDim[c] is the embedding dimension stored in leaf column c, or -1.
	colDim := make([]int, len(schema.Columns()))
	for c := range colDim {
		colDim[c] = -1
	}
	for {
		lc, ok := schema.Lookup(dimColumn(dim))
		if !ok {
			break
		}
		switch k := lc.Node.Type().Kind(); {
		case lc.MaxRepetitionLevel != 0:
			return nil, nil, 0, fmt.Errorf("column %s is repeated", dimColumn(dim))
		case k != parquet.Float && k != parquet.Double:
			return nil, nil, 0, fmt.Errorf("column %s has type %v, want float or double", dimColumn(dim), k)
		}
		colDim[lc.ColumnIndex] = dim
		dim++
	}
	if dim == 0 {
		return nil, nil, 0, errors.New("no embedding columns e0, e1, ...")
	}

	n := pf.NumRows()
	users = make([]string, 0, n)
	emb = make([]float32, n*int64(dim))
	r := parquet.NewReader(pf)
	defer r.Close()
	rows := make([]parquet.Row, parquetBatchRows)
	var i int64
	for {
		got, rerr := r.ReadRows(rows)
		for _, row := range rows[:got] {
			if i >= n {
				return nil, nil, 0, errors.New("more rows than in the file metadata")
			}
			user, seen := "", false
			vec := emb[i*int64(dim) : (i+1)*int64(dim)]
			for _, v := range row {
				c := v.Column()
				if c == uc.ColumnIndex {
					if v.IsNull() {
						return nil, nil, 0, fmt.Errorf("row %d: null %s", i, userIDColumn)
					}
					user, seen = string(v.ByteArray()), true
					continue
				}
				d := colDim[c]
				switch {
				case d < 0:
				case v.IsNull():
					vec[d] = float32(math.NaN())
				case v.Kind() == parquet.Float:
					vec[d] = v.Float()
				default:
					vec[d] = float32(v.Double())
				}
			}
			if !seen {
				return nil, nil, 0, fmt.Errorf("row %d: no %s value", i, userIDColumn)
			}
			users = append(users, user)
			i++
		}
		if errors.Is(rerr, io.EOF) {
			break
		}
		if rerr != nil {
			return nil, nil, 0, rerr
		}
	}
	if i != n {
		return nil, nil, 0, fmt.Errorf("read %d rows, file metadata says %d", i, n)
	}
	return users, emb, dim, nil
}
