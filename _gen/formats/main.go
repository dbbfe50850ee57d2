// Command formats generates gemv_formats_amd64.s: the AVX-512 and AVX2 Gemv
// kernels of the F16, BF16, Q8_0 and Q4_0 weight formats of package lmhead.
// Run it through go generate in the root.
//
// Every kernel computes dst[i] = Σ_j w_i[j]·x[j] where w_i[j] is the weight
// exactly as quant_decode.go decodes it, in float32, and x stays float32:
// the weights are decoded in registers and the products are accumulated in
// float32 with FMAs. The decoded weights are exact float32 values (a
// binary16 or bfloat16 is a float32; d·q has at most 11+8 significant bits,
// so the product of a block scale and a quant is exact too, from the
// smallest subnormal half 2⁻²⁴ up to 65504·128 < 2²⁴).
//
//   - F16, BF16 and Q4_0 on AVX-512 multiply each weight out (Q4_0 through
//     a per-block table d·(k−8)) and FMA it with x: a plain float32 dot
//     product of x with the decoded row, with Dot's error bound, and a
//     scale that is ±Inf or NaN gives IEEE's d·q (Inf·0 = NaN) by itself.
//   - Q8_0 on both levels and Q4_0 on AVX2 factor the scale out of each
//     block, Σ_blocks d·(Σ_j q_j·x_j), which saves a multiplication per
//     weight; since d·q is exact this only reassociates the exact products,
//     and the bound (n+8)·2⁻²⁴·Σ|w·x| still holds with a wide margin (each
//     product passes through at most n/32+7 roundings). A block whose d is
//     ±Inf or NaN would lose IEEE's NaN of Inf·0 that way, so every chunk of
//     16 blocks whose scales are not all finite takes the exact path above.
//
// Kernel contract (dispatch.go): len(dst) ≥ 1; len(x) ≥ 1 and a multiple of
// the block size (32 for Q8_0 and Q4_0); len(w) == len(dst)·rowBytes; w at
// any address. Nothing is read outside w, x and dst: the quantized formats
// read every block with loads that lie inside it, and the F16 and BF16 tails
// are masked (AVX-512) or copied through a zeroed stack buffer (AVX2, see
// vec.TailLoadFill for why not VMASKMOVPS).
package main

import (
	"flag"
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/gotypes"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/lmhead/lmhead/_gen/vec"
)

func main() {
	// amd64 explicitly: the stubs file name does not end in _amd64.
	ConstraintExpr("amd64,!purego")
	for _, f := range []*format{f16, bf16, q8_0, q4_0} {
		for _, v := range vec.Levels() {
			gemv(f, v)
		}
	}
	Generate()
	vec.CheckAVX2Registers(flag.Lookup("out").Value.String())
}

// format describes one weight format to the generator.
type format struct {
	name string
	// blockWeights and blockBytes: 1 and 2 for F16 and BF16, whose "block"
	// is one weight; 32 and 34 or 18 for Q8_0 and Q4_0.
	blockWeights, blockBytes int
	// prefetch512, prefetch2: how far ahead of the loads, in bytes, each
	// row is prefetched with PREFETCHT0 on each level; 0 for none.
	prefetch512, prefetch2 int
}

// The prefetch distances follow the f32 gemv's measurements on the same
// machine (tuning.go: gemvPrefetchAVX2): with Zen 4's or Sapphire Rapids'
// hardware prefetchers alone its AVX2 kernel reached 0.88× the read
// bandwidth from DRAM and 0.98× with PREFETCHT0 1024 bytes ahead; on
// AVX-512 no distance helped. The F16 and BF16 kernels prefetch in the
// four-row pass only, on AVX-512 1 KiB ahead, on AVX2 ·halfPrefetchAVX2
// bytes ahead (tuning.go; 1 KiB but on Zen 2): on the Intel Xeon of
// 2026-12-02 (model 207) that took F16 at llama3.2-1b from 47-56 to 40-43
// ms and BF16 from 45-51 to 39-45 ms (three interleaved runs).
//
// Q8_0 and Q4_0 prefetch each row 8 KiB ahead in their one-row pass, and
// a whole number of groups of rows ahead in the four-row pass (groupLead).
// The first measurements, at a fixed distance in every pass: on Zen 5
// (EPYC, family 26) the hardware prefetchers alone left them far below
// their in-cache speed: at llama3.2-1b Q8_0 took 45 ms and Q4_0 41 ms with
// no prefetch, 33 and 21 ms at 2 KiB, 29 and 14 ms at 4 KiB, 16 and 13 ms
// at 8 KiB, no better at 16 KiB (best of three interleaved runs of
// BenchmarkGemvFormat, AVX-512; AVX2 alike). Their decoding is slow
// enough that the loads of four rows do not keep enough misses in flight
// by themselves.
var (
	f16  = &format{name: "F16", blockWeights: 1, blockBytes: 2, prefetch512: 1024, prefetch2: 1024}
	bf16 = &format{name: "BF16", blockWeights: 1, blockBytes: 2, prefetch512: 1024, prefetch2: 1024}
	q8_0 = &format{name: "Q8_0", blockWeights: 32, blockBytes: 34, prefetch512: 8192, prefetch2: 8192}
	q4_0 = &format{name: "Q4_0", blockWeights: 32, blockBytes: 18, prefetch512: 8192, prefetch2: 8192}
)

// rowsPerPass is how many rows one pass of the kernels computes: every x
// vector is loaded once and feeds that many rows' FMAs, and the rows are
// that many independent prefetch streams. The 1-row pass takes the rows
// left over.
const rowsPerPass = 4

// groupLead is how far ahead, in bytes of the matrix, the Q8_0 and Q4_0
// four-row passes prefetch: each row i of the group prefetches the same
// offset in row i of a group ahead, whole groups of 4 rows ahead, the
// fewest that reach groupLead bytes (pfOff). A fixed distance within the
// row, as the one-row pass uses, matched the next group only where four
// rows are about 8 KiB (llama3.2-1b); at llama2-7b (4352-byte Q8_0 rows)
// 8 KiB ahead of a row landed in rows the pass was already reading, and
// Q8_0 took 13.2 ms (median of four interleaved runs, AVX-512, Zen 5)
// against 4.3 ms now, at the read bandwidth. Over one group (4·rb), two,
// and 16 and 24 KiB, 16 KiB had the best or a tied median at both shapes,
// on both levels, for both formats (llama3.2-1b Q8_0 AVX-512 11.5 → 9.6
// ms, Q4_0 7.6 → 6.5).
//
// The four-row pass prefetches into L2 (PREFETCHT1), not L1. On Zen 4
// (EPYC, family 25, model 17; 2026-12-02) PREFETCHT0 left Q8_0 from DRAM
// at half its in-cache speed: 22.1-24.5 ms at llama3.2-1b although 4096
// rows in L3 ran at 24 GB/s, and the lead did not matter (4, 8, 16, 32
// and 64 KiB all 22-23 ms). PREFETCHT1 took it to 13.0-13.4 ms, and at
// llama2-7b 10.3 → 6.7 ms; Q4_0 12.7 → 11.8 and 6.1 → 5.7 ms (medians of
// three interleaved runs, AVX-512; AVX2 Q8_0 24.4 → 17.4 ms). PREFETCHT2
// was about as fast, PREFETCHNTA no faster than T0. The demand loads
// then find the lines in L2, 16 KiB ahead, where four streams of lines
// prefetched into a 32 KiB L1 were evicted or dropped. The F16, BF16
// and K-quant kernels, bound by their decoding or already near the read,
// measured the same with T1 and keep T0.
const groupLead = 16384

// chunkBlocks is how many blocks of each row the quantized kernels convert
// the scales of at once. A block's scale d is a binary16 at the block's
// start; loading, broadcasting and converting it block by block costs three
// vector uops per block and row (VPBROADCASTW's shuffle and VCVTPH2PS's
// two), more than a third of a Q8_0 block's work. Instead one VPGATHERDD
// per row fetches the dwords at the starts of 16 blocks (8 on AVX2, twice),
// they are narrowed to their low words and converted by one VCVTPH2PS, and
// the float32 scales are stored to the stack, from where each block's
// decode takes its d as a broadcast memory operand (an embedded broadcast
// on AVX-512, VBROADCASTSS, a pure load, on AVX2). A first version gathered
// the halves with scalar 16-bit moves into a stack buffer: that cost 12% of
// the Q8_0 and Q4_0 time in L2 (3 scalar instructions per block and row).
// 16 is one zmm of float32.
const chunkBlocks = 16

// k is the state of one kernel being generated.
type k struct {
	f    *format
	v    *vec.ISA
	name string

	dst, rows, x, rb, rb3 GPVirtual
	p, xp, rowEnd         GPVirtual // current position in row 0 and in x; end of row 0
	r                     GPVirtual // F16/BF16: n mod Lanes, the tail's weights
	pfOff                 GPVirtual // Q8_0/Q4_0: the four-row pass's prefetch distance (groupLead)

	acc [rowsPerPass][2]VecVirtual // acc[row][u]: two chains per row

	fbuf   Mem       // quantized: the chunk's block scales as float32, 16 per row
	hbuf   Mem       // quantized, AVX2: the same as binary16, gathered by scalar moves
	last   GPVirtual // quantized, AVX2: the last block of row 0 of the group
	wbuf   Mem       // AVX2 F16/BF16: the zero-padded bounce buffer of a weight tail
	consts map[string]VecVirtual
	xOdd   Mem // factored kernels: nonzero when some x is outside the factored path's range
}

func (g *k) label(s string) string { return fmt.Sprintf("%s_%s_%s", g.name, s, g.v.Name) }

// row returns the address disp bytes past base in row i of the pass: row i
// starts i·rb bytes after row 0, so one pointer walks all rows, with rb and
// 3·rb as the index.
func (g *k) row(base Register, i, disp int) Mem {
	switch i {
	case 0:
		return Mem{Base: base, Disp: disp}
	case 1:
		return Mem{Base: base, Index: g.rb, Scale: 1, Disp: disp}
	case 2:
		return Mem{Base: base, Index: g.rb, Scale: 2, Disp: disp}
	}
	return Mem{Base: base, Index: g.rb3, Scale: 1, Disp: disp}
}

func (g *k) prefetch() int {
	if g.v.Wide() {
		return g.f.prefetch512
	}
	return g.f.prefetch2
}

// gemv emits gemv<F><ISA>(dst []float32, w []byte, x []float32).
func gemv(f *format, v *vec.ISA) {
	name := "gemv" + f.name + v.Name
	TEXT(name, NOSPLIT, "func(dst []float32, w []byte, x []float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes dst[i] = Σ_j w_i[j]·x[j] over the %s rows of w, "+
		"each decoded exactly in registers. It requires len(dst) ≥ 1, len(x) ≥ 1 a "+
		"multiple of %d and len(w) == len(dst)·%d·len(x)/%d.", name, f.name, f.blockWeights, f.blockBytes, f.blockWeights))
	g := &k{f: f, v: v, name: name, consts: map[string]VecVirtual{}}
	g.dst = load(Param("dst").Base())
	g.rows = load(Param("dst").Len())
	g.p = load(Param("w").Base())
	g.x = load(Param("x").Base())
	n := load(Param("x").Len())

	Comment("rb = the bytes of one row = n/blockWeights·blockBytes; rb3 = 3·rb")
	g.rb = GP64()
	if f.blockWeights == 1 {
		LEAQ(Mem{Base: n, Index: n, Scale: 1}, g.rb) // 2n
	} else {
		MOVQ(n, g.rb)
		SHRQ(U8(5), g.rb) // blocks
		IMUL3Q(U32(f.blockBytes), g.rb, g.rb)
	}
	g.rb3 = GP64()
	LEAQ(Mem{Base: g.rb, Index: g.rb, Scale: 2}, g.rb3)

	if f.blockWeights == 1 {
		Commentf("r = n mod %d, the weights of the masked tail", v.Lanes)
		g.r = GP64()
		MOVQ(n, g.r)
		ANDQ(U32(v.Lanes-1), g.r)
		JZ(LabelRef(g.label("nomask")))
		v.Tail(g.r)
		if !v.Wide() {
			// The weight tail's bounce buffer: its lanes past r stay zero
			// for the whole call, so that the padding lanes multiply x's
			// zero padding as 0·0 (a stale NaN or Inf would give NaN).
			g.wbuf = AllocLocal(16)
			z := XMM()
			VXORPS(z, z, z)
			VMOVUPS(z, g.wbuf)
		}
		Label(g.label("nomask"))
	} else {
		g.fbuf = AllocLocal(4 * chunkBlocks * rowsPerPass)
		if !v.Wide() {
			g.hbuf = AllocLocal(2 * chunkBlocks * rowsPerPass)
			// Zero the binary16 scale buffer: the lanes of a short chunk
			// past its blocks are converted and checked for Inf and NaN
			// too, and must hold zeros or scales seen earlier in the call.
			z := v.Vec()
			VXORPS(z, z, z)
			for o := 0; o < 2*chunkBlocks*rowsPerPass; o += v.Bytes() {
				VMOVUPS(z, g.hbuf.Offset(o))
			}
		}
	}
	if g.f.blockWeights > 1 && g.factored() {
		g.checkX(n)
	}
	if g.f.blockWeights > 1 && g.prefetch() > 0 {
		Commentf("pfOff = the smallest multiple of 4·rb (a group of rows) that is ≥ %d", groupLead)
		g.pfOff = GP64()
		step := GP64()
		MOVQ(g.rb, step)
		SHLQ(U8(2), step)
		MOVQ(step, g.pfOff)
		Label(g.label("pfoff"))
		CMPQ(g.pfOff, U32(groupLead))
		JAE(LabelRef(g.label("pfok")))
		ADDQ(step, g.pfOff)
		JMP(LabelRef(g.label("pfoff")))
		Label(g.label("pfok"))
	}
	g.loadConsts()

	g.xp, g.rowEnd = GP64(), GP64()
	for i := range g.acc {
		g.acc[i] = [2]VecVirtual{v.Vec(), v.Vec()}
	}
	if g.f.blockWeights == 1 {
		// F16 and BF16 rows of at least ·halfStreamRowBytes are streamed
		// one at a time, as the f32 AVX-512 gemv streams rows of 512
		// bytes. Whether that beats four interleaved rows depends on the
		// CPU (tuning.go: on Zen 5 it does, on both levels, 0.85-0.9 of
		// the read bandwidth against 0.70-0.75; on Intel it does not), so
		// the threshold is a variable that the package sets from the
		// CPU's vendor.
		CMPQ(g.rb, Mem{Symbol: Symbol{Name: "·halfStreamRowBytes"}, Base: StaticBase})
		JAE(LabelRef(g.label("rows1")))
	}
	g.pass(rowsPerPass)
	g.pass(1)
	Label(g.label("done"))
	VZEROUPPER()
	RET()
}

// Range of x for the factored kernels. Factoring d out computes q·x and
// Σ_j q_j·x_j in float32 before the multiplication by d, so they may
// overflow where the reference's d·q·x does not (|Σ q·x| ≤ 2¹²·max|x|), or
// q·x may underflow to a subnormal whose rounding error d (up to 2¹⁶)
// magnifies. With every nonzero |x| in [2⁻⁶⁴, 2⁶⁴) neither happens; any
// other x (and Inf or NaN) sends the whole call to the exact path. x is
// n ≥ 32 floats, a multiple of 32: whole vectors, no tail.
const (
	xRangeLo = 0x1f800000 // bits of 2⁻⁶⁴
	xRangeHi = 0x5f800000 // bits of 2⁶⁴
)

// checkX emits the scan of x that sets xOdd (see xRangeLo): with b the
// bits of |x|, hi = max b and lo = min (b−1), whose 0−1 wraps to 2³²−1 so
// that zeros never count as tiny; x is in range iff hi < xRangeHi and
// lo ≥ xRangeLo−1, unsigned.
func (g *k) checkX(n GPVirtual) {
	v := g.v
	Comment("xOdd = some x is nonzero with |x| outside [2⁻⁶⁴, 2⁶⁴), or Inf or NaN")
	g.xOdd = AllocLocal(8)
	MOVQ(U32(0), g.xOdd)
	p, end := GP64(), GP64()
	MOVQ(g.x, p)
	LEAQ(Mem{Base: g.x, Index: n, Scale: 4}, end)
	hi, lo := v.Vec(), v.Vec()
	VPXOR(hi.AsY(), hi.AsY(), hi.AsY())
	VPCMPEQD(hi.AsY(), hi.AsY(), lo.AsY())
	if v.Wide() {
		VINSERTI64X4(U8(1), lo.AsY(), lo, lo)
	}
	Label(g.label("xscan"))
	b := v.Vec()
	// b = bits of |x| (VPAND has no 512-bit form, VPANDD no VEX one)
	if v.Wide() {
		VMOVDQU32(Mem{Base: p}, b)
		VPANDD(global("absMask"), b, b)
	} else {
		VMOVDQU(Mem{Base: p}, b)
		VPAND(global("absMask"), b, b)
	}
	VPMAXUD(b, hi, hi)
	VPSUBD(global("one"), b, b)
	VPMINUD(b, lo, lo)
	ADDQ(U32(v.Bytes()), p)
	CMPQ(p, end)
	JB(LabelRef(g.label("xscan")))
	hy, ly := hi.AsY(), lo.AsY()
	if v.Wide() {
		t := YMM()
		VEXTRACTI64X4(U8(1), hi, t)
		VPMAXUD(t, hy, hy)
		VEXTRACTI64X4(U8(1), lo, t)
		VPMINUD(t, ly, ly)
	}
	// big: lanes with hi ≥ xRangeHi; ok: lanes with lo ≥ xRangeLo−1
	big, ok, t := YMM(), YMM(), YMM()
	VPMAXUD(global("xRangeHi"), hy, t)
	VPCMPEQD(hy, t, big)
	VPMAXUD(global("xRangeLo1"), ly, t)
	VPCMPEQD(ly, t, ok)
	VPCMPEQD(t, t, t) // all ones
	VPANDN(t, ok, ok) // ¬ok
	VPOR(ok, big, big)
	VPTEST(big, big)
	JZ(LabelRef(g.label("xok")))
	MOVQ(U32(1), g.xOdd)
	Label(g.label("xok"))
}

// load loads an argument into a fresh general register.
func load(c Component) GPVirtual {
	r := GP64()
	Load(c, r)
	return r
}

// Constants. q4Table is the Q4_0 code table: lane k holds k−8, the value of
// the 4-bit code k (ggml stores q+8 in each nibble). The AVX-512 kernel
// scales it by the block's d and looks the nibbles up in it with VPERMD,
// whose index is the low 4 bits of each dword. nib and eight are the AVX2
// kernel's nibble mask and code offset.
var constData = map[string]func(i int) uint32{
	"q4Table":   func(i int) uint32 { return math.Float32bits(float32(i - 8)) },
	"nib":       func(int) uint32 { return 0xf },
	"eight":     func(int) uint32 { return 8 },
	"expMask":   func(int) uint32 { return 0x7f800000 },
	"absMask":   func(int) uint32 { return 0x7fffffff },
	"one":       func(int) uint32 { return 1 },
	"xRangeHi":  func(int) uint32 { return xRangeHi },
	"xRangeLo1": func(int) uint32 { return xRangeLo - 1 },
	// iota<BB>: k·BB, the byte offset of block k of a chunk.
	"iota34": func(i int) uint32 { return uint32(34 * i) },
	"iota18": func(i int) uint32 { return uint32(18 * i) },
	// scaleWords<BB>: word lane b < 16 is the index of block b's scale
	// (word b·BB/2 of a full chunk) within its 64-word group
	// (fullChunkScales); lanes 16-31 are unused.
	"scaleWords34": func(i int) uint32 { return scaleWords(34, 2*i) | scaleWords(34, 2*i+1)<<16 },
	"scaleWords18": func(i int) uint32 { return scaleWords(18, 2*i) | scaleWords(18, 2*i+1)<<16 },
}

func scaleWords(bb, b int) uint32 {
	if b >= chunkBlocks {
		return 0
	}
	return uint32(b * bb / 2 % 64)
}

var globals = map[string]Mem{}

// global returns the 64-byte constant name, declared once per file.
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

// loadConsts loads the constants the format's decode holds in registers.
func (g *k) loadConsts() {
	var names []string
	switch {
	case g.f == q4_0 && g.v.Wide():
		names = []string{"q4Table"}
	case g.f == q4_0:
		names = []string{"nib", "eight"}
	}
	for _, s := range names {
		r := g.v.Vec()
		VMOVUPS(global(s), r)
		g.consts[s] = r
	}
}

// pass emits the loop over groups of nr rows (rowsPerPass or 1): while
// rows ≥ nr, the nr dot products, stored to dst[0:nr].
func (g *k) pass(nr int) {
	l := func(s string) string { return g.label(fmt.Sprintf("%s%d", s, nr)) }
	next := g.label("done")
	if nr > 1 {
		next = g.label("rows1")
	}
	Commentf("groups of %d row(s)", nr)
	Label(l("rows"))
	CMPQ(g.rows, U8(nr))
	JB(LabelRef(next))
	quads := g.f.blockWeights == 1 && g.quads(nr)
	zeroed := nr
	if quads {
		zeroed = 2 // quads accumulates into acc[1] too
	}
	for i := 0; i < zeroed; i++ {
		VXORPS(g.acc[i][0], g.acc[i][0], g.acc[i][0])
		VXORPS(g.acc[i][1], g.acc[i][1], g.acc[i][1])
	}
	MOVQ(g.x, g.xp)
	LEAQ(Mem{Base: g.p, Index: g.rb, Scale: 1}, g.rowEnd)
	if g.f.blockWeights == 1 {
		g.halves(nr, l)
	} else {
		g.blocks(nr, l)
	}

	Commentf("dst[0:%d] = the row sums; p = the next group's row 0", nr)
	Label(l("reduce"))
	for i := 0; i < nr; i++ {
		VADDPS(g.acc[i][1], g.acc[i][0], g.acc[i][0])
	}
	if quads {
		VADDPS(g.acc[1][1], g.acc[1][0], g.acc[1][0])
		VADDPS(g.acc[1][0], g.acc[0][0], g.acc[0][0])
	}
	if nr == 4 {
		VMOVUPS(g.v.HSum4([4]VecVirtual{g.acc[0][0], g.acc[1][0], g.acc[2][0], g.acc[3][0]}), Mem{Base: g.dst})
		// p is at the end of row 0; rows 1-3 follow.
		LEAQ(Mem{Base: g.rowEnd, Index: g.rb3, Scale: 1}, g.p)
	} else {
		VMOVSS(g.v.HSum(g.acc[0][0]), Mem{Base: g.dst})
		MOVQ(g.rowEnd, g.p)
	}
	ADDQ(U8(4*nr), g.dst)
	SUBQ(U8(nr), g.rows)
	JMP(LabelRef(l("rows")))
}

// halves emits the F16 or BF16 row loop: L = Lanes weights (2L bytes) per
// vector, two vectors per trip, then one, then the masked tail of r.
func (g *k) halves(nr int, l func(string) string) {
	v := g.v
	L := v.Lanes
	pairEnd := GP64()
	Commentf("pairEnd = row 0's start + rb rounded down to whole pairs of %d-weight vectors", L)
	MOVQ(g.rb, pairEnd)
	ANDQ(I32(-4*L), pairEnd)
	ADDQ(g.p, pairEnd)
	CMPQ(g.p, pairEnd)
	JAE(LabelRef(l("single")))

	if g.quads(nr) {
		g.quadLoop(l, pairEnd)
	}

	var pd GPVirtual
	if !v.Wide() && nr > 1 {
		Comment("pd = p + ·halfPrefetchAVX2, where row 0 is prefetched (tuning.go)")
		pd = GP64()
		MOVQ(Mem{Symbol: Symbol{Name: "·halfPrefetchAVX2"}, Base: StaticBase}, pd)
		ADDQ(g.p, pd)
	}
	Comment("acc[i][u] += decode(w[row i][j+u·L : j+(u+1)·L]) · x[j+u·L : …], u = 0, 1")
	Label(l("pair"))
	var xv [2]VecVirtual
	for u := range xv {
		xv[u] = v.Vec()
		VMOVUPS(Mem{Base: g.xp, Disp: u * 4 * L}, xv[u])
	}
	for i := 0; i < nr; i++ {
		// The one-row pass (rows streamed alone, tuning.go) does not
		// prefetch: it was measured fastest without on Zen 5 (AVX2: as
		// fast, five interleaved runs).
		switch d := g.prefetch(); {
		case pd != nil:
			PREFETCHT0(g.row(pd, i, 0))
		case d > 0 && nr > 1:
			PREFETCHT0(g.row(g.p, i, d))
		}
		for u := 0; u < 2; u++ {
			w := g.decodeHalves(g.row(g.p, i, u*2*L))
			VFMADD231PS(xv[u], w, g.acc[i][u])
		}
	}
	ADDQ(U32(4*L), g.p)
	ADDQ(U32(8*L), g.xp)
	if pd != nil {
		ADDQ(U32(4*L), pd)
	}
	CMPQ(g.p, pairEnd)
	JB(LabelRef(l("pair")))

	Comment("one whole vector left when the row holds an odd number of them")
	Label(l("single"))
	left := GP64()
	MOVQ(g.rowEnd, left)
	SUBQ(g.p, left)
	CMPQ(left, U32(2*L))
	JB(LabelRef(l("tail")))
	VMOVUPS(Mem{Base: g.xp}, xv[0])
	for i := 0; i < nr; i++ {
		w := g.decodeHalves(g.row(g.p, i, 0))
		VFMADD231PS(xv[0], w, g.acc[i][0])
	}
	ADDQ(U32(2*L), g.p)
	ADDQ(U32(4*L), g.xp)

	Comment("the last r = n mod L weights: x's other lanes are zero, and so are the weights'")
	Label(l("tail"))
	TESTQ(g.r, g.r)
	JZ(LabelRef(l("reduce")))
	v.TailLoad(Mem{Base: g.xp}, xv[0])
	for i := 0; i < nr; i++ {
		var w VecVirtual
		if v.Wide() {
			// A masked load: the masked-off halves are neither read nor
			// able to fault, and their lanes are zeroed.
			w = g.decodeHalvesMasked(g.row(g.p, i, 0))
		} else {
			// Copy the r halves into the zero-padded buffer and decode
			// them from there.
			a, j, t := GP64(), GP64(), GP32()
			LEAQ(g.row(g.p, i, 0), a)
			XORQ(j, j)
			lp := l(fmt.Sprintf("copy%d", i))
			Label(lp)
			MOVWLZX(Mem{Base: a, Index: j, Scale: 2}, t)
			MOVW(t.As16(), g.wbuf.Idx(j, 2))
			INCQ(j)
			CMPQ(j, g.r)
			JB(LabelRef(lp))
			w = g.decodeHalves(g.wbuf)
		}
		VFMADD231PS(xv[0], w, g.acc[i][1])
	}
}

// quads reports whether an nr-row pass of F16 or BF16 runs quadLoop: the
// AVX2 one-row pass.
func (g *k) quads(nr int) bool { return nr == 1 && !g.v.Wide() }

// quadLoop emits the AVX2 one-row pass's main loop over F16 or BF16: four
// vectors per trip into four accumulators (acc[0] and acc[1]; the pass's
// reduce adds acc[1] in). With the two chains of the pair loop a streamed
// row is bound by the FMA latency: 16 weights per 4 cycles, 29 GB/s at 3.6
// GHz, below Zen 5's read bandwidth. It leaves at most one pair of vectors
// to the pair loop, and skips that loop, which runs at least once, when
// none is left.
func (g *k) quadLoop(l func(string) string, pairEnd GPVirtual) {
	v := g.v
	L := v.Lanes
	quadEnd := GP64()
	Commentf("quadEnd = row 0's start + rb rounded down to whole groups of four %d-weight vectors", L)
	MOVQ(g.rowEnd, quadEnd)
	SUBQ(g.p, quadEnd)
	ANDQ(I32(-8*L), quadEnd)
	ADDQ(g.p, quadEnd)
	CMPQ(g.p, quadEnd)
	JAE(LabelRef(l("pair")))
	Comment("acc[u/2][u%2] += decode(w[j+u·L : j+(u+1)·L]) · x[j+u·L : …], u = 0..3")
	Label(l("quad"))
	for u := 0; u < 4; u++ {
		xv := v.Vec()
		VMOVUPS(Mem{Base: g.xp, Disp: u * 4 * L}, xv)
		w := g.decodeHalves(Mem{Base: g.p, Disp: u * 2 * L})
		VFMADD231PS(xv, w, g.acc[u/2][u%2])
	}
	ADDQ(U32(8*L), g.p)
	ADDQ(U32(16*L), g.xp)
	CMPQ(g.p, quadEnd)
	JB(LabelRef(l("quad")))
	CMPQ(g.p, pairEnd)
	JAE(LabelRef(l("single")))
}

// decodeHalves returns the L weights at m (2L bytes) as float32.
//
//	F16:  VCVTPH2PS, exact for every half (subnormals, ±Inf, NaN).
//	BF16: the half zero-extended to a dword and shifted left 16: the bits
//	      of the float32 whose top half the bfloat16 is.
func (g *k) decodeHalves(m Mem) VecVirtual {
	w := g.v.Vec()
	if g.f == f16 {
		VCVTPH2PS(m, w)
	} else {
		VPMOVZXWD(m, w)
		VPSLLD(U8(16), w, w)
	}
	return w
}

// decodeHalvesMasked is decodeHalves for the first r weights at m, the
// AVX-512 tail; the other lanes are zero.
func (g *k) decodeHalvesMasked(m Mem) VecVirtual {
	w, km := g.v.Vec(), g.v.TailMask()
	if g.f == f16 {
		VCVTPH2PS_Z(m, km, w)
	} else {
		VPMOVZXWD_Z(m, km, w)
		VPSLLD(U8(16), w, w)
	}
	return w
}

// blocks emits the Q8_0 or Q4_0 row loop: chunks of up to chunkBlocks
// blocks, each chunk first converting its scales (see chunkBlocks), then
// decoding and accumulating its blocks one at a time.
func (g *k) blocks(nr int, l func(string) string) {
	bb := g.f.blockBytes
	pend, bi := GP64(), GP64()

	if !g.v.Wide() {
		Comment("hbuf = the scales of the group's first chunk; last = row 0's last block")
		g.gatherAVX2(nr, l, "gather0", g.p)
		g.last = GP64()
		LEAQ(Mem{Base: g.rowEnd, Disp: -bb}, g.last)
	}
	Label(l("chunk"))
	Commentf("pend = min(p + %d blocks, end of row 0)", chunkBlocks)
	LEAQ(Mem{Base: g.p, Disp: chunkBlocks * bb}, pend)
	CMPQ(pend, g.rowEnd)
	CMOVQHI(g.rowEnd, pend)

	factored := g.factored()
	if g.v.Wide() {
		g.scales512(nr, l, pend, bi, factored, l("exact"))
	} else {
		g.scalesAVX2(nr, l, pend, bi, factored, l("exact"))
	}
	g.blockLoop(nr, l, "block", bi, pend, factored)
	if factored {
		JMP(LabelRef(l("next")))
		g.blockLoop(nr, l, "exact", bi, pend, false)
	}
	Label(l("next"))
	CMPQ(g.p, g.rowEnd)
	JB(LabelRef(l("chunk")))
}

// scales512 emits the AVX-512 scale conversion of a chunk: fbuf[i][b] =
// float32(d) for block b of the chunk in row i, bi = 0, and, when
// factored, a jump to exact if any of the scales is ±Inf or NaN.
//
// A full chunk (16 blocks, the common case) collects its 16 binary16
// scales with word permutes of the chunk's bytes (fullChunkScales); a
// shorter one, at the end of a row, with one VPGATHERDD per row, which
// fetches the dwords at the starts of the chunk's blocks (d and the block's
// first two quant bytes: every dword lies inside its block) and VPMOVDW
// narrows them to their low words. VCVTPH2PS converts either. The gather
// is the slower: on Zen 5 (EPYC, family 26) it cost Q4_0 about 1.8 cycles
// per block and row, 4.4 against 2.6 for the permutes, in a C model of the
// 4-row loop over L1-resident blocks.
func (g *k) scales512(nr int, l func(string) string, pend, bi GPVirtual, factored bool, exact string) {
	bb := g.f.blockBytes
	var km Register
	if factored {
		km = K()
	}
	// store stores row i's float32 scales t and, when factored, adds to km
	// whether any of them is ±Inf or NaN. (Lanes past a short chunk's
	// blocks repeat its last scale.)
	store := func(i int, t VecVirtual) {
		VMOVUPS(t, g.fbuf.Offset(4*chunkBlocks*i))
		if !factored {
			return
		}
		if i == 0 {
			VFPCLASSPSZ(U8(fpclassInfNaN), t, km)
			return
		}
		kt := K()
		VFPCLASSPSZ(U8(fpclassInfNaN), t, kt)
		KORW(kt, km, km)
	}
	rowBase := func(i int) GPVirtual {
		if i == 0 {
			return g.p
		}
		base := GP64()
		LEAQ(g.row(g.p, i, 0), base)
		return base
	}

	XORQ(bi, bi) // before the check's jump: both block loops start at 0
	last := GP64()
	MOVQ(pend, last)
	SUBQ(g.p, last)
	CMPQ(last, U32(chunkBlocks*bb))
	JNE(LabelRef(l("short")))
	g.fullChunkScales(nr, rowBase, store)
	JMP(LabelRef(l("scaled")))

	Label(l("short"))
	Commentf("idx[k] = min(k·%d, pend−p−%d): the byte offsets of the chunk's blocks in a row;", bb, bb)
	Comment("lanes past the chunk's last block repeat it, so that every lane reads inside the row")
	SUBQ(U32(bb), last)
	clamp, idx := ZMM(), ZMM()
	VPBROADCASTD(last.As32(), clamp)
	VPMINSD(global(fmt.Sprint("iota", bb)), clamp, idx)
	Comment("fbuf[i][b] = float32(d), d the binary16 scale of block b of the chunk in row i")
	for i := 0; i < nr; i++ {
		base := rowBase(i)
		// d is defined before the gather, which merges into it, and the
		// mask by KMOVW rather than KXNORW k, k, k: else avo would take
		// them as live from the function's start.
		d, t, w := ZMM(), ZMM(), YMM()
		VMOVDQA64(clamp, d)
		ones, all := GP32(), K()
		MOVL(U32(0xffff), ones)
		KMOVW(ones, all) // all 16 lanes; the gather clears it
		VPGATHERDD(Mem{Base: base, Index: idx, Scale: 1}, all, d)
		VPMOVDW(d, w)
		VCVTPH2PS(w, t)
		store(i, t)
	}

	Label(l("scaled"))
	if factored {
		// Only now, with every row's scales converted, may the chunk
		// leave for the exact path.
		KORTESTW(km, km)
		JNZ(LabelRef(exact))
		CMPQ(g.xOdd, U8(0))
		JNE(LabelRef(exact))
	}
}

// fullChunkScales emits the scale conversion of a full chunk (16 blocks,
// 16·blockBytes bytes from p in every row): block b's binary16 scale is
// word b·blockBytes/2 of the chunk. The words are taken 64 at a time, from
// 128-byte groups of the chunk: VPERMT2W picks a group's scales out of its
// two 64-byte halves (the second half a memory operand), and a masked
// VMOVDQU16 merges them into word lanes 0-15 of row i's result; a group
// that the chunk ends inside (Q4_0's third: bytes 256-287) is loaded as one
// ymm and permuted by VPERMW, merging by itself. Every load lies inside
// the chunk. Q4_0: 3 loads, 2 VPERMT2W, 1 VPERMW, 1 merge; Q8_0: 4 loads,
// 4 VPERMT2W, 3 merges; then one VCVTPH2PS per row.
func (g *k) fullChunkScales(nr int, rowBase func(int) GPVirtual, store func(int, VecVirtual)) {
	bb := g.f.blockBytes
	chunkBytes := chunkBlocks * bb
	groups := (chunkBytes + 127) / 128
	idx := ZMM()
	VMOVDQU64(global(fmt.Sprint("scaleWords", bb)), idx)
	masks := make([]Register, groups)
	for j := 1; j < groups; j++ {
		var m uint32
		for b := 0; b < chunkBlocks; b++ {
			if b*bb/2/64 == j {
				m |= 1 << b
			}
		}
		t := GP32()
		MOVL(U32(m), t)
		masks[j] = K()
		KMOVD(t, masks[j])
	}
	Comment("fbuf[i][b] = float32(d), d the binary16 scale of block b of the chunk in row i,")
	Comment("collected by word permutes of the chunk's 128-byte groups")
	for i := 0; i < nr; i++ {
		base := rowBase(i)
		r := ZMM()
		for j := 0; j < groups; j++ {
			lo := 128 * j
			if lo+128 > chunkBytes {
				// The chunk ends inside this group: its scales lie in
				// its first 32 bytes (checked here), loaded as a ymm.
				for b := 0; b < chunkBlocks; b++ {
					if w := b * bb / 2; w/64 == j && 2*(w%64)+2 > 32 {
						panic("fullChunkScales: a scale past the group's first 32 bytes")
					}
				}
				if j == 0 || lo+32 > chunkBytes {
					panic("fullChunkScales: a chunk of less than 128 bytes, or a ymm load past it")
				}
				t := ZMM()
				VMOVDQU(Mem{Base: base, Disp: lo}, t.AsY()) // zeroes the upper half
				VPERMW(t, idx, masks[j], r)
				continue
			}
			t := r
			if j > 0 {
				t = ZMM()
			}
			VMOVDQU64(Mem{Base: base, Disp: lo}, t)
			VPERMT2W(Mem{Base: base, Disp: lo + 64}, idx, t)
			if j > 0 {
				VMOVDQU16(t, masks[j], r)
			}
		}
		f := ZMM()
		VCVTPH2PS(r.AsY(), f)
		store(i, f)
	}
}

// scalesAVX2 is scales512 for AVX2. The halves are gathered with scalar
// 16-bit moves into hbuf and converted 8 at a time. Not VPGATHERDD: under
// qemu 7.2 (CI's AVX2 test machine) its 8-lane form gave wrong scales for
// some chunks that it gets right on hardware, and Haswell's gathers are
// slow anyway.
//
// hbuf holds the chunk's scales before the chunk starts: the group's first
// chunk is gathered before its chunk loop, and each block loop gathers the
// next chunk's scales as it goes (gatherNext). Zen 2 retires one store per
// cycle, and a gather loop of its own, four stores per block, ran apart
// from the vector work: in cache (Q8_0, 64×2048) it cost 0.9-1.0 cycle per
// block and row, 7.3 against 6.4 cycles with the stores removed.
func (g *k) scalesAVX2(nr int, l func(string) string, pend, bi GPVirtual, factored bool, exact string) {
	v := g.v
	Comment("fbuf[i][b] = float32(hbuf[i][b]), exactly")
	var spec VecVirtual
	XORQ(bi, bi) // before the check's jump: both block loops start at 0
	for i := 0; i < nr; i++ {
		for h := 0; h < chunkBlocks/v.Lanes; h++ {
			t := YMM()
			VCVTPH2PS(g.hbuf.Offset(2*chunkBlocks*i+2*v.Lanes*h), t)
			VMOVUPS(t, g.fbuf.Offset(4*chunkBlocks*i+4*v.Lanes*h))
			if !factored {
				continue
			}
			// Exponent bits all ones ⇔ ±Inf or NaN. Lanes past the
			// chunk hold zeros or scales seen earlier in this call, so
			// they can only send a chunk to the exact path needlessly.
			VPAND(global("expMask"), t, t)
			VPCMPEQD(global("expMask"), t, t)
			if spec == nil {
				spec = t
			} else {
				VPOR(t, spec, spec)
			}
		}
	}
	if factored {
		VPTEST(spec, spec)
		JNZ(LabelRef(exact))
		CMPQ(g.xOdd, U8(0))
		JNE(LabelRef(exact))
	}
}

// gatherAVX2 emits the loop, at label name, that stores in hbuf[i][b] the
// binary16 scale of block b of row i of the chunk at start: the blocks from
// start to min(start + chunkBlocks blocks, end of row 0).
func (g *k) gatherAVX2(nr int, l func(string) string, name string, start GPVirtual) {
	bb := g.f.blockBytes
	q, end, j := GP64(), GP64(), GP64()
	MOVQ(start, q)
	LEAQ(Mem{Base: start, Disp: chunkBlocks * bb}, end)
	CMPQ(end, g.rowEnd)
	CMOVQHI(g.rowEnd, end)
	XORQ(j, j)
	Label(l(name))
	g.storeScales(nr, q, j)
	ADDQ(U32(bb), q)
	INCQ(j)
	CMPQ(q, end)
	JB(LabelRef(l(name)))
}

// gatherNext emits, inside a block loop at block bi, the gather of block
// bi of the next chunk into hbuf[i][bi]: the block chunkBlocks further on,
// or row 0's last block (g.last) where that is past the row, so that no
// load leaves the group's rows. A short or missing next chunk thus leaves
// scales of this call in the lanes past it, as scalesAVX2 requires.
func (g *k) gatherNext(nr int, bi GPVirtual) {
	q := GP64()
	LEAQ(Mem{Base: g.p, Disp: chunkBlocks * g.f.blockBytes}, q)
	CMPQ(q, g.last)
	CMOVQHI(g.last, q)
	g.storeScales(nr, q, bi)
}

// storeScales emits hbuf[i][b] = the binary16 scale of the block at q in
// row i, for the nr rows of the group.
func (g *k) storeScales(nr int, q, b GPVirtual) {
	for i := 0; i < nr; i++ {
		t := GP32()
		MOVWLZX(g.row(q, i, 0), t)
		MOVW(t.As16(), g.hbuf.Offset(2*chunkBlocks*i).Idx(b, 2))
	}
}

// fpclassInfNaN is VFPCLASSPS's class selector for QNaN (0x01), +Inf
// (0x08), −Inf (0x10) and SNaN (0x80).
const fpclassInfNaN = 0x99

// factored reports whether the kernel's main block loop factors the block
// scale out of its block, Σ_blocks d·(Σ_j q_j·x_j), with an exact path,
// d·q per weight, for chunks that hold a non-finite scale (Inf·0 must give
// NaN there, which the factored sum would not). It saves the per-weight
// multiplication by d. The error bound holds: d·q is exact, so the
// factored sum only reassociates exact products. The AVX-512 Q4_0 kernel
// folds d into its code table instead, which is exact and as cheap.
func (g *k) factored() bool { return g.f == q8_0 || !g.v.Wide() }

// blockLoop emits the loop over the blocks of one chunk, at label name.
func (g *k) blockLoop(nr int, l func(string) string, name string, bi, pend GPVirtual, factored bool) {
	v, bb := g.v, g.f.blockBytes
	if factored {
		Comment("each block of the chunk: acc[i] += d · Σ_j q_j·x_j over the block of row i")
	} else {
		Comment("each block of the chunk: acc[i] += Σ_j (d·q_j)·x_j over the block of row i, d·q_j exact")
	}
	Label(l(name))
	var xv []VecVirtual
	if v.Wide() || g.f == q8_0 {
		// x's block (two zmm or four ymm), loaded once for the nr rows.
		// AVX2 Q4_0 has no registers to spare for its four ymm (two
		// hold its constants): its FMAs take x from memory. AVX2 Q8_0
		// on Zen 2 is bound by the two loads per cycle, and x was four
		// of its eleven loads per block and row: in cache (64×2048)
		// 7.3 → 6.5 cycles per block and row.
		xv = make([]VecVirtual, 32/v.Lanes)
		for u := range xv {
			xv[u] = v.Vec()
			VMOVUPS(Mem{Base: g.xp, Disp: 4 * v.Lanes * u}, xv[u])
		}
	}
	var pf GPVirtual
	if nr == rowsPerPass && g.pfOff != nil {
		pf = GP64()
		LEAQ(Mem{Base: g.p, Index: g.pfOff, Scale: 1}, pf)
	}
	for i := 0; i < nr; i++ {
		switch d := g.prefetch(); {
		case pf != nil:
			PREFETCHT1(g.row(pf, i, 0))
		case d > 0:
			PREFETCHT0(g.row(g.p, i, d))
		}
		d := g.fbuf.Offset(4*chunkBlocks*i).Idx(bi, 4)
		switch {
		case factored:
			g.factoredBlock(i, d, xv)
		case g.f == q8_0:
			g.q8Block(i, d, xv)
		default:
			g.q4Block(i, d, xv)
		}
	}
	if !v.Wide() {
		g.gatherNext(nr, bi)
	}
	ADDQ(U32(bb), g.p)
	ADDQ(U32(128), g.xp)
	INCQ(bi)
	CMPQ(g.p, pend)
	JB(LabelRef(l(name)))
}

// decodeCodes returns the block's 32 codes of row i as float32 vectors in
// weight order (2 zmm or 4 ymm): q_j for Q8_0, q_j−8 for Q4_0, exact.
//
// Q8_0: VPMOVSXBD sign-extends 16 (8) int8 to dwords, VCVTDQ2PS converts.
// Q4_0 (AVX2): VPMOVZXBD the 8 bytes of each half h of qs to dwords; AND
// 0xF is the code of weight 8h+j, a shift right by 4 that of weight
// 16+8h+j; subtract 8 and convert.
func (g *k) decodeCodes(i int) []VecVirtual {
	v := g.v
	var out []VecVirtual
	if g.f == q8_0 {
		for u := 0; u < 32/v.Lanes; u++ {
			w := v.Vec()
			VPMOVSXBD(g.row(g.p, i, 2+v.Lanes*u), w)
			VCVTDQ2PS(w, w)
			out = append(out, w)
		}
		return out
	}
	out = make([]VecVirtual, 4)
	for h := 0; h < 2; h++ {
		q, hi := YMM(), YMM()
		VPMOVZXBD(g.row(g.p, i, 2+8*h), q)
		VPSRLD(U8(4), q, hi)
		VPAND(g.consts["nib"], q, q)
		for u, c := range []VecVirtual{q, hi} {
			VPSUBD(g.consts["eight"], c, c)
			VCVTDQ2PS(c, c)
			out[h+2*u] = c
		}
	}
	return out
}

// factoredBlock accumulates one block of row i (at p), whose scale, as a
// float32, is at d: s = Σ_j q_j·x_j (one VMULPS, then FMAs, lane-wise),
// then acc[i][0] += d·s (an FMA, d broadcast from memory on AVX-512).
func (g *k) factoredBlock(i int, d Mem, xv []VecVirtual) {
	v := g.v
	codes := g.decodeCodes(i)
	xm := func(u int) Op {
		if xv != nil {
			return xv[u]
		}
		return Mem{Base: g.xp, Disp: 32 * u}
	}
	s := codes[0]
	VMULPS(xm(0), s, s)
	for u := 1; u < len(codes); u++ {
		VFMADD231PS(xm(u), codes[u], s)
	}
	if v.Wide() {
		VFMADD231PS_BCST(d, s, g.acc[i][0])
		return
	}
	dv := YMM()
	VBROADCASTSS(d, dv)
	VFMADD231PS(dv, s, g.acc[i][0])
}

// q8Block accumulates one Q8_0 block of row i (at p), whose scale, as a
// float32, is at d: weight j = d·qs[j], exact; acc += weight·x.
//
// AVX-512, per 16 weights: VPMOVSXBD sign-extends 16 int8 to dwords,
// VCVTDQ2PS converts them (exact), VMULPS.BCST multiplies by d (exact),
// and an FMA adds the products with x. AVX2 does the same 8 weights at a
// time with d broadcast once per block.
func (g *k) q8Block(i int, d Mem, xv []VecVirtual) {
	v := g.v
	if v.Wide() {
		for u := 0; u < 2; u++ {
			w := v.Vec()
			VPMOVSXBD(g.row(g.p, i, 2+16*u), w)
			VCVTDQ2PS(w, w)
			VMULPS_BCST(d, w, w)
			VFMADD231PS(xv[u], w, g.acc[i][u])
		}
		return
	}
	dv := YMM()
	VBROADCASTSS(d, dv)
	for u := 0; u < 4; u++ {
		w := YMM()
		VPMOVSXBD(g.row(g.p, i, 2+8*u), w)
		VCVTDQ2PS(w, w)
		VMULPS(dv, w, w)
		VFMADD231PS(xv[u], w, g.acc[i][u%2])
	}
}

// q4Block accumulates one Q4_0 block of row i (at p), whose scale, as a
// float32, is at d: byte j of qs holds the codes of weights j (low nibble)
// and j+16 (high nibble), weight = d·(code−8), exact.
//
// AVX-512: the block's table t[k] = d·(k−8) for the 16 codes (one
// VMULPS.BCST of q4Table, exact); VPMOVZXBD puts byte j in dword j, whose
// low 4 bits are weight j's code, so VPERMD(t, bytes) is weights 0-15;
// shifted right 4, the dword is weight j+16's code, and a second VPERMD
// gives weights 16-31. 7 vector uops for 32 weights.
//
// AVX2 (8 lanes; VPERMPS would index only 8 codes): for each half h of qs,
// VPMOVZXBD the 8 bytes; AND 0xF and shift right 4 give the two codes as
// dwords; subtract 8, convert (exact), multiply by d (exact), FMA.
func (g *k) q4Block(i int, d Mem, xv []VecVirtual) {
	v := g.v
	if v.Wide() {
		t, q, w0, w1 := v.Vec(), v.Vec(), v.Vec(), v.Vec()
		VMULPS_BCST(d, g.consts["q4Table"], t)
		VPMOVZXBD(g.row(g.p, i, 2), q)
		VPERMD(t, q, w0)
		VFMADD231PS(xv[0], w0, g.acc[i][0])
		VPSRLD(U8(4), q, q)
		VPERMD(t, q, w1)
		VFMADD231PS(xv[1], w1, g.acc[i][1])
		return
	}
	dv := YMM()
	VBROADCASTSS(d, dv)
	for h := 0; h < 2; h++ {
		q, hi := YMM(), YMM()
		VPMOVZXBD(g.row(g.p, i, 2+8*h), q)
		VPSRLD(U8(4), q, hi)
		VPAND(g.consts["nib"], q, q)
		for u, c := range []VecVirtual{q, hi} {
			VPSUBD(g.consts["eight"], c, c)
			VCVTDQ2PS(c, c)
			VMULPS(dv, c, c)
			// weights 8h.. (low nibbles) and 16+8h.. (high nibbles)
			VFMADD231PS(Mem{Base: g.xp, Disp: 32*h + 64*u}, c, g.acc[i][u])
		}
	}
}
