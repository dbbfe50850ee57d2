package lmhead_test

import (
	"math"
	"testing"

	"github.com/lmhead/lmhead"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// TestSoftmaxGuardPages runs every softmax kernel on inputs and outputs that
// end flush against, or start right after, a PROT_NONE page, at every
// length 0..guardLengths: an over-read or over-write of any tail faults.
// dst is also checked between guard values in ordinary memory (an
// over-write that stays inside the page would not fault), and the results
// are checked, so that a kernel cannot pass by skipping the work.
func TestSoftmaxGuardPages(t *testing.T) {
	if !tu.GuardPages {
		t.Skip("no mmap on this system: guard pages cannot be placed")
	}
	const guard = 1234.5
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(31)
		for _, s := range sides {
			for n := 0; n <= guardLengths; n++ {
				x := tu.Guarded(t, n, s.side, 0)
				for i := range x {
					x[i] = float32(r.NormFloat64() * 3)
				}
				// Guarded dst: the page is the guard.
				dst := tu.Guarded(t, n, s.side, float32(math.NaN()))
				checkGuardedKernels(t, s.name, dst, x)
				// dst between guard values, x still guarded.
				off := n % offsets
				dst2, whole := tu.Offset(n, off, guard)
				checkGuardedKernels(t, s.name, dst2, x)
				if i := tu.Untouched(whole, off, n, guard); i >= 0 {
					t.Fatalf("%s n=%d: a kernel wrote outside dst at backing index %d (dst is [%d, %d))", s.name, n, i, off, off+n)
				}
				// In place, on the guarded slice itself.
				orig := append([]float32(nil), x...)
				lmhead.ScaleShift(x, x, 2, 1)
				lmhead.Exp(x, x)
				for i, v := range orig {
					if w := math.Exp(2*float64(v) + 1); math.Abs(float64(x[i])-w) > 1e-5*w {
						t.Fatalf("%s n=%d: ScaleShift then Exp in place [%d]=%v, want %v", s.name, n, i, x[i], w)
					}
				}
			}
		}
	})
}

// checkGuardedKernels runs every kernel on x and dst and checks results
// loosely (the accuracy tests are elsewhere): what this catches is a
// kernel that skips or misplaces elements near the ends.
func checkGuardedKernels(t *testing.T, side string, dst, x []float32) {
	t.Helper()
	n := len(x)
	fail := func(kernel string, i int, got any, want any) {
		t.Helper()
		t.Fatalf("%s n=%d: %s [%d] = %v, want %v", side, n, kernel, i, got, want)
	}
	near := func(got float32, want float64) bool {
		return math.Abs(float64(got)-want) <= 1e-5*math.Abs(want)+1e-30
	}

	lmhead.Exp(dst, x)
	for i, v := range x {
		if w := math.Exp(float64(v)); !near(dst[i], w) {
			fail("Exp", i, dst[i], w)
		}
	}

	m, a := float32(math.Inf(-1)), -1
	for i, v := range x {
		if a < 0 || v > m {
			m, a = v, i
		}
	}
	if got := lmhead.Max(x); got != m {
		fail("Max", -1, got, m)
	}
	if got := lmhead.Argmax(x); got != a {
		fail("Argmax", -1, got, a)
	}

	c := float32(0.5) * m
	if n == 0 {
		c = 0
	}
	sum := lmhead.ScaleExpSum(dst, x, 0.5, c)
	var ref float64
	for i, v := range x {
		w := math.Exp(0.5*float64(v) - float64(c))
		ref += w
		if !near(dst[i], w) {
			fail("ScaleExpSum", i, dst[i], w)
		}
	}
	if math.Abs(sum-ref) > 1e-5*ref {
		fail("ScaleExpSum sum", -1, sum, ref)
	}

	s2, dot := lmhead.ScaleExpSumDot(dst, x, 0.5, c)
	var rdot float64
	for i, v := range x {
		if w := math.Exp(0.5*float64(v) - float64(c)); !near(dst[i], w) {
			fail("ScaleExpSumDot", i, dst[i], w)
		}
		rdot += float64(dst[i]) * float64(v)
	}
	if math.Abs(s2-ref) > 1e-5*ref || math.Abs(dot-rdot) > 1e-5*(math.Abs(rdot)+ref*8) {
		fail("ScaleExpSumDot sums", -1, []any{s2, dot}, []any{ref, rdot})
	}

	gm, gsum := lmhead.MaxSum(x, 0.5)
	if n > 0 && (gm != c || math.Abs(gsum-ref) > 1e-5*ref) {
		fail("MaxSum", -1, []any{gm, gsum}, []any{c, ref})
	}

	lmhead.ExpMul(dst, x, 0.5, c, 0.25)
	for i, v := range x {
		if w := math.Exp(0.5*float64(v)-float64(c)) / 4; !near(dst[i], w) {
			fail("ExpMul", i, dst[i], w)
		}
	}

	lmhead.ScaleShift(dst, x, 3, -1)
	for i, v := range x {
		if w := 3*float64(v) - 1; !near(dst[i], w) {
			fail("ScaleShift", i, dst[i], w)
		}
	}

	// SumWhereIn reads two guarded slices: e = dst, z = x.
	var want, abs float64
	for i, v := range x {
		if -1 <= v && v <= 2 {
			want += float64(dst[i])
			abs += math.Abs(float64(dst[i]))
		}
	}
	if got := lmhead.SumWhereIn(dst, x, 1, 0, -1, 2); math.Abs(got-want) > 1e-6*abs {
		fail("SumWhereIn", -1, got, want)
	}
}
