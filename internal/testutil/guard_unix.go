//go:build unix

package testutil

import (
	"testing"
	"unsafe"

	"golang.org/x/sys/unix"
)

// GuardPages reports whether Guarded really places PROT_NONE pages around
// the slices it returns.
const GuardPages = true

// Side says which end of a guarded slice touches the PROT_NONE page.
type Side int

const (
	// After places the slice so that its last element ends flush against a
	// PROT_NONE page: any read or write past the end faults.
	After Side = iota
	// Before starts the slice right after a PROT_NONE page: any access
	// before its first element faults.
	Before
)

// Guarded returns n float32s (filled with fill) whose end (After) or start
// (Before) lies against an inaccessible page, so that a kernel reading or
// writing one element too far crashes the test with SIGSEGV. The mapping is
// released when the test ends.
func Guarded(t testing.TB, n int, side Side, fill float32) []float32 {
	t.Helper()
	b := GuardedBytes(t, 4*n, side)
	s := unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), n)
	for i := range s {
		s[i] = fill
	}
	return s
}

// GuardedBytes returns n zero bytes whose end (After) or start (Before) lies
// against an inaccessible page, like Guarded. With After and an n that is
// not a multiple of 4, the slice starts at an unaligned address: the weight
// formats' kernels must accept that.
func GuardedBytes(t testing.TB, n int, side Side) []byte {
	t.Helper()
	page := unix.Getpagesize()
	size := (n + page - 1) / page * page
	mem, err := unix.Mmap(-1, 0, size+2*page, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_ANON|unix.MAP_PRIVATE)
	if err != nil {
		t.Fatalf("mmap: %v", err)
	}
	t.Cleanup(func() { _ = unix.Munmap(mem) })
	// Both ends of the data pages are guarded; the slice is pushed to the
	// side under test.
	if err := unix.Mprotect(mem[:page], unix.PROT_NONE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	if err := unix.Mprotect(mem[page+size:], unix.PROT_NONE); err != nil {
		t.Fatalf("mprotect: %v", err)
	}
	start := page
	if side == After {
		start = page + size - n
	}
	// For n == 0 the slice points into a guard page, so that even a kernel
	// that dereferences an empty slice faults.
	return unsafe.Slice(&mem[start], n)
}
