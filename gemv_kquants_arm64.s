//go:build !purego

// NEON Gemv kernels of the 256-weight super-block formats Q6_K and Q4_K
// (gemv_formats_arm64.go declares them and wraps them). One row per pass:
// a super-block's decode (~260 instructions) dwarfs its 16 loads of x, and
// one row's quants, scales and x already fill the 32 vector registers.
//
// Quants become exact singles as in gemv_q32_arm64.s: TBL moves quant byte
// 4k+i to the top byte of lane i (V28..V31 hold the index vectors) and
// SCVTF/UCVTF with fbits divides by 2^f. The byte holds the quant in its
// top bits: Q6_K's 6-bit q^32 (so that the signed field is q-32) with
// f = 26, Q4_K's unsigned nibble with f = 28.
//
// Scales are factored out of the sub-block sums: a sub-block's Σ q·x
// (FMUL + FMLA) is added times its scale by FMLA by element. The scales
// are exact singles (sc, d·sc, dmin·m: at most 11+8 significant bits). A
// non-finite d (or dmin) is caught by summing them per row (the sum is
// finite exactly when every one was): the kernel returns that row's index
// without writing its dst, and the Go wrapper runs the generic twin on it.

#include "textflag.h"
#include "neon_arm64.h"

// func gemvQ6_KNEONRows(dst []float32, w []byte, x []float32) int
// Requires len(dst) >= 1, len(x) >= 256 a multiple of 256,
// len(w) == len(dst)*len(x)/256*210. Returns the rows done: len(dst), or
// the first row with a ±Inf or NaN scale d, whose dst it leaves unwritten.
TEXT ·gemvQ6_KNEONRows(SB), NOSPLIT|NOFRAME, $0-80
	MOVD dst_base+0(FP), R0
	MOVD dst_len+8(FP), R1
	MOVD w_base+24(FP), R6
	MOVD x_base+48(FP), R3
	MOVD x_len+56(FP), R4
	MOVD R1, R15 // rows in all
	LSR  $8, R4  // R4 = super-blocks per row
	MOVD $tbltop<>(SB), R12
	VLD1 (R12), [V28.B16, V29.B16, V30.B16, V31.B16]
	VMOVI $0xAA, V14.B16 // flips the top bit of each 2-bit qh field: q^32
	VMOVI $0xF0, V15.B16

q6krow:
	MOVD   R3, R10
	MOVD   R4, R11
	VEOR   V2.B16, V2.B16, V2.B16
	VEOR   V3.B16, V3.B16, V3.B16

q6kblk:
	// R6 = the super-block: ql at 0, qh at 128 (R7), scales at 192, d at
	// 208 (R12). V4..V7 = the 16 scales as singles (TBL to the top byte,
	// SCVTF #24), V27 = d in every lane, V3 += d.
	ADD    $128, R6, R7
	ADD    $192, R6, R12
	VLD1.P 16(R12), [V20.B16]
	VLD1R  (R12), [V27.H4]
	VTBL   V28.B16, [V20.B16], V4.B16
	VTBL   V29.B16, [V20.B16], V5.B16
	VTBL   V30.B16, [V20.B16], V6.B16
	VTBL   V31.B16, [V20.B16], V7.B16
	VSCVTF_4S(24, 4, 4)
	VSCVTF_4S(24, 5, 5)
	VSCVTF_4S(24, 6, 6)
	VSCVTF_4S(24, 7, 7)
	VFCVTL_4S(27, 27)
	VFADD_4S(27, 3, 3)
	// Half 0: weights 0..127, sub-blocks 0..7.
	VLD1.P 64(R6), [V8.B16, V9.B16, V10.B16, V11.B16]
	VLD1.P 32(R7), [V12.B16, V13.B16]
	VEOR   V14.B16, V12.B16, V12.B16
	VEOR   V14.B16, V13.B16, V13.B16
	// l = 0..15 and 16..31 of quarter 0: low nibbles of ql[l], qh bits 0-1.
	VSHL   $2, V8.B16, V20.B16
	VSLI   $6, V12.B16, V20.B16
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VTBL   V28.B16, [V20.B16], V22.B16
	VTBL   V29.B16, [V20.B16], V23.B16
	VTBL   V30.B16, [V20.B16], V24.B16
	VTBL   V31.B16, [V20.B16], V25.B16
	VSCVTF_4S(26, 22, 22)
	VSCVTF_4S(26, 23, 23)
	VSCVTF_4S(26, 24, 24)
	VSCVTF_4S(26, 25, 25)
	VFMUL_4S(16, 22, 26)
	VFMLA  V17.S4, V23.S4, V26.S4
	VFMLA  V18.S4, V24.S4, V26.S4
	VFMLA  V19.S4, V25.S4, V26.S4
	VFMUL_ELEM_4S(4, 0, 26, 0)
	VSHL   $2, V9.B16, V20.B16
	VSLI   $6, V13.B16, V20.B16
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VTBL   V28.B16, [V20.B16], V22.B16
	VTBL   V29.B16, [V20.B16], V23.B16
	VTBL   V30.B16, [V20.B16], V24.B16
	VTBL   V31.B16, [V20.B16], V25.B16
	VSCVTF_4S(26, 22, 22)
	VSCVTF_4S(26, 23, 23)
	VSCVTF_4S(26, 24, 24)
	VSCVTF_4S(26, 25, 25)
	VFMUL_4S(16, 22, 26)
	VFMLA  V17.S4, V23.S4, V26.S4
	VFMLA  V18.S4, V24.S4, V26.S4
	VFMLA  V19.S4, V25.S4, V26.S4
	VFMUL_ELEM_4S(4, 1, 26, 1)
	// Quarter 1: low nibbles of ql[l+32], qh bits 2-3.
	VSHL   $4, V12.B16, V20.B16
	VSHL   $4, V10.B16, V21.B16
	VSRI   $2, V21.B16, V20.B16
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VTBL   V28.B16, [V20.B16], V22.B16
	VTBL   V29.B16, [V20.B16], V23.B16
	VTBL   V30.B16, [V20.B16], V24.B16
	VTBL   V31.B16, [V20.B16], V25.B16
	VSCVTF_4S(26, 22, 22)
	VSCVTF_4S(26, 23, 23)
	VSCVTF_4S(26, 24, 24)
	VSCVTF_4S(26, 25, 25)
	VFMUL_4S(16, 22, 26)
	VFMLA  V17.S4, V23.S4, V26.S4
	VFMLA  V18.S4, V24.S4, V26.S4
	VFMLA  V19.S4, V25.S4, V26.S4
	VFMLA_ELEM_4S(4, 2, 26, 0)
	VSHL   $4, V13.B16, V20.B16
	VSHL   $4, V11.B16, V21.B16
	VSRI   $2, V21.B16, V20.B16
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VTBL   V28.B16, [V20.B16], V22.B16
	VTBL   V29.B16, [V20.B16], V23.B16
	VTBL   V30.B16, [V20.B16], V24.B16
	VTBL   V31.B16, [V20.B16], V25.B16
	VSCVTF_4S(26, 22, 22)
	VSCVTF_4S(26, 23, 23)
	VSCVTF_4S(26, 24, 24)
	VSCVTF_4S(26, 25, 25)
	VFMUL_4S(16, 22, 26)
	VFMLA  V17.S4, V23.S4, V26.S4
	VFMLA  V18.S4, V24.S4, V26.S4
	VFMLA  V19.S4, V25.S4, V26.S4
	VFMLA_ELEM_4S(4, 3, 26, 1)
	// Quarter 2: high nibbles of ql[l], qh bits 4-5.
	VSHL   $2, V12.B16, V20.B16
	VAND   V15.B16, V8.B16, V21.B16
	VSRI   $2, V21.B16, V20.B16
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VTBL   V28.B16, [V20.B16], V22.B16
	VTBL   V29.B16, [V20.B16], V23.B16
	VTBL   V30.B16, [V20.B16], V24.B16
	VTBL   V31.B16, [V20.B16], V25.B16
	VSCVTF_4S(26, 22, 22)
	VSCVTF_4S(26, 23, 23)
	VSCVTF_4S(26, 24, 24)
	VSCVTF_4S(26, 25, 25)
	VFMUL_4S(16, 22, 26)
	VFMLA  V17.S4, V23.S4, V26.S4
	VFMLA  V18.S4, V24.S4, V26.S4
	VFMLA  V19.S4, V25.S4, V26.S4
	VFMLA_ELEM_4S(5, 0, 26, 0)
	VSHL   $2, V13.B16, V20.B16
	VAND   V15.B16, V9.B16, V21.B16
	VSRI   $2, V21.B16, V20.B16
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VTBL   V28.B16, [V20.B16], V22.B16
	VTBL   V29.B16, [V20.B16], V23.B16
	VTBL   V30.B16, [V20.B16], V24.B16
	VTBL   V31.B16, [V20.B16], V25.B16
	VSCVTF_4S(26, 22, 22)
	VSCVTF_4S(26, 23, 23)
	VSCVTF_4S(26, 24, 24)
	VSCVTF_4S(26, 25, 25)
	VFMUL_4S(16, 22, 26)
	VFMLA  V17.S4, V23.S4, V26.S4
	VFMLA  V18.S4, V24.S4, V26.S4
	VFMLA  V19.S4, V25.S4, V26.S4
	VFMLA_ELEM_4S(5, 1, 26, 1)
	// Quarter 3: high nibbles of ql[l+32], qh bits 6-7 (in place).
	VAND   V15.B16, V10.B16, V21.B16
	VSRI   $2, V21.B16, V12.B16
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VTBL   V28.B16, [V12.B16], V22.B16
	VTBL   V29.B16, [V12.B16], V23.B16
	VTBL   V30.B16, [V12.B16], V24.B16
	VTBL   V31.B16, [V12.B16], V25.B16
	VSCVTF_4S(26, 22, 22)
	VSCVTF_4S(26, 23, 23)
	VSCVTF_4S(26, 24, 24)
	VSCVTF_4S(26, 25, 25)
	VFMUL_4S(16, 22, 26)
	VFMLA  V17.S4, V23.S4, V26.S4
	VFMLA  V18.S4, V24.S4, V26.S4
	VFMLA  V19.S4, V25.S4, V26.S4
	VFMLA_ELEM_4S(5, 2, 26, 0)
	VAND   V15.B16, V11.B16, V21.B16
	VSRI   $2, V21.B16, V13.B16
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VTBL   V28.B16, [V13.B16], V22.B16
	VTBL   V29.B16, [V13.B16], V23.B16
	VTBL   V30.B16, [V13.B16], V24.B16
	VTBL   V31.B16, [V13.B16], V25.B16
	VSCVTF_4S(26, 22, 22)
	VSCVTF_4S(26, 23, 23)
	VSCVTF_4S(26, 24, 24)
	VSCVTF_4S(26, 25, 25)
	VFMUL_4S(16, 22, 26)
	VFMLA  V17.S4, V23.S4, V26.S4
	VFMLA  V18.S4, V24.S4, V26.S4
	VFMLA  V19.S4, V25.S4, V26.S4
	VFMLA_ELEM_4S(5, 3, 26, 1)
	// Half 1: weights 128..255, sub-blocks 8..15.
	VLD1.P 64(R6), [V8.B16, V9.B16, V10.B16, V11.B16]
	VLD1.P 32(R7), [V12.B16, V13.B16]
	VEOR   V14.B16, V12.B16, V12.B16
	VEOR   V14.B16, V13.B16, V13.B16
	// l = 0..15 and 16..31 of quarter 0: low nibbles of ql[l], qh bits 0-1.
	VSHL   $2, V8.B16, V20.B16
	VSLI   $6, V12.B16, V20.B16
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VTBL   V28.B16, [V20.B16], V22.B16
	VTBL   V29.B16, [V20.B16], V23.B16
	VTBL   V30.B16, [V20.B16], V24.B16
	VTBL   V31.B16, [V20.B16], V25.B16
	VSCVTF_4S(26, 22, 22)
	VSCVTF_4S(26, 23, 23)
	VSCVTF_4S(26, 24, 24)
	VSCVTF_4S(26, 25, 25)
	VFMUL_4S(16, 22, 26)
	VFMLA  V17.S4, V23.S4, V26.S4
	VFMLA  V18.S4, V24.S4, V26.S4
	VFMLA  V19.S4, V25.S4, V26.S4
	VFMLA_ELEM_4S(6, 0, 26, 0)
	VSHL   $2, V9.B16, V20.B16
	VSLI   $6, V13.B16, V20.B16
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VTBL   V28.B16, [V20.B16], V22.B16
	VTBL   V29.B16, [V20.B16], V23.B16
	VTBL   V30.B16, [V20.B16], V24.B16
	VTBL   V31.B16, [V20.B16], V25.B16
	VSCVTF_4S(26, 22, 22)
	VSCVTF_4S(26, 23, 23)
	VSCVTF_4S(26, 24, 24)
	VSCVTF_4S(26, 25, 25)
	VFMUL_4S(16, 22, 26)
	VFMLA  V17.S4, V23.S4, V26.S4
	VFMLA  V18.S4, V24.S4, V26.S4
	VFMLA  V19.S4, V25.S4, V26.S4
	VFMLA_ELEM_4S(6, 1, 26, 1)
	// Quarter 1: low nibbles of ql[l+32], qh bits 2-3.
	VSHL   $4, V12.B16, V20.B16
	VSHL   $4, V10.B16, V21.B16
	VSRI   $2, V21.B16, V20.B16
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VTBL   V28.B16, [V20.B16], V22.B16
	VTBL   V29.B16, [V20.B16], V23.B16
	VTBL   V30.B16, [V20.B16], V24.B16
	VTBL   V31.B16, [V20.B16], V25.B16
	VSCVTF_4S(26, 22, 22)
	VSCVTF_4S(26, 23, 23)
	VSCVTF_4S(26, 24, 24)
	VSCVTF_4S(26, 25, 25)
	VFMUL_4S(16, 22, 26)
	VFMLA  V17.S4, V23.S4, V26.S4
	VFMLA  V18.S4, V24.S4, V26.S4
	VFMLA  V19.S4, V25.S4, V26.S4
	VFMLA_ELEM_4S(6, 2, 26, 0)
	VSHL   $4, V13.B16, V20.B16
	VSHL   $4, V11.B16, V21.B16
	VSRI   $2, V21.B16, V20.B16
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VTBL   V28.B16, [V20.B16], V22.B16
	VTBL   V29.B16, [V20.B16], V23.B16
	VTBL   V30.B16, [V20.B16], V24.B16
	VTBL   V31.B16, [V20.B16], V25.B16
	VSCVTF_4S(26, 22, 22)
	VSCVTF_4S(26, 23, 23)
	VSCVTF_4S(26, 24, 24)
	VSCVTF_4S(26, 25, 25)
	VFMUL_4S(16, 22, 26)
	VFMLA  V17.S4, V23.S4, V26.S4
	VFMLA  V18.S4, V24.S4, V26.S4
	VFMLA  V19.S4, V25.S4, V26.S4
	VFMLA_ELEM_4S(6, 3, 26, 1)
	// Quarter 2: high nibbles of ql[l], qh bits 4-5.
	VSHL   $2, V12.B16, V20.B16
	VAND   V15.B16, V8.B16, V21.B16
	VSRI   $2, V21.B16, V20.B16
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VTBL   V28.B16, [V20.B16], V22.B16
	VTBL   V29.B16, [V20.B16], V23.B16
	VTBL   V30.B16, [V20.B16], V24.B16
	VTBL   V31.B16, [V20.B16], V25.B16
	VSCVTF_4S(26, 22, 22)
	VSCVTF_4S(26, 23, 23)
	VSCVTF_4S(26, 24, 24)
	VSCVTF_4S(26, 25, 25)
	VFMUL_4S(16, 22, 26)
	VFMLA  V17.S4, V23.S4, V26.S4
	VFMLA  V18.S4, V24.S4, V26.S4
	VFMLA  V19.S4, V25.S4, V26.S4
	VFMLA_ELEM_4S(7, 0, 26, 0)
	VSHL   $2, V13.B16, V20.B16
	VAND   V15.B16, V9.B16, V21.B16
	VSRI   $2, V21.B16, V20.B16
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VTBL   V28.B16, [V20.B16], V22.B16
	VTBL   V29.B16, [V20.B16], V23.B16
	VTBL   V30.B16, [V20.B16], V24.B16
	VTBL   V31.B16, [V20.B16], V25.B16
	VSCVTF_4S(26, 22, 22)
	VSCVTF_4S(26, 23, 23)
	VSCVTF_4S(26, 24, 24)
	VSCVTF_4S(26, 25, 25)
	VFMUL_4S(16, 22, 26)
	VFMLA  V17.S4, V23.S4, V26.S4
	VFMLA  V18.S4, V24.S4, V26.S4
	VFMLA  V19.S4, V25.S4, V26.S4
	VFMLA_ELEM_4S(7, 1, 26, 1)
	// Quarter 3: high nibbles of ql[l+32], qh bits 6-7 (in place).
	VAND   V15.B16, V10.B16, V21.B16
	VSRI   $2, V21.B16, V12.B16
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VTBL   V28.B16, [V12.B16], V22.B16
	VTBL   V29.B16, [V12.B16], V23.B16
	VTBL   V30.B16, [V12.B16], V24.B16
	VTBL   V31.B16, [V12.B16], V25.B16
	VSCVTF_4S(26, 22, 22)
	VSCVTF_4S(26, 23, 23)
	VSCVTF_4S(26, 24, 24)
	VSCVTF_4S(26, 25, 25)
	VFMUL_4S(16, 22, 26)
	VFMLA  V17.S4, V23.S4, V26.S4
	VFMLA  V18.S4, V24.S4, V26.S4
	VFMLA  V19.S4, V25.S4, V26.S4
	VFMLA_ELEM_4S(7, 2, 26, 0)
	VAND   V15.B16, V11.B16, V21.B16
	VSRI   $2, V21.B16, V13.B16
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VTBL   V28.B16, [V13.B16], V22.B16
	VTBL   V29.B16, [V13.B16], V23.B16
	VTBL   V30.B16, [V13.B16], V24.B16
	VTBL   V31.B16, [V13.B16], V25.B16
	VSCVTF_4S(26, 22, 22)
	VSCVTF_4S(26, 23, 23)
	VSCVTF_4S(26, 24, 24)
	VSCVTF_4S(26, 25, 25)
	VFMUL_4S(16, 22, 26)
	VFMLA  V17.S4, V23.S4, V26.S4
	VFMLA  V18.S4, V24.S4, V26.S4
	VFMLA  V19.S4, V25.S4, V26.S4
	VFMLA_ELEM_4S(7, 3, 26, 1)
	// V2 += (V0 + V1)·d: the super-block's Σ sc·Σ q·x, scaled once.
	VFMLA_ELEM_4S(27, 0, 0, 2)
	VFMLA_ELEM_4S(27, 0, 1, 2)
	ADD    $82, R6 // past qh, scales and d: the next super-block
	SUBS   $1, R11
	BNE    q6kblk

	// Every d finite? V27 = V3 - V3 is 0 in finite lanes, else NaN.
	VFSUB_4S(3, 3, 27)
	VFCMEQ_4S(27, 27, 27)
	VMOV   V27.D[0], R12
	VMOV   V27.D[1], R13
	AND    R12, R13
	CMN    $1, R13
	BNE    q6kspecial
	VFADDP_4S(2, 2, 2)
	FADDP_2S(2, 2)
	FMOVS.P F2, 4(R0)
	SUBS   $1, R1
	BNE    q6krow
	MOVD   R15, ret+72(FP)
	RET

q6kspecial:
	SUB    R1, R15, R15
	MOVD   R15, ret+72(FP)
	RET
// func gemvQ4_KNEONRows(dst []float32, w []byte, x []float32, xs *float32, stride int, acc bool) int
// Requires len(dst) >= 1, len(x) >= 256 a multiple of 256, xs[k] = the
// sum of x[32k:32k+32], rows of len(x)/256*144 bytes every stride bytes
// from &w[0]. Stores (acc false) or adds (acc true) dst[i] = row i · x.
// Returns the rows done: len(dst), or the first row with a ±Inf or NaN
// d or dmin, whose dst it leaves untouched.
TEXT ·gemvQ4_KNEONRows(SB), NOSPLIT|NOFRAME, $0-104
	MOVD  dst_base+0(FP), R0
	MOVD  dst_len+8(FP), R1
	MOVD  w_base+24(FP), R2
	MOVD  x_base+48(FP), R3
	MOVD  x_len+56(FP), R4
	MOVD  xs+72(FP), R5
	MOVD  stride+80(FP), R8
	MOVBU acc+88(FP), R9
	MOVD  R1, R15 // rows in all
	LSR   $8, R4  // R4 = super-blocks per row
	MOVD  $tbltop<>(SB), R12
	VLD1  (R12), [V28.B16, V29.B16, V30.B16, V31.B16]
	MOVD  $q4kscales<>(SB), R13
	VMOVI $0xF0, V27.B16

q4krow:
	MOVD   R2, R6
	MOVD   R3, R10
	MOVD   R5, R14
	MOVD   R4, R11
	VEOR   V0.B16, V0.B16, V0.B16
	VEOR   V1.B16, V1.B16, V1.B16
	VEOR   V2.B16, V2.B16, V2.B16

q4kblk:
	// The 16-byte head {d, dmin, scales[12]} in V20; U = its bytes >> 4 in
	// V21. V22 = [sc0..sc7, m0..m7] as get_scale_min_k4 unpacks them:
	// TBL picks [s0..s3, s8..s11, s4..s7, U8..U11] and [0, s0..s3, 0,
	// s4..s7] (V16, V17 of q4kscales), AND keeps the low 6 or 4 bits (V18),
	// and the top two bits of s0..s7 (V19 = 0xC0) are added at bits 4-5.
	VLD1.P 16(R6), [V20.B16]
	VLD1   (R13), [V16.B16, V17.B16, V18.B16, V19.B16]
	VUSHR  $4, V20.B16, V21.B16
	VTBL   V16.B16, [V20.B16, V21.B16], V22.B16
	VTBL   V17.B16, [V20.B16], V23.B16
	VAND   V18.B16, V22.B16, V22.B16
	VAND   V19.B16, V23.B16, V23.B16
	VUSRA  $2, V23.B16, V22.B16
	// V4, V5 = sc0..7 and V6, V7 = m0..7 as singles (top byte, UCVTF #24),
	// V3 = [d, dmin, ..] (FCVTL of the head), V2 += [d, dmin], then
	// V4, V5 = d·sc and V6, V7 = dmin·m (exact).
	VTBL   V28.B16, [V22.B16], V4.B16
	VTBL   V29.B16, [V22.B16], V5.B16
	VTBL   V30.B16, [V22.B16], V6.B16
	VTBL   V31.B16, [V22.B16], V7.B16
	VUCVTF_4S(24, 4, 4)
	VUCVTF_4S(24, 5, 5)
	VUCVTF_4S(24, 6, 6)
	VUCVTF_4S(24, 7, 7)
	VFCVTL_4S(20, 3)
	VFADD_2S(3, 2, 2)
	VFMUL_ELEM_4S(3, 0, 4, 4)
	VFMUL_ELEM_4S(3, 0, 5, 5)
	VFMUL_ELEM_4S(3, 1, 6, 6)
	VFMUL_ELEM_4S(3, 1, 7, 7)
	// The mins: V1 -= dmin·m_s · Σ x over sub-block s (xs, V25, V26).
	VLD1.P 32(R14), [V25.S4, V26.S4]
	VFMLS  V25.S4, V6.S4, V1.S4
	VFMLS  V26.S4, V7.S4, V1.S4
	// qs[0:32]: low nibbles moved to the top (V10, V11) for
	// sub-block 0, high nibbles masked in place (V8, V9) for 1.
	VLD1.P 32(R6), [V8.B16, V9.B16]
	VSHL   $4, V8.B16, V10.B16
	VSHL   $4, V9.B16, V11.B16
	VAND   V27.B16, V8.B16, V8.B16
	VAND   V27.B16, V9.B16, V9.B16
	// Sub-block 0: low nibbles, V0 += (Σ q·x)·d·sc0.
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P 64(R10), [V20.S4, V21.S4, V22.S4, V23.S4]
	VTBL   V28.B16, [V10.B16], V12.B16
	VTBL   V29.B16, [V10.B16], V13.B16
	VTBL   V30.B16, [V10.B16], V14.B16
	VTBL   V31.B16, [V10.B16], V15.B16
	VUCVTF_4S(28, 12, 12)
	VUCVTF_4S(28, 13, 13)
	VUCVTF_4S(28, 14, 14)
	VUCVTF_4S(28, 15, 15)
	VFMUL_4S(16, 12, 24)
	VFMLA  V17.S4, V13.S4, V24.S4
	VFMLA  V18.S4, V14.S4, V24.S4
	VFMLA  V19.S4, V15.S4, V24.S4
	VTBL   V28.B16, [V11.B16], V12.B16
	VTBL   V29.B16, [V11.B16], V13.B16
	VTBL   V30.B16, [V11.B16], V14.B16
	VTBL   V31.B16, [V11.B16], V15.B16
	VUCVTF_4S(28, 12, 12)
	VUCVTF_4S(28, 13, 13)
	VUCVTF_4S(28, 14, 14)
	VUCVTF_4S(28, 15, 15)
	VFMLA  V20.S4, V12.S4, V24.S4
	VFMLA  V21.S4, V13.S4, V24.S4
	VFMLA  V22.S4, V14.S4, V24.S4
	VFMLA  V23.S4, V15.S4, V24.S4
	VFMLA_ELEM_4S(4, 0, 24, 0)
	// Sub-block 1: high nibbles, V1 += (Σ q·x)·d·sc1.
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P 64(R10), [V20.S4, V21.S4, V22.S4, V23.S4]
	VTBL   V28.B16, [V8.B16], V12.B16
	VTBL   V29.B16, [V8.B16], V13.B16
	VTBL   V30.B16, [V8.B16], V14.B16
	VTBL   V31.B16, [V8.B16], V15.B16
	VUCVTF_4S(28, 12, 12)
	VUCVTF_4S(28, 13, 13)
	VUCVTF_4S(28, 14, 14)
	VUCVTF_4S(28, 15, 15)
	VFMUL_4S(16, 12, 24)
	VFMLA  V17.S4, V13.S4, V24.S4
	VFMLA  V18.S4, V14.S4, V24.S4
	VFMLA  V19.S4, V15.S4, V24.S4
	VTBL   V28.B16, [V9.B16], V12.B16
	VTBL   V29.B16, [V9.B16], V13.B16
	VTBL   V30.B16, [V9.B16], V14.B16
	VTBL   V31.B16, [V9.B16], V15.B16
	VUCVTF_4S(28, 12, 12)
	VUCVTF_4S(28, 13, 13)
	VUCVTF_4S(28, 14, 14)
	VUCVTF_4S(28, 15, 15)
	VFMLA  V20.S4, V12.S4, V24.S4
	VFMLA  V21.S4, V13.S4, V24.S4
	VFMLA  V22.S4, V14.S4, V24.S4
	VFMLA  V23.S4, V15.S4, V24.S4
	VFMLA_ELEM_4S(4, 1, 24, 1)
	// qs[32:64]: low nibbles moved to the top (V10, V11) for
	// sub-block 2, high nibbles masked in place (V8, V9) for 3.
	VLD1.P 32(R6), [V8.B16, V9.B16]
	VSHL   $4, V8.B16, V10.B16
	VSHL   $4, V9.B16, V11.B16
	VAND   V27.B16, V8.B16, V8.B16
	VAND   V27.B16, V9.B16, V9.B16
	// Sub-block 2: low nibbles, V0 += (Σ q·x)·d·sc2.
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P 64(R10), [V20.S4, V21.S4, V22.S4, V23.S4]
	VTBL   V28.B16, [V10.B16], V12.B16
	VTBL   V29.B16, [V10.B16], V13.B16
	VTBL   V30.B16, [V10.B16], V14.B16
	VTBL   V31.B16, [V10.B16], V15.B16
	VUCVTF_4S(28, 12, 12)
	VUCVTF_4S(28, 13, 13)
	VUCVTF_4S(28, 14, 14)
	VUCVTF_4S(28, 15, 15)
	VFMUL_4S(16, 12, 24)
	VFMLA  V17.S4, V13.S4, V24.S4
	VFMLA  V18.S4, V14.S4, V24.S4
	VFMLA  V19.S4, V15.S4, V24.S4
	VTBL   V28.B16, [V11.B16], V12.B16
	VTBL   V29.B16, [V11.B16], V13.B16
	VTBL   V30.B16, [V11.B16], V14.B16
	VTBL   V31.B16, [V11.B16], V15.B16
	VUCVTF_4S(28, 12, 12)
	VUCVTF_4S(28, 13, 13)
	VUCVTF_4S(28, 14, 14)
	VUCVTF_4S(28, 15, 15)
	VFMLA  V20.S4, V12.S4, V24.S4
	VFMLA  V21.S4, V13.S4, V24.S4
	VFMLA  V22.S4, V14.S4, V24.S4
	VFMLA  V23.S4, V15.S4, V24.S4
	VFMLA_ELEM_4S(4, 2, 24, 0)
	// Sub-block 3: high nibbles, V1 += (Σ q·x)·d·sc3.
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P 64(R10), [V20.S4, V21.S4, V22.S4, V23.S4]
	VTBL   V28.B16, [V8.B16], V12.B16
	VTBL   V29.B16, [V8.B16], V13.B16
	VTBL   V30.B16, [V8.B16], V14.B16
	VTBL   V31.B16, [V8.B16], V15.B16
	VUCVTF_4S(28, 12, 12)
	VUCVTF_4S(28, 13, 13)
	VUCVTF_4S(28, 14, 14)
	VUCVTF_4S(28, 15, 15)
	VFMUL_4S(16, 12, 24)
	VFMLA  V17.S4, V13.S4, V24.S4
	VFMLA  V18.S4, V14.S4, V24.S4
	VFMLA  V19.S4, V15.S4, V24.S4
	VTBL   V28.B16, [V9.B16], V12.B16
	VTBL   V29.B16, [V9.B16], V13.B16
	VTBL   V30.B16, [V9.B16], V14.B16
	VTBL   V31.B16, [V9.B16], V15.B16
	VUCVTF_4S(28, 12, 12)
	VUCVTF_4S(28, 13, 13)
	VUCVTF_4S(28, 14, 14)
	VUCVTF_4S(28, 15, 15)
	VFMLA  V20.S4, V12.S4, V24.S4
	VFMLA  V21.S4, V13.S4, V24.S4
	VFMLA  V22.S4, V14.S4, V24.S4
	VFMLA  V23.S4, V15.S4, V24.S4
	VFMLA_ELEM_4S(4, 3, 24, 1)
	// qs[64:96]: low nibbles moved to the top (V10, V11) for
	// sub-block 4, high nibbles masked in place (V8, V9) for 5.
	VLD1.P 32(R6), [V8.B16, V9.B16]
	VSHL   $4, V8.B16, V10.B16
	VSHL   $4, V9.B16, V11.B16
	VAND   V27.B16, V8.B16, V8.B16
	VAND   V27.B16, V9.B16, V9.B16
	// Sub-block 4: low nibbles, V0 += (Σ q·x)·d·sc4.
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P 64(R10), [V20.S4, V21.S4, V22.S4, V23.S4]
	VTBL   V28.B16, [V10.B16], V12.B16
	VTBL   V29.B16, [V10.B16], V13.B16
	VTBL   V30.B16, [V10.B16], V14.B16
	VTBL   V31.B16, [V10.B16], V15.B16
	VUCVTF_4S(28, 12, 12)
	VUCVTF_4S(28, 13, 13)
	VUCVTF_4S(28, 14, 14)
	VUCVTF_4S(28, 15, 15)
	VFMUL_4S(16, 12, 24)
	VFMLA  V17.S4, V13.S4, V24.S4
	VFMLA  V18.S4, V14.S4, V24.S4
	VFMLA  V19.S4, V15.S4, V24.S4
	VTBL   V28.B16, [V11.B16], V12.B16
	VTBL   V29.B16, [V11.B16], V13.B16
	VTBL   V30.B16, [V11.B16], V14.B16
	VTBL   V31.B16, [V11.B16], V15.B16
	VUCVTF_4S(28, 12, 12)
	VUCVTF_4S(28, 13, 13)
	VUCVTF_4S(28, 14, 14)
	VUCVTF_4S(28, 15, 15)
	VFMLA  V20.S4, V12.S4, V24.S4
	VFMLA  V21.S4, V13.S4, V24.S4
	VFMLA  V22.S4, V14.S4, V24.S4
	VFMLA  V23.S4, V15.S4, V24.S4
	VFMLA_ELEM_4S(5, 0, 24, 0)
	// Sub-block 5: high nibbles, V1 += (Σ q·x)·d·sc5.
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P 64(R10), [V20.S4, V21.S4, V22.S4, V23.S4]
	VTBL   V28.B16, [V8.B16], V12.B16
	VTBL   V29.B16, [V8.B16], V13.B16
	VTBL   V30.B16, [V8.B16], V14.B16
	VTBL   V31.B16, [V8.B16], V15.B16
	VUCVTF_4S(28, 12, 12)
	VUCVTF_4S(28, 13, 13)
	VUCVTF_4S(28, 14, 14)
	VUCVTF_4S(28, 15, 15)
	VFMUL_4S(16, 12, 24)
	VFMLA  V17.S4, V13.S4, V24.S4
	VFMLA  V18.S4, V14.S4, V24.S4
	VFMLA  V19.S4, V15.S4, V24.S4
	VTBL   V28.B16, [V9.B16], V12.B16
	VTBL   V29.B16, [V9.B16], V13.B16
	VTBL   V30.B16, [V9.B16], V14.B16
	VTBL   V31.B16, [V9.B16], V15.B16
	VUCVTF_4S(28, 12, 12)
	VUCVTF_4S(28, 13, 13)
	VUCVTF_4S(28, 14, 14)
	VUCVTF_4S(28, 15, 15)
	VFMLA  V20.S4, V12.S4, V24.S4
	VFMLA  V21.S4, V13.S4, V24.S4
	VFMLA  V22.S4, V14.S4, V24.S4
	VFMLA  V23.S4, V15.S4, V24.S4
	VFMLA_ELEM_4S(5, 1, 24, 1)
	// qs[96:128]: low nibbles moved to the top (V10, V11) for
	// sub-block 6, high nibbles masked in place (V8, V9) for 7.
	VLD1.P 32(R6), [V8.B16, V9.B16]
	VSHL   $4, V8.B16, V10.B16
	VSHL   $4, V9.B16, V11.B16
	VAND   V27.B16, V8.B16, V8.B16
	VAND   V27.B16, V9.B16, V9.B16
	// Sub-block 6: low nibbles, V0 += (Σ q·x)·d·sc6.
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P 64(R10), [V20.S4, V21.S4, V22.S4, V23.S4]
	VTBL   V28.B16, [V10.B16], V12.B16
	VTBL   V29.B16, [V10.B16], V13.B16
	VTBL   V30.B16, [V10.B16], V14.B16
	VTBL   V31.B16, [V10.B16], V15.B16
	VUCVTF_4S(28, 12, 12)
	VUCVTF_4S(28, 13, 13)
	VUCVTF_4S(28, 14, 14)
	VUCVTF_4S(28, 15, 15)
	VFMUL_4S(16, 12, 24)
	VFMLA  V17.S4, V13.S4, V24.S4
	VFMLA  V18.S4, V14.S4, V24.S4
	VFMLA  V19.S4, V15.S4, V24.S4
	VTBL   V28.B16, [V11.B16], V12.B16
	VTBL   V29.B16, [V11.B16], V13.B16
	VTBL   V30.B16, [V11.B16], V14.B16
	VTBL   V31.B16, [V11.B16], V15.B16
	VUCVTF_4S(28, 12, 12)
	VUCVTF_4S(28, 13, 13)
	VUCVTF_4S(28, 14, 14)
	VUCVTF_4S(28, 15, 15)
	VFMLA  V20.S4, V12.S4, V24.S4
	VFMLA  V21.S4, V13.S4, V24.S4
	VFMLA  V22.S4, V14.S4, V24.S4
	VFMLA  V23.S4, V15.S4, V24.S4
	VFMLA_ELEM_4S(5, 2, 24, 0)
	// Sub-block 7: high nibbles, V1 += (Σ q·x)·d·sc7.
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P 64(R10), [V20.S4, V21.S4, V22.S4, V23.S4]
	VTBL   V28.B16, [V8.B16], V12.B16
	VTBL   V29.B16, [V8.B16], V13.B16
	VTBL   V30.B16, [V8.B16], V14.B16
	VTBL   V31.B16, [V8.B16], V15.B16
	VUCVTF_4S(28, 12, 12)
	VUCVTF_4S(28, 13, 13)
	VUCVTF_4S(28, 14, 14)
	VUCVTF_4S(28, 15, 15)
	VFMUL_4S(16, 12, 24)
	VFMLA  V17.S4, V13.S4, V24.S4
	VFMLA  V18.S4, V14.S4, V24.S4
	VFMLA  V19.S4, V15.S4, V24.S4
	VTBL   V28.B16, [V9.B16], V12.B16
	VTBL   V29.B16, [V9.B16], V13.B16
	VTBL   V30.B16, [V9.B16], V14.B16
	VTBL   V31.B16, [V9.B16], V15.B16
	VUCVTF_4S(28, 12, 12)
	VUCVTF_4S(28, 13, 13)
	VUCVTF_4S(28, 14, 14)
	VUCVTF_4S(28, 15, 15)
	VFMLA  V20.S4, V12.S4, V24.S4
	VFMLA  V21.S4, V13.S4, V24.S4
	VFMLA  V22.S4, V14.S4, V24.S4
	VFMLA  V23.S4, V15.S4, V24.S4
	VFMLA_ELEM_4S(5, 3, 24, 1)
	SUBS   $1, R11
	BNE    q4kblk

	// Every d and dmin finite? V3 = V2 - V2 is 0 in finite lanes, else
	// NaN (the upper two lanes are 0: FADD .2S zeroes them).
	VFSUB_4S(2, 2, 3)
	VFCMEQ_4S(3, 3, 3)
	VMOV   V3.D[0], R12
	CMN    $1, R12
	BNE    q4kspecial
	VFADD_4S(1, 0, 0)
	VFADDP_4S(0, 0, 0)
	FADDP_2S(0, 0)
	CBZ    R9, q4kstore
	FMOVS  (R0), F1
	FADDS  F1, F0

q4kstore:
	FMOVS.P F0, 4(R0)
	ADD    R8, R2
	SUBS   $1, R1
	BNE    q4krow
	MOVD   R15, ret+96(FP)
	RET

q4kspecial:
	SUB    R1, R15, R15
	MOVD   R15, ret+96(FP)
	RET
// tbltop: four TBL index vectors (as in gemv_q32_arm64.s); vector k puts byte 4k+i of
// the table in the top byte of 32-bit lane i and zeros (index 0xFF, out of
// range) below.
DATA tbltop<>+0x00(SB)/8, $0x01ffffff00ffffff
DATA tbltop<>+0x08(SB)/8, $0x03ffffff02ffffff
DATA tbltop<>+0x10(SB)/8, $0x05ffffff04ffffff
DATA tbltop<>+0x18(SB)/8, $0x07ffffff06ffffff
DATA tbltop<>+0x20(SB)/8, $0x09ffffff08ffffff
DATA tbltop<>+0x28(SB)/8, $0x0bffffff0affffff
DATA tbltop<>+0x30(SB)/8, $0x0dffffff0cffffff
DATA tbltop<>+0x38(SB)/8, $0x0fffffff0effffff
GLOBL tbltop<>(SB), RODATA|NOPTR, $64


// q4kscales: the constants of get_scale_min_k4 over a Q4_K head (bytes 0-3
// d and dmin, 4-15 scales s0..s11; U = head >> 4 is table bytes 16-31):
// TBL indices [s0..s3, s8..s11, s4..s7, U8..U11] (4, 5, 6, 7, 12, .., 15, 8,
// .., 11, 28, .., 31); TBL indices [0, s0..s3, 0, s4..s7] (0xFF is 0); the
// masks [63 ×4, 15 ×4, 63 ×4, 15 ×4]; 0xC0 ×16.
DATA q4kscales<>+0x00(SB)/8, $0x0f0e0d0c07060504
DATA q4kscales<>+0x08(SB)/8, $0x1f1e1d1c0b0a0908
DATA q4kscales<>+0x10(SB)/8, $0x07060504ffffffff
DATA q4kscales<>+0x18(SB)/8, $0x0b0a0908ffffffff
DATA q4kscales<>+0x20(SB)/8, $0x0f0f0f0f3f3f3f3f
DATA q4kscales<>+0x28(SB)/8, $0x0f0f0f0f3f3f3f3f
DATA q4kscales<>+0x30(SB)/8, $0xc0c0c0c0c0c0c0c0
DATA q4kscales<>+0x38(SB)/8, $0xc0c0c0c0c0c0c0c0
GLOBL q4kscales<>(SB), RODATA|NOPTR, $64
