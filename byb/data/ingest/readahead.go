package ingest

import "io"

// readahead reads its source in a goroutine, a few 1 MiB blocks ahead, so that gunzip and
// CSV parsing run on two cores at once.
type readahead struct {
	filled chan []byte
	free   chan []byte
	done   chan struct{}
	exited chan struct{}
	err    error  // the source's error other than io.EOF; written before filled is closed
	held   []byte // the block being consumed, returned to free when empty
	cur    []byte
}

const (
	readaheadBlocks    = 4
	readaheadBlockSize = 1 << 20
)

func newReadahead(r io.Reader) *readahead {
	ra := &readahead{
		filled: make(chan []byte, readaheadBlocks), free: make(chan []byte, readaheadBlocks),
		done: make(chan struct{}), exited: make(chan struct{}),
	}
	for range readaheadBlocks {
		ra.free <- make([]byte, readaheadBlockSize)
	}
	go ra.fill(r)
	return ra
}

func (ra *readahead) fill(r io.Reader) {
	defer close(ra.exited)
	defer close(ra.filled)
	for {
		var buf []byte
		select {
		case buf = <-ra.free:
		case <-ra.done:
			return
		}
		n, err := 0, error(nil)
		for n < len(buf) && err == nil {
			var k int
			k, err = r.Read(buf[n:])
			n += k
		}
		if n > 0 {
			select {
			case ra.filled <- buf[:n]:
			case <-ra.done:
				return
			}
		}
		if err != nil {
			if err != io.EOF {
				ra.err = err
			}
			return
		}
	}
}

func (ra *readahead) Read(p []byte) (int, error) {
	if len(ra.cur) == 0 {
		if ra.held != nil { // free has room for every block: this never blocks
			ra.free <- ra.held
			ra.held = nil
		}
		b, ok := <-ra.filled
		if !ok {
			if ra.err != nil {
				return 0, ra.err
			}
			return 0, io.EOF
		}
		ra.held, ra.cur = b[:cap(b)], b
	}
	n := copy(p, ra.cur)
	ra.cur = ra.cur[n:]
	return n, nil
}

// Close stops the goroutine and waits for it, so that the source can then be closed.
func (ra *readahead) Close() {
	close(ra.done)
	<-ra.exited
}
