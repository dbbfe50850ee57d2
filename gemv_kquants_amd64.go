//go:build !purego

package lmhead

import "math"

// q4kSumsMaxCols is the longest row (in weights) for which the AVX2 Q4_K
// Gemv precomputes the sub-block sums of x on the stack: 16 floats per
// super-block, 4 KiB at 16384 columns. Longer rows take the exact kernel,
// which needs no sums and is about a fifth slower.
const q4kSumsMaxCols = 16384

// gemvQ4_KAVX2 is the AVX2 Q4_K Gemv: it computes the sums of x over each
// 32 columns once per call, so that the kernel can subtract each sub-block's
// dmin·m term once per sub-block instead of once per weight (see
// gemvQ4_KSumsAVX2 in _gen/kquants).
func gemvQ4_KAVX2(dst []float32, w []byte, x []float32) {
	n := len(x)
	if n > q4kSumsMaxCols {
		gemvQ4_KExactAVX2(dst, w, x)
		return
	}
	var buf [q4kSumsMaxCols / 16]float32
	xs := buf[:n/16]
	if !q4kXSums(xs, x) {
		gemvQ4_KExactAVX2(dst, w, x)
		return
	}
	gemvQ4_KSumsAVX2(dst, w, x, xs)
}

// q4kSumsMaxX bounds Σ|x| over each sub-block for the factored kernel: the
// sub-block sum Σ q·x (q ≤ 15) then stays below 15·2¹¹⁵ < 2¹¹⁹, far from
// float32's 2¹²⁸, wherever the decoded products could be finite.
const q4kSumsMaxX = 0x1p115

// q4kXSums writes, for each super-block b of x (256 floats), the 16 floats
// xs[16b:16b+16] = {0, 0, 0, 0, Σx_0, Σx_1, Σx_2, Σx_3, 0, 0, 0, 0, Σx_4,
// …, Σx_7}, where Σx_j is the float32 sum of x over sub-block j (32
// floats): the lanes line up with the kernel's {d1_0..3, m1_0..3} and
// {d1_4..7, m1_4..7}. len(xs) must be len(x)/16, and xs zero.
//
// It reports whether the factored kernel may be used: every Σ|x| over a
// sub-block below q4kSumsMaxX, so that no sum Σ q·x overflows, and no
// ±Inf or NaN in x, where a factored sum would differ from the reference:
// x = Inf against q = 0 gives 0·Inf = NaN in Σ q·x, but the weight
// d1·0 − m1 times Inf is ±Inf.
func q4kXSums(xs, x []float32) bool {
	ok := true
	for b := 0; b+256 <= len(x); b += 256 {
		o := xs[b/16 : b/16+16]
		for j := 0; j < 8; j++ {
			v := x[b+32*j : b+32*j+32]
			// four chains, so that the adds overlap
			var a0, a1, a2, a3, m0, m1, m2, m3 float32
			for i := 0; i < 32; i += 4 {
				a0 += v[i]
				a1 += v[i+1]
				a2 += v[i+2]
				a3 += v[i+3]
				m0 += abs32(v[i])
				m1 += abs32(v[i+1])
				m2 += abs32(v[i+2])
				m3 += abs32(v[i+3])
			}
			o[4+j+4*(j/4)] = (a0 + a1) + (a2 + a3)
			// false for NaN, and for Inf or overflow in the sum
			ok = ok && (m0+m1)+(m2+m3) < q4kSumsMaxX
		}
	}
	return ok
}

// abs32 is |v| (clearing the sign bit, so NaN stays NaN).
func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

// q6kSumsMaxX bounds Σ|x| for the AVX2 Q6_K kernel that factors d·sc out
// of each sub-block of 16: it sums 4·(q−32)·x, |4·(q−32)| ≤ 128, so each
// sub-block sum stays below 2⁷·2¹¹⁶ = 2¹²³, finite.
const q6kSumsMaxX = 0x1p116

// gemvQ6_KAVX2 is the AVX2 Q6_K Gemv: the factored kernel
// gemvQ6_KSumsAVX2 unless x holds a NaN, an infinity or sums of |x| where
// the factored sums could overflow although the decoded products do not;
// then the exact kernel.
func gemvQ6_KAVX2(dst []float32, w []byte, x []float32) {
	var m0, m1, m2, m3 float32
	for i := 0; i+4 <= len(x); i += 4 {
		m0 += abs32(x[i])
		m1 += abs32(x[i+1])
		m2 += abs32(x[i+2])
		m3 += abs32(x[i+3])
	}
	// false for NaN, and for Inf or overflow in the sum
	if (m0+m1)+(m2+m3) < q6kSumsMaxX {
		gemvQ6_KSumsAVX2(dst, w, x)
		return
	}
	gemvQ6_KExactAVX2(dst, w, x)
}
