package data

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Reserved vocabulary indices. Real values start at FirstValue, most frequent first.
const (
	NoID       int32 = 0 // padding, or a field the behavior does not have
	OOV        int32 = 1 // a value outside the vocabulary
	FirstValue int32 = 2
)

// Vocab maps the raw values of one ID field to indices. It is built from the pretraining
// span only, keeps values seen at least MinCount times, and at most MaxSize of them (the
// most frequent), so that tens of millions of raw IDs fit in a bounded embedding table;
// everything else shares the OOV index.
type Vocab struct {
	Values []string // Values[i] has index i+FirstValue
	Counts []int64  // pretraining-span count of each value
	index  map[string]int32
}

// BuildVocab builds a vocabulary from value counts. minCount <= 1 keeps every value seen;
// maxSize <= 0 means no cap. Order: count descending, then value ascending (deterministic).
func BuildVocab(counts map[string]int64, minCount, maxSize int) *Vocab {
	vals := make([]string, 0, len(counts))
	for v, c := range counts {
		if c >= int64(minCount) && v != "" {
			vals = append(vals, v)
		}
	}
	sort.Slice(vals, func(i, j int) bool {
		ci, cj := counts[vals[i]], counts[vals[j]]
		if ci != cj {
			return ci > cj
		}
		return vals[i] < vals[j]
	})
	if maxSize > 0 && len(vals) > maxSize {
		vals = vals[:maxSize]
	}
	v := &Vocab{Values: vals, Counts: make([]int64, len(vals))}
	for i, s := range vals {
		v.Counts[i] = counts[s]
	}
	v.buildIndex()
	return v
}

func (v *Vocab) buildIndex() {
	v.index = make(map[string]int32, len(v.Values))
	for i, s := range v.Values {
		v.index[s] = int32(i) + FirstValue
	}
}

// Size is the embedding-table size the vocabulary needs, reserved indices included.
func (v *Vocab) Size() int { return len(v.Values) + int(FirstValue) }

// Lookup returns the index of a raw value: NoID for "", OOV when not in the vocabulary.
func (v *Vocab) Lookup(raw string) int32 {
	if raw == "" {
		return NoID
	}
	if id, ok := v.index[raw]; ok {
		return id
	}
	return OOV
}

// Value returns the raw value of an index ("" for NoID, "<oov>" for OOV).
func (v *Vocab) Value(id int32) string {
	switch {
	case id == NoID:
		return ""
	case id == OOV:
		return "<oov>"
	case int(id-FirstValue) < len(v.Values):
		return v.Values[id-FirstValue]
	}
	return fmt.Sprintf("<bad id %d>", id)
}

// The TSV escapes backslash, tab, newline and carriage return inside raw values.
var (
	tsvEscape   = strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`)
	tsvUnescape = strings.NewReplacer(`\\`, `\`, `\t`, "\t", `\n`, "\n", `\r`, "\r")
)

func vocabPath(dir, field string) string { return filepath.Join(dir, "vocab", field+".tsv") }

// save writes the vocabulary as TSV: index, value, count.
func (v *Vocab) save(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	fmt.Fprintf(w, "index\tvalue\tcount\n")
	for i, s := range v.Values {
		fmt.Fprintf(w, "%d\t%s\t%d\n", int32(i)+FirstValue, tsvEscape.Replace(s), v.Counts[i])
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// LoadVocab reads the vocabulary of one field of a dataset directory.
func LoadVocab(dir, field string) (*Vocab, error) {
	path := vocabPath(dir, field)
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	v := &Vocab{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	line := 0
	for sc.Scan() {
		line++
		if line == 1 {
			continue
		}
		parts := strings.Split(sc.Text(), "\t")
		if len(parts) != 3 {
			return nil, fmt.Errorf("%s:%d: want index, value, count separated by tabs", path, line)
		}
		c, err := strconv.ParseInt(parts[2], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: count %q: %v", path, line, parts[2], err)
		}
		v.Values = append(v.Values, tsvUnescape.Replace(parts[1]))
		v.Counts = append(v.Counts, c)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	v.buildIndex()
	return v, nil
}
