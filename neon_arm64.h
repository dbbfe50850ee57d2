// NEON float instructions that the Go arm64 assembler does not know, as WORD
// macros. This is the one place where they are defined; every .s file of the
// package that needs them includes this header.
//
// Arguments are register NUMBERS (0 for V0, 31 for V31) in Go operand order,
// sources first and destination last, so that a site reads like the Go
// instruction it stands for:
//
//	VFADD_4S(1, 2, 3)   // V3 = V2 + V1, GNU: fadd v3.4s, v2.4s, v1.4s
//
// Each macro is preceded by a "gnu:" line, the GNU syntax it must decode to
// with <m>, <n>, <d> standing for its arguments. .ci/neon_words.sh expands
// every macro site of the package's .s files with those lines and compares
// them with `go tool objdump -gnu` of the arm64 test binary, so a wrong
// constant fails CI rather than computing garbage. Macro sites must
// therefore be written one per line with literal numbers, not inside other
// macros.
//
// Encodings: the Arm Architecture Reference Manual (DDI 0487), A64
// encoding index, "Data Processing -- Scalar Floating-Point and Advanced
// SIMD", in the instruction classes named below. Fields:
// Q (bit 30) = 1 for 128-bit vectors, U (bit 29), sz (bit 22) = 1 for double
// lanes, Rm bits 20:16, Rn bits 9:5, Rd bits 4:0. Each base constant is the
// instruction with all register fields zero; the macro ORs the registers in.

// --- "Advanced SIMD three same" (floating point):
//     0 Q U 01110 a sz 1 Rm opcode(15:11) 1 Rn Rd
// With Q=1, U=0, a=0, sz=0 and opcode 0 this is 0x4E200400; each
// instruction adds U<<29, a<<23, sz<<22 and opcode<<11.

// FADD (vector): opcode 11010 (0xD000): 0x4E200400 | 0xD000 = 0x4E20D400.
// gnu: fadd v<d>.4s, v<n>.4s, v<m>.4s
#define VFADD_4S(m, n, d) WORD $(0x4E20D400 | (m)<<16 | (n)<<5 | (d))

// FSUB (vector): FADD with a=1: 0x4E20D400 | 1<<23 = 0x4EA0D400.
// gnu: fsub v<d>.4s, v<n>.4s, v<m>.4s
#define VFSUB_4S(m, n, d) WORD $(0x4EA0D400 | (m)<<16 | (n)<<5 | (d))

// FADDP (vector): FADD with U=1: 0x4E20D400 | 1<<29 = 0x6E20D400.
// Vd = [n0+n1, n2+n3, m0+m1, m2+m3].
// gnu: faddp v<d>.4s, v<n>.4s, v<m>.4s
#define VFADDP_4S(m, n, d) WORD $(0x6E20D400 | (m)<<16 | (n)<<5 | (d))

// FMUL (vector): U=1, opcode 11011 (0xD800): 0x6E200400 | 0xD800 = 0x6E20DC00.
// gnu: fmul v<d>.4s, v<n>.4s, v<m>.4s
#define VFMUL_4S(m, n, d) WORD $(0x6E20DC00 | (m)<<16 | (n)<<5 | (d))

// FMAX (vector): opcode 11110 (0xF000): 0x4E200400 | 0xF000 = 0x4E20F400.
// A NaN in either operand gives NaN (unlike FMAXNM), as Max needs.
// gnu: fmax v<d>.4s, v<n>.4s, v<m>.4s
#define VFMAX_4S(m, n, d) WORD $(0x4E20F400 | (m)<<16 | (n)<<5 | (d))

// FCMEQ (register): opcode 11100 (0xE000): 0x4E200400 | 0xE000 = 0x4E20E400.
// Lanes with n == m become all ones, others zero; NaN compares unequal, so
// FCMEQ(x, x) is the "not NaN" mask.
// gnu: fcmeq v<d>.4s, v<n>.4s, v<m>.4s
#define VFCMEQ_4S(m, n, d) WORD $(0x4E20E400 | (m)<<16 | (n)<<5 | (d))

// FCMGE (register): FCMEQ with U=1: 0x4E20E400 | 1<<29 = 0x6E20E400.
// Lanes with n >= m become all ones; others, and NaN lanes, zero.
// gnu: fcmge v<d>.4s, v<n>.4s, v<m>.4s
#define VFCMGE_4S(m, n, d) WORD $(0x6E20E400 | (m)<<16 | (n)<<5 | (d))

// FCMGT (register): FCMGE with a=1: 0x6E20E400 | 1<<23 = 0x6EA0E400.
// Lanes with n > m become all ones; others, and NaN lanes, zero.
// gnu: fcmgt v<d>.4s, v<n>.4s, v<m>.4s
#define VFCMGT_4S(m, n, d) WORD $(0x6EA0E400 | (m)<<16 | (n)<<5 | (d))

// The same with double lanes, sz=1 (1<<22 = 0x00400000):

// FADD (vector) .2D: 0x4E20D400 | 1<<22 = 0x4E60D400.
// gnu: fadd v<d>.2d, v<n>.2d, v<m>.2d
#define VFADD_2D(m, n, d) WORD $(0x4E60D400 | (m)<<16 | (n)<<5 | (d))

// FSUB (vector) .2D: 0x4EA0D400 | 1<<22 = 0x4EE0D400.
// gnu: fsub v<d>.2d, v<n>.2d, v<m>.2d
#define VFSUB_2D(m, n, d) WORD $(0x4EE0D400 | (m)<<16 | (n)<<5 | (d))

// FMUL (vector) .2D: 0x6E20DC00 | 1<<22 = 0x6E60DC00.
// gnu: fmul v<d>.2d, v<n>.2d, v<m>.2d
#define VFMUL_2D(m, n, d) WORD $(0x6E60DC00 | (m)<<16 | (n)<<5 | (d))

// FCMGE (register) .2D: 0x6E20E400 | 1<<22 = 0x6E60E400.
// gnu: fcmge v<d>.2d, v<n>.2d, v<m>.2d
#define VFCMGE_2D(m, n, d) WORD $(0x6E60E400 | (m)<<16 | (n)<<5 | (d))

// --- "Advanced SIMD two-register miscellaneous":
//     0 Q U 01110 a sz 10000 opcode(16:12) 10 Rn Rd
// With Q=0, U=0, a=0, sz=0 and opcode 0 this is 0x0E200800.

// FCVTL (widen the low two singles of Vn to doubles): opcode 10111
// (0x17000), sz=1: 0x0E200800 | 0x17000 | 1<<22 = 0x0E617800.
// gnu: fcvtl v<d>.2d, v<n>.2s
#define VFCVTL_2D(n, d) WORD $(0x0E617800 | (n)<<5 | (d))

// FCVTL2 (widen the high two singles): FCVTL with Q=1, 0x4E617800.
// gnu: fcvtl2 v<d>.2d, v<n>.4s
#define VFCVTL2_2D(n, d) WORD $(0x4E617800 | (n)<<5 | (d))

// FNEG (vector): Q=1, U=1, a=1, opcode 01111 (0xF000):
// 0x0E200800 | 1<<30 | 1<<29 | 1<<23 | 0xF000 = 0x6EA0F800.
// gnu: fneg v<d>.4s, v<n>.4s
#define VFNEG_4S(n, d) WORD $(0x6EA0F800 | (n)<<5 | (d))

// --- "Advanced SIMD scalar pairwise": 01 U 11110 a sz 11000 opcode(16:12) 10 Rn Rd
// With U=1, a=0, sz=0 and opcode 0 this is 0x7E300800.

// FADDP (scalar) single: Sd = Vn.S[0] + Vn.S[1]; opcode 01101 (0xD000):
// 0x7E300800 | 0xD000 = 0x7E30D800.
// gnu: faddp s<d>, v<n>.2s
#define FADDP_2S(n, d) WORD $(0x7E30D800 | (n)<<5 | (d))

// FADDP (scalar) double: Dd = Vn.D[0] + Vn.D[1]; sz=1:
// 0x7E30D800 | 1<<22 = 0x7E70D800.
// gnu: faddp d<d>, v<n>.2d
#define FADDP_2D(n, d) WORD $(0x7E70D800 | (n)<<5 | (d))

// --- "Advanced SIMD across lanes": 0 Q U 01110 a sz 11000 opcode(16:12) 10 Rn Rd

// FMAXV: Sd = max of the four lanes of Vn (NaN if any is NaN); Q=1, U=1,
// a=0, sz=0, opcode 01111 (0xF000): 0x0E300800 | 1<<30 | 1<<29 | 0xF000
// = 0x6E30F800.
// gnu: fmaxv s<d>, v<n>.4s
#define FMAXV_4S(n, d) WORD $(0x6E30F800 | (n)<<5 | (d))

// --- Conversions and by-element products of the weight-format Gemv kernels
// (gemv_formats_arm64.s).

// FCVTL (widen the low four halves of Vn to singles): the "two-register
// miscellaneous" FCVTL above with sz=0: 0x0E617800 &^ 1<<22 = 0x0E217800.
// gnu: fcvtl v<d>.4s, v<n>.4h
#define VFCVTL_4S(n, d) WORD $(0x0E217800 | (n)<<5 | (d))

// FCVTL2 (widen the high four halves): FCVTL with Q=1, 0x4E217800.
// gnu: fcvtl2 v<d>.4s, v<n>.8h
#define VFCVTL2_4S(n, d) WORD $(0x4E217800 | (n)<<5 | (d))

// --- "Advanced SIMD shift by immediate":
//     0 Q U 011110 immh immb(22:16) opcode(15:11) 1 Rn Rd
// For single lanes immh = 01xx and fbits = 64 - immh:immb, so the 7-bit
// field immh:immb holds 64 - f.

// SCVTF (vector, fixed-point): signed int32 lanes / 2^f; Q=1, U=0,
// opcode 11100 (0xE000): 0x4F00E400 | (64-f)<<16, f in 1..32.
// gnu: scvtf v<d>.4s, v<n>.4s, #<f>
#define VSCVTF_4S(f, n, d) WORD $(0x4F00E400 | (64-(f))<<16 | (n)<<5 | (d))

// UCVTF (vector, fixed-point): unsigned int32 lanes / 2^f; SCVTF with U=1,
// 0x6F00E400.
// gnu: ucvtf v<d>.4s, v<n>.4s, #<f>
#define VUCVTF_4S(f, n, d) WORD $(0x6F00E400 | (64-(f))<<16 | (n)<<5 | (d))

// --- "Advanced SIMD vector x indexed element" (single lanes, sz=0):
//     0 Q U 01111 1 sz L M Rm(19:16) opcode(15:12) H 0 Rn Rd
// The element index i is H:L; M:Rm (bits 20:16) is the full register
// number. With Q=1, U=0 the base is 0x4F800000.

// FMLA (by element): Vd += Vn * Vm.S[i]; opcode 0001 (0x1000): 0x4F801000.
// gnu: fmla v<d>.4s, v<n>.4s, v<m>.s[<i>]
#define VFMLA_ELEM_4S(m, i, n, d) WORD $(0x4F801000 | ((i)&1)<<21 | ((i)>>1)<<11 | (m)<<16 | (n)<<5 | (d))

// FMUL (by element): Vd = Vn * Vm.S[i]; opcode 1001 (0x9000): 0x4F809000.
// gnu: fmul v<d>.4s, v<n>.4s, v<m>.s[<i>]
#define VFMUL_ELEM_4S(m, i, n, d) WORD $(0x4F809000 | ((i)&1)<<21 | ((i)>>1)<<11 | (m)<<16 | (n)<<5 | (d))

// FADD (vector) .2S: VFADD_4S with Q=0: 0x4E20D400 &^ 1<<30 = 0x0E20D400.
// Writes the low 64 bits of Vd and zeroes the upper ones.
// gnu: fadd v<d>.2s, v<n>.2s, v<m>.2s
#define VFADD_2S(m, n, d) WORD $(0x0E20D400 | (m)<<16 | (n)<<5 | (d))
