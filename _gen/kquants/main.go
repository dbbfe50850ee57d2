// Command kquants generates gemv_kquants_amd64.s: the AVX-512 and AVX2 Gemv
// kernels of the K-quant weight formats Q4_K and Q6_K of package lmhead.
// Run it through go generate in the root.
//
// Every kernel computes dst[i] = Σ_j w_i[j]·x[j] where w_i[j] is the weight
// exactly as quant_decode.go decodes it, in float32, with x left in float32:
// the weights are decoded in registers, one super-block (256 weights) at a
// time, and every product w·x is accumulated with one FMA.
//
// Why the decoded weights are exact, so that no scale is factored out of a
// sum and no block needs a special path:
//
//   - Q4_K: w = (d·sc)·q − dmin·m, with d, dmin binary16 (11 significant
//     bits), sc, m 6-bit and q 4-bit. d1 = d·sc (17 bits) and m1 = dmin·m
//     (17 bits) are exact float32 products, d1·q (21 bits) is exact, and one
//     FMA iota·d1 − m1 rounds d1·q − m1 once, as the reference does. The
//     kernels build, per sub-block, the 16-entry table T[k] = k·d1 − m1 of
//     every weight the sub-block can hold and look the weights up in it.
//   - Q6_K: w = (d·sc)·(q−32), d binary16, sc int8, q−32 in [−32, 31]; d·sc
//     (18 bits) and (d·sc)·(q−32) (24 bits) are exact.
//
// So a block whose d (or dmin) is ±Inf or NaN gives exactly the reference's
// IEEE weights (Inf·0 = NaN where a scale or a quant is 0) and every output
// is a plain float32 FMA dot product of x with the decoded row, within Dot's
// error bound. The AVX-512 kernels do only this: with 32 registers and
// VPERMPS lookups, factoring the scales out would save nothing.
//
// The AVX2 kernels, bound by their FMA and convert ports, factor the
// sub-block scales out where that is safe (gemvQ4_KSumsAVX2,
// gemvQ6_KSumsAVX2): acc += d1·Σ q·x per sub-block, and for Q4_K acc −=
// Σ m1·Σx with the sums of x precomputed by the Go wrapper gemvQ4_KAVX2
// (gemv_kquants_amd64.go). The bound allows it (for Q4_K the magnitude of a
// weight's product is |d1·q·x| + |m1·x|). A block whose d or dmin is not
// finite takes the exact path (a scalar test per super-block, see
// q4kFinite and q6kFinite), and the Go wrappers send x with NaN, ±Inf or
// sums of |x| near overflow to the exact kernels gemvQ4_KExactAVX2 and
// gemvQ6_KExactAVX2, as they do rows of more than 16384 Q4_K weights.
//
// Kernel contract (dispatch.go): len(dst) ≥ 1; len(x) ≥ 1 a multiple of 256;
// len(w) == len(dst)·(len(x)/256)·blockBytes; w at any address. Every load
// of w lies inside the block it belongs to (blocks are 144 and 210 bytes,
// and the loads are unaligned), every load of x inside x, so nothing is read
// outside w, x and dst.
//
// The rows are streamed one at a time: the matrix is one contiguous run of
// bytes, a single sequential stream for the prefetchers. There is no x-side
// decoding to share between rows (x is read as float32, straight from L1,
// by the FMAs' memory operands; the Σx of Q4_K AVX2 is computed once per
// call), so a multi-row pass would only save the one horizontal sum per row
// (about 1.8 ns of the 13.4 ns per 256-weight row at the l2 shape).
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
		q4k(v)
	}
	for _, v := range vec.Levels() {
		q6k(v)
	}
	Generate()
	vec.CheckAVX2Registers(flag.Lookup("out").Value.String())
}

// Block layouts (ggml-common.h).
const (
	superWeights = 256 // weights per super-block (QK_K)

	// block_q4_K {ggml_half d; ggml_half dmin; uint8_t scales[12]; uint8_t qs[128]}
	q4kBytes  = 144
	q4kScales = 4  // offset of scales[12]
	q4kQs     = 16 // offset of qs[128]

	// block_q6_K {uint8_t ql[128]; uint8_t qh[64]; int8_t scales[16]; ggml_half d}
	q6kBytes  = 210
	q6kQh     = 128 // offset of qh[64]
	q6kScales = 192 // offset of scales[16]
	q6kD      = 208 // offset of d
)

// prefetchQ4K and prefetchQ6K are how far ahead of the block being decoded,
// in bytes, each trip prefetches (PREFETCHT0) every cache line of a block.
// Without it the kernels ran at 0.2-0.3 (Q4_K AVX2) and 0.45-0.7 (AVX-512)
// of the read bandwidth of the same run from memory, although in L2 they
// decode at 8-12 GB/s: the hardware prefetchers alone did not keep ahead of
// them. A prefetch never faults, so the ones past the end of w are
// harmless.
//
// The first measurement (Zen 4 or Sapphire Rapids, loaded machine, over 0,
// 1024, 2048 and 4096) put 1024 and 2048 level and ahead of 0 and 4096. On
// the Intel Xeon of 2026-12-02 (model 207), three interleaved runs of the
// AVX-512 kernels at llama3.2-1b over 1024, 4096 and 8192 gave Q4_K 18-23,
// 15.3-16.0 and 16.2-19.1 ms and Q6_K 28-35, 22-27 and 21.6-22.6 ms; the
// Q8_0 and Q4_0 kernels likewise run fastest at 8 KiB there and on Zen 5
// (_gen/formats). The Q4_K decode is the faster, so it needs less lead.
const (
	prefetchQ4K = 4096
	prefetchQ6K = 8192
)

// ---------------------------------------------------------------------------
// Constants

var consts = map[string]Mem{}

// bytesConst emits (once) a 64-byte read-only table of b repeated.
func bytesConst(name string, b byte) Mem {
	return table(name, func(i int) uint32 { return uint32(b) * 0x01010101 })
}

// table emits (once) a read-only table of 16 uint32 with value f(i).
func table(name string, f func(i int) uint32) Mem {
	if m, ok := consts[name]; ok {
		return m
	}
	m := GLOBL(name, RODATA|NOPTR)
	for i := 0; i < 16; i++ {
		DATA(4*i, U32(f(i)))
	}
	consts[name] = m
	return m
}

// iota16 is the float32 vector {0, 1, …, 15}: the 16 values of a 4-bit
// quant, the index k of the Q4_K lookup table T[k] = k·d1 − m1.
func iota16() Mem {
	return table("kq_iota", func(i int) uint32 { return math.Float32bits(float32(i)) })
}

// q4kScaleIdx is the VPERMPS index that spreads the xmm {d, dmin, ·, ·} to
// {d×4, dmin×4, d×4, dmin×4}, the order of the decoded scale bytes (see
// unpackQ4KScales).
func q4kScaleIdx() Mem {
	return table("kq_q4k_dm", func(i int) uint32 { return uint32(i / 4 % 2) })
}

// quarter is 0.25 in every lane: the Q6_K quants are decoded as 4·(q−32)
// (see q6kBytes), so the scale they multiply is d·sc/4, exact.
func quarter() Mem {
	return table("kq_quarter", func(int) uint32 { return math.Float32bits(0.25) })
}

// q6kShift is the per-word left-shift count vector of VPSLLVW for the
// AVX-512 Q6_K decoding (see q6k512): words 0-15 (bytes 0-31) shift by a,
// words 16-31 (bytes 32-63) by b.
func q6kShift(a, b int) Mem {
	return table(fmt.Sprintf("kq_q6k_sh%d%d", a, b), func(i int) uint32 {
		s := uint32(b)
		if i < 8 {
			s = uint32(a)
		}
		return s | s<<16
	})
}

// ---------------------------------------------------------------------------
// Shared loop

// kernel is the frame of one kernel: the row and super-block loops around
// body, which decodes the super-block at p and adds its 256 products with
// x[xp:xp+256] into acc.
type kernel struct {
	v        *vec.ISA
	name     string
	blkBytes int
	p, xp    GPVirtual // the current super-block and its x
	prefetch int       // bytes ahead of p to prefetch, 0 for none
	sums     bool      // the function takes xs, the sub-block sums of x (Q4_K AVX2)
	xsp      GPVirtual // with sums: the current super-block's 16 floats of xs
	labels   int       // numbers the labels of the function
	acc      [4]VecVirtual
}

// emit writes the function: for each row, acc = 0; for each super-block,
// body(); dst[row] = the sum of acc's lanes.
func (k *kernel) emit(setup, body func()) {
	v := k.v
	sig, xsDoc := "func(dst []float32, w []byte, x []float32)", ""
	if k.sums {
		sig = "func(dst []float32, w []byte, x []float32, xs []float32)"
		xsDoc = " xs holds the sums of x over each 32 columns, as q4kXSums lays them out (len(x)/16 floats)."
	}
	TEXT(k.name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes dst[i] = Σ_j w_i[j]·x[j] for the rows w_i of w, each len(x)/256 blocks. "+
		"It requires len(dst) ≥ 1, len(x) a positive multiple of 256 and len(w) == len(dst)·len(x)/256·%d.%s", k.name, k.blkBytes, xsDoc))
	dst := Load(Param("dst").Base(), GP64())
	rows := Load(Param("dst").Len(), GP64())
	k.p = GP64()
	Load(Param("w").Base(), k.p)
	x := Load(Param("x").Base(), GP64())
	nb := Load(Param("x").Len(), GP64())
	SHRQ(U8(8), nb) // super-blocks per row
	var xs Register
	if k.sums {
		xs = Load(Param("xs").Base(), GP64())
		k.xsp = GP64()
	}
	for i := range k.acc {
		k.acc[i] = v.Vec()
	}
	setup()
	k.xp = GP64()
	cnt := GP64()
	l := func(s string) string { return s + "_" + k.name }

	Label(l("row"))
	for i := range k.acc {
		VXORPS(k.acc[i], k.acc[i], k.acc[i])
	}
	MOVQ(x, k.xp)
	MOVQ(nb, cnt)
	if k.sums {
		MOVQ(xs, k.xsp)
	}

	Label(l("block"))
	if k.prefetch > 0 {
		Commentf("prefetch the block %d bytes ahead: every cache line of it", k.prefetch)
		for o := 0; o < k.blkBytes+63; o += 64 {
			PREFETCHT0(k.bm(k.prefetch + o))
		}
	}
	body()
	ADDQ(U32(k.blkBytes), k.p)
	ADDQ(U32(4*superWeights), k.xp)
	if k.sums {
		ADDQ(U8(64), k.xsp)
	}
	DECQ(cnt)
	JNZ(LabelRef(l("block")))

	Comment("dst[row] = the sum of the accumulators' lanes")
	VADDPS(k.acc[1], k.acc[0], k.acc[0])
	VADDPS(k.acc[3], k.acc[2], k.acc[2])
	VADDPS(k.acc[2], k.acc[0], k.acc[0])
	VMOVSS(v.HSum(k.acc[0]), Mem{Base: dst})
	ADDQ(U8(4), dst)
	DECQ(rows)
	JNZ(LabelRef(l("row")))
	VZEROUPPER()
	RET()
}

// xm is the x vector at float offset i of the current super-block.
func (k *kernel) xm(i int) Mem { return Mem{Base: k.xp, Disp: 4 * i} }

// bm is the byte at offset off of the current block.
func (k *kernel) bm(off int) Mem { return Mem{Base: k.p, Disp: off} }

// label returns a new label name, unique in the file.
func (k *kernel) label(s string) string {
	k.labels++
	return fmt.Sprintf("%s%d_%s", s, k.labels, k.name)
}

// branch emits: if the current block's scales are all finite, fast(); else
// exact(). finite emits the test and jumps to its label argument when a
// scale is not finite. The branch is taken (almost) never: a well-predicted
// test per super-block.
func (k *kernel) branch(finite func(notFinite string), fast, exact func()) {
	ex, done := k.label("exact"), k.label("next")
	finite(ex)
	fast()
	JMP(LabelRef(done))
	Label(ex)
	exact()
	Label(done)
}

// ---------------------------------------------------------------------------
// Q4_K

// unpackQ4KScales decodes the 12 scale bytes of the Q4_K block at base into
// float32 d1 = d·sc and m1 = dmin·m of the 8 sub-blocks and stores them to
// the 64-byte stack slot out, in the order
//
//	{d1_0..d1_3, m1_0..m1_3, d1_4..d1_7, m1_4..m1_7}
//
// (q4kD1 and q4kM1 give the offsets). The unpacking is get_scale_min_k4's,
// done as ggml's AVX2 kernel does with 32-bit words, here with two 64-bit
// ones: with u0, u1, u2 the little-endian words of scales[0:4], [4:8],
// [8:12], sub-blocks 0-3 have sc = u0 & 0x3f…, m = u1 & 0x3f… (the low 6
// bits of bytes j and j+4), and sub-blocks 4-7 have
//
//	sc = (u2 & 0x0f…) | ((u0 >> 6) & 0x03…) << 4 = (u2 & 0x0f…) | ((u0 >> 2) & 0x30…)
//	m  = ((u2 >> 4) & 0x0f…) | ((u1 >> 2) & 0x30…)
//
// (a right shift of a whole word by 2 moves bits 6-7 of each byte to bits
// 4-5 of the same byte; what it moves in from the next byte is masked off).
// As 64-bit words, A = u0 | u1<<32 gives {sc0-3, m0-3} = A & 0x3f…, and
// C = u2 | u2<<28 has u2 in its low and u2>>4 in its high half (bits the
// shift moves into the low half land in the top nibbles of byte 3, which
// the 0x0f mask clears), so {sc4-7, m4-7} = (C & 0x0f…) | ((A >> 2) & 0x30…).
// The 16 bytes go through the stack to VPMOVZXBD, which widens them to
// int32 lanes; those become float32 and are multiplied by
// {d×4, dmin×4, d×4, dmin×4}.
func unpackQ4KScales(base GPVirtual, bytes, out Mem) (v [2]VecVirtual) {
	bm := func(off int) Mem { return Mem{Base: base, Disp: off} }
	m3f := table("kq_3f", func(int) uint32 { return 0x3f3f3f3f })
	m0f := table("kq_0f", func(int) uint32 { return 0x0f0f0f0f })
	m30 := table("kq_30", func(int) uint32 { return 0x30303030 })
	Comment("d1, m1 of the 8 sub-blocks: unpack the 6-bit scales and mins (get_scale_min_k4)")
	a, c, t := GP64(), GP64(), GP64()
	MOVQ(bm(q4kScales), a)
	MOVL(bm(q4kScales+8), c.As32())
	MOVQ(c, t)
	SHLQ(U8(28), t)
	ORQ(t, c)
	ANDQ(m0f, c)
	MOVQ(a, t)
	SHRQ(U8(2), t)
	ANDQ(m30, t)
	ORQ(t, c)
	ANDQ(m3f, a)
	MOVQ(a, bytes)
	MOVQ(c, bytes.Offset(8))

	Comment("{d, dmin} to float32, spread to {d×4, dmin×4, d×4, dmin×4}; times the scales")
	dm, idx := YMM(), YMM()
	VCVTPH2PS(bm(0), dm.AsX()) // reads d, dmin, scales[0:4]: inside the block
	VMOVUPS(q4kScaleIdx(), idx)
	VPERMPS(dm, idx, dm)
	// Both levels take the two 8-byte halves in 256-bit vectors: each load
	// then matches one 8-byte store exactly and is forwarded from it. One
	// 16-byte load of the two stores cannot be forwarded; it waits for the
	// stores to reach L1, after the previous super-block has retired, which
	// serialised the super-blocks and cost the AVX-512 kernel 40% of its
	// speed.
	for h := 0; h < 2; h++ {
		f := YMM()
		VPMOVZXBD(bytes.Offset(8*h), f)
		VCVTDQ2PS(f, f)
		VMULPS(dm, f, f)
		VMOVUPS(f, out.Offset(32*h))
		v[h] = f
	}
	return v
}

// q4kD1 and q4kM1 are the byte offsets of d1 and m1 of sub-block j in the
// slot that unpackQ4KScales fills.
func q4kD1(j int) int { return 4*(j%4) + 32*(j/4) }
func q4kM1(j int) int { return q4kD1(j) + 16 }

// q4k emits gemvQ4_K<ISA>.
//
// Sub-blocks 2i and 2i+1 (i = 0..3) share qs[32i:32i+32]: weight 64i+l is
// the low nibble of qs[32i+l] and weight 64i+32+l its high nibble.
//
// AVX-512, per sub-block j: T_j = iota·d1_j − m1_j (one FMA with a
// broadcast operand, from the scale slot), the 16 weights the sub-block can
// hold, exactly rounded. VPMOVZXBD widens 16 qs bytes b to int32 lanes;
// VPERMPS(T, b) picks T[b & 15] (it reads only the low 4 bits of each
// index), the low-nibble weights with no masking, and VPERMPS(T', b >> 4)
// the high-nibble ones. Per 32 bytes (64 weights): 2 VPMOVZXBD, 2 VPSRLD,
// 2 FMAs for the tables, 4 VPERMPS and 4 FMAs with x: 14 vector uops.
//
// AVX2: VPERMPS has only 8 lanes (3 index bits), so the quants are
// converted: q = VCVTDQ2PS(b & 15) or (b >> 4), and w = q·d1 − m1 with one
// FMA (VFMSUB213PS) from the broadcast d1_j and m1_j, again rounded once.
// Per 8 bytes (16 weights): VPMOVZXBD, VPAND, VPSRLD, 2 VCVTDQ2PS, 2
// VFMSUB213PS, 2 FMAs with x: 9 vector uops.
func q4k(v *vec.ISA) {
	if v.Wide() {
		q4kPipelined(v, "gemvQ4_KAVX512")
		return
	}
	q4kKernel(v, "gemvQ4_KSumsAVX2", true)
	q4kKernel(v, "gemvQ4_KExactAVX2", false)
}

// q4kKernel emits one AVX2 Q4_K kernel (AVX-512's is q4kPipelined). With
// sums, a block whose d and dmin are finite takes q4k2Sums, and the others
// the exact q4k2.
func q4kKernel(v *vec.ISA, name string, sums bool) {
	k := &kernel{v: v, name: name, blkBytes: q4kBytes, prefetch: prefetchQ4K, sums: sums}
	var bytes, sc Mem
	var low VecVirtual
	setup := func() {
		bytes = AllocLocal(16)
		sc = AllocLocal(64)
		// 15 in each int32 lane: the low-nibble mask.
		low = YMM()
		VMOVDQU(table("kq_15", func(int) uint32 { return 15 }), low)
	}
	body := func() {
		dm := unpackQ4KScales(k.p, bytes, sc)
		switch {
		case sums:
			k.branch(k.q4kFinite, func() { k.q4k2Sums(sc, low, dm) }, func() { k.q4k2(sc, low) })
		default:
			k.q4k2(sc, low)
		}
	}
	k.emit(setup, body)
}

// q4kFinite jumps to notFinite unless both binary16 d and dmin of the block
// are finite. With u = the 32 bits {d, dmin} and w = ^u & 0x7c007c00, a
// half of w is 0 exactly when that half's exponent is all ones (±Inf, NaN),
// and otherwise in [0x0400, 0x7c00]. w − 0x00010001 then sets bit 15 exactly
// when the low half is 0 (it borrows from 0) and bit 31 exactly when the
// high half is 0 (a borrow from the low half takes at most 2 from a high
// half ≥ 0x0400, leaving it positive).
func (k *kernel) q4kFinite(notFinite string) {
	Comment("d and dmin finite? (exponent bits not all ones)")
	t := GP32()
	MOVL(k.bm(0), t)
	NOTL(t)
	ANDL(U32(0x7c007c00), t)
	SUBL(U32(0x00010001), t)
	TESTL(U32(0x80008000), t)
	JNZ(LabelRef(notFinite))
}

// q4k2Sums is the AVX2 Q4_K super-block with the scales factored out of
// each sub-block: acc += d1_j·Σ q·x over the sub-block, and acc −= Σ_j
// m1_j·Σx_j from the precomputed sums xs. The error bound allows it (the
// magnitude of a Q4_K weight's product is |d1·q·x| + |m1·x|), and for
// finite d and dmin it is the same sum regrouped; a non-finite d or dmin
// would turn 0·Inf = NaN weights into ±Inf sums, hence q4kFinite.
//
// dm are unpackQ4KScales's two vectors {d1_0..3, m1_0..3} and {d1_4..7,
// m1_4..7}; xs holds, per super-block, {0×4, Σx_0..3, 0×4, Σx_4..7} (Σx_j
// the sum of x over sub-block j), so that one FNMADD each subtracts the
// four m1_j·Σx_j (and 0·d1 = 0 for finite d1).
//
// Per 8 qs bytes (16 weights): VPMOVZXBD, VPAND, VPSRLD, 2 VCVTDQ2PS and
// 2 FMAs (MUL for the first of a sub-block) into the sub-block sums s; per
// sub-block one FMA acc += s·d1 — 7.25 vector uops per 16 weights against
// the exact path's 9.
func (k *kernel) q4k2Sums(sc Mem, low VecVirtual, dm [2]VecVirtual) {
	for i := 0; i < 4; i++ {
		Commentf("weights %d-%d: s = Σ q·x over sub-blocks %d (low nibbles) and %d (high); acc += s·d1",
			64*i, 64*i+63, 2*i, 2*i+1)
		s := [2]VecVirtual{YMM(), YMM()}
		for c := 0; c < 4; c++ { // qs[32i+8c : 32i+8c+8]
			b := YMM()
			VPMOVZXBD(k.bm(q4kQs+32*i+8*c), b)
			q := [2]VecVirtual{YMM(), YMM()}
			VPAND(low, b, q[0])
			VPSRLD(U8(4), b, q[1])
			for h := 0; h < 2; h++ {
				VCVTDQ2PS(q[h], q[h])
				if c == 0 {
					VMULPS(k.xm(64*i+32*h+8*c), q[h], s[h])
				} else {
					VFMADD231PS(k.xm(64*i+32*h+8*c), q[h], s[h])
				}
			}
		}
		for h := 0; h < 2; h++ {
			d1 := YMM()
			VBROADCASTSS(sc.Offset(q4kD1(2*i+h)), d1)
			VFMADD231PS(d1, s[h], k.acc[2*(i%2)+h])
		}
	}
	Comment("acc −= Σ_j m1_j·Σx_j")
	VFNMADD231PS(Mem{Base: k.xsp}, dm[0], k.acc[0])
	VFNMADD231PS(Mem{Base: k.xsp, Disp: 32}, dm[1], k.acc[1])
}

func (k *kernel) q4k512(sc Mem, iota VecVirtual) {
	for i := 0; i < 4; i++ {
		Commentf("weights %d-%d: low nibbles of qs[%d:%d] (sub-block %d), then high nibbles (sub-block %d)",
			64*i, 64*i+63, 32*i, 32*i+32, 2*i, 2*i+1)
		var b [2]VecVirtual
		for h := range b {
			b[h] = ZMM()
			VPMOVZXBD(k.bm(q4kQs+32*i+16*h), b[h])
		}
		for s := 0; s < 2; s++ { // s = 0: low nibbles, sub-block 2i; 1: high, 2i+1
			j := 2*i + s
			// T_j[k] = k·d1_j − m1_j
			t := ZMM()
			VBROADCASTSS(sc.Offset(q4kM1(j)), t)
			VFMSUB231PS_BCST(sc.Offset(q4kD1(j)), iota, t)
			for h := range b {
				idx := b[h]
				if s == 1 {
					idx = ZMM()
					VPSRLD(U8(4), b[h], idx)
				}
				w := ZMM()
				VPERMPS(t, idx, w)
				VFMADD231PS(k.xm(64*i+32*s+16*h), w, k.acc[2*s+h])
			}
		}
	}
}

// q4kPipelined emits the AVX-512 Q4_K kernel, software-pipelined over the
// super-blocks of the whole matrix as q6kPipelined is: while the products
// of block b are taken (q4k512, from its slot), block b+1's scales d1, m1
// are unpacked, converted and stored to the other slot. The scale path is
// a chain of about 40 cycles (scalar unpacking, a store forwarded to
// VPMOVZXBD, conversion, a store forwarded to the broadcasts) that the
// plain kernel put at the head of every block; a block ahead, it overlaps
// the previous block's products. On Zen 5 that took a C model of the loop
// over L1-resident blocks from 3.7 to 3.05 cycles per 32 weights. The
// products are bit for bit the plain kernel's. Block b+1 is unpacked only
// when it lies inside w, so nothing past w is read.
func q4kPipelined(v *vec.ISA, name string) {
	k := &kernel{v: v, name: name, blkBytes: q4kBytes, prefetch: prefetchQ4K}
	var bytes Mem
	var iota VecVirtual
	k.pipeline(64, func() {
		bytes = AllocLocal(16)
		iota = ZMM()
		VMOVUPS(iota16(), iota)
	}, func(base, slot GPVirtual) {
		unpackQ4KScales(base, bytes, Mem{Base: slot})
	}, func(slot GPVirtual) {
		k.q4k512(Mem{Base: slot}, iota)
	})
}

func (k *kernel) q4k2(sc Mem, low VecVirtual) {
	for i := 0; i < 4; i++ {
		Commentf("weights %d-%d: low nibbles of qs[%d:%d] (sub-block %d), high nibbles (sub-block %d)",
			64*i, 64*i+63, 32*i, 32*i+32, 2*i, 2*i+1)
		var d1, m1 [2]VecVirtual
		for s := 0; s < 2; s++ {
			d1[s], m1[s] = YMM(), YMM()
			VBROADCASTSS(sc.Offset(q4kD1(2*i+s)), d1[s])
			VBROADCASTSS(sc.Offset(q4kM1(2*i+s)), m1[s])
		}
		for c := 0; c < 4; c++ { // qs[32i+8c : 32i+8c+8]
			b := YMM()
			VPMOVZXBD(k.bm(q4kQs+32*i+8*c), b)
			q := [2]VecVirtual{YMM(), YMM()}
			VPAND(low, b, q[0])
			VPSRLD(U8(4), b, q[1])
			for s := 0; s < 2; s++ {
				// w = q·d1 − m1, then acc += w·x
				VCVTDQ2PS(q[s], q[s])
				VFMSUB213PS(m1[s], d1[s], q[s])
				VFMADD231PS(k.xm(64*i+32*s+8*c), q[s], k.acc[2*s+c%2])
			}
		}
	}
}

// ---------------------------------------------------------------------------
// Q6_K

// q6k emits gemvQ6_K<ISA>.
//
// Half h (weights 128h..128h+127) uses ql[64h:64h+64], qh[32h:32h+32] and
// scales[8h:8h+8]. Its low nibbles of ql[0:64], in order, are the low 4 bits
// of weights 0-63 of the half, its high nibbles those of weights 64-127; the
// top 2 bits of weight 32s+l (l < 32) are bits 2s, 2s+1 of qh[l].
//
// The 6-bit q is assembled in bytes as Q = (q−32)·4 in two's complement:
// bits 2-5 hold the low nibble and bits 6-7 the top two bits of q with the
// upper one flipped. Flipping bit 5 of a 6-bit q is q−32 mod 64, and moving
// it to the top of a byte makes the byte's sign that of q−32, so the signed
// byte is exactly 4·(q−32). The flip is done once per half as qh ^ 0xaa
// (the upper bit of each 2-bit field). VPMOVSXBD widens the bytes to int32,
// VCVTDQ2PS makes them float32 (exact), and w = that · (d·sc/4) is
// d·sc·(q−32) exactly; the /4 is folded into the scale vector (exact: d/4
// of the smallest subnormal half, 2⁻²⁶, is a normal float32).
//
// The bytes of Q and the scales go through stack slots, so that VPMOVSXBD
// and the scale multiply take them from memory: from a register, every 16
// bytes past the first would cost an extract on the shuffle port. On AVX2
// a block's slots are read right after they are stored; on AVX-512 they
// are stored one block ahead (q6kPipelined).
//
// Per 16 weights, both levels: VPMOVSXBD, VCVTDQ2PS, the scale multiply
// (broadcast from the scale slot) and the FMA with x. The byte assembly
// costs 9 vector uops per 128 weights on AVX-512 and 20 on AVX2.
func q6k(v *vec.ISA) {
	if v.Wide() {
		q6kPipelined(v, "gemvQ6_KAVX512")
		return
	}
	q6kKernel(v, "gemvQ6_KSumsAVX2", true)
	q6kKernel(v, "gemvQ6_KExactAVX2", false)
}

// q6kKernel emits one AVX2 Q6_K kernel. With sums, a block whose d is
// finite takes q6k2Sums and the others the exact q6k2; without, every block
// takes q6k2 (for the x that q6kSumsOK rejects).
func q6kKernel(v *vec.ISA, name string, sums bool) {
	k := &kernel{v: v, name: name, blkBytes: q6kBytes, prefetch: prefetchQ6K}
	var sc, qb Mem
	setup := func() {
		sc = AllocLocal(64)
		qb = AllocLocal(256)
	}
	body := func() {
		k.q6kScales(sc)
		for h := 0; h < 2; h++ {
			k.q6kBytes2(h, qb.Offset(128*h))
		}
		if !sums {
			k.q6k2(sc, qb)
			return
		}
		k.branch(k.q6kFinite, func() { k.q6k2Sums(sc, qb) }, func() { k.q6k2(sc, qb) })
	}
	k.emit(setup, body)
}

// q6kFinite jumps to notFinite unless the block's binary16 d is finite.
func (k *kernel) q6kFinite(notFinite string) {
	Comment("d finite? (exponent bits not all ones)")
	t := GP32()
	MOVWLZX(k.bm(q6kD), t)
	ANDL(U32(0x7c00), t)
	CMPL(t, U32(0x7c00))
	JEQ(LabelRef(notFinite))
}

// q6k2 is the exact AVX2 Q6_K super-block: w = (4·(q−32))·(d·sc/4) per
// weight, then acc += w·x. Per 8 weights: VPMOVSXBD, VCVTDQ2PS, VMULPS and
// the FMA.
func (k *kernel) q6k2(sc, qb Mem) {
	Comment("acc += (4·(q−32))·(d·sc/4)·x, each weight exact")
	for sub := 0; sub < 16; sub++ {
		s := YMM()
		VBROADCASTSS(sc.Offset(4*sub), s)
		for u := 0; u < 2; u++ {
			q := YMM()
			VPMOVSXBD(qb.Offset(16*sub+8*u), q)
			VCVTDQ2PS(q, q)
			VMULPS(s, q, q)
			VFMADD231PS(k.xm(16*sub+8*u), q, k.acc[(2*sub+u)%4])
		}
	}
}

// q6k2Sums is the AVX2 Q6_K super-block for a finite d, with the scale
// factored out of each sub-block of 16: s = Σ (4·(q−32))·x (a VMULPS and an
// FMA), acc += s·(d·sc/4). Each term of s is exact, so the error stays
// within the bound for |w·x|; the one scale multiply per 16 weights instead
// of one per 8 saves an eighth of the uops. A non-finite d would turn
// 0·Inf = NaN weights into ±Inf, hence q6kFinite.
func (k *kernel) q6k2Sums(sc, qb Mem) {
	Comment("acc += (d·sc/4)·Σ (4·(q−32))·x per sub-block of 16")
	for sub := 0; sub < 16; sub++ {
		var q [2]VecVirtual
		for u := 0; u < 2; u++ {
			q[u] = YMM()
			VPMOVSXBD(qb.Offset(16*sub+8*u), q[u])
			VCVTDQ2PS(q[u], q[u])
		}
		VMULPS(k.xm(16*sub), q[0], q[0])
		VFMADD231PS(k.xm(16*sub+8), q[1], q[0])
		s := YMM()
		VBROADCASTSS(sc.Offset(4*sub), s)
		VFMADD231PS(s, q[0], k.acc[sub%4])
	}
}

// q6kPipelined emits the AVX-512 Q6_K kernel, software-pipelined over the
// super-blocks of the whole matrix (rows are contiguous, so the block after
// the last of a row is the first of the next): while the products of block
// b are taken, block b+1's bytes Q = 4·(q−32) and scales d·sc/4 are
// assembled and stored to a second stack slot. Block b's products then take
// their operands from memory, where they cost no shuffle:
//
//	VPMOVSXBD m128 (its load and one shuffle), VCVTDQ2PS, VMULPS with the
//	scale as an embedded broadcast, and the FMA with x
//
// per 16 weights, four ALU uops. The register version it replaces (the
// bytes and scales of the current block kept in registers) needed a
// VEXTRACTI32X4 and a VPERMPS on the shuffle port besides, six: on Intel
// cores, whose 512-bit ALU uops go to two ports only, it ran at 28-35 µs on
// the l2 shape where a plain stack version took 22 µs; the stack version in
// turn stalled on Zen 5, which does not forward a 64-byte store to the
// narrower loads that follow it within a few instructions (34 µs against
// 16). Here each load reads a slot stored a whole block (about 110
// instructions) earlier.
//
// The results are bit for bit those of the register version: the same
// bytes, scales, products and FMA order. Block b+1 is assembled only when
// it lies inside w, so nothing past w is read.
func q6kPipelined(v *vec.ISA, name string) {
	k := &kernel{v: v, name: name, blkBytes: q6kBytes, prefetch: prefetchQ6K}
	var c3c, cc0, caa VecVirtual
	// slot layout: Q bytes 0-255 (weight order), scales 256-319 (float32)
	k.pipeline(320, func() {
		c3c, cc0, caa = ZMM(), ZMM(), ZMM()
		VMOVDQU64(bytesConst("kq_3c", 0x3c), c3c)
		VMOVDQU64(bytesConst("kq_c0", 0xc0), cc0)
		VMOVDQU64(bytesConst("kq_aa", 0xaa), caa)
	}, func(base, slot GPVirtual) {
		Comment("assemble the block at base into the slot: Q bytes, then d·sc/4")
		for h := 0; h < 2; h++ {
			qs := q6kBytes512(base, h, c3c, cc0, caa)
			VMOVDQU64(qs[0], Mem{Base: slot, Disp: 128 * h})
			VMOVDQU64(qs[1], Mem{Base: slot, Disp: 128*h + 64})
		}
		VMOVUPS(q6kScalesReg(base), Mem{Base: slot, Disp: 256})
	}, func(slot GPVirtual) {
		Comment("acc += Q·(d·sc/4)·x for the 256 weights of this block, from its slot")
		for g := 0; g < 16; g++ {
			q := ZMM()
			VPMOVSXBD(Mem{Base: slot, Disp: 16 * g}, q)
			VCVTDQ2PS(q, q)
			VMULPS_BCST(Mem{Base: slot, Disp: 256 + 4*g}, q, q)
			VFMADD231PS(k.xm(16*g), q, k.acc[g%4])
		}
	})
}

// pipeline emits k's function software-pipelined over the super-blocks of
// the whole matrix (rows are contiguous, so the block after the last of a
// row is the first of the next): stage(base, slot) prepares the block at
// base into a stack slot of slotBytes one block ahead of use(slot), which
// takes that block's products from it, so that each load of a slot reads
// what was stored a whole block earlier. Two slots alternate. A block is
// staged only when it lies inside w, so nothing past w is read. prep runs
// once, first.
func (k *kernel) pipeline(slotBytes int, prep func(), stage func(base, slot GPVirtual), use func(slot GPVirtual)) {
	var cur, nxt, wEnd GPVirtual
	setup := func() {
		prep()
		slots := AllocLocal(2 * slotBytes)
		cur, nxt, wEnd = GP64(), GP64(), GP64()
		LEAQ(slots, cur)
		LEAQ(slots.Offset(slotBytes), nxt)
		Comment("wEnd = the end of w: no block at or past it is staged")
		Load(Param("w").Len(), wEnd)
		ADDQ(k.p, wEnd)
		Comment("the first block of the matrix, before the loops")
		stage(k.p, cur)
	}
	body := func() {
		skip := k.label("staged")
		nextBlk := GP64()
		LEAQ(k.bm(k.blkBytes), nextBlk)
		CMPQ(nextBlk, wEnd)
		JAE(LabelRef(skip))
		stage(nextBlk, nxt)
		Label(skip)
		use(cur)
		XCHGQ(cur, nxt)
	}
	k.emit(setup, body)
}

// q6kScalesReg returns the 16 float32 scales d·sc_j/4 of the Q6_K block at
// base in a register (AVX-512).
func q6kScalesReg(base GPVirtual) VecVirtual {
	Comment("d·sc/4 of the 16 sub-blocks: int8 scales → float32, times d/4")
	d, s := ZMM(), ZMM()
	VPBROADCASTW(Mem{Base: base, Disp: q6kD}, d.AsY()) // reads exactly the 2 bytes of d
	VCVTPH2PS(d.AsY(), d)
	VMULPS_BCST(quarter(), d, d)
	VPMOVSXBD(Mem{Base: base, Disp: q6kScales}, s)
	VCVTDQ2PS(s, s)
	VMULPS(d, s, s)
	return s
}

// q6kScales stores the 16 float32 scales d·sc_j/4 of the Q6_K block at k.p
// to the stack slot out (AVX2; q6kScalesReg is the AVX-512 form).
func (k *kernel) q6kScales(out Mem) {
	Comment("d·sc/4 of the 16 sub-blocks: int8 scales → float32, times d/4")
	d := YMM()
	VPBROADCASTW(k.bm(q6kD), d.AsX())
	VCVTPH2PS(d.AsX(), d)
	VMULPS(quarter(), d, d)
	for h := 0; h < 2; h++ {
		s := YMM()
		VPMOVSXBD(k.bm(q6kScales+8*h), s)
		VCVTDQ2PS(s, s)
		VMULPS(d, s, s)
		VMOVUPS(s, out.Offset(32*h))
	}
}

// q6kBytes512 returns the 128 bytes Q = 4·(q−32) of half h of the block at
// base in two registers.
//
// ql is the 64 bytes ql[64h:64h+64]; qh' the 32 bytes qh[32h:32h+32] ^ 0xaa
// in both 256-bit halves. Bytes 0-63 of Q (weights 0-63 of the half) are
//
//	(ql << 2) & 0x3c | (qh' << {6, 4}) & 0xc0
//
// with the shift of qh' 6 for bytes 0-31 (bits 0-1 of qh) and 4 for bytes
// 32-63 (bits 2-3); bytes 64-127 are (ql >> 2) & 0x3c | (qh' << {2, 0}) &
// 0xc0. The shifts are 16-bit (there are no byte shifts): the bits a shift
// moves from one byte into its neighbour land outside the mask.
// VPTERNLOGD 0xf8 is A | (B & C).
func q6kBytes512(base GPVirtual, h int, c3c, cc0, caa VecVirtual) (out [2]VecVirtual) {
	Commentf("Q = 4·(q−32) as bytes, weights %d-%d", 128*h, 128*h+127)
	ql, qh := ZMM(), ZMM()
	VMOVDQU64(Mem{Base: base, Disp: 64 * h}, ql)
	VBROADCASTI64X4(Mem{Base: base, Disp: q6kQh + 32*h}, qh)
	VPXORD(caa, qh, qh)
	for s := 0; s < 2; s++ {
		l, hb := ZMM(), ZMM()
		if s == 0 {
			VPSLLW(U8(2), ql, l)
			VPSLLVW(q6kShift(6, 4), qh, hb)
		} else {
			VPSRLW(U8(2), ql, l)
			VPSLLVW(q6kShift(2, 0), qh, hb)
		}
		VPANDD(c3c, l, l)
		VPTERNLOGD(U8(0xf8), cc0, hb, l)
		out[s] = l
	}
	return out
}

// q6kBytes2 is q6kBytes512 on AVX2, 32 bytes at a time: group g = 2s+c
// (weights 32g..32g+31 of the half) is
//
//	(ql_c & 0x0f) << 2  or  (ql_c & 0xf0) >> 2   (s = 0, 1)
//	| (qh' & (3 << 2g)) << (6 − 2g)
//
// with ql_c = ql[32c:32c+32]; masking before the shift keeps every bit in
// its byte, so the OR needs no further mask.
func (k *kernel) q6kBytes2(h int, qb Mem) {
	Commentf("Q = 4·(q−32) as bytes, weights %d-%d", 128*h, 128*h+127)
	qh := YMM()
	VMOVDQU(k.bm(q6kQh+32*h), qh)
	VPXOR(bytesConst("kq_aa", 0xaa), qh, qh)
	for s := 0; s < 2; s++ {
		for c := 0; c < 2; c++ {
			g := 2*s + c
			l, hb := YMM(), YMM()
			VMOVDQU(k.bm(64*h+32*c), l)
			if s == 0 {
				VPAND(bytesConst("kq_0f", 0x0f), l, l)
				VPSLLW(U8(2), l, l)
			} else {
				VPAND(bytesConst("kq_f0", 0xf0), l, l)
				VPSRLW(U8(2), l, l)
			}
			VPAND(bytesConst(fmt.Sprintf("kq_%02x", 3<<(2*g)), byte(3<<(2*g))), qh, hb)
			if g < 3 {
				VPSLLW(U8(6-2*g), hb, hb)
			}
			VPOR(hb, l, l)
			VMOVDQU(l, qb.Offset(32*g))
		}
	}
}
