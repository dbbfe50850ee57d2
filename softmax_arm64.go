//go:build !purego

package lmhead

import "math"

// The NEON kernels of softmax_arm64.s and the two that are Go around them.
// The exported wrappers in kernels_softmax.go check the arguments, so these
// only ever see len(x) >= 1 and len(dst) == len(x); the pure-Go twins in
// kernels_softmax_generic.go define what each computes.

// expNEON sets dst[i] = e^x[i]. It requires len(dst) == len(x) > 0.
//
//go:noescape
func expNEON(dst, x []float32)

// maxNEON returns max_i x[i], NaN if any x[i] is NaN. It requires
// len(x) > 0.
//
//go:noescape
func maxNEON(x []float32) float32

// findNEON returns the first i with x[i] == m, or, if m is NaN, the first i
// with x[i] NaN; -1 if there is none. It requires len(x) > 0 and is only
// correct for m >= every x[i] (as m = maxNEON(x) is).
//
//go:noescape
func findNEON(x []float32, m float32) int

// scaleExpSumNEON sets dst[i] = e^(s·x[i] - c) and returns Σ dst[i],
// accumulated in float64. It requires len(dst) == len(x) > 0.
//
//go:noescape
func scaleExpSumNEON(dst, x []float32, s, c float32) float64

// maxSumLanesNEON is the vector part of maxSumNEON: for each lane j (the
// elements i ≡ j mod 4 of every 4-element group, the last group padded),
// m[j] = max_i s·x[i] and sum[j] = Σ e^(s·x[i] - m[j]) in float64 (with
// -Inf elements adding 0 even when m[j] is -Inf). It requires len(x) > 0.
//
//go:noescape
func maxSumLanesNEON(x []float32, s float32, m *[4]float32, sum *[4]float64)

// expMulNEON sets dst[i] = e^(s·x[i] - c)·mul. It requires
// len(dst) == len(x) > 0.
//
//go:noescape
func expMulNEON(dst, x []float32, s, c, mul float32)

// scaleShiftNEON sets dst[i] = s·x[i] + b with one rounding. It requires
// len(dst) == len(x) > 0.
//
//go:noescape
func scaleShiftNEON(dst, x []float32, s, b float32)

// argmaxNEON is argmax in two vector passes: the maximum, then the first
// element equal to it (or the first NaN when the maximum is NaN). Reading x
// twice costs less than tracking an index per lane, and the second pass
// usually stops early.
func argmaxNEON(x []float32) int {
	return findNEON(x, maxNEON(x))
}

// maxSumNEON is maxSum: maxSumLanesNEON's four lanes, combined in float64
// with math.Exp so that the combination adds no float32 error:
//
//	m = max_j m[j],  sum = Σ_j sum[j]·e^(m[j] - m)
//
// A NaN anywhere makes its lane's m NaN, and the sum NaN; when every
// s·x[i] is -Inf the formula's sum is e^(-Inf - -Inf) = NaN.
func maxSumNEON(x []float32, s float32) (float32, float64) {
	var m [4]float32
	var sum [4]float64
	maxSumLanesNEON(x, s, &m, &sum)
	mx := m[0]
	for _, v := range m[1:] {
		if v > mx || v != v {
			mx = v
		}
	}
	if mx != mx || math.IsInf(float64(mx), -1) {
		return mx, math.NaN()
	}
	var total float64
	for j, v := range m {
		// A lane whose maximum is so far below m that its factor is 0
		// adds 0, even if its own sum overflowed: that can only come
		// from an argument s·x[i] - m[j] that is the rounding error of a
		// huge s·x[i], which against m is still hugely negative.
		if f := math.Exp(float64(v) - float64(mx)); f != 0 {
			total += sum[j] * f
		}
	}
	return mx, total
}

// scaleExpSumDotNEON is scaleExpSum and then Dot of the result with x,
// two NEON kernels where amd64 has one fused pass, run over chunks of 256
// through a stack buffer: the dot needs x after dst is written, and dst
// may be x. The chunk stays in L1 between the two.
func scaleExpSumDotNEON(dst, x []float32, s, c float32) (sum, dot float64) {
	var buf [256]float32
	for i := 0; i < len(x); i += len(buf) {
		xs := x[i:min(i+len(buf), len(x))]
		t := buf[:len(xs)]
		sum += scaleExpSumNEON(t, xs, s, c)
		dot += float64(dotNEON(t, xs))
		copy(dst[i:], t)
	}
	return sum, dot
}
