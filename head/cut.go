package head

import (
	"math"

	"github.com/lmhead/lmhead"
)

// Cuts: top-p and typical-p over the whole vocabulary without finding the
// set they keep.
//
// Both keep the shortest prefix of an order (scores descending for top-p;
// |-ln p - H| ascending for typical-p; equal keys by lower index) whose
// mass reaches a target T ≥ frac·W, W the mass of every token. A token j
// is in that prefix exactly when the mass ranked before it is below T. So
// when the filter is the last step of the chain, the draw can be rejection
// sampling: draw j from all tokens in proportion to e (drawAll), and keep
// it if the mass before it, one masked-sum pass (lmhead.SumWhereIn), is
// below T. Conditioned on being kept, j has probability e_j over the mass
// of the set, which is the filtered distribution; each try keeps with
// probability mass(set)/W ≥ frac ≥ 1/2. After cutTries rejections the set
// is found the exact, slower way (the radix selection of topP or typical)
// and drawn from; a mixture of exact draws is exact.
//
// A wide nucleus (top-p 0.99 at a high temperature keeps most of a 128k
// vocabulary) thus costs about one pass over e and the keys, instead of a
// selection over tens of thousands of candidates.

// cutKind says which filter a cut stands for.
type cutKind uint8

const (
	cutNone cutKind = iota
	cutTopP
	cutTypical
)

// cut is a filter left to the draw: the set is the prefix of an order of
// the scores whose mass reaches target.
type cut struct {
	kind   cutKind
	target float64
	frac   float64 // the filter's parameter, for the exact fallback
	inv, b float32 // typical: the key is y = inv·x - b (rounded once), ordered by |y|
}

// cutTries is the number of rejection draws before the exact fallback. A
// variable so that tests can force the fallback.
var cutTries = 4

// cuttable reports whether a filter keeping frac of the mass can be left to
// the draw: the chain ends with it (last), the draw is at the filters'
// temperature and no log-probs are asked for (s.cutOK), and the set holds
// at least half the mass, so that rejection rarely fails.
func (s *Sampler) cuttable(frac float64, last bool) bool {
	c := s.cfg
	return s.cutOK && last && frac >= 0.5 && c.MinP == 0 && c.XTCProbability == 0 && c.MirostatTau == 0
}

// flatE computes e over every token, if not yet, without block
// statistics; with Σ e·x for the entropy if dot is set.
func (s *Sampler) flatE(p *pass, dot bool) {
	if p.haveE {
		return
	}
	p.haveE = true
	if !dot {
		p.total = s.expSums(p.x, p.inv, p.c, false)
		return
	}
	s.blocks = false
	p.total, p.sex = lmhead.ScaleExpSumDot(s.e[:len(p.x)], p.x, p.inv, p.c)
	p.haveSex = true
}

// cutTopP leaves top-p (frac tp) to the draw.
func (s *Sampler) cutTopP(p *pass, tp float64) {
	s.flatE(p, false)
	p.cut = cut{kind: cutTopP, target: tp * p.total, frac: tp}
}

// cutTypical leaves typical-p (frac tp) to the draw, with the key of
// typical: y = inv·x - b, b = c + ln W - H, so that |y| = |-ln p - H|.
// The key is the one typical computes with ScaleShift; SumWhereIn rounds
// it the same way, so the keys are never stored.
func (s *Sampler) cutTypical(p *pass, tp float64) {
	s.flatE(p, true)
	h, _ := s.entropy(p)
	b := float32(float64(p.c) + math.Log(p.total) - h)
	p.cut = cut{kind: cutTypical, target: tp * p.total, frac: tp, inv: p.inv, b: b}
}

// drawCut draws from the set of p's cut.
func (s *Sampler) drawCut(p *pass) int {
	s.cutDraws++
	for range cutTries {
		if j := s.drawAll(s.e); s.inCut(p, j) {
			return j
		}
	}
	// The exact way: select the set, then draw from it.
	s.cutFallbacks++
	c := p.cut
	p.cut = cut{}
	switch c.kind {
	case cutTopP:
		s.topP(p, c.frac)
	case cutTypical:
		s.typical(p, c.frac)
	}
	if p.list == nil {
		return s.drawAll(s.e)
	}
	return s.drawList(s.e, p.list)
}

// inCut reports whether token j is in the set of p's cut: whether the mass
// ranked before it is below the target.
func (s *Sampler) inCut(p *pass, j int) bool {
	c := &p.cut
	x, e := p.x, s.e
	inf := float32(math.Inf(1))
	var before float64
	switch c.kind {
	case cutTopP:
		// Before j: scores above x_j, and equal ones at a lower index.
		v := x[j]
		before = s.massAbove(x, e, v, 0, j) + s.massAbove(x, e, math.Nextafter32(v, inf), j+1, len(x))
	case cutTypical:
		// Before j: |y| below |y_j|, and equal at a lower index.
		lmhead.ScaleShift(s.one[:], x[j:j+1], c.inv, -c.b)
		a := abs32(s.one[0])
		a1 := math.Nextafter32(a, 0) // |y| < a ⇔ |y| ≤ a1
		if a == 0 {
			a1 = -1 // empty: [1, -1]
		}
		before = lmhead.SumWhereIn(e[:j], x[:j], c.inv, -c.b, -a, a) + lmhead.SumWhereIn(e[j+1:], x[j+1:], c.inv, -c.b, -a1, a1)
	}
	return before < c.target
}

// massAbove returns Σ e[i] over i in [lo, hi) with x[i] ≥ t, skipping the
// blocks whose maximum s.bmax is below t, with one kernel call per run of
// blocks that are not skipped.
func (s *Sampler) massAbove(x, e []float32, t float32, lo, hi int) float64 {
	s.needBMax()
	inf := float32(math.Inf(1))
	var m float64
	run := -1 // start of the current run of blocks to sum, or -1
	for b := lo / sampleBlock; b*sampleBlock < hi; b++ {
		if s.bmax[b] >= t {
			if run < 0 {
				run = max(b*sampleBlock, lo)
			}
			continue
		}
		if run >= 0 {
			end := b * sampleBlock
			m += lmhead.SumWhereIn(e[run:end], x[run:end], 1, 0, t, inf)
			run = -1
		}
	}
	if run >= 0 && run < hi {
		m += lmhead.SumWhereIn(e[run:hi], x[run:hi], 1, 0, t, inf)
	}
	return m
}

// drawAll draws i with probability e[i]/Σe over every token: from the
// block sums if they are current, else by drawFlat.
func (s *Sampler) drawAll(e []float32) int {
	if s.blocks {
		return s.drawBlocks(e)
	}
	return s.drawFlat(e)
}

// flatChunk is the stride of drawFlat's first walk.
const flatChunk = 16 * sampleBlock

// drawFlat draws i with probability e[i]/Σe with no block sums: u is drawn
// against the total of chunk sums made as the walk goes (lmhead.Sum), so
// the walk and the total agree, and stops in the chunk where u falls; that
// chunk is walked by blocks, then the block by element. On average it
// reads half of e once.
func (s *Sampler) drawFlat(e []float32) int {
	n := len(e)
	nc := (n + flatChunk - 1) / flatChunk
	s.csum = growF64(s.csum, nc)
	var total float64
	for c := range s.csum {
		s.csum[c] = float64(lmhead.Sum(e[c*flatChunk : min((c+1)*flatChunk, n)]))
		total += s.csum[c]
	}
	u := s.rng.Float64() * total
	last := -1
	for c, cs := range s.csum {
		if cs <= 0 {
			continue
		}
		last = c
		if u >= cs {
			u -= cs
			continue
		}
		lo, hi := c*flatChunk, min((c+1)*flatChunk, n)
		for b := lo; b < hi; b += sampleBlock {
			be := min(b+sampleBlock, hi)
			bs := float64(lmhead.Sum(e[b:be]))
			if u >= bs && be < hi {
				u -= bs
				continue
			}
			if i := scan(e[b:be], u); i >= 0 {
				return b + i
			}
		}
		break
	}
	// Rounding left u beyond the sums: the last token with weight.
	if last < 0 {
		last = nc - 1
	}
	for i := min((last+1)*flatChunk, n) - 1; i > 0; i-- {
		if e[i] > 0 {
			return i
		}
	}
	return 0
}

// growF64 returns buf resized to n, reallocating if needed.
func growF64(buf []float64, n int) []float64 {
	if cap(buf) < n {
		return make([]float64, n)
	}
	return buf[:n]
}

// needBlocks computes the block statistics of the current e (n tokens) if
// the pass did not: Verify's residual draw edits e and its block sums.
func (s *Sampler) needBlocks(n int) {
	if s.blocks {
		return
	}
	nb := (n + sampleBlock - 1) / sampleBlock
	s.emax = grow32(s.emax, nb)
	s.bsum = growF64(s.bsum, nb)
	s.bsum32 = grow32(s.bsum32, nb)
	for b := range nb {
		lo, hi := block(b, n)
		s.bsum[b] = float64(lmhead.Sum(s.e[lo:hi]))
		s.bsum32[b] = float32(s.bsum[b])
		s.emax[b] = lmhead.Max(s.e[lo:hi])
	}
	s.blocks = true
}

// needBMax makes the block maxima s.bmax if prepare left them for later.
func (s *Sampler) needBMax() {
	x := s.bmaxOf
	if x == nil {
		return
	}
	s.bmaxOf = nil
	for b := range s.bmax {
		lo, hi := block(b, len(x))
		s.bmax[b] = lmhead.Max(x[lo:hi])
	}
}
