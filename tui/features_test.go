package tui

import (
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/byb-dev/byb/tracking"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
)

// testRun is a run the tests record: its params, the curve of its "loss" (one point per
// step) and its final metrics.
type testRun struct {
	exp     string
	params  map[string]string
	curve   []float64 // "loss"
	diag    []float64 // "diag_E_rank"
	metrics map[string]float64
	status  string // default finished
	parent  string
	dir     string
	up      string // RunOptions.Upstream
}

func emptyStore(t *testing.T) *tracking.Store {
	t.Helper()
	s, err := tracking.Open(filepath.Join(t.TempDir(), "byb.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func addRun(t *testing.T, s *tracking.Store, tr testRun) string {
	t.Helper()
	r, err := s.StartRun(tracking.RunOptions{Experiment: tr.exp, Params: tr.params, ParentID: tr.parent, Dir: tr.dir, Upstream: tr.up})
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range tr.curve {
		r.LogMetric("loss", v, int64(i))
	}
	for i, v := range tr.diag {
		r.LogMetric("diag_E_rank", v, int64(i))
	}
	for k, v := range tr.metrics {
		r.LogMetric(k, v, int64(len(tr.curve)))
	}
	if tr.status == "" {
		tr.status = tracking.StatusFinished
	}
	if err := r.End(tr.status, ""); err != nil {
		t.Fatal(err)
	}
	return r.ID()
}

func curve(n int, f func(i int) float64) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

// Two runs' losses on one chart: both in the legend, each in its own colour, and smoothing
// and the log scale (which skips values ≤ 0, and says so) change what is drawn.
func TestCompareOverlaysCurves(t *testing.T) {
	s := emptyStore(t)
	a := addRun(t, s, testRun{exp: "pretrain", params: map[string]string{"method": "byb", "task": "churn"},
		curve: curve(60, func(i int) float64 { return 2 * math.Exp(-float64(i)/10) * (1 + 0.3*math.Sin(float64(i))) })})
	b := addRun(t, s, testRun{exp: "pretrain", params: map[string]string{"method": "nbp", "task": "risk"},
		curve: curve(40, func(i int) float64 { return 1 - float64(i)/30 }), diag: []float64{30, 20, 10}})
	m := newModel(t, s, 80, 24)
	m, _ = press(t, m, "enter", "space", "space", "c", "o")
	if m.view != viewCompare || !m.cmp.ov.on {
		t.Fatalf("view %d, overlay %v", m.view, m.cmp.ov.on)
	}
	plain := m.View()
	checkFits(t, plain, 80, 24)
	for _, want := range []string{a + " byb churn", b + " nbp risk", "loss", "no smoothing", "step 0", "59"} {
		if !strings.Contains(plain, want) {
			t.Errorf("overlay lacks %q:\n%s", want, plain)
		}
	}
	m, _ = press(t, m, "e")
	smooth := m.View()
	if smooth == plain || !strings.Contains(smooth, "smoothing EMA 0.6") {
		t.Errorf("smoothing changed nothing:\n%s", smooth)
	}
	m, _ = press(t, m, "e", "e", "y")
	logY := m.View()
	if logY == plain || !strings.Contains(logY, "y log") || !strings.Contains(logY, "values ≤ 0 not drawn") {
		t.Errorf("log scale changed nothing or hid the skipped values:\n%s", logY)
	}
	checkFits(t, logY, 80, 24)
	m, _ = press(t, m, "m")
	v := m.View()
	if !strings.Contains(v, "diag_E_rank  2/2") {
		t.Errorf("m should chart the next metric:\n%s", v)
	}
	for _, l := range strings.Split(v, "\n") {
		if strings.Contains(l, "step 0") && !strings.HasSuffix(strings.TrimSpace(l), " 2") {
			t.Errorf("the step axis of diag_E_rank (steps 0-2) reads %q", l)
		}
	}
	m, _ = press(t, m, "m")
	if m.cmp.ov.loaded != "loss" {
		t.Errorf("m should cycle back to loss, not %q", m.cmp.ov.loaded)
	}

	m, _ = press(t, m, "o")
	if v := m.View(); m.cmp.ov.on || !strings.Contains(v, "params that differ") {
		t.Fatalf("o should go back to the table:\n%s", v)
	}
}

// multiChart draws each series in its own style, on a shared step axis.
func TestMultiChartStylesEachSeries(t *testing.T) {
	mark := func(tag string) lipgloss.Style {
		return lipgloss.NewStyle().Transform(func(s string) string { return "<" + tag + ">" + s + "</" + tag + ">" })
	}
	pts := func(from, to int64, f func(int64) float64) []tracking.Point {
		var out []tracking.Point
		for x := from; x <= to; x++ {
			out = append(out, tracking.Point{Step: x, Value: f(x)})
		}
		return out
	}
	up := series{pts: pts(0, 50, func(x int64) float64 { return float64(x) }), style: mark("a")}
	down := series{pts: pts(100, 200, func(x int64) float64 { return 50 - float64(x-100)/2 }), style: mark("b")}
	out, skipped := multiChart([]series{up, down}, 60, 6, chartOpts{})
	if skipped != 0 || !strings.Contains(out, "<a>") || !strings.Contains(out, "<b>") {
		t.Fatalf("both series should be drawn in their styles:\n%s", out)
	}
	if !strings.Contains(out, "step 0") || !strings.HasSuffix(out, "200") {
		t.Fatalf("the step axis should span both series:\n%s", out)
	}
	// Steps 100-200 of the shared axis 0-200 are its right half: 25 of the 50 plot cells
	// right of the 10-cell y axis.
	unmark := strings.NewReplacer("<a>", "", "</a>", "", "</b>", "")
	for _, l := range strings.Split(out, "\n") {
		if i := strings.Index(l, "<b>"); i >= 0 && len([]rune(unmark.Replace(l[:i]))) < 10+24 {
			t.Fatalf("series b drawn left of its steps: %q", l)
		}
	}
	_, skipped = multiChart([]series{{pts: []tracking.Point{{Step: 0, Value: -1}, {Step: 1, Value: 0}, {Step: 2, Value: 1}}}}, 40, 4, chartOpts{logY: true})
	if skipped != 2 {
		t.Fatalf("log scale skipped %d values, want 2", skipped)
	}
}

// TASK and METHOD show their values in full (up to a cap), w shows every column in full.
func TestColumnsAreNotTruncatedIntoLookAlikes(t *testing.T) {
	s := emptyStore(t)
	long := "byb-unfreeze-with-a-rather-long-name"
	addRun(t, s, testRun{exp: "finetune", params: map[string]string{"method": "supervised", "task": "Unbind-30d"}})
	addRun(t, s, testRun{exp: "finetune", params: map[string]string{"method": long, "task": "Unbind-90d"}})
	m := newModel(t, s, 100, 30)
	m, _ = press(t, m, "enter")
	v := m.View()
	checkFits(t, v, 100, 30)
	for _, want := range []string{"Unbind-30d", "Unbind-90d", "supervised", long[:fitCap-1] + "…"} {
		if !strings.Contains(v, want) {
			t.Errorf("runs table lacks %q:\n%s", want, v)
		}
	}
	m, _ = press(t, m, "w")
	if v := m.View(); !strings.Contains(v, long) || !strings.Contains(v, "wide") {
		t.Errorf("wide mode does not show %q in full:\n%s", long, v)
	}
}

// p adds the param that varies among the listed runs as a column (sortable), P removes it.
func TestParamColumns(t *testing.T) {
	s, _ := demoStore(t, 60, 5)
	m := newModel(t, s, 100, 30)
	m, _ = press(t, m, "enter", "p")
	cols := m.runs.table.cols
	if len(cols) != numRunCols+1 || cols[numRunCols].title != "ema" {
		t.Fatalf("p added %v", cols[numRunCols:])
	}
	if v := m.View(); !strings.Contains(v, " on ") && !strings.Contains(v, " off ") {
		t.Errorf("the ema column shows no value:\n%s", v)
	}
	m, _ = press(t, m, "p")
	if !strings.Contains(m.View(), "no other param varies") {
		t.Error("a second p should say that no other param varies")
	}
	for m.runs.sortCol != numRunCols {
		m, _ = press(t, m, "s")
	}
	if !strings.Contains(m.View(), "sort ema") {
		t.Errorf("not sorted by ema:\n%s", m.View())
	}
	for i := 1; i < len(m.runs.list); i++ {
		if m.runs.list[i-1].Params["ema"] < m.runs.list[i].Params["ema"] {
			t.Fatal("the ema column is not sorted (descending)")
		}
	}
	m, _ = press(t, m, "P")
	if len(m.runs.table.cols) != numRunCols || m.runs.sortCol >= numRunCols {
		t.Fatalf("P left %d columns, sort column %d", len(m.runs.table.cols), m.runs.sortCol)
	}
}

// The first metric choice reads each run's own AUROC: binary or macro, whichever it has.
func TestHeadlineMetricFollowsTheTask(t *testing.T) {
	s := emptyStore(t)
	bin := addRun(t, s, testRun{exp: "finetune", params: map[string]string{"task": "churn"}, metrics: map[string]float64{"test_auroc": 0.7, "test_ks": 0.3}})
	multi := addRun(t, s, testRun{exp: "finetune", params: map[string]string{"task": "category"},
		metrics: map[string]float64{"test_macro_auroc": 0.8, "test_macro_auroc_classes": 5}})
	none := addRun(t, s, testRun{exp: "pretrain", curve: []float64{1, 0.5}})
	m := newModel(t, s, 100, 30)
	m, _ = press(t, m, "enter")
	if m.runs.metric() != tracking.HeadlineMetric {
		t.Fatalf("first metric %q, want %q", m.runs.metric(), tracking.HeadlineMetric)
	}
	for m.runs.sortCol != colMetric {
		m, _ = press(t, m, "s")
	}
	v := m.View()
	if !strings.Contains(v, "TEST AUROC") || !strings.Contains(v, "0.7") || !strings.Contains(v, "0.8") {
		t.Fatalf("runs table:\n%s", v)
	}
	if got := []string{m.runs.list[0].ID, m.runs.list[1].ID, m.runs.list[2].ID}; got[0] != multi || got[1] != bin || got[2] != none {
		t.Fatalf("sorted by test AUROC (descending) %v, want %v", got, []string{multi, bin, none})
	}
}

// A finetuning run carries its pretraining's params; the ablation view groups downstream
// AUROC by an upstream switch, with ± only where there is a spread to show.
func TestAblationByPretrainingSwitch(t *testing.T) {
	s := emptyStore(t)
	ce, mse := filepath.Join(t.TempDir(), "ce"), filepath.Join(t.TempDir(), "mse")
	addRun(t, s, testRun{exp: "pretrain", dir: ce, params: map[string]string{"method": "byb", "byb_loss": "ce", "byb_ema": "false"}})
	addRun(t, s, testRun{exp: "pretrain", dir: mse, params: map[string]string{"method": "byb", "byb_loss": "mse", "byb_ema": "false"}})
	for _, r := range []struct {
		up string
		v  float64
	}{{ce, 0.80}, {ce, 0.82}, {mse, 0.70}} {
		addRun(t, s, testRun{exp: "finetune", up: r.up, params: map[string]string{"method": "finetune", "task": "churn"},
			metrics: map[string]float64{"test_auroc": r.v}})
	}
	m := newModel(t, s, 80, 24)
	m, _ = press(t, m, "enter", "/", "f", "i", "n", "e", "enter", "a")
	v := m.View()
	checkFits(t, v, 80, 24)
	for _, want := range []string{"group by pretrain.byb_loss", "metric test AUROC", "0.8100±0.0141 (2)*", "0.7000 (1)"} {
		if !strings.Contains(v, want) {
			t.Errorf("ablation lacks %q:\n%s", want, v)
		}
	}
	if strings.Contains(v, "0.7000±") {
		t.Errorf("a single run shows a spread:\n%s", v)
	}
	// A finetuning run's detail shows the pretraining params in a section of their own.
	tm, _ := m.Update(tea.WindowSizeMsg{Width: 80, Height: 60})
	m, _ = press(t, tm.(Model), "esc", "enter")
	v = m.View()
	for _, want := range []string{"pretraining params (pretrain.*) of run ", "pretrain.byb_loss = ", "pretrain.method = byb"} {
		if !strings.Contains(v, want) {
			t.Errorf("finetuning detail lacks %q:\n%s", want, v)
		}
	}
}

// Enter in the detail of a run with children lists them in the runs table (parent:ID).
func TestParentRunOpensItsChildren(t *testing.T) {
	s := emptyStore(t)
	parent := addRun(t, s, testRun{exp: "table2", params: map[string]string{"method": "reproduce"}})
	var kids []string
	for _, task := range []string{"churn", "risk"} {
		kids = append(kids, addRun(t, s, testRun{exp: "finetune", parent: parent, params: map[string]string{"task": task}}))
	}
	addRun(t, s, testRun{exp: "finetune", params: map[string]string{"task": "churn"}}) // not a child
	m := newModel(t, s, 80, 24)
	m, _ = press(t, m, "enter", "G", "enter") // the oldest run: the parent
	if m.view != viewDetail || m.detail.run == nil || m.detail.run.ID != parent {
		t.Fatalf("view %d, not the parent's detail", m.view)
	}
	if v := m.View(); !strings.Contains(v, "enter 2 children") {
		t.Errorf("the footer does not offer the children:\n%s", v)
	}
	m, _ = press(t, m, "enter")
	if m.view != viewRuns || len(m.runs.list) != 2 || !strings.Contains(m.View(), "filter: parent:"+parent) {
		t.Fatalf("view %d, %d runs:\n%s", m.view, len(m.runs.list), m.View())
	}
	for _, r := range m.runs.list {
		if r.ParentID != parent {
			t.Fatalf("%s is not a child of %s", r.ID, parent)
		}
	}
	m, _ = press(t, m, "enter", "enter") // a child has no children
	if !strings.Contains(m.View(), "no children") {
		t.Errorf("enter on a run without children:\n%s", m.View())
	}
	if m.detail.run.ID != kids[0] && m.detail.run.ID != kids[1] {
		t.Errorf("opened %s, not a child", m.detail.run.ID)
	}
}

// Failed runs and data imports are hidden by default; H shows them; the data experiment,
// opened on its own, shows its runs.
func TestNoiseIsHiddenUntilAsked(t *testing.T) {
	s := emptyStore(t)
	ok := addRun(t, s, testRun{exp: "finetune", params: map[string]string{"task": "churn"}})
	addRun(t, s, testRun{exp: "finetune", status: tracking.StatusFailed})
	addRun(t, s, testRun{exp: dataExperiment, params: map[string]string{"method": "import"}})
	m := newModel(t, s, 80, 24)
	m, _ = press(t, m, "enter")
	if len(m.runs.list) != 1 || m.runs.list[0].ID != ok || !strings.Contains(m.View(), "2 hidden") {
		t.Fatalf("%d runs listed:\n%s", len(m.runs.list), m.View())
	}
	m, _ = press(t, m, "H")
	if len(m.runs.list) != 3 || !strings.Contains(m.View(), "failed & data shown") {
		t.Fatalf("H: %d runs listed:\n%s", len(m.runs.list), m.View())
	}
	m, _ = press(t, m, "H", "esc")
	for i := 1; m.experimentName(i) != ""; i++ {
		if m.experimentName(i) == dataExperiment {
			m.expTable.cursor = i
		}
	}
	m, _ = press(t, m, "enter")
	if m.experiment != dataExperiment || len(m.runs.list) != 1 {
		t.Fatalf("the data experiment lists %d runs", len(m.runs.list))
	}
}

// typing presses the keys that type text.
func typing(text string) []string {
	var ks []string
	for _, r := range text {
		if r == ' ' {
			ks = append(ks, "space")
		} else {
			ks = append(ks, string(r))
		}
	}
	return ks
}

// t tags the run shown and n writes its note, through Store.SetRunTag; both show there, and
// q typed in them is text.
func TestTagAndNoteARun(t *testing.T) {
	s := emptyStore(t)
	id := addRun(t, s, testRun{exp: "finetune", params: map[string]string{"task": "churn"}})
	m := newModel(t, s, 80, 40)
	m, _ = press(t, m, "enter", "enter", "t")
	if !strings.Contains(m.View(), "tag key=value:") {
		t.Fatalf("no tag prompt:\n%s", m.View())
	}
	m, _ = press(t, m, append(typing("nope"), "enter")...)
	if !strings.Contains(m.View(), "a tag is key=value") {
		t.Errorf("a tag without = was not refused:\n%s", m.View())
	}
	m, _ = press(t, m, "backspace", "backspace", "backspace", "backspace")
	m, quit := press(t, m, append(typing("verdict = keep q"), "enter")...)
	if quit {
		t.Fatal("q in the tag prompt quit")
	}
	m, _ = press(t, m, append([]string{"n"}, append(typing("lr too high"), "enter")...)...)
	v := m.View()
	for _, want := range []string{"verdict = keep q", "note        lr too high"} {
		if !strings.Contains(v, want) {
			t.Errorf("detail lacks %q:\n%s", want, v)
		}
	}
	d, err := s.GetRun(id)
	if err != nil || d.Tags["verdict"] != "keep q" || d.Tags["note"] != "lr too high" {
		t.Fatalf("stored tags %v (%v)", d.Tags, err)
	}
	// n starts from the note, to edit it; emptied, the note is deleted.
	m, _ = press(t, m, "n")
	if m.detail.prompt.text != "lr too high" {
		t.Fatalf("the note prompt starts from %q", m.detail.prompt.text)
	}
	for range "lr too high" {
		m, _ = press(t, m, "backspace")
	}
	m, _ = press(t, m, "enter")
	if d, _ := s.GetRun(id); d.Tags["note"] != "" || strings.Contains(m.View(), "lr too high") {
		t.Fatalf("the note was not deleted: %v", d.Tags)
	}
}

// The mouse: a click moves the cursor to the row clicked, a click on the cursor's row opens
// it, the wheel scrolls.
func TestMouseClicksAndScrolls(t *testing.T) {
	s, _ := demoStore(t, 40, 5)
	m := newModel(t, s, 80, 24)
	m, _ = press(t, m, "enter")
	click := func(y int) tea.MouseMsg {
		return tea.MouseMsg{X: 10, Y: y, Button: tea.MouseButtonLeft, Action: tea.MouseActionPress}
	}
	// Line 0 is the title, line 1 the table's header: line 5 shows row 3.
	m, _ = feed(m, click(5))
	if m.runs.table.cursor != 3 {
		t.Fatalf("click on line 5: cursor %d, want 3", m.runs.table.cursor)
	}
	m, _ = feed(m, click(1)) // the header
	if m.runs.table.cursor != 3 {
		t.Fatalf("a click on the header moved the cursor to %d", m.runs.table.cursor)
	}
	for i := 0; i < 10; i++ {
		m, _ = feed(m, tea.MouseMsg{Button: tea.MouseButtonWheelDown, Action: tea.MouseActionPress})
	}
	if m.runs.table.offset == 0 {
		t.Fatalf("the wheel did not scroll: cursor %d offset %d", m.runs.table.cursor, m.runs.table.offset)
	}
	off := m.runs.table.offset
	m, _ = feed(m, click(2))
	if m.runs.table.cursor != off || m.view != viewRuns {
		t.Fatalf("click on the first row shown: cursor %d, want %d", m.runs.table.cursor, off)
	}
	want := m.runs.list[off].ID
	m, _ = feed(m, click(2))
	if m.view != viewDetail || m.detail.run == nil || m.detail.run.ID != want {
		t.Fatalf("a second click did not open the run: view %d", m.view)
	}
	m, _ = feed(m, tea.MouseMsg{Button: tea.MouseButtonWheelDown, Action: tea.MouseActionPress})
	if m.detail.vp.YOffset == 0 {
		t.Error("the wheel did not scroll the detail view")
	}
}
