//go:build !purego

// NEON Gemv kernels of the F16 and BF16 weight formats (gemv_formats_arm64.go
// declares them). They are gemvNEON (kernels_arm64.s) with a widening step
// between the weight load and the FMA: four rows per pass share every load
// of x, each row keeps four partial-sum vectors (16 independent FMA chains),
// and the activations stay float32.
//
// F16: FCVTL/FCVTL2 widen four halves to four singles exactly (IEEE: the
// subnormals become normal singles, ±Inf stay infinite, NaNs stay NaN).
// BF16: a bfloat16 is the top half of a single, so ZIP1/ZIP2 with a zero
// vector (V31) put each weight above 16 zero bits.
//
// Loops: 16 columns (32 bytes of each row), then whole 4-column vectors,
// then 0..3 single columns gathered one row per lane; then 0..3 single rows
// the same way. Every load is whole only while its data remains, so nothing
// outside w, x or dst is touched; w may start at any address (LD1 has no
// alignment requirement).
//
// Registers: R0 dst, R1 rows left, R2 row-group start, R3 x, R4 n, R5 row
// stride, R6..R9 the four rows, R10 x walk, R11 columns left; V0..V15
// partial sums, V16..V19 x, V20..V27 weights, V28 the single-column sums,
// V31 zero (BF16).

#include "textflag.h"
#include "neon_arm64.h"

// func gemvF16NEON(dst []float32, w []byte, x []float32)
// Requires len(dst) >= 1, len(x) >= 1, len(w) == len(dst)*2*len(x).
TEXT ·gemvF16NEON(SB), NOSPLIT|NOFRAME, $0-72
	MOVD dst_base+0(FP), R0
	MOVD dst_len+8(FP), R1
	MOVD w_base+24(FP), R2
	MOVD x_base+48(FP), R3
	MOVD x_len+56(FP), R4
	LSL  $1, R4, R5 // R5 = row stride in bytes = 2n
	CMP  $4, R1
	BLT  f16rows1

f16rows4:
	// Rows i..i+3: R6..R9 walk the rows, R10 walks x, R11 counts the
	// columns left. Row r's partial sums are V(4r)..V(4r+3).
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
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
	VEOR V8.B16, V8.B16, V8.B16
	VEOR V9.B16, V9.B16, V9.B16
	VEOR V10.B16, V10.B16, V10.B16
	VEOR V11.B16, V11.B16, V11.B16
	VEOR V12.B16, V12.B16, V12.B16
	VEOR V13.B16, V13.B16, V13.B16
	VEOR V14.B16, V14.B16, V14.B16
	VEOR V15.B16, V15.B16, V15.B16
	CMP  $16, R11
	BLT  f16cols4

f16cols16:
	// x[j:j+16] in V16..V19; per row, 16 weights (32 bytes) widened to four
	// single vectors (rows 0 and 2 in V20..V23, rows 1 and 3 in V24..V27)
	// and V(4r+k) += w·x.
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P 32(R6), [V20.H8, V21.H8]
	VFCVTL_4S(20, 22)
	VFCVTL2_4S(20, 20)
	VFCVTL_4S(21, 23)
	VFCVTL2_4S(21, 21)
	VFMLA  V16.S4, V22.S4, V0.S4
	VFMLA  V17.S4, V20.S4, V1.S4
	VFMLA  V18.S4, V23.S4, V2.S4
	VFMLA  V19.S4, V21.S4, V3.S4
	VLD1.P 32(R7), [V24.H8, V25.H8]
	VFCVTL_4S(24, 26)
	VFCVTL2_4S(24, 24)
	VFCVTL_4S(25, 27)
	VFCVTL2_4S(25, 25)
	VFMLA  V16.S4, V26.S4, V4.S4
	VFMLA  V17.S4, V24.S4, V5.S4
	VFMLA  V18.S4, V27.S4, V6.S4
	VFMLA  V19.S4, V25.S4, V7.S4
	VLD1.P 32(R8), [V20.H8, V21.H8]
	VFCVTL_4S(20, 22)
	VFCVTL2_4S(20, 20)
	VFCVTL_4S(21, 23)
	VFCVTL2_4S(21, 21)
	VFMLA  V16.S4, V22.S4, V8.S4
	VFMLA  V17.S4, V20.S4, V9.S4
	VFMLA  V18.S4, V23.S4, V10.S4
	VFMLA  V19.S4, V21.S4, V11.S4
	VLD1.P 32(R9), [V24.H8, V25.H8]
	VFCVTL_4S(24, 26)
	VFCVTL2_4S(24, 24)
	VFCVTL_4S(25, 27)
	VFCVTL2_4S(25, 25)
	VFMLA  V16.S4, V26.S4, V12.S4
	VFMLA  V17.S4, V24.S4, V13.S4
	VFMLA  V18.S4, V27.S4, V14.S4
	VFMLA  V19.S4, V25.S4, V15.S4
	SUB    $16, R11
	CMP    $16, R11
	BGE    f16cols16

f16cols4:
	// Whole vectors: V(4r) += w[r][j:j+4]·x[j:j+4]; j += 4.
	CMP    $4, R11
	BLT    f16reduce4
	VLD1.P 16(R10), [V16.S4]
	VLD1.P 8(R6), [V20.H4]
	VLD1.P 8(R7), [V21.H4]
	VLD1.P 8(R8), [V22.H4]
	VLD1.P 8(R9), [V23.H4]
	VFCVTL_4S(20, 24)
	VFCVTL_4S(21, 25)
	VFCVTL_4S(22, 26)
	VFCVTL_4S(23, 27)
	VFMLA  V16.S4, V24.S4, V0.S4
	VFMLA  V16.S4, V25.S4, V4.S4
	VFMLA  V16.S4, V26.S4, V8.S4
	VFMLA  V16.S4, V27.S4, V12.S4
	SUB    $4, R11
	B      f16cols4

f16reduce4:
	// Per row: V(4r) = (V(4r)+V(4r+1)) + (V(4r+2)+V(4r+3)); then
	// transpose-and-add into V0 = [dst[i] .. dst[i+3]].
	VFADD_4S(1, 0, 0)
	VFADD_4S(3, 2, 2)
	VFADD_4S(2, 0, 0)
	VFADD_4S(5, 4, 4)
	VFADD_4S(7, 6, 6)
	VFADD_4S(6, 4, 4)
	VFADD_4S(9, 8, 8)
	VFADD_4S(11, 10, 10)
	VFADD_4S(10, 8, 8)
	VFADD_4S(13, 12, 12)
	VFADD_4S(15, 14, 14)
	VFADD_4S(14, 12, 12)
	VFADDP_4S(4, 0, 0)
	VFADDP_4S(12, 8, 8)
	VFADDP_4S(8, 0, 0)

	// 0..3 single columns: V28 += x[j] (broadcast) · [w0[j], w1[j], w2[j], w3[j]].
	CBZ    R11, f16store4
	VEOR   V28.B16, V28.B16, V28.B16

f16tail4:
	VLD1R.P 4(R10), [V16.S4]
	VLD1.P  2(R6), V17.H[0]
	VLD1.P  2(R7), V17.H[1]
	VLD1.P  2(R8), V17.H[2]
	VLD1.P  2(R9), V17.H[3]
	VFCVTL_4S(17, 18)
	VFMLA   V16.S4, V18.S4, V28.S4
	SUBS    $1, R11
	BNE     f16tail4
	VFADD_4S(28, 0, 0)

f16store4:
	// dst[i:i+4] = V0; the next rows start where row i+3 ended.
	VST1.P [V0.S4], 16(R0)
	MOVD   R9, R2
	SUB    $4, R1
	CMP    $4, R1
	BGE    f16rows4

f16rows1:
	// The last 0..3 rows, one at a time, four partial sums V0..V3.
	CBZ    R1, f16done

f16row1:
	MOVD   R3, R10
	MOVD   R4, R11
	VEOR   V0.B16, V0.B16, V0.B16
	VEOR   V1.B16, V1.B16, V1.B16
	VEOR   V2.B16, V2.B16, V2.B16
	VEOR   V3.B16, V3.B16, V3.B16
	CMP    $16, R11
	BLT    f16row1cols4

f16row1cols16:
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P 32(R2), [V20.H8, V21.H8]
	VFCVTL_4S(20, 22)
	VFCVTL2_4S(20, 20)
	VFCVTL_4S(21, 23)
	VFCVTL2_4S(21, 21)
	VFMLA  V16.S4, V22.S4, V0.S4
	VFMLA  V17.S4, V20.S4, V1.S4
	VFMLA  V18.S4, V23.S4, V2.S4
	VFMLA  V19.S4, V21.S4, V3.S4
	SUB    $16, R11
	CMP    $16, R11
	BGE    f16row1cols16

f16row1cols4:
	CMP    $4, R11
	BLT    f16row1reduce
	VLD1.P 16(R10), [V16.S4]
	VLD1.P 8(R2), [V20.H4]
	VFCVTL_4S(20, 22)
	VFMLA  V16.S4, V22.S4, V0.S4
	SUB    $4, R11
	B      f16row1cols4

f16row1reduce:
	// F0 = lanes of (V0+V1) + (V2+V3), pairwise.
	VFADD_4S(1, 0, 0)
	VFADD_4S(3, 2, 2)
	VFADD_4S(2, 0, 0)
	VFADDP_4S(0, 0, 0)
	FADDP_2S(0, 0)
	CBZ    R11, f16row1store

f16row1tail:
	// 0..3 single columns: F0 += w[i][j]·x[j].
	FMOVS.P 4(R10), F16
	VLD1.P  2(R2), V17.H[0]
	VFCVTL_4S(17, 17)
	FMADDS  F17, F0, F16, F0
	SUBS    $1, R11
	BNE     f16row1tail

f16row1store:
	FMOVS.P F0, 4(R0)
	SUBS    $1, R1
	BNE     f16row1

f16done:
	RET

// func gemvBF16NEON(dst []float32, w []byte, x []float32)
// Requires len(dst) >= 1, len(x) >= 1, len(w) == len(dst)*2*len(x).
TEXT ·gemvBF16NEON(SB), NOSPLIT|NOFRAME, $0-72
	MOVD dst_base+0(FP), R0
	MOVD dst_len+8(FP), R1
	MOVD w_base+24(FP), R2
	MOVD x_base+48(FP), R3
	MOVD x_len+56(FP), R4
	LSL  $1, R4, R5 // R5 = row stride in bytes = 2n
	VEOR V31.B16, V31.B16, V31.B16 // zero: the low halves of the widened singles
	CMP  $4, R1
	BLT  bf16rows1

bf16rows4:
	// Rows i..i+3: R6..R9 walk the rows, R10 walks x, R11 counts the
	// columns left. Row r's partial sums are V(4r)..V(4r+3).
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
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16
	VEOR V8.B16, V8.B16, V8.B16
	VEOR V9.B16, V9.B16, V9.B16
	VEOR V10.B16, V10.B16, V10.B16
	VEOR V11.B16, V11.B16, V11.B16
	VEOR V12.B16, V12.B16, V12.B16
	VEOR V13.B16, V13.B16, V13.B16
	VEOR V14.B16, V14.B16, V14.B16
	VEOR V15.B16, V15.B16, V15.B16
	CMP  $16, R11
	BLT  bf16cols4

bf16cols16:
	// x[j:j+16] in V16..V19; per row, 16 weights (32 bytes) widened to four
	// single vectors (rows 0 and 2 in V20..V23, rows 1 and 3 in V24..V27)
	// and V(4r+k) += w·x.
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P 32(R6), [V20.H8, V21.H8]
	VZIP1 V20.H8, V31.H8, V22.H8
	VZIP2 V20.H8, V31.H8, V20.H8
	VZIP1 V21.H8, V31.H8, V23.H8
	VZIP2 V21.H8, V31.H8, V21.H8
	VFMLA  V16.S4, V22.S4, V0.S4
	VFMLA  V17.S4, V20.S4, V1.S4
	VFMLA  V18.S4, V23.S4, V2.S4
	VFMLA  V19.S4, V21.S4, V3.S4
	VLD1.P 32(R7), [V24.H8, V25.H8]
	VZIP1 V24.H8, V31.H8, V26.H8
	VZIP2 V24.H8, V31.H8, V24.H8
	VZIP1 V25.H8, V31.H8, V27.H8
	VZIP2 V25.H8, V31.H8, V25.H8
	VFMLA  V16.S4, V26.S4, V4.S4
	VFMLA  V17.S4, V24.S4, V5.S4
	VFMLA  V18.S4, V27.S4, V6.S4
	VFMLA  V19.S4, V25.S4, V7.S4
	VLD1.P 32(R8), [V20.H8, V21.H8]
	VZIP1 V20.H8, V31.H8, V22.H8
	VZIP2 V20.H8, V31.H8, V20.H8
	VZIP1 V21.H8, V31.H8, V23.H8
	VZIP2 V21.H8, V31.H8, V21.H8
	VFMLA  V16.S4, V22.S4, V8.S4
	VFMLA  V17.S4, V20.S4, V9.S4
	VFMLA  V18.S4, V23.S4, V10.S4
	VFMLA  V19.S4, V21.S4, V11.S4
	VLD1.P 32(R9), [V24.H8, V25.H8]
	VZIP1 V24.H8, V31.H8, V26.H8
	VZIP2 V24.H8, V31.H8, V24.H8
	VZIP1 V25.H8, V31.H8, V27.H8
	VZIP2 V25.H8, V31.H8, V25.H8
	VFMLA  V16.S4, V26.S4, V12.S4
	VFMLA  V17.S4, V24.S4, V13.S4
	VFMLA  V18.S4, V27.S4, V14.S4
	VFMLA  V19.S4, V25.S4, V15.S4
	SUB    $16, R11
	CMP    $16, R11
	BGE    bf16cols16

bf16cols4:
	// Whole vectors: V(4r) += w[r][j:j+4]·x[j:j+4]; j += 4.
	CMP    $4, R11
	BLT    bf16reduce4
	VLD1.P 16(R10), [V16.S4]
	VLD1.P 8(R6), [V20.H4]
	VLD1.P 8(R7), [V21.H4]
	VLD1.P 8(R8), [V22.H4]
	VLD1.P 8(R9), [V23.H4]
	VZIP1 V20.H8, V31.H8, V24.H8
	VZIP1 V21.H8, V31.H8, V25.H8
	VZIP1 V22.H8, V31.H8, V26.H8
	VZIP1 V23.H8, V31.H8, V27.H8
	VFMLA  V16.S4, V24.S4, V0.S4
	VFMLA  V16.S4, V25.S4, V4.S4
	VFMLA  V16.S4, V26.S4, V8.S4
	VFMLA  V16.S4, V27.S4, V12.S4
	SUB    $4, R11
	B      bf16cols4

bf16reduce4:
	// Per row: V(4r) = (V(4r)+V(4r+1)) + (V(4r+2)+V(4r+3)); then
	// transpose-and-add into V0 = [dst[i] .. dst[i+3]].
	VFADD_4S(1, 0, 0)
	VFADD_4S(3, 2, 2)
	VFADD_4S(2, 0, 0)
	VFADD_4S(5, 4, 4)
	VFADD_4S(7, 6, 6)
	VFADD_4S(6, 4, 4)
	VFADD_4S(9, 8, 8)
	VFADD_4S(11, 10, 10)
	VFADD_4S(10, 8, 8)
	VFADD_4S(13, 12, 12)
	VFADD_4S(15, 14, 14)
	VFADD_4S(14, 12, 12)
	VFADDP_4S(4, 0, 0)
	VFADDP_4S(12, 8, 8)
	VFADDP_4S(8, 0, 0)

	// 0..3 single columns: V28 += x[j] (broadcast) · [w0[j], w1[j], w2[j], w3[j]].
	CBZ    R11, bf16store4
	VEOR   V28.B16, V28.B16, V28.B16
	VEOR   V17.B16, V17.B16, V17.B16

bf16tail4:
	VLD1R.P 4(R10), [V16.S4]
	// Each bfloat16 into the high half of a zeroed single lane.
	VLD1.P  2(R6), V17.H[1]
	VLD1.P  2(R7), V17.H[3]
	VLD1.P  2(R8), V17.H[5]
	VLD1.P  2(R9), V17.H[7]
	VFMLA   V16.S4, V17.S4, V28.S4
	SUBS    $1, R11
	BNE     bf16tail4
	VFADD_4S(28, 0, 0)

bf16store4:
	// dst[i:i+4] = V0; the next rows start where row i+3 ended.
	VST1.P [V0.S4], 16(R0)
	MOVD   R9, R2
	SUB    $4, R1
	CMP    $4, R1
	BGE    bf16rows4

bf16rows1:
	// The last 0..3 rows, one at a time, four partial sums V0..V3.
	CBZ    R1, bf16done

bf16row1:
	MOVD   R3, R10
	MOVD   R4, R11
	VEOR   V0.B16, V0.B16, V0.B16
	VEOR   V1.B16, V1.B16, V1.B16
	VEOR   V2.B16, V2.B16, V2.B16
	VEOR   V3.B16, V3.B16, V3.B16
	CMP    $16, R11
	BLT    bf16row1cols4

bf16row1cols16:
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P 32(R2), [V20.H8, V21.H8]
	VZIP1 V20.H8, V31.H8, V22.H8
	VZIP2 V20.H8, V31.H8, V20.H8
	VZIP1 V21.H8, V31.H8, V23.H8
	VZIP2 V21.H8, V31.H8, V21.H8
	VFMLA  V16.S4, V22.S4, V0.S4
	VFMLA  V17.S4, V20.S4, V1.S4
	VFMLA  V18.S4, V23.S4, V2.S4
	VFMLA  V19.S4, V21.S4, V3.S4
	SUB    $16, R11
	CMP    $16, R11
	BGE    bf16row1cols16

bf16row1cols4:
	CMP    $4, R11
	BLT    bf16row1reduce
	VLD1.P 16(R10), [V16.S4]
	VLD1.P 8(R2), [V20.H4]
	VZIP1 V20.H8, V31.H8, V22.H8
	VFMLA  V16.S4, V22.S4, V0.S4
	SUB    $4, R11
	B      bf16row1cols4

bf16row1reduce:
	// F0 = lanes of (V0+V1) + (V2+V3), pairwise.
	VFADD_4S(1, 0, 0)
	VFADD_4S(3, 2, 2)
	VFADD_4S(2, 0, 0)
	VFADDP_4S(0, 0, 0)
	FADDP_2S(0, 0)
	CBZ    R11, bf16row1store
	VEOR   V17.B16, V17.B16, V17.B16

bf16row1tail:
	// 0..3 single columns: F0 += w[i][j]·x[j].
	FMOVS.P 4(R10), F16
	VLD1.P  2(R2), V17.H[1]
	FMADDS  F17, F0, F16, F0
	SUBS    $1, R11
	BNE     bf16row1tail

bf16row1store:
	FMOVS.P F0, 4(R0)
	SUBS    $1, R1
	BNE     bf16row1

bf16done:
	RET
