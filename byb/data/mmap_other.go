//go:build !unix

package data

// Without mmap the arrays are read whole (see mmap_unix.go).
func mapArray[T int32 | int64](path string) ([]T, []byte, error) {
	v, err := readArray[T](path)
	return v, nil, err
}

func unmap([]byte) error { return nil }

func release[T int32 | int64]([]T) {}
