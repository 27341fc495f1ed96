//go:build unix

package data

import (
	"fmt"
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// mapArray maps a little-endian binary array file read-only into memory: opening a dataset
// costs its page tables, not its size, and a batch faults in only the pages of its users'
// ranges (the kernel's page cache holds them, shared and evictable). The slice is valid
// until unmap; writing to it faults.
func mapArray[T int32 | int64](path string) ([]T, []byte, error) {
	if !littleEndian {
		v, err := readArray[T](path)
		return v, nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, nil, err
	}
	size := int(unsafe.Sizeof(T(0)))
	if st.Size()%int64(size) != 0 {
		return nil, nil, fmt.Errorf("%s: %d bytes is not a whole number of %d-byte values: the dataset is damaged", path, st.Size(), size)
	}
	if st.Size() == 0 {
		return []T{}, nil, nil
	}
	b, err := unix.Mmap(int(f.Fd()), 0, int(st.Size()), unix.PROT_READ, unix.MAP_SHARED)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: memory-mapping: %w", path, err)
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), len(b)/size), b, nil
}

func unmap(b []byte) error { return unix.Munmap(b) }

// release tells the kernel this process is done with the whole pages of v for now (they
// stay in the page cache and fault back in if read again), so that a pass over a mapped
// array does not leave all of it resident.
func release[T int32 | int64](v []T) {
	if len(v) == 0 {
		return
	}
	page := uintptr(os.Getpagesize())
	base := unsafe.Pointer(&v[0])
	addr, n := uintptr(base), uintptr(len(v))*unsafe.Sizeof(v[0])
	start := (addr+page-1)&^(page-1) - addr // offsets of the first and past the last whole page
	end := (addr+n)&^(page-1) - addr
	if end <= start || addr+n < addr {
		return
	}
	_ = unix.Madvise(unsafe.Slice((*byte)(unsafe.Add(base, start)), end-start), unix.MADV_DONTNEED)
}
