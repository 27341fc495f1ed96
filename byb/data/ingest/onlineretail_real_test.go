package ingest

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/byb-dev/byb/byb/data"
	"github.com/byb-dev/byb/internal/testenv"
)

// onlineRetailFile is the real UCI Online Retail log, at ../shared/data/online-retail
// relative to the repository root (four levels above this file). A fresh clone has no
// ../shared: tests and the benchmark that need it skip (fail under BYB_CI=1).
func onlineRetailFile(tb testing.TB) string {
	_, self, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(self), "..", "..", "..", "..", "shared", "data", "online-retail", "online_retail.csv.gz")
	_, err := os.Stat(path)
	testenv.Require(tb, err == nil, fmt.Sprintf("the Online Retail log (%v)", err),
		"put the UCI Online Retail file at ../shared/data/online-retail/online_retail.csv.gz beside the repository")
	return path
}

// TestImportOnlineRetailReal checks the README's counts and the churn task on the real log.
func TestImportOnlineRetailReal(t *testing.T) {
	in := onlineRetailFile(t)
	out := filepath.Join(t.TempDir(), "retail")
	res, d := mustImport(t, Options{Format: FormatOnlineRetail, In: in, Out: out})
	m := d.Meta
	if res.Rows != 541909 || m.Events != 406829 || m.Users != 4372 || res.SkippedByDesign != 135080 || res.Skipped != 0 {
		t.Fatalf("rows %d events %d users %d by design %d skipped %d; want 541,909 lines, 406,829 with a CustomerID (135,080 without), 4,372 customers (the README's counts)",
			res.Rows, m.Events, m.Users, res.SkippedByDesign, res.Skipped)
	}
	// The README's churn: among customers active before 2011-09-01, no purchase from
	// 2011-09-01 to 2011-12-09.
	test, _ := m.Split(data.Test)
	if test.Obs.String() != "2010-12-01..2011-09-01" || m.Tasks[0].Days != 100 ||
		test.Obs.End+int64(m.Tasks[0].Days)*data.Day != utc("2011-12-10 00:00:00") {
		t.Fatalf("test window %s, task %+v", test.Obs, m.Tasks[0])
	}
	samples, pos := 0, 0
	for _, split := range []string{data.Finetune, data.Test} {
		s, err := d.Samples(split)
		if err != nil {
			t.Fatal(err)
		}
		for _, y := range s.Labels[0] {
			samples++
			pos += int(y)
		}
	}
	rate := float64(pos) / float64(samples)
	t.Logf("churn: %d customers active before 2011-09-01, %d churned (%.2f%%); %s", samples, pos, 100*rate, res.Summary())
	if samples != 3360 || rate < 0.40 || rate > 0.42 {
		t.Fatalf("churn: %d samples, positive rate %.4f; README: ≈41%%", samples, rate)
	}
}

// BenchmarkImportOnlineRetail imports the whole Online Retail log (541,909 lines). MB/s is
// over the decompressed CSV; peak-RSS-MB is the process's high-water mark (VmHWM).
//
//	go test ./byb/data/ingest -run '^$' -bench ImportOnlineRetail -benchtime 5x
func BenchmarkImportOnlineRetail(b *testing.B) {
	in := onlineRetailFile(b)
	b.SetBytes(decompressedSize(b, in))
	b.ReportAllocs()
	dir := b.TempDir()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		res, err := Import(Options{Format: FormatOnlineRetail, In: in, Out: filepath.Join(dir, fmt.Sprint("ds", i))})
		if err != nil {
			b.Fatal(err)
		}
		if res.Meta.Events != 406829 {
			b.Fatalf("%d events", res.Meta.Events)
		}
	}
	b.StopTimer()
	if kb := peakRSSKiB(); kb > 0 {
		b.ReportMetric(float64(kb)/1024, "peak-RSS-MB")
	}
}

func decompressedSize(tb testing.TB, path string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		tb.Fatal(err)
	}
	n, err := io.Copy(io.Discard, zr)
	if err != nil {
		tb.Fatal(err)
	}
	return n
}

// peakRSSKiB reads VmHWM from /proc/self/status (Linux); 0 elsewhere.
func peakRSSKiB() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return n
		}
	}
	return 0
}
