//go:build !purego

package lmhead

// The NEON Gemv kernels of the weight formats (gemv_*_arm64.s). Each
// computes what its pure-Go twin (quant_generic.go) computes, under the
// kernelSet contract (dispatch.go): len(dst) ≥ 1, len(x) ≥ 1 a multiple of
// the block size, len(w) == len(dst)·RowBytes(len(x)), w at any address.

// gemvF16NEON is the F16 Gemv: four rows per pass, FCVTL-widened weights.
//
//go:noescape
func gemvF16NEON(dst []float32, w []byte, x []float32)

// gemvBF16NEON is the BF16 Gemv: four rows per pass, weights widened by
// zipping them above zero halves.
//
//go:noescape
func gemvBF16NEON(dst []float32, w []byte, x []float32)

// gemvQ8_0NEON is the Q8_0 Gemv: gemvQ8_0NEONRows, and the generic twin
// for each group of rows in which a block scale is ±Inf or NaN.
func gemvQ8_0NEON(dst []float32, w []byte, x []float32) {
	if !factorSafe(x) {
		gemvFormat(Q8_0, dst, w, x)
		return
	}
	for len(dst) > 0 {
		i := gemvQ8_0NEONRows(dst, w, x)
		dst, w = gemvSpecialRows(Q8_0, dst, w, x, i, 4)
	}
}

// gemvQ4_0NEON is the Q4_0 Gemv, as gemvQ8_0NEON.
func gemvQ4_0NEON(dst []float32, w []byte, x []float32) {
	if !factorSafe(x) {
		gemvFormat(Q4_0, dst, w, x)
		return
	}
	for len(dst) > 0 {
		i := gemvQ4_0NEONRows(dst, w, x)
		dst, w = gemvSpecialRows(Q4_0, dst, w, x, i, 4)
	}
}

// factorSafe reports whether every |x[j]| is below 2¹⁰⁰ (so none is ±Inf
// or NaN either). The quantized kernels factor scales out of their sums:
// they add up quants times x, at most 2¹⁹·max|x| in magnitude (a Q6_K
// super-block's Σ sc·Σ q·x: 16·32·128·max|x|), and multiply by d after.
// With d < 1 such a sum can overflow where the decoded weights' products
// do not; below 2¹⁰⁰ it cannot. Underflow needs no guard: quants and
// sub-block scales are integers, so a product q·x is 0 or at least |x| in
// magnitude, and a sum that cancels into the subnormal range is exact there
// (every multiple of 2⁻¹⁴⁹ below 2⁻¹²⁵ is a float32); only the fused
// product by the scale rounds there, once per block, which the bound's
// n·2⁻¹⁴⁹ covers. Activations of 2¹⁰⁰ are not real ones; the wrappers give
// them to the generic twin, which rounds each decoded product as the
// reference does.
func factorSafe(x []float32) bool {
	const lim = 0x1p100
	for _, v := range x {
		if !(v < lim && v > -lim) {
			return false
		}
	}
	return true
}

// gemvSpecialRows is the slow path of the kernels that factor block scales
// out: the kernel has done rows [0, i) and stopped at the group of g rows
// from i (fewer at the end; a 4-row kernel's last 0..3 rows go one at a
// time, which the group of 4 covers) because one of its block scales is
// ±Inf or NaN. It computes that group with the generic twin, which
// multiplies every weight out as IEEE arithmetic does (Inf·0 = NaN), and
// returns the rows after it. With i == len(dst) it returns empty slices.
func gemvSpecialRows(f Format, dst []float32, w []byte, x []float32, i, g int) ([]float32, []byte) {
	rb := len(w) / len(dst)
	j := min(i+g, len(dst))
	if i < j {
		gemvFormat(f, dst[i:j], w[i*rb:j*rb], x)
	}
	return dst[j:], w[j*rb:]
}

// gemvQ8_0NEONRows computes dst = W·x for Q8_0 rows, four rows per pass
// with the block scales factored out of the block sums. It returns
// len(dst), or the first row of a group (four rows; one in the last 0..3)
// that has a non-finite block scale, leaving that group's dst unwritten.
//
//go:noescape
func gemvQ8_0NEONRows(dst []float32, w []byte, x []float32) int

// gemvQ4_0NEONRows is gemvQ8_0NEONRows for Q4_0 rows.
//
//go:noescape
func gemvQ4_0NEONRows(dst []float32, w []byte, x []float32) int

// gemvQ6_KNEON is the Q6_K Gemv: gemvQ6_KNEONRows, and the generic twin for
// each row with a non-finite d.
func gemvQ6_KNEON(dst []float32, w []byte, x []float32) {
	if !factorSafe(x) {
		gemvFormat(Q6_K, dst, w, x)
		return
	}
	for len(dst) > 0 {
		i := gemvQ6_KNEONRows(dst, w, x)
		dst, w = gemvSpecialRows(Q6_K, dst, w, x, i, 1)
	}
}

// gemvQ6_KNEONRows computes dst = W·x for Q6_K rows, one row per pass with
// the sub-block scales factored out. It returns len(dst), or the first row
// with a non-finite d, leaving that row's dst unwritten.
//
//go:noescape
func gemvQ6_KNEONRows(dst []float32, w []byte, x []float32) int

// q4kChunk is how many columns gemvQ4_KNEON takes per pass: the sums of x
// over its 32-weight sub-blocks fit a 2 KiB stack array.
const q4kChunk = 16384

// gemvQ4_KNEON is the Q4_K Gemv. A weight is d·sc·q − dmin·m, so a row's
// dot product is Σ_s d·sc_s·Σ q·x − dmin·m_s·Σ x over its sub-blocks s
// (the error bound of [Q4_K] allows the two products' difference). It sums
// x over every sub-block once for all rows, a chunk of q4kChunk columns at
// a time (adding each chunk's products to dst after the first), and runs
// the generic twin over the chunk for each row with a non-finite d or dmin.
func gemvQ4_KNEON(dst []float32, w []byte, x []float32) {
	if !factorSafe(x) {
		gemvFormat(Q4_K, dst, w, x)
		return
	}
	var xs [q4kChunk / 32]float32
	stride := len(w) / len(dst)
	for c := 0; c < len(x); c += q4kChunk {
		xc := x[c:min(c+q4kChunk, len(x))]
		for k := range len(xc) / 32 {
			var s float32
			for _, v := range xc[32*k : 32*k+32] {
				s += v
			}
			xs[k] = s
		}
		off, cb, acc := c/256*144, len(xc)/256*144, c > 0
		for i := 0; i < len(dst); i++ {
			i += gemvQ4_KNEONRows(dst[i:], w[i*stride+off:], xc, &xs[0], stride, acc)
			if i == len(dst) {
				break
			}
			var s [1]float32
			gemvFormat(Q4_K, s[:], w[i*stride+off:][:cb], xc)
			if acc {
				dst[i] += s[0]
			} else {
				dst[i] = s[0]
			}
		}
	}
}

// gemvQ4_KNEONRows computes the Q4_K products of x with len(dst) rows,
// one row per pass: row i is len(x)/256 super-blocks from &w[i·stride],
// xs[k] the sum of x[32k:32k+32]. It stores them in dst, or adds them to
// dst if acc. It returns len(dst), or the first row with a non-finite d or
// dmin, leaving that row's dst untouched.
//
//go:noescape
func gemvQ4_KNEONRows(dst []float32, w []byte, x []float32, xs *float32, stride int, acc bool) int
