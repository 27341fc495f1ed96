package data

import (
	"errors"
	"fmt"
	"iter"
	"slices"
	"sort"
	"strings"
)

// Builder collects raw events (user, time, one raw string per ID field) in memory, interning
// each distinct raw value once, then builds a dataset: vocabularies from the pretraining
// span, events grouped by user and sorted by time, splits and labels. Importers parse files
// into a Builder; memory is proportional to the events (one int32 per ID, one int64 per time)
// plus the users and the distinct raw values, unless a MemoryBudget caps the events held in
// memory (the rest wait on disk; see spill.go).
type Builder struct {
	fields []string

	userIndex map[string]int32
	users     []string
	intern    []map[string]int32 // per field: raw value → interned index
	raw       [][]string         // per field: interned index → raw value

	evUser []int32
	evTime []int64
	evIDs  []int32 // m interned indices per event; -1 = empty value

	userEvents  []int32 // events per user, spilled or not
	first, last int64   // time range of the events
	maxBuffered int     // events held in memory before they spill; 0 = no limit
	spillDir    string
	spill       *eventFile // the spilled events, nil until the first spill
	spills      int        // times the buffer spilled, for tests
	err         error      // a failed spill, reported by Build
	slot        []int32    // Build's scratch: a user's group in the partition being written

	duplicates int64 // counted by Build
}

// NewBuilder starts a builder for behaviors with the given ID fields.
func NewBuilder(fields []string) *Builder {
	b := &Builder{fields: fields, userIndex: map[string]int32{}}
	for range fields {
		b.intern = append(b.intern, map[string]int32{})
		b.raw = append(b.raw, nil)
	}
	return b
}

// Fields returns the ID field names.
func (b *Builder) Fields() []string { return b.fields }

// Events is the number of events added.
func (b *Builder) Events() int {
	if b.spill != nil {
		return int(b.spill.events) + len(b.evTime)
	}
	return len(b.evTime)
}

// Add records one behavior. values holds one raw value per field; "" means the behavior has
// no ID in that field.
func (b *Builder) Add(user string, t int64, values []string) {
	u, ok := b.userIndex[user]
	if !ok {
		// Clone: importers pass substrings of a whole input line, which a map key would
		// otherwise keep alive for the builder's lifetime (memory ∝ lines, not values).
		user = strings.Clone(user)
		u = int32(len(b.users))
		b.userIndex[user] = u
		b.users = append(b.users, user)
		b.userEvents = append(b.userEvents, 0)
	}
	if b.Events() == 0 || t < b.first {
		b.first = t
	}
	if b.Events() == 0 || t > b.last {
		b.last = t
	}
	b.userEvents[u]++
	b.evUser = append(b.evUser, u)
	b.evTime = append(b.evTime, t)
	for j, v := range values {
		if v == "" {
			b.evIDs = append(b.evIDs, -1)
			continue
		}
		id, ok := b.intern[j][v]
		if !ok {
			v = strings.Clone(v)
			id = int32(len(b.raw[j]))
			b.intern[j][v] = id
			b.raw[j] = append(b.raw[j], v)
		}
		b.evIDs = append(b.evIDs, id)
	}
	if b.maxBuffered > 0 && len(b.evTime) >= b.maxBuffered && b.err == nil {
		b.err = b.spillBuffer()
	}
}

// HasUser reports whether a user has any event.
func (b *Builder) HasUser(user string) bool { _, ok := b.userIndex[user]; return ok }

// Times yields the events' times in the order they were added (reading spilled ones back
// from disk; a read error is reported by Build).
func (b *Builder) Times() iter.Seq[int64] {
	return func(yield func(int64) bool) {
		stop := errors.New("stop")
		err := b.each(func(_ int32, t int64, _ []int32) error {
			if !yield(t) {
				return stop
			}
			return nil
		})
		if err != nil && err != stop && b.err == nil {
			b.err = err
		}
	}
}

// Duplicates is the number of behaviors, counted by the last Build, that repeat an earlier
// behavior of the same user: same time and the same raw value in every field. They are
// written like any other (repeats can be real), and the importer reports them.
func (b *Builder) Duplicates() int64 { return b.duplicates }

// TimeRange returns the earliest and latest event time.
func (b *Builder) TimeRange() (int64, int64) { return b.first, b.last }

// BuildOptions say how a Builder becomes a dataset.
type BuildOptions struct {
	Name, Source string
	Splits       []Split // the pretraining split's window selects the vocabulary's counts
	Tasks        []Task
	MinCount     int // keep raw values seen at least this often in the pretraining span
	MaxVocab     int // and at most this many per field (0 = no cap)
	// External labels per task name (raw user → class index), for external tasks.
	External map[string]map[string]int32
	// Rows skipped by the importer, recorded in meta.json.
	SkippedRows  int
	SkipExamples []string
	// Check, when set, runs once everything but meta.json is written, with the temporary
	// directory that holds it (splits/SPLIT.csv are complete) and the meta about to be
	// written: it may add meta.Warnings, or fail the build, which then leaves nothing behind
	// and keeps an earlier dataset at dir. Duplicates are counted by then.
	Check func(dir string, meta *Meta) error
}

// Build writes the dataset to dir and returns its meta. With a MemoryBudget and spilled
// events it reads them back twice (vocabulary counts, then partitions of whole users).
func (b *Builder) Build(dir string, o BuildOptions) (*Meta, error) {
	defer func() { b.spill.remove(); b.spill = nil }()
	if b.err != nil {
		return nil, b.err
	}
	if b.Events() == 0 {
		return nil, fmt.Errorf("no events to build a dataset from")
	}
	var pre Span
	for _, s := range o.Splits {
		if s.Name == Pretrain {
			pre = s.Obs
		}
	}
	if pre.IsZero() {
		return nil, fmt.Errorf("no %s split given", Pretrain)
	}
	m := len(b.fields)

	// Vocabularies from pretraining-span counts; remap[j][interned] = vocabulary index.
	counts := make([][]int64, m)
	for j := range counts {
		counts[j] = make([]int64, len(b.raw[j]))
	}
	if err := b.each(func(_ int32, t int64, ids []int32) error {
		if pre.Contains(t) {
			for j, id := range ids {
				if id >= 0 {
					counts[j][id]++
				}
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	vocabs := make([]*Vocab, m)
	remap := make([][]int32, m)
	meta := &Meta{Name: o.Name, Source: o.Source, Splits: o.Splits, Tasks: o.Tasks,
		MinCount: o.MinCount, MaxVocab: o.MaxVocab, SkippedRows: o.SkippedRows, SkipExamples: o.SkipExamples}
	for j := 0; j < m; j++ {
		var total int64
		byValue := make(map[string]int64, len(counts[j]))
		for id, c := range counts[j] {
			if c > 0 {
				byValue[b.raw[j][id]] = c
				total += c
			}
		}
		vocabs[j] = BuildVocab(byValue, o.MinCount, o.MaxVocab)
		if len(vocabs[j].Values) == 0 && len(byValue) > 0 && o.MinCount > 1 {
			top := slices.Max(counts[j])
			return nil, fmt.Errorf("field %s: --min-count %d keeps none of its %d distinct values (the most frequent is seen %d times in the pretraining span), so every ID of the field would be out of vocabulary: pass --min-count %d or lower",
				b.fields[j], o.MinCount, len(byValue), top, top)
		}
		remap[j] = make([]int32, len(b.raw[j]))
		var covered int64
		for id, v := range b.raw[j] {
			remap[j][id] = vocabs[j].Lookup(v)
			if remap[j][id] >= FirstValue {
				covered += counts[j][id]
			}
		}
		f := Field{Name: b.fields[j], RawValues: int64(len(byValue))}
		if total > 0 {
			f.Coverage = float64(covered) / float64(total)
		}
		meta.Fields = append(meta.Fields, f)
	}

	// Users are written in sorted raw-id order so that a dataset does not depend on the
	// order of the input file.
	userOrder := make([]int, len(b.users))
	for i := range userOrder {
		userOrder[i] = i
	}
	sort.Slice(userOrder, func(a, c int) bool { return b.users[userOrder[a]] < b.users[userOrder[c]] })

	w, err := Create(dir, meta, vocabs, o.External)
	if err != nil {
		return nil, err
	}
	b.duplicates = 0
	if b.spill == nil {
		err = b.writeUsers(w, userOrder, remap)
	} else {
		var files []*eventFile
		var users [][]int
		if files, users, err = b.partitions(userOrder); err == nil {
			for p, f := range files {
				if err == nil {
					if err = b.load(f); err == nil {
						err = b.writeUsers(w, users[p], remap)
					}
				}
				f.remove()
			}
		}
	}
	if err != nil {
		w.Abort()
		return nil, err
	}
	var check func(string) error
	if o.Check != nil {
		check = func(tmp string) error { return o.Check(tmp, meta) }
	}
	if err := w.Commit(check); err != nil {
		return nil, err
	}
	return meta, nil
}

// writeUsers writes the given users, in that order, from the buffered events (which hold
// all of theirs): grouped by user (a counting sort keeps the input order), then each user's
// sorted by time, stably.
func (b *Builder) writeUsers(w *Writer, users []int, remap [][]int32) error {
	m := len(b.fields)
	if len(b.slot) != len(b.users) {
		b.slot = make([]int32, len(b.users))
	}
	slot := b.slot // user → its group among users (only theirs are buffered)
	for i, u := range users {
		slot[u] = int32(i)
	}
	start := make([]int, len(users)+1)
	for _, u := range b.evUser {
		start[slot[u]+1]++
	}
	for i := range users {
		start[i+1] += start[i]
	}
	order := make([]int32, len(b.evUser))
	next := append([]int(nil), start[:len(users)]...)
	for e, u := range b.evUser {
		i := slot[u]
		order[next[i]] = int32(e)
		next[i]++
	}
	var times []int64
	var ids, scratch []int32
	for i, u := range users {
		evs := order[start[i]:start[i+1]]
		sort.SliceStable(evs, func(a, c int) bool { return b.evTime[evs[a]] < b.evTime[evs[c]] })
		var dup int
		dup, scratch = b.countDuplicates(evs, scratch)
		b.duplicates += int64(dup)
		times, ids = times[:0], ids[:0]
		for _, e := range evs {
			times = append(times, b.evTime[e])
			for j := 0; j < m; j++ {
				id := NoID
				if r := b.evIDs[int(e)*m+j]; r >= 0 {
					id = remap[j][r]
				}
				ids = append(ids, id)
			}
		}
		if err := w.Add(b.users[u], times, ids); err != nil {
			return err
		}
	}
	return nil
}

// countDuplicates counts the events of evs (one user's, sorted by time) that repeat an earlier
// one with the same time and interned IDs (the same raw values, so values that share the OOV
// index are not taken for repeats). Each run of equal times is compared through a sorted copy
// in scratch (returned for reuse): the order written stays the input order, and a log with
// day-resolution times (Tmall's MMDD), where hundreds of a user's behaviors share one time,
// costs n log n rather than n².
func (b *Builder) countDuplicates(evs, scratch []int32) (int, []int32) {
	m := len(b.fields)
	idsOf := func(e int32) []int32 { return b.evIDs[int(e)*m : int(e+1)*m] }
	cmp := func(a, c int32) int { return slices.Compare(idsOf(a), idsOf(c)) }
	dup := 0
	for lo := 0; lo < len(evs); {
		hi := lo + 1
		for hi < len(evs) && b.evTime[evs[hi]] == b.evTime[evs[lo]] {
			hi++
		}
		if hi-lo > 1 {
			scratch = append(scratch[:0], evs[lo:hi]...)
			slices.SortFunc(scratch, cmp)
			for i := 1; i < len(scratch); i++ {
				if cmp(scratch[i-1], scratch[i]) == 0 {
					dup++
				}
			}
		}
		lo = hi
	}
	return dup, scratch
}
