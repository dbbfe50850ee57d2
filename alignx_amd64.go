//go:build !purego

package lmhead

import "unsafe"

// The quantized Gemv kernels take x straight from memory as FMA operands,
// once per row (Q4_K, Q6_K) or per four rows (Q8_0, Q4_0), and x is
// whatever slice the caller has: float32 alignment only. Then every other
// 32-byte load, and every 64-byte load, of x straddles two cache lines,
// which costs a second L1 access. On Zen 5 (EPYC, family 26), over
// L1-resident weights at 16×2048 with x at 4 mod 64 against 0 mod 64, the
// AVX-512 kernels took, in cycles per 32 weights, Q4_K 5.3-5.7 against
// 4.0-4.4, Q6_K 6.7-7.0 against 5.6-5.7 and Q8_0 4.1-4.3 against 3.7-3.8
// (two interleaved runs of each). So the wrappers here copy an unaligned x
// of up to alignXMax floats to a 64-byte boundary on the stack first: a
// copy of len(x) floats per call, against len(x)·rows weights decoded.
//
// The buffers are stack arrays, which Go zeroes when they are declared, so
// the buffer is the smallest of four that holds x, and a call of fewer than
// alignXMinRows rows, where the zeroing and the copy would cost more than
// the aligned loads save, reads x where it is. With x of 2048 floats the
// two cost about 200 ns; at 64 rows the copy gained Q4_K 5.9 → 5.2 µs,
// Q6_K 7.8 → 6.4 and Q8_0 4.1 → 3.8, at 16 rows Q4_K and Q6_K 4% while
// Q8_0 lost 16% (1.07 → 1.24 µs; best of three interleaved runs on Zen 5).
const (
	alignXMax     = 8192
	alignXMinRows = 32
)

// xKernel names a Gemv kernel that gemvAlignedX calls with an aligned x.
// Calling through a switch of direct calls, rather than a func value, lets
// the compiler see that x does not escape, so the buffers stay on the stack.
type xKernel uint8

const (
	xQ8_0AVX512 xKernel = iota
	xQ4_0AVX512
	xQ4_KAVX512
	xQ6_KAVX512
	xQ8_0AVX2
	xQ4_0AVX2
	xQ4_KAVX2
	xQ6_KAVX2
)

func (k xKernel) gemv(dst []float32, w []byte, x []float32) {
	switch k {
	case xQ8_0AVX512:
		gemvQ8_0AVX512(dst, w, x)
	case xQ4_0AVX512:
		gemvQ4_0AVX512(dst, w, x)
	case xQ4_KAVX512:
		gemvQ4_KAVX512(dst, w, x)
	case xQ6_KAVX512:
		gemvQ6_KAVX512(dst, w, x)
	case xQ8_0AVX2:
		gemvQ8_0AVX2(dst, w, x)
	case xQ4_0AVX2:
		gemvQ4_0AVX2(dst, w, x)
	case xQ4_KAVX2:
		gemvQ4_KAVX2(dst, w, x)
	case xQ6_KAVX2:
		gemvQ6_KAVX2(dst, w, x)
	default:
		panic("lmhead: unknown xKernel")
	}
}

// gemvAlignedX runs kernel k with x at a 64-byte boundary: x itself if it
// is there, is longer than alignXMax or meets fewer than alignXMinRows
// rows, else a copy of it on the stack.
func gemvAlignedX(k xKernel, dst []float32, w []byte, x []float32) {
	switch n := len(x); {
	case uintptr(unsafe.Pointer(unsafe.SliceData(x)))%64 == 0 || n > alignXMax || len(dst) < alignXMinRows:
		k.gemv(dst, w, x)
	case n <= 1024:
		var buf [1024 + 15]float32
		k.gemv(dst, w, copyAligned64(buf[:], x))
	case n <= 2048:
		var buf [2048 + 15]float32
		k.gemv(dst, w, copyAligned64(buf[:], x))
	case n <= 4096:
		var buf [4096 + 15]float32
		k.gemv(dst, w, copyAligned64(buf[:], x))
	default:
		var buf [alignXMax + 15]float32
		k.gemv(dst, w, copyAligned64(buf[:], x))
	}
}

// copyAligned64 copies x to the first 64-byte boundary in buf and returns
// the copy. buf must hold len(x)+15 floats.
func copyAligned64(buf, x []float32) []float32 {
	off := uintptr(unsafe.Pointer(unsafe.SliceData(buf))) % 64 / 4
	a := buf[(16-off)%16:][:len(x)]
	copy(a, x)
	return a
}
