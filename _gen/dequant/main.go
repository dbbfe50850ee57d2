// Command dequant generates dequant_amd64.s: the AVX-512 and AVX2 decoders
// behind Matrix.Dequantize for the F16, BF16, Q8_0, Q4_0, Q4_K and Q6_K
// weight formats of package lmhead. Run it through go generate in the root.
//
// Every kernel is func(dst []float32, src []byte): it decodes the whole
// blocks of src into dst[:len(src)/BlockBytes·BlockSize], bit for bit as
// quant_decode.go (ggml's dequantize_row_*) does. Every decoded weight is a
// product that float32 holds exactly (a binary16 scale has 11 significant
// bits, the codes and sub-block scales at most 8, 7 and 6 more; see each
// format), so a vector multiply gives the same bits as the scalar one,
// NaN, ±Inf, ±0 and subnormal scales included, provided the operations come
// in the same order with the same operands; each kernel says how it keeps
// them.
//
// Kernel contract (dispatch.go): len(src) a positive multiple of the block
// bytes, len(dst) at least the weights; src at any address, dst at any
// float32 alignment. Nothing is read or written outside src and dst[:n]:
// the block formats read every block with loads that lie inside it and
// store whole blocks (32 or 256 float32s, whole vectors); F16 and BF16,
// whose block is one weight, finish with a tail of n mod Lanes weights that
// AVX-512 masks and AVX2 decodes one weight at a time (no VMASKMOVPS: qemu
// faults on its masked-off lanes).
package main

import (
	"flag"
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/lmhead/lmhead/_gen/vec"
)

func main() {
	// amd64 explicitly: the stubs file name does not end in _amd64.
	ConstraintExpr("amd64,!purego")
	for _, v := range vec.Levels() {
		halves("F16", v)
		halves("BF16", v)
		q8_0(v)
		q4_0(v)
		q4_K(v)
		q6_K(v)
	}
	Generate()
	vec.CheckAVX2Registers(flag.Lookup("out").Value.String())
}

// Block geometry (format.go): bytes and weights of one block.
const (
	q8Bytes  = 34  // {f16 d; int8 qs[32]}
	q4Bytes  = 18  // {f16 d; u8 qs[16]}
	q4KBytes = 144 // {f16 d, dmin; u8 scales[12]; u8 qs[128]}
	q6KBytes = 210 // {u8 ql[128]; u8 qh[64]; int8 scales[16]; f16 d}
)

// kernel opens the TEXT of name and loads its arguments: dst's base, src's
// base and len(src).
func kernel(name, doc string) (dst, src, n GPVirtual) {
	TEXT(name, NOSPLIT, "func(dst []float32, src []byte)")
	Pragma("noescape")
	Doc(name + " " + doc)
	dst, src, n = GP64(), GP64(), GP64()
	Load(Param("dst").Base(), dst)
	Load(Param("src").Base(), src)
	Load(Param("src").Len(), n)
	return dst, src, n
}

// label makes a label unique to the function.
func label(fn, s string) string { return fn + "_" + s }

// Constants: one 64-byte vector of sixteen equal dwords (or of the Q4_0
// code table), declared once per file; a ymm reads its first 32 bytes.
var constData = map[string]func(i int) uint32{
	// q4Table[k] = float32(k−8): the value of the 4-bit code k, ggml
	// storing q+8 in each nibble.
	"dq_q4Table": func(i int) uint32 { return math.Float32bits(float32(i - 8)) },
	// the low nibble of a dword holding one byte
	"dq_nib": func(int) uint32 { return 0x0f },
	// Q4_0's code offset: weight = d·(code−8)
	"dq_eight": func(int) uint32 { return 8 },
	// Q6_K: bits 4-5, where the two high bits of a 6-bit code go
	"dq_hi2": func(int) uint32 { return 0x30 },
	// Q6_K's code offset: weight = d·sc·(code−32)
	"dq_32": func(int) uint32 { return 32 },
	// the quiet bit of a float32 NaN, bit 22: a half's bit 9 shifted 13
	"dq_quiet": func(int) uint32 { return 0x00400000 },
}

var globals = map[string]Mem{}

func global(name string) Mem {
	if m, ok := globals[name]; ok {
		return m
	}
	m := GLOBL(name, RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32(constData[name](i)))
	}
	globals[name] = m
	return m
}

// loadConst loads a constant vector: VMOVDQU32 on AVX-512, VMOVDQU on AVX2.
func loadConst(v *vec.ISA, name string) VecVirtual {
	r := v.Vec()
	if v.Wide() {
		VMOVDQU32(global(name), r)
	} else {
		VMOVDQU(global(name), r)
	}
	return r
}

// and, or: the bitwise ops of v's width (VPANDD/VPORD are the EVEX forms).
func and(v *vec.ISA, a, b, d Op) {
	if v.Wide() {
		VPANDD(a, b, d)
	} else {
		VPAND(a, b, d)
	}
}

func or(v *vec.ISA, a, b, d Op) {
	if v.Wide() {
		VPORD(a, b, d)
	} else {
		VPOR(a, b, d)
	}
}

// halfScale returns the binary16 at m, converted exactly, in every lane of
// a vector of v's width: VPBROADCASTW repeats the half in every word of an
// xmm (ymm for AVX-512) and VCVTPH2PS converts those 8 (16) halves. It reads
// only the two bytes at m.
func halfScale(v *vec.ISA, m Mem) VecVirtual {
	d := v.Vec()
	if v.Wide() {
		h := YMM()
		VPBROADCASTW(m, h)
		VCVTPH2PS(h, d)
	} else {
		h := XMM()
		VPBROADCASTW(m, h)
		VCVTPH2PS(h, d)
	}
	return d
}

// halves emits dequant<F16|BF16><ISA>: n = len(src)/2 weights, four vectors
// a trip, then single vectors, then the tail of n mod Lanes.
//
//	F16:  VCVTPH2PS, exact for every half (subnormals become normal
//	      float32s, ±Inf stay, a NaN keeps its sign and payload shifted up
//	      13 bits) except that it quiets a signalling NaN, setting bit 22,
//	      where HalfToFloat32 keeps the half's bit 9 there (mant<<13). So
//	      every group of vectors is checked for NaN (one VCMPPS UNORD of
//	      their sum: a NaN lane makes it NaN; Inf−Inf only sends a group
//	      to the fix needlessly), and a group with one goes through
//	      fixSNaN, which puts the half's bit 9 back in the NaN lanes.
//	BF16: VPMOVZXWD zero-extends each half to a dword and VPSLLD 16 moves
//	      it to the top: the bits of the float32 whose top half it is.
func halves(f string, v *vec.ISA) {
	name := "dequant" + f + v.Name
	dst, src, n := kernel(name, fmt.Sprintf("decodes the len(src)/2 %s weights of src into dst. "+
		"It requires len(src) ≥ 2 even and len(dst) ≥ len(src)/2.", f))
	L := v.Lanes
	l := func(s string) string { return label(name, s) }
	decode := func(m Mem) VecVirtual {
		w := v.Vec()
		if f == "F16" {
			VCVTPH2PS(m, w)
		} else {
			VPMOVZXWD(m, w)
			VPSLLD(U8(16), w, w)
		}
		return w
	}
	Comment("n = the weights left")
	SHRQ(U8(1), n)

	Commentf("four vectors a trip: dst[0:%d] = decode(src[0:%d])", 4*L, 8*L)
	Label(l("quad"))
	CMPQ(n, U32(4*L))
	JB(LabelRef(l("single")))
	var w [4]VecVirtual
	for u := range w {
		w[u] = decode(Mem{Base: src, Disp: 2 * L * u})
	}
	if f == "F16" {
		Comment("any NaN among them? (their sum is NaN then)")
		s, t := v.Vec(), v.Vec()
		VADDPS(w[1], w[0], s)
		VADDPS(w[3], w[2], t)
		VADDPS(t, s, s)
		anyNaN(v, s, l("quadfix"))
		Label(l("quadstore"))
	}
	for u := range w {
		VMOVUPS(w[u], Mem{Base: dst, Disp: 4 * L * u})
	}
	ADDQ(U32(8*L), src)
	ADDQ(U32(16*L), dst)
	SUBQ(U32(4*L), n)
	JMP(LabelRef(l("quad")))
	if f == "F16" {
		Label(l("quadfix"))
		for u := range w {
			fixSNaN(v, w[u], Mem{Base: src, Disp: 2 * L * u}, nil)
		}
		JMP(LabelRef(l("quadstore")))
	}

	Commentf("then whole vectors of %d", L)
	Label(l("single"))
	CMPQ(n, U32(L))
	JB(LabelRef(l("tail")))
	w1 := decode(Mem{Base: src})
	if f == "F16" {
		anyNaN(v, w1, l("singlefix"))
		Label(l("singlestore"))
	}
	VMOVUPS(w1, Mem{Base: dst})
	ADDQ(U32(2*L), src)
	ADDQ(U32(4*L), dst)
	SUBQ(U32(L), n)
	JMP(LabelRef(l("single")))
	if f == "F16" {
		Label(l("singlefix"))
		fixSNaN(v, w1, Mem{Base: src}, nil)
		JMP(LabelRef(l("singlestore")))
	}

	Commentf("the last n < %d weights", L)
	Label(l("tail"))
	TESTQ(n, n)
	JZ(LabelRef(l("done")))
	if v.Wide() {
		// k = (1<<n)−1; the masked load neither reads nor faults on the
		// halves past n, and the masked store writes only n lanes.
		v.Tail(n)
		k, t := v.TailMask(), v.Vec()
		if f == "F16" {
			VCVTPH2PS_Z(Mem{Base: src}, k, t)
			fixSNaN(v, t, Mem{Base: src}, k)
		} else {
			VPMOVZXWD_Z(Mem{Base: src}, k, t)
			VPSLLD(U8(16), t, t)
		}
		VMOVUPS(t, k, Mem{Base: dst})
	} else {
		Comment("one weight at a time")
		Label(l("one"))
		h := GP32()
		MOVWLZX(Mem{Base: src}, h)
		if f == "F16" {
			// f = the converted half; if f is a NaN (|f| > +Inf as
			// integers), clear its bit 22 unless the half's bit 9 is set:
			// f &^= 0x400000 &^ (h<<13)
			x, fb, q := XMM(), GP32(), GP32()
			VMOVD(h, x)
			VCVTPH2PS(x, x)
			VMOVD(x, fb)
			MOVL(fb, q)
			ANDL(U32(0x7fffffff), q)
			CMPL(q, U32(0x7f800000))
			JBE(LabelRef(l("notnan")))
			SHLL(U8(13), h)
			NOTL(h)
			ANDL(U32(0x00400000), h)
			NOTL(h)
			ANDL(h, fb)
			Label(l("notnan"))
			MOVL(fb, Mem{Base: dst})
		} else {
			SHLL(U8(16), h)
			MOVL(h, Mem{Base: dst})
		}
		ADDQ(U8(2), src)
		ADDQ(U8(4), dst)
		DECQ(n)
		JNZ(LabelRef(l("one")))
	}
	Label(l("done"))
	VZEROUPPER()
	RET()
}

// anyNaN jumps to fix if any lane of s is a NaN: VCMPPS with predicate 3
// (UNORD_Q) is true exactly in the NaN lanes.
func anyNaN(v *vec.ISA, s VecVirtual, fix string) {
	if v.Wide() {
		k := K()
		VCMPPS(U8(3), s, s, k)
		KORTESTW(k, k)
	} else {
		t := YMM()
		VCMPPS(U8(3), s, s, t)
		VPTEST(t, t)
	}
	JNZ(LabelRef(fix))
}

// fixSNaN makes w, VCVTPH2PS of the halves at m, bit for bit
// HalfToFloat32's: in the NaN lanes, bit 22 (which VCVTPH2PS sets) becomes
// the half's bit 9, h<<13 having it there:
//
//	w &^= nan & 0x400000 &^ (h<<13)
//
// Other lanes are left alone (a subnormal half's bit 9 is not w's bit 22).
// On AVX-512 km, if not nil, masks the halves read (the tail).
func fixSNaN(v *vec.ISA, w VecVirtual, m Mem, km Register) {
	h, y := v.Vec(), v.Vec()
	if v.Wide() {
		if km != nil {
			VPMOVZXWD_Z(m, km, h)
		} else {
			VPMOVZXWD(m, h)
		}
		VPSLLD(U8(13), h, h)
		nan := K()
		VCMPPS(U8(3), w, w, nan)
		// y = 0x400000 &^ h; w = w &^ y in the NaN lanes
		VPANDND(global("dq_quiet"), h, y)
		VPANDND(w, y, nan, w)
		return
	}
	nan := YMM()
	VPMOVZXWD(m, h)
	VPSLLD(U8(13), h, h)
	VCMPPS(U8(3), w, w, nan)
	VPANDN(global("dq_quiet"), h, y) // y = 0x400000 &^ h
	VPAND(nan, y, y)
	VPANDN(w, y, w) // w = w &^ y
}

// blockLoop emits the loop over the blocks of src: body decodes the block
// at src into dst[0:weights]; then src and dst advance one block.
func blockLoop(name string, src, dst, n GPVirtual, bytes, weights int, body func()) {
	end := GP64()
	Comment("end = src + len(src); len(src) is a positive multiple of the block bytes")
	LEAQ(Mem{Base: src, Index: n, Scale: 1}, end)
	Label(label(name, "block"))
	body()
	ADDQ(U32(bytes), src)
	ADDQ(U32(4*weights), dst)
	CMPQ(src, end)
	JB(LabelRef(label(name, "block")))
	VZEROUPPER()
	RET()
}

// q8_0 emits dequantQ8_0<ISA>: y[j] = d·qs[j] (decodeQ8_0), d the block's
// half converted exactly, qs[j] int8: VPMOVSXBD sign-extends Lanes codes to
// dwords, VCVTDQ2PS converts them (exact), VMULPS multiplies by d: d·q has
// at most 11+7 significant bits, so it is exact and equal to the scalar
// d*float32(q) for every d (Inf·0 = NaN either way, and only d can be NaN,
// so the NaN is d's quieted).
func q8_0(v *vec.ISA) {
	name := "dequantQ8_0" + v.Name
	dst, src, n := kernel(name, "decodes the Q8_0 blocks of src into dst. "+
		"It requires len(src) a positive multiple of 34 and len(dst) ≥ len(src)/34·32.")
	L := v.Lanes
	blockLoop(name, src, dst, n, q8Bytes, 32, func() {
		Comment("d = the block's scale in every lane; dst[j] = d·float32(qs[j]), j < 32")
		d := halfScale(v, Mem{Base: src})
		var w []VecVirtual
		for u := 0; u < 32/L; u++ {
			t := v.Vec()
			VPMOVSXBD(Mem{Base: src, Disp: 2 + L*u}, t)
			VCVTDQ2PS(t, t)
			VMULPS(t, d, t)
			w = append(w, t)
		}
		for u := range w {
			VMOVUPS(w[u], Mem{Base: dst, Disp: 4 * L * u})
		}
	})
}

// q4_0 emits dequantQ4_0<ISA>: byte j of qs holds the codes of weights j
// (low nibble) and j+16 (high nibble); weight = d·(code−8) (decodeQ4_0), a
// product of 11 and 4 significant bits, exact.
//
// AVX-512: the block's table t[k] = d·(k−8) for the 16 codes (one VMULPS of
// q4Table; the same products as the scalar code's); VPMOVZXBD puts byte j in
// dword j, whose low 4 bits are weight j's code, so VPERMD(t, bytes) is
// weights 0-15; shifted right 4, the dword is weight j+16's code, and a
// second VPERMD gives weights 16-31.
//
// AVX2 (VPERMPS would index only 8 codes): for each half h of qs, VPMOVZXBD
// its 8 bytes; AND 0xF and a shift right by 4 give the two codes as dwords;
// subtract 8, convert (exact), multiply by d.
func q4_0(v *vec.ISA) {
	name := "dequantQ4_0" + v.Name
	dst, src, n := kernel(name, "decodes the Q4_0 blocks of src into dst. "+
		"It requires len(src) a positive multiple of 18 and len(dst) ≥ len(src)/18·32.")
	if v.Wide() {
		table := loadConst(v, "dq_q4Table")
		blockLoop(name, src, dst, n, q4Bytes, 32, func() {
			Comment("t[k] = d·(k−8); dst[j] = t[qs[j]&15], dst[16+j] = t[qs[j]>>4]")
			d := halfScale(v, Mem{Base: src})
			t, q, w0, w1 := v.Vec(), v.Vec(), v.Vec(), v.Vec()
			VMULPS(table, d, t)
			VPMOVZXBD(Mem{Base: src, Disp: 2}, q)
			VPERMD(t, q, w0)
			VPSRLD(U8(4), q, q)
			VPERMD(t, q, w1)
			VMOVUPS(w0, Mem{Base: dst})
			VMOVUPS(w1, Mem{Base: dst, Disp: 64})
		})
		return
	}
	nib, eight := loadConst(v, "dq_nib"), loadConst(v, "dq_eight")
	blockLoop(name, src, dst, n, q4Bytes, 32, func() {
		Comment("dst[8h+j] = d·((qs[8h+j]&15)−8), dst[16+8h+j] = d·((qs[8h+j]>>4)−8), h = 0, 1, j < 8")
		d := halfScale(v, Mem{Base: src})
		for h := 0; h < 2; h++ {
			q, hi := YMM(), YMM()
			VPMOVZXBD(Mem{Base: src, Disp: 2 + 8*h}, q)
			VPSRLD(U8(4), q, hi)
			VPAND(nib, q, q)
			for u, c := range []VecVirtual{q, hi} {
				VPSUBD(eight, c, c)
				VCVTDQ2PS(c, c)
				VMULPS(c, d, c)
				VMOVUPS(c, Mem{Base: dst, Disp: 32*h + 64*u})
			}
		}
	})
}

// q4_K emits dequantQ4_K<ISA> (decodeQ4_K): per block, d and dmin are
// halves at bytes 0 and 2, the eight 6-bit scales and mins are packed in
// the 12 bytes at 4, and the 128 bytes of qs at 16 hold, for i < 4, the
// codes of weights 64i+l (low nibble, sub-block 2i) and 64i+32+l (high
// nibble, sub-block 2i+1) in byte 32i+l. y = d1·q − m1 with d1 = d·sc and
// m1 = dmin·m, both exact (11+6 bits); d1·q is exact too (11+6+4), so
// VMULPS then VSUBPS rounds y once, as the scalar (d1·q) − m1 does, with
// the same NaN when both are NaN (the product's, the first operand).
//
// The scales and mins are unpacked in general registers as ggml's SIMD
// code does (utmp, kmask1-3), with u0, u1, u2 the three dwords of scales:
//
//	sc[0:4] = u0 & 0x3f3f3f3f         (the low 6 bits of bytes 0-3)
//	sc[4:8] = u2&0x0f0f0f0f | (u0>>6 & 0x03030303)<<4
//	m[0:4]  = u1 & 0x3f3f3f3f
//	m[4:8]  = u2>>4&0x0f0f0f0f | (u1>>6 & 0x03030303)<<4
//
// which is q4kScaleMin for every j (the dword shifts move bits across bytes,
// and the masks drop exactly those). The 8 bytes of each go to an xmm,
// VPMOVZXBD widens them to dwords, VCVTDQ2PS converts and d (dmin)
// multiplies: d1[0:8] and m1[0:8], stored to the stack, from where each
// sub-block broadcasts its two.
func q4_K(v *vec.ISA) {
	name := "dequantQ4_K" + v.Name
	dst, src, n := kernel(name, "decodes the Q4_K blocks of src into dst. "+
		"It requires len(src) a positive multiple of 144 and len(dst) ≥ len(src)/144·256.")
	L := v.Lanes
	sbuf := AllocLocal(64) // d1[0:8], m1[0:8]
	nib := loadConst(v, "dq_nib")
	blockLoop(name, src, dst, n, q4KBytes, 256, func() {
		Comment("unpack the 6-bit scales (sc) and mins (m) of the 8 sub-blocks, a byte each")
		u0, u1, u2, t, s, m := GP64(), GP64(), GP64(), GP64(), GP64(), GP64()
		MOVL(Mem{Base: src, Disp: 4}, u0.As32())
		MOVL(Mem{Base: src, Disp: 8}, u1.As32())
		MOVL(Mem{Base: src, Disp: 12}, u2.As32())
		// s = sc[4:8]<<32 | sc[0:4]
		MOVL(u0.As32(), t.As32())
		SHRL(U8(6), t.As32())
		ANDL(U32(0x03030303), t.As32())
		SHLL(U8(4), t.As32())
		MOVL(u2.As32(), s.As32())
		ANDL(U32(0x0f0f0f0f), s.As32())
		ORL(t.As32(), s.As32())
		SHLQ(U8(32), s)
		ANDL(U32(0x3f3f3f3f), u0.As32()) // zero-extends: u0 < 2³²
		ORQ(u0, s)
		// m = m[4:8]<<32 | m[0:4]
		MOVL(u1.As32(), t.As32())
		SHRL(U8(6), t.As32())
		ANDL(U32(0x03030303), t.As32())
		SHLL(U8(4), t.As32())
		MOVL(u2.As32(), m.As32())
		SHRL(U8(4), m.As32())
		ANDL(U32(0x0f0f0f0f), m.As32())
		ORL(t.As32(), m.As32())
		SHLQ(U8(32), m)
		ANDL(U32(0x3f3f3f3f), u1.As32())
		ORQ(u1, m)

		Comment("sbuf[0:8] = d1 = d·sc, sbuf[8:16] = m1 = dmin·m, exact")
		for k, c := range []struct {
			bits GPVirtual
			half int
		}{{s, 0}, {m, 2}} {
			x, y := XMM(), YMM()
			VMOVQ(c.bits, x)
			VPMOVZXBD(x, y)
			VCVTDQ2PS(y, y)
			h, dh := XMM(), YMM()
			VPBROADCASTW(Mem{Base: src, Disp: c.half}, h)
			VCVTPH2PS(h, dh)
			VMULPS(y, dh, y)
			VMOVUPS(y, sbuf.Offset(32*k))
		}

		Commentf("dst[64i+l] = d1[2i]·(qs[32i+l]&15) − m1[2i], dst[64i+32+l] = d1[2i+1]·(qs[32i+l]>>4) − m1[2i+1]")
		for i := 0; i < 4; i++ {
			var d, mn [2]VecVirtual
			for u := 0; u < 2; u++ {
				d[u], mn[u] = v.Vec(), v.Vec()
				VBROADCASTSS(sbuf.Offset(4*(2*i+u)), d[u])
				VBROADCASTSS(sbuf.Offset(32+4*(2*i+u)), mn[u])
			}
			for c := 0; c < 32/L; c++ {
				lo, hi := v.Vec(), v.Vec()
				VPMOVZXBD(Mem{Base: src, Disp: 16 + 32*i + L*c}, lo)
				VPSRLD(U8(4), lo, hi)
				and(v, nib, lo, lo)
				for u, q := range []VecVirtual{lo, hi} {
					VCVTDQ2PS(q, q)
					// q = d1·q − m1: the product is exact, so the
					// subtraction is the one rounding. Not an FMA: when
					// d1 and m1 are both NaN, x86's FMA returns the
					// addend's NaN, the scalar code the product's.
					VMULPS(q, d[u], q)
					VSUBPS(mn[u], q, q)
					VMOVUPS(q, Mem{Base: dst, Disp: 4 * (64*i + 32*u + L*c)})
				}
			}
		}
	})
}

// q6_K emits dequantQ6_K<ISA> (decodeQ6_K): per block, ql[128] at 0,
// qh[64] at 128, the sixteen int8 sub-block scales at 192 and d at 208.
// Half h (weights 128h…) uses ql[64h:64h+64], qh[32h:32h+32] and scales
// 8h…8h+7; for l < 32, with a = ql[64h+l], b = ql[64h+32+l], c = qh[32h+l]:
//
//	code(l)    = a&15 | (c&3)<<4      = a&15 | (c<<4)&0x30
//	code(l+32) = b&15 | (c>>2&3)<<4   = b&15 | (c<<2)&0x30
//	code(l+64) = a>>4 | (c>>4&3)<<4   = a>>4 | c&0x30
//	code(l+96) = b>>4 | (c>>6&3)<<4   = b>>4 | (c>>2)&0x30
//
// weight k of the half = ds[8h + k/16]·(code−32), with ds = d·sc computed
// first as the scalar d*float32(sc) is (11+8 significant bits, exact), then
// multiplied by the exact code−32 (5 more bits): exact, and in the scalar
// code's order, so Inf·0 gives NaN in the same places.
func q6_K(v *vec.ISA) {
	name := "dequantQ6_K" + v.Name
	dst, src, n := kernel(name, "decodes the Q6_K blocks of src into dst. "+
		"It requires len(src) a positive multiple of 210 and len(dst) ≥ len(src)/210·256.")
	L := v.Lanes
	sbuf := AllocLocal(64) // ds[0:16]
	nib, hi2, c32 := loadConst(v, "dq_nib"), loadConst(v, "dq_hi2"), loadConst(v, "dq_32")
	blockLoop(name, src, dst, n, q6KBytes, 256, func() {
		Comment("sbuf[0:16] = ds = d·float32(scales[0:16]), exact")
		d := halfScale(v, Mem{Base: src, Disp: 208})
		for u := 0; u < 16/L; u++ {
			s := v.Vec()
			VPMOVSXBD(Mem{Base: src, Disp: 192 + L*u}, s)
			VCVTDQ2PS(s, s)
			VMULPS(s, d, s)
			VMOVUPS(s, sbuf.Offset(4*L*u))
		}
		for h := 0; h < 2; h++ {
			Commentf("half %d: weights %d…%d", h, 128*h, 128*h+127)
			for g := 0; g < 32/L; g++ {
				l0 := L * g
				is := l0 / 16 // the sub-block of weight l0 within its 32
				a, b, c := v.Vec(), v.Vec(), v.Vec()
				VPMOVZXBD(Mem{Base: src, Disp: 64*h + l0}, a)
				VPMOVZXBD(Mem{Base: src, Disp: 64*h + 32 + l0}, b)
				VPMOVZXBD(Mem{Base: src, Disp: 128 + 32*h + l0}, c)
				var q [4]VecVirtual
				for k := range q {
					q[k] = v.Vec()
				}
				t := v.Vec()
				// code(l) = a&15 | (c<<4)&0x30
				VPSLLD(U8(4), c, t)
				and(v, hi2, t, t)
				and(v, nib, a, q[0])
				or(v, t, q[0], q[0])
				// code(l+32) = b&15 | (c<<2)&0x30
				VPSLLD(U8(2), c, t)
				and(v, hi2, t, t)
				and(v, nib, b, q[1])
				or(v, t, q[1], q[1])
				// code(l+64) = a>>4 | c&0x30
				VPSRLD(U8(4), a, q[2])
				and(v, hi2, c, t)
				or(v, t, q[2], q[2])
				// code(l+96) = b>>4 | (c>>2)&0x30
				VPSRLD(U8(4), b, q[3])
				VPSRLD(U8(2), c, t)
				and(v, hi2, t, t)
				or(v, t, q[3], q[3])
				for k := range q {
					// dst = ds[8h + 2k + is]·float32(code − 32)
					VPSUBD(c32, q[k], q[k])
					VCVTDQ2PS(q[k], q[k])
					ds := v.Vec()
					VBROADCASTSS(sbuf.Offset(4*(8*h+2*k+is)), ds)
					VMULPS(q[k], ds, q[k])
					VMOVUPS(q[k], Mem{Base: dst, Disp: 4 * (128*h + 32*k + l0)})
				}
			}
		}
	})
}
