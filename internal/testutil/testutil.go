// Package testutil holds what the tests of every lmhead package share: the
// loop over ISA levels, float64 references with their error bounds, and
// guard-page allocation. It is imported only from _test files.
package testutil

import (
	"math"
	"math/rand/v2"
	"os"
	"testing"

	"github.com/lmhead/lmhead"
)

// ForEachISA runs f as a subtest once per supported level, with that level
// forced through lmhead.Use, and restores the level that was active before.
func ForEachISA(t *testing.T, f func(t *testing.T, isa lmhead.ISA)) {
	t.Helper()
	prev := lmhead.Active()
	t.Cleanup(func() { _ = lmhead.Use(prev) })
	for _, isa := range lmhead.Supported() {
		if err := lmhead.Use(isa); err != nil {
			t.Fatalf("Supported() lists %v but Use fails: %v", isa, err)
		}
		t.Run(isa.String(), func(t *testing.T) { f(t, isa) })
	}
	_ = lmhead.Use(prev)
}

// ForEachISABench is ForEachISA for benchmarks.
func ForEachISABench(b *testing.B, f func(b *testing.B, isa lmhead.ISA)) {
	b.Helper()
	prev := lmhead.Active()
	defer func() { _ = lmhead.Use(prev) }()
	for _, isa := range lmhead.Supported() {
		if err := lmhead.Use(isa); err != nil {
			b.Fatalf("Supported() lists %v but Use fails: %v", isa, err)
		}
		b.Run(isa.String(), func(b *testing.B) { f(b, isa) })
	}
}

// Unit is 2⁻²⁴, the unit roundoff of float32 (half an ulp of 1).
const Unit = 1.0 / (1 << 24)

// MinDenormal is the smallest positive float32, 2⁻¹⁴⁹.
const MinDenormal = 1.401298464324817e-45

// DotRef returns Σ a[i]·b[i] in float64 and the error bound that a float32
// kernel must meet:
//
//	(n+8)·2⁻²⁴·Σ|a[i]·b[i]| + n·2⁻¹⁴⁹
//
// The first term is the classic bound for recursive summation in any order
// (Higham, Accuracy and Stability, §3.1: γ_n ≤ n·u/(1−n·u)), with 8 extra
// units for the product roundings, the horizontal reductions and the
// difference between FMA and separate multiply-add. The second covers
// products that underflow into the denormal range, whose rounding error is
// absolute, not relative.
func DotRef(a, b []float32) (ref, bound float64) {
	var abs float64
	for i := range a {
		p := float64(a[i]) * float64(b[i])
		ref += p
		abs += math.Abs(p)
	}
	n := float64(len(a))
	return ref, (n+8)*Unit*abs + n*MinDenormal
}

// Close reports whether got meets a float64 reference within bound, with
// IEEE special values handled exactly: a NaN reference wants NaN, an
// infinite one the same infinity, and a finite one beyond float32's range
// (by more than the bound) the infinity of its sign.
func Close(got float32, ref, bound float64) bool {
	g := float64(got)
	switch {
	case math.IsNaN(ref):
		return math.IsNaN(g)
	case math.IsInf(ref, 0):
		return g == ref
	case math.IsNaN(g):
		return false
	case math.Abs(ref)-bound > math.MaxFloat32:
		return math.IsInf(g, 0) && (g > 0) == (ref > 0)
	case math.IsInf(g, 0):
		// Rounding may legitimately carry a sum within the bound of the
		// largest float32 over it.
		return math.Abs(ref)+bound >= math.MaxFloat32 && (g > 0) == (ref > 0)
	}
	return math.Abs(g-ref) <= bound
}

// Rand returns a generator with a fixed seed, so that a failing test fails
// the same way again.
func Rand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x6c6d68656164)) }

// Fill sets x to uniform values in [-1, 1).
func Fill(r *rand.Rand, x []float32) {
	for i := range x {
		x[i] = 2*r.Float32() - 1
	}
}

// Short reports whether tests should take the quick path: under -short,
// or under an emulator (LMHEAD_EMULATED=1, set by .ci/run for qemu runs),
// where every instruction costs tens of times more.
func Short() bool { return testing.Short() || os.Getenv("LMHEAD_EMULATED") != "" }

// Offset returns a slice of n elements that starts off elements into a fresh
// backing array, for testing unaligned starts. The elements before and after
// it are set to guard and can be checked with Untouched.
func Offset(n, off int, guard float32) (s, whole []float32) {
	whole = make([]float32, off+n+16)
	for i := range whole {
		whole[i] = guard
	}
	return whole[off : off+n : off+n], whole
}

// Untouched reports the first index of whole outside [off, off+n) whose value
// is no longer guard (compared bit for bit), or -1.
func Untouched(whole []float32, off, n int, guard float32) int {
	for i, v := range whole {
		if (i < off || i >= off+n) && math.Float32bits(v) != math.Float32bits(guard) {
			return i
		}
	}
	return -1
}
