package lmhead_test

import (
	"math"
	"testing"

	"github.com/lmhead/lmhead"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// guardLengths are the lengths the guard-page tests run: every tail length
// of every level after at least one trip of every unrolled loop (the
// largest, scaleExpSum's and maxSum's 16 vectors on AVX-512, is 256
// elements), so a kernel that reads one vector too far for any remainder
// faults.
const guardLengths = 300

var sides = []struct {
	name string
	side tu.Side
}{{"after", tu.After}, {"before", tu.Before}}

// TestGuardPages runs Dot, Sum and Gemv on slices that end flush against, or
// start right after, a PROT_NONE page. An over-read or over-write faults and
// kills the test binary; the results are also checked, so a kernel cannot
// pass by skipping the work.
func TestGuardPages(t *testing.T) {
	if !tu.GuardPages {
		t.Skip("no mmap on this system: guard pages cannot be placed")
	}
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(6)
		for _, s := range sides {
			for n := 0; n <= guardLengths; n++ {
				a := tu.Guarded(t, n, s.side, 0)
				b := tu.Guarded(t, n, s.side, 0)
				tu.Fill(r, a)
				tu.Fill(r, b)
				ref, bound := tu.DotRef(a, b)
				if got := lmhead.Dot(a, b); !tu.Close(got, ref, bound) {
					t.Fatalf("%s n=%d: Dot=%v, ref %v", s.name, n, got, ref)
				}
				ref, bound = tu.DotRef(a, ones(n))
				if got := lmhead.Sum(a); !tu.Close(got, ref, bound) {
					t.Fatalf("%s n=%d: Sum=%v, ref %v", s.name, n, got, ref)
				}
			}
			// Gemv: every column tail with 1 to 9 rows (full 4-row blocks and
			// every single-row remainder), W, x and dst all guarded.
			for cols := 0; cols <= 70; cols++ {
				for rows := 1; rows <= 9; rows++ {
					w := tu.Guarded(t, rows*cols, s.side, 0)
					x := tu.Guarded(t, cols, s.side, 0)
					dst := tu.Guarded(t, rows, s.side, float32(math.NaN()))
					tu.Fill(r, w)
					tu.Fill(r, x)
					lmhead.Gemv(dst, w, x)
					for i := range dst {
						ref, bound := tu.DotRef(w[i*cols:(i+1)*cols], x)
						if !tu.Close(dst[i], ref, bound) {
							t.Fatalf("%s %dx%d: dst[%d]=%v, ref %v", s.name, rows, cols, i, dst[i], ref)
						}
					}
				}
			}
		}
	})
}
