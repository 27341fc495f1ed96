package ingest

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// A directory given as --in is read as one log split into shards, one file each, as Spark,
// Hive or a warehouse export writes them (part-00000.csv.gz, part-00001.parquet, ...):
// every regular file in name order, skipping the markers those tools leave (_SUCCESS,
// names starting with "_" or ".") and the 0-byte files Spark writes for empty partitions.
// Every shard must have the first one's header.

// shardedSource reads the shards one after another.
type shardedSource struct {
	dir    string
	paths  []string
	open   func(path string) (source, error)
	cur    source
	i      int // index of cur in paths
	header []string
	empty  []string // the 0-byte shards skipped, for the import's notes
}

// shardPaths lists a directory's shards, and apart the empty files it skips.
func shardPaths(dir string) (paths, empty []string, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		n := e.Name()
		if !e.Type().IsRegular() || strings.HasPrefix(n, "_") || strings.HasPrefix(n, ".") {
			continue
		}
		if info, err := e.Info(); err == nil && info.Size() == 0 {
			empty = append(empty, filepath.Join(dir, n))
			continue
		}
		paths = append(paths, filepath.Join(dir, n))
	}
	slices.Sort(paths)
	slices.Sort(empty)
	if len(paths) == 0 {
		return nil, nil, fmt.Errorf("%s: a directory with no data files (%d empty ones): --in takes a log file, or a directory of its shards", dir, len(empty))
	}
	return paths, empty, nil
}

func openShards(dir string, open func(path string) (source, error)) (*shardedSource, error) {
	paths, empty, err := shardPaths(dir)
	if err != nil {
		return nil, err
	}
	s := &shardedSource{dir: dir, paths: paths, open: open, empty: empty}
	if s.cur, err = open(paths[0]); err != nil {
		return nil, err
	}
	s.header = s.cur.Header()
	return s, nil
}

func (s *shardedSource) Header() []string   { return s.header }
func (s *shardedSource) RowPositions() bool { return s.cur.RowPositions() }

// File is the shard being read, so that an error names the file and its line.
func (s *shardedSource) File() string { return s.paths[s.i] }

func (s *shardedSource) Next() ([]string, int, error) {
	for {
		rec, pos, err := s.cur.Next()
		if err != io.EOF || s.i+1 == len(s.paths) {
			return rec, pos, err
		}
		if err := s.cur.Close(); err != nil {
			return nil, 0, err
		}
		s.i++
		next, err := s.open(s.paths[s.i])
		if err != nil {
			return nil, 0, err
		}
		s.cur = next
		if h := s.cur.Header(); !slices.Equal(h, s.header) {
			return nil, 0, fmt.Errorf("%s: header %q differs from the first shard's %q (%s): every shard of --in %s must have the same columns",
				s.paths[s.i], h, s.header, filepath.Base(s.paths[0]), s.dir)
		}
	}
}

func (s *shardedSource) Close() error { return s.cur.Close() }

// listColumns are the first shard's list columns (Parquet).
func (s *shardedSource) listColumns() []int {
	if l, ok := s.cur.(interface{ listColumns() []int }); ok {
		return l.listColumns()
	}
	return nil
}

// emptyNote says which 0-byte shards were skipped ("" when none were).
func (s *shardedSource) emptyNote() string {
	if len(s.empty) == 0 {
		return ""
	}
	names := make([]string, 0, 3)
	for _, p := range s.empty[:min(3, len(s.empty))] {
		names = append(names, filepath.Base(p))
	}
	if len(s.empty) > 3 {
		names = append(names, "…")
	}
	return fmt.Sprintf("skipped %d empty shards (0-byte files, as Spark writes for empty partitions): %s", len(s.empty), strings.Join(names, ", "))
}

// firstShard names the file whose header a sharded import's columns are looked up in.
func (s *shardedSource) firstShard() string {
	return fmt.Sprintf("%s (the first shard of %s)", s.paths[0], s.dir)
}
