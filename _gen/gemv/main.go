// Command gemv generates kernels_amd64.s: the AVX2 and AVX-512 Dot, Gemv and
// Sum kernels of package lmhead. Run it through go generate in the root.
package main

import (
	"flag"
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	"github.com/mmcloughlin/avo/ir"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/lmhead/lmhead/_gen/vec"
)

func main() {
	// amd64 explicitly: the stubs file name does not end in _amd64, so the
	// name alone does not restrict it to amd64.
	ConstraintExpr("amd64,!purego")
	for _, v := range vec.Levels() {
		dot(v)
	}
	for _, v := range vec.Levels() {
		sum(v)
	}
	for _, v := range vec.Levels() {
		gemv(v)
	}
	Generate()
	vec.CheckAVX2Registers(flag.Lookup("out").Value.String())
}

// dotUnroll is how many vectors dot and sum take per loop trip, each into its
// own accumulator. An FMA has a latency of 4 cycles on Zen 4 and Intel cores
// and two issue per cycle, so four chains keep one FMA pipe busy even at one
// load per cycle; more would not help a kernel that is bound by the loads.
const dotUnroll = 4

// dot emits dot<ISA>(a, b []float32) float32; the caller guarantees
// len(a) == len(b) > 0.
func dot(v *vec.ISA) {
	TEXT("dot"+v.Name, NOSPLIT, "func(a, b []float32) float32")
	Pragma("noescape")
	Doc(fmt.Sprintf("dot%s returns Σ a[i]·b[i]. It requires len(b) >= len(a) > 0.", v.Name))
	a := Load(Param("a").Base(), GP64())
	b := Load(Param("b").Base(), GP64())
	n := Load(Param("a").Len(), GP64())
	acc := stream(v, n, 2, func(j GPVirtual, off int, acc VecVirtual) {
		t := v.Vec()
		VMOVUPS(Mem{Base: b, Index: j, Scale: 1, Disp: off}, t)
		VFMADD231PS(Mem{Base: a, Index: j, Scale: 1, Disp: off}, t, acc)
	}, func(j GPVirtual, acc VecVirtual) {
		t := v.Vec()
		v.TailLoad(Mem{Base: b, Index: j, Scale: 1}, t)
		v.TailFMA(Mem{Base: a, Index: j, Scale: 1}, t, acc)
	})
	Store(v.HSum(acc), ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// sum emits sum<ISA>(x []float32) float32 for len(x) > 0.
func sum(v *vec.ISA) {
	TEXT("sum"+v.Name, NOSPLIT, "func(x []float32) float32")
	Pragma("noescape")
	Doc(fmt.Sprintf("sum%s returns Σ x[i]. It requires len(x) > 0.", v.Name))
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	acc := stream(v, n, 1, func(j GPVirtual, off int, acc VecVirtual) {
		VADDPS(Mem{Base: x, Index: j, Scale: 1, Disp: off}, acc, acc)
	}, func(j GPVirtual, acc VecVirtual) {
		v.TailAdd(Mem{Base: x, Index: j, Scale: 1}, acc)
	})
	Store(v.HSum(acc), ReturnIndex(0))
	VZEROUPPER()
	RET()
}

// stream emits the loop shared by dot and sum: n elements in blocks of
// dotUnroll vectors, then single vectors, then a masked tail, each step
// calling body(j, off, acc) on the vector at byte offset j+off. It returns
// one vector whose lanes sum to the result.
func stream(v *vec.ISA, n Register, tag int, body func(j GPVirtual, off int, acc VecVirtual), tail func(j GPVirtual, acc VecVirtual)) VecVirtual {
	l := func(s string) string { return fmt.Sprintf("%s%d_%s", s, tag, v.Name) }
	var acc [dotUnroll]VecVirtual
	for i := range acc {
		acc[i] = v.Vec()
		VXORPS(acc[i], acc[i], acc[i])
	}
	r, full, block := v.Split(n, dotUnroll)
	j := GP64()
	XORQ(j, j)
	TESTQ(block, block)

	Comment("acc[u] += body(vector u of each block of dotUnroll vectors)")
	JZ(LabelRef(l("single")))
	Label(l("block"))
	for u := range acc {
		body(j, u*v.Bytes(), acc[u])
	}
	ADDQ(U32(dotUnroll*v.Bytes()), j)
	CMPQ(j, block)
	JB(LabelRef(l("block")))

	Comment("the remaining whole vectors, one at a time")
	Label(l("single"))
	CMPQ(j, full)
	JAE(LabelRef(l("tail")))
	body(j, 0, acc[0])
	ADDQ(U32(v.Bytes()), j)
	JMP(LabelRef(l("single")))

	Comment("the last n mod Lanes elements, masked so that nothing past them is read")
	Label(l("tail"))
	TESTQ(r, r)
	JZ(LabelRef(l("reduce")))
	v.Tail(r)
	tail(j, acc[1])

	Label(l("reduce"))
	VADDPS(acc[1], acc[0], acc[0])
	VADDPS(acc[3], acc[2], acc[2])
	VADDPS(acc[2], acc[0], acc[0])
	return acc[0]
}

// gemv emits gemv<ISA>(dst, w, x []float32): dst[i] = Σ_j w[i·n+j]·x[j] with
// n = len(x). The caller guarantees len(w) == len(dst)·n and both > 0.
//
// W is streamed four rows at a time: each x vector is loaded once and feeds
// four FMAs, so a pass reads 4 row vectors for 1 x vector, and the four rows
// are four independent prefetch streams. On AVX-512, rows of
// fourRowMaxBytes or more take the one-row pass instead. Two vectors per trip give every row
// two accumulators, eight chains in all, which covers the FMA latency when W
// comes from L1 or L2. The one to three rows left over take single-row
// passes of the same code.
func gemv(v *vec.ISA) {
	if v.Wide() {
		// not NOSPLIT: the frame holds the aligned copy of x, too large
		// for the nosplit limit, so the assembler adds the stack check
		TEXT("gemv"+v.Name, 0, "func(dst, w, x []float32)")
	} else {
		TEXT("gemv"+v.Name, NOSPLIT, "func(dst, w, x []float32)")
	}
	Pragma("noescape")
	Doc(fmt.Sprintf("gemv%s computes dst = W·x for row-major W (len(dst) rows of len(x)). It requires len(w) == len(dst)*len(x) > 0.", v.Name))
	g := &gemvRegs{v: v}
	g.dst = Load(Param("dst").Base(), GP64())
	g.rows = Load(Param("dst").Len(), GP64())
	g.row[0] = Load(Param("w").Base(), GP64())
	g.x = Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	g.rb = GP64()
	MOVQ(n, g.rb)
	SHLQ(U8(2), g.rb)
	if v.Wide() {
		g.hb, g.full, g.pair = GP64(), GP64(), GP64()
		g.kh, g.kt = K(), K()
		Commentf("rows of a whole number of cache lines all start at W's offset mod %d: align once", vec.LineBytes)
		TESTQ(U32(vec.LineBytes-1), g.rb)
		JNZ(LabelRef("skew_" + v.Name))
		g.align()
		g.copyX()
		JMP(LabelRef("split_" + v.Name))
		Label("skew_" + v.Name)
		Comment("rows at varying offsets mod 64: the 4-row pass takes no head (unaligned", "loads); the 1-row pass aligns each row itself")
		XORQ(g.hb, g.hb)
		g.splits()
		Label("split_" + v.Name)
	} else {
		g.r, g.full, g.pair = v.Split(n, 2)
		TESTQ(g.r, g.r)
		JZ(LabelRef("nomask_" + v.Name))
		v.Tail(g.r)
		Label("nomask_" + v.Name)
	}
	for i := 1; i < 4; i++ {
		g.row[i] = GP64()
	}
	g.j = GP64()
	g.xv = [2]VecVirtual{v.Vec(), v.Vec()}
	if v.Wide() {
		g.xh, g.xt = v.Vec(), v.Vec()
	}
	for i := range g.acc {
		g.acc[i] = [2]VecVirtual{v.Vec(), v.Vec()}
		if v.Wide() {
			g.edge[i] = v.Vec()
		}
	}
	if !v.Wide() {
		g.pass(4, false)
		g.pass(1, false)
	} else {
		Comment("W at a cache line (hb = 0) or rows at varying offsets: the passes",
			"without a head; W off a cache line: the passes with one")
		TESTQ(g.hb, g.hb)
		JNZ(LabelRef("peeled_" + v.Name))
		for _, peel := range []bool{false, true} {
			if peel {
				Label("peeled_" + v.Name)
				g.edgeX()
			}
			Commentf("rows of %d bytes or more: one row at a time (see fourRowMaxBytes)", fourRowMaxBytes)
			CMPQ(g.rb, U32(fourRowMaxBytes))
			if peel {
				JAE(LabelRef(passLabel(v, "rows", 1, peel)))
				g.pass(4, peel)
			} else {
				JAE(LabelRef("exit4_" + v.Name))
				g.pass(4, peel)
				Label("exit4_" + v.Name)
				Comment("rows not a whole number of cache lines: the pass that aligns each")
				TESTQ(U32(vec.LineBytes-1), g.rb)
				JNZ(LabelRef(passLabel(v, "rows", 1, true)))
			}
			g.pass(1, peel)
		}
	}
	Label("done_" + v.Name)
	VZEROUPPER()
	RET()
}

// The AVX-512 gemv aligns its loads of W. A 64-byte load that does not
// start on a cache line reads two, and that cost the one-row pass 35-40%
// from DRAM (Sapphire Rapids, llama3.2-1b: 34-37 ms with W at 0 mod 64,
// 46-49 ms at 4, 16 or 32) while the AVX2 kernel's 32-byte loads lost
// 2-5%. So each row is split into
//
//	head: its first hb bytes, up to the next cache line (hb < 64), one
//	      opmask load (masked-off lanes never fault, so nothing before or
//	      after the row is read);
//	body: whole 64-byte vectors from row+hb, each on one cache line;
//	tail: the last (rb−hb) mod 64 bytes, masked.
//
// x is loaded at the same column offsets, so its loads would be the split
// ones; from DRAM that is cheap, but with W in L2 they cost nearly what W's
// did, so x up to xCopyMaxBytes is first copied to the frame at −hb mod 64
// (copyX). When rb is a multiple of 64, every row starts at W's offset
// mod 64 and the split is computed once, and hb = 0 (W on a cache line)
// takes the passes without a head, the code from before the split; when it
// is not, the four-row pass (rows under fourRowMaxBytes, four different
// offsets) keeps hb = 0, unaligned loads, and the one-row pass computes
// the split per row (x then stays in place).

// edgeChain: the AVX-512 head and tail of each row go into an accumulator
// of their own, edge, not into acc[i][0] or acc[i][1]. A row of 16 vectors
// in the one-row pass is 8 dependent FMAs on each of its two accumulators
// when aligned; unaligned it has 17 vector FMAs (head, 15 whole, tail), and
// with the head and tail on acc[i][1] that chain was 9 FMAs, 12% longer,
// which showed as 11% more time at 1024×256 with W in L2 (FMA latency
// bounds that pass there). The head is a zero-masked multiply, so edge
// needs no zeroing and the head no branch.
const edgeChain = true

// xCopyMaxBytes is the longest x, in bytes, that the AVX-512 gemv copies
// to its frame so that its loads are aligned too (4096 floats, the rows of
// 7B-class heads; longer x stays in place). With W's loads aligned, x's are
// the split ones, and where W comes from L2 those cost as much as W's did:
// at 1024×256 (W at 4 mod 64, Sapphire Rapids, thread CPU time, minimum
// of 1000 calls) 9.2 µs aligned, 15.3 µs before the split, 11.9 µs with
// only W aligned. The copy is n/16 vector loads and stores per call, against
// rows·n/16 loads of W.
const xCopyMaxBytes = 16384

// copyX makes g.x point at a copy of x placed at −hb mod 64, so that x's
// loads at the body's offsets hb+64k start cache lines like W's, unless x
// is there already or longer than xCopyMaxBytes. rb is a multiple of 64
// here (the aligned case), so the copy is whole vectors.
func (g *gemvRegs) copyX() {
	v := g.v
	buf := AllocLocal(xCopyMaxBytes + 2*vec.LineBytes)
	Commentf("x at −hb mod 64 already, or longer than %d bytes: use it in place", xCopyMaxBytes)
	t := GP64()
	MOVQ(g.x, t)
	ADDQ(g.hb, t)
	TESTQ(U32(vec.LineBytes-1), t)
	JZ(LabelRef("xready_" + v.Name))
	CMPQ(g.rb, U32(xCopyMaxBytes))
	JA(LabelRef("xready_" + v.Name))
	Comment("xs = the frame's buffer rounded up to 64, plus (−hb) mod 64:",
		"xs+hb is a multiple of 64, and xs+rb ≤ buffer+63+60+rb fits",
		"xs[0:rb] = x[0:rb], whole vectors (rb is a multiple of 64)")
	xs, s, j := GP64(), GP64(), GP64()
	LEAQ(buf, xs)
	ADDQ(U8(vec.LineBytes-1), xs)
	ANDQ(I32(-vec.LineBytes), xs)
	MOVQ(g.hb, s)
	NEGQ(s)
	ANDQ(U8(vec.LineBytes-1), s)
	ADDQ(s, xs)
	XORQ(j, j)
	Label("xcopy_" + v.Name)
	z := v.Vec()
	VMOVUPS(Mem{Base: g.x, Index: j, Scale: 1}, z)
	VMOVUPS(z, Mem{Base: xs, Index: j, Scale: 1})
	ADDQ(U8(v.Bytes()), j)
	CMPQ(j, g.rb)
	JB(LabelRef("xcopy_" + v.Name))
	MOVQ(xs, g.x)
	Label("xready_" + v.Name)
}

// align sets hb, kh (the head's opmask), and the splits for the row at
// row[0] (AVX-512).
func (g *gemvRegs) align() {
	Comment("hb = bytes from the row start to the next cache line (at most the row):",
		"min((−row) mod 64 rounded down to whole floats, rb)")
	vec.HeadBytes(g.row[0], g.rb, g.hb)
	g.splits()
}

// splits sets, from rb and hb, the head's opmask kh, the tail's opmask kt,
// and the end offsets (bytes from the row start) of the body's vector pairs
// and whole vectors (AVX-512).
func (g *gemvRegs) splits() {
	v := g.v
	Comment("e = rb − hb, the bytes after the head; t = e mod 64, the tail's bytes;",
		"full = rb − t, pair = hb + (e rounded down to 128): the ends of the",
		"body's whole vectors and vector pairs; kh, kt = the first hb/4, t/4 lanes")
	e, t := GP64(), GP64()
	MOVQ(g.rb, e)
	SUBQ(g.hb, e)
	MOVQ(e, t)
	ANDQ(U8(vec.LineBytes-1), t)
	v.LoadByteMask(t, g.kt)
	MOVQ(g.rb, g.full)
	SUBQ(t, g.full)
	ANDQ(I32(-2*v.Bytes()), e)
	LEAQ(Mem{Base: e, Index: g.hb, Scale: 1}, g.pair)
	v.LoadByteMask(g.hb, g.kh)
}

// The AVX2 pair loop prefetches each row ·gemvPrefetchAVX2 bytes ahead of
// its loads (tuning.go): one PREFETCHT0 per row per trip, which covers the
// trip's one cache line (two 32-byte vectors) of that row. Zen 4's hardware
// prefetchers alone kept the AVX2 kernel at 0.88× the read bandwidth from
// DRAM (llama2-7b shape), while the AVX-512 one, with twice the bytes per
// trip, reached 0.98×; on AVX-512 no distance helped, so it has none. The
// best distance depends on the core, so it is a variable. A prefetch never
// faults, so one past the end of W is harmless.

// fourRowMaxBytes is the row length, in bytes, from which the AVX-512 gemv
// streams W one row at a time instead of four: one sequential stream
// rather than four interleaved ones, at the cost of one x load per W load
// instead of one per four. Measured on Zen 4 (six interleaved runs of
// 768 KiB matrices in L2): the one-row pass is 25-29% faster at rows of 160
// and 192 floats, level at 128, 8% faster at 96, and 24-46% slower at 64
// and 48, where the per-row reduction dominates; from DRAM (gpt2,
// llama2-7b, llama3.2-1b) and L3 (8192×512) the two are level. On AVX2
// the one-row pass was 6-9% slower in L2 and L3, so AVX2 always takes
// four rows.
const fourRowMaxBytes = 512

// loopAlign is the code alignment of the AVX-512 gemv's pair loops: 64, so
// that each loop (42 bytes in the one-row pass) sits in one 64-byte fetch
// block wherever the linker places the function. Unaligned, the same code
// ran 4-6% slower or faster from one build to the next at 1024×256 (W in
// L2), as the loop happened to straddle a 64-byte boundary or not.
const loopAlign = 64

// pcalign emits PCALIGN $n, which pads with NOPs to a multiple of n; the
// NOPs run once per row, before the loop.
func pcalign(n int) {
	Instruction(&ir.Instruction{Opcode: "PCALIGN", Operands: []Op{U8(n)}})
}

// edgeX loads the x vectors of the head and the tail, which are the same
// for every row that shares hb: xh = x[0 : hb/4] and xt = x[full/4 : n],
// the other lanes zero. Holding them saves the peeled passes two of the
// 34 loads of a 16-vector row (aligned, a row takes 32).
func (g *gemvRegs) edgeX() {
	Comment("xh = x[0 : hb/4], xt = x[full/4 : n], zero-masked")
	VMOVUPS_Z(Mem{Base: g.x}, g.kh, g.xh)
	VMOVUPS_Z(Mem{Base: g.x, Index: g.full, Scale: 1}, g.kt, g.xt)
}

// passLabel names label s of the pass over blocks of nr rows; "p" marks
// the AVX-512 passes that peel a head off each row.
func passLabel(v *vec.ISA, s string, nr int, peel bool) string {
	p := ""
	if peel {
		p = "p"
	}
	return fmt.Sprintf("%s%d%s_%s", s, nr, p, v.Name)
}

// gemvRegs are the registers of one gemv function, shared by its passes.
type gemvRegs struct {
	v                *vec.ISA
	dst, rows, x, rb Register
	r, full, pair, j GPVirtual     // AVX2: r = n mod L; full, pair: bytes
	hb               GPVirtual     // AVX-512: the head's bytes
	kh, kt           OpmaskVirtual // AVX-512: the head's and the tail's lanes
	row              [4]Register   // row[0] walks W; row[1:] are derived per pass
	xv               [2]VecVirtual
	xh, xt           VecVirtual       // AVX-512: x of the head and of the tail (edgeX)
	acc              [4][2]VecVirtual // acc[row][u]
	edge             [4]VecVirtual    // AVX-512: row i's head and tail (see edgeChain)
}

// pass emits the loop over blocks of nr rows (4 or 1): while rows >= nr,
// compute nr dot products with x and store them to dst.
func (g *gemvRegs) pass(nr int, peel bool) {
	v := g.v
	l := func(s string) string { return passLabel(v, s, nr, peel) }
	row := func(i, off int) Mem { return Mem{Base: g.row[i], Index: g.j, Scale: 1, Disp: off} }
	xm := func(off int) Mem { return Mem{Base: g.x, Index: g.j, Scale: 1, Disp: off} }
	next := "done_" + v.Name
	if nr > 1 {
		next = passLabel(v, "rows", 1, peel)
		if v.Wide() && !peel {
			next = "exit4_" + v.Name
		}
	}

	if peel {
		Commentf("blocks of %d row(s), each with a head", nr)
	} else {
		Commentf("blocks of %d row(s)", nr)
	}
	Label(l("rows"))
	CMPQ(g.rows, U8(nr))
	JB(LabelRef(next))
	if v.Wide() && nr == 1 && peel {
		Comment("rows not a whole number of cache lines: align this one")
		TESTQ(U32(vec.LineBytes-1), g.rb)
		JZ(LabelRef(l("start")))
		g.align()
		g.edgeX()
		Label(l("start"))
	}
	for i := 1; i < nr; i++ {
		LEAQ(Mem{Base: g.row[i-1], Index: g.rb, Scale: 1}, g.row[i])
	}
	for i := 0; i < nr; i++ {
		VXORPS(g.acc[i][0], g.acc[i][0], g.acc[i][0])
		VXORPS(g.acc[i][1], g.acc[i][1], g.acc[i][1])
	}
	if peel {
		Comment("head: edge[i] = w[row i][0 : hb/4] · x[0 : hb/4], zero-masked: all zero",
			"when hb = 0, and then no lane is read")
		for i := 0; i < nr; i++ {
			VMULPS_Z(Mem{Base: g.row[i]}, g.xh, g.kh, g.edge[i])
		}
		MOVQ(g.hb, g.j)
		CMPQ(g.j, g.pair)
		JAE(LabelRef(l("single")))
	} else {
		XORQ(g.j, g.j)
		TESTQ(g.pair, g.pair)
		JZ(LabelRef(l("single")))
	}

	if v.Wide() {
		pcalign(loopAlign)
	}
	var pj GPVirtual
	if !v.Wide() {
		Comment("pj = j + ·gemvPrefetchAVX2 (j = 0 here), the offset each row is prefetched at")
		pj = GP64()
		MOVQ(Mem{Symbol: Symbol{Name: "·gemvPrefetchAVX2"}, Base: StaticBase}, pj)
	}
	Comment("acc[i][u] += w[row i][j+u·L : j+(u+1)·L] · x[j+u·L : …], u = 0, 1")
	Label(l("pair"))
	VMOVUPS(xm(0), g.xv[0])
	VMOVUPS(xm(v.Bytes()), g.xv[1])
	for i := 0; i < nr; i++ {
		if !v.Wide() {
			PREFETCHT0(Mem{Base: g.row[i], Index: pj, Scale: 1})
		}
		VFMADD231PS(row(i, 0), g.xv[0], g.acc[i][0])
		VFMADD231PS(row(i, v.Bytes()), g.xv[1], g.acc[i][1])
	}
	ADDQ(U32(2*v.Bytes()), g.j)
	if !v.Wide() {
		ADDQ(U32(2*v.Bytes()), pj)
	}
	CMPQ(g.j, g.pair)
	JB(LabelRef(l("pair")))

	Comment("one whole vector left when the row holds an odd number of them")
	Label(l("single"))
	CMPQ(g.j, g.full)
	JAE(LabelRef(l("tail")))
	VMOVUPS(xm(0), g.xv[0])
	for i := 0; i < nr; i++ {
		VFMADD231PS(row(i, 0), g.xv[0], g.acc[i][0])
	}
	ADDQ(U32(v.Bytes()), g.j)

	Comment("the last n mod L columns, masked")
	Label(l("tail"))
	if v.Wide() {
		// j = full here, so a tail is left iff full < rb
		CMPQ(g.j, g.rb)
		JAE(LabelRef(l("reduce")))
		if !peel {
			VMOVUPS_Z(xm(0), g.kt, g.xv[0])
		}
		for i := 0; i < nr; i++ {
			if peel {
				VFMADD231PS(row(i, 0), g.xt, g.kt, g.edge[i])
			} else {
				VFMADD231PS(row(i, 0), g.xv[0], g.kt, g.acc[i][1])
			}
		}
	} else {
		TESTQ(g.r, g.r)
		JZ(LabelRef(l("reduce")))
		v.TailLoad(xm(0), g.xv[0])
		for i := 0; i < nr; i++ {
			v.TailFMA(row(i, 0), g.xv[0], g.acc[i][1])
		}
	}

	Commentf("dst[0:%d] = the row sums; advance to the next block", nr)
	Label(l("reduce"))
	for i := 0; i < nr; i++ {
		if peel {
			VADDPS(g.edge[i], g.acc[i][1], g.acc[i][1])
		}
		VADDPS(g.acc[i][1], g.acc[i][0], g.acc[i][0])
	}
	if nr == 4 {
		VMOVUPS(v.HSum4([4]VecVirtual{g.acc[0][0], g.acc[1][0], g.acc[2][0], g.acc[3][0]}), Mem{Base: g.dst})
	} else {
		VMOVSS(v.HSum(g.acc[0][0]), Mem{Base: g.dst})
	}
	ADDQ(U8(4*nr), g.dst)
	LEAQ(Mem{Base: g.row[nr-1], Index: g.rb, Scale: 1}, g.row[0])
	SUBQ(U8(nr), g.rows)
	JMP(LabelRef(l("rows")))
}
