package data

import (
	"bufio"
	"encoding/binary"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// On-disk layout of a dataset directory (little-endian binary arrays beside text files):
//
//	meta.json            Meta: fields, splits, tasks, counts
//	users.txt            raw user id per line; line i is user index i
//	offsets.bin          int64 × (users+1): user i's events are [offsets[i], offsets[i+1])
//	times.bin            int64 × events: unix seconds, time-sorted within a user
//	ids.bin              int32 × events × m: vocabulary index per ID slot
//	vocab/FIELD.tsv      index, raw value, pretraining count
//	splits/SPLIT.csv     the split's samples: user_index,user_id,label per task (-1 = none)
//
// Users are written one at a time, so a generator can stream a paper-scale dataset to disk
// without holding it in memory.
const (
	usersFile   = "users.txt"
	offsetsFile = "offsets.bin"
	timesFile   = "times.bin"
	idsFile     = "ids.bin"
	splitsDir   = "splits"
)

// Writer streams users into a new dataset directory. Everything goes to a temporary
// directory beside the target, renamed into place by Close, so that a failed or interrupted
// write leaves nothing half-written.
type Writer struct {
	dir, tmp string
	meta     *Meta
	m        int

	users, offsets, times, ids *bufio.Writer
	files                      []*os.File
	splitOut                   []*csv.Writer
	splitBuf                   []*bufio.Writer
	labelers                   []*labeler
	offset                     int64
	buf                        []byte
}

// Create starts a dataset at dir. meta must have Fields, Splits and Tasks; vocabs[i] is field
// i's vocabulary (it sets the field's VocabSize); external maps an external task's name to its
// labels (raw user → class index). Resolving tasks fills their Classes in meta.
func Create(dir string, meta *Meta, vocabs []*Vocab, external map[string]map[string]int32) (*Writer, error) {
	if len(vocabs) != len(meta.Fields) {
		return nil, fmt.Errorf("data.Create: %d vocabularies for %d fields", len(vocabs), len(meta.Fields))
	}
	if st, err := os.Stat(dir); err == nil {
		if !st.IsDir() {
			return nil, fmt.Errorf("output %s exists and is not a directory", dir)
		}
		if _, err := os.Stat(filepath.Join(dir, metaFile)); err != nil {
			if entries, _ := os.ReadDir(dir); len(entries) > 0 {
				return nil, fmt.Errorf("output %s exists, is not empty and is not a byb dataset: choose another --out", dir)
			}
		}
	}
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-")
	if err != nil {
		return nil, err
	}
	w := &Writer{dir: dir, tmp: tmp, meta: meta, m: len(meta.Fields)}
	fail := func(err error) (*Writer, error) { w.Abort(); return nil, err }

	meta.Format = FormatVersion
	meta.Created = time.Now().UTC().Format(time.RFC3339)
	meta.Users, meta.Events, meta.First, meta.Last = 0, 0, 0, 0
	meta.EmptyUsers = map[string]int{}
	meta.SplitUsers = nil
	meta.MissingLabels = map[string]map[string]int{}
	for i := range meta.Fields {
		meta.Fields[i].VocabSize = vocabs[i].Size()
		if err := vocabs[i].save(vocabPath(tmp, meta.Fields[i].Name)); err != nil {
			return fail(err)
		}
	}
	for i := range meta.Tasks {
		l, err := newLabeler(&meta.Tasks[i], meta.Fields, vocabs, external[meta.Tasks[i].Name])
		if err != nil {
			return fail(err)
		}
		w.labelers = append(w.labelers, l)
	}
	open := func(name string) (*bufio.Writer, error) {
		f, err := os.Create(filepath.Join(tmp, name))
		if err != nil {
			return nil, err
		}
		w.files = append(w.files, f)
		return bufio.NewWriterSize(f, 1<<20), nil
	}
	for _, p := range []struct {
		dst  **bufio.Writer
		name string
	}{{&w.users, usersFile}, {&w.offsets, offsetsFile}, {&w.times, timesFile}, {&w.ids, idsFile}} {
		if *p.dst, err = open(p.name); err != nil {
			return fail(err)
		}
	}
	if err := os.Mkdir(filepath.Join(tmp, splitsDir), 0o755); err != nil {
		return fail(err)
	}
	for _, s := range meta.Splits {
		sw, err := open(filepath.Join(splitsDir, s.Name+".csv"))
		if err != nil {
			return fail(err)
		}
		header := []string{"user_index", "user_id"}
		if s.Name != Pretrain {
			for _, t := range meta.Tasks {
				header = append(header, t.Name)
			}
		}
		cw := csv.NewWriter(sw)
		cw.Write(header)
		w.splitBuf = append(w.splitBuf, sw)
		w.splitOut = append(w.splitOut, cw)
		meta.EmptyUsers[s.Name] = 0
	}
	w.putInt64(w.offsets, 0)
	return w, nil
}

func (w *Writer) putInt64(bw *bufio.Writer, v int64) {
	w.buf = binary.LittleEndian.AppendUint64(w.buf[:0], uint64(v))
	bw.Write(w.buf)
}

// Add appends one user. times are unix seconds; ids holds m vocabulary indices per behavior.
// Behaviors are sorted by time (stably) if they are not already.
func (w *Writer) Add(rawUser string, times []int64, ids []int32) error {
	return w.add(rawUser, times, ids, true)
}

// AddUnlabelled writes a user into the pretraining split only: no finetune or test split
// holds them, however active they are in its window. Unlabelled data grows this way while
// the labelled users stay fixed.
func (w *Writer) AddUnlabelled(rawUser string, times []int64, ids []int32) error {
	w.meta.UnlabelledUsers++
	return w.add(rawUser, times, ids, false)
}

func (w *Writer) add(rawUser string, times []int64, ids []int32, labelled bool) error {
	if strings.ContainsAny(rawUser, "\n\r") || rawUser == "" {
		return fmt.Errorf("user id %q: must be non-empty and contain no newline", rawUser)
	}
	if len(ids) != len(times)*w.m {
		return fmt.Errorf("user %s: %d IDs for %d behaviors × %d fields", rawUser, len(ids), len(times), w.m)
	}
	if !sort.SliceIsSorted(times, func(i, j int) bool { return times[i] < times[j] }) {
		times, ids = sortEvents(times, ids, w.m)
	}
	userIndex := w.meta.Users
	w.meta.Users++
	w.users.WriteString(rawUser + "\n")
	for _, t := range times {
		w.putInt64(w.times, t)
	}
	if need := 4 * len(ids); cap(w.buf) < need {
		w.buf = make([]byte, need)
	}
	b := w.buf[:4*len(ids)]
	for i, id := range ids {
		binary.LittleEndian.PutUint32(b[4*i:], uint32(id))
	}
	w.ids.Write(b)
	w.offset += int64(len(times))
	w.putInt64(w.offsets, w.offset)
	if len(times) > 0 {
		if w.meta.Events == 0 || times[0] < w.meta.First {
			w.meta.First = times[0]
		}
		if times[len(times)-1] > w.meta.Last {
			w.meta.Last = times[len(times)-1]
		}
	}
	w.meta.Events += int64(len(times))

	for si, s := range w.meta.Splits {
		if !s.HasUser(rawUser) || !labelled && s.Name != Pretrain {
			continue
		}
		if s.UserFrom != 0 || s.UserTo != 0 {
			if w.meta.SplitUsers == nil {
				w.meta.SplitUsers = map[string]int{}
			}
			w.meta.SplitUsers[s.Name]++
		}
		lo := sort.Search(len(times), func(i int) bool { return times[i] >= s.Obs.Start })
		if lo == len(times) || times[lo] >= s.Obs.End {
			w.meta.EmptyUsers[s.Name]++
			continue
		}
		row := []string{strconv.Itoa(userIndex), rawUser}
		if s.Name != Pretrain {
			for _, l := range w.labelers {
				y := l.label(rawUser, times, ids, w.m, s.Obs.End)
				if y < 0 {
					if w.meta.MissingLabels[s.Name] == nil {
						w.meta.MissingLabels[s.Name] = map[string]int{}
					}
					w.meta.MissingLabels[s.Name][l.task.Name]++
				}
				row = append(row, strconv.Itoa(int(y)))
			}
		}
		w.splitOut[si].Write(row)
	}
	return nil
}

func sortEvents(times []int64, ids []int32, m int) ([]int64, []int32) {
	order := make([]int, len(times))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return times[order[a]] < times[order[b]] })
	t2 := make([]int64, len(times))
	i2 := make([]int32, len(ids))
	for k, o := range order {
		t2[k] = times[o]
		copy(i2[k*m:(k+1)*m], ids[o*m:(o+1)*m])
	}
	return t2, i2
}

// Close flushes everything, writes meta.json and moves the dataset into place (replacing an
// earlier dataset at the same path).
func (w *Writer) Close() error { return w.Commit(nil) }

// Commit is Close with a last check: check, when not nil, runs once every file but meta.json
// is written, with the temporary directory that holds them; it may still change the meta (add
// warnings), or fail, which discards the new dataset and keeps an earlier one at the path.
func (w *Writer) Commit(check func(tmp string) error) error {
	for _, cw := range w.splitOut {
		cw.Flush()
	}
	outs := []*bufio.Writer{w.users, w.offsets, w.times, w.ids}
	outs = append(outs, w.splitBuf...)
	for _, o := range outs {
		if err := o.Flush(); err != nil {
			w.Abort()
			return err
		}
	}
	for _, f := range w.files {
		if err := f.Close(); err != nil {
			w.Abort()
			return err
		}
	}
	w.files = nil
	if check != nil {
		if err := check(w.tmp); err != nil {
			w.Abort()
			return err
		}
	}
	if err := writeMeta(w.tmp, w.meta); err != nil {
		w.Abort()
		return err
	}
	if _, err := os.Stat(w.dir); err == nil {
		// Two renames: the earlier dataset moves aside, then the new one into place (or, if
		// that fails, the earlier one back): the path never shows a half-written dataset, at
		// worst none for an instant.
		old := w.tmp + ".old"
		if err := os.Rename(w.dir, old); err != nil {
			w.Abort()
			return err
		}
		if err := os.Rename(w.tmp, w.dir); err != nil {
			os.Rename(old, w.dir)
			w.Abort()
			return err
		}
		os.RemoveAll(old)
		return nil
	}
	if err := os.Rename(w.tmp, w.dir); err != nil {
		w.Abort()
		return err
	}
	return nil
}

// Abort discards everything written so far.
func (w *Writer) Abort() {
	for _, f := range w.files {
		f.Close()
	}
	w.files = nil
	os.RemoveAll(w.tmp)
}
