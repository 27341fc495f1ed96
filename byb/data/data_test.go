package data

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func date(s string) int64 {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t.Unix()
}

func TestBuildVocabCapsAndOrders(t *testing.T) {
	counts := map[string]int64{"a": 5, "b": 1, "c": 5, "d": 3, "e": 2}
	v := BuildVocab(counts, 2, 3)
	// count desc, then value asc; "b" is below min count; cap keeps 3 of a,c,d,e.
	if want := []string{"a", "c", "d"}; !reflect.DeepEqual(v.Values, want) {
		t.Fatalf("values %v, want %v", v.Values, want)
	}
	if v.Size() != 5 {
		t.Errorf("size %d, want 3 values + 2 reserved", v.Size())
	}
	for raw, want := range map[string]int32{"a": 2, "c": 3, "d": 4, "e": OOV, "b": OOV, "zzz": OOV, "": NoID} {
		if got := v.Lookup(raw); got != want {
			t.Errorf("Lookup(%q) = %d, want %d", raw, got, want)
		}
	}
	if all := BuildVocab(counts, 0, 0); len(all.Values) != 5 {
		t.Errorf("no caps kept %d values, want 5", len(all.Values))
	}
}

func TestVocabSaveLoadEscapes(t *testing.T) {
	v := BuildVocab(map[string]int64{"tab\there": 2, `back\slash`: 3, "new\nline": 1, "plain": 4}, 1, 0)
	dir := t.TempDir()
	if err := v.save(vocabPath(dir, "f")); err != nil {
		t.Fatal(err)
	}
	got, err := LoadVocab(dir, "f")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Values, v.Values) || !reflect.DeepEqual(got.Counts, v.Counts) {
		t.Fatalf("round trip: %q %v, want %q %v", got.Values, got.Counts, v.Values, v.Counts)
	}
	if got.Lookup("tab\there") != v.Lookup("tab\there") {
		t.Error("lookup after load differs")
	}
}

func TestDefaultSplits(t *testing.T) {
	first, last := date("2013-04-01 10:00"), date("2013-09-30 23:00") // 183 days: Apr 1 .. Sep 30
	s, err := DefaultSplits(first, last, SplitOptions{PretrainDays: 120, ObsDays: 60, HorizonDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	end := date("2013-10-01 00:00")
	testEnd := end - 30*Day
	// Pretraining ends where the finetune observation ends: before the test period.
	want := []Split{
		{Name: Pretrain, Obs: Span{testEnd - 150*Day, testEnd - 30*Day}},
		{Name: Finetune, Obs: Span{testEnd - 90*Day, testEnd - 30*Day}},
		{Name: Test, Obs: Span{testEnd - 60*Day, testEnd}},
	}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("splits\n%+v\nwant\n%+v", s, want)
	}
	// Pretraining overlaps both observation windows (as the paper's Tmall split does), never a
	// label window.
	over := Overlaps(s, 30)
	if len(over) != 2 || !strings.Contains(over[0], "finetune observation window") ||
		!strings.Contains(over[1], "test observation window 2013-07-03..2013-09-01 by 30 days") {
		t.Fatalf("overlaps %q", over)
	}
	u, err := DefaultSplits(first, last, SplitOptions{ObsDays: 60, HorizonDays: 30, TestUsers: 0.25})
	if err != nil {
		t.Fatal(err)
	}
	if u[1].Obs != u[2].Obs || u[1].UserTo != 0.75 || u[2].UserFrom != 0.75 || u[2].UserTo != 1 {
		t.Fatalf("user-disjoint splits wrong: %+v", u)
	}
	if u[0].Obs.Start != date("2013-04-01 00:00") {
		t.Errorf("pretrain without a length should start at the first day, got %v", u[0].Obs)
	}
	if _, err := DefaultSplits(first, first+Day, SplitOptions{ObsDays: 60, HorizonDays: 30}); err == nil {
		t.Error("a 1-day log with 30-day horizons should not fit")
	}
}

func TestUserBucketSplitsDisjoint(t *testing.T) {
	ft := Split{UserFrom: 0, UserTo: 0.7}
	te := Split{UserFrom: 0.7, UserTo: 1}
	nTest := 0
	for i := 0; i < 1000; i++ {
		id := "user" + string(rune('a'+i%26)) + time.Unix(int64(i), 0).UTC().Format("150405")
		if ft.HasUser(id) == te.HasUser(id) {
			t.Fatalf("user %s is in both or neither split", id)
		}
		if te.HasUser(id) {
			nTest++
		}
	}
	if nTest < 220 || nTest > 380 {
		t.Errorf("%d of 1000 users in a 30%% split", nTest)
	}
}

// The user split is uniform for any id pattern: sequential numbers (MovieLens' 1..943 got no
// test user under plain FNV-1a), prefixed strings, zero-padded numbers and UUIDs.
func TestUserBucketIsUniform(t *testing.T) {
	patterns := map[string]func(i int) string{
		"sequential": func(i int) string { return strconv.Itoa(i + 1) },
		"prefixed":   func(i int) string { return "user" + strconv.Itoa(i) },
		"padded":     func(i int) string { return fmt.Sprintf("%08d", i) },
		"uuid": func(i int) string {
			r := rand.New(rand.NewPCG(uint64(i), 7))
			return fmt.Sprintf("%08x-%04x-4%03x-%04x-%012x", r.Uint32(), r.Uint32()&0xffff, r.Uint32()&0xfff, r.Uint32()&0xffff, r.Uint64()&0xffffffffffff)
		},
	}
	test := Split{UserFrom: 0.7, UserTo: 1}
	for name, id := range patterns {
		for _, n := range []int{943, 2377, 10000} {
			in := 0
			for i := range n {
				if test.HasUser(id(i)) {
					in++
				}
			}
			// ±2 points at 10,000 users (4.4 standard deviations); the small sets, as MovieLens
			// and the grocery log, within ±5 points (3.4 sd at 943).
			tol := 0.05
			if n >= 10000 {
				tol = 0.02
			}
			if got := float64(in) / float64(n); math.Abs(got-0.3) > tol {
				t.Errorf("%s ids, %d users: %.3f in a 30%% split, want within ±%.2f", name, n, got, tol)
			}
		}
	}
	// The 944 households with ids below 1000 must reach the test split too.
	in := 0
	for i := 1; i < 1000; i++ {
		if test.HasUser(strconv.Itoa(i)) {
			in++
		}
	}
	if in < 250 || in > 350 {
		t.Errorf("%d of the ids 1..999 in a 30%% split", in)
	}
}

// An import whose split is far from the share asked for says so.
func TestUserShareNotes(t *testing.T) {
	m := &Meta{Users: 1000, Splits: []Split{{Name: Finetune, UserTo: 0.7}, {Name: Test, UserFrom: 0.7, UserTo: 1}},
		SplitUsers: map[string]int{Finetune: 700, Test: 300}}
	if notes := UserShareNotes(m); len(notes) != 0 {
		t.Errorf("an exact split gave notes %v", notes)
	}
	m.SplitUsers = map[string]int{Finetune: 762, Test: 238}
	notes := UserShareNotes(m)
	if len(notes) != 2 || !strings.Contains(notes[1], "test kept 238 of 1000 users (23.8%), far from the 30.0%") {
		t.Errorf("a skewed split gave notes %v", notes)
	}
}

// smallBuild builds the hand-made dataset used below: fields (item, cat), one pretraining
// span Apr 1..Apr 11 and test observation Apr 1..Apr 6 with labels after Apr 6.
func smallBuild(t *testing.T, tasks ...string) (*Dataset, *Meta) {
	t.Helper()
	b := NewBuilder([]string{"item", "cat"})
	ev := []struct {
		user, when, item, cat string
	}{
		{"u2", "2013-04-02 09:00", "i1", "A"},
		{"u1", "2013-04-03 10:00", "i1", "A"},
		{"u1", "2013-04-01 08:00", "i2", "B"}, // out of order in the input on purpose
		{"u1", "2013-04-01 09:00", "i1", "A"},
		{"u1", "2013-04-06 12:00", "i3", "B"}, // label window of test (starts Apr 6)
		{"u1", "2013-04-07 12:00", "i1", "A"},
		{"u1", "2013-04-08 12:00", "i2", "B"},
		{"u2", "2013-04-20 09:00", "i9", "C"}, // outside pretraining: i9 and C are OOV
		{"u3", "2013-04-07 09:00", "i1", ""},  // no behavior in the observation window
	}
	for _, e := range ev {
		b.Add(e.user, date(e.when), []string{e.item, e.cat})
	}
	var ts []Task
	for _, s := range tasks {
		task, err := ParseTask(s)
		if err != nil {
			t.Fatal(err)
		}
		ts = append(ts, task)
	}
	splits := []Split{
		{Name: Pretrain, Obs: Span{date("2013-04-01 00:00"), date("2013-04-11 00:00")}},
		{Name: Test, Obs: Span{date("2013-04-01 00:00"), date("2013-04-06 00:00")}},
	}
	dir := filepath.Join(t.TempDir(), "ds")
	meta, err := b.Build(dir, BuildOptions{Name: "small", Splits: splits, Tasks: ts})
	if err != nil {
		t.Fatal(err)
	}
	d, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return d, meta
}

func TestBuildLoadAndLabels(t *testing.T) {
	d, meta := smallBuild(t, "cat3=most_frequent:cat:3", "active2=active:2", "churn1=inactive:1", "any=any_of:item:i2|i3:1", "none=none_of:item:i3:1")
	if meta.Users != 3 || meta.Events != 9 {
		t.Fatalf("users %d events %d, want 3 and 9", meta.Users, meta.Events)
	}
	if !reflect.DeepEqual(d.Users, []string{"u1", "u2", "u3"}) {
		t.Fatalf("users %v, want sorted raw ids", d.Users)
	}
	// Pretraining counts: item i1 ×4, i2 ×2, i3 ×1; cat A ×3, B ×3 → A first (tie, by value).
	item, _ := LoadVocab(d.Dir, "item")
	cat, _ := LoadVocab(d.Dir, "cat")
	if !reflect.DeepEqual(item.Values, []string{"i1", "i2", "i3"}) || !reflect.DeepEqual(cat.Values, []string{"A", "B"}) {
		t.Fatalf("vocabs %v %v", item.Values, cat.Values)
	}
	times, ids := d.Events(0) // u1, time-sorted
	wantT := []int64{date("2013-04-01 08:00"), date("2013-04-01 09:00"), date("2013-04-03 10:00"),
		date("2013-04-06 12:00"), date("2013-04-07 12:00"), date("2013-04-08 12:00")}
	if !reflect.DeepEqual(times, wantT) {
		t.Fatalf("u1 times %v, want %v", times, wantT)
	}
	if want := []int32{3, 3, 2, 2, 2, 2, 4, 3, 2, 2, 3, 3}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("u1 ids %v, want %v", ids, want)
	}
	_, ids2 := d.Events(1)
	if ids2[2] != OOV || ids2[3] != OOV {
		t.Errorf("u2's post-pretraining values should be OOV, got %v", ids2)
	}
	_, ids3 := d.Events(2)
	if ids3[1] != NoID {
		t.Errorf("an empty field should be NoID, got %d", ids3[1])
	}

	s, err := d.Samples(Test)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(s.Users, []int32{0, 1}) {
		t.Fatalf("test samples %v, want u1 and u2 (u3 has nothing before Apr 6)", s.Users)
	}
	if meta.EmptyUsers[Test] != 1 {
		t.Errorf("empty users in test = %d, want 1 (u3)", meta.EmptyUsers[Test])
	}
	// Label windows start Apr 6. u1: Apr 6 B(i3), Apr 7 A(i1), Apr 8 B(i2).
	//   cat3 (Apr 6..9): B ×2, A ×1 → B = class 1;  u2: nothing → -1.
	//   active2 (Apr 6..8): u1 1, u2 0.  churn1 (Apr 6..7): u1 0, u2 1.
	//   any item in {i2,i3} within 1 day: u1 has i3 on Apr 6 → 1; u2 0.
	//   none of item i3 within 1 day: u1 has it → 0; u2 → 1.
	want := [][]int32{{1, -1}, {1, 0}, {0, 1}, {1, 0}, {0, 1}}
	if !reflect.DeepEqual(s.Labels, want) {
		t.Fatalf("labels %v, want %v", s.Labels, want)
	}
	if meta.MissingLabels[Test]["cat3"] != 1 {
		t.Errorf("missing cat3 labels = %v, want 1", meta.MissingLabels[Test])
	}
	if got := meta.Tasks[0].Classes; !reflect.DeepEqual(got, []string{"A", "B"}) {
		t.Errorf("most_frequent classes %v, want the category vocabulary", got)
	}
}

func TestMostFrequentTieGoesToSmallerIndex(t *testing.T) {
	l := &labeler{task: Task{Rule: RuleMostFrequent, Days: 10}, field: 0}
	times := []int64{0, 1, 2, 3}
	ids := []int32{5, 3, 5, 3} // 5 and 3 twice each → 3 wins → class 3-2 = 1
	if got := l.label("u", times, ids, 1, 0); got != 1 {
		t.Fatalf("tie label %d, want 1", got)
	}
	ids = []int32{OOV, OOV, OOV, 4}
	if got := l.label("u", times, ids, 1, 0); got != 2 {
		t.Fatalf("OOV must not win: got %d, want 2", got)
	}
}

func TestBatchTruncatesAndPools(t *testing.T) {
	d, _ := smallBuild(t)
	s, err := d.Samples(Pretrain)
	if err != nil {
		t.Fatal(err)
	}
	b := d.Batch(s, []int{0, 1}, SeqConfig{MaxLen: 4}, -1)
	if b.Windows != 10 {
		t.Fatalf("T = %d, want 10 days", b.Windows)
	}
	// u1 has 6 behaviors in Apr 1..11; the most recent 4 are Apr 3, 6, 7, 8 → days 2, 5, 6, 7.
	if want := []int32{2, 5, 6, 7}; !reflect.DeepEqual(b.Window[:4], want) {
		t.Fatalf("u1 windows %v, want %v", b.Window[:4], want)
	}
	if want := []int32{2, 2, 4, 3, 2, 2, 3, 3}; !reflect.DeepEqual(b.IDs[:8], want) {
		t.Fatalf("u1 ids %v, want %v", b.IDs[:8], want)
	}
	// u2 has one behavior (Apr 2 → day 1) in the span, then padding.
	if want := []int32{1, -1, -1, -1}; !reflect.DeepEqual(b.Window[4:], want) {
		t.Fatalf("u2 windows %v, want %v", b.Window[4:], want)
	}
	if b.Len(0) != 4 || b.Len(1) != 1 {
		t.Errorf("lengths %d %d", b.Len(0), b.Len(1))
	}
	if b.IDs[1*4*2+1*2] != 0 { // u2, second slot
		t.Error("padding IDs must be 0")
	}
	hourly := d.Batch(s, []int{1}, SeqConfig{MaxLen: 2, Pool: 3600}, -1)
	if hourly.Windows != 240 || hourly.Window[0] != 33 {
		t.Errorf("hourly pooling: T=%d window=%d, want 240 and 33", hourly.Windows, hourly.Window[0])
	}
}

// Target-only behaviors are those of the TargetWindows windows after the observation window,
// numbered from T; over the cap they are spread evenly over the prediction window (pooled),
// or the first ones (unpooled: the next behaviors). A user with nothing there gets padding.
func TestBatchTargetWindows(t *testing.T) {
	d, _ := smallBuild(t)
	s, err := d.Samples(Test) // Apr 1..6, T = 5: u1 and u2
	if err != nil {
		t.Fatal(err)
	}
	// u1 after Apr 6: Apr 6 (i3,B), Apr 7 (i1,A), Apr 8 (i2,B); u2: only Apr 20, outside.
	pooled := d.Batch(s, []int{0, 1}, SeqConfig{MaxLen: 4, TargetWindows: 3, TargetLen: 2}, -1)
	if pooled.Windows != 5 || pooled.TargetWindows != 3 || pooled.TargetLen != 2 {
		t.Fatalf("T %d, target windows %d, target len %d", pooled.Windows, pooled.TargetWindows, pooled.TargetLen)
	}
	if want := []int32{5, 7, -1, -1}; !reflect.DeepEqual(pooled.TargetWindow, want) {
		t.Fatalf("pooled target windows %v, want %v (Apr 6 and Apr 8 of three)", pooled.TargetWindow, want)
	}
	if want := []int32{4, 3, 3, 3, 0, 0, 0, 0}; !reflect.DeepEqual(pooled.TargetIDs, want) {
		t.Fatalf("pooled target ids %v, want %v", pooled.TargetIDs, want)
	}
	next := d.Batch(s, []int{0, 1}, SeqConfig{MaxLen: 4, TargetWindows: 3, TargetLen: 2, NextOnly: true}, -1)
	if want := []int32{5, 6, -1, -1}; !reflect.DeepEqual(next.TargetWindow, want) {
		t.Fatalf("unpooled target windows %v, want %v (the next two behaviors)", next.TargetWindow, want)
	}
	if want := []int32{4, 3, 2, 2, 0, 0, 0, 0}; !reflect.DeepEqual(next.TargetIDs, want) {
		t.Fatalf("unpooled target ids %v, want %v", next.TargetIDs, want)
	}
	// The input never holds a target-only behavior: u1's inputs end on Apr 3 (window 2).
	if want := []int32{0, 0, 2, -1}; !reflect.DeepEqual(pooled.Window[:4], want) {
		t.Fatalf("u1 input windows %v, want %v", pooled.Window[:4], want)
	}
	if c := d.TargetCounts(s, SeqConfig{TargetWindows: 3}); !reflect.DeepEqual(c, []int{3, 0}) {
		t.Fatalf("target counts %v, want [3 0]", c)
	}
	padded := pooled.pad(3)
	if len(padded.TargetWindow) != 6 || padded.TargetWindow[5] != -1 || len(padded.TargetIDs) != 12 {
		t.Fatalf("padding a batch must pad its targets: %v", padded.TargetWindow)
	}
}

func TestWriterIsAtomic(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out")
	meta := &Meta{Name: "x", Fields: []Field{{Name: "f"}}, Splits: []Split{{Name: Pretrain, Obs: Span{0, Day}}}}
	v := []*Vocab{BuildVocab(map[string]int64{"a": 1}, 1, 0)}
	w, err := Create(dir, meta, v, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add("u", []int64{1}, []int32{2}); err != nil {
		t.Fatal(err)
	}
	w.Abort()
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 0 {
		t.Fatalf("abort left %v behind", entries)
	}
	w, _ = Create(dir, meta, v, nil)
	if err := w.Add("u", []int64{1, 2}, []int32{2}); err == nil {
		t.Fatal("mismatched IDs accepted")
	}
	if err := w.Add("u", []int64{5, 1}, []int32{2, 1}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	d, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if tm, ids := d.Events(0); !reflect.DeepEqual(tm, []int64{1, 5}) || !reflect.DeepEqual(ids, []int32{1, 2}) {
		t.Fatalf("writer should sort by time: %v %v", tm, ids)
	}
	entries, _ = os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Fatalf("close left temp files: %v", entries)
	}
	// A damaged file is reported, not half-read.
	os.WriteFile(filepath.Join(dir, timesFile), []byte{1, 2, 3}, 0o644)
	if _, err := Load(dir); err == nil {
		t.Fatal("damaged dataset loaded")
	}
}

func TestParseTaskErrors(t *testing.T) {
	for _, bad := range []string{"x", "=active:3", "a=active", "a=active:-1", "a=most_frequent:cat", "a=any_of:f::3", "a=what:3", "a=external:"} {
		if _, err := ParseTask(bad); err == nil {
			t.Errorf("ParseTask(%q) accepted", bad)
		}
	}
	tk, err := ParseTask("login-90d=any_of:page:login|relogin:90")
	if err != nil || tk.Days != 90 || !reflect.DeepEqual(tk.Values, []string{"login", "relogin"}) || tk.Kind != Binary {
		t.Fatalf("%+v %v", tk, err)
	}
}

func TestBatchesCoverEverySampleOnce(t *testing.T) {
	d, _ := smallBuild(t, "active2=active:2", "cat3=most_frequent:cat:3")
	s, _ := d.Samples(Test)
	if l := s.Labeled(1); l.Len() != 1 || l.Users[0] != 0 || l.Labels[0][0] != 1 {
		t.Fatalf("Labeled(cat3) = %+v, want only u1", l)
	}
	for _, dropLast := range []bool{false, true} {
		seen := map[int32]int{}
		for b := range d.Batches(s, SeqConfig{MaxLen: 3}, 1, 0, 7, 0, dropLast) {
			for _, u := range b.Users {
				seen[u]++
			}
		}
		padded := 0
		for b := range d.Batches(s, SeqConfig{MaxLen: 3}, 3, 0, -1, 0, false) {
			if b.Size != 3 || len(b.Window) != 9 || len(b.IDs) != 9*b.NumIDs {
				t.Fatalf("a padded batch must have the full size: %+v", b)
			}
			for r, u := range b.Users {
				if u < 0 {
					padded++
					if b.Labels[r] != -1 || b.Len(r) != 0 {
						t.Errorf("padding row %d has a label or behaviors", r)
					}
				}
			}
		}
		if padded != 1 {
			t.Errorf("%d padding rows, want 1 (2 samples in a batch of 3)", padded)
		}
		if len(seen) != 2 || seen[0] != 1 || seen[1] != 1 {
			t.Errorf("dropLast=%v: samples seen %v, want each once", dropLast, seen)
		}
	}
	n := 0
	for range d.Batches(s, SeqConfig{MaxLen: 3}, 3, -1, 7, 0, true) {
		n++
	}
	if n != 0 {
		t.Errorf("dropLast kept a partial batch")
	}
	if a, b := Order(50, 3, 1), Order(50, 3, 1); !reflect.DeepEqual(a, b) {
		t.Error("same seed and epoch must give the same order")
	}
	if a, b := Order(50, 3, 1), Order(50, 3, 2); reflect.DeepEqual(a, b) {
		t.Error("epochs should be shuffled differently")
	}
}

// A dataset whose ids.bin holds an ID past its field's vocabulary is refused when opened,
// naming the file, the behavior and the field.
func TestLoadRefusesIDsOutsideTheVocabulary(t *testing.T) {
	d, _ := smallBuild(t, "active2=active:2")
	path := filepath.Join(d.Dir, idsFile)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Behavior 1, field 1 (cat: vocabulary of 4) gets ID 9.
	binary.LittleEndian.PutUint32(b[4*(1*2+1):], 9)
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Load(d.Dir)
	if err == nil || !strings.Contains(err.Error(), "ids.bin: behavior 1 has cat ID 9, outside its vocabulary of 4") {
		t.Fatalf("Load: %v", err)
	}
}

// BuildOptions.Check runs when everything but meta.json is written: it reads the finished
// split files, may add warnings to meta.json, and a failing check leaves nothing behind (an
// earlier dataset at the same path stays). Build counts duplicate behaviors for it.
func TestBuildCheckAndDuplicates(t *testing.T) {
	b := NewBuilder([]string{"item"})
	for _, e := range []struct{ user, when, item string }{
		{"u1", "2013-04-01 08:00", "i1"}, {"u1", "2013-04-01 08:00", "i1"}, // a duplicate
		{"u1", "2013-04-01 08:00", "i2"}, {"u1", "2013-04-01 08:00", "i1"}, // same time, other item; again i1
		{"u2", "2013-04-01 08:00", "i1"}, // another user: not a duplicate
		{"u2", "2013-04-02 08:00", "i1"},
	} {
		b.Add(e.user, date(e.when), []string{e.item})
	}
	splits := []Split{{Name: Pretrain, Obs: Span{date("2013-04-01 00:00"), date("2013-04-03 00:00")}}}
	dir := filepath.Join(t.TempDir(), "ds")
	var sawSamples string
	_, err := b.Build(dir, BuildOptions{Name: "c", Splits: splits, Check: func(tmp string, m *Meta) error {
		s, err := os.ReadFile(filepath.Join(tmp, splitsDir, Pretrain+".csv"))
		sawSamples = string(s)
		m.Warnings = append(m.Warnings, fmt.Sprintf("%d duplicates", b.Duplicates()))
		return err
	}})
	if err != nil {
		t.Fatal(err)
	}
	if sawSamples != "user_index,user_id\n0,u1\n1,u2\n" {
		t.Fatalf("check saw samples %q", sawSamples)
	}
	m, err := ReadMeta(dir)
	if err != nil || !reflect.DeepEqual(m.Warnings, []string{"2 duplicates"}) || m.Events != 6 {
		t.Fatalf("meta warnings %q events %d (%v)", m.Warnings, m.Events, err)
	}
	_, err = b.Build(dir, BuildOptions{Name: "d", Splits: splits, Check: func(string, *Meta) error { return fmt.Errorf("no") }})
	if err == nil || err.Error() != "no" {
		t.Fatalf("failing check: %v", err)
	}
	if m, err := ReadMeta(dir); err != nil || m.Name != "c" {
		t.Fatalf("a failed check replaced the dataset: %v", err)
	}
	if entries, _ := os.ReadDir(filepath.Dir(dir)); len(entries) != 1 {
		t.Fatalf("a failed check left %v", entries)
	}
}

// A --min-count that keeps no value of a field is an error naming the field, its number of
// values and the highest count, not a field of OOV IDs.
func TestBuildMinCountThatEmptiesAField(t *testing.T) {
	b := NewBuilder([]string{"item", "cat"})
	for i, item := range []string{"i1", "i1", "i2", "i3"} {
		b.Add("u1", date("2013-04-01 08:00")+int64(i), []string{item, "c"})
	}
	splits := []Split{{Name: Pretrain, Obs: Span{date("2013-04-01 00:00"), date("2013-04-03 00:00")}}}
	_, err := b.Build(filepath.Join(t.TempDir(), "ds"), BuildOptions{Splits: splits, MinCount: 3})
	if err == nil || !strings.Contains(err.Error(), "field item: --min-count 3 keeps none of its 3 distinct values (the most frequent is seen 2 times in the pretraining span)") {
		t.Fatalf("err %v", err)
	}
}

// Load maps the arrays rather than reading them: the values are the files' (as a plain read
// gives them) after checkIDs has read and released them chunk by chunk across many pages,
// and Close unmaps once, however often it is called.
func TestLoadMapsTheArrays(t *testing.T) {
	defer func(c int) { checkChunk = c }(checkChunk)
	checkChunk = 1000 // IDs: several chunks, each spanning whole pages to release
	b := NewBuilder([]string{"item", "cat"})
	start := date("2013-04-01 00:00")
	for e := range 6000 {
		b.Add(fmt.Sprintf("u%d", e%50), start+int64(e)*97, []string{fmt.Sprintf("i%d", e%300), fmt.Sprintf("c%d", e%7)})
	}
	dir := filepath.Join(t.TempDir(), "ds")
	splits := []Split{{Name: Pretrain, Obs: Span{start, start + 10*Day}}}
	if _, err := b.Build(dir, BuildOptions{Name: "mapped", Splits: splits}); err != nil {
		t.Fatal(err)
	}
	d, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if littleEndian && len(d.mapped) != 3 {
		t.Errorf("%d arrays mapped, want 3 (offsets, times, ids)", len(d.mapped))
	}
	wantIDs, err := readArray[int32](filepath.Join(dir, idsFile))
	if err != nil {
		t.Fatal(err)
	}
	wantTimes, err := readArray[int64](filepath.Join(dir, timesFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(wantIDs) != 2*6000 || !slices.Equal(d.IDs, wantIDs) || !slices.Equal(d.Times, wantTimes) {
		t.Fatalf("mapped arrays differ from the files (ids %d/%d, times %d/%d)", len(d.IDs), len(wantIDs), len(d.Times), len(wantTimes))
	}
	times, ids := d.Events(7)
	if len(times) != 6000/50 || len(ids) != 2*len(times) {
		t.Errorf("user 7: %d behaviors, %d IDs; want %d and twice that", len(times), len(ids), 6000/50)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if err := d.Close(); err != nil || d.IDs != nil {
		t.Errorf("second Close: %v, IDs %d long", err, len(d.IDs))
	}
}

// A Builder over its memory budget spills to disk and builds the same dataset, file for
// file, as one that holds everything: users in the same order, each user's behaviors sorted
// by time with ties in input order (events of one user spread over many spills), the same
// vocabularies and duplicate count, and no temporary file left behind.
func TestBuilderSpillsToDiskAndBuildsTheSame(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	start := date("2013-04-01 00:00")
	type event struct {
		user string
		t    int64
		item string
		cat  string
	}
	var evs []event
	for range 3000 {
		u := fmt.Sprintf("user-%03d", rng.IntN(120))
		// Hour-resolution times: many ties within a user, and out of order in the input.
		evs = append(evs, event{u, start + int64(rng.IntN(20*24))*3600, fmt.Sprintf("i%d", rng.IntN(40)), fmt.Sprintf("c%d", rng.IntN(5))})
	}
	evs = append(evs, evs[10], evs[20]) // two exact repeats
	splits := []Split{{Name: Pretrain, Obs: Span{start, start + 12*Day}}, {Name: Test, Obs: Span{start, start + 10*Day}}}
	build := func(budget int64, tmp string) (string, *Builder) {
		b := NewBuilder([]string{"item", "cat"})
		b.MemoryBudget(budget, tmp)
		for _, e := range evs {
			b.Add(e.user, e.t, []string{e.item, e.cat})
		}
		if got := b.Events(); got != len(evs) {
			t.Fatalf("budget %d: Events() = %d, want %d", budget, got, len(evs))
		}
		if lo, hi := b.TimeRange(); lo < start || hi >= start+20*Day {
			t.Fatalf("budget %d: TimeRange %d..%d", budget, lo, hi)
		}
		n := 0
		for range b.Times() {
			n++
		}
		if n != len(evs) {
			t.Fatalf("budget %d: Times() yields %d, want %d", budget, n, len(evs))
		}
		// The spilled events' file has no name on disk while the builder uses it: an import
		// killed now leaves nothing behind (it used to leave its spill files).
		if tmp != "" {
			if left, _ := os.ReadDir(tmp); b.spills > 0 && len(left) > 0 {
				t.Errorf("budget %d: mid-import, %v in the spill directory", budget, left)
			}
		}
		dir := filepath.Join(t.TempDir(), "ds")
		if _, err := b.Build(dir, BuildOptions{Name: "spill", Splits: splits, Tasks: []Task{mustTask(t, "a2=active:2")}}); err != nil {
			t.Fatal(err)
		}
		return dir, b
	}
	whole, wb := build(0, "")
	tmp := t.TempDir()
	spilled, sb := build(100*2*(16+4*2), tmp) // 100 behaviors in memory: 30 spills, ~25 partitions
	if wb.spills != 0 || sb.spills < 20 {
		t.Errorf("spills: %d in memory (want 0), %d over budget (want 20 or more)", wb.spills, sb.spills)
	}
	if wb.Duplicates() != 2 || sb.Duplicates() != wb.Duplicates() {
		t.Errorf("duplicates: %d in memory, %d spilled; want 2 both", wb.Duplicates(), sb.Duplicates())
	}
	for _, f := range []string{usersFile, offsetsFile, timesFile, idsFile, "vocab/item.tsv", "vocab/cat.tsv", "splits/test.csv"} {
		a, err := os.ReadFile(filepath.Join(whole, f))
		if err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(filepath.Join(spilled, f))
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(a, b) {
			t.Errorf("%s differs between the in-memory and the spilled build", f)
		}
	}
	if left, _ := os.ReadDir(tmp); len(left) > 0 {
		t.Errorf("spill files left behind: %v", left)
	}
}

func mustTask(t *testing.T, s string) Task {
	t.Helper()
	task, err := ParseTask(s)
	if err != nil {
		t.Fatal(err)
	}
	return task
}

// A packed batch concatenates its rows' behaviors, each tagged with its row, without a cap on
// n unless one is set, into a behavior axis of a PackedLen size; padding rows add no slot.
func TestPackedBatch(t *testing.T) {
	d, _ := smallBuild(t)
	s, err := d.Samples(Pretrain)
	if err != nil {
		t.Fatal(err)
	}
	b := d.Batch(s, []int{0, 1}, SeqConfig{Packed: true}, -1)
	// u1: 6 behaviors, Apr 1 (×2), 3, 6, 7, 8 → days 0, 0, 2, 5, 6, 7; u2: Apr 2 → day 1.
	if want := []int32{0, 0, 2, 5, 6, 7, 1}; !reflect.DeepEqual(b.Window[:7], want) {
		t.Fatalf("windows %v, want %v", b.Window[:7], want)
	}
	if want := []int32{0, 0, 0, 0, 0, 0, 1, -1}; !reflect.DeepEqual(b.Row[:8], want) {
		t.Fatalf("rows %v, want %v", b.Row[:8], want)
	}
	if b.MaxLen != 64 || len(b.IDs) != 64*2 || b.Window[7] != -1 || b.Len(0) != 6 || b.Len(1) != 1 {
		t.Fatalf("N=%d, %d ids, lengths %d %d", b.MaxLen, len(b.IDs), b.Len(0), b.Len(1))
	}
	padded := d.Batch(s, []int{0, 1}, SeqConfig{MaxLen: 6}, -1)
	if !reflect.DeepEqual(b.IDs[:12], padded.IDs[:12]) || !reflect.DeepEqual(b.IDs[12:14], padded.IDs[12:14]) {
		t.Fatalf("packed ids %v, padded %v", b.IDs[:14], padded.IDs[:14])
	}
	if repacked := padded.ToPacked(); !reflect.DeepEqual(repacked.IDs, b.IDs) || !reflect.DeepEqual(repacked.Window, b.Window) || !reflect.DeepEqual(repacked.Row, b.Row) {
		t.Fatalf("the padded batch packed: windows %v rows %v, want %v %v", repacked.Window[:8], repacked.Row[:8], b.Window[:8], b.Row[:8])
	}
	capped := d.Batch(s, []int{0, 1}, SeqConfig{Packed: true, MaxLen: 4}, -1)
	if want := []int32{2, 5, 6, 7, 1, -1}; !reflect.DeepEqual(capped.Window[:6], want) {
		t.Fatalf("capped windows %v, want %v (the most recent 4 of u1)", capped.Window[:6], want)
	}
	grown := b.pad(5)
	if grown.Size != 5 || len(grown.Window) != 64 || grown.Users[4] != -1 || grown.Labels[4] != -1 {
		t.Fatalf("padded to 5 rows: size %d, %d slots, users %v", grown.Size, len(grown.Window), grown.Users)
	}
	for total, want := range map[int]int{0: 64, 64: 64, 65: 96, 96: 96, 97: 128, 129: 192, 193: 256, 1503: 1536, 1537: 2048} {
		if got := PackedLen(total); got != want {
			t.Errorf("PackedLen(%d) = %d, want %d", total, got, want)
		}
	}
}
