//go:build !purego

// NEON Dequantize kernels of the F16, BF16, Q8_0, Q4_0, Q4_K and Q6_K
// weight formats (dequant_arm64.go declares them). Each decodes the whole
// blocks of src into dst[:len(src)/BlockBytes·BlockSize] bit for bit as
// its generic twin in quant_decode.go (ggml's dequantize_row_*), under the
// kernelSet contract (dispatch.go): len(src) a positive multiple of the
// block bytes, len(dst) large enough, src at any address (LD1 and ST1 need
// no alignment). Every load and store lies inside src and dst[:n]: the
// block formats read and write whole blocks; F16 and BF16 (block size 1)
// go 32, then 4, then 1 weight at a time.
//
// Exactness: every decoded weight is a float32 product that is exact (a
// binary16 scale has 11 significant bits; a Q8_0 code 7 more, a Q4_0 code
// 4, Q4_K's 6-bit scale and 4-bit code 10, Q6_K's int8 scale and 6-bit
// code 7+5), so the vector products equal the scalar ones; the operations
// keep the scalar order and operands, so ±0, ±Inf and NaN come out the
// same (a NaN scale's payload, Inf·0's default NaN).
//
// Codes become exact singles in two steps (as in gemv_q32_arm64.s): TBL
// with the index vectors of dq_tbltop (V28..V31) moves byte 4k+i of a
// vector into the top byte of lane i of result k (the other three bytes
// zero: index 0xff is out of range), and SCVTF/UCVTF with fbits f divides
// that int32 by 2^f: a byte b on top is b·2^24, so f = 24 gives b, and a
// code held in the top c bits of its byte gives itself with f = 24 + 8 − c.

#include "textflag.h"
#include "neon_arm64.h"

// func dequantF16NEON(dst []float32, src []byte)
// Requires len(src) >= 2 even and len(dst) >= len(src)/2.
TEXT ·dequantF16NEON(SB), NOSPLIT|NOFRAME, $0-48
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	LSR  $1, R2 // R2 = the weights left
	MOVD $dq_keep<>(SB), R3
	VLD1 (R3), [V31.S4] // 0xffbfffff in every lane: all bits but bit 22

	// FCVTL/FCVTL2 widen halves exactly (subnormals become normal singles,
	// ±Inf stay, a NaN keeps sign and payload shifted up 13 bits) except
	// that they quiet a signalling NaN, setting bit 22, where HalfToFloat32
	// keeps the half's bit 9 there. So each group of 32 is checked for NaN
	// (their sum is NaN if one is; Inf-Inf only sends a group to the fix
	// needlessly), and a group with one goes to f16fix32, which puts bit 9
	// of the half (bit 22 of h<<13, USHLL) back into the NaN lanes:
	//	keep = (f == f) | 0xffbfffff	(FCMEQ: all ones unless f is NaN)
	//	f = f&keep | (h<<13)&^keep	(BIF)
f16n32:
	CMP    $32, R2
	BLT    f16n4
	VLD1.P 64(R1), [V0.H8, V1.H8, V2.H8, V3.H8]
	VFCVTL_4S(0, 4)
	VFCVTL2_4S(0, 5)
	VFCVTL_4S(1, 6)
	VFCVTL2_4S(1, 7)
	VFCVTL_4S(2, 8)
	VFCVTL2_4S(2, 9)
	VFCVTL_4S(3, 10)
	VFCVTL2_4S(3, 11)
	// V12 = the sum of the 32; R5 = all ones unless it is NaN
	VFADD_4S(5, 4, 12)
	VFADD_4S(7, 6, 13)
	VFADD_4S(9, 8, 14)
	VFADD_4S(11, 10, 15)
	VFADD_4S(13, 12, 12)
	VFADD_4S(15, 14, 14)
	VFADD_4S(14, 12, 12)
	VFCMEQ_4S(12, 12, 12)
	VMOV   V12.D[0], R4
	VMOV   V12.D[1], R5
	AND    R4, R5
	CMN    $1, R5
	BNE    f16fix32
f16st32:
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	VST1.P [V8.S4, V9.S4, V10.S4, V11.S4], 64(R0)
	SUB    $32, R2
	B      f16n32

f16fix32:
	VUSHLL  $13, V0.H4, V12.S4
	VFCMEQ_4S(4, 4, 13)
	VORR    V31.B16, V13.B16, V13.B16
	VBIF    V13.B16, V12.B16, V4.B16
	VUSHLL2 $13, V0.H8, V12.S4
	VFCMEQ_4S(5, 5, 13)
	VORR    V31.B16, V13.B16, V13.B16
	VBIF    V13.B16, V12.B16, V5.B16
	VUSHLL  $13, V1.H4, V12.S4
	VFCMEQ_4S(6, 6, 13)
	VORR    V31.B16, V13.B16, V13.B16
	VBIF    V13.B16, V12.B16, V6.B16
	VUSHLL2 $13, V1.H8, V12.S4
	VFCMEQ_4S(7, 7, 13)
	VORR    V31.B16, V13.B16, V13.B16
	VBIF    V13.B16, V12.B16, V7.B16
	VUSHLL  $13, V2.H4, V12.S4
	VFCMEQ_4S(8, 8, 13)
	VORR    V31.B16, V13.B16, V13.B16
	VBIF    V13.B16, V12.B16, V8.B16
	VUSHLL2 $13, V2.H8, V12.S4
	VFCMEQ_4S(9, 9, 13)
	VORR    V31.B16, V13.B16, V13.B16
	VBIF    V13.B16, V12.B16, V9.B16
	VUSHLL  $13, V3.H4, V12.S4
	VFCMEQ_4S(10, 10, 13)
	VORR    V31.B16, V13.B16, V13.B16
	VBIF    V13.B16, V12.B16, V10.B16
	VUSHLL2 $13, V3.H8, V12.S4
	VFCMEQ_4S(11, 11, 13)
	VORR    V31.B16, V13.B16, V13.B16
	VBIF    V13.B16, V12.B16, V11.B16
	B       f16st32

f16n4:
	// four weights at a time, always fixed
	CMP    $4, R2
	BLT    f16n1
	VLD1.P 8(R1), [V0.H4]
	VFCVTL_4S(0, 4)
	VUSHLL $13, V0.H4, V12.S4
	VFCMEQ_4S(4, 4, 13)
	VORR   V31.B16, V13.B16, V13.B16
	VBIF   V13.B16, V12.B16, V4.B16
	VST1.P [V4.S4], 16(R0)
	SUB    $4, R2
	B      f16n4

f16n1:
	// then one (lane 0; lanes 1..3 are stale and not stored)
	CBZ    R2, f16done
	VLD1.P 2(R1), V0.H[0]
	VFCVTL_4S(0, 4)
	VUSHLL $13, V0.H4, V12.S4
	VFCMEQ_4S(4, 4, 13)
	VORR   V31.B16, V13.B16, V13.B16
	VBIF   V13.B16, V12.B16, V4.B16
	FMOVS.P F4, 4(R0)
	SUB    $1, R2
	B      f16n1

f16done:
	RET

// func dequantBF16NEON(dst []float32, src []byte)
// Requires len(src) >= 2 even and len(dst) >= len(src)/2.
// A bfloat16 is the top half of a single: ZIP1/ZIP2 with a zero vector
// (V30) put each weight above 16 zero bits.
TEXT ·dequantBF16NEON(SB), NOSPLIT|NOFRAME, $0-48
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	LSR  $1, R2 // R2 = the weights left
	VEOR V30.B16, V30.B16, V30.B16

bf16n32:
	CMP    $32, R2
	BLT    bf16n4
	VLD1.P 64(R1), [V0.H8, V1.H8, V2.H8, V3.H8]
	VZIP1  V0.H8, V30.H8, V4.H8
	VZIP2  V0.H8, V30.H8, V5.H8
	VZIP1  V1.H8, V30.H8, V6.H8
	VZIP2  V1.H8, V30.H8, V7.H8
	VZIP1  V2.H8, V30.H8, V8.H8
	VZIP2  V2.H8, V30.H8, V9.H8
	VZIP1  V3.H8, V30.H8, V10.H8
	VZIP2  V3.H8, V30.H8, V11.H8
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	VST1.P [V8.S4, V9.S4, V10.S4, V11.S4], 64(R0)
	SUB    $32, R2
	B      bf16n32

bf16n4:
	CMP    $4, R2
	BLT    bf16n1
	VLD1.P 8(R1), [V0.H4]
	VZIP1  V0.H8, V30.H8, V4.H8
	VST1.P [V4.S4], 16(R0)
	SUB    $4, R2
	B      bf16n4

bf16n1:
	// one at a time: h<<16
	CBZ    R2, bf16done
	MOVHU.P 2(R1), R4
	LSLW   $16, R4
	MOVW.P R4, 4(R0)
	SUB    $1, R2
	B      bf16n1

bf16done:
	RET

// func dequantQ8_0NEON(dst []float32, src []byte)
// Requires len(src) a positive multiple of 34, len(dst) >= len(src)/34*32.
// Block {f16 d; int8 qs[32]}: dst[j] = d·qs[j]. The int8 on top of its
// lane (TBL) is q·2^24: SCVTF #24 gives q; FMUL by element multiplies by
// d, V16.S[0] (exact; d is the only operand that can be NaN).
TEXT ·dequantQ8_0NEON(SB), NOSPLIT|NOFRAME, $0-48
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	ADD  R1, R2, R2 // R2 = the end of src
	MOVD $dq_tbltop<>(SB), R3
	VLD1 (R3), [V28.B16, V29.B16, V30.B16, V31.B16]

q80block:
	VLD1.P 2(R1), V16.H[0]
	VFCVTL_4S(16, 16) // V16.S[0] = d
	VLD1.P 32(R1), [V0.B16, V1.B16]
	VTBL   V28.B16, [V0.B16], V2.B16
	VTBL   V29.B16, [V0.B16], V3.B16
	VTBL   V30.B16, [V0.B16], V4.B16
	VTBL   V31.B16, [V0.B16], V5.B16
	VSCVTF_4S(24, 2, 2)
	VSCVTF_4S(24, 3, 3)
	VSCVTF_4S(24, 4, 4)
	VSCVTF_4S(24, 5, 5)
	VTBL   V28.B16, [V1.B16], V6.B16
	VTBL   V29.B16, [V1.B16], V7.B16
	VTBL   V30.B16, [V1.B16], V8.B16
	VTBL   V31.B16, [V1.B16], V9.B16
	VSCVTF_4S(24, 6, 6)
	VSCVTF_4S(24, 7, 7)
	VSCVTF_4S(24, 8, 8)
	VSCVTF_4S(24, 9, 9)
	VFMUL_ELEM_4S(16, 0, 2, 2)
	VFMUL_ELEM_4S(16, 0, 3, 3)
	VFMUL_ELEM_4S(16, 0, 4, 4)
	VFMUL_ELEM_4S(16, 0, 5, 5)
	VFMUL_ELEM_4S(16, 0, 6, 6)
	VFMUL_ELEM_4S(16, 0, 7, 7)
	VFMUL_ELEM_4S(16, 0, 8, 8)
	VFMUL_ELEM_4S(16, 0, 9, 9)
	VST1.P [V2.S4, V3.S4, V4.S4, V5.S4], 64(R0)
	VST1.P [V6.S4, V7.S4, V8.S4, V9.S4], 64(R0)
	CMP    R2, R1
	BLO    q80block
	RET

// func dequantQ4_0NEON(dst []float32, src []byte)
// Requires len(src) a positive multiple of 18, len(dst) >= len(src)/18*32.
// Block {f16 d; u8 qs[16]}: dst[j] = d·((qs[j]&15)-8), dst[16+j] =
// d·((qs[j]>>4)-8). A nibble c moved to the top of its byte and XORed
// with 0x80 is the int8 (c-8)·16 (c^8 read as a signed nibble is c-8), so
// on top of a lane (TBL) it is (c-8)·2^28 and SCVTF #28 gives c-8.
TEXT ·dequantQ4_0NEON(SB), NOSPLIT|NOFRAME, $0-48
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	ADD   R1, R2, R2 // R2 = the end of src
	MOVD $dq_tbltop<>(SB), R3
	VLD1 (R3), [V28.B16, V29.B16, V30.B16, V31.B16]
	VMOVI $0x80, V27.B16
	VMOVI $0xF0, V26.B16

q40block:
	VLD1.P 2(R1), V16.H[0]
	VFCVTL_4S(16, 16) // V16.S[0] = d
	VLD1.P 16(R1), [V0.B16]
	VSHL   $4, V0.B16, V1.B16 // low nibbles on top: weights 0..15
	VEOR   V27.B16, V1.B16, V1.B16
	VAND   V26.B16, V0.B16, V0.B16 // high nibbles: weights 16..31
	VEOR   V27.B16, V0.B16, V0.B16
	VTBL   V28.B16, [V1.B16], V2.B16
	VTBL   V29.B16, [V1.B16], V3.B16
	VTBL   V30.B16, [V1.B16], V4.B16
	VTBL   V31.B16, [V1.B16], V5.B16
	VSCVTF_4S(28, 2, 2)
	VSCVTF_4S(28, 3, 3)
	VSCVTF_4S(28, 4, 4)
	VSCVTF_4S(28, 5, 5)
	VTBL   V28.B16, [V0.B16], V6.B16
	VTBL   V29.B16, [V0.B16], V7.B16
	VTBL   V30.B16, [V0.B16], V8.B16
	VTBL   V31.B16, [V0.B16], V9.B16
	VSCVTF_4S(28, 6, 6)
	VSCVTF_4S(28, 7, 7)
	VSCVTF_4S(28, 8, 8)
	VSCVTF_4S(28, 9, 9)
	VFMUL_ELEM_4S(16, 0, 2, 2)
	VFMUL_ELEM_4S(16, 0, 3, 3)
	VFMUL_ELEM_4S(16, 0, 4, 4)
	VFMUL_ELEM_4S(16, 0, 5, 5)
	VFMUL_ELEM_4S(16, 0, 6, 6)
	VFMUL_ELEM_4S(16, 0, 7, 7)
	VFMUL_ELEM_4S(16, 0, 8, 8)
	VFMUL_ELEM_4S(16, 0, 9, 9)
	VST1.P [V2.S4, V3.S4, V4.S4, V5.S4], 64(R0)
	VST1.P [V6.S4, V7.S4, V8.S4, V9.S4], 64(R0)
	CMP    R2, R1
	BLO    q40block
	RET

// func dequantQ4_KNEON(dst []float32, src []byte)
// Requires len(src) a positive multiple of 144, len(dst) >= len(src)/144*256.
// Block {f16 d, dmin; u8 scales[12]; u8 qs[128]}. The 6-bit scales sc and
// mins m of the 8 sub-blocks are unpacked in general registers as ggml's
// SIMD code does (utmp, kmask1-3), with u0, u1, u2 the dwords of scales:
// 	sc[0:4] = u0 & 0x3f3f3f3f
// 	sc[4:8] = u2&0x0f0f0f0f | (u0>>6 & 0x03030303)<<4
// 	m[0:4]  = u1 & 0x3f3f3f3f
// 	m[4:8]  = u2>>4&0x0f0f0f0f | (u1>>6 & 0x03030303)<<4
// (q4kScaleMin for every j: the masks drop exactly the bits the shifts move
// across bytes). They go to V20 (sc in bytes 0..7, m in 8..15), TBL and
// UCVTF #24 make them singles, and d1 = d·sc (V21, V22), m1 = dmin·m
// (V23, V24), exact. Byte 32i+l of qs holds the codes of weights 64i+l (low
// nibble, sub-block 2i) and 64i+32+l (high nibble, 2i+1); a nibble on top
// of its byte, on top of a lane, UCVTF #28 is the code. y = q·d1 − dmin·m
// as the generic twin compiles on arm64: FMUL q·d1 (exact), then FMSUB,
// p − dmin·m fused, which the vector FMLS is with the same operand roles
// (Vn = dmin, negated; Vm = m; the addend p): the same exact value and the
// same NaN, sign flip of a NaN dmin and Inf·0's default NaN included. dmin
// must then be the signalling NaN the half is, so the FCVTL of d and dmin
// gets the F16 kernel's fix (bit 22 from the half's bit 9 in NaN lanes).
TEXT ·dequantQ4_KNEON(SB), NOSPLIT|NOFRAME, $0-48
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	ADD   R1, R2, R2 // R2 = the end of src
	MOVD $dq_tbltop<>(SB), R3
	VLD1 (R3), [V28.B16, V29.B16, V30.B16, V31.B16]
	VMOVI $0xF0, V26.B16
	MOVD  $dq_keep<>(SB), R3
	VLD1  (R3), [V17.S4] // 0xffbfffff in every lane

q4kblock:
	MOVWU 4(R1), R4  // u0
	MOVWU 8(R1), R5  // u1
	MOVWU 12(R1), R6 // u2
	LSRW  $6, R4, R7
	ANDW  $0x03030303, R7
	LSLW  $4, R7
	ANDW  $0x0f0f0f0f, R6, R8
	ORRW  R7, R8 // sc[4:8]
	ANDW  $0x3f3f3f3f, R4 // sc[0:4]
	ORR   R8<<32, R4, R4
	LSRW  $6, R5, R7
	ANDW  $0x03030303, R7
	LSLW  $4, R7
	LSRW  $4, R6, R8
	ANDW  $0x0f0f0f0f, R8
	ORRW  R7, R8 // m[4:8]
	ANDW  $0x3f3f3f3f, R5 // m[0:4]
	ORR   R8<<32, R5, R5
	VMOV  R4, V20.D[0]
	VMOV  R5, V20.D[1]
	VLD1  (R1), V19.S[0] // the halves d, dmin
	VFCVTL_4S(19, 25) // V25.S[0] = d, V25.S[1] = dmin
	VUSHLL $13, V19.H4, V12.S4
	VFCMEQ_4S(25, 25, 13)
	VORR  V17.B16, V13.B16, V13.B16
	VBIF  V13.B16, V12.B16, V25.B16 // signalling NaNs stay so
	VDUP  V25.S[1], V16.S4 // dmin in every lane
	VTBL   V28.B16, [V20.B16], V21.B16
	VTBL   V29.B16, [V20.B16], V22.B16
	VTBL   V30.B16, [V20.B16], V23.B16
	VTBL   V31.B16, [V20.B16], V24.B16
	VUCVTF_4S(24, 21, 21)
	VUCVTF_4S(24, 22, 22)
	VUCVTF_4S(24, 23, 23)
	VUCVTF_4S(24, 24, 24)
	VFMUL_ELEM_4S(25, 0, 21, 21) // d1[0:4] = sc[0:4]·d
	VFMUL_ELEM_4S(25, 0, 22, 22) // d1[4:8]
	// V23, V24 = m[0:8] as singles
	ADD   $16, R1, R3 // qs
	// weights 0..31 (sub-block 0) and 32..63 (sub-block 1)
	VLD1.P 32(R3), [V0.B16, V1.B16]
	VSHL   $4, V0.B16, V2.B16
	VSHL   $4, V1.B16, V3.B16
	VAND   V26.B16, V0.B16, V0.B16
	VAND   V26.B16, V1.B16, V1.B16
	VDUP   V23.S[0], V18.S4 // m[0]
	VTBL   V28.B16, [V2.B16], V4.B16
	VTBL   V29.B16, [V2.B16], V5.B16
	VTBL   V30.B16, [V2.B16], V6.B16
	VTBL   V31.B16, [V2.B16], V7.B16
	VUCVTF_4S(28, 4, 4)
	VUCVTF_4S(28, 5, 5)
	VUCVTF_4S(28, 6, 6)
	VUCVTF_4S(28, 7, 7)
	VFMUL_ELEM_4S(21, 0, 4, 4) // q·d1[0]
	VFMUL_ELEM_4S(21, 0, 5, 5) // q·d1[0]
	VFMUL_ELEM_4S(21, 0, 6, 6) // q·d1[0]
	VFMUL_ELEM_4S(21, 0, 7, 7) // q·d1[0]
	VFMLS  V18.S4, V16.S4, V4.S4 // − dmin·m[0]
	VFMLS  V18.S4, V16.S4, V5.S4 // − dmin·m[0]
	VFMLS  V18.S4, V16.S4, V6.S4 // − dmin·m[0]
	VFMLS  V18.S4, V16.S4, V7.S4 // − dmin·m[0]
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	VTBL   V28.B16, [V3.B16], V4.B16
	VTBL   V29.B16, [V3.B16], V5.B16
	VTBL   V30.B16, [V3.B16], V6.B16
	VTBL   V31.B16, [V3.B16], V7.B16
	VUCVTF_4S(28, 4, 4)
	VUCVTF_4S(28, 5, 5)
	VUCVTF_4S(28, 6, 6)
	VUCVTF_4S(28, 7, 7)
	VFMUL_ELEM_4S(21, 0, 4, 4) // q·d1[0]
	VFMUL_ELEM_4S(21, 0, 5, 5) // q·d1[0]
	VFMUL_ELEM_4S(21, 0, 6, 6) // q·d1[0]
	VFMUL_ELEM_4S(21, 0, 7, 7) // q·d1[0]
	VFMLS  V18.S4, V16.S4, V4.S4 // − dmin·m[0]
	VFMLS  V18.S4, V16.S4, V5.S4 // − dmin·m[0]
	VFMLS  V18.S4, V16.S4, V6.S4 // − dmin·m[0]
	VFMLS  V18.S4, V16.S4, V7.S4 // − dmin·m[0]
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	VDUP   V23.S[1], V18.S4 // m[1]
	VTBL   V28.B16, [V0.B16], V4.B16
	VTBL   V29.B16, [V0.B16], V5.B16
	VTBL   V30.B16, [V0.B16], V6.B16
	VTBL   V31.B16, [V0.B16], V7.B16
	VUCVTF_4S(28, 4, 4)
	VUCVTF_4S(28, 5, 5)
	VUCVTF_4S(28, 6, 6)
	VUCVTF_4S(28, 7, 7)
	VFMUL_ELEM_4S(21, 1, 4, 4) // q·d1[1]
	VFMUL_ELEM_4S(21, 1, 5, 5) // q·d1[1]
	VFMUL_ELEM_4S(21, 1, 6, 6) // q·d1[1]
	VFMUL_ELEM_4S(21, 1, 7, 7) // q·d1[1]
	VFMLS  V18.S4, V16.S4, V4.S4 // − dmin·m[1]
	VFMLS  V18.S4, V16.S4, V5.S4 // − dmin·m[1]
	VFMLS  V18.S4, V16.S4, V6.S4 // − dmin·m[1]
	VFMLS  V18.S4, V16.S4, V7.S4 // − dmin·m[1]
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	VTBL   V28.B16, [V1.B16], V4.B16
	VTBL   V29.B16, [V1.B16], V5.B16
	VTBL   V30.B16, [V1.B16], V6.B16
	VTBL   V31.B16, [V1.B16], V7.B16
	VUCVTF_4S(28, 4, 4)
	VUCVTF_4S(28, 5, 5)
	VUCVTF_4S(28, 6, 6)
	VUCVTF_4S(28, 7, 7)
	VFMUL_ELEM_4S(21, 1, 4, 4) // q·d1[1]
	VFMUL_ELEM_4S(21, 1, 5, 5) // q·d1[1]
	VFMUL_ELEM_4S(21, 1, 6, 6) // q·d1[1]
	VFMUL_ELEM_4S(21, 1, 7, 7) // q·d1[1]
	VFMLS  V18.S4, V16.S4, V4.S4 // − dmin·m[1]
	VFMLS  V18.S4, V16.S4, V5.S4 // − dmin·m[1]
	VFMLS  V18.S4, V16.S4, V6.S4 // − dmin·m[1]
	VFMLS  V18.S4, V16.S4, V7.S4 // − dmin·m[1]
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	// weights 64..95 (sub-block 2) and 96..127 (sub-block 3)
	VLD1.P 32(R3), [V0.B16, V1.B16]
	VSHL   $4, V0.B16, V2.B16
	VSHL   $4, V1.B16, V3.B16
	VAND   V26.B16, V0.B16, V0.B16
	VAND   V26.B16, V1.B16, V1.B16
	VDUP   V23.S[2], V18.S4 // m[2]
	VTBL   V28.B16, [V2.B16], V4.B16
	VTBL   V29.B16, [V2.B16], V5.B16
	VTBL   V30.B16, [V2.B16], V6.B16
	VTBL   V31.B16, [V2.B16], V7.B16
	VUCVTF_4S(28, 4, 4)
	VUCVTF_4S(28, 5, 5)
	VUCVTF_4S(28, 6, 6)
	VUCVTF_4S(28, 7, 7)
	VFMUL_ELEM_4S(21, 2, 4, 4) // q·d1[2]
	VFMUL_ELEM_4S(21, 2, 5, 5) // q·d1[2]
	VFMUL_ELEM_4S(21, 2, 6, 6) // q·d1[2]
	VFMUL_ELEM_4S(21, 2, 7, 7) // q·d1[2]
	VFMLS  V18.S4, V16.S4, V4.S4 // − dmin·m[2]
	VFMLS  V18.S4, V16.S4, V5.S4 // − dmin·m[2]
	VFMLS  V18.S4, V16.S4, V6.S4 // − dmin·m[2]
	VFMLS  V18.S4, V16.S4, V7.S4 // − dmin·m[2]
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	VTBL   V28.B16, [V3.B16], V4.B16
	VTBL   V29.B16, [V3.B16], V5.B16
	VTBL   V30.B16, [V3.B16], V6.B16
	VTBL   V31.B16, [V3.B16], V7.B16
	VUCVTF_4S(28, 4, 4)
	VUCVTF_4S(28, 5, 5)
	VUCVTF_4S(28, 6, 6)
	VUCVTF_4S(28, 7, 7)
	VFMUL_ELEM_4S(21, 2, 4, 4) // q·d1[2]
	VFMUL_ELEM_4S(21, 2, 5, 5) // q·d1[2]
	VFMUL_ELEM_4S(21, 2, 6, 6) // q·d1[2]
	VFMUL_ELEM_4S(21, 2, 7, 7) // q·d1[2]
	VFMLS  V18.S4, V16.S4, V4.S4 // − dmin·m[2]
	VFMLS  V18.S4, V16.S4, V5.S4 // − dmin·m[2]
	VFMLS  V18.S4, V16.S4, V6.S4 // − dmin·m[2]
	VFMLS  V18.S4, V16.S4, V7.S4 // − dmin·m[2]
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	VDUP   V23.S[3], V18.S4 // m[3]
	VTBL   V28.B16, [V0.B16], V4.B16
	VTBL   V29.B16, [V0.B16], V5.B16
	VTBL   V30.B16, [V0.B16], V6.B16
	VTBL   V31.B16, [V0.B16], V7.B16
	VUCVTF_4S(28, 4, 4)
	VUCVTF_4S(28, 5, 5)
	VUCVTF_4S(28, 6, 6)
	VUCVTF_4S(28, 7, 7)
	VFMUL_ELEM_4S(21, 3, 4, 4) // q·d1[3]
	VFMUL_ELEM_4S(21, 3, 5, 5) // q·d1[3]
	VFMUL_ELEM_4S(21, 3, 6, 6) // q·d1[3]
	VFMUL_ELEM_4S(21, 3, 7, 7) // q·d1[3]
	VFMLS  V18.S4, V16.S4, V4.S4 // − dmin·m[3]
	VFMLS  V18.S4, V16.S4, V5.S4 // − dmin·m[3]
	VFMLS  V18.S4, V16.S4, V6.S4 // − dmin·m[3]
	VFMLS  V18.S4, V16.S4, V7.S4 // − dmin·m[3]
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	VTBL   V28.B16, [V1.B16], V4.B16
	VTBL   V29.B16, [V1.B16], V5.B16
	VTBL   V30.B16, [V1.B16], V6.B16
	VTBL   V31.B16, [V1.B16], V7.B16
	VUCVTF_4S(28, 4, 4)
	VUCVTF_4S(28, 5, 5)
	VUCVTF_4S(28, 6, 6)
	VUCVTF_4S(28, 7, 7)
	VFMUL_ELEM_4S(21, 3, 4, 4) // q·d1[3]
	VFMUL_ELEM_4S(21, 3, 5, 5) // q·d1[3]
	VFMUL_ELEM_4S(21, 3, 6, 6) // q·d1[3]
	VFMUL_ELEM_4S(21, 3, 7, 7) // q·d1[3]
	VFMLS  V18.S4, V16.S4, V4.S4 // − dmin·m[3]
	VFMLS  V18.S4, V16.S4, V5.S4 // − dmin·m[3]
	VFMLS  V18.S4, V16.S4, V6.S4 // − dmin·m[3]
	VFMLS  V18.S4, V16.S4, V7.S4 // − dmin·m[3]
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	// weights 128..159 (sub-block 4) and 160..191 (sub-block 5)
	VLD1.P 32(R3), [V0.B16, V1.B16]
	VSHL   $4, V0.B16, V2.B16
	VSHL   $4, V1.B16, V3.B16
	VAND   V26.B16, V0.B16, V0.B16
	VAND   V26.B16, V1.B16, V1.B16
	VDUP   V24.S[0], V18.S4 // m[4]
	VTBL   V28.B16, [V2.B16], V4.B16
	VTBL   V29.B16, [V2.B16], V5.B16
	VTBL   V30.B16, [V2.B16], V6.B16
	VTBL   V31.B16, [V2.B16], V7.B16
	VUCVTF_4S(28, 4, 4)
	VUCVTF_4S(28, 5, 5)
	VUCVTF_4S(28, 6, 6)
	VUCVTF_4S(28, 7, 7)
	VFMUL_ELEM_4S(22, 0, 4, 4) // q·d1[4]
	VFMUL_ELEM_4S(22, 0, 5, 5) // q·d1[4]
	VFMUL_ELEM_4S(22, 0, 6, 6) // q·d1[4]
	VFMUL_ELEM_4S(22, 0, 7, 7) // q·d1[4]
	VFMLS  V18.S4, V16.S4, V4.S4 // − dmin·m[4]
	VFMLS  V18.S4, V16.S4, V5.S4 // − dmin·m[4]
	VFMLS  V18.S4, V16.S4, V6.S4 // − dmin·m[4]
	VFMLS  V18.S4, V16.S4, V7.S4 // − dmin·m[4]
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	VTBL   V28.B16, [V3.B16], V4.B16
	VTBL   V29.B16, [V3.B16], V5.B16
	VTBL   V30.B16, [V3.B16], V6.B16
	VTBL   V31.B16, [V3.B16], V7.B16
	VUCVTF_4S(28, 4, 4)
	VUCVTF_4S(28, 5, 5)
	VUCVTF_4S(28, 6, 6)
	VUCVTF_4S(28, 7, 7)
	VFMUL_ELEM_4S(22, 0, 4, 4) // q·d1[4]
	VFMUL_ELEM_4S(22, 0, 5, 5) // q·d1[4]
	VFMUL_ELEM_4S(22, 0, 6, 6) // q·d1[4]
	VFMUL_ELEM_4S(22, 0, 7, 7) // q·d1[4]
	VFMLS  V18.S4, V16.S4, V4.S4 // − dmin·m[4]
	VFMLS  V18.S4, V16.S4, V5.S4 // − dmin·m[4]
	VFMLS  V18.S4, V16.S4, V6.S4 // − dmin·m[4]
	VFMLS  V18.S4, V16.S4, V7.S4 // − dmin·m[4]
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	VDUP   V24.S[1], V18.S4 // m[5]
	VTBL   V28.B16, [V0.B16], V4.B16
	VTBL   V29.B16, [V0.B16], V5.B16
	VTBL   V30.B16, [V0.B16], V6.B16
	VTBL   V31.B16, [V0.B16], V7.B16
	VUCVTF_4S(28, 4, 4)
	VUCVTF_4S(28, 5, 5)
	VUCVTF_4S(28, 6, 6)
	VUCVTF_4S(28, 7, 7)
	VFMUL_ELEM_4S(22, 1, 4, 4) // q·d1[5]
	VFMUL_ELEM_4S(22, 1, 5, 5) // q·d1[5]
	VFMUL_ELEM_4S(22, 1, 6, 6) // q·d1[5]
	VFMUL_ELEM_4S(22, 1, 7, 7) // q·d1[5]
	VFMLS  V18.S4, V16.S4, V4.S4 // − dmin·m[5]
	VFMLS  V18.S4, V16.S4, V5.S4 // − dmin·m[5]
	VFMLS  V18.S4, V16.S4, V6.S4 // − dmin·m[5]
	VFMLS  V18.S4, V16.S4, V7.S4 // − dmin·m[5]
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	VTBL   V28.B16, [V1.B16], V4.B16
	VTBL   V29.B16, [V1.B16], V5.B16
	VTBL   V30.B16, [V1.B16], V6.B16
	VTBL   V31.B16, [V1.B16], V7.B16
	VUCVTF_4S(28, 4, 4)
	VUCVTF_4S(28, 5, 5)
	VUCVTF_4S(28, 6, 6)
	VUCVTF_4S(28, 7, 7)
	VFMUL_ELEM_4S(22, 1, 4, 4) // q·d1[5]
	VFMUL_ELEM_4S(22, 1, 5, 5) // q·d1[5]
	VFMUL_ELEM_4S(22, 1, 6, 6) // q·d1[5]
	VFMUL_ELEM_4S(22, 1, 7, 7) // q·d1[5]
	VFMLS  V18.S4, V16.S4, V4.S4 // − dmin·m[5]
	VFMLS  V18.S4, V16.S4, V5.S4 // − dmin·m[5]
	VFMLS  V18.S4, V16.S4, V6.S4 // − dmin·m[5]
	VFMLS  V18.S4, V16.S4, V7.S4 // − dmin·m[5]
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	// weights 192..223 (sub-block 6) and 224..255 (sub-block 7)
	VLD1.P 32(R3), [V0.B16, V1.B16]
	VSHL   $4, V0.B16, V2.B16
	VSHL   $4, V1.B16, V3.B16
	VAND   V26.B16, V0.B16, V0.B16
	VAND   V26.B16, V1.B16, V1.B16
	VDUP   V24.S[2], V18.S4 // m[6]
	VTBL   V28.B16, [V2.B16], V4.B16
	VTBL   V29.B16, [V2.B16], V5.B16
	VTBL   V30.B16, [V2.B16], V6.B16
	VTBL   V31.B16, [V2.B16], V7.B16
	VUCVTF_4S(28, 4, 4)
	VUCVTF_4S(28, 5, 5)
	VUCVTF_4S(28, 6, 6)
	VUCVTF_4S(28, 7, 7)
	VFMUL_ELEM_4S(22, 2, 4, 4) // q·d1[6]
	VFMUL_ELEM_4S(22, 2, 5, 5) // q·d1[6]
	VFMUL_ELEM_4S(22, 2, 6, 6) // q·d1[6]
	VFMUL_ELEM_4S(22, 2, 7, 7) // q·d1[6]
	VFMLS  V18.S4, V16.S4, V4.S4 // − dmin·m[6]
	VFMLS  V18.S4, V16.S4, V5.S4 // − dmin·m[6]
	VFMLS  V18.S4, V16.S4, V6.S4 // − dmin·m[6]
	VFMLS  V18.S4, V16.S4, V7.S4 // − dmin·m[6]
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	VTBL   V28.B16, [V3.B16], V4.B16
	VTBL   V29.B16, [V3.B16], V5.B16
	VTBL   V30.B16, [V3.B16], V6.B16
	VTBL   V31.B16, [V3.B16], V7.B16
	VUCVTF_4S(28, 4, 4)
	VUCVTF_4S(28, 5, 5)
	VUCVTF_4S(28, 6, 6)
	VUCVTF_4S(28, 7, 7)
	VFMUL_ELEM_4S(22, 2, 4, 4) // q·d1[6]
	VFMUL_ELEM_4S(22, 2, 5, 5) // q·d1[6]
	VFMUL_ELEM_4S(22, 2, 6, 6) // q·d1[6]
	VFMUL_ELEM_4S(22, 2, 7, 7) // q·d1[6]
	VFMLS  V18.S4, V16.S4, V4.S4 // − dmin·m[6]
	VFMLS  V18.S4, V16.S4, V5.S4 // − dmin·m[6]
	VFMLS  V18.S4, V16.S4, V6.S4 // − dmin·m[6]
	VFMLS  V18.S4, V16.S4, V7.S4 // − dmin·m[6]
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	VDUP   V24.S[3], V18.S4 // m[7]
	VTBL   V28.B16, [V0.B16], V4.B16
	VTBL   V29.B16, [V0.B16], V5.B16
	VTBL   V30.B16, [V0.B16], V6.B16
	VTBL   V31.B16, [V0.B16], V7.B16
	VUCVTF_4S(28, 4, 4)
	VUCVTF_4S(28, 5, 5)
	VUCVTF_4S(28, 6, 6)
	VUCVTF_4S(28, 7, 7)
	VFMUL_ELEM_4S(22, 3, 4, 4) // q·d1[7]
	VFMUL_ELEM_4S(22, 3, 5, 5) // q·d1[7]
	VFMUL_ELEM_4S(22, 3, 6, 6) // q·d1[7]
	VFMUL_ELEM_4S(22, 3, 7, 7) // q·d1[7]
	VFMLS  V18.S4, V16.S4, V4.S4 // − dmin·m[7]
	VFMLS  V18.S4, V16.S4, V5.S4 // − dmin·m[7]
	VFMLS  V18.S4, V16.S4, V6.S4 // − dmin·m[7]
	VFMLS  V18.S4, V16.S4, V7.S4 // − dmin·m[7]
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	VTBL   V28.B16, [V1.B16], V4.B16
	VTBL   V29.B16, [V1.B16], V5.B16
	VTBL   V30.B16, [V1.B16], V6.B16
	VTBL   V31.B16, [V1.B16], V7.B16
	VUCVTF_4S(28, 4, 4)
	VUCVTF_4S(28, 5, 5)
	VUCVTF_4S(28, 6, 6)
	VUCVTF_4S(28, 7, 7)
	VFMUL_ELEM_4S(22, 3, 4, 4) // q·d1[7]
	VFMUL_ELEM_4S(22, 3, 5, 5) // q·d1[7]
	VFMUL_ELEM_4S(22, 3, 6, 6) // q·d1[7]
	VFMUL_ELEM_4S(22, 3, 7, 7) // q·d1[7]
	VFMLS  V18.S4, V16.S4, V4.S4 // − dmin·m[7]
	VFMLS  V18.S4, V16.S4, V5.S4 // − dmin·m[7]
	VFMLS  V18.S4, V16.S4, V6.S4 // − dmin·m[7]
	VFMLS  V18.S4, V16.S4, V7.S4 // − dmin·m[7]
	VST1.P [V4.S4, V5.S4, V6.S4, V7.S4], 64(R0)
	ADD    $144, R1
	CMP    R2, R1
	BLO    q4kblock
	RET

// func dequantQ6_KNEON(dst []float32, src []byte)
// Requires len(src) a positive multiple of 210, len(dst) >= len(src)/210*256.
// Block {u8 ql[128]; u8 qh[64]; int8 scales[16]; f16 d}. ds = d·sc
// (V21..V24, exact, the scalar code's first product). Half h uses
// ql[64h:], qh[32h:] and ds[8h:8h+8]; with a = ql[64h+l], b = ql[64h+32+l],
// c = qh[32h+l] for l < 32 (l < 16 in group g = 0, else g = 1), the codes
// times 4 (top-aligned in their byte) are
// 	code(l)<<2    = SLI(a<<2, c, 6)		a&15 | (c&3)<<4
// 	code(l+32)<<2 = SLI(b<<2, c>>2, 6)	b&15 | (c>>2&3)<<4
// 	code(l+64)<<2 = SRI(c<<2, a&0xf0, 2)	a>>4 | (c>>4&3)<<4
// 	code(l+96)<<2 = SRI(c, b&0xf0, 2)	b>>4 | (c>>6)<<4
// (SLI keeps the destination's low 6 bits, SRI its top 2), and XOR 0x80
// makes them the int8 (code-32)·4, so on top of a lane SCVTF #26 gives
// code-32; weight l+32k of the half is ds[8h+2k+g]·(code-32), exact.
TEXT ·dequantQ6_KNEON(SB), NOSPLIT|NOFRAME, $0-48
	MOVD dst_base+0(FP), R0
	MOVD src_base+24(FP), R1
	MOVD src_len+32(FP), R2
	ADD   R1, R2, R2 // R2 = the end of src
	MOVD $dq_tbltop<>(SB), R3
	VLD1 (R3), [V28.B16, V29.B16, V30.B16, V31.B16]
	VMOVI $0x80, V27.B16
	VMOVI $0xF0, V26.B16

q6kblock:
	ADD   $192, R1, R4
	VLD1  (R4), [V20.B16] // scales
	ADD   $208, R1, R4
	VLD1  (R4), V25.H[0]
	VFCVTL_4S(25, 25) // V25.S[0] = d
	VTBL   V28.B16, [V20.B16], V21.B16
	VTBL   V29.B16, [V20.B16], V22.B16
	VTBL   V30.B16, [V20.B16], V23.B16
	VTBL   V31.B16, [V20.B16], V24.B16
	VSCVTF_4S(24, 21, 21)
	VSCVTF_4S(24, 22, 22)
	VSCVTF_4S(24, 23, 23)
	VSCVTF_4S(24, 24, 24)
	VFMUL_ELEM_4S(25, 0, 21, 21) // ds[0:4]
	VFMUL_ELEM_4S(25, 0, 22, 22) // ds[4:8]
	VFMUL_ELEM_4S(25, 0, 23, 23) // ds[8:12]
	VFMUL_ELEM_4S(25, 0, 24, 24) // ds[12:16]
	// half 0
	VLD1   (R1), [V0.B16, V1.B16, V2.B16, V3.B16] // ql[0:64]
	ADD    $128, R1, R4
	VLD1   (R4), [V4.B16, V5.B16] // qh[0:32]
	// l = 0..15: a = V0, b = V2, c = V4
	VSHL   $2, V0.B16, V6.B16
	VSLI   $6, V4.B16, V6.B16
	VEOR   V27.B16, V6.B16, V6.B16 // code(l)
	VSHL   $2, V2.B16, V7.B16
	VUSHR  $2, V4.B16, V8.B16
	VSLI   $6, V8.B16, V7.B16
	VEOR   V27.B16, V7.B16, V7.B16 // code(l+32)
	VAND   V26.B16, V0.B16, V8.B16
	VSHL   $2, V4.B16, V9.B16
	VSRI   $2, V8.B16, V9.B16
	VEOR   V27.B16, V9.B16, V9.B16 // code(l+64)
	VAND   V26.B16, V2.B16, V8.B16
	VORR   V4.B16, V4.B16, V10.B16
	VSRI   $2, V8.B16, V10.B16
	VEOR   V27.B16, V10.B16, V10.B16 // code(l+96)
	VTBL   V28.B16, [V6.B16], V11.B16
	VTBL   V29.B16, [V6.B16], V12.B16
	VTBL   V30.B16, [V6.B16], V13.B16
	VTBL   V31.B16, [V6.B16], V14.B16
	VSCVTF_4S(26, 11, 11)
	VSCVTF_4S(26, 12, 12)
	VSCVTF_4S(26, 13, 13)
	VSCVTF_4S(26, 14, 14)
	VFMUL_ELEM_4S(21, 0, 11, 11) // ds[0]
	VFMUL_ELEM_4S(21, 0, 12, 12) // ds[0]
	VFMUL_ELEM_4S(21, 0, 13, 13) // ds[0]
	VFMUL_ELEM_4S(21, 0, 14, 14) // ds[0]
	VST1   [V11.S4, V12.S4, V13.S4, V14.S4], (R0)
	VTBL   V28.B16, [V7.B16], V11.B16
	VTBL   V29.B16, [V7.B16], V12.B16
	VTBL   V30.B16, [V7.B16], V13.B16
	VTBL   V31.B16, [V7.B16], V14.B16
	VSCVTF_4S(26, 11, 11)
	VSCVTF_4S(26, 12, 12)
	VSCVTF_4S(26, 13, 13)
	VSCVTF_4S(26, 14, 14)
	VFMUL_ELEM_4S(21, 2, 11, 11) // ds[2]
	VFMUL_ELEM_4S(21, 2, 12, 12) // ds[2]
	VFMUL_ELEM_4S(21, 2, 13, 13) // ds[2]
	VFMUL_ELEM_4S(21, 2, 14, 14) // ds[2]
	ADD    $128, R0, R5
	VST1   [V11.S4, V12.S4, V13.S4, V14.S4], (R5)
	VTBL   V28.B16, [V9.B16], V11.B16
	VTBL   V29.B16, [V9.B16], V12.B16
	VTBL   V30.B16, [V9.B16], V13.B16
	VTBL   V31.B16, [V9.B16], V14.B16
	VSCVTF_4S(26, 11, 11)
	VSCVTF_4S(26, 12, 12)
	VSCVTF_4S(26, 13, 13)
	VSCVTF_4S(26, 14, 14)
	VFMUL_ELEM_4S(22, 0, 11, 11) // ds[4]
	VFMUL_ELEM_4S(22, 0, 12, 12) // ds[4]
	VFMUL_ELEM_4S(22, 0, 13, 13) // ds[4]
	VFMUL_ELEM_4S(22, 0, 14, 14) // ds[4]
	ADD    $256, R0, R5
	VST1   [V11.S4, V12.S4, V13.S4, V14.S4], (R5)
	VTBL   V28.B16, [V10.B16], V11.B16
	VTBL   V29.B16, [V10.B16], V12.B16
	VTBL   V30.B16, [V10.B16], V13.B16
	VTBL   V31.B16, [V10.B16], V14.B16
	VSCVTF_4S(26, 11, 11)
	VSCVTF_4S(26, 12, 12)
	VSCVTF_4S(26, 13, 13)
	VSCVTF_4S(26, 14, 14)
	VFMUL_ELEM_4S(22, 2, 11, 11) // ds[6]
	VFMUL_ELEM_4S(22, 2, 12, 12) // ds[6]
	VFMUL_ELEM_4S(22, 2, 13, 13) // ds[6]
	VFMUL_ELEM_4S(22, 2, 14, 14) // ds[6]
	ADD    $384, R0, R5
	VST1   [V11.S4, V12.S4, V13.S4, V14.S4], (R5)
	// l = 16..31: a = V1, b = V3, c = V5
	VSHL   $2, V1.B16, V6.B16
	VSLI   $6, V5.B16, V6.B16
	VEOR   V27.B16, V6.B16, V6.B16 // code(l)
	VSHL   $2, V3.B16, V7.B16
	VUSHR  $2, V5.B16, V8.B16
	VSLI   $6, V8.B16, V7.B16
	VEOR   V27.B16, V7.B16, V7.B16 // code(l+32)
	VAND   V26.B16, V1.B16, V8.B16
	VSHL   $2, V5.B16, V9.B16
	VSRI   $2, V8.B16, V9.B16
	VEOR   V27.B16, V9.B16, V9.B16 // code(l+64)
	VAND   V26.B16, V3.B16, V8.B16
	VORR   V5.B16, V5.B16, V10.B16
	VSRI   $2, V8.B16, V10.B16
	VEOR   V27.B16, V10.B16, V10.B16 // code(l+96)
	VTBL   V28.B16, [V6.B16], V11.B16
	VTBL   V29.B16, [V6.B16], V12.B16
	VTBL   V30.B16, [V6.B16], V13.B16
	VTBL   V31.B16, [V6.B16], V14.B16
	VSCVTF_4S(26, 11, 11)
	VSCVTF_4S(26, 12, 12)
	VSCVTF_4S(26, 13, 13)
	VSCVTF_4S(26, 14, 14)
	VFMUL_ELEM_4S(21, 1, 11, 11) // ds[1]
	VFMUL_ELEM_4S(21, 1, 12, 12) // ds[1]
	VFMUL_ELEM_4S(21, 1, 13, 13) // ds[1]
	VFMUL_ELEM_4S(21, 1, 14, 14) // ds[1]
	ADD    $64, R0, R5
	VST1   [V11.S4, V12.S4, V13.S4, V14.S4], (R5)
	VTBL   V28.B16, [V7.B16], V11.B16
	VTBL   V29.B16, [V7.B16], V12.B16
	VTBL   V30.B16, [V7.B16], V13.B16
	VTBL   V31.B16, [V7.B16], V14.B16
	VSCVTF_4S(26, 11, 11)
	VSCVTF_4S(26, 12, 12)
	VSCVTF_4S(26, 13, 13)
	VSCVTF_4S(26, 14, 14)
	VFMUL_ELEM_4S(21, 3, 11, 11) // ds[3]
	VFMUL_ELEM_4S(21, 3, 12, 12) // ds[3]
	VFMUL_ELEM_4S(21, 3, 13, 13) // ds[3]
	VFMUL_ELEM_4S(21, 3, 14, 14) // ds[3]
	ADD    $192, R0, R5
	VST1   [V11.S4, V12.S4, V13.S4, V14.S4], (R5)
	VTBL   V28.B16, [V9.B16], V11.B16
	VTBL   V29.B16, [V9.B16], V12.B16
	VTBL   V30.B16, [V9.B16], V13.B16
	VTBL   V31.B16, [V9.B16], V14.B16
	VSCVTF_4S(26, 11, 11)
	VSCVTF_4S(26, 12, 12)
	VSCVTF_4S(26, 13, 13)
	VSCVTF_4S(26, 14, 14)
	VFMUL_ELEM_4S(22, 1, 11, 11) // ds[5]
	VFMUL_ELEM_4S(22, 1, 12, 12) // ds[5]
	VFMUL_ELEM_4S(22, 1, 13, 13) // ds[5]
	VFMUL_ELEM_4S(22, 1, 14, 14) // ds[5]
	ADD    $320, R0, R5
	VST1   [V11.S4, V12.S4, V13.S4, V14.S4], (R5)
	VTBL   V28.B16, [V10.B16], V11.B16
	VTBL   V29.B16, [V10.B16], V12.B16
	VTBL   V30.B16, [V10.B16], V13.B16
	VTBL   V31.B16, [V10.B16], V14.B16
	VSCVTF_4S(26, 11, 11)
	VSCVTF_4S(26, 12, 12)
	VSCVTF_4S(26, 13, 13)
	VSCVTF_4S(26, 14, 14)
	VFMUL_ELEM_4S(22, 3, 11, 11) // ds[7]
	VFMUL_ELEM_4S(22, 3, 12, 12) // ds[7]
	VFMUL_ELEM_4S(22, 3, 13, 13) // ds[7]
	VFMUL_ELEM_4S(22, 3, 14, 14) // ds[7]
	ADD    $448, R0, R5
	VST1   [V11.S4, V12.S4, V13.S4, V14.S4], (R5)
	// half 1
	ADD    $64, R1, R4
	VLD1   (R4), [V0.B16, V1.B16, V2.B16, V3.B16] // ql[64:128]
	ADD    $160, R1, R4
	VLD1   (R4), [V4.B16, V5.B16] // qh[32:64]
	// l = 0..15: a = V0, b = V2, c = V4
	VSHL   $2, V0.B16, V6.B16
	VSLI   $6, V4.B16, V6.B16
	VEOR   V27.B16, V6.B16, V6.B16 // code(l)
	VSHL   $2, V2.B16, V7.B16
	VUSHR  $2, V4.B16, V8.B16
	VSLI   $6, V8.B16, V7.B16
	VEOR   V27.B16, V7.B16, V7.B16 // code(l+32)
	VAND   V26.B16, V0.B16, V8.B16
	VSHL   $2, V4.B16, V9.B16
	VSRI   $2, V8.B16, V9.B16
	VEOR   V27.B16, V9.B16, V9.B16 // code(l+64)
	VAND   V26.B16, V2.B16, V8.B16
	VORR   V4.B16, V4.B16, V10.B16
	VSRI   $2, V8.B16, V10.B16
	VEOR   V27.B16, V10.B16, V10.B16 // code(l+96)
	VTBL   V28.B16, [V6.B16], V11.B16
	VTBL   V29.B16, [V6.B16], V12.B16
	VTBL   V30.B16, [V6.B16], V13.B16
	VTBL   V31.B16, [V6.B16], V14.B16
	VSCVTF_4S(26, 11, 11)
	VSCVTF_4S(26, 12, 12)
	VSCVTF_4S(26, 13, 13)
	VSCVTF_4S(26, 14, 14)
	VFMUL_ELEM_4S(23, 0, 11, 11) // ds[8]
	VFMUL_ELEM_4S(23, 0, 12, 12) // ds[8]
	VFMUL_ELEM_4S(23, 0, 13, 13) // ds[8]
	VFMUL_ELEM_4S(23, 0, 14, 14) // ds[8]
	ADD    $512, R0, R5
	VST1   [V11.S4, V12.S4, V13.S4, V14.S4], (R5)
	VTBL   V28.B16, [V7.B16], V11.B16
	VTBL   V29.B16, [V7.B16], V12.B16
	VTBL   V30.B16, [V7.B16], V13.B16
	VTBL   V31.B16, [V7.B16], V14.B16
	VSCVTF_4S(26, 11, 11)
	VSCVTF_4S(26, 12, 12)
	VSCVTF_4S(26, 13, 13)
	VSCVTF_4S(26, 14, 14)
	VFMUL_ELEM_4S(23, 2, 11, 11) // ds[10]
	VFMUL_ELEM_4S(23, 2, 12, 12) // ds[10]
	VFMUL_ELEM_4S(23, 2, 13, 13) // ds[10]
	VFMUL_ELEM_4S(23, 2, 14, 14) // ds[10]
	ADD    $640, R0, R5
	VST1   [V11.S4, V12.S4, V13.S4, V14.S4], (R5)
	VTBL   V28.B16, [V9.B16], V11.B16
	VTBL   V29.B16, [V9.B16], V12.B16
	VTBL   V30.B16, [V9.B16], V13.B16
	VTBL   V31.B16, [V9.B16], V14.B16
	VSCVTF_4S(26, 11, 11)
	VSCVTF_4S(26, 12, 12)
	VSCVTF_4S(26, 13, 13)
	VSCVTF_4S(26, 14, 14)
	VFMUL_ELEM_4S(24, 0, 11, 11) // ds[12]
	VFMUL_ELEM_4S(24, 0, 12, 12) // ds[12]
	VFMUL_ELEM_4S(24, 0, 13, 13) // ds[12]
	VFMUL_ELEM_4S(24, 0, 14, 14) // ds[12]
	ADD    $768, R0, R5
	VST1   [V11.S4, V12.S4, V13.S4, V14.S4], (R5)
	VTBL   V28.B16, [V10.B16], V11.B16
	VTBL   V29.B16, [V10.B16], V12.B16
	VTBL   V30.B16, [V10.B16], V13.B16
	VTBL   V31.B16, [V10.B16], V14.B16
	VSCVTF_4S(26, 11, 11)
	VSCVTF_4S(26, 12, 12)
	VSCVTF_4S(26, 13, 13)
	VSCVTF_4S(26, 14, 14)
	VFMUL_ELEM_4S(24, 2, 11, 11) // ds[14]
	VFMUL_ELEM_4S(24, 2, 12, 12) // ds[14]
	VFMUL_ELEM_4S(24, 2, 13, 13) // ds[14]
	VFMUL_ELEM_4S(24, 2, 14, 14) // ds[14]
	ADD    $896, R0, R5
	VST1   [V11.S4, V12.S4, V13.S4, V14.S4], (R5)
	// l = 16..31: a = V1, b = V3, c = V5
	VSHL   $2, V1.B16, V6.B16
	VSLI   $6, V5.B16, V6.B16
	VEOR   V27.B16, V6.B16, V6.B16 // code(l)
	VSHL   $2, V3.B16, V7.B16
	VUSHR  $2, V5.B16, V8.B16
	VSLI   $6, V8.B16, V7.B16
	VEOR   V27.B16, V7.B16, V7.B16 // code(l+32)
	VAND   V26.B16, V1.B16, V8.B16
	VSHL   $2, V5.B16, V9.B16
	VSRI   $2, V8.B16, V9.B16
	VEOR   V27.B16, V9.B16, V9.B16 // code(l+64)
	VAND   V26.B16, V3.B16, V8.B16
	VORR   V5.B16, V5.B16, V10.B16
	VSRI   $2, V8.B16, V10.B16
	VEOR   V27.B16, V10.B16, V10.B16 // code(l+96)
	VTBL   V28.B16, [V6.B16], V11.B16
	VTBL   V29.B16, [V6.B16], V12.B16
	VTBL   V30.B16, [V6.B16], V13.B16
	VTBL   V31.B16, [V6.B16], V14.B16
	VSCVTF_4S(26, 11, 11)
	VSCVTF_4S(26, 12, 12)
	VSCVTF_4S(26, 13, 13)
	VSCVTF_4S(26, 14, 14)
	VFMUL_ELEM_4S(23, 1, 11, 11) // ds[9]
	VFMUL_ELEM_4S(23, 1, 12, 12) // ds[9]
	VFMUL_ELEM_4S(23, 1, 13, 13) // ds[9]
	VFMUL_ELEM_4S(23, 1, 14, 14) // ds[9]
	ADD    $576, R0, R5
	VST1   [V11.S4, V12.S4, V13.S4, V14.S4], (R5)
	VTBL   V28.B16, [V7.B16], V11.B16
	VTBL   V29.B16, [V7.B16], V12.B16
	VTBL   V30.B16, [V7.B16], V13.B16
	VTBL   V31.B16, [V7.B16], V14.B16
	VSCVTF_4S(26, 11, 11)
	VSCVTF_4S(26, 12, 12)
	VSCVTF_4S(26, 13, 13)
	VSCVTF_4S(26, 14, 14)
	VFMUL_ELEM_4S(23, 3, 11, 11) // ds[11]
	VFMUL_ELEM_4S(23, 3, 12, 12) // ds[11]
	VFMUL_ELEM_4S(23, 3, 13, 13) // ds[11]
	VFMUL_ELEM_4S(23, 3, 14, 14) // ds[11]
	ADD    $704, R0, R5
	VST1   [V11.S4, V12.S4, V13.S4, V14.S4], (R5)
	VTBL   V28.B16, [V9.B16], V11.B16
	VTBL   V29.B16, [V9.B16], V12.B16
	VTBL   V30.B16, [V9.B16], V13.B16
	VTBL   V31.B16, [V9.B16], V14.B16
	VSCVTF_4S(26, 11, 11)
	VSCVTF_4S(26, 12, 12)
	VSCVTF_4S(26, 13, 13)
	VSCVTF_4S(26, 14, 14)
	VFMUL_ELEM_4S(24, 1, 11, 11) // ds[13]
	VFMUL_ELEM_4S(24, 1, 12, 12) // ds[13]
	VFMUL_ELEM_4S(24, 1, 13, 13) // ds[13]
	VFMUL_ELEM_4S(24, 1, 14, 14) // ds[13]
	ADD    $832, R0, R5
	VST1   [V11.S4, V12.S4, V13.S4, V14.S4], (R5)
	VTBL   V28.B16, [V10.B16], V11.B16
	VTBL   V29.B16, [V10.B16], V12.B16
	VTBL   V30.B16, [V10.B16], V13.B16
	VTBL   V31.B16, [V10.B16], V14.B16
	VSCVTF_4S(26, 11, 11)
	VSCVTF_4S(26, 12, 12)
	VSCVTF_4S(26, 13, 13)
	VSCVTF_4S(26, 14, 14)
	VFMUL_ELEM_4S(24, 3, 11, 11) // ds[15]
	VFMUL_ELEM_4S(24, 3, 12, 12) // ds[15]
	VFMUL_ELEM_4S(24, 3, 13, 13) // ds[15]
	VFMUL_ELEM_4S(24, 3, 14, 14) // ds[15]
	ADD    $960, R0, R5
	VST1   [V11.S4, V12.S4, V13.S4, V14.S4], (R5)
	ADD    $1024, R0
	ADD    $210, R1
	CMP    R2, R1
	BLO    q6kblock
	RET

// dq_tbltop: TBL indices; entry k (16 bytes) puts byte 4k+i of the table
// vector in the top byte of lane i and zeros (0xff, out of range) below.
DATA dq_tbltop<>+0x00(SB)/8, $0x01ffffff00ffffff
DATA dq_tbltop<>+0x08(SB)/8, $0x03ffffff02ffffff
DATA dq_tbltop<>+0x10(SB)/8, $0x05ffffff04ffffff
DATA dq_tbltop<>+0x18(SB)/8, $0x07ffffff06ffffff
DATA dq_tbltop<>+0x20(SB)/8, $0x09ffffff08ffffff
DATA dq_tbltop<>+0x28(SB)/8, $0x0bffffff0affffff
DATA dq_tbltop<>+0x30(SB)/8, $0x0dffffff0cffffff
DATA dq_tbltop<>+0x38(SB)/8, $0x0fffffff0effffff
GLOBL dq_tbltop<>(SB), RODATA|NOPTR, $64

// dq_keep: every bit of a single but the quiet bit 22 (0xffbfffff), four
// lanes; the F16 fix's mask of the bits FCVTL got right.
DATA dq_keep<>+0x00(SB)/8, $0xffbfffffffbfffff
DATA dq_keep<>+0x08(SB)/8, $0xffbfffffffbfffff
GLOBL dq_keep<>(SB), RODATA|NOPTR, $16
