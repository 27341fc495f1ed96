package data

import (
	"bufio"
	"encoding/binary"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"unsafe"
)

// Dataset is an open dataset directory: every user's time-sorted behaviors. Its flat arrays
// are memory-mapped read-only (read whole where the platform has no mmap), so opening one
// costs memory for its user ids only, and a batch reads just its users' ranges.
type Dataset struct {
	Dir     string
	Meta    *Meta
	Users   []string // raw user ids
	Offsets []int64  // user i's behaviors are [Offsets[i], Offsets[i+1])
	Times   []int64  // unix seconds
	IDs     []int32  // m per behavior

	mapped [][]byte // the mappings behind Offsets, Times and IDs, for Close
}

// littleEndian is whether the arrays' on-disk byte order is the machine's, so that a mapped
// file can be read in place.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// Load opens a dataset directory written by Writer. The dataset stays mapped until Close
// (or the process's end); slices from it must not be used after Close.
func Load(dir string) (_ *Dataset, err error) {
	meta, err := ReadMeta(dir)
	if err != nil {
		return nil, err
	}
	d := &Dataset{Dir: dir, Meta: meta}
	defer func() {
		if err != nil {
			_ = d.Close()
		}
	}()
	if d.Users, err = readLines(filepath.Join(dir, usersFile)); err != nil {
		return nil, err
	}
	if d.Offsets, err = mapInto[int64](d, filepath.Join(dir, offsetsFile)); err != nil {
		return nil, err
	}
	if d.Times, err = mapInto[int64](d, filepath.Join(dir, timesFile)); err != nil {
		return nil, err
	}
	if d.IDs, err = mapInto[int32](d, filepath.Join(dir, idsFile)); err != nil {
		return nil, err
	}
	m := int64(meta.NumIDs())
	switch {
	case len(d.Users) != meta.Users, len(d.Offsets) != meta.Users+1,
		int64(len(d.Times)) != meta.Events, int64(len(d.IDs)) != meta.Events*m,
		d.Offsets[len(d.Offsets)-1] != meta.Events:
		return nil, fmt.Errorf("%s: data files disagree with meta.json (%d users, %d events): the dataset is damaged, re-create it", dir, meta.Users, meta.Events)
	}
	if err := d.checkIDs(); err != nil {
		return nil, err
	}
	return d, nil
}

func mapInto[T int32 | int64](d *Dataset, path string) ([]T, error) {
	v, mapping, err := mapArray[T](path)
	if mapping != nil {
		d.mapped = append(d.mapped, mapping)
	}
	return v, err
}

// Close unmaps the dataset's arrays. It is safe to call more than once.
func (d *Dataset) Close() error {
	var first error
	for _, b := range d.mapped {
		if err := unmap(b); err != nil && first == nil {
			first = err
		}
	}
	d.mapped = nil
	d.Offsets, d.Times, d.IDs = nil, nil, nil
	return first
}

// checkChunk is the number of IDs checkIDs reads per pass (64 MiB); a variable for tests.
var checkChunk = 1 << 24

// checkIDs refuses IDs outside their field's vocabulary: an embedding lookup past the table
// would read garbage (or fail deep inside a graph) instead of naming the damaged file. It
// reads the mapped file once, in chunks it releases as it goes, so that the check does not
// leave the whole file resident.
func (d *Dataset) checkIDs() error {
	vocab := d.Meta.VocabSizes()
	m := len(vocab)
	chunk := checkChunk
	for lo := 0; lo < len(d.IDs); lo += chunk {
		ids := d.IDs[lo:min(lo+chunk, len(d.IDs))]
		for k, id := range ids {
			i := lo + k
			if f := i % m; id < 0 || int(id) >= vocab[f] {
				return fmt.Errorf("%s: behavior %d has %s ID %d, outside its vocabulary of %d (meta.json): the dataset is damaged, re-create it",
					filepath.Join(d.Dir, idsFile), i/m, d.Meta.Fields[f].Name, id, vocab[f])
			}
		}
		release(ids)
	}
	return nil
}

// Events returns user u's behavior times and IDs (m per behavior).
func (d *Dataset) Events(u int) ([]int64, []int32) {
	lo, hi := d.Offsets[u], d.Offsets[u+1]
	m := int64(d.Meta.NumIDs())
	return d.Times[lo:hi], d.IDs[lo*m : hi*m]
}

func readLines(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out, sc.Err()
}

// readArray reads a little-endian binary array of int32 or int64.
func readArray[T int32 | int64](path string) ([]T, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var zero T
	size := int(unsafe.Sizeof(zero))
	if len(b)%size != 0 {
		return nil, fmt.Errorf("%s: %d bytes is not a whole number of %d-byte values: the dataset is damaged", path, len(b), size)
	}
	out := make([]T, len(b)/size)
	for i := range out {
		if size == 8 {
			out[i] = T(binary.LittleEndian.Uint64(b[8*i:]))
		} else {
			out[i] = T(int32(binary.LittleEndian.Uint32(b[4*i:])))
		}
	}
	return out, nil
}

// Samples are the samples of one split: users with at least one behavior in the split's
// observation window, and their label per task (-1 = no label).
type Samples struct {
	Split  Split
	Users  []int32   // dataset user indices
	Labels [][]int32 // [task][sample]; empty for the pretraining split
}

// Len is the number of samples.
func (s *Samples) Len() int { return len(s.Users) }

// Samples reads the sample list (splits/SPLIT.csv) of a split.
func (d *Dataset) Samples(split string) (*Samples, error) {
	sp, err := d.Meta.Split(split)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(d.Dir, splitsDir, split+".csv")
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(bufio.NewReader(f))
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	nTasks := len(header) - 2
	s := &Samples{Split: sp, Labels: make([][]int32, nTasks)}
	for line := 2; ; line++ {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %v", path, line, err)
		}
		u, err := strconv.Atoi(rec[0])
		if err != nil || u < 0 || u >= len(d.Users) {
			return nil, fmt.Errorf("%s:%d: bad user index %q", path, line, rec[0])
		}
		s.Users = append(s.Users, int32(u))
		for t := 0; t < nTasks; t++ {
			y, err := strconv.Atoi(rec[2+t])
			if err != nil {
				return nil, fmt.Errorf("%s:%d: bad label %q for task %s", path, line, rec[2+t], header[2+t])
			}
			s.Labels[t] = append(s.Labels[t], int32(y))
		}
	}
	return s, nil
}

// SeqConfig says how a user's observation window becomes a model input.
type SeqConfig struct {
	MaxLen int   // n: the most recent n behaviors are kept; packed: 0 = all of them
	Pool   int64 // ΔT1 in seconds (Day by default)
	// Months > 0 pools by calendar months instead (ΔT1 = month: Pool is ignored): window k
	// of a span holds [start + k months, start + k+1 months), UTC.
	Months int

	// TargetWindows > 0 adds to each row the behaviors of the TargetWindows pooling windows
	// that follow the observation window, as target-only behaviors (see Batch).
	TargetWindows int
	// TargetLen caps them per row (nt). A row with more keeps evenly spaced ones, so the
	// mean over them stays spread over the whole prediction window.
	TargetLen int
	// NextOnly keeps the first TargetLen behaviors of the prediction window, in time order:
	// the next behaviors, which are the targets of the last input when the model's positions
	// are behaviors, not windows (BYB and NBP without pooling).
	NextOnly bool

	// Packed concatenates the rows' behaviors instead of padding them (see Batch), for models
	// that pool them into windows: with MaxLen 0 every behavior of the observation window is
	// kept, however many.
	Packed bool
}

// Batch builds the batch of the given samples (rows index s.Users). task is the index of the
// task whose labels fill Batch.Labels, or -1.
func (d *Dataset) Batch(s *Samples, rows []int, cfg SeqConfig, task int) *Batch {
	if cfg.Packed {
		return d.packedBatch(s, rows, cfg, task)
	}
	m, n := d.Meta.NumIDs(), cfg.MaxLen
	b := &Batch{Size: len(rows), MaxLen: n, NumIDs: m, Windows: cfg.Windows(s.Split.Obs),
		IDs: make([]int32, len(rows)*n*m), Window: make([]int32, len(rows)*n),
		Users: make([]int32, len(rows)), Labels: make([]int32, len(rows))}
	obs := s.Split.Obs
	for r, row := range rows {
		u := s.Users[row]
		b.Users[r], b.Labels[r] = u, label(s, task, row)
		times, ids := d.Events(int(u))
		lo, hi := spanRange(times, obs)
		if hi-lo > n {
			lo = hi - n
		}
		win := b.Window[r*n : (r+1)*n]
		for i := range win {
			win[i] = -1
		}
		for k, e := 0, lo; e < hi; k, e = k+1, e+1 {
			win[k] = int32(cfg.window(times[e], obs.Start))
		}
		copy(b.IDs[r*n*m:], ids[lo*m:hi*m])
	}
	if cfg.TargetWindows > 0 && cfg.TargetLen > 0 {
		d.addTargets(b, s, rows, cfg)
	}
	return b
}

// packedBatch is Batch with the rows' behaviors concatenated (cfg.Packed): every behavior of
// each row's observation window, or its most recent cfg.MaxLen when that is set.
func (d *Dataset) packedBatch(s *Samples, rows []int, cfg SeqConfig, task int) *Batch {
	m, obs := d.Meta.NumIDs(), s.Split.Obs
	// Each row's kept behaviors, sized first so the flat arrays are allocated once.
	kept := make([]struct {
		times []int64
		ids   []int32
	}, len(rows))
	total := 0
	for r, row := range rows {
		times, ids := d.Events(int(s.Users[row]))
		lo, hi := spanRange(times, obs)
		if cfg.MaxLen > 0 && hi-lo > cfg.MaxLen {
			lo = hi - cfg.MaxLen
		}
		kept[r].times, kept[r].ids = times[lo:hi], ids[lo*m:hi*m]
		total += hi - lo
	}
	n := PackedLen(total)
	b := &Batch{Size: len(rows), MaxLen: n, NumIDs: m, Windows: cfg.Windows(obs), Packed: true,
		IDs: make([]int32, n*m), Window: filled(n, -1), Row: filled(n, -1),
		Users: make([]int32, len(rows)), Labels: make([]int32, len(rows))}
	k := 0
	for r, row := range rows {
		b.Users[r], b.Labels[r] = s.Users[row], label(s, task, row)
		copy(b.IDs[k*m:], kept[r].ids)
		for _, t := range kept[r].times {
			b.Window[k], b.Row[k] = int32(cfg.window(t, obs.Start)), int32(r)
			k++
		}
	}
	if cfg.TargetWindows > 0 && cfg.TargetLen > 0 {
		d.addTargets(b, s, rows, cfg)
	}
	return b
}

// label is row's label for task, or -1 for none.
func label(s *Samples, task, row int) int32 {
	if task >= 0 && task < len(s.Labels) {
		return s.Labels[task][row]
	}
	return -1
}

// TargetSpan is the prediction window after an observation window: the TargetWindows
// pooling windows that follow obs.End.
func (c SeqConfig) TargetSpan(obs Span) Span {
	return Span{obs.End, c.WindowStart(obs.End, c.TargetWindows)}
}

// addTargets fills the target-only behaviors of every row (see Batch). Window indices count
// from the end of the observation window, T + (t − obs.End)/ΔT1, so that a partial last
// observation window never shares an index with a target window.
func (d *Dataset) addTargets(b *Batch, s *Samples, rows []int, cfg SeqConfig) {
	m, nt := b.NumIDs, cfg.TargetLen
	b.TargetWindows, b.TargetLen = cfg.TargetWindows, nt
	b.TargetIDs = make([]int32, len(rows)*nt*m)
	b.TargetWindow = filled(len(rows)*nt, -1)
	span := cfg.TargetSpan(s.Split.Obs)
	for r, row := range rows {
		times, ids := d.Events(int(s.Users[row]))
		lo, hi := spanRange(times, span)
		count := hi - lo
		for k := range min(count, nt) {
			e := lo + k
			if count > nt && !cfg.NextOnly {
				e = lo + (2*k+1)*count/(2*nt) // the middle of the k-th of nt equal parts
			}
			b.TargetWindow[r*nt+k] = int32(b.Windows + cfg.window(times[e], span.Start))
			copy(b.TargetIDs[(r*nt+k)*m:(r*nt+k+1)*m], ids[e*m:(e+1)*m])
		}
	}
}

// TargetCounts returns, per sample, the number of behaviors in its prediction window (the
// TargetWindows windows after its observation window).
func (d *Dataset) TargetCounts(s *Samples, cfg SeqConfig) []int {
	span := cfg.TargetSpan(s.Split.Obs)
	out := make([]int, s.Len())
	for i, u := range s.Users {
		times, _ := d.Events(int(u))
		lo, hi := spanRange(times, span)
		out[i] = hi - lo
	}
	return out
}

// spanRange returns the index range of the (sorted) times inside the span.
func spanRange(times []int64, s Span) (int, int) {
	lo, hi := 0, len(times)
	for lo < hi && times[lo] < s.Start {
		lo++
	}
	for hi > lo && times[hi-1] >= s.End {
		hi--
	}
	return lo, hi
}

// LengthStats are the Table 8 length columns of one split.
type LengthStats struct {
	Samples     int
	Min, Max    int
	Avg         float64
	DistinctIDs int // distinct vocabulary indices seen in the split, over all fields
	Days        int
}

// SplitStats computes the length statistics of a split's observation windows.
func (d *Dataset) SplitStats(s *Samples) LengthStats {
	st := LengthStats{Samples: s.Len(), Min: math.MaxInt, Days: s.Split.Obs.Days()}
	m := d.Meta.NumIDs()
	seen := make([]map[int32]bool, m)
	for j := range seen {
		seen[j] = map[int32]bool{}
	}
	total := 0
	for _, u := range s.Users {
		times, ids := d.Events(int(u))
		lo, hi := spanRange(times, s.Split.Obs)
		l := hi - lo
		total += l
		st.Min, st.Max = min(st.Min, l), max(st.Max, l)
		for e := lo; e < hi; e++ {
			for j := 0; j < m; j++ {
				if id := ids[e*m+j]; id >= FirstValue {
					seen[j][id] = true
				}
			}
		}
	}
	if st.Samples == 0 {
		st.Min = 0
	} else {
		st.Avg = float64(total) / float64(st.Samples)
	}
	for _, s := range seen {
		st.DistinctIDs += len(s)
	}
	return st
}

// Within is the samples with their observation window cut to obs (a part of it), without
// the users who have no behavior in obs: their sequences would be empty.
func (d *Dataset) Within(s *Samples, obs Span) *Samples {
	out := &Samples{Split: s.Split, Labels: make([][]int32, len(s.Labels))}
	out.Split.Obs = obs
	for i, u := range s.Users {
		times, _ := d.Events(int(u))
		if lo, hi := spanRange(times, obs); hi > lo {
			out.Users = append(out.Users, u)
			for t := range s.Labels {
				out.Labels[t] = append(out.Labels[t], s.Labels[t][i])
			}
		}
	}
	return out
}
