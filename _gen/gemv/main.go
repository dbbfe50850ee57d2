// Command gemv generates kernels_amd64.s: the AVX2 and AVX-512 Dot, Gemv and
// Sum kernels of package lmhead. Run it through go generate in the root.
package main

import (
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/lmhead/lmhead/_gen/vec"
)

func main() {
	ConstraintExpr("!purego")
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
// one vector whose lanes sum to the result. n is clobbered.
func stream(v *vec.ISA, n Register, tag int, body func(j GPVirtual, off int, acc VecVirtual), tail func(j GPVirtual, acc VecVirtual)) VecVirtual {
	l := func(s string) string { return fmt.Sprintf("%s%d_%s", s, tag, v.Name) }
	var acc [dotUnroll]VecVirtual
	for i := range acc {
		acc[i] = v.Vec()
		VXORPS(acc[i], acc[i], acc[i])
	}
	// r = n mod Lanes; full = bytes of the whole vectors
	r := GP64()
	MOVQ(n, r)
	ANDQ(U32(v.Lanes-1), r)
	full := n
	SUBQ(r, full)
	SHLQ(U8(2), full)
	j := GP64()
	XORQ(j, j)
	block := GP64()
	MOVQ(full, block)
	ANDQ(I32(-dotUnroll*v.Bytes()), block)

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
// are four independent prefetch streams. Two vectors per trip give every row
// two accumulators, eight chains in all, which covers the FMA latency when W
// comes from L1 or L2. The one to three rows left over take a single-row
// pass.
func gemv(v *vec.ISA) {
	TEXT("gemv"+v.Name, NOSPLIT, "func(dst, w, x []float32)")
	Pragma("noescape")
	Doc(fmt.Sprintf("gemv%s computes dst = W·x for row-major W (len(dst) rows of len(x)). It requires len(w) == len(dst)*len(x) > 0.", v.Name))
	dst := Load(Param("dst").Base(), GP64())
	rows := Load(Param("dst").Len(), GP64())
	p0 := Load(Param("w").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())

	// rb = bytes per row; full = bytes of the whole vectors of a row; pair =
	// bytes of the whole vector pairs; r = n mod Lanes.
	rb := GP64()
	MOVQ(n, rb)
	SHLQ(U8(2), rb)
	r := GP64()
	MOVQ(n, r)
	ANDQ(U32(v.Lanes-1), r)
	full := n
	SUBQ(r, full)
	SHLQ(U8(2), full)
	pair := GP64()
	MOVQ(full, pair)
	ANDQ(I32(-2*v.Bytes()), pair)
	TESTQ(r, r)
	JZ(LabelRef("nomask_" + v.Name))
	v.Tail(r)
	Label("nomask_" + v.Name)

	p1, p2, p3 := GP64(), GP64(), GP64()
	j := GP64()
	var acc [4][2]VecVirtual
	for i := range acc {
		acc[i] = [2]VecVirtual{v.Vec(), v.Vec()}
	}
	xv := [2]VecVirtual{v.Vec(), v.Vec()}
	ps := [4]Register{p0, p1, p2, p3}
	row := func(i int, off int) Mem { return Mem{Base: ps[i], Index: j, Scale: 1, Disp: off} }
	xm := func(off int) Mem { return Mem{Base: x, Index: j, Scale: 1, Disp: off} }

	Comment("blocks of four rows")
	Label("rows4_" + v.Name)
	CMPQ(rows, U8(4))
	JB(LabelRef("rows1_" + v.Name))
	LEAQ(Mem{Base: p0, Index: rb, Scale: 1}, p1)
	LEAQ(Mem{Base: p1, Index: rb, Scale: 1}, p2)
	LEAQ(Mem{Base: p2, Index: rb, Scale: 1}, p3)
	for i := range acc {
		VXORPS(acc[i][0], acc[i][0], acc[i][0])
		VXORPS(acc[i][1], acc[i][1], acc[i][1])
	}
	XORQ(j, j)
	TESTQ(pair, pair)
	JZ(LabelRef("single4_" + v.Name))

	Comment("acc[i][u] += w[row i][j+u·L : j+(u+1)·L] · x[j+u·L : …], u = 0, 1")
	Label("pair4_" + v.Name)
	VMOVUPS(xm(0), xv[0])
	VMOVUPS(xm(v.Bytes()), xv[1])
	for i := range acc {
		VFMADD231PS(row(i, 0), xv[0], acc[i][0])
		VFMADD231PS(row(i, v.Bytes()), xv[1], acc[i][1])
	}
	ADDQ(U32(2*v.Bytes()), j)
	CMPQ(j, pair)
	JB(LabelRef("pair4_" + v.Name))

	Comment("one whole vector left when the row holds an odd number of them")
	Label("single4_" + v.Name)
	CMPQ(j, full)
	JAE(LabelRef("tail4_" + v.Name))
	VMOVUPS(xm(0), xv[0])
	for i := range acc {
		VFMADD231PS(row(i, 0), xv[0], acc[i][0])
	}
	ADDQ(U32(v.Bytes()), j)

	Comment("the last n mod L columns, masked")
	Label("tail4_" + v.Name)
	TESTQ(r, r)
	JZ(LabelRef("reduce4_" + v.Name))
	v.TailLoad(xm(0), xv[0])
	for i := range acc {
		v.TailFMA(row(i, 0), xv[0], acc[i][1])
	}

	Comment("dst[0:4] = the four row sums")
	Label("reduce4_" + v.Name)
	var four [4]VecVirtual
	for i := range acc {
		VADDPS(acc[i][1], acc[i][0], acc[i][0])
		four[i] = acc[i][0]
	}
	VMOVUPS(v.HSum4(four), Mem{Base: dst})
	ADDQ(U8(16), dst)
	LEAQ(Mem{Base: p3, Index: rb, Scale: 1}, p0)
	SUBQ(U8(4), rows)
	JMP(LabelRef("rows4_" + v.Name))

	Comment("the last one to three rows, one at a time")
	Label("rows1_" + v.Name)
	TESTQ(rows, rows)
	JZ(LabelRef("done_" + v.Name))
	VXORPS(acc[0][0], acc[0][0], acc[0][0])
	VXORPS(acc[0][1], acc[0][1], acc[0][1])
	XORQ(j, j)
	TESTQ(pair, pair)
	JZ(LabelRef("single1_" + v.Name))
	Label("pair1_" + v.Name)
	VMOVUPS(xm(0), xv[0])
	VMOVUPS(xm(v.Bytes()), xv[1])
	VFMADD231PS(row(0, 0), xv[0], acc[0][0])
	VFMADD231PS(row(0, v.Bytes()), xv[1], acc[0][1])
	ADDQ(U32(2*v.Bytes()), j)
	CMPQ(j, pair)
	JB(LabelRef("pair1_" + v.Name))
	Label("single1_" + v.Name)
	CMPQ(j, full)
	JAE(LabelRef("tail1_" + v.Name))
	VMOVUPS(xm(0), xv[0])
	VFMADD231PS(row(0, 0), xv[0], acc[0][0])
	ADDQ(U32(v.Bytes()), j)
	Label("tail1_" + v.Name)
	TESTQ(r, r)
	JZ(LabelRef("reduce1_" + v.Name))
	v.TailLoad(xm(0), xv[0])
	v.TailFMA(row(0, 0), xv[0], acc[0][1])
	Label("reduce1_" + v.Name)
	VADDPS(acc[0][1], acc[0][0], acc[0][0])
	VMOVSS(v.HSum(acc[0][0]), Mem{Base: dst})
	ADDQ(U8(4), dst)
	ADDQ(rb, p0)
	DECQ(rows)
	JMP(LabelRef("rows1_" + v.Name))

	Label("done_" + v.Name)
	VZEROUPPER()
	RET()
}
