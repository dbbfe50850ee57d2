// Command gemm generates gemm_amd64.s: the register-blocked f32 micro-kernels
// of package lmhead's batched projection (Matrix.Gemm). Run it through go
// generate in the root.
//
// Each micro-kernel computes one tile of C = W·Xᵀ over a slice of kc columns:
//
//	c[r][p] (+)= Σ_{k<kc} w[r][k] · xp[k][p]
//
// for MR rows of W and NR positions. W is read in place, row r at w + r·ws
// bytes; the positions come packed (lmhead's packX): 16 positions of one k
// are 64 contiguous bytes, a group of 16 positions is kc·64 bytes apart from
// the next ("gs"). This is the outer-product form: each W weight is
// broadcast to every lane and multiplied by a vector of positions, so every
// accumulator lane is an output of its own and no horizontal reduction is
// needed; the tile is loaded from c at the start and stored back at the end,
// which makes the k-blocking a plain continuation of each lane's FMA chain.
package main

import (
	"flag"
	"fmt"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/lmhead/lmhead/_gen/vec"
)

// The tile shapes. An FMA has a latency of 4 cycles and two issue per cycle
// on the Intel cores with AVX-512 (and Zen 4), so at least 8 independent
// accumulators keep both FMA pipes busy; more accumulators per loaded
// vector cut the loads per FMA.
//
// AVX-512, 32 zmm: 12 rows × 2 vectors of 16 positions = 24 accumulators,
// 2 position vectors, and 2 registers for the broadcast weight (so that the
// broadcast of row r+1 can issue while row r's FMAs wait): 28 registers.
// Per k: 2 vector loads + 12 broadcast loads for 24 FMAs (12 cycles at two
// FMAs per cycle), well under the 2–3 loads per cycle the core can issue.
//
// AVX2, 16 ymm: 6 rows × 2 vectors of 8 positions = 12 accumulators, 2
// position vectors, 1 broadcast register: 15 registers. Per k: 2 + 6 loads
// for 12 FMAs.
const (
	mr512  = 12 // rows of the AVX-512 tiles
	mrAVX2 = 6  // rows of the AVX2 tile
	// kUnroll is the k steps per loop trip: the W and position offsets of
	// the steps are displacements, so the pointer updates are per trip.
	kUnroll = 4
	// groupLanes is the positions in one packed group: 16 float32, one
	// zmm, two ymm, one 64-byte cache line per k.
	groupLanes = 16
	groupBytes = 4 * groupLanes
)

// The AVX-512 tiles prefetch the next row tile's slice of W while they run:
// Gemm's first pass over a k slice of a panel reads W from L3 or DRAM
// (F32 in place), as 12 short runs of 1 KiB per tile that the hardware
// prefetchers pick up late; in L1 the tile runs at 0.93 of the FMA peak,
// on W from DRAM at about half. pfLines lines per 4-step trip, row after
// row, pfRowBytes of each: over a whole slice (gemmKC = 256 steps, 64
// trips) that is 256 lines, the next tile's 12 rows and 4 more. The
// prefetch never faults, so prefetching past the panel or the matrix is
// harmless. It fills L2 (PREFETCHT1), not L1: on Zen 4 (EPYC, family 25,
// model 17; 2026-12-02) F32 at n = 8, whose pairs tile reads W straight
// from DRAM, took 55.6-57.7 ms with PREFETCHT0 and 38.7-39.4 ms with
// PREFETCHT1 (best and median of three interleaved runs; n = 64 and 256
// 2-5% faster; the in-place BF16 tile at n = 64 171.7 → 167.3 ms and at
// n = 256 692 → 654 ms, medians), as the quantized Gemv's four-row pass
// did (_gen/formats: groupLead).
const (
	pfRowBytes = 1024 // gemmKC float32
	pfLines    = 4
)

// pairsPfLines is the lines a pairs tile over whole rows
// (gemmTile12x8RowsAVX512) prefetches per trip: a trip takes 4 pairs of k,
// 32 bytes of each of its 12 rows, so 6 lines walk the next tile's rows in
// step, as one block, when the rows lie back to back (F32 read in place)
// and the tile runs over all of k. Gemm's up to 8 positions then read each
// 12-row block of W once, straight from memory, as one stream that the
// prefetch keeps a tile ahead of: on Zen 4 (2026-12-02) F32 at n = 8 took
// 33.3-34.6 ms against 38.6-41.3 ms in k slices of 256 (best and median of
// six interleaved runs). The positions, 64 bytes per pair of k (128 KiB at
// d = 4096), come from L2. Decoded panels keep the k slices: whole rows of
// 48 decoded rows ran BF16 and Q8_0 at n = 8 3-11% slower. The AVX2 pairs
// tile has no such variant: on Zen 2 (EPYC of family 23, 2026-12-03) the
// same prefetch (3 lines for its 6 rows) made F32 at n = 8 slower, 37.8
// against 29.3 ms without (medians of three interleaved runs).
func (s *shape) pairsPfLines() int { return s.rows * kUnroll * 8 / 64 }

func main() {
	ConstraintExpr("amd64,!purego")
	tile(&shape{name: "gemmTile12x32AVX512", rows: mr512, groups: 2, lanes: 16})
	tile(&shape{name: "gemmTile12x16AVX512", rows: mr512, groups: 1, lanes: 16})
	tile(&shape{name: "gemmTile12x8AVX512", rows: mr512, groups: 1, lanes: 16, pairs: true})
	tile(&shape{name: "gemmTile12x8RowsAVX512", rows: mr512, groups: 1, lanes: 16, pairs: true, rowsWhole: true})
	tile(&shape{name: "gemmTile6x16AVX2", rows: mrAVX2, groups: 1, lanes: 8})
	tile(&shape{name: "gemmTile6x8AVX2", rows: mrAVX2, groups: 1, lanes: 8, pairs: true})
	tileBF16(&shape{name: "gemmTileBF16x12x32AVX512", rows: mr512, groups: 2, lanes: 16})
	tileBF16(&shape{name: "gemmTileBF16x12x16AVX512", rows: mr512, groups: 1, lanes: 16})
	peak()
	Generate()
	vec.CheckAVX2Registers(flag.Lookup("out").Value.String())
}

// shape is one micro-kernel: rows of W × groups of 16 positions, in vectors
// of lanes float32.
type shape struct {
	name          string
	rows, groups  int
	lanes         int
	pairs         bool // k in pairs: 8 positions × 2 k per vector (see pairTile)
	rowsWhole     bool // pairs over whole rows of W that lie back to back (see pairsPfLines)
	vecsPerGroup  int
	w             []GPVirtual // base registers: rows 3i, 3i+1, 3i+2 at w[i] + {0, ws, 2ws}
	ws, xp, gs, k GPVirtual
}

func (s *shape) vec() VecVirtual {
	if s.lanes == 16 {
		return ZMM()
	}
	return YMM()
}

// wMem is the address of W[r][k0+u] where k0 is the current trip's start.
func (s *shape) wMem(r, u int) Mem {
	m := Mem{Base: s.w[r/3], Disp: s.wStep() * u}
	if r%3 != 0 {
		m.Index, m.Scale = s.ws, uint8(r%3)
	}
	return m
}

// wStep is the bytes of W per k step: one float32, or two in pairs.
func (s *shape) wStep() int {
	if s.pairs {
		return 8
	}
	return 4
}

// xMem is the address of vector v (in lanes) of the positions at step u.
func (s *shape) xMem(v, u int) Mem {
	g, off := v/s.vecsPerGroup, (v%s.vecsPerGroup)*4*s.lanes
	m := Mem{Base: s.xp, Disp: u*groupBytes + off}
	if g == 1 {
		m.Index, m.Scale = s.gs, 1
	}
	return m
}

// pfLines is the lines the tile prefetches per trip: pfLines, twice that
// in pairs, whose slice of pfRowBytes per row takes half the trips.
func (s *shape) pfLines() int {
	if s.pairs {
		return 2 * pfLines
	}
	return pfLines
}

// pairDoc documents a tile in pairs.
func pairDoc(s *shape) {
	Doc(fmt.Sprintf("%s computes the %d×8 tile of up to 8 positions packed in pairs", s.name, s.rows),
		"(lmhead's packPairs: lane 2p+e of vector j is x_p[2j+e]):",
		"c[r][2p+e] (+)= Σ_{j<kc} w[r][2j+e]·xp[j][2p+e], so that c[r][2p] + c[r][2p+1] is",
		"row r of W dotted with x_p. Row r of c (16 float32) is at c+r·cs bytes, row r",
		"of W at w+r·ws bytes, vector j of xp at xp+64j; gs is unused. kc counts pairs",
		"of k. With add false c is overwritten. It requires kc ≥ 1.")
	if s.rowsWhole {
		Doc(fmt.Sprintf("It prefetches the %d rows after its own as one block, for whole rows of W", s.rows),
			"that lie back to back (ws = 8·kc); the result does not depend on it.")
	}
}

// tile emits func name(c *float32, cs int, w *float32, ws int, xp *float32,
// gs int, kc int, add bool).
func tile(s *shape) {
	s.vecsPerGroup = groupLanes / s.lanes
	nv := s.groups * s.vecsPerGroup
	TEXT(s.name, NOSPLIT, "func(c *float32, cs int, w *float32, ws int, xp *float32, gs int, kc int, add bool)")
	Pragma("noescape")
	if s.pairs {
		pairDoc(s)
	} else {
		Doc(fmt.Sprintf("%s computes the %d×%d tile c[r][p] (+)= Σ_{k<kc} w[r][k]·xp[k][p]:", s.name, s.rows, s.groups*groupLanes),
			"row r of c at c+r·cs bytes, row r of W at w+r·ws bytes, position group g of",
			"xp at xp+g·gs bytes, 64 bytes per k. With add false c is overwritten.",
			"It requires kc ≥ 1.")
	}
	c := Load(Param("c"), GP64())
	cs := Load(Param("cs"), GP64())
	s.w = make([]GPVirtual, (s.rows+2)/3)
	s.w[0] = Load(Param("w"), GP64()).(GPVirtual)
	s.ws = Load(Param("ws"), GP64()).(GPVirtual)
	s.xp = Load(Param("xp"), GP64()).(GPVirtual)
	s.gs = Load(Param("gs"), GP64()).(GPVirtual)
	s.k = Load(Param("kc"), GP64()).(GPVirtual)
	add := Load(Param("add"), GP8())
	Comment("rows 3i..3i+2 of W are at w[i] + {0, ws, 2·ws}: w[i] = w + 3i·ws")
	ws3 := GP64()
	LEAQ(Mem{Base: s.ws, Index: s.ws, Scale: 2}, ws3)
	for i := 1; i < len(s.w); i++ {
		s.w[i] = GP64()
		LEAQ(Mem{Base: s.w[i-1], Index: ws3, Scale: 1}, s.w[i])
	}

	acc := make([][]VecVirtual, s.rows)
	for r := range acc {
		acc[r] = make([]VecVirtual, nv)
		for v := range acc[r] {
			acc[r][v] = s.vec()
		}
	}
	// cMem is the address of vector v of tile row r, from a row pointer.
	cMem := func(row Register, v int) Mem {
		g, off := v/s.vecsPerGroup, (v%s.vecsPerGroup)*4*s.lanes
		return Mem{Base: row, Disp: g*groupBytes + off}
	}
	Comment("acc = c (add) or 0")
	TESTB(add, add)
	JZ(LabelRef(s.name + "_zero"))
	{
		p := GP64()
		MOVQ(c, p)
		for r := range acc {
			for v := range acc[r] {
				VMOVUPS(cMem(p, v), acc[r][v])
			}
			if r+1 < len(acc) {
				ADDQ(cs, p)
			}
		}
	}
	JMP(LabelRef(s.name + "_k"))
	Label(s.name + "_zero")
	for r := range acc {
		for v := range acc[r] {
			VXORPS(acc[r][v], acc[r][v], acc[r][v])
		}
	}
	Label(s.name + "_k")
	x := make([]VecVirtual, nv)
	for v := range x {
		x[v] = s.vec()
	}
	b := []VecVirtual{s.vec(), s.vec()}
	if s.lanes == 8 {
		b = b[:1] // AVX2 has 16 registers: 12 accumulators, 2 x, 1 broadcast
	}
	// step emits one k step at displacement u: acc[r][v] += w[r][k]·x[v].
	step := func(u int) {
		for v := range x {
			VMOVUPS(s.xMem(v, u), x[v])
		}
		for r := 0; r < s.rows; r++ {
			t := b[r%len(b)]
			if s.pairs {
				VBROADCASTSD(s.wMem(r, u), t) // W[r][2k], W[r][2k+1] in lanes 2i, 2i+1
			} else {
				VBROADCASTSS(s.wMem(r, u), t)
			}
			for v := range x {
				VFMADD231PS(t, x[v], acc[r][v])
			}
		}
	}
	advance := func(u int) {
		for _, w := range s.w {
			ADDQ(U32(s.wStep()*u), w)
		}
		ADDQ(U32(groupBytes*u), s.xp)
	}
	// AVX-512: prefetch the next row tile's slice of W (see pfRowBytes).
	var pf, pfn GPVirtual
	switch {
	case s.rowsWhole:
		Commentf("pf walks the next tile's rows (row %d on) as one block: rows of the whole k, back to back", s.rows)
		pf = GP64()
		LEAQ(Mem{Base: s.w[len(s.w)-1], Index: ws3, Scale: 1}, pf)
	case s.lanes == 16:
		Comment("pf walks the next tile's rows (row 12 on), pfRowBytes of each, pfLines per trip")
		pf, pfn = GP64(), GP64()
		LEAQ(Mem{Base: s.w[len(s.w)-1], Index: ws3, Scale: 1}, pf)
		MOVQ(U32(pfRowBytes/(64*s.pfLines())), pfn)
	}
	Commentf("%d k steps per trip; each step: acc[r][v] += broadcast(W[r][k]) · positions[k][v]", kUnroll)
	CMPQ(s.k, U32(kUnroll))
	JB(LabelRef(s.name + "_single"))
	Label(s.name + "_loop")
	for u := 0; u < kUnroll; u++ {
		step(u)
	}
	if s.rowsWhole {
		for j := 0; j < s.pairsPfLines(); j++ {
			PREFETCHT1(Mem{Base: pf, Disp: 64 * j})
		}
		ADDQ(U32(64*s.pairsPfLines()), pf)
	} else if pf != nil {
		for j := 0; j < s.pfLines(); j++ {
			PREFETCHT1(Mem{Base: pf, Disp: 64 * j})
		}
		ADDQ(U32(64*s.pfLines()), pf)
		DECQ(pfn)
		JNZ(LabelRef(s.name + "_pfsame"))
		Comment("next row: back to its slice's start")
		ADDQ(s.ws, pf)
		SUBQ(U32(pfRowBytes), pf)
		MOVQ(U32(pfRowBytes/(64*s.pfLines())), pfn)
		Label(s.name + "_pfsame")
	}
	advance(kUnroll)
	SUBQ(U32(kUnroll), s.k)
	CMPQ(s.k, U32(kUnroll))
	JAE(LabelRef(s.name + "_loop"))
	Comment("the last kc mod 4 steps")
	Label(s.name + "_single")
	TESTQ(s.k, s.k)
	JZ(LabelRef(s.name + "_store"))
	step(0)
	advance(1)
	DECQ(s.k)
	JMP(LabelRef(s.name + "_single"))

	Label(s.name + "_store")
	for r := range acc {
		for v := range acc[r] {
			VMOVUPS(acc[r][v], cMem(c, v))
		}
		if r+1 < len(acc) {
			ADDQ(cs, c)
		}
	}
	VZEROUPPER()
	RET()
}

// tileBF16 emits func name(c *float32, cs int, w *byte, ws int, xp *float32,
// gs int, kc int, add bool): the AVX-512 tile of s with W in BF16, read in
// place. A BF16 weight is the top half of its float32, so no decoding pass
// is needed: one 4-byte broadcast of W[r][k], W[r][k+1] puts the pair in
// every lane, VPSLLD 16 makes W[r][k] of it and VPANDD with 0xFFFF0000
// W[r][k+1], both exact. Per pair of k: 2·nv position loads, a broadcast
// and two integer ops per row for 2·nv FMAs per row; the integer ops issue
// on the vector pipes the FMAs leave (Zen 4/5: 4 pipes, FMA on 2). Each
// accumulator still takes k in order, one FMA chain.
//
// Registers (12×32): 24 accumulators, 4 position vectors (k and k+1), the
// pair, its low half and the mask: 31.
func tileBF16(s *shape) {
	s.vecsPerGroup = 1
	nv := s.groups
	TEXT(s.name, NOSPLIT, "func(c *float32, cs int, w *byte, ws int, xp *float32, gs int, kc int, add bool)")
	Pragma("noescape")
	Doc(fmt.Sprintf("%s computes the %d×%d tile c[r][p] (+)= Σ_{k<kc} w[r][k]·xp[k][p]", s.name, s.rows, s.groups*groupLanes),
		"with W in BF16: row r of c at c+r·cs bytes, row r of W (2 bytes per k) at",
		"w+r·ws bytes, position group g of xp at xp+g·gs bytes, 64 bytes per k. With",
		"add false c is overwritten. It requires kc ≥ 1.")
	c := Load(Param("c"), GP64())
	cs := Load(Param("cs"), GP64())
	s.w = make([]GPVirtual, (s.rows+2)/3)
	s.w[0] = Load(Param("w"), GP64()).(GPVirtual)
	s.ws = Load(Param("ws"), GP64()).(GPVirtual)
	s.xp = Load(Param("xp"), GP64()).(GPVirtual)
	s.gs = Load(Param("gs"), GP64()).(GPVirtual)
	s.k = Load(Param("kc"), GP64()).(GPVirtual)
	add := Load(Param("add"), GP8())
	Comment("rows 3i..3i+2 of W are at w[i] + {0, ws, 2·ws}: w[i] = w + 3i·ws")
	ws3 := GP64()
	LEAQ(Mem{Base: s.ws, Index: s.ws, Scale: 2}, ws3)
	for i := 1; i < len(s.w); i++ {
		s.w[i] = GP64()
		LEAQ(Mem{Base: s.w[i-1], Index: ws3, Scale: 1}, s.w[i])
	}
	wMem := func(r, u int) Mem { // W[r][k0+u], 2 bytes per k
		m := Mem{Base: s.w[r/3], Disp: 2 * u}
		if r%3 != 0 {
			m.Index, m.Scale = s.ws, uint8(r%3)
		}
		return m
	}
	acc := make([][]VecVirtual, s.rows)
	for r := range acc {
		acc[r] = make([]VecVirtual, nv)
		for v := range acc[r] {
			acc[r][v] = ZMM()
		}
	}
	cMem := func(row Register, v int) Mem { return Mem{Base: row, Disp: v * groupBytes} }
	Comment("acc = c (add) or 0")
	TESTB(add, add)
	JZ(LabelRef(s.name + "_zero"))
	{
		p := GP64()
		MOVQ(c, p)
		for r := range acc {
			for v := range acc[r] {
				VMOVUPS(cMem(p, v), acc[r][v])
			}
			if r+1 < len(acc) {
				ADDQ(cs, p)
			}
		}
	}
	JMP(LabelRef(s.name + "_k"))
	Label(s.name + "_zero")
	for r := range acc {
		for v := range acc[r] {
			VXORPS(acc[r][v], acc[r][v], acc[r][v])
		}
	}
	Label(s.name + "_k")
	mask := ZMM()
	{
		m := GP32()
		MOVL(U32(0xffff0000), m)
		VPBROADCASTD(m, mask)
	}
	x0, x1 := make([]VecVirtual, nv), make([]VecVirtual, nv)
	for v := range x0 {
		x0[v], x1[v] = ZMM(), ZMM()
	}
	t, lo := ZMM(), ZMM()
	// pair emits k steps u and u+1.
	pair := func(u int) {
		for v := 0; v < nv; v++ {
			VMOVUPS(s.xMem(v, u), x0[v])
			VMOVUPS(s.xMem(v, u+1), x1[v])
		}
		for r := 0; r < s.rows; r++ {
			VBROADCASTSS(wMem(r, u), t)
			VPSLLD(U8(16), t, lo)
			for v := 0; v < nv; v++ {
				VFMADD231PS(lo, x0[v], acc[r][v])
			}
			VPANDD(mask, t, t)
			for v := 0; v < nv; v++ {
				VFMADD231PS(t, x1[v], acc[r][v])
			}
		}
	}
	// single emits one k step: VPBROADCASTW puts W[r][k] in both halves of
	// every lane, VPSLLD 16 keeps it in the top one.
	single := func() {
		for v := 0; v < nv; v++ {
			VMOVUPS(s.xMem(v, 0), x0[v])
		}
		for r := 0; r < s.rows; r++ {
			VPBROADCASTW(wMem(r, 0), t)
			VPSLLD(U8(16), t, t)
			for v := 0; v < nv; v++ {
				VFMADD231PS(t, x0[v], acc[r][v])
			}
		}
	}
	advance := func(u int) {
		for _, w := range s.w {
			ADDQ(U32(2*u), w)
		}
		ADDQ(U32(groupBytes*u), s.xp)
	}
	Comment("pf walks the next tile's rows (row 12 on), pfRowBytes/2 of each, pfLines/2 per trip")
	pf, pfn := GP64(), GP64()
	const pfb, pfl = pfRowBytes / 2, pfLines / 2
	LEAQ(Mem{Base: s.w[len(s.w)-1], Index: ws3, Scale: 1}, pf)
	MOVQ(U32(pfb/(64*pfl)), pfn)
	Commentf("%d k steps per trip, in pairs", kUnroll)
	CMPQ(s.k, U32(kUnroll))
	JB(LabelRef(s.name + "_pairs"))
	Label(s.name + "_loop")
	for u := 0; u < kUnroll; u += 2 {
		pair(u)
	}
	for j := 0; j < pfl; j++ {
		PREFETCHT1(Mem{Base: pf, Disp: 64 * j})
	}
	ADDQ(U32(64*pfl), pf)
	DECQ(pfn)
	JNZ(LabelRef(s.name + "_pfsame"))
	Comment("next row: back to its slice's start")
	ADDQ(s.ws, pf)
	SUBQ(U32(pfb), pf)
	MOVQ(U32(pfb/(64*pfl)), pfn)
	Label(s.name + "_pfsame")
	advance(kUnroll)
	SUBQ(U32(kUnroll), s.k)
	CMPQ(s.k, U32(kUnroll))
	JAE(LabelRef(s.name + "_loop"))
	Comment("the last kc mod 4 steps: pairs, then one")
	Label(s.name + "_pairs")
	CMPQ(s.k, U32(2))
	JB(LabelRef(s.name + "_single"))
	pair(0)
	advance(2)
	SUBQ(U32(2), s.k)
	JMP(LabelRef(s.name + "_pairs"))
	Label(s.name + "_single")
	TESTQ(s.k, s.k)
	JZ(LabelRef(s.name + "_store"))
	single()

	Label(s.name + "_store")
	for r := range acc {
		for v := range acc[r] {
			VMOVUPS(acc[r][v], cMem(c, v))
		}
		if r+1 < len(acc) {
			ADDQ(cs, c)
		}
	}
	VZEROUPPER()
	RET()
}

// peakChains is the independent FMA chains of gemmPeakAVX512: with a
// latency of 4 cycles and two FMAs per cycle, 8 would do; 24 (as many as
// the 12×32 tile has) leaves no doubt. gemmPeakAVX2 has 12, as many as
// its 16 ymm registers allow beside the two inputs: Zen 2's FMA latency of
// 5 cycles at two per cycle needs 10.
const peakChains = 24

// peak emits gemmPeakAVX512(n int) and gemmPeakAVX2(n int): n trips of
// independent FMAs (peakChains of 512 bits, or 12 of 256) and nothing
// else, the core's FMA throughput that BenchmarkGemmTile measures the
// tiles against (16 or 8 lanes × 2 flops per FMA).
func peak() {
	for _, wide := range []bool{true, false} {
		name, chains, vec := "gemmPeakAVX512", peakChains, func() VecVirtual { return ZMM() }
		if !wide {
			name, chains, vec = "gemmPeakAVX2", 12, func() VecVirtual { return YMM() }
		}
		TEXT(name, NOSPLIT, "func(n int)")
		Doc(fmt.Sprintf("%s runs n trips of %d independent FMAs, for measuring", name, chains),
			"the core's FMA peak. It requires n ≥ 1.")
		n := Load(Param("n"), GP64())
		a, b := vec(), vec()
		VXORPS(a, a, a)
		VXORPS(b, b, b)
		acc := make([]VecVirtual, chains)
		for i := range acc {
			acc[i] = vec()
			VXORPS(acc[i], acc[i], acc[i])
		}
		Label(name + "_loop")
		for i := range acc {
			VFMADD231PS(a, b, acc[i])
		}
		DECQ(n)
		JNZ(LabelRef(name + "_loop"))
		VZEROUPPER()
		RET()
	}
}
