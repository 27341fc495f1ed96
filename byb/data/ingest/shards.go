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
// names starting with "_" or "."). Every shard must have the first one's header.

// shardedSource reads the shards one after another.
type shardedSource struct {
	dir    string
	paths  []string
	open   func(path string) (source, error)
	cur    source
	i      int // index of cur in paths
	header []string
}

// shardPaths lists a directory's shards.
func shardPaths(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var paths []string
	for _, e := range entries {
		if n := e.Name(); e.Type().IsRegular() && !strings.HasPrefix(n, "_") && !strings.HasPrefix(n, ".") {
			paths = append(paths, filepath.Join(dir, n))
		}
	}
	slices.Sort(paths)
	if len(paths) == 0 {
		return nil, fmt.Errorf("%s: a directory with no data files: --in takes a log file, or a directory of its shards", dir)
	}
	return paths, nil
}

func openShards(dir string, open func(path string) (source, error)) (*shardedSource, error) {
	paths, err := shardPaths(dir)
	if err != nil {
		return nil, err
	}
	s := &shardedSource{dir: dir, paths: paths, open: open}
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
		if s.cur, err = s.open(s.paths[s.i]); err != nil {
			return nil, 0, err
		}
		if h := s.cur.Header(); !slices.Equal(h, s.header) {
			return nil, 0, fmt.Errorf("%s: header %q differs from the first shard's %q (%s): every shard of --in %s must have the same columns",
				s.paths[s.i], h, s.header, filepath.Base(s.paths[0]), s.dir)
		}
	}
}

func (s *shardedSource) Close() error { return s.cur.Close() }
