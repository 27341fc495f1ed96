package data

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// A Builder holds at most its memory budget of events; beyond it they go to disk, so that
// importing a log larger than memory costs disk, not memory. The events are spilled in
// arrival order to one file of fixed-size records, and read back twice by Build: once to
// count the vocabulary, once to deal them into partitions of whole users (each within the
// budget) that are then sorted and written one at a time.

// eventFile is a file of event records: user (int32), time (int64) and m IDs (int32 each),
// little-endian, in the order they were written.
type eventFile struct {
	f      *os.File
	w      *bufio.Writer
	m      int
	events int64
	rec    []byte
}

// newEventFile creates an empty event file in dir with a write buffer of bufSize bytes. Its
// name is removed at once, the open file kept: the disk space comes back when the process
// ends however it ends (an import killed mid-way used to leave hundreds of MB behind).
func newEventFile(dir string, m, bufSize int) (*eventFile, error) {
	f, err := os.CreateTemp(dir, "byb-events-*.bin")
	if err != nil {
		return nil, fmt.Errorf("spilling events to disk: %w (set the directory with $TMPDIR)", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("spilling events to disk: %w", err)
	}
	return &eventFile{f: f, w: bufio.NewWriterSize(f, bufSize), m: m, rec: make([]byte, 12+4*m)}, nil
}

func (s *eventFile) add(u int32, t int64, ids []int32) error {
	binary.LittleEndian.PutUint32(s.rec, uint32(u))
	binary.LittleEndian.PutUint64(s.rec[4:], uint64(t))
	for j, id := range ids {
		binary.LittleEndian.PutUint32(s.rec[12+4*j:], uint32(id))
	}
	s.events++
	_, err := s.w.Write(s.rec)
	return err
}

// each reads the records back in order; ids is reused between calls.
func (s *eventFile) each(fn func(u int32, t int64, ids []int32) error) error {
	if err := s.w.Flush(); err != nil {
		return err
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	r := bufio.NewReaderSize(s.f, 1<<20)
	rec, ids := make([]byte, len(s.rec)), make([]int32, s.m)
	for range s.events {
		if _, err := io.ReadFull(r, rec); err != nil {
			return fmt.Errorf("%s: reading spilled events back: %w", s.f.Name(), err)
		}
		for j := range ids {
			ids[j] = int32(binary.LittleEndian.Uint32(rec[12+4*j:]))
		}
		if err := fn(int32(binary.LittleEndian.Uint32(rec)), int64(binary.LittleEndian.Uint64(rec[4:])), ids); err != nil {
			return err
		}
	}
	if _, err := s.f.Seek(0, io.SeekEnd); err != nil { // further adds append
		return err
	}
	return nil
}

// remove closes the file, whose name newEventFile already removed: its space comes back.
func (s *eventFile) remove() {
	if s != nil {
		s.f.Close()
	}
}

// MemoryBudget sets the most memory, in bytes, the builder's buffered events may take
// (0 = no limit, the default); events beyond it are spilled to a temporary file in dir
// ("" = the system's temporary directory). The users and the distinct raw values stay in
// memory either way: memory grows with them, not with the events.
func (b *Builder) MemoryBudget(bytes int64, dir string) {
	b.maxBuffered = 0
	if bytes > 0 {
		// evUser, evTime, evIDs and Build's ordering index; appends may double a slice's capacity.
		b.maxBuffered = max(1, int(bytes/int64(2*(16+4*len(b.fields)))))
	}
	b.spillDir = dir
}

// spillBuffer moves the buffered events to the spill file.
func (b *Builder) spillBuffer() error {
	if b.spill == nil {
		var err error
		if b.spill, err = newEventFile(b.spillDir, len(b.fields), 1<<20); err != nil {
			return err
		}
	}
	b.spills++
	m := len(b.fields)
	for e, u := range b.evUser {
		if err := b.spill.add(u, b.evTime[e], b.evIDs[e*m:(e+1)*m]); err != nil {
			return fmt.Errorf("spilling events to %s: %w", b.spill.f.Name(), err)
		}
	}
	b.evUser, b.evTime, b.evIDs = b.evUser[:0], b.evTime[:0], b.evIDs[:0]
	return nil
}

// each calls fn on every event added, spilled ones first, in the order they were added.
func (b *Builder) each(fn func(u int32, t int64, ids []int32) error) error {
	if b.spill != nil {
		if err := b.spill.each(fn); err != nil {
			return err
		}
	}
	m := len(b.fields)
	for e, u := range b.evUser {
		if err := fn(u, b.evTime[e], b.evIDs[e*m:(e+1)*m]); err != nil {
			return err
		}
	}
	return nil
}

// partitions deals the spilled events into files of whole users, consecutive in the write
// order and each within the memory budget (a user larger than it gets a file of its own),
// and returns the files with the users of each.
func (b *Builder) partitions(userOrder []int) ([]*eventFile, [][]int, error) {
	if err := b.spillBuffer(); err != nil {
		return nil, nil, err
	}
	part := make([]int32, len(b.users))
	var users [][]int
	var held int
	for _, u := range userOrder {
		n := int(b.userEvents[u])
		if len(users) == 0 || held > 0 && held+n > b.maxBuffered {
			users, held = append(users, nil), 0
		}
		part[u] = int32(len(users) - 1)
		users[len(users)-1] = append(users[len(users)-1], u)
		held += n
	}
	files := make([]*eventFile, len(users))
	fail := func(err error) ([]*eventFile, [][]int, error) {
		for _, f := range files {
			f.remove()
		}
		return nil, nil, err
	}
	for p := range files {
		var err error
		if files[p], err = newEventFile(b.spillDir, len(b.fields), 64<<10); err != nil { // many open at once
			return fail(err)
		}
	}
	err := b.spill.each(func(u int32, t int64, ids []int32) error { return files[part[u]].add(u, t, ids) })
	if err != nil {
		return fail(err)
	}
	b.spill.remove()
	b.spill = nil
	return files, users, nil
}

// load reads a partition into the (empty) buffer.
func (b *Builder) load(f *eventFile) error {
	b.evUser, b.evTime, b.evIDs = b.evUser[:0], b.evTime[:0], b.evIDs[:0]
	return f.each(func(u int32, t int64, ids []int32) error {
		b.evUser = append(b.evUser, u)
		b.evTime = append(b.evTime, t)
		b.evIDs = append(b.evIDs, ids...)
		return nil
	})
}
