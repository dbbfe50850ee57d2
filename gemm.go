package lmhead

import (
	"encoding/binary"
	"fmt"
	"sync"
)

// The batched projection: C = W·Xᵀ for n positions at once. A Gemv reads
// every weight once per position and does two flops with it, so it runs at
// the memory bandwidth; here each weight, once in cache, meets every
// position, so the work becomes bound by the FMA units instead.
//
// The driver blocks the work three ways (the numbers are for d = 4096):
//
//   - positions, gemmMaxPos at a time, packed (packX) so that 16 positions
//     of one k are one 64-byte vector: the micro-kernels broadcast one
//     weight and multiply it by 16 positions in one FMA;
//   - rows of W, gemmPanelRows at a time: a panel that is decoded once (for
//     formats other than F32, and BF16 on AVX-512, whose tiles read it in
//     place) and then meets every position;
//   - k, gemmKC columns at a time, so that the panel's slice (96 KiB) and
//     the positions' slice (up to 128·1 KiB) stay in L2 and one tile's
//     positions (two groups of 16 KiB) in L1 while the row tiles go by.
//
// Within one k slice the active level's gemm kernel walks pairs of
// position groups and, inside, tiles of rows (kernels gemm*). Its tile
// loads the partial sums from C and stores them back, so the k slices
// continue every output's FMA chain: the rounding is that of one
// sequential sum over k, the error bound of Dot.
const (
	// gemmKC is the k slice: 256 float32 of a position group are 16 KiB,
	// two groups 32 KiB, inside a 48 KiB L1 with room for the W rows of a
	// tile (12·1 KiB); the tile's loads and stores of C (48 vectors) are
	// under 1% of its 256·24 FMAs.
	gemmKC = 256
	// gemmPanelRows is the rows of W in one panel of outputs (and, for n ≤
	// 8, decoded at once): a multiple of every level's tile rows (12
	// AVX-512, 6 AVX2), 96·d float32 = 1.5 MiB at d = 4096, in a 2 MiB L2
	// (Sapphire Rapids). Per panel the packed positions are read once more
	// from L2 or L3, 4·n·d bytes for 2·96·n·d flops; 48 rows measured a few
	// percent slower at n = 64 (within the noise of a shared machine).
	gemmPanelRows = 96
	// gemmMaxPos bounds the positions packed at once (128·d float32 = 2 MiB
	// at d = 4096): more positions re-read W (and re-decode it) once per
	// gemmMaxPos, which at 128 positions is 256 flops per weight.
	gemmMaxPos = 128
	// gemmGroup is the positions in one packed group: one 64-byte vector
	// per k.
	gemmGroup = 16
	// gemmDecodeRows is the rows of W that a format other than F32 is
	// decoded for at once, whole rows (a contiguous read of W), which then
	// meet every position over every k slice: 48·d float32 = 768 KiB at
	// d = 4096. Decoding whole 96-row panels (1.5 MiB) did not fit beside
	// the packed positions (1 MiB at n = 64) in an Intel Xeon's (model 207)
	// 2 MiB L2: Q8_0 at n = 64 then took 142-201 ms against 130-199 for 24
	// rows (best 130 against 142; F32 127-181 in the same four interleaved
	// rounds), and BF16 decoded this way 140 ms against 158 for the
	// in-place tiles; 48 rows measured the same as 24 there. On Zen 5 (1
	// MiB of L2) 48 rows were the faster: Q8_0 at n = 64 84-86 ms best and
	// 88-96 median against 89-90 and 93-96 for 24 (12: 92 and 95; 72 and
	// 96 like 48), F32 75-78 ms, in two runs of six interleaved rounds. A
	// multiple of every level's tile rows and a divisor of gemmPanelRows.
	gemmDecodeRows = 48
)

// Gemm computes the projection of n positions at once, dst = X·Wᵀ with W
// this matrix (V = Rows(), d = Cols()):
//
//	dst[i*V+v] = Σ_k W[v][k] · x[i*d+k]     for i < n, v < V
//
// x holds n hidden states of d float32 (row-major), dst n rows of V logits.
// W[v][k] is the weight as [Matrix.Dequantize] decodes it. Each output
// carries the error bound of [Dot]: it is one float32 FMA chain over k, or,
// for up to 8 positions on the AVX-512 level, the sum of two (even and odd
// k).
//
// For n = 1 it is [Matrix.Gemv]. For more, W is read (and, for formats
// other than F32, decoded into float32 48 rows at a time, except BF16 on
// the AVX-512 level of AMD CPUs, which is read in place) once per 128
// positions, in panels of 96 rows that meet every position in cache, so
// the cost per position falls towards the FMA throughput of the core
// instead of the memory bandwidth. Gemm does not allocate once its scratch
// (a per-size buffer in a sync.Pool: the packed positions, the decoded
// rows and one panel of outputs, about (min(n,128)+24)·d·4 bytes, or
// (8+96)·d·4 for n ≤ 8, whose panels are decoded whole) is warm.
//
// Weights that are subnormal as float32 (possible in F32 and BF16) make
// every FMA that uses them take a microcode assist on Intel cores: with one
// in 16 subnormal, Gemm ran 10× slower. Trained weights have none.
//
// Gemm panics unless n ≥ 0, len(x) == n·Cols() and len(dst) == n·Rows().
// dst must not overlap x or the matrix.
func (m Matrix) Gemm(dst, x []float32, n int) {
	if n < 0 || len(x) != n*m.cols || len(dst) != n*m.rows {
		panic(fmt.Sprintf("lmhead.Matrix.Gemm: n=%d, len(x)=%d, len(dst)=%d, want n ≥ 0, len(x) = n×Cols = %d×%d, len(dst) = n×Rows = %d×%d",
			n, len(x), len(dst), n, m.cols, n, m.rows))
	}
	if n == 0 || m.rows == 0 {
		return
	}
	if m.cols == 0 {
		clear(dst)
		return
	}
	if n == 1 {
		m.Gemv(dst, x)
		return
	}
	s := gemmPool.Get().(*gemmScratch)
	defer gemmPool.Put(s)
	m.gemm(s, dst, x, n)
}

// Gemm computes dst = X·Wᵀ for a row-major W of V = len(w)/d rows and
// d = len(x)/n columns: dst[i*V+v] = Σ_k w[v*d+k]·x[i*d+k] for n positions.
// It is [Matrix.Gemm] of the F32 view of w.
//
// Gemm panics unless n ≥ 1, len(x) is a multiple n·d of n, and len(w) and
// len(dst) are V·d and n·V for one V.
func Gemm(dst, w, x []float32, n int) {
	if n < 1 || len(x)%n != 0 {
		panic(fmt.Sprintf("lmhead.Gemm: n=%d, len(x)=%d, want n ≥ 1 and len(x) a multiple of n", n, len(x)))
	}
	d := len(x) / n
	if len(dst)%n != 0 || len(w) != len(dst)/n*d {
		panic(fmt.Sprintf("lmhead.Gemm: len(dst)=%d, len(w)=%d, want len(dst) = n×V and len(w) = V×d with n=%d, d=%d",
			len(dst), len(w), n, d))
	}
	m := Matrix{format: F32, rows: len(dst) / n, cols: d, data: f32Bytes(w)}
	m.Gemm(dst, x, n)
}

// gemmScratch holds Gemm's buffers between calls.
type gemmScratch struct {
	xp, c, w []float32
}

var gemmPool = sync.Pool{New: func() any { return new(gemmScratch) }}

// buf returns b with length n, reusing its memory when it is big enough.
func buf(b *[]float32, n int) []float32 {
	if cap(*b) < n {
		*b = make([]float32, n)
	}
	return (*b)[:n]
}

// gemm is Gemm for n ≥ 2, rows ≥ 1, cols ≥ 1: it packs gemmMaxPos
// positions at a time and runs gemmPacked on them.
func (m Matrix) gemm(s *gemmScratch, dst, x []float32, n int) {
	d, V := m.cols, m.rows
	if usePairs(n) {
		xp := buf(&s.xp, pairsLen(d))
		packPairs(xp, x, n, d)
		m.gemmPairs(s, dst, V, xp, n)
		return
	}
	for p0 := 0; p0 < n; p0 += gemmMaxPos {
		pn := min(gemmMaxPos, n-p0)
		xp := buf(&s.xp, (pn+gemmGroup-1)/gemmGroup*gemmGroup*d)
		packX(xp, x[p0*d:(p0+pn)*d], pn, d)
		m.gemmPacked(s, dst[p0*V:], V, xp, pn)
	}
}

// gemmPacked computes dst[i*ldd+v] = Σ_k W[v][k]·x_i[k] for the n ≥ 1
// positions packed in xp (packX's layout), gemmMaxPos positions at a time.
func (m Matrix) gemmPacked(s *gemmScratch, dst []float32, ldd int, xp []float32, n int) {
	d, V := m.cols, m.rows
	var wf []float32
	inPlace := false
	if m.format == F32 && f32InPlace(m.data) {
		wf, inPlace = bytesF32(m.data), true
	}
	kernel := active.gemm
	// BF16 on AVX-512 is read in place (gemmTileBF16x12x32AVX512) where
	// that is the faster (tuning.go: gemmBF16InPlace).
	bf16 := m.format == BF16 && activeISA == AVX512 && gemmBF16InPlace
	for p0 := 0; p0 < n; p0 += gemmMaxPos {
		pn := min(gemmMaxPos, n-p0)
		groups := (pn + gemmGroup - 1) / gemmGroup
		ldc := groups * gemmGroup
		xg := xp[p0*d:] // p0 is a multiple of 16: group p0/16 starts at p0·d
		c := buf(&s.c, gemmPanelRows*ldc)
		for r0 := 0; r0 < V; r0 += gemmPanelRows {
			rn := min(gemmPanelRows, V-r0)
			switch {
			case bf16:
				w := m.data[2*r0*d : 2*(r0+rn)*d]
				for kb := 0; kb < d; kb += gemmKC {
					kn := min(gemmKC, d-kb)
					active.gemmBF16(c, ldc, w[2*kb:], d, rn, kn, xg[kb*gemmGroup:], d*gemmGroup, groups, kb > 0)
				}
			case inPlace:
				w := wf[r0*d : (r0+rn)*d]
				for kb := 0; kb < d; kb += gemmKC {
					kn := min(gemmKC, d-kb)
					kernel(c, ldc, w[kb:], d, rn, kn, xg[kb*gemmGroup:], d*gemmGroup, groups, kb > 0)
				}
			default:
				// Decode gemmDecodeRows whole rows at a time (a contiguous
				// read of W) and run every k slice of the tiles on them
				// while they and the packed positions are in L2.
				for q0 := 0; q0 < rn; q0 += gemmDecodeRows {
					qn := min(gemmDecodeRows, rn-q0)
					w := m.Dequantize(buf(&s.w, gemmDecodeRows*d), r0+q0, r0+q0+qn)
					for kb := 0; kb < d; kb += gemmKC {
						kn := min(gemmKC, d-kb)
						kernel(c[q0*ldc:], ldc, w[kb:], d, qn, kn, xg[kb*gemmGroup:], d*gemmGroup, groups, kb > 0)
					}
				}
			}
			// Scatter the panel's outputs, c[r][p], to dst[p][r0+r].
			for p := 0; p < pn; p++ {
				out := dst[(p0+p)*ldd+r0 : (p0+p)*ldd+r0+rn]
				for r := range out {
					out[r] = c[r*ldc+p]
				}
			}
		}
	}
}

// Batch is n input vectors of d float32 packed for [Matrix.GemmBatch].
// Gemm packs its positions on every call (one pass over x); a caller that
// applies the same positions to many blocks of rows, or to several
// matrices, packs them once into a Batch. The zero value is an empty
// Batch; Pack reuses its memory.
type Batch struct {
	xp    []float32
	n, d  int
	pairs bool // xp is packPairs' layout (usePairs), not packX's
}

// Pack packs the n vectors of x (n×d row-major, d = len(x)/n) into b,
// replacing what b held. It allocates only when b's memory is too small:
// (n rounded up to 16)·d float32. It panics unless n ≥ 1 and len(x) is a
// multiple of n.
func (b *Batch) Pack(x []float32, n int) {
	if n < 1 || len(x)%n != 0 {
		panic(fmt.Sprintf("lmhead.Batch.Pack: n=%d, len(x)=%d, want n ≥ 1 and len(x) a multiple of n", n, len(x)))
	}
	b.n, b.d = n, len(x)/n
	if b.pairs = usePairs(n); b.pairs {
		packPairs(buf(&b.xp, pairsLen(b.d)), x, n, b.d)
		return
	}
	packX(buf(&b.xp, (n+gemmGroup-1)/gemmGroup*gemmGroup*b.d), x, n, b.d)
}

// Len returns the number of vectors in b.
func (b *Batch) Len() int { return b.n }

// Dim returns the length d of each vector in b.
func (b *Batch) Dim() int { return b.d }

// GemmBatch is [Matrix.Gemm] of the packed positions of b into a strided
// dst: dst[i*ldd+v] = Σ_k W[v][k]·x_i[k] for i < b.Len(), v < Rows(). The
// stride lets a row block of a bigger matrix (SliceRows) write its columns
// of a shared n×V output. dst elements outside those are not touched.
//
// GemmBatch panics unless b.Dim() == Cols(), ldd ≥ Rows() and
// len(dst) ≥ (b.Len()-1)·ldd + Rows().
func (m Matrix) GemmBatch(dst []float32, ldd int, b *Batch) {
	n := b.n
	if b.d != m.cols || ldd < m.rows || (n > 0 && len(dst) < (n-1)*ldd+m.rows) {
		panic(fmt.Sprintf("lmhead.Matrix.GemmBatch: Dim=%d, ldd=%d, len(dst)=%d, want Dim = Cols = %d, ldd ≥ Rows = %d, len(dst) ≥ (Len-1)×ldd + Rows = (%d-1)×%d + %d",
			b.d, ldd, len(dst), m.cols, m.rows, n, ldd, m.rows))
	}
	if n == 0 || m.rows == 0 {
		return
	}
	if m.cols == 0 {
		for i := 0; i < n; i++ {
			clear(dst[i*ldd : i*ldd+m.rows])
		}
		return
	}
	s := gemmPool.Get().(*gemmScratch)
	defer gemmPool.Put(s)
	if b.pairs {
		m.gemmPairs(s, dst, ldd, b.xp, n)
		return
	}
	m.gemmPacked(s, dst, ldd, b.xp, n)
}

// packX writes the n positions of x (n×d row-major) to xp in groups of
// gemmGroup: position p's x[k] goes to xp[(p/16)·16d + 16k + p%16]. The
// lanes of the last group past n are zero, so the kernels run whole groups
// and their extra outputs are zero (and never read).
func packX(xp, x []float32, n, d int) {
	groups := (n + gemmGroup - 1) / gemmGroup
	for g := 0; g < groups; g++ {
		out := xp[g*gemmGroup*d : (g+1)*gemmGroup*d]
		lanes := min(gemmGroup, n-g*gemmGroup)
		if lanes < gemmGroup {
			clear(out)
		}
		for l := 0; l < lanes; l++ {
			row := x[(g*gemmGroup+l)*d : (g*gemmGroup+l+1)*d]
			for k, v := range row {
				out[k*gemmGroup+l] = v
			}
		}
	}
}

// checkGemmBlock panics if a gemm kernel's arguments would reach past its
// slices; the assembly tiles take raw pointers.
func checkGemmBlock(c []float32, ldc int, w []float32, ldw, rows, kc int, xp []float32, gs, groups int) {
	if rows < 1 || kc < 1 || groups < 1 || ldc < groups*gemmGroup ||
		len(c) < (rows-1)*ldc+groups*gemmGroup || len(w) < (rows-1)*ldw+kc ||
		len(xp) < (groups-1)*gs+kc*gemmGroup {
		panic(fmt.Sprintf("lmhead: gemm block: len(c)=%d ldc=%d len(w)=%d ldw=%d rows=%d kc=%d len(xp)=%d gs=%d groups=%d",
			len(c), ldc, len(w), ldw, rows, kc, len(xp), gs, groups))
	}
}

// Up to 8 positions, in one group of 16 lanes, would leave half of every
// FMA idle. The AVX-512 and AVX2 levels pack them in pairs instead
// (packPairs): lane 2p+e of vector j is x_p[2j+e], so one 64-bit broadcast
// of W[r][2j], W[r][2j+1] meets 8 positions at two k in one FMA
// (gemmTile12x8AVX512), or 4 positions in each of two (gemmTile6x8AVX2).
// Lane 2p+e of the tile's output row sums the even (e = 0) or odd k of
// position p, each as one FMA chain; the two are added when the panel is
// scattered. That is two chains of half the length, inside the error bound
// of Dot, and the W traffic of Gemm at half the FMAs.

// pairsMaxPos is the most positions packed in pairs.
const pairsMaxPos = gemmGroup / 2

// usePairs reports whether n positions are packed in pairs: n ≤ 8 on the
// AVX-512 and AVX2 levels, whose tiles take them. (A Batch packed so and
// used on another level runs the generic twin, gemmBlockPairs.)
func usePairs(n int) bool {
	return n <= pairsMaxPos && (activeISA == AVX512 || activeISA == AVX2)
}

// pairsLen is the float32 of packPairs' layout for d columns.
func pairsLen(d int) int { return (d + 1) / 2 * gemmGroup }

// packPairs writes the n ≤ 8 positions of x (n×d row-major) to xp in
// pairs of k: x_p[k] goes to xp[16·(k/2) + 2p + k%2]. Lanes of positions
// past n, and of k = d when d is odd, are zero.
func packPairs(xp, x []float32, n, d int) {
	xp = xp[:pairsLen(d)]
	if n < pairsMaxPos || d%2 == 1 {
		clear(xp)
	}
	for p := 0; p < n; p++ {
		row := x[p*d : (p+1)*d]
		for k, v := range row {
			xp[k/2*gemmGroup+2*p+k%2] = v
		}
	}
}

// gemmPairs is gemmPacked for the n ≤ 8 positions packed in pairs in xp
// (packPairs): each panel (of an even number of k) runs on the level's
// gemmPairs kernel, over whole rows for F32 read in place (one stream of
// W, see _gen/gemm: pairsPfLines) and in k slices of a decoded panel, an
// odd last k in Go, and the scatter adds the even and odd sums of each
// position.
func (m Matrix) gemmPairs(s *gemmScratch, dst []float32, ldd int, xp []float32, n int) {
	d, V := m.cols, m.rows
	var wf []float32
	inPlace := false
	if m.format == F32 && f32InPlace(m.data) {
		wf, inPlace = bytesF32(m.data), true
	}
	kernel := active.gemmPairs
	even := d &^ 1
	c := buf(&s.c, gemmPanelRows*gemmGroup)
	for r0 := 0; r0 < V; r0 += gemmPanelRows {
		rn := min(gemmPanelRows, V-r0)
		var w []float32
		if inPlace {
			w = wf[r0*d : (r0+rn)*d]
			if even > 0 {
				kernel(c, gemmGroup, w, d, rn, even/2, xp, 0, 1, false)
			}
		} else {
			w = m.Dequantize(buf(&s.w, gemmPanelRows*d), r0, r0+rn)
			for kb := 0; kb < even; kb += gemmKC {
				kn := min(gemmKC, even-kb)
				kernel(c, gemmGroup, w[kb:], d, rn, kn/2, xp[kb/2*gemmGroup:], 0, 1, kb > 0)
			}
		}
		if even < d {
			// The odd last k: lanes 2p only (x's lanes 2p+1 are zero there,
			// but W[r][d-1]·0 is NaN for an infinite weight).
			if even == 0 {
				clear(c[:rn*gemmGroup])
			}
			xl := xp[even/2*gemmGroup : even/2*gemmGroup+gemmGroup]
			for r := 0; r < rn; r++ {
				wl := w[r*d+d-1]
				cr := c[r*gemmGroup : (r+1)*gemmGroup]
				for p := 0; p < n; p++ {
					cr[2*p] += wl * xl[2*p]
				}
			}
		}
		for p := 0; p < n; p++ {
			out := dst[p*ldd+r0 : p*ldd+r0+rn]
			for r := range out {
				out[r] = c[r*gemmGroup+2*p] + c[r*gemmGroup+2*p+1]
			}
		}
	}
}

// gemmBlockPairs is the pure-Go twin of gemmPairsAVX512 and gemmPairsAVX2:
// over kc pairs of k, for rows r < rows and lanes l = 2p+e < 16,
//
//	c[r*ldc+l] (+)= Σ_{j<kc} w[r*ldw+2j+e] · xp[16j+l]
//
// adding to c when add is set. gs and groups are unused (one group).
func gemmBlockPairs(c []float32, ldc int, w []float32, ldw, rows, kc int, xp []float32, gs, groups int, add bool) {
	checkGemmPairs(c, ldc, w, ldw, rows, kc, xp)
	for r := 0; r < rows; r++ {
		var acc [gemmGroup]float32
		out := c[r*ldc : r*ldc+gemmGroup]
		if add {
			copy(acc[:], out)
		}
		wr := w[r*ldw : r*ldw+2*kc]
		for j := 0; j < kc; j++ {
			w0, w1 := wr[2*j], wr[2*j+1]
			x := (*[gemmGroup]float32)(xp[j*gemmGroup : (j+1)*gemmGroup])
			for l := 0; l < gemmGroup; l += 2 {
				acc[l] += w0 * x[l]
				acc[l+1] += w1 * x[l+1]
			}
		}
		copy(out, acc[:])
	}
}

// checkGemmPairs panics if a gemmPairs kernel's arguments (kc pairs of k)
// would reach past its slices.
func checkGemmPairs(c []float32, ldc int, w []float32, ldw, rows, kc int, xp []float32) {
	if rows < 1 || kc < 1 || ldc < gemmGroup || len(c) < (rows-1)*ldc+gemmGroup ||
		len(w) < (rows-1)*ldw+2*kc || len(xp) < kc*gemmGroup {
		panic(fmt.Sprintf("lmhead: gemm pairs block: len(c)=%d ldc=%d len(w)=%d ldw=%d rows=%d kc=%d len(xp)=%d",
			len(c), ldc, len(w), ldw, rows, kc, len(xp)))
	}
}

// gemmBlockBF16 is gemmBlock with W in BF16 (2 bytes per weight, row r at
// w[2·r·ldw:]), the pure-Go twin of gemmBF16AVX512.
func gemmBlockBF16(c []float32, ldc int, w []byte, ldw, rows, kc int, xp []float32, gs, groups int, add bool) {
	checkGemmBF16(c, ldc, w, ldw, rows, kc, xp, gs, groups)
	for g := 0; g < groups; g++ {
		xg := xp[g*gs : g*gs+kc*gemmGroup]
		for r := 0; r < rows; r++ {
			out := c[r*ldc+g*gemmGroup : r*ldc+(g+1)*gemmGroup]
			wr := w[2*r*ldw : 2*(r*ldw+kc)]
			var acc [gemmGroup]float32
			if add {
				copy(acc[:], out)
			}
			for k := 0; k < kc; k++ {
				wk := BF16ToFloat32(binary.LittleEndian.Uint16(wr[2*k:]))
				x := (*[gemmGroup]float32)(xg[k*gemmGroup : (k+1)*gemmGroup])
				for l := range acc {
					acc[l] += wk * x[l]
				}
			}
			copy(out, acc[:])
		}
	}
}

// checkGemmBF16 is checkGemmBlock for W in BF16.
func checkGemmBF16(c []float32, ldc int, w []byte, ldw, rows, kc int, xp []float32, gs, groups int) {
	if rows < 1 || kc < 1 || groups < 1 || ldc < groups*gemmGroup ||
		len(c) < (rows-1)*ldc+groups*gemmGroup || len(w) < 2*((rows-1)*ldw+kc) ||
		len(xp) < (groups-1)*gs+kc*gemmGroup {
		panic(fmt.Sprintf("lmhead: gemm BF16 block: len(c)=%d ldc=%d len(w)=%d ldw=%d rows=%d kc=%d len(xp)=%d gs=%d groups=%d",
			len(c), ldc, len(w), ldw, rows, kc, len(xp), gs, groups))
	}
}
