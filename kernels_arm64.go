//go:build !purego

package lmhead

// The NEON kernels of kernels_arm64.s. Their pure-Go twins (dot, gemv, sum in
// kernels_generic.go) define what they compute; the exported wrappers in
// kernels.go check the arguments, so these only ever see the lengths stated.

// dotNEON returns Σ a[i]·b[i]. It requires len(b) >= len(a) > 0.
//
//go:noescape
func dotNEON(a, b []float32) float32

// sumNEON returns Σ x[i]. It requires len(x) > 0.
//
//go:noescape
func sumNEON(x []float32) float32

// gemvNEON computes dst = W·x for row-major W (len(dst) rows of len(x)),
// four rows per pass over x. It requires len(w) == len(dst)*len(x) > 0.
//
//go:noescape
func gemvNEON(dst, w, x []float32)
