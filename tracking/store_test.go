package tracking

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openTemp(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "byb.db")
	s, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, path
}

func TestSchemaMigratesForwardAndRefusesNewer(t *testing.T) {
	s, path := openTemp(t)
	v, err := readVersion(s.db)
	if err != nil || v != SchemaVersion {
		t.Fatalf("version = %d, %v; want %d", v, err, SchemaVersion)
	}
	// A database at version 0 (only the version table) is migrated by the next Open.
	if _, err := s.db.Exec(`DROP TABLE artifacts; DROP TABLE latest_metrics; DROP TABLE metrics; DROP TABLE tags;
		DROP TABLE params; DROP TABLE runs; DROP TABLE experiments; UPDATE schema_version SET version = 0`); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s2, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.StartRun(RunOptions{}); err != nil {
		t.Fatalf("after migration: %v", err)
	}
	if _, err := s2.db.Exec(`UPDATE schema_version SET version = 99`); err != nil {
		t.Fatal(err)
	}
	s2.Close()
	if _, err := Open(path); err == nil || !strings.Contains(err.Error(), "newer") {
		t.Fatalf("Open of a newer schema: err = %v, want 'newer'", err)
	}
}

func TestRunLifecycleAndQueries(t *testing.T) {
	s, _ := openTemp(t)
	parent, err := s.StartRun(RunOptions{Experiment: "table2", Name: "repro", GitCommit: "abc"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i, method := range []string{"byb", "nbp", "byb"} {
		r, err := s.StartRun(RunOptions{Experiment: "table2", ParentID: parent.ID(), Seed: Seed(int64(i)), Engine: "go",
			Dir: "/runs/" + method, Params: map[string]string{"method": method, "data": "/data/tmall-like", "seed": string(rune('0' + i))}})
		if err != nil {
			t.Fatal(err)
		}
		for step := int64(0); step < 10; step++ {
			if err := r.LogMetric("train/loss", 1/float64(step+1)+float64(i), step); err != nil {
				t.Fatal(err)
			}
		}
		r.LogMetric("test/auroc", 0.7+0.01*float64(i), 9)
		r.LogArtifact("/runs/"+method+"/ckpt", ArtifactCheckpoint)
		r.SetTag("note", "x")
		status := StatusFinished
		if i == 1 {
			status = StatusFailed
		}
		if err := r.End(status, ""); err != nil {
			t.Fatal(err)
		}
		if err := r.LogMetric("late", 1, 1); err != ErrEnded {
			t.Fatalf("LogMetric after End: %v", err)
		}
		ids = append(ids, r.ID())
	}
	parent.End(StatusFinished, "")

	all, err := s.ListRuns(Filter{})
	if err != nil || len(all) != 4 {
		t.Fatalf("ListRuns = %d runs, %v", len(all), err)
	}
	for _, tc := range []struct {
		f    Filter
		want int
	}{
		{Filter{Experiment: "table2"}, 4},
		{Filter{Experiment: "nope"}, 0},
		{Filter{Method: "byb"}, 2},
		{Filter{Data: "tmall-like"}, 3},
		{Filter{Data: "/data/tmall-like"}, 3},
		{Filter{Data: "tmall"}, 0},
		{Filter{Status: StatusFailed}, 1},
		{Filter{Params: map[string]string{"method": "byb", "seed": "2"}}, 1},
		{Filter{ParentID: parent.ID()}, 3},
	} {
		got, err := s.ListRuns(tc.f)
		if err != nil || len(got) != tc.want {
			t.Errorf("ListRuns(%+v) = %d runs, %v; want %d", tc.f, len(got), err, tc.want)
		}
	}

	d, err := s.GetRun(ids[0][:5])
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != ids[0] || d.Params["method"] != "byb" || d.Metrics["train/loss"] != 0.1 || d.MetricPoints["train/loss"] != 10 ||
		len(d.Artifacts) != 1 || d.Tags["note"] != "x" || d.ParentID != parent.ID() || *d.Seed != 0 || d.Status != StatusFinished {
		t.Fatalf("GetRun = %+v", d)
	}
	pd, _ := s.GetRun(parent.ID())
	if len(pd.Children) != 3 {
		t.Fatalf("parent has %d children, want 3", len(pd.Children))
	}
	h, err := s.MetricHistory(ids[0], "train/loss")
	if err != nil || len(h) != 10 || h[0].Value != 1 {
		t.Fatalf("MetricHistory = %v, %v", h, err)
	}

	c, err := s.Compare(ids)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.DiffParams, ",") != "dir,method,seed" && strings.Join(c.DiffParams, ",") != "method,seed" {
		t.Fatalf("DiffParams = %v", c.DiffParams)
	}
	if c.MetricKeys[0] != "test/auroc" {
		t.Fatalf("MetricKeys = %v, want eval metric first", c.MetricKeys)
	}
	var buf bytes.Buffer
	if err := WriteCompare(&buf, c); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "(+1)") {
		t.Errorf("compare shows no delta:\n%s", buf.String())
	}
	checkWidth(t, buf.String())

	buf.Reset()
	if err := Export(&buf, "csv", all); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(buf.String()), "\n"); len(lines) != 5 || !strings.Contains(lines[0], "metric:test/auroc") {
		t.Fatalf("csv:\n%s", buf.String())
	}
	buf.Reset()
	if err := Export(&buf, "json", all); err != nil {
		t.Fatal(err)
	}
	var back []map[string]any
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil || len(back) != 4 {
		t.Fatalf("json export: %v (%d)", err, len(back))
	}

	if _, err := s.DeleteRuns([]string{ids[1]}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetRun(ids[1]); err == nil {
		t.Fatal("deleted run still there")
	}
	var n int
	s.db.QueryRow(`SELECT COUNT(*) FROM metrics`).Scan(&n)
	if n != 2*11 {
		t.Fatalf("metrics rows after delete = %d, want 22", n)
	}
	if _, err := s.DeleteRuns([]string{parent.ID()}); err != nil {
		t.Fatal(err)
	}
	if d, _ := s.GetRun(ids[0]); d == nil || d.ParentID != "" {
		t.Fatalf("child of a deleted parent: %+v", d)
	}
	exps, _ := s.Experiments()
	if len(exps) != 1 || exps[0].Runs != 2 {
		t.Fatalf("Experiments = %+v", exps)
	}
}

func checkWidth(t *testing.T, text string) {
	t.Helper()
	for _, l := range strings.Split(text, "\n") {
		if n := len([]rune(l)); n > 80 {
			t.Errorf("line of %d columns > 80: %q", n, l)
		}
	}
}

func TestMetricBatching(t *testing.T) {
	s, _ := openTemp(t)
	count := func() int {
		var n int
		if err := s.db.QueryRow(`SELECT COUNT(*) FROM metrics`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	r, err := s.StartRun(RunOptions{FlushEvery: 100, FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 99; i++ {
		r.LogMetric("loss", float64(i), int64(i))
	}
	time.Sleep(50 * time.Millisecond)
	if n := count(); n != 0 {
		t.Fatalf("%d points written before the batch was full", n)
	}
	r.LogMetric("loss", 99, 99) // the 100th point triggers one write of the whole batch
	waitFor(t, func() bool { return count() == 100 })
	for i := 100; i < 150; i++ {
		r.LogMetric("loss", float64(i), int64(i))
	}
	r.LogMetric("loss", math.NaN(), 150)
	if err := r.End(StatusFinished, ""); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 151 {
		t.Fatalf("after End: %d points, want 151", n)
	}
	d, _ := s.GetRun(r.ID())
	if !math.IsNaN(d.Metrics["loss"]) || d.MetricStep["loss"] != 150 {
		t.Fatalf("latest = %v at %d", d.Metrics["loss"], d.MetricStep["loss"])
	}
	if _, err := json.Marshal(d); err != nil {
		t.Fatalf("a NaN metric breaks JSON: %v", err)
	}

	// The timer flushes a partial batch.
	r2, _ := s.StartRun(RunOptions{FlushEvery: 1000, FlushInterval: 20 * time.Millisecond})
	r2.LogMetric("acc", 0.5, 1)
	waitFor(t, func() bool { return count() == 152 })
	r2.End(StatusFinished, "")
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestStaleHeartbeatReadsAsKilled(t *testing.T) {
	s, path := openTemp(t)
	r, _ := s.StartRun(RunOptions{HeartbeatInterval: 20 * time.Millisecond})
	// Simulate a dead process: stop the heartbeat goroutine without ending the run.
	close(r.stop)
	<-r.done
	got, _ := s.ListRuns(Filter{})
	if got[0].Status != StatusRunning {
		t.Fatalf("fresh run reads as %s", got[0].Status)
	}
	fresh, _ := s.Fingerprint()
	time.Sleep(100 * time.Millisecond)
	// Nothing was written, yet a live view polling the fingerprint must see the change.
	if stale, _ := s.Fingerprint(); stale == fresh {
		t.Fatalf("fingerprint %q did not change when the run went stale", stale)
	}
	got, _ = s.ListRuns(Filter{Status: StatusKilled})
	if len(got) != 1 || !strings.Contains(got[0].EndReason, "heartbeat") {
		t.Fatalf("stale run: %+v", got)
	}
	s.Close()
	// A reader shows the run as killed but writes nothing.
	rd, err := OpenExisting(path)
	if err != nil {
		t.Fatal(err)
	}
	var st string
	rd.db.QueryRow(`SELECT status FROM runs`).Scan(&st)
	if d, _ := rd.GetRun(r.ID()); st != StatusRunning || d.Status != StatusKilled {
		t.Fatalf("after a reader's open: stored %s, shown %s; want running (untouched) and killed", st, d.Status)
	}
	rd.Close()
	s2, err := Open(path) // a writer reaps: the stored status becomes killed
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	s2.db.QueryRow(`SELECT status FROM runs`).Scan(&st)
	if st != StatusKilled {
		t.Fatalf("stored status after reopen = %s", st)
	}
}

func TestAblation(t *testing.T) {
	var runs []RunInfo
	add := func(ema, task string, v float64) {
		runs = append(runs, RunInfo{Params: map[string]string{"ema": ema, "task": task, "seed": "1"}, Metrics: Metrics{"test/auroc": v}})
	}
	add("on", "churn", 0.80)
	add("on", "churn", 0.82)
	add("off", "churn", 0.70)
	add("on", "risk", 0.60)
	add("off", "risk", 0.65)
	a := Ablate(runs, "ema", "test/auroc")
	if strings.Join(a.Values, ",") != "off,on" || strings.Join(a.Tasks, ",") != "churn,risk" {
		t.Fatalf("ablation axes: %v %v", a.Values, a.Tasks)
	}
	on := a.Cells[1][0]
	if on.N != 2 || math.Abs(on.Mean-0.81) > 1e-9 || math.Abs(on.Std-math.Sqrt(0.0002)) > 1e-9 || !on.Best {
		t.Fatalf("on/churn = %+v", on)
	}
	if !a.Cells[0][1].Best || a.Cells[1][1].Best {
		t.Fatalf("best of risk: %+v", a.Cells)
	}
	if p := AblationParams(runs); len(p) != 1 || p[0] != "ema" {
		t.Fatalf("AblationParams = %v", p)
	}
}

func TestGitCommit(t *testing.T) {
	if c := GitCommit(t.TempDir()); c != "" {
		t.Fatalf("GitCommit outside a repo = %q", c)
	}
	if c := GitCommit("."); c != "" && len(strings.TrimSuffix(c, "+dirty")) != 40 {
		t.Fatalf("GitCommit in the repo = %q", c)
	}
}

func TestOddPathNames(t *testing.T) {
	for _, name := range []string{"with space.db", "hash#and?query.db", "percent%20.db", "ünïcode.db"} {
		path := filepath.Join(t.TempDir(), name)
		s, err := Open(path)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		r, err := s.StartRun(RunOptions{})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		r.End(StatusFinished, "")
		s.Close()
		if _, err := os.Stat(path); err != nil {
			t.Fatalf("%s: database not at its path: %v", name, err)
		}
		s, err = OpenExisting(path)
		if err != nil {
			t.Fatalf("%s reopen: %v", name, err)
		}
		runs, _ := s.ListRuns(Filter{})
		s.Close()
		if len(runs) != 1 {
			t.Fatalf("%s: %d runs", name, len(runs))
		}
	}
}

// A run resumed in the same directory links to the interrupted one, and the two read as one
// history without the steps the first made after its last checkpoint twice.
func TestResumedRunIsOneHistory(t *testing.T) {
	s, _ := openTemp(t)
	dir := t.TempDir()
	first, _ := s.StartRun(RunOptions{Dir: dir})
	for i := 0; i < 100; i++ {
		first.LogMetric("loss", float64(i), int64(i))
	}
	first.End(StatusKilled, "interrupted by SIGINT") // its last checkpoint was at step 59
	second, err := s.StartRun(RunOptions{Dir: dir, Resumes: true})
	if err != nil {
		t.Fatal(err)
	}
	for i := 60; i < 150; i++ {
		second.LogMetric("loss", 1000+float64(i), int64(i))
	}
	second.End(StatusFinished, "")
	other, _ := s.StartRun(RunOptions{Dir: t.TempDir(), Resumes: true}) // nothing to resume there
	other.End(StatusFinished, "")

	d, err := s.GetRun(second.ID())
	if err != nil || d.ResumedFrom != first.ID() {
		t.Fatalf("resumed_from = %q (%v), want %s", d.ResumedFrom, err, first.ID())
	}
	if o, _ := s.GetRun(other.ID()); o.ResumedFrom != "" {
		t.Fatalf("a run in a fresh directory links to %s", o.ResumedFrom)
	}
	h, err := s.MetricHistory(second.ID(), "loss")
	if err != nil || len(h) != 150 {
		t.Fatalf("%d points (%v), want 150: steps 0..59 of the first run, 60..149 of the second", len(h), err)
	}
	for i, p := range h {
		want := float64(i)
		if i >= 60 {
			want = 1000 + float64(i)
		}
		if p.Step != int64(i) || p.Value != want {
			t.Fatalf("point %d: step %d value %v; want step %d value %v", i, p.Step, p.Value, i, want)
		}
	}
	if h, _ := s.MetricHistory(first.ID(), "loss"); len(h) != 100 {
		t.Fatalf("the first run's own history has %d points, want 100", len(h))
	}
}
