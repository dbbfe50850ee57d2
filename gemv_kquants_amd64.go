//go:build !purego

package lmhead

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
	q4kXSums(xs, x)
	gemvQ4_KSumsAVX2(dst, w, x, xs)
}

// q4kXSums writes, for each super-block b of x (256 floats), the 16 floats
// xs[16b:16b+16] = {0, 0, 0, 0, Σx_0, Σx_1, Σx_2, Σx_3, 0, 0, 0, 0, Σx_4,
// …, Σx_7}, where Σx_j is the float32 sum of x over sub-block j (32
// floats): the lanes line up with the kernel's {d1_0..3, m1_0..3} and
// {d1_4..7, m1_4..7}. len(xs) must be len(x)/16, and xs zero.
func q4kXSums(xs, x []float32) {
	for b := 0; b+256 <= len(x); b += 256 {
		o := xs[b/16 : b/16+16]
		for j := 0; j < 8; j++ {
			v := x[b+32*j : b+32*j+32]
			// four chains, so that the adds overlap
			var a0, a1, a2, a3 float32
			for i := 0; i < 32; i += 4 {
				a0 += v[i]
				a1 += v[i+1]
				a2 += v[i+2]
				a3 += v[i+3]
			}
			o[4+j+4*(j/4)] = (a0 + a1) + (a2 + a3)
		}
	}
}
