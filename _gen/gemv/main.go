// Command gemv generates kernels_amd64.s: the AVX2 and AVX-512 Dot, Gemv and
// Sum kernels of package lmhead. Run it through go generate in the root.
package main

import (
	"flag"
	"fmt"

	. "github.com/mmcloughlin/avo/build"
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
	TEXT("gemv"+v.Name, NOSPLIT, "func(dst, w, x []float32)")
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
	g.r, g.full, g.pair = v.Split(n, 2)
	TESTQ(g.r, g.r)
	JZ(LabelRef("nomask_" + v.Name))
	v.Tail(g.r)
	Label("nomask_" + v.Name)
	for i := 1; i < 4; i++ {
		g.row[i] = GP64()
	}
	g.j = GP64()
	g.xv = [2]VecVirtual{v.Vec(), v.Vec()}
	for i := range g.acc {
		g.acc[i] = [2]VecVirtual{v.Vec(), v.Vec()}
	}
	if v.Wide() {
		Commentf("rows of %d bytes or more: one row at a time (see fourRowMaxBytes)", fourRowMaxBytes)
		CMPQ(g.rb, U32(fourRowMaxBytes))
		JAE(LabelRef("rows1_" + v.Name))
	}
	g.pass(4)
	g.pass(1)
	Label("done_" + v.Name)
	VZEROUPPER()
	RET()
}

// prefetchAVX2 is how far ahead of the loads, in bytes, the AVX2 pair loop
// prefetches each row: one PREFETCHT0 per row per trip, which covers the
// trip's one cache line (two 32-byte vectors) of that row. Zen 4's hardware
// prefetchers alone kept the AVX2 kernel at 0.88× the read bandwidth from
// DRAM (llama2-7b shape), while the AVX-512 one, with twice the bytes per
// trip, reached 0.98×. Measured over 512, 1024 and 2048 (four interleaved
// runs each): 1024 was best, 10% faster at llama2-7b and 17% at gpt2, and
// neutral at the L2 shape; on AVX-512 no distance helped, so it has none.
// A prefetch never faults, so one past the end of W is harmless.
const prefetchAVX2 = 1024

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

// gemvRegs are the registers of one gemv function, shared by its passes.
type gemvRegs struct {
	v                *vec.ISA
	dst, rows, x, rb Register
	r, full, pair, j GPVirtual
	row              [4]Register // row[0] walks W; row[1:] are derived per pass
	xv               [2]VecVirtual
	acc              [4][2]VecVirtual // acc[row][u]
}

// pass emits the loop over blocks of nr rows (4 or 1): while rows >= nr,
// compute nr dot products with x and store them to dst.
func (g *gemvRegs) pass(nr int) {
	v := g.v
	l := func(s string) string { return fmt.Sprintf("%s%d_%s", s, nr, v.Name) }
	row := func(i, off int) Mem { return Mem{Base: g.row[i], Index: g.j, Scale: 1, Disp: off} }
	xm := func(off int) Mem { return Mem{Base: g.x, Index: g.j, Scale: 1, Disp: off} }
	next := "done_" + v.Name
	if nr > 1 {
		next = "rows1_" + v.Name
	}

	Commentf("blocks of %d row(s)", nr)
	Label(l("rows"))
	CMPQ(g.rows, U8(nr))
	JB(LabelRef(next))
	for i := 1; i < nr; i++ {
		LEAQ(Mem{Base: g.row[i-1], Index: g.rb, Scale: 1}, g.row[i])
	}
	for i := 0; i < nr; i++ {
		VXORPS(g.acc[i][0], g.acc[i][0], g.acc[i][0])
		VXORPS(g.acc[i][1], g.acc[i][1], g.acc[i][1])
	}
	XORQ(g.j, g.j)
	TESTQ(g.pair, g.pair)
	JZ(LabelRef(l("single")))

	Comment("acc[i][u] += w[row i][j+u·L : j+(u+1)·L] · x[j+u·L : …], u = 0, 1")
	Label(l("pair"))
	VMOVUPS(xm(0), g.xv[0])
	VMOVUPS(xm(v.Bytes()), g.xv[1])
	for i := 0; i < nr; i++ {
		if !v.Wide() {
			PREFETCHT0(row(i, prefetchAVX2))
		}
		VFMADD231PS(row(i, 0), g.xv[0], g.acc[i][0])
		VFMADD231PS(row(i, v.Bytes()), g.xv[1], g.acc[i][1])
	}
	ADDQ(U32(2*v.Bytes()), g.j)
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
	TESTQ(g.r, g.r)
	JZ(LabelRef(l("reduce")))
	v.TailLoad(xm(0), g.xv[0])
	for i := 0; i < nr; i++ {
		v.TailFMA(row(i, 0), g.xv[0], g.acc[i][1])
	}

	Commentf("dst[0:%d] = the row sums; advance to the next block", nr)
	Label(l("reduce"))
	for i := 0; i < nr; i++ {
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
