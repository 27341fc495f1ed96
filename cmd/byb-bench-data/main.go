// Command byb-bench-data measures how byb's data path scales with the size of a log: for
// each size it writes a Tmall-format log (user_log_format1.csv's columns, users interleaved
// as in an unsorted export), imports it with `byb data import --format tmall` under a fixed
// --max-memory, and generates a tmall-like set of about as many behaviors with `byb data
// gen --scale paper --users U`, each in its own process, and prints the behaviors per second
// and the peak RSS of each. Memory that stays flat while the size grows is the point; the
// import's peak still grows with the number of users and distinct IDs (held in memory).
//
//	go run ./cmd/byb-bench-data                                  # 1M, 4M, 16M, 64M behaviors
//	go run ./cmd/byb-bench-data -sizes 1e6,2e6 -max-memory 128MiB
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dustin/go-humanize"
)

// Shape of the written log: about 100 behaviors per user (Tmall's is 129), Zipf-popular
// items, the log's seller/brand/category cardinalities in round numbers, MMDD days from May
// 11 to November 11 (the real log's span).
const (
	perUser  = 100
	items    = 1_000_000
	cats     = 1_500
	sellers  = 5_000
	brands   = 8_000
	firstDay = 131 // day of year of May 11 (2014)
	days     = 185
)

func main() {
	sizes := flag.String("sizes", "1e6,4e6,16e6,64e6", "comma-separated log sizes in behaviors")
	maxMemory := flag.String("max-memory", "256MiB", "the import's --max-memory")
	byb := flag.String("byb", "bin/byb", "the byb binary (just build)")
	dir := flag.String("dir", filepath.Join(os.TempDir(), "byb-bench-data"), "working directory (logs and datasets; removed size by size)")
	flag.Parse()
	if _, err := os.Stat(*byb); err != nil {
		fail(fmt.Errorf("%s: %w (run `just build` first)", *byb, err))
	}
	fmt.Printf("byb-bench-data: %s, import --max-memory %s, %s\n\n", *byb, *maxMemory, time.Now().UTC().Format(time.RFC3339))
	fmt.Println("| behaviors | users | log | import behaviors/s | import peak RSS | gen behaviors | gen behaviors/s | gen peak RSS |")
	fmt.Println("|---|---|---|---|---|---|---|---|")
	for _, s := range strings.Split(*sizes, ",") {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || f < perUser {
			fail(fmt.Errorf("-sizes: %q is not a number of behaviors of at least %d", s, perUser))
		}
		if err := measure(*byb, *dir, int64(f), *maxMemory); err != nil {
			fail(err)
		}
	}
}

// measure writes, imports and generates one size and prints its row.
func measure(byb, dir string, events int64, maxMemory string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	users := max(1, events/perUser)
	log := filepath.Join(dir, "user_log_format1.csv")
	size, err := writeLog(log, events, users)
	if err != nil {
		return err
	}
	imp, err := run(byb, "data", "import", "--format", "tmall", "--in", log, "--out", filepath.Join(dir, "imported"),
		"--max-memory", maxMemory, "--tracking", "off")
	if err != nil {
		return err
	}
	os.Remove(log)
	os.RemoveAll(filepath.Join(dir, "imported"))
	genDir := filepath.Join(dir, "generated")
	gen, err := run(byb, "data", "gen", "--preset", "tmall-like", "--scale", "paper", "--users", strconv.FormatInt(users, 10),
		"--out", genDir, "--tracking", "off")
	if err != nil {
		return err
	}
	genEvents, err := datasetEvents(genDir)
	if err != nil {
		return err
	}
	fmt.Printf("| %s | %s | %s | %s | %s | %s | %s | %s |\n", humanize.Comma(events), humanize.Comma(users), humanize.IBytes(uint64(size)),
		humanize.Comma(int64(float64(events)/imp.seconds)), humanize.IBytes(uint64(imp.peakRSS)),
		humanize.Comma(genEvents), humanize.Comma(int64(float64(genEvents)/gen.seconds)), humanize.IBytes(uint64(gen.peakRSS)))
	return nil
}

// writeLog writes a Tmall-format log of n behaviors by the given number of users, each line
// a random user's, and returns its size in bytes.
func writeLog(path string, n, users int64) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	rng := rand.New(rand.NewPCG(uint64(n), 15))
	zipf := rand.NewZipf(rng, 1.1, 1, items-1)
	fmt.Fprintln(w, "user_id,item_id,cat_id,seller_id,brand_id,time_stamp,action_type")
	var line []byte
	for range n {
		item := zipf.Uint64()
		day := time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, firstDay-1+rng.IntN(days))
		line = line[:0]
		line = strconv.AppendInt(line, rng.Int64N(users), 10)
		line = append(line, ',')
		line = strconv.AppendUint(line, item, 10)
		line = append(line, ',')
		line = strconv.AppendUint(line, item%cats, 10) // an item keeps its category, seller and brand
		line = append(line, ',')
		line = strconv.AppendUint(line, item%sellers, 10)
		line = append(line, ',')
		line = strconv.AppendUint(line, item%brands, 10)
		line = append(line, ',')
		line = append(line, day.Format("0102")...)
		line = append(line, ',')
		line = strconv.AppendInt(line, int64(rng.IntN(4)), 10)
		line = append(line, '\n')
		if _, err := w.Write(line); err != nil {
			f.Close()
			return 0, err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return 0, err
	}
	return st.Size(), f.Close()
}

type measured struct {
	seconds float64
	peakRSS int64 // bytes
}

// run runs byb in a child process and returns its wall time and peak RSS.
func run(byb string, args ...string) (*measured, error) {
	cmd := exec.Command(byb, args...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %s: %w\n%s", byb, strings.Join(args, " "), err, stderr.String())
	}
	m := &measured{seconds: time.Since(start).Seconds()}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		m.peakRSS = ru.Maxrss * 1024 // KiB on Linux
	}
	return m, nil
}

// datasetEvents is a dataset's number of behaviors, from the size of its times.bin.
func datasetEvents(dir string) (int64, error) {
	st, err := os.Stat(filepath.Join(dir, "times.bin"))
	if err != nil {
		return 0, err
	}
	return st.Size() / 8, nil // one int64 time per behavior
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "byb-bench-data:", err)
	os.Exit(1)
}
