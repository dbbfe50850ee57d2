//go:build !purego

// NEON kernels of the softmax family (kernels_softmax.go states what each
// computes; kernels_softmax_generic.go has the pure-Go twins). Float
// instructions the Go assembler lacks are WORD macros from neon_arm64.h,
// checked by .ci/neon_words.sh.
//
// The exponential is the twins' exp32, lane for lane: XNNPACK's rr2_p5.
// For z in [expMin, expMax]:
//
//	n = round(z·log2e)                       magic-bias FMA
//	t = z - n·ln2_hi - n·ln2_lo              two fused steps (Cody-Waite)
//	q = 1 + t·(c1 + t·(c2 + t·(c3 + t·(c4 + t·c5))))   ≈ e^t, Horner
//	e^z = q·2ⁿ                               integer add of n<<23 to q's bits
//
// The integer add is exact because every such result is a normal float32:
// expMin = -87.33654 lies just above ln 2⁻¹²⁶, so n = -126 comes with t > 0
// and q > 1, and expMax = 88.72283 lies below 128·ln2, so n = 128 comes with
// t < 0 and q < 1. Outside the range two selects finish the job: +0 below
// expMin (and for -Inf), z + Inf (= +Inf, or NaN for NaN) above expMax.
// Every step rounds as the twin's does, so the results agree bit for bit
// except where the twin's float64-then-float32 double rounding differs from
// a true FMA (about once in 2²⁹ operations; none showed up in a comparison
// of 10⁸ inputs spread over all of float32 and dense at the range ends).
//
// Loops take 8 floats (two vectors, interleaved so that in-order cores have
// two independent chains). The last 1..7 elements are copied to an 8-float
// stack buffer, run through the same loop body once (R12 != 0 marks that
// pass), and copied back: no load or store ever leaves x or dst, and dst
// may be x itself because each pass loads before it stores.
//
// Registers shared by the exp kernels:
//	V19 +Inf, V20 1.5·2²³, V21 log2e, V22 ln2_hi, V23 ln2_lo,
//	V24..V28 c5..c1, V29 1.0, V30 expMin, V31 expMax  (EXP_CONSTS)
//	V0..V3 float64 sums, V4..V6 per-kernel values (s, -c, mul; MaxSum:
//	s, m, -r)
//	V7, V8 x; the exp of two vectors interleaved: z in V9, V10, then
//	v V11, V12, e V13, V14, t V15, V16, p V17, V18 (the results).

#include "textflag.h"
#include "neon_arm64.h"

// The float32 bit patterns of the exp constants (kernels_softmax_generic.go
// derives them; XNNPACK f32-raddstoreexpminusmax avx2-p5).
#define EXP_INF    0x7F800000 // +Inf
#define EXP_MAGIC  0x4B400000 // 1.5·2²³ = 12582912
#define EXP_LOG2E  0x3FB8AA3B // 0x1.715476p+0
#define EXP_LN2HI  0x3F317218 // 0x1.62E43p-1
#define EXP_LN2LO  0xB102E308 // -0x1.05C61p-29
#define EXP_C5     0x3C07CFCE // 0x1.0F9F9Cp-7
#define EXP_C4     0x3D2B9D0D // 0x1.573A1Ap-5
#define EXP_C3     0x3E2AAD40 // 0x1.555A80p-3
#define EXP_C2     0x3EFFFEE3 // 0x1.FFFDC6p-2
#define EXP_C1     0x3F7FFFFB // 0x1.FFFFF6p-1
#define EXP_ONE    0x3F800000 // 1.0
#define EXP_MIN    0xC2AEAC4F // -87.33654 (float32 -87.33654022...)
#define EXP_MAX    0x42B17217 // 88.72283 (float32 88.72283172...)
#define NEG_MAXF32 0xFF7FFFFF // -MaxFloat32
#define MAXF32     0x7F7FFFFF // MaxFloat32
#define NEG_INF    0xFF800000 // -Inf

// EXP_CONSTS broadcasts the exp constants into V19..V31 (clobbers R9).
#define EXP_CONSTS \
	MOVW $EXP_INF, R9;   VDUP R9, V19.S4; \
	MOVW $EXP_MAGIC, R9; VDUP R9, V20.S4; \
	MOVW $EXP_LOG2E, R9; VDUP R9, V21.S4; \
	MOVW $EXP_LN2HI, R9; VDUP R9, V22.S4; \
	MOVW $EXP_LN2LO, R9; VDUP R9, V23.S4; \
	MOVW $EXP_C5, R9;    VDUP R9, V24.S4; \
	MOVW $EXP_C4, R9;    VDUP R9, V25.S4; \
	MOVW $EXP_C3, R9;    VDUP R9, V26.S4; \
	MOVW $EXP_C2, R9;    VDUP R9, V27.S4; \
	MOVW $EXP_C1, R9;    VDUP R9, V28.S4; \
	MOVW $EXP_ONE, R9;   VDUP R9, V29.S4; \
	MOVW $EXP_MIN, R9;   VDUP R9, V30.S4; \
	MOVW $EXP_MAX, R9;   VDUP R9, V31.S4

// TAIL_IN copies the last R2 (1..7) floats of x (R0) to the stack buffer
// and points R0 and R1 at it; the real dst is kept in R13 (clobbers R3,
// R10, R11, F16). TAIL_OUT copies R2 results back from the buffer to R13.
#define TAIL_IN \
	MOVD R1, R13;            \
	MOVD $buf-32(SP), R10;   \
	MOVD R10, R11;           \
	MOVD R2, R3;             \
tailin:                          \
	FMOVS.P 4(R0), F16;      \
	FMOVS.P F16, 4(R11);     \
	SUBS $1, R3;             \
	BNE  tailin;             \
	MOVD R10, R0;            \
	MOVD R10, R1;            \
	MOVD $1, R12

#define TAIL_OUT \
	MOVD $buf-32(SP), R10;   \
tailout:                         \
	FMOVS.P 4(R10), F16;     \
	FMOVS.P F16, 4(R13);     \
	SUBS $1, R2;             \
	BNE  tailout

// func expNEON(dst, x []float32)
// Requires len(dst) == len(x) > 0. dst[i] = e^x[i].
TEXT ·expNEON(SB), NOSPLIT, $32-48
	MOVD dst_base+0(FP), R1
	MOVD x_base+24(FP), R0
	MOVD x_len+32(FP), R2
	EXP_CONSTS
	MOVD $0, R12

exploop:
	CMP $8, R2
	BLT exptail

expbody:
	// z = x[i:i+8] (V9, V10).
	VLD1.P 32(R0), [V9.S4, V10.S4]
	// n = round(z·log2e): z·log2e + 1.5·2²³ rounded once to float32 leaves n
	// in the low mantissa bits (ties to even; |n| <= 128 for every z that is not
	// replaced at the end).
	VMOV  V20.B16, V11.B16
	VMOV  V20.B16, V12.B16
	VFMLA V21.S4, V9.S4, V11.S4
	VFMLA V21.S4, V10.S4, V12.S4
	// e = n<<23 as int32, the exponent-field increment of 2ⁿ; the bits of
	// 1.5·2²³ itself all shift out.
	VSHL  $23, V11.S4, V13.S4
	VSHL  $23, V12.S4, V14.S4
	// v = n as a float, exactly.
	VFSUB_4S(20, 11, 11)
	VFSUB_4S(20, 12, 12)
	// t = z - n·ln2_hi - n·ln2_lo, each step one rounding (fused), so that
	// t = z - n·ln2 to about 2⁻⁴⁸ and |t| <= ln2/2 (a little more at ties).
	VMOV  V9.B16, V15.B16
	VMOV  V10.B16, V16.B16
	VFMLS V22.S4, V11.S4, V15.S4
	VFMLS V22.S4, V12.S4, V16.S4
	VFMLS V23.S4, V11.S4, V15.S4
	VFMLS V23.S4, V12.S4, V16.S4
	// Horner: q = 1 + t·(c1 + t·(c2 + t·(c3 + t·(c4 + t·c5)))) ≈ e^t, one
	// rounding per step, alternating between p and v.
	VMOV  V25.B16, V17.B16
	VMOV  V25.B16, V18.B16
	VFMLA V24.S4, V15.S4, V17.S4
	VFMLA V24.S4, V16.S4, V18.S4
	VMOV  V26.B16, V11.B16
	VMOV  V26.B16, V12.B16
	VFMLA V17.S4, V15.S4, V11.S4
	VFMLA V18.S4, V16.S4, V12.S4
	VMOV  V27.B16, V17.B16
	VMOV  V27.B16, V18.B16
	VFMLA V11.S4, V15.S4, V17.S4
	VFMLA V12.S4, V16.S4, V18.S4
	VMOV  V28.B16, V11.B16
	VMOV  V28.B16, V12.B16
	VFMLA V17.S4, V15.S4, V11.S4
	VFMLA V18.S4, V16.S4, V12.S4
	VMOV  V29.B16, V17.B16
	VMOV  V29.B16, V18.B16
	VFMLA V11.S4, V15.S4, V17.S4
	VFMLA V12.S4, V16.S4, V18.S4
	// p = q·2ⁿ by adding n to q's exponent field. Exact: for z in
	// [expMin, expMax] the result is a normal float32 (q < 1 when n = 128, q > 1
	// when n = -126).
	VADD  V13.S4, V17.S4, V17.S4
	VADD  V14.S4, V18.S4, V18.S4
	// p = +0 where !(z >= expMin): z < expMin, -Inf, and (for now) NaN.
	VFCMGE_4S(30, 9, 15)
	VFCMGE_4S(30, 10, 16)
	VAND  V15.B16, V17.B16, V17.B16
	VAND  V16.B16, V18.B16, V18.B16
	// Where !(z <= expMax), i.e. z > expMax, +Inf or NaN: p = z + Inf, which is
	// +Inf, or NaN for NaN.
	VFCMGE_4S(9, 31, 15)
	VFCMGE_4S(10, 31, 16)
	VFADD_4S(19, 9, 11)
	VFADD_4S(19, 10, 12)
	VBIF  V15.B16, V11.B16, V17.B16
	VBIF  V16.B16, V12.B16, V18.B16
	// dst[i:i+8] = e^z.
	VST1.P [V17.S4, V18.S4], 32(R1)
	CBNZ   R12, expout
	SUB    $8, R2
	B      exploop

exptail:
	CBZ R2, expdone
	TAIL_IN
	B   expbody

expout:
	TAIL_OUT

expdone:
	RET

// func expMulNEON(dst, x []float32, s, c, mul float32)
// Requires len(dst) == len(x) > 0. dst[i] = e^(s·x[i] - c)·mul.
TEXT ·expMulNEON(SB), NOSPLIT, $32-60
	MOVD  dst_base+0(FP), R1
	MOVD  x_base+24(FP), R0
	MOVD  x_len+32(FP), R2
	FMOVS s+48(FP), F4
	FMOVS c+52(FP), F5
	FMOVS mul+56(FP), F6
	FNEGS F5, F5
	VDUP  V4.S[0], V4.S4 // s
	VDUP  V5.S[0], V5.S4 // -c
	VDUP  V6.S[0], V6.S4 // mul
	EXP_CONSTS
	MOVD  $0, R12

emloop:
	CMP $8, R2
	BLT emtail

embody:
	// z = s·x[i:i+8] - c, one rounding.
	VLD1.P 32(R0), [V7.S4, V8.S4]
	VMOV   V5.B16, V9.B16
	VMOV   V5.B16, V10.B16
	VFMLA  V4.S4, V7.S4, V9.S4
	VFMLA  V4.S4, V8.S4, V10.S4
	// n = round(z·log2e) by the 1.5·2²³ magic bias
	VMOV  V20.B16, V11.B16
	VMOV  V20.B16, V12.B16
	VFMLA V21.S4, V9.S4, V11.S4
	VFMLA V21.S4, V10.S4, V12.S4
	// e = n<<23, the exponent increment of 2ⁿ
	VSHL  $23, V11.S4, V13.S4
	VSHL  $23, V12.S4, V14.S4
	// v = n as a float
	VFSUB_4S(20, 11, 11)
	VFSUB_4S(20, 12, 12)
	// t = z - n·ln2_hi - n·ln2_lo
	// t = z - n·ln2_hi - n·ln2_lo
	VMOV  V9.B16, V15.B16
	VMOV  V10.B16, V16.B16
	VFMLS V22.S4, V11.S4, V15.S4
	VFMLS V22.S4, V12.S4, V16.S4
	VFMLS V23.S4, V11.S4, V15.S4
	VFMLS V23.S4, V12.S4, V16.S4
	// q = 1 + t·(c1 + t·(c2 + t·(c3 + t·(c4 + t·c5)))) ≈ e^t (Horner)
	VMOV  V25.B16, V17.B16
	VMOV  V25.B16, V18.B16
	VFMLA V24.S4, V15.S4, V17.S4
	VFMLA V24.S4, V16.S4, V18.S4
	VMOV  V26.B16, V11.B16
	VMOV  V26.B16, V12.B16
	VFMLA V17.S4, V15.S4, V11.S4
	VFMLA V18.S4, V16.S4, V12.S4
	VMOV  V27.B16, V17.B16
	VMOV  V27.B16, V18.B16
	VFMLA V11.S4, V15.S4, V17.S4
	VFMLA V12.S4, V16.S4, V18.S4
	VMOV  V28.B16, V11.B16
	VMOV  V28.B16, V12.B16
	VFMLA V17.S4, V15.S4, V11.S4
	VFMLA V18.S4, V16.S4, V12.S4
	VMOV  V29.B16, V17.B16
	VMOV  V29.B16, V18.B16
	VFMLA V11.S4, V15.S4, V17.S4
	VFMLA V12.S4, V16.S4, V18.S4
	// p = q·2ⁿ via the exponent field
	VADD  V13.S4, V17.S4, V17.S4
	VADD  V14.S4, V18.S4, V18.S4
	// p = +0 where z < expMin, -Inf or NaN
	VFCMGE_4S(30, 9, 15)
	VFCMGE_4S(30, 10, 16)
	VAND  V15.B16, V17.B16, V17.B16
	VAND  V16.B16, V18.B16, V18.B16
	// p = z + Inf (+Inf or NaN) where z > expMax, +Inf or NaN
	VFCMGE_4S(9, 31, 15)
	VFCMGE_4S(10, 31, 16)
	VFADD_4S(19, 9, 11)
	VFADD_4S(19, 10, 12)
	VBIF  V15.B16, V11.B16, V17.B16
	VBIF  V16.B16, V12.B16, V18.B16
	// dst[i:i+8] = e^z·mul.
	VFMUL_4S(6, 17, 17)
	VFMUL_4S(6, 18, 18)
	VST1.P [V17.S4, V18.S4], 32(R1)
	CBNZ   R12, emout
	SUB    $8, R2
	B      emloop

emtail:
	CBZ R2, emdone
	TAIL_IN
	B   embody

emout:
	TAIL_OUT

emdone:
	RET

// func scaleExpSumNEON(dst, x []float32, s, c float32) float64
// Requires len(dst) == len(x) > 0. dst[i] = e^(s·x[i] - c); returns Σ dst[i]
// accumulated in float64: every term is widened exactly (FCVTL) and added
// into four 2-lane float64 sums, so the sum's relative error is about
// n·2⁻⁵³ and nothing needs flushing.
TEXT ·scaleExpSumNEON(SB), NOSPLIT, $32-64
	MOVD  dst_base+0(FP), R1
	MOVD  x_base+24(FP), R0
	MOVD  x_len+32(FP), R2
	FMOVS s+48(FP), F4
	FMOVS c+52(FP), F5
	FNEGS F5, F5
	VDUP  V4.S[0], V4.S4 // s
	VDUP  V5.S[0], V5.S4 // -c
	EXP_CONSTS
	VEOR  V0.B16, V0.B16, V0.B16
	VEOR  V1.B16, V1.B16, V1.B16
	VEOR  V2.B16, V2.B16, V2.B16
	VEOR  V3.B16, V3.B16, V3.B16
	MOVD  $0, R12

sesloop:
	CMP $8, R2
	BLT sesreduce

sesbody:
	// z = s·x[i:i+8] - c, one rounding.
	VLD1.P 32(R0), [V7.S4, V8.S4]
	VMOV   V5.B16, V9.B16
	VMOV   V5.B16, V10.B16
	VFMLA  V4.S4, V7.S4, V9.S4
	VFMLA  V4.S4, V8.S4, V10.S4
	// n = round(z·log2e) by the 1.5·2²³ magic bias
	VMOV  V20.B16, V11.B16
	VMOV  V20.B16, V12.B16
	VFMLA V21.S4, V9.S4, V11.S4
	VFMLA V21.S4, V10.S4, V12.S4
	// e = n<<23, the exponent increment of 2ⁿ
	VSHL  $23, V11.S4, V13.S4
	VSHL  $23, V12.S4, V14.S4
	// v = n as a float
	VFSUB_4S(20, 11, 11)
	VFSUB_4S(20, 12, 12)
	// t = z - n·ln2_hi - n·ln2_lo
	// t = z - n·ln2_hi - n·ln2_lo
	VMOV  V9.B16, V15.B16
	VMOV  V10.B16, V16.B16
	VFMLS V22.S4, V11.S4, V15.S4
	VFMLS V22.S4, V12.S4, V16.S4
	VFMLS V23.S4, V11.S4, V15.S4
	VFMLS V23.S4, V12.S4, V16.S4
	// q = 1 + t·(c1 + t·(c2 + t·(c3 + t·(c4 + t·c5)))) ≈ e^t (Horner)
	VMOV  V25.B16, V17.B16
	VMOV  V25.B16, V18.B16
	VFMLA V24.S4, V15.S4, V17.S4
	VFMLA V24.S4, V16.S4, V18.S4
	VMOV  V26.B16, V11.B16
	VMOV  V26.B16, V12.B16
	VFMLA V17.S4, V15.S4, V11.S4
	VFMLA V18.S4, V16.S4, V12.S4
	VMOV  V27.B16, V17.B16
	VMOV  V27.B16, V18.B16
	VFMLA V11.S4, V15.S4, V17.S4
	VFMLA V12.S4, V16.S4, V18.S4
	VMOV  V28.B16, V11.B16
	VMOV  V28.B16, V12.B16
	VFMLA V17.S4, V15.S4, V11.S4
	VFMLA V18.S4, V16.S4, V12.S4
	VMOV  V29.B16, V17.B16
	VMOV  V29.B16, V18.B16
	VFMLA V11.S4, V15.S4, V17.S4
	VFMLA V12.S4, V16.S4, V18.S4
	// p = q·2ⁿ via the exponent field
	VADD  V13.S4, V17.S4, V17.S4
	VADD  V14.S4, V18.S4, V18.S4
	// p = +0 where z < expMin, -Inf or NaN
	VFCMGE_4S(30, 9, 15)
	VFCMGE_4S(30, 10, 16)
	VAND  V15.B16, V17.B16, V17.B16
	VAND  V16.B16, V18.B16, V18.B16
	// p = z + Inf (+Inf or NaN) where z > expMax, +Inf or NaN
	VFCMGE_4S(9, 31, 15)
	VFCMGE_4S(10, 31, 16)
	VFADD_4S(19, 9, 11)
	VFADD_4S(19, 10, 12)
	VBIF  V15.B16, V11.B16, V17.B16
	VBIF  V16.B16, V12.B16, V18.B16
	// dst[i:i+8] = e^z.
	VST1.P [V17.S4, V18.S4], 32(R1)
	CBNZ   R12, sesout

	// S0..S3 += float64 of lanes 0-1 and 2-3 of each result vector.
	VFCVTL_2D(17, 9)
	VFCVTL2_2D(17, 10)
	VFCVTL_2D(18, 11)
	VFCVTL2_2D(18, 12)
	VFADD_2D(9, 0, 0)
	VFADD_2D(10, 1, 1)
	VFADD_2D(11, 2, 2)
	VFADD_2D(12, 3, 3)
	SUB $8, R2
	B   sesloop

sesreduce:
	// D0 = (S0+S1) + (S2+S3), then its two lanes.
	VFADD_2D(1, 0, 0)
	VFADD_2D(3, 2, 2)
	VFADD_2D(2, 0, 0)
	FADDP_2D(0, 0)
	CBZ R2, sesdone

	// The last 1..7 through the buffer; the loop body stores their exps
	// to it without adding them up (R12 != 0), and the copy back adds each
	// to D0.
	TAIL_IN
	B sesbody

sesout:
	MOVD $buf-32(SP), R10

sestail:
	FMOVS.P 4(R10), F16
	FMOVS.P F16, 4(R13)
	FCVTSD  F16, F17
	FADDD   F17, F0
	SUBS    $1, R2
	BNE     sestail

sesdone:
	FMOVD F0, ret+56(FP)
	RET

// func maxSumLanesNEON(x []float32, s float32, m *[4]float32, sum *[4]float64)
// Requires len(x) > 0.
//
// The one-pass online normaliser, per lane j = 0..3 (lane j sees the
// elements i ≡ j mod 4 of each 4-float group): m[j] = max of s·x[i] over the
// lane (-Inf if all are), and sum[j] = Σ e^(s·x[i] - r[j]) in float64, where
// the reference r[j] = max(m[j], -MaxFloat32) is m[j] except that it stays
// finite, so that -Inf elements add e^(-Inf) = 0 rather than
// e^(-Inf+Inf) = NaN. When a lane's reference grows from r to r', its sum
// is first multiplied by e^(r-r'), computed in float64 (below), so that
// however often that happens (every step for ascending data) the rescaling
// adds no float32-sized error. maxSumNEON in softmax_arm64.go combines the
// lanes. V5 holds m, V6 holds -r.
TEXT ·maxSumLanesNEON(SB), NOSPLIT, $32-48
	MOVD  x_base+0(FP), R0
	MOVD  x_len+8(FP), R2
	FMOVS s+24(FP), F4
	VDUP  V4.S[0], V4.S4 // s
	MOVW  $NEG_INF, R9
	VDUP  R9, V5.S4      // m = -Inf
	MOVW  $MAXF32, R9
	VDUP  R9, V6.S4      // -r = MaxFloat32
	EXP_CONSTS
	VEOR  V0.B16, V0.B16, V0.B16
	VEOR  V1.B16, V1.B16, V1.B16
	VEOR  V2.B16, V2.B16, V2.B16
	VEOR  V3.B16, V3.B16, V3.B16
	MOVD  $0, R12

msloop:
	CMP $8, R2
	BLT mstail

msbody:
	// x0, x1 = x[i:i+8]; V9 = m' = max(m, s·x0, s·x1) lanewise (NaN if any
	// is NaN); V10 = lanes where m' > m. Any such lane: move the reference
	// r up to m' and rescale first.
	VLD1.P 32(R0), [V7.S4, V8.S4]
	VFMUL_4S(4, 7, 9)
	VFMUL_4S(4, 8, 10)
	VFMAX_4S(10, 9, 9)
	VFMAX_4S(5, 9, 9)
	VFCMGT_4S(5, 9, 10)
	VMOV   V10.D[0], R6
	VMOV   V10.D[1], R7
	ORR    R6, R7, R6
	CBNZ   R6, msgrow

msgrown:
	// m = m' (every time, so that a NaN lane keeps its NaN), and
	// z = s·x - r, one rounding (as the twin's fma32(s, x, -m)).
	VMOV  V9.B16, V5.B16
	VMOV  V6.B16, V9.B16
	VMOV  V6.B16, V10.B16
	VFMLA V4.S4, V7.S4, V9.S4
	VFMLA V4.S4, V8.S4, V10.S4
	// n = round(z·log2e) by the 1.5·2²³ magic bias
	VMOV  V20.B16, V11.B16
	VMOV  V20.B16, V12.B16
	VFMLA V21.S4, V9.S4, V11.S4
	VFMLA V21.S4, V10.S4, V12.S4
	// e = n<<23, the exponent increment of 2ⁿ
	VSHL  $23, V11.S4, V13.S4
	VSHL  $23, V12.S4, V14.S4
	// v = n as a float
	VFSUB_4S(20, 11, 11)
	VFSUB_4S(20, 12, 12)
	// t = z - n·ln2_hi - n·ln2_lo
	// t = z - n·ln2_hi - n·ln2_lo
	VMOV  V9.B16, V15.B16
	VMOV  V10.B16, V16.B16
	VFMLS V22.S4, V11.S4, V15.S4
	VFMLS V22.S4, V12.S4, V16.S4
	VFMLS V23.S4, V11.S4, V15.S4
	VFMLS V23.S4, V12.S4, V16.S4
	// q = 1 + t·(c1 + t·(c2 + t·(c3 + t·(c4 + t·c5)))) ≈ e^t (Horner)
	VMOV  V25.B16, V17.B16
	VMOV  V25.B16, V18.B16
	VFMLA V24.S4, V15.S4, V17.S4
	VFMLA V24.S4, V16.S4, V18.S4
	VMOV  V26.B16, V11.B16
	VMOV  V26.B16, V12.B16
	VFMLA V17.S4, V15.S4, V11.S4
	VFMLA V18.S4, V16.S4, V12.S4
	VMOV  V27.B16, V17.B16
	VMOV  V27.B16, V18.B16
	VFMLA V11.S4, V15.S4, V17.S4
	VFMLA V12.S4, V16.S4, V18.S4
	VMOV  V28.B16, V11.B16
	VMOV  V28.B16, V12.B16
	VFMLA V17.S4, V15.S4, V11.S4
	VFMLA V18.S4, V16.S4, V12.S4
	VMOV  V29.B16, V17.B16
	VMOV  V29.B16, V18.B16
	VFMLA V11.S4, V15.S4, V17.S4
	VFMLA V12.S4, V16.S4, V18.S4
	// p = q·2ⁿ via the exponent field
	VADD  V13.S4, V17.S4, V17.S4
	VADD  V14.S4, V18.S4, V18.S4
	// p = +0 where z < expMin, -Inf or NaN
	VFCMGE_4S(30, 9, 15)
	VFCMGE_4S(30, 10, 16)
	VAND  V15.B16, V17.B16, V17.B16
	VAND  V16.B16, V18.B16, V18.B16
	// p = z + Inf (+Inf or NaN) where z > expMax, +Inf or NaN
	VFCMGE_4S(9, 31, 15)
	VFCMGE_4S(10, 31, 16)
	VFADD_4S(19, 9, 11)
	VFADD_4S(19, 10, 12)
	VBIF  V15.B16, V11.B16, V17.B16
	VBIF  V16.B16, V12.B16, V18.B16
	CBNZ R12, msmask

msadd:
	// S0..S3 += float64 of lanes 0-1 and 2-3 of each result vector: S0 and
	// S2 belong to lanes 0-1, S1 and S3 to lanes 2-3.
	VFCVTL_2D(17, 9)
	VFCVTL2_2D(17, 10)
	VFCVTL_2D(18, 11)
	VFCVTL2_2D(18, 12)
	VFADD_2D(9, 0, 0)
	VFADD_2D(10, 1, 1)
	VFADD_2D(11, 2, 2)
	VFADD_2D(12, 3, 3)
	CBNZ R12, msdone
	SUB  $8, R2
	B    msloop

mstail:
	// The last 1..7 elements, padded to 8 with copies of the last one (so
	// the maxima are unchanged), through the same body; their terms are
	// masked to the real lanes before they are added.
	CBZ  R2, msdone
	MOVD $buf-32(SP), R10
	MOVD R10, R11
	MOVD R2, R3

mstailin:
	FMOVS.P 4(R0), F16
	FMOVS.P F16, 4(R11)
	SUBS    $1, R3
	BNE     mstailin
	MOVD    $8, R3
	SUB     R2, R3

mspad:
	CBZ     R3, mspadded
	FMOVS.P F16, 4(R11)
	SUB     $1, R3
	B       mspad

mspadded:
	// R14 = &tailmask[7-R2]: its first R2 words are all ones, the rest 0.
	MOVD $tailmask<>(SB), R14
	MOVD $7, R3
	SUB  R2, R3
	ADD  R3<<2, R14
	MOVD R10, R0
	MOVD $1, R12
	B    msbody

msmask:
	VLD1 (R14), [V7.S4, V8.S4]
	VAND V7.B16, V17.B16, V17.B16
	VAND V8.B16, V18.B16, V18.B16
	B    msadd

msgrow:
	// V18 = -r' = -max(m', -MaxFloat32).
	MOVW $NEG_MAXF32, R9
	VDUP R9, V18.S4
	VFMAX_4S(18, 9, 17)
	VFNEG_4S(17, 18)

	// Lanes 0-1 then 2-3: d = r - r' <= 0 in float64 (as float64(-r') -
	// float64(-r): exact, or within 2⁻⁵³ relative when r and r' are 2²⁹
	// apart), and sum = d >= -708 ? sum·e^d : 0, with e^d in float64:
	//   n = round(d·log2e) by the 1.5·2⁵² magic bias;
	//   t = d - n·ln2_hi - n·ln2_lo (fdlibm's split of ln 2);
	//   e^t = Σ_{k<=11} t^k/k! (Horner; truncation below 7e-15 relative
	//         for |t| <= ln2/2);
	//   e^d = e^t·2ⁿ by adding n<<52 to the exponent field, exact because
	//         n >= -1021 when d >= -708.
	// Below -708 the old terms are worth less than 2⁻¹⁰²¹ of the new
	// maximum's: the sum is set to 0 (AND with the mask) rather than
	// multiplied, so that an old sum of +Inf -- one term whose argument
	// s·x[i] - r is the rounding error of a huge s·x[i], up to half an ulp
	// of it -- becomes 0 and not Inf·0 = NaN. A NaN d (a NaN x) also gives
	// 0: the NaN is kept in m instead. Lanes that did not grow get d = 0
	// and e^0 = 1 exactly.
	VFCVTL_2D(18, 10)
	VFCVTL_2D(6, 11)
	VFSUB_2D(11, 10, 10)
	// keep = d >= -708 (V17)
	MOVD    $exp64<>(SB), R9
	VLD1R.P 8(R9), [V11.D2]
	VFCMGE_2D(11, 10, 17)
	// v = 1.5·2⁵² + d·log2e, n in its low bits; e = n<<52; v = n
	VLD1R.P 8(R9), [V12.D2]
	VLD1R.P 8(R9), [V11.D2]
	VFMLA   V11.D2, V10.D2, V12.D2
	VSHL    $52, V12.D2, V13.D2
	VLD1R.P 8(R9), [V11.D2]
	VFSUB_2D(11, 12, 12)
	// t = d - n·ln2_hi - n·ln2_lo
	VMOV    V10.B16, V14.B16
	VLD1R.P 8(R9), [V11.D2]
	VFMLS   V11.D2, V12.D2, V14.D2
	VLD1R.P 8(R9), [V11.D2]
	VFMLS   V11.D2, V12.D2, V14.D2
	// f = c0 + t·(c1 + ... + t·c11), c_k = 1/k!, alternating V15 and V16
	VLD1R.P 8(R9), [V15.D2]
	VLD1R.P 8(R9), [V16.D2]
	VFMLA   V15.D2, V14.D2, V16.D2
	VLD1R.P 8(R9), [V15.D2]
	VFMLA   V16.D2, V14.D2, V15.D2
	VLD1R.P 8(R9), [V16.D2]
	VFMLA   V15.D2, V14.D2, V16.D2
	VLD1R.P 8(R9), [V15.D2]
	VFMLA   V16.D2, V14.D2, V15.D2
	VLD1R.P 8(R9), [V16.D2]
	VFMLA   V15.D2, V14.D2, V16.D2
	VLD1R.P 8(R9), [V15.D2]
	VFMLA   V16.D2, V14.D2, V15.D2
	VLD1R.P 8(R9), [V16.D2]
	VFMLA   V15.D2, V14.D2, V16.D2
	VLD1R.P 8(R9), [V15.D2]
	VFMLA   V16.D2, V14.D2, V15.D2
	VLD1R.P 8(R9), [V16.D2]
	VFMLA   V15.D2, V14.D2, V16.D2
	VLD1R.P 8(R9), [V15.D2]
	VFMLA   V16.D2, V14.D2, V15.D2
	VLD1R.P 8(R9), [V16.D2]
	VFMLA   V15.D2, V14.D2, V16.D2
	// f = e^t·2ⁿ
	VADD    V13.D2, V16.D2, V16.D2
	VFMUL_2D(16, 0, 0)
	VFMUL_2D(16, 2, 2)
	VAND    V17.B16, V0.B16, V0.B16
	VAND    V17.B16, V2.B16, V2.B16
	VFCVTL2_2D(18, 10)
	VFCVTL2_2D(6, 11)
	VFSUB_2D(11, 10, 10)
	MOVD    $exp64<>(SB), R9
	VLD1R.P 8(R9), [V11.D2]
	VFCMGE_2D(11, 10, 17)
	VLD1R.P 8(R9), [V12.D2]
	VLD1R.P 8(R9), [V11.D2]
	VFMLA   V11.D2, V10.D2, V12.D2
	VSHL    $52, V12.D2, V13.D2
	VLD1R.P 8(R9), [V11.D2]
	VFSUB_2D(11, 12, 12)
	VMOV    V10.B16, V14.B16
	VLD1R.P 8(R9), [V11.D2]
	VFMLS   V11.D2, V12.D2, V14.D2
	VLD1R.P 8(R9), [V11.D2]
	VFMLS   V11.D2, V12.D2, V14.D2
	VLD1R.P 8(R9), [V15.D2]
	VLD1R.P 8(R9), [V16.D2]
	VFMLA   V15.D2, V14.D2, V16.D2
	VLD1R.P 8(R9), [V15.D2]
	VFMLA   V16.D2, V14.D2, V15.D2
	VLD1R.P 8(R9), [V16.D2]
	VFMLA   V15.D2, V14.D2, V16.D2
	VLD1R.P 8(R9), [V15.D2]
	VFMLA   V16.D2, V14.D2, V15.D2
	VLD1R.P 8(R9), [V16.D2]
	VFMLA   V15.D2, V14.D2, V16.D2
	VLD1R.P 8(R9), [V15.D2]
	VFMLA   V16.D2, V14.D2, V15.D2
	VLD1R.P 8(R9), [V16.D2]
	VFMLA   V15.D2, V14.D2, V16.D2
	VLD1R.P 8(R9), [V15.D2]
	VFMLA   V16.D2, V14.D2, V15.D2
	VLD1R.P 8(R9), [V16.D2]
	VFMLA   V15.D2, V14.D2, V16.D2
	VLD1R.P 8(R9), [V15.D2]
	VFMLA   V16.D2, V14.D2, V15.D2
	VLD1R.P 8(R9), [V16.D2]
	VFMLA   V15.D2, V14.D2, V16.D2
	VADD    V13.D2, V16.D2, V16.D2
	VFMUL_2D(16, 1, 1)
	VFMUL_2D(16, 3, 3)
	VAND    V17.B16, V1.B16, V1.B16
	VAND    V17.B16, V3.B16, V3.B16

	// r = r'.
	VMOV V18.B16, V6.B16
	B    msgrown

msdone:
	// sum[0:2] = S0 + S2 (lanes 0-1), sum[2:4] = S1 + S3 (lanes 2-3);
	// m[0:4] = m.
	VFADD_2D(2, 0, 0)
	VFADD_2D(3, 1, 1)
	MOVD m+32(FP), R9
	VST1 [V5.S4], (R9)
	MOVD sum+40(FP), R9
	VST1 [V0.D2, V1.D2], (R9)
	RET

// func scaleShiftNEON(dst, x []float32, s, b float32)
// Requires len(dst) == len(x) > 0. dst[i] = s·x[i] + b, one rounding.
TEXT ·scaleShiftNEON(SB), NOSPLIT|NOFRAME, $0-56
	MOVD  dst_base+0(FP), R1
	MOVD  x_base+24(FP), R0
	MOVD  x_len+32(FP), R2
	FMOVS s+48(FP), F4
	FMOVS b+52(FP), F5
	VDUP  V4.S[0], V4.S4 // s
	VDUP  V5.S[0], V5.S4 // b
	CMP   $16, R2
	BLT   ssvec

ss16:
	// dst[i:i+16] = b + s·x[i:i+16], four vectors; every load of a pass
	// comes before its stores, so dst == x is fine.
	VLD1.P 64(R0), [V16.S4, V17.S4, V18.S4, V19.S4]
	VMOV   V5.B16, V20.B16
	VMOV   V5.B16, V21.B16
	VMOV   V5.B16, V22.B16
	VMOV   V5.B16, V23.B16
	VFMLA  V4.S4, V16.S4, V20.S4
	VFMLA  V4.S4, V17.S4, V21.S4
	VFMLA  V4.S4, V18.S4, V22.S4
	VFMLA  V4.S4, V19.S4, V23.S4
	VST1.P [V20.S4, V21.S4, V22.S4, V23.S4], 64(R1)
	SUB    $16, R2
	CMP    $16, R2
	BGE    ss16

ssvec:
	// Whole vectors: dst[i:i+4] = b + s·x[i:i+4].
	CMP    $4, R2
	BLT    sstail
	VLD1.P 16(R0), [V16.S4]
	VMOV   V5.B16, V20.B16
	VFMLA  V4.S4, V16.S4, V20.S4
	VST1.P [V20.S4], 16(R1)
	SUB    $4, R2
	B      ssvec

sstail:
	// 0..3 single elements: dst[i] = x[i]·s + b (FMADD, the same single
	// rounding as the vector FMLA).
	CBZ     R2, ssdone
	FMOVS.P 4(R0), F16
	FMADDS  F4, F5, F16, F17
	FMOVS.P F17, 4(R1)
	SUB     $1, R2
	B       sstail

ssdone:
	RET

// func maxNEON(x []float32) float32
// Requires len(x) > 0. Returns max_i x[i]; NaN if any x[i] is NaN (FMAX,
// unlike FMAXNM, returns NaN when either operand is NaN).
TEXT ·maxNEON(SB), NOSPLIT|NOFRAME, $0-28
	MOVD x_base+0(FP), R0
	MOVD x_len+8(FP), R2

	// m0..m3 = x[0] in every lane: a neutral start that is an element.
	VLD1R (R0), [V0.S4]
	VMOV  V0.B16, V1.B16
	VMOV  V0.B16, V2.B16
	VMOV  V0.B16, V3.B16
	CMP   $16, R2
	BLT   maxvec

max16:
	// m_k = max(m_k, x[i+4k : i+4k+4]), k = 0..3; i += 16.
	VLD1.P 64(R0), [V16.S4, V17.S4, V18.S4, V19.S4]
	VFMAX_4S(16, 0, 0)
	VFMAX_4S(17, 1, 1)
	VFMAX_4S(18, 2, 2)
	VFMAX_4S(19, 3, 3)
	SUB    $16, R2
	CMP    $16, R2
	BGE    max16

maxvec:
	// Whole vectors: m0 = max(m0, x[i:i+4]).
	CMP    $4, R2
	BLT    maxreduce
	VLD1.P 16(R0), [V16.S4]
	VFMAX_4S(16, 0, 0)
	SUB    $4, R2
	B      maxvec

maxreduce:
	// S0 = max over the lanes of max(max(m0, m1), max(m2, m3)).
	VFMAX_4S(1, 0, 0)
	VFMAX_4S(3, 2, 2)
	VFMAX_4S(2, 0, 0)
	FMAXV_4S(0, 0)

maxtail:
	// 0..3 single elements: S0 = max(S0, x[i]).
	CBZ     R2, maxdone
	FMOVS.P 4(R0), F16
	FMAXS   F16, F0, F0
	SUB     $1, R2
	B       maxtail

maxdone:
	FMOVS F0, ret+24(FP)
	RET

// func findNEON(x []float32, m float32) int
// Requires len(x) > 0. Returns the first i with x[i] == m, or, when m is
// NaN, the first i with x[i] NaN; -1 if there is none. argmaxNEON calls it
// with m = maxNEON(x), so every element is <= m and "x[i] == m" is
// "!(m > x[i])".
TEXT ·findNEON(SB), NOSPLIT|NOFRAME, $0-40
	MOVD  x_base+0(FP), R0
	MOVD  x_len+8(FP), R2
	MOVD  R0, R1 // start, for the index
	FMOVS m+24(FP), F0
	VDUP  V0.S[0], V0.S4
	FCMPS F0, F0
	BVS   findnan

find16:
	// Sixteen at a time: V20 = AND over k of (m > x[i+4k : i+4k+4]); if
	// any lane is zero, an element equal to m is among these sixteen.
	CMP    $16, R2
	BLT    findscan
	VLD1   (R0), [V16.S4, V17.S4, V18.S4, V19.S4]
	VFCMGT_4S(16, 0, 20)
	VFCMGT_4S(17, 0, 21)
	VFCMGT_4S(18, 0, 22)
	VFCMGT_4S(19, 0, 23)
	VAND   V21.B16, V20.B16, V20.B16
	VAND   V23.B16, V22.B16, V22.B16
	VAND   V22.B16, V20.B16, V20.B16
	VMOV   V20.D[0], R6
	VMOV   V20.D[1], R7
	AND    R6, R7, R6
	CMN    $1, R6
	BNE    findscan
	ADD    $64, R0
	SUB    $16, R2
	B      find16

findscan:
	// One at a time from here: stop at x[i] == m.
	CBZ   R2, findnone
	FMOVS (R0), F16
	FCMPS F0, F16
	BEQ   findfound
	ADD   $4, R0
	SUB   $1, R2
	B     findscan

findnan:
	// The same search for the first NaN: V20 = AND of (x == x).
	CMP    $16, R2
	BLT    findnanscan
	VLD1   (R0), [V16.S4, V17.S4, V18.S4, V19.S4]
	VFCMEQ_4S(16, 16, 20)
	VFCMEQ_4S(17, 17, 21)
	VFCMEQ_4S(18, 18, 22)
	VFCMEQ_4S(19, 19, 23)
	VAND   V21.B16, V20.B16, V20.B16
	VAND   V23.B16, V22.B16, V22.B16
	VAND   V22.B16, V20.B16, V20.B16
	VMOV   V20.D[0], R6
	VMOV   V20.D[1], R7
	AND    R6, R7, R6
	CMN    $1, R6
	BNE    findnanscan
	ADD    $64, R0
	SUB    $16, R2
	B      findnan

findnanscan:
	// One at a time: stop at x[i] unordered with itself.
	CBZ   R2, findnone
	FMOVS (R0), F16
	FCMPS F16, F16
	BVS   findfound
	ADD   $4, R0
	SUB   $1, R2
	B     findnanscan

findfound:
	// i = (address - start) / 4.
	SUB  R1, R0
	LSR  $2, R0
	MOVD R0, ret+32(FP)
	RET

findnone:
	MOVD $-1, R0
	MOVD R0, ret+32(FP)
	RET

// tailmask: seven all-ones words, then zeros. The 8 words from word 7-r
// on have their first r set (r = 1..7): the lane mask of a padded tail.
DATA tailmask<>+0x00(SB)/8, $0xffffffffffffffff
DATA tailmask<>+0x08(SB)/8, $0xffffffffffffffff
DATA tailmask<>+0x10(SB)/8, $0xffffffffffffffff
DATA tailmask<>+0x18(SB)/8, $0x00000000ffffffff
DATA tailmask<>+0x20(SB)/8, $0
DATA tailmask<>+0x28(SB)/8, $0
DATA tailmask<>+0x30(SB)/8, $0
DATA tailmask<>+0x38(SB)/8, $0
GLOBL tailmask<>(SB), RODATA|NOPTR, $64

// exp64: the float64 constants of maxSumLanesNEON's rescaling, in the order
// its code loads them (fdlibm's ln 2 split; Taylor coefficients, whose
// truncation error at degree 11 is below 7e-15 for |t| <= ln2/2).
DATA exp64<>+0x00(SB)/8, $0xc086200000000000 // -708: below it the old sum is dropped
DATA exp64<>+0x08(SB)/8, $0x4338000000000000 // 1.5·2⁵², magic bias
DATA exp64<>+0x10(SB)/8, $0x3ff71547652b82fe // log2(e)
DATA exp64<>+0x18(SB)/8, $0x4338000000000000 // 1.5·2⁵² again, to subtract
DATA exp64<>+0x20(SB)/8, $0x3fe62e42fee00000 // ln2_hi (fdlibm: low 21 bits 0)
DATA exp64<>+0x28(SB)/8, $0x3dea39ef35793c76 // ln2_lo = ln 2 - ln2_hi
DATA exp64<>+0x30(SB)/8, $0x3e5ae64567f544e4 // 1/11!
DATA exp64<>+0x38(SB)/8, $0x3e927e4fb7789f5c // 1/10!
DATA exp64<>+0x40(SB)/8, $0x3ec71de3a556c734 // 1/9!
DATA exp64<>+0x48(SB)/8, $0x3efa01a01a01a01a // 1/8!
DATA exp64<>+0x50(SB)/8, $0x3f2a01a01a01a01a // 1/7!
DATA exp64<>+0x58(SB)/8, $0x3f56c16c16c16c17 // 1/6!
DATA exp64<>+0x60(SB)/8, $0x3f81111111111111 // 1/5!
DATA exp64<>+0x68(SB)/8, $0x3fa5555555555555 // 1/4!
DATA exp64<>+0x70(SB)/8, $0x3fc5555555555555 // 1/3!
DATA exp64<>+0x78(SB)/8, $0x3fe0000000000000 // 1/2!
DATA exp64<>+0x80(SB)/8, $0x3ff0000000000000 // 1/1!
DATA exp64<>+0x88(SB)/8, $0x3ff0000000000000 // 1/0!
GLOBL exp64<>(SB), RODATA|NOPTR, $144
