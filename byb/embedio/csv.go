package embedio

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
)

func formatFloat(v float32) string {
	switch {
	case math.IsNaN(float64(v)):
		return "NaN"
	case math.IsInf(float64(v), 1):
		return "inf"
	case math.IsInf(float64(v), -1):
		return "-inf"
	}
	return strconv.FormatFloat(float64(v), 'g', -1, 32)
}

func writeCSV(out io.Writer, src rowSource, gz bool) error {
	bw := bufio.NewWriterSize(out, 1<<20)
	var w io.Writer = bw
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(bw)
		w = zw
	}
	cw := csv.NewWriter(w)
	record := make([]string, src.dim+1)
	record[0] = userIDColumn
	for i := range src.dim {
		record[i+1] = dimColumn(i)
	}
	if err := cw.Write(record); err != nil {
		return err
	}
	for i, u := range src.users {
		vec, err := src.vec(i)
		if err != nil {
			return err
		}
		record[0] = u
		for j, v := range vec {
			record[j+1] = formatFloat(v)
		}
		if err := cw.Write(record); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return err
		}
	}
	return bw.Flush()
}

func readCSV(in io.Reader, gz bool) (users []string, emb []float32, dim int, err error) {
	r := bufio.NewReaderSize(in, 1<<20)
	var src io.Reader = r
	if gz {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return nil, nil, 0, err
		}
		defer zr.Close()
		src = zr
	}
	cr := csv.NewReader(src)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil, 0, errors.New("empty file (no header)")
		}
		return nil, nil, 0, err
	}
	if len(header) < 2 || header[0] != userIDColumn {
		return nil, nil, 0, fmt.Errorf("header must be %s,e0,...; got %q", userIDColumn, header)
	}
	dim = len(header) - 1
	for i := range dim {
		if header[i+1] != dimColumn(i) {
			return nil, nil, 0, fmt.Errorf("header column %d is %q, want %q", i+1, header[i+1], dimColumn(i))
		}
	}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, 0, err
		}
		line, _ := cr.FieldPos(0)
		users = append(users, rec[0])
		for j, s := range rec[1:] {
			v, err := strconv.ParseFloat(s, 32)
			if err != nil {
				return nil, nil, 0, fmt.Errorf("line %d column %s: %w", line, dimColumn(j), err)
			}
			emb = append(emb, float32(v))
		}
	}
	return users, emb, dim, nil
}
