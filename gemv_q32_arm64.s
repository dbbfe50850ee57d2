//go:build !purego

// NEON Gemv kernels of the 32-weight block formats Q8_0 and Q4_0
// (gemv_formats_arm64.go declares them and wraps them).
//
// Four rows per pass share each block of x (32 floats in V16..V23). A
// block's quants become exact singles in two steps per four weights: TBL
// with the index vectors of tbltop (V28..V31) moves quant byte 4k+i into the
// top byte of lane i (the other three bytes zero, indices out of range), and
// SCVTF with fbits f divides that int32 by 2^f: a signed byte q in the top
// byte gives q with f = 24 (Q8_0); a nibble in the top four bits gives it
// with f = 28 (Q4_0, whose nibbles are first XORed with 8 so that the
// signed nibble is q-8 exactly, then moved to the top of their byte).
//
// The block scale is factored out: V(4+r) = Σ q·x over the block (one FMUL
// and seven FMLA), then V(r) += V(4+r)·d_r with d_r a lane of V25 (FMLA by
// element). d·q is exact, so this is the dot product of x with the decoded
// weights up to the order of rounding. A scale of ±Inf or NaN would not
// be: its block's weights are NaN where q = 0, which the factored product
// does not see. V26 sums the scales of the group, so it is finite exactly
// when every scale was; if not, the kernel returns the group's first row
// without writing its dst, and the Go wrapper computes that group with the
// generic twin.
//
// Registers: R0 dst, R1 rows left, R2 row-group start, R3 x, R4 blocks per
// row, R5 row stride, R6..R9 the rows, R10 x walk, R11 blocks left, R15 rows
// in all; V0..V3 row sums, V4..V7 block sums, V8..V13 quants, V14, V15
// nibble masks (Q4_0), V16..V23 x, V24 scales (halves), V25 scales, V26
// scale sum, V27 check, V28..V31 TBL indices.

#include "textflag.h"
#include "neon_arm64.h"

// func gemvQ8_0NEONRows(dst []float32, w []byte, x []float32) int
// Requires len(dst) >= 1, len(x) >= 32 a multiple of 32,
// len(w) == len(dst)*len(x)/32*34. Returns the rows done: len(dst), or
// the first row of the group (four rows, or one in the last 0..3) in
// which a block scale is ±Inf or NaN, whose dst it leaves unwritten.
TEXT ·gemvQ8_0NEONRows(SB), NOSPLIT|NOFRAME, $0-80
	MOVD dst_base+0(FP), R0
	MOVD dst_len+8(FP), R1
	MOVD w_base+24(FP), R2
	MOVD x_base+48(FP), R3
	MOVD x_len+56(FP), R4
	MOVD R1, R15     // rows in all
	LSR  $5, R4      // R4 = blocks per row
	MOVD $34, R12
	MUL  R4, R12, R5 // R5 = row stride in bytes
	MOVD $tbltop<>(SB), R12
	VLD1 (R12), [V28.B16, V29.B16, V30.B16, V31.B16]
	CMP  $4, R1
	BLT  q80rows1

q80rows4:
	// Rows i..i+3: R6..R9 walk the rows, R10 walks x, R11 counts the
	// blocks left. V0..V3 are the rows' sums, V26 the sum of their scales.
	MOVD R2, R6
	ADD  R5, R6, R7
	ADD  R5, R7, R8
	ADD  R5, R8, R9
	MOVD R3, R10
	MOVD R4, R11
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V26.B16, V26.B16, V26.B16

q80blk4:
	// x[j:j+32] in V16..V23. Per row r: its scale into V24.H[r], its 32
	// quants as singles (V10..V13, four at a time), V(4+r) = Σ q·x.
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P 64(R10), [V20.S4, V21.S4, V22.S4, V23.S4]
	VLD1.P 2(R6), V24.H[0]
	VLD1.P 32(R6), [V8.B16, V9.B16]
	VTBL   V28.B16, [V8.B16], V10.B16
	VTBL   V29.B16, [V8.B16], V11.B16
	VTBL   V30.B16, [V8.B16], V12.B16
	VTBL   V31.B16, [V8.B16], V13.B16
	VSCVTF_4S(24, 10, 10)
	VSCVTF_4S(24, 11, 11)
	VSCVTF_4S(24, 12, 12)
	VSCVTF_4S(24, 13, 13)
	VFMUL_4S(16, 10, 4)
	VFMLA  V17.S4, V11.S4, V4.S4
	VFMLA  V18.S4, V12.S4, V4.S4
	VFMLA  V19.S4, V13.S4, V4.S4
	VTBL   V28.B16, [V9.B16], V10.B16
	VTBL   V29.B16, [V9.B16], V11.B16
	VTBL   V30.B16, [V9.B16], V12.B16
	VTBL   V31.B16, [V9.B16], V13.B16
	VSCVTF_4S(24, 10, 10)
	VSCVTF_4S(24, 11, 11)
	VSCVTF_4S(24, 12, 12)
	VSCVTF_4S(24, 13, 13)
	VFMLA  V20.S4, V10.S4, V4.S4
	VFMLA  V21.S4, V11.S4, V4.S4
	VFMLA  V22.S4, V12.S4, V4.S4
	VFMLA  V23.S4, V13.S4, V4.S4
	VLD1.P 2(R7), V24.H[1]
	VLD1.P 32(R7), [V8.B16, V9.B16]
	VTBL   V28.B16, [V8.B16], V10.B16
	VTBL   V29.B16, [V8.B16], V11.B16
	VTBL   V30.B16, [V8.B16], V12.B16
	VTBL   V31.B16, [V8.B16], V13.B16
	VSCVTF_4S(24, 10, 10)
	VSCVTF_4S(24, 11, 11)
	VSCVTF_4S(24, 12, 12)
	VSCVTF_4S(24, 13, 13)
	VFMUL_4S(16, 10, 5)
	VFMLA  V17.S4, V11.S4, V5.S4
	VFMLA  V18.S4, V12.S4, V5.S4
	VFMLA  V19.S4, V13.S4, V5.S4
	VTBL   V28.B16, [V9.B16], V10.B16
	VTBL   V29.B16, [V9.B16], V11.B16
	VTBL   V30.B16, [V9.B16], V12.B16
	VTBL   V31.B16, [V9.B16], V13.B16
	VSCVTF_4S(24, 10, 10)
	VSCVTF_4S(24, 11, 11)
	VSCVTF_4S(24, 12, 12)
	VSCVTF_4S(24, 13, 13)
	VFMLA  V20.S4, V10.S4, V5.S4
	VFMLA  V21.S4, V11.S4, V5.S4
	VFMLA  V22.S4, V12.S4, V5.S4
	VFMLA  V23.S4, V13.S4, V5.S4
	VLD1.P 2(R8), V24.H[2]
	VLD1.P 32(R8), [V8.B16, V9.B16]
	VTBL   V28.B16, [V8.B16], V10.B16
	VTBL   V29.B16, [V8.B16], V11.B16
	VTBL   V30.B16, [V8.B16], V12.B16
	VTBL   V31.B16, [V8.B16], V13.B16
	VSCVTF_4S(24, 10, 10)
	VSCVTF_4S(24, 11, 11)
	VSCVTF_4S(24, 12, 12)
	VSCVTF_4S(24, 13, 13)
	VFMUL_4S(16, 10, 6)
	VFMLA  V17.S4, V11.S4, V6.S4
	VFMLA  V18.S4, V12.S4, V6.S4
	VFMLA  V19.S4, V13.S4, V6.S4
	VTBL   V28.B16, [V9.B16], V10.B16
	VTBL   V29.B16, [V9.B16], V11.B16
	VTBL   V30.B16, [V9.B16], V12.B16
	VTBL   V31.B16, [V9.B16], V13.B16
	VSCVTF_4S(24, 10, 10)
	VSCVTF_4S(24, 11, 11)
	VSCVTF_4S(24, 12, 12)
	VSCVTF_4S(24, 13, 13)
	VFMLA  V20.S4, V10.S4, V6.S4
	VFMLA  V21.S4, V11.S4, V6.S4
	VFMLA  V22.S4, V12.S4, V6.S4
	VFMLA  V23.S4, V13.S4, V6.S4
	VLD1.P 2(R9), V24.H[3]
	VLD1.P 32(R9), [V8.B16, V9.B16]
	VTBL   V28.B16, [V8.B16], V10.B16
	VTBL   V29.B16, [V8.B16], V11.B16
	VTBL   V30.B16, [V8.B16], V12.B16
	VTBL   V31.B16, [V8.B16], V13.B16
	VSCVTF_4S(24, 10, 10)
	VSCVTF_4S(24, 11, 11)
	VSCVTF_4S(24, 12, 12)
	VSCVTF_4S(24, 13, 13)
	VFMUL_4S(16, 10, 7)
	VFMLA  V17.S4, V11.S4, V7.S4
	VFMLA  V18.S4, V12.S4, V7.S4
	VFMLA  V19.S4, V13.S4, V7.S4
	VTBL   V28.B16, [V9.B16], V10.B16
	VTBL   V29.B16, [V9.B16], V11.B16
	VTBL   V30.B16, [V9.B16], V12.B16
	VTBL   V31.B16, [V9.B16], V13.B16
	VSCVTF_4S(24, 10, 10)
	VSCVTF_4S(24, 11, 11)
	VSCVTF_4S(24, 12, 12)
	VSCVTF_4S(24, 13, 13)
	VFMLA  V20.S4, V10.S4, V7.S4
	VFMLA  V21.S4, V11.S4, V7.S4
	VFMLA  V22.S4, V12.S4, V7.S4
	VFMLA  V23.S4, V13.S4, V7.S4
	// V25 = the four scales as singles; V(r) += V(4+r)·d_r.
	VFCVTL_4S(24, 25)
	VFADD_4S(25, 26, 26)
	VFMLA_ELEM_4S(25, 0, 4, 0)
	VFMLA_ELEM_4S(25, 1, 5, 1)
	VFMLA_ELEM_4S(25, 2, 6, 2)
	VFMLA_ELEM_4S(25, 3, 7, 3)
	SUBS   $1, R11
	BNE    q80blk4

	// Every scale finite? V27 = chk - chk is 0 in finite lanes, NaN in
	// the others; FCMEQ makes the finite lanes all ones.
	VFSUB_4S(26, 26, 27)
	VFCMEQ_4S(27, 27, 27)
	VMOV   V27.D[0], R12
	VMOV   V27.D[1], R13
	AND    R12, R13
	CMN    $1, R13
	BNE    q80special
	// V0 = [dst[i], .., dst[i+3]]: the lanes of V0..V3, pairwise.
	VFADDP_4S(1, 0, 0)
	VFADDP_4S(3, 2, 2)
	VFADDP_4S(2, 0, 0)
	VST1.P [V0.S4], 16(R0)
	MOVD   R9, R2
	SUB    $4, R1
	CMP    $4, R1
	BGE    q80rows4

q80rows1:
	// The last 0..3 rows, one at a time; the scale goes to V24.H[0] and
	// the other lanes stay zero.
	CBZ    R1, q80done
	VEOR   V24.B16, V24.B16, V24.B16

q80row1:
	MOVD   R2, R6
	MOVD   R3, R10
	MOVD   R4, R11
	VEOR   V0.B16, V0.B16, V0.B16
	VEOR   V26.B16, V26.B16, V26.B16

q80blk1:
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P 64(R10), [V20.S4, V21.S4, V22.S4, V23.S4]
	VLD1.P 2(R6), V24.H[0]
	VLD1.P 32(R6), [V8.B16, V9.B16]
	VTBL   V28.B16, [V8.B16], V10.B16
	VTBL   V29.B16, [V8.B16], V11.B16
	VTBL   V30.B16, [V8.B16], V12.B16
	VTBL   V31.B16, [V8.B16], V13.B16
	VSCVTF_4S(24, 10, 10)
	VSCVTF_4S(24, 11, 11)
	VSCVTF_4S(24, 12, 12)
	VSCVTF_4S(24, 13, 13)
	VFMUL_4S(16, 10, 4)
	VFMLA  V17.S4, V11.S4, V4.S4
	VFMLA  V18.S4, V12.S4, V4.S4
	VFMLA  V19.S4, V13.S4, V4.S4
	VTBL   V28.B16, [V9.B16], V10.B16
	VTBL   V29.B16, [V9.B16], V11.B16
	VTBL   V30.B16, [V9.B16], V12.B16
	VTBL   V31.B16, [V9.B16], V13.B16
	VSCVTF_4S(24, 10, 10)
	VSCVTF_4S(24, 11, 11)
	VSCVTF_4S(24, 12, 12)
	VSCVTF_4S(24, 13, 13)
	VFMLA  V20.S4, V10.S4, V4.S4
	VFMLA  V21.S4, V11.S4, V4.S4
	VFMLA  V22.S4, V12.S4, V4.S4
	VFMLA  V23.S4, V13.S4, V4.S4
	VFCVTL_4S(24, 25)
	VFADD_4S(25, 26, 26)
	VFMLA_ELEM_4S(25, 0, 4, 0)
	SUBS   $1, R11
	BNE    q80blk1

	// Every scale finite? V27 = chk - chk is 0 in finite lanes, NaN in
	// the others; FCMEQ makes the finite lanes all ones.
	VFSUB_4S(26, 26, 27)
	VFCMEQ_4S(27, 27, 27)
	VMOV   V27.D[0], R12
	VMOV   V27.D[1], R13
	AND    R12, R13
	CMN    $1, R13
	BNE    q80special
	VFADDP_4S(0, 0, 0)
	FADDP_2S(0, 0)
	FMOVS.P F0, 4(R0)
	MOVD   R6, R2
	SUBS   $1, R1
	BNE    q80row1

q80done:
	MOVD   R15, ret+72(FP)
	RET

q80special:
	// Rows done = rows in all - rows left (the group starts at R1 left).
	SUB    R1, R15, R15
	MOVD   R15, ret+72(FP)
	RET

// func gemvQ4_0NEONRows(dst []float32, w []byte, x []float32) int
// Requires len(dst) >= 1, len(x) >= 32 a multiple of 32,
// len(w) == len(dst)*len(x)/32*18. Returns the rows done: len(dst), or
// the first row of the group (four rows, or one in the last 0..3) in
// which a block scale is ±Inf or NaN, whose dst it leaves unwritten.
TEXT ·gemvQ4_0NEONRows(SB), NOSPLIT|NOFRAME, $0-80
	MOVD dst_base+0(FP), R0
	MOVD dst_len+8(FP), R1
	MOVD w_base+24(FP), R2
	MOVD x_base+48(FP), R3
	MOVD x_len+56(FP), R4
	MOVD R1, R15     // rows in all
	LSR  $5, R4      // R4 = blocks per row
	MOVD $18, R12
	MUL  R4, R12, R5 // R5 = row stride in bytes
	MOVD $tbltop<>(SB), R12
	VLD1 (R12), [V28.B16, V29.B16, V30.B16, V31.B16]
	VMOVI $0x88, V14.B16 // flips the top bit of both nibbles: q^8 as a signed nibble is q-8
	VMOVI $0xF0, V15.B16
	CMP  $4, R1
	BLT  q40rows1

q40rows4:
	// Rows i..i+3: R6..R9 walk the rows, R10 walks x, R11 counts the
	// blocks left. V0..V3 are the rows' sums, V26 the sum of their scales.
	MOVD R2, R6
	ADD  R5, R6, R7
	ADD  R5, R7, R8
	ADD  R5, R8, R9
	MOVD R3, R10
	MOVD R4, R11
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V26.B16, V26.B16, V26.B16

q40blk4:
	// x[j:j+32] in V16..V23. Per row r: its scale into V24.H[r], its 32
	// quants as singles (V10..V13, four at a time), V(4+r) = Σ q·x.
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P 64(R10), [V20.S4, V21.S4, V22.S4, V23.S4]
	VLD1.P 2(R6), V24.H[0]
	VLD1.P 16(R6), [V8.B16]
	VEOR   V14.B16, V8.B16, V8.B16
	VSHL   $4, V8.B16, V9.B16
	VAND   V15.B16, V8.B16, V8.B16
	VTBL   V28.B16, [V9.B16], V10.B16
	VTBL   V29.B16, [V9.B16], V11.B16
	VTBL   V30.B16, [V9.B16], V12.B16
	VTBL   V31.B16, [V9.B16], V13.B16
	VSCVTF_4S(28, 10, 10)
	VSCVTF_4S(28, 11, 11)
	VSCVTF_4S(28, 12, 12)
	VSCVTF_4S(28, 13, 13)
	VFMUL_4S(16, 10, 4)
	VFMLA  V17.S4, V11.S4, V4.S4
	VFMLA  V18.S4, V12.S4, V4.S4
	VFMLA  V19.S4, V13.S4, V4.S4
	VTBL   V28.B16, [V8.B16], V10.B16
	VTBL   V29.B16, [V8.B16], V11.B16
	VTBL   V30.B16, [V8.B16], V12.B16
	VTBL   V31.B16, [V8.B16], V13.B16
	VSCVTF_4S(28, 10, 10)
	VSCVTF_4S(28, 11, 11)
	VSCVTF_4S(28, 12, 12)
	VSCVTF_4S(28, 13, 13)
	VFMLA  V20.S4, V10.S4, V4.S4
	VFMLA  V21.S4, V11.S4, V4.S4
	VFMLA  V22.S4, V12.S4, V4.S4
	VFMLA  V23.S4, V13.S4, V4.S4
	VLD1.P 2(R7), V24.H[1]
	VLD1.P 16(R7), [V8.B16]
	VEOR   V14.B16, V8.B16, V8.B16
	VSHL   $4, V8.B16, V9.B16
	VAND   V15.B16, V8.B16, V8.B16
	VTBL   V28.B16, [V9.B16], V10.B16
	VTBL   V29.B16, [V9.B16], V11.B16
	VTBL   V30.B16, [V9.B16], V12.B16
	VTBL   V31.B16, [V9.B16], V13.B16
	VSCVTF_4S(28, 10, 10)
	VSCVTF_4S(28, 11, 11)
	VSCVTF_4S(28, 12, 12)
	VSCVTF_4S(28, 13, 13)
	VFMUL_4S(16, 10, 5)
	VFMLA  V17.S4, V11.S4, V5.S4
	VFMLA  V18.S4, V12.S4, V5.S4
	VFMLA  V19.S4, V13.S4, V5.S4
	VTBL   V28.B16, [V8.B16], V10.B16
	VTBL   V29.B16, [V8.B16], V11.B16
	VTBL   V30.B16, [V8.B16], V12.B16
	VTBL   V31.B16, [V8.B16], V13.B16
	VSCVTF_4S(28, 10, 10)
	VSCVTF_4S(28, 11, 11)
	VSCVTF_4S(28, 12, 12)
	VSCVTF_4S(28, 13, 13)
	VFMLA  V20.S4, V10.S4, V5.S4
	VFMLA  V21.S4, V11.S4, V5.S4
	VFMLA  V22.S4, V12.S4, V5.S4
	VFMLA  V23.S4, V13.S4, V5.S4
	VLD1.P 2(R8), V24.H[2]
	VLD1.P 16(R8), [V8.B16]
	VEOR   V14.B16, V8.B16, V8.B16
	VSHL   $4, V8.B16, V9.B16
	VAND   V15.B16, V8.B16, V8.B16
	VTBL   V28.B16, [V9.B16], V10.B16
	VTBL   V29.B16, [V9.B16], V11.B16
	VTBL   V30.B16, [V9.B16], V12.B16
	VTBL   V31.B16, [V9.B16], V13.B16
	VSCVTF_4S(28, 10, 10)
	VSCVTF_4S(28, 11, 11)
	VSCVTF_4S(28, 12, 12)
	VSCVTF_4S(28, 13, 13)
	VFMUL_4S(16, 10, 6)
	VFMLA  V17.S4, V11.S4, V6.S4
	VFMLA  V18.S4, V12.S4, V6.S4
	VFMLA  V19.S4, V13.S4, V6.S4
	VTBL   V28.B16, [V8.B16], V10.B16
	VTBL   V29.B16, [V8.B16], V11.B16
	VTBL   V30.B16, [V8.B16], V12.B16
	VTBL   V31.B16, [V8.B16], V13.B16
	VSCVTF_4S(28, 10, 10)
	VSCVTF_4S(28, 11, 11)
	VSCVTF_4S(28, 12, 12)
	VSCVTF_4S(28, 13, 13)
	VFMLA  V20.S4, V10.S4, V6.S4
	VFMLA  V21.S4, V11.S4, V6.S4
	VFMLA  V22.S4, V12.S4, V6.S4
	VFMLA  V23.S4, V13.S4, V6.S4
	VLD1.P 2(R9), V24.H[3]
	VLD1.P 16(R9), [V8.B16]
	VEOR   V14.B16, V8.B16, V8.B16
	VSHL   $4, V8.B16, V9.B16
	VAND   V15.B16, V8.B16, V8.B16
	VTBL   V28.B16, [V9.B16], V10.B16
	VTBL   V29.B16, [V9.B16], V11.B16
	VTBL   V30.B16, [V9.B16], V12.B16
	VTBL   V31.B16, [V9.B16], V13.B16
	VSCVTF_4S(28, 10, 10)
	VSCVTF_4S(28, 11, 11)
	VSCVTF_4S(28, 12, 12)
	VSCVTF_4S(28, 13, 13)
	VFMUL_4S(16, 10, 7)
	VFMLA  V17.S4, V11.S4, V7.S4
	VFMLA  V18.S4, V12.S4, V7.S4
	VFMLA  V19.S4, V13.S4, V7.S4
	VTBL   V28.B16, [V8.B16], V10.B16
	VTBL   V29.B16, [V8.B16], V11.B16
	VTBL   V30.B16, [V8.B16], V12.B16
	VTBL   V31.B16, [V8.B16], V13.B16
	VSCVTF_4S(28, 10, 10)
	VSCVTF_4S(28, 11, 11)
	VSCVTF_4S(28, 12, 12)
	VSCVTF_4S(28, 13, 13)
	VFMLA  V20.S4, V10.S4, V7.S4
	VFMLA  V21.S4, V11.S4, V7.S4
	VFMLA  V22.S4, V12.S4, V7.S4
	VFMLA  V23.S4, V13.S4, V7.S4
	// V25 = the four scales as singles; V(r) += V(4+r)·d_r.
	VFCVTL_4S(24, 25)
	VFADD_4S(25, 26, 26)
	VFMLA_ELEM_4S(25, 0, 4, 0)
	VFMLA_ELEM_4S(25, 1, 5, 1)
	VFMLA_ELEM_4S(25, 2, 6, 2)
	VFMLA_ELEM_4S(25, 3, 7, 3)
	SUBS   $1, R11
	BNE    q40blk4

	// Every scale finite? V27 = chk - chk is 0 in finite lanes, NaN in
	// the others; FCMEQ makes the finite lanes all ones.
	VFSUB_4S(26, 26, 27)
	VFCMEQ_4S(27, 27, 27)
	VMOV   V27.D[0], R12
	VMOV   V27.D[1], R13
	AND    R12, R13
	CMN    $1, R13
	BNE    q40special
	// V0 = [dst[i], .., dst[i+3]]: the lanes of V0..V3, pairwise.
	VFADDP_4S(1, 0, 0)
	VFADDP_4S(3, 2, 2)
	VFADDP_4S(2, 0, 0)
	VST1.P [V0.S4], 16(R0)
	MOVD   R9, R2
	SUB    $4, R1
	CMP    $4, R1
	BGE    q40rows4

q40rows1:
	// The last 0..3 rows, one at a time; the scale goes to V24.H[0] and
	// the other lanes stay zero.
	CBZ    R1, q40done
	VEOR   V24.B16, V24.B16, V24.B16

q40row1:
	MOVD   R2, R6
	MOVD   R3, R10
	MOVD   R4, R11
	VEOR   V0.B16, V0.B16, V0.B16
	VEOR   V26.B16, V26.B16, V26.B16

q40blk1:
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P 64(R10), [V20.S4, V21.S4, V22.S4, V23.S4]
	VLD1.P 2(R6), V24.H[0]
	VLD1.P 16(R6), [V8.B16]
	VEOR   V14.B16, V8.B16, V8.B16
	VSHL   $4, V8.B16, V9.B16
	VAND   V15.B16, V8.B16, V8.B16
	VTBL   V28.B16, [V9.B16], V10.B16
	VTBL   V29.B16, [V9.B16], V11.B16
	VTBL   V30.B16, [V9.B16], V12.B16
	VTBL   V31.B16, [V9.B16], V13.B16
	VSCVTF_4S(28, 10, 10)
	VSCVTF_4S(28, 11, 11)
	VSCVTF_4S(28, 12, 12)
	VSCVTF_4S(28, 13, 13)
	VFMUL_4S(16, 10, 4)
	VFMLA  V17.S4, V11.S4, V4.S4
	VFMLA  V18.S4, V12.S4, V4.S4
	VFMLA  V19.S4, V13.S4, V4.S4
	VTBL   V28.B16, [V8.B16], V10.B16
	VTBL   V29.B16, [V8.B16], V11.B16
	VTBL   V30.B16, [V8.B16], V12.B16
	VTBL   V31.B16, [V8.B16], V13.B16
	VSCVTF_4S(28, 10, 10)
	VSCVTF_4S(28, 11, 11)
	VSCVTF_4S(28, 12, 12)
	VSCVTF_4S(28, 13, 13)
	VFMLA  V20.S4, V10.S4, V4.S4
	VFMLA  V21.S4, V11.S4, V4.S4
	VFMLA  V22.S4, V12.S4, V4.S4
	VFMLA  V23.S4, V13.S4, V4.S4
	VFCVTL_4S(24, 25)
	VFADD_4S(25, 26, 26)
	VFMLA_ELEM_4S(25, 0, 4, 0)
	SUBS   $1, R11
	BNE    q40blk1

	// Every scale finite? V27 = chk - chk is 0 in finite lanes, NaN in
	// the others; FCMEQ makes the finite lanes all ones.
	VFSUB_4S(26, 26, 27)
	VFCMEQ_4S(27, 27, 27)
	VMOV   V27.D[0], R12
	VMOV   V27.D[1], R13
	AND    R12, R13
	CMN    $1, R13
	BNE    q40special
	VFADDP_4S(0, 0, 0)
	FADDP_2S(0, 0)
	FMOVS.P F0, 4(R0)
	MOVD   R6, R2
	SUBS   $1, R1
	BNE    q40row1

q40done:
	MOVD   R15, ret+72(FP)
	RET

q40special:
	// Rows done = rows in all - rows left (the group starts at R1 left).
	SUB    R1, R15, R15
	MOVD   R15, ret+72(FP)
	RET
// tbltop: four TBL index vectors; vector k puts byte 4k+i of the table in
// the top byte of 32-bit lane i and zeros (index 0xFF, out of range) below.
DATA tbltop<>+0x00(SB)/8, $0x01ffffff00ffffff
DATA tbltop<>+0x08(SB)/8, $0x03ffffff02ffffff
DATA tbltop<>+0x10(SB)/8, $0x05ffffff04ffffff
DATA tbltop<>+0x18(SB)/8, $0x07ffffff06ffffff
DATA tbltop<>+0x20(SB)/8, $0x09ffffff08ffffff
DATA tbltop<>+0x28(SB)/8, $0x0bffffff0affffff
DATA tbltop<>+0x30(SB)/8, $0x0dffffff0cffffff
DATA tbltop<>+0x38(SB)/8, $0x0fffffff0effffff
GLOBL tbltop<>(SB), RODATA|NOPTR, $64
