//go:build !purego

// NEON kernels for Dot, Sum and Gemv. Hand-written: the float instructions the
// Go assembler lacks are WORD macros from neon_arm64.h (checked by
// .ci/neon_words.sh).
//
// Shape of every kernel: a main loop over 32 (dot, sum) or 16 (gemv) floats
// with one accumulator per 4-lane vector, so that enough independent chains
// hide the FMA latency (4 cycles with 2 pipes on Cortex-A76/Neoverse N1:
// 8 chains to keep both busy; gemv has 16); then at most one half-size
// block, then whole 4-lane vectors, then 0..3 single elements. Nothing
// outside the slices is touched: every load is a whole vector only while at
// least 4 elements remain, and single elements after that.
//
// Register use: R0-R11 general, V0-V15 accumulators, V16-V31 loaded data.
// All of them are scratch in Go's ABI0.

#include "textflag.h"
#include "neon_arm64.h"

// func dotNEON(a, b []float32) float32
// Requires len(b) >= len(a) > 0.
TEXT ·dotNEON(SB), NOSPLIT|NOFRAME, $0-52
	MOVD a_base+0(FP), R0
	MOVD a_len+8(FP), R2
	MOVD b_base+24(FP), R1

	// s0..s7 = 0 (V0..V7): eight partial-sum vectors, 32 lanes in all.
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16

	CMP $32, R2
	BLT dot16

dot32:
	// s_k += a[i+4k : i+4k+4] * b[i+4k : i+4k+4] for k = 0..7; i += 32.
	VLD1.P 64(R0), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P 64(R1), [V24.S4, V25.S4, V26.S4, V27.S4]
	VLD1.P 64(R0), [V20.S4, V21.S4, V22.S4, V23.S4]
	VLD1.P 64(R1), [V28.S4, V29.S4, V30.S4, V31.S4]
	VFMLA V16.S4, V24.S4, V0.S4
	VFMLA V17.S4, V25.S4, V1.S4
	VFMLA V18.S4, V26.S4, V2.S4
	VFMLA V19.S4, V27.S4, V3.S4
	VFMLA V20.S4, V28.S4, V4.S4
	VFMLA V21.S4, V29.S4, V5.S4
	VFMLA V22.S4, V30.S4, V6.S4
	VFMLA V23.S4, V31.S4, V7.S4
	SUB $32, R2
	CMP $32, R2
	BGE dot32

dot16:
	// Fewer than 32 left: one block of 16 if there is one, s0..s3 += a·b.
	CMP $16, R2
	BLT dot4
	VLD1.P 64(R0), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P 64(R1), [V24.S4, V25.S4, V26.S4, V27.S4]
	VFMLA V16.S4, V24.S4, V0.S4
	VFMLA V17.S4, V25.S4, V1.S4
	VFMLA V18.S4, V26.S4, V2.S4
	VFMLA V19.S4, V27.S4, V3.S4
	SUB $16, R2

dot4:
	// Fewer than 16 left: whole vectors, s0 += a[i:i+4]·b[i:i+4].
	CMP $4, R2
	BLT dotreduce
	VLD1.P 16(R0), [V16.S4]
	VLD1.P 16(R1), [V24.S4]
	VFMLA V16.S4, V24.S4, V0.S4
	SUB $4, R2
	B dot4

dotreduce:
	// s0 = ((s0+s1) + (s2+s3)) + ((s4+s5) + (s6+s7)), then the four lanes:
	// F0 = (l0+l1) + (l2+l3).
	VFADD_4S(1, 0, 0)
	VFADD_4S(3, 2, 2)
	VFADD_4S(5, 4, 4)
	VFADD_4S(7, 6, 6)
	VFADD_4S(2, 0, 0)
	VFADD_4S(6, 4, 4)
	VFADD_4S(4, 0, 0)
	VFADDP_4S(0, 0, 0)
	FADDP_2S(0, 0)

	// 0..3 single elements: F0 += a[i]*b[i]. Scalar writes clear the upper
	// lanes of V0, which is why this comes after the reduction.
	CBZ R2, dotdone

dottail:
	FMOVS.P 4(R0), F16
	FMOVS.P 4(R1), F17
	FMADDS F17, F0, F16, F0
	SUBS $1, R2
	BNE dottail

dotdone:
	FMOVS F0, ret+48(FP)
	RET

// func sumNEON(x []float32) float32
// Requires len(x) > 0.
TEXT ·sumNEON(SB), NOSPLIT|NOFRAME, $0-28
	MOVD x_base+0(FP), R0
	MOVD x_len+8(FP), R2

	// s0..s7 = 0 (V0..V7).
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	VEOR V4.B16, V4.B16, V4.B16
	VEOR V5.B16, V5.B16, V5.B16
	VEOR V6.B16, V6.B16, V6.B16
	VEOR V7.B16, V7.B16, V7.B16

	CMP $32, R2
	BLT sum16

sum32:
	// s_k += x[i+4k : i+4k+4] for k = 0..7; i += 32.
	VLD1.P 64(R0), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P 64(R0), [V20.S4, V21.S4, V22.S4, V23.S4]
	VFADD_4S(16, 0, 0)
	VFADD_4S(17, 1, 1)
	VFADD_4S(18, 2, 2)
	VFADD_4S(19, 3, 3)
	VFADD_4S(20, 4, 4)
	VFADD_4S(21, 5, 5)
	VFADD_4S(22, 6, 6)
	VFADD_4S(23, 7, 7)
	SUB $32, R2
	CMP $32, R2
	BGE sum32

sum16:
	// One block of 16 if there is one: s0..s3 += x.
	CMP $16, R2
	BLT sum4
	VLD1.P 64(R0), [V16.S4, V17.S4, V18.S4, V19.S4]
	VFADD_4S(16, 0, 0)
	VFADD_4S(17, 1, 1)
	VFADD_4S(18, 2, 2)
	VFADD_4S(19, 3, 3)
	SUB $16, R2

sum4:
	// Whole vectors: s0 += x[i:i+4].
	CMP $4, R2
	BLT sumreduce
	VLD1.P 16(R0), [V16.S4]
	VFADD_4S(16, 0, 0)
	SUB $4, R2
	B sum4

sumreduce:
	// F0 = lanes of ((s0+s1) + (s2+s3)) + ((s4+s5) + (s6+s7)), pairwise.
	VFADD_4S(1, 0, 0)
	VFADD_4S(3, 2, 2)
	VFADD_4S(5, 4, 4)
	VFADD_4S(7, 6, 6)
	VFADD_4S(2, 0, 0)
	VFADD_4S(6, 4, 4)
	VFADD_4S(4, 0, 0)
	VFADDP_4S(0, 0, 0)
	FADDP_2S(0, 0)

	// 0..3 single elements: F0 += x[i].
	CBZ R2, sumdone

sumtail:
	FMOVS.P 4(R0), F16
	FADDS F16, F0
	SUBS $1, R2
	BNE sumtail

sumdone:
	FMOVS F0, ret+24(FP)
	RET

// func gemvNEON(dst, w, x []float32)
// Requires len(w) == len(dst)*len(x) > 0.
//
// dst[i] = Σ_j w[i*n+j]·x[j]. Rows go four at a time: one pass over x feeds
// four rows, so every x vector loaded serves four FMAs and W, the only
// operand that comes from DRAM for vocabulary-sized heads, is streamed
// exactly once in address order (four sequential streams).
TEXT ·gemvNEON(SB), NOSPLIT|NOFRAME, $0-72
	MOVD dst_base+0(FP), R0
	MOVD dst_len+8(FP), R1
	MOVD w_base+24(FP), R2
	MOVD x_base+48(FP), R3
	MOVD x_len+56(FP), R4
	LSL  $2, R4, R5 // R5 = row stride in bytes = 4n

	CMP $4, R1
	BLT rows1

rows4:
	// One block of rows i..i+3: R6..R9 walk the rows, R10 walks x, R11
	// counts the columns left. Row r's partial sums are V(4r)..V(4r+3).
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

	CMP $16, R11
	BLT cols4

cols16:
	// x16 = x[j:j+16] (V16..V19); for each row r:
	// V(4r+k) += w[r][j+4k : j+4k+4] · x[j+4k : j+4k+4], k = 0..3; j += 16.
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P 64(R6), [V20.S4, V21.S4, V22.S4, V23.S4]
	VLD1.P 64(R7), [V24.S4, V25.S4, V26.S4, V27.S4]
	VFMLA V16.S4, V20.S4, V0.S4
	VFMLA V17.S4, V21.S4, V1.S4
	VFMLA V18.S4, V22.S4, V2.S4
	VFMLA V19.S4, V23.S4, V3.S4
	VLD1.P 64(R8), [V20.S4, V21.S4, V22.S4, V23.S4]
	VFMLA V16.S4, V24.S4, V4.S4
	VFMLA V17.S4, V25.S4, V5.S4
	VFMLA V18.S4, V26.S4, V6.S4
	VFMLA V19.S4, V27.S4, V7.S4
	VLD1.P 64(R9), [V24.S4, V25.S4, V26.S4, V27.S4]
	VFMLA V16.S4, V20.S4, V8.S4
	VFMLA V17.S4, V21.S4, V9.S4
	VFMLA V18.S4, V22.S4, V10.S4
	VFMLA V19.S4, V23.S4, V11.S4
	VFMLA V16.S4, V24.S4, V12.S4
	VFMLA V17.S4, V25.S4, V13.S4
	VFMLA V18.S4, V26.S4, V14.S4
	VFMLA V19.S4, V27.S4, V15.S4
	SUB $16, R11
	CMP $16, R11
	BGE cols16

cols4:
	// Whole vectors: V(4r) += w[r][j:j+4] · x[j:j+4]; j += 4.
	CMP $4, R11
	BLT reduce4
	VLD1.P 16(R10), [V16.S4]
	VLD1.P 16(R6), [V20.S4]
	VLD1.P 16(R7), [V21.S4]
	VLD1.P 16(R8), [V22.S4]
	VLD1.P 16(R9), [V23.S4]
	VFMLA V16.S4, V20.S4, V0.S4
	VFMLA V16.S4, V21.S4, V4.S4
	VFMLA V16.S4, V22.S4, V8.S4
	VFMLA V16.S4, V23.S4, V12.S4
	SUB $4, R11
	B cols4

reduce4:
	// Per row: V(4r) = (V(4r)+V(4r+1)) + (V(4r+2)+V(4r+3)).
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

	// Transpose-and-add the four row vectors into V0 = [dst[i] .. dst[i+3]]:
	// V0 = [r0 l0+l1, r0 l2+l3, r1 l0+l1, r1 l2+l3], V8 likewise for rows
	// 2 and 3, then V0 = [r0, r1, r2, r3].
	VFADDP_4S(4, 0, 0)
	VFADDP_4S(12, 8, 8)
	VFADDP_4S(8, 0, 0)

	// 0..3 single columns: V28 = Σ_j x[j]·[w0[j], w1[j], w2[j], w3[j]],
	// x[j] broadcast to all lanes, the four w's gathered one lane each.
	CBZ R11, store4
	VEOR V28.B16, V28.B16, V28.B16

tail4:
	VLD1R.P 4(R10), [V16.S4]
	VLD1.P  4(R6), V17.S[0]
	VLD1.P  4(R7), V17.S[1]
	VLD1.P  4(R8), V17.S[2]
	VLD1.P  4(R9), V17.S[3]
	VFMLA   V16.S4, V17.S4, V28.S4
	SUBS    $1, R11
	BNE     tail4
	VFADD_4S(28, 0, 0)

store4:
	// dst[i:i+4] = V0; the next block starts where row i+3 ended.
	VST1.P [V0.S4], 16(R0)
	MOVD   R9, R2
	SUB    $4, R1
	CMP    $4, R1
	BGE    rows4

rows1:
	// The last 0..3 rows, one at a time: dst[i] = dot(w[i], x) with four
	// accumulators V0..V3.
	CBZ R1, done

row1:
	MOVD R3, R10
	MOVD R4, R11
	VEOR V0.B16, V0.B16, V0.B16
	VEOR V1.B16, V1.B16, V1.B16
	VEOR V2.B16, V2.B16, V2.B16
	VEOR V3.B16, V3.B16, V3.B16
	CMP  $16, R11
	BLT  row1cols4

row1cols16:
	// V_k += w[i][j+4k : j+4k+4] · x[j+4k : j+4k+4], k = 0..3; j += 16.
	VLD1.P 64(R10), [V16.S4, V17.S4, V18.S4, V19.S4]
	VLD1.P 64(R2), [V20.S4, V21.S4, V22.S4, V23.S4]
	VFMLA  V16.S4, V20.S4, V0.S4
	VFMLA  V17.S4, V21.S4, V1.S4
	VFMLA  V18.S4, V22.S4, V2.S4
	VFMLA  V19.S4, V23.S4, V3.S4
	SUB    $16, R11
	CMP    $16, R11
	BGE    row1cols16

row1cols4:
	// Whole vectors: V0 += w[i][j:j+4] · x[j:j+4].
	CMP    $4, R11
	BLT    row1reduce
	VLD1.P 16(R10), [V16.S4]
	VLD1.P 16(R2), [V20.S4]
	VFMLA  V16.S4, V20.S4, V0.S4
	SUB    $4, R11
	B      row1cols4

row1reduce:
	// F0 = lanes of (V0+V1) + (V2+V3), pairwise.
	VFADD_4S(1, 0, 0)
	VFADD_4S(3, 2, 2)
	VFADD_4S(2, 0, 0)
	VFADDP_4S(0, 0, 0)
	FADDP_2S(0, 0)
	CBZ R11, row1store

row1tail:
	// 0..3 single columns: F0 += w[i][j]·x[j].
	FMOVS.P 4(R10), F16
	FMOVS.P 4(R2), F17
	FMADDS  F17, F0, F16, F0
	SUBS    $1, R11
	BNE     row1tail

row1store:
	// dst[i] = F0; R2 already points at row i+1.
	FMOVS.P F0, 4(R0)
	SUBS    $1, R1
	BNE     row1

done:
	RET
