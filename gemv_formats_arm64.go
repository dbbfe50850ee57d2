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
	for len(dst) > 0 {
		i := gemvQ8_0NEONRows(dst, w, x)
		dst, w = gemvSpecialRows(Q8_0, dst, w, x, i)
	}
}

// gemvQ4_0NEON is the Q4_0 Gemv, as gemvQ8_0NEON.
func gemvQ4_0NEON(dst []float32, w []byte, x []float32) {
	for len(dst) > 0 {
		i := gemvQ4_0NEONRows(dst, w, x)
		dst, w = gemvSpecialRows(Q4_0, dst, w, x, i)
	}
}

// gemvSpecialRows is the slow path of the kernels that factor block scales
// out: the kernel has done rows [0, i) and stopped at the group of rows i..
// i+3 (fewer at the end) because one of its block scales is ±Inf or NaN.
// It computes that group with the generic twin, which multiplies every
// weight out as IEEE arithmetic does (Inf·0 = NaN), and returns the rows
// after it. With i == len(dst) it returns empty slices.
func gemvSpecialRows(f Format, dst []float32, w []byte, x []float32, i int) ([]float32, []byte) {
	rb := len(w) / len(dst)
	j := min(i+4, len(dst))
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
