//go:build !purego

package lmhead

// The NEON Dequantize kernels (dequant_arm64.s): each decodes the whole
// blocks of src into dst[:len(src)/BlockBytes·BlockSize] bit for bit as its
// generic twin (quant_decode.go), under the kernelSet contract (dispatch.go):
// len(src) a positive multiple of the block bytes, len(dst) large enough,
// src at any address.

//go:noescape
func dequantF16NEON(dst []float32, src []byte)

//go:noescape
func dequantBF16NEON(dst []float32, src []byte)

//go:noescape
func dequantQ8_0NEON(dst []float32, src []byte)

//go:noescape
func dequantQ4_0NEON(dst []float32, src []byte)

//go:noescape
func dequantQ4_KNEON(dst []float32, src []byte)

//go:noescape
func dequantQ6_KNEON(dst []float32, src []byte)
