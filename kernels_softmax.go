package lmhead

import (
	"fmt"
	"math"
)

// The softmax kernels. Package softmax builds Softmax, LogSoftmax,
// LogSumExp and the mergeable Stats from them; they are exported for callers
// that fuse their own passes.
//
// Every kernel that computes an exponential uses the same float32 e^y: the
// rr2_p5 scheme of XNNPACK (y = n·ln2 + t, n = round(y·log2e), a two-constant
// Cody-Waite reduction of t and a degree-5 polynomial), which is within
// 2 ulp of the correctly rounded e^y for every finite y, with these ends:
//
//	y < -87.33654 (just above ln 2⁻¹²⁶), and y = -Inf:  +0, never a denormal
//	y > 88.72283 (just below ln MaxFloat32), y = +Inf:  +Inf
//	y = NaN:                                           NaN
//
// The argument y = s·x[i] - c is computed with one rounding (a fused
// multiply-add), so it carries a relative error of at most 2⁻²⁴·|y|; for the
// large |y| of softmax tails that, not the polynomial, dominates the error
// of e^y. Beyond that, NaN and ±Inf follow the IEEE arithmetic of the
// formula each kernel states.
//
// In every kernel that writes dst, dst may be x itself (in place) but must
// not otherwise overlap it, and the kernel panics unless len(dst) == len(x).

// Exp sets dst[i] = e^x[i], with the accuracy and the ends given above.
//
// Exp panics if len(dst) != len(x).
func Exp(dst, x []float32) {
	if len(dst) != len(x) {
		panic(fmt.Sprintf("lmhead.Exp: len(dst)=%d, len(x)=%d, want equal", len(dst), len(x)))
	}
	if len(x) == 0 {
		return
	}
	active.exp(dst, x)
}

// Max returns the largest element of x. It returns NaN if any element is
// NaN and -Inf for an empty x. Whether a zero maximum is +0 or -0, when x
// holds both, depends on the ISA.
func Max(x []float32) float32 {
	if len(x) == 0 {
		return float32(math.Inf(-1))
	}
	return active.max(x)
}

// Argmax returns the index of the first element equal to [Max](x), or, if x
// holds a NaN, the index of the first NaN. It returns -1 for an empty x.
// (+0 and -0 compare equal: the first of them wins.)
func Argmax(x []float32) int {
	if len(x) == 0 {
		return -1
	}
	return active.argmax(x)
}

// ScaleExpSum sets dst[i] = e^(s·x[i] - c) and returns Σ dst[i].
//
// This is the exponentiating pass of the in-cache softmax: with c = s·Max(x)
// every term is at most about 1 and the largest is about 1. The sum is
// accumulated in float64 (or in float32 partials of at most 2¹² terms
// flushed into float64), so it is accurate to about 1e-7 relative for any n
// up to at least 2²⁴.
//
// ScaleExpSum panics if len(dst) != len(x). It returns 0 for an empty x.
func ScaleExpSum(dst, x []float32, s, c float32) float64 {
	if len(dst) != len(x) {
		panic(fmt.Sprintf("lmhead.ScaleExpSum: len(dst)=%d, len(x)=%d, want equal", len(dst), len(x)))
	}
	if len(x) == 0 {
		return 0
	}
	return active.scaleExpSum(dst, x, s, c)
}

// ScaleExpSumDot is [ScaleExpSum] that also returns dot = Σ dst[i]·x[i],
// in the same pass: the entropy of the softmax at scale s is
// ln(sum) + c - s·dot/sum. Each product dst[i]·x[i] is rounded once in
// float32 (or fused into the partial sum), and the partials are summed as
// ScaleExpSum sums, so dot carries about the error of [Dot] over 16 terms
// per lane plus float64 rounding. A -Inf x[i] gives dst[i] = 0 and a NaN
// product, so dot is NaN; callers treat that case apart.
//
// ScaleExpSumDot panics if len(dst) != len(x). It returns zeros for an
// empty x.
func ScaleExpSumDot(dst, x []float32, s, c float32) (sum, dot float64) {
	if len(dst) != len(x) {
		panic(fmt.Sprintf("lmhead.ScaleExpSumDot: len(dst)=%d, len(x)=%d, want equal", len(dst), len(x)))
	}
	if len(x) == 0 {
		return 0, 0
	}
	return active.scaleExpSumDot(dst, x, s, c)
}

// MaxSum returns m = max_i s·x[i] and sum = Σ e^(s·x[i] - m) in one pass
// over x, without storing anything: the online normaliser of Milakov and
// Gimelshein, "Online normalizer calculation for softmax" (2018). Each lane
// keeps a running maximum and a sum relative to it, rescaling the sum when
// its maximum grows; the lanes are combined at the end. The sum has the
// accuracy of [ScaleExpSum]'s.
//
// This is the first pass of the two-pass softmax for data that does not
// fit in cache, where reading x twice instead of three times is what
// counts. For an empty x it returns (-Inf, 0).
//
// Special values follow the arithmetic: a +Inf gives m = +Inf and a NaN
// sum; a NaN gives a NaN sum (m is then unspecified); all -Inf gives
// m = -Inf and a NaN sum. Callers check m and sum before using them.
func MaxSum(x []float32, s float32) (m float32, sum float64) {
	if len(x) == 0 {
		return float32(math.Inf(-1)), 0
	}
	return active.maxSum(x, s)
}

// ExpMul sets dst[i] = e^(s·x[i] - c)·mul: the second pass of the two-pass
// softmax, with c and 1/sum from [MaxSum].
//
// ExpMul panics if len(dst) != len(x).
func ExpMul(dst, x []float32, s, c, mul float32) {
	if len(dst) != len(x) {
		panic(fmt.Sprintf("lmhead.ExpMul: len(dst)=%d, len(x)=%d, want equal", len(dst), len(x)))
	}
	if len(x) == 0 {
		return
	}
	active.expMul(dst, x, s, c, mul)
}

// ScaleShift sets dst[i] = s·x[i] + b, rounded once as by a fused
// multiply-add (the pure-Go level emulates that in float64, which can be
// off by one in the last bit about once in 2²⁹). Scaling in place is
// ScaleShift(x, x, s, 0).
//
// ScaleShift panics if len(dst) != len(x).
func ScaleShift(dst, x []float32, s, b float32) {
	if len(dst) != len(x) {
		panic(fmt.Sprintf("lmhead.ScaleShift: len(dst)=%d, len(x)=%d, want equal", len(dst), len(x)))
	}
	if len(x) == 0 {
		return
	}
	active.scaleShift(dst, x, s, b)
}

// SumWhereIn returns Σ e[i] over the i with lo ≤ s·z[i] + b ≤ hi: the
// mass of the tokens whose key lies in a range, in one pass and without
// gathering them. The key s·z[i] + b is rounded once, exactly as
// [ScaleShift] rounds it, so that a range over it selects the same tokens
// as one over ScaleShift's output; s = 1, b = 0 tests z itself. A NaN key
// is never in range; lo = -Inf or hi = +Inf leave that side open. The sum
// is accumulated in float32 over groups of at most 256 terms (16 per lane,
// in four chains) and in float64 across groups, so its error is at most
// about 8·2⁻²⁴·Σ|e[i]| over the selected terms, plus float64 rounding.
//
// The head's sampler tests a drawn token with it: is the mass of every
// token ranked before it below the nucleus target?
//
// SumWhereIn panics if len(e) != len(z). It returns 0 for an empty z.
func SumWhereIn(e, z []float32, s, b, lo, hi float32) float64 {
	if len(e) != len(z) {
		panic(fmt.Sprintf("lmhead.SumWhereIn: len(e)=%d, len(z)=%d, want equal", len(e), len(z)))
	}
	if len(z) == 0 {
		return 0
	}
	return active.sumWhereIn(e, z, s, b, lo, hi)
}
