package lmhead

import "fmt"

// Dot returns Σ a[i]·b[i].
//
// The sum is accumulated in float32 in an order that depends on the ISA, so
// results differ between levels in the last bits. For every level the error
// against the exact sum is at most (n+8)·2⁻²⁴·Σ|a[i]·b[i]| (plus n·2⁻¹⁴⁹ when
// products underflow), the bound the tests check. NaN in either input gives
// NaN; ±Inf follows IEEE 754.
//
// Dot panics if len(a) != len(b).
func Dot(a, b []float32) float32 {
	if len(a) != len(b) {
		panic(fmt.Sprintf("lmhead.Dot: len(a)=%d, len(b)=%d, want equal", len(a), len(b)))
	}
	if len(a) == 0 {
		return 0
	}
	return active.dot(a, b)
}

// Gemv computes dst = W·x for a row-major W of len(dst) rows and len(x)
// columns:
//
//	dst[i] = Σ_j w[i*len(x)+j] · x[j]
//
// Each dst[i] carries the error bound of [Dot]. The assembly levels stream W
// once, four rows per pass over x, which keeps the projection at the memory
// bandwidth limit for vocabulary-sized W.
//
// Gemv panics unless len(w) == len(dst)*len(x). dst must not overlap w or x.
func Gemv(dst, w, x []float32) {
	if len(w) != len(dst)*len(x) {
		panic(fmt.Sprintf("lmhead.Gemv: len(w)=%d, want len(dst)*len(x)=%d*%d=%d",
			len(w), len(dst), len(x), len(dst)*len(x)))
	}
	if len(dst) == 0 {
		return
	}
	if len(x) == 0 {
		clear(dst)
		return
	}
	active.gemv(dst, w, x)
}

// Sum returns Σ x[i], accumulated in float32 with the error bound of [Dot]
// (with b all ones). It streams x at the memory bandwidth limit and is the
// roofline that the Gemv benchmarks are measured against.
func Sum(x []float32) float32 {
	if len(x) == 0 {
		return 0
	}
	return active.sum(x)
}
