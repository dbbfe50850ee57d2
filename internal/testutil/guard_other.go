//go:build !unix

package testutil

import "testing"

// GuardPages is false here: this system has no mmap, and Guarded returns
// ordinary slices. Tests that rely on faults say so with t.Skip.
const GuardPages = false

// Side says which end of a guarded slice would touch the PROT_NONE page.
type Side int

// The two sides; see the unix version.
const (
	After Side = iota
	Before
)

// Guarded returns an ordinary slice of n copies of fill.
func Guarded(t testing.TB, n int, side Side, fill float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = fill
	}
	return s
}

// GuardedBytes returns an ordinary slice of n zero bytes.
func GuardedBytes(t testing.TB, n int, side Side) []byte { return make([]byte, n) }
