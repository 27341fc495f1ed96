package tui

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/byb-dev/byb/tracking"
	tea "github.com/charmbracelet/bubbletea"
)

// The benchmarks below answer the scale question: 1,000 runs with 10,000 metric
// points each, opened and shown as the runs table.
//
//	go test ./tui -run '^$' -bench . -benchtime 20x
//
// The database (its size is logged) is generated once per test binary, which takes a while;
// BYB_BENCH_DB=/path/big.db keeps it between invocations.

var (
	bigOnce sync.Once
	bigPath string
	bigErr  error
	bigTemp string
)

func bigDB(b *testing.B) string {
	bigOnce.Do(func() {
		bigPath = os.Getenv("BYB_BENCH_DB")
		if bigPath == "" {
			bigTemp, bigErr = os.MkdirTemp("", "byb-bench-")
			if bigErr != nil {
				return
			}
			bigPath = filepath.Join(bigTemp, "big.db")
		}
		if _, err := os.Stat(bigPath); err == nil {
			return // kept from an earlier invocation
		}
		start := time.Now()
		s, err := tracking.Open(bigPath)
		if err != nil {
			bigErr = err
			return
		}
		_, bigErr = tracking.FillDemo(s, 1000, 10000, 1)
		s.Close()
		var size int64
		if fi, err := os.Stat(bigPath); err == nil {
			size = fi.Size()
		}
		b.Logf("generated 1,000 runs × 10,000 points in %v: %.2f GB", time.Since(start).Round(time.Second), float64(size)/1e9)
	})
	if bigErr != nil {
		b.Fatal(bigErr)
	}
	return bigPath
}

// BenchmarkOpenRunsTable: open the database, load the model and draw the runs table at 80×24.
func BenchmarkOpenRunsTable(b *testing.B) {
	path := bigDB(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, err := tracking.OpenExisting(path)
		if err != nil {
			b.Fatal(err)
		}
		m, err := New(s, Options{Refresh: -1})
		if err != nil {
			b.Fatal(err)
		}
		tm, _ := m.Update(tea.KeyMsg{Type: tea.KeyEnter}) // experiments → all runs
		if r := tm.(Model).runs; len(tm.View()) == 0 || len(r.list)+r.hidden != 1000 {
			b.Fatalf("%d runs listed, %d hidden", len(r.list), r.hidden)
		}
		s.Close()
	}
}

// BenchmarkScrollRunsTable: one page down and a redraw of the 1,000-run table.
func BenchmarkScrollRunsTable(b *testing.B) {
	s, err := tracking.OpenExisting(bigDB(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	m, err := New(s, Options{Refresh: -1})
	if err != nil {
		b.Fatal(err)
	}
	tm, _ := m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tm, _ = tm.Update(tea.KeyMsg{Type: tea.KeyPgDown})
		_ = tm.View()
	}
}

// BenchmarkOpenRunDetail: the detail view of one run, loading its 10,000-point loss curve.
func BenchmarkOpenRunDetail(b *testing.B) {
	s, err := tracking.OpenExisting(bigDB(b))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	m, err := New(s, Options{Refresh: -1})
	if err != nil {
		b.Fatal(err)
	}
	tm, _ := m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		next, cmd := tm.Update(tea.KeyMsg{Type: tea.KeyEnter})
		next, _ = next.Update(cmd())
		if next.(Model).detail.run == nil {
			b.Fatal("no detail")
		}
		_ = next.View()
	}
}
