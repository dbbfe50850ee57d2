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
