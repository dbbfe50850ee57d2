// Package mmap maps a file read-only into memory for the checkpoint readers
// (gguf, safetensors): the bytes of a tensor are then a slice of the
// mapping, paged in by the kernel on first touch and never copied to the Go
// heap. Where the system has no mmap (or none that golang.org/x/sys/unix
// offers: Windows, wasm, plan9) the file is read into memory instead, with
// the same API.
package mmap

import (
	"fmt"
	"os"
)

// File is a read-only view of a whole file.
type File struct {
	data   []byte
	mapped bool // data is an mmap'ed region that Close must unmap
}

// Open maps the file at path read-only. An empty file gives an empty view.
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	size := fi.Size()
	if size < 0 || uint64(size) > uint64(maxInt) {
		return nil, fmt.Errorf("%s: %d bytes do not fit in this machine's address space", path, size)
	}
	if size == 0 {
		return &File{}, nil
	}
	data, mapped, err := mapFile(f, int(size))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &File{data: data, mapped: mapped}, nil
}

// Bytes returns the file's bytes. They are read-only: writing to them
// faults where the file is mapped. They must not be used after Close.
func (m *File) Bytes() []byte { return m.data }

// Mapped reports whether the bytes are a memory mapping (true) or a copy
// read into the heap (false, where mmap is missing).
func (m *File) Mapped() bool { return m.mapped }

// Close releases the mapping. Reading the bytes after Close faults (or, in
// the fallback, reads a copy that the garbage collector may free); it is
// the caller's bug. Close is idempotent.
func (m *File) Close() error {
	if m == nil || m.data == nil {
		return nil
	}
	data, mapped := m.data, m.mapped
	m.data, m.mapped = nil, false
	if mapped {
		return unmap(data)
	}
	return nil
}

const maxInt = int(^uint(0) >> 1)
