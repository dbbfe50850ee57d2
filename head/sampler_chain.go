package head

import (
	"math"

	"github.com/lmhead/lmhead"
)

// The filters of the chain. Each works either on every token (list nil:
// then e, when computed, covers all of x, with per-block maxima and sums)
// or on a list of candidates, with e valid at the listed tokens. A filter
// that keeps few tokens turns the first form into the second; none sorts
// more than the tokens at a selection boundary.
//
// How each filter finds its tokens on the whole vocabulary:
//
//   - top-n-σ: mean and variance by vector kernels per block (lmhead.Sum,
//     lmhead.Dot), then a threshold max - n·σ; only blocks whose maximum
//     reaches it are gathered.
//   - top-k: the k-th largest block maximum t is a threshold with at
//     least k scores at or above it (one per block), and no block whose
//     maximum is below t holds one; those blocks are skipped.
//   - typical-p: the entropy from per-block dot products of e and x, then
//     radix selection (by mass) on the key -|-ln p - H|.
//   - top-p: the nucleus holds only tokens with e ≥ t for any t with
//     mass(e ≥ t) ≥ p·total; nucleusCandidates finds a high such t from
//     the block sums and maxima or a sample, and checks it.
//   - min-p, XTC, mirostat: thresholds on e.
//
// The tokens that pass a threshold are gathered by a branch-free loop and
// ordered by the radix selector.

// pass is the state of one run of the chain.
type pass struct {
	x      []float32
	inv, c float32 // e = e^(inv·x - c)
	list   []int32 // nil: every token
	total  float64 // Σ e over list (over all once haveE)
	haveE  bool    // list == nil and e is computed over all (with block statistics if s.blocks)
	cut    cut     // list == nil: the set is a prefix of an order, tested per drawn token
	sex    float64 // Σ e·x over every token, if haveSex
	// haveSex: sex was computed with e (ScaleExpSumDot); it is NaN if a
	// score is -Inf.
	haveSex bool
}

// filter runs the configured filters (if filter is true) on x, whose
// maximum is s.m, at inverse temperature inv with c = inv·s.m, and returns
// the kept tokens, or nil for all of them (with s.bsum set for
// drawBlocks). e is valid at the kept tokens.
func (s *Sampler) filter(x []float32, inv, c float32, filter bool) []int32 {
	return s.chain(x, inv, c, filter, nil).list
}

// chain runs the filters from top-n-σ to XTC on list (nil: every token).
func (s *Sampler) chain(x []float32, inv, c float32, filter bool, list []int32) pass {
	n := len(x)
	cfg := s.cfg
	p := pass{x: x, inv: inv, c: c, list: list}
	if list != nil {
		p.total = s.expList(x, list, inv, c)
	}
	if !filter {
		if list == nil {
			p.total, p.haveE = s.expSums(x, inv, c, false), true
		}
		return p
	}
	if cfg.TopNSigma > 0 {
		s.topNSigma(&p)
	}
	if k := cfg.TopK; k > 0 {
		if p.list == nil && k < n {
			p.list, p.total = s.topK(x, inv, c, k)
			p.haveE = false
		} else if p.list != nil && k < len(p.list) {
			kept, mass, _ := s.sel.prefix(x, s.e, p.list, goal{byCount: true, want: float64(k)})
			s.list = append(s.list[:0], kept...)
			p.list, p.total = s.list, mass
		}
	}
	if tp := cfg.TypicalP; tp > 0 && tp < 1 {
		if p.list == nil && s.cuttable(float64(tp), !(cfg.TopP > 0 && cfg.TopP < 1)) {
			s.cutTypical(&p, float64(tp))
			return p
		}
		s.typical(&p, float64(tp))
	}
	if tp := cfg.TopP; tp > 0 && tp < 1 {
		if p.list == nil && s.cuttable(float64(tp), true) {
			s.cutTopP(&p, float64(tp))
			return p
		}
		s.topP(&p, float64(tp))
	}
	return s.chainAfterTopP(p)
}

// topP keeps the top-p nucleus of p (mass tp of p.total) as a list, or
// leaves p whole if the nucleus is everything.
func (s *Sampler) topP(p *pass, tp float64) {
	n := len(p.x)
	s.allE(p)
	target := tp * p.total
	cand := p.list
	if cand == nil {
		cand = s.nucleusCandidates(target, p.total, n)
	}
	kept, mass, all := s.sel.prefix(p.x, s.e, cand, goal{want: target})
	if !all {
		s.list = append(s.list[:0], kept...)
		p.list, p.total, p.haveE = s.list, mass, false
	} else if p.list == nil {
		// cand kept everything it held: the nucleus is cand, which may
		// be less than the whole vocabulary.
		s.list = append(s.list[:0], cand...)
		if len(s.list) < n {
			p.list, p.total, p.haveE = s.list, mass, false
		}
	}
}

// chainAfterTopP runs the filters after top-p: min-p and XTC.
func (s *Sampler) chainAfterTopP(p pass) pass {
	n := len(p.x)
	x, inv, c := p.x, p.inv, p.c
	cfg := s.cfg
	if cfg.MinP > 0 {
		s.allE(&p)
		e := s.e
		if p.list == nil {
			thr := cfg.MinP * lmhead.Max(s.emax)
			s.list = s.list[:0]
			for b, v := range s.emax {
				if v >= thr {
					lo, hi := block(b, n)
					s.list = appendGE(s.list, e[lo:hi], lo, thr)
				}
			}
		} else {
			var emax float32
			for _, i := range p.list {
				emax = max(emax, e[i])
			}
			thr := cfg.MinP * emax
			// Filtering in place is safe when p.list is s.list; otherwise
			// they do not overlap.
			out, src := s.list[:0], p.list
			for _, i := range src {
				if e[i] >= thr {
					out = append(out, i)
				}
			}
			s.list = out
		}
		p.list, p.haveE = s.list, false
		p.total = sumAt(e, p.list)
	}
	if cfg.XTCProbability > 0 {
		size := n
		if p.list != nil {
			size = len(p.list)
		}
		if size >= 2 && s.rng.Float32() <= cfg.XTCProbability {
			s.xtc(&p)
		}
	}
	if p.list == nil && !p.haveE {
		// Only the draw (and mirostat's threshold) is left: the block
		// maxima of e are needed by mirostat only.
		p.total = s.expSums(x, inv, c, cfg.MirostatTau > 0)
		p.haveE = true
	}
	return p
}

// sumAt returns Σ e[i] over list.
func sumAt(e []float32, list []int32) float64 {
	var t float64
	for _, i := range list {
		t += float64(e[i])
	}
	return t
}

// allE computes e over every token, with the block statistics, if the
// pass is on every token and has not yet.
func (s *Sampler) allE(p *pass) {
	if p.list == nil && (!p.haveE || !s.blocks) {
		p.total = s.expBlocks(p.x, p.inv, p.c)
		p.haveE = true
	}
}

// expList sets e[i] = e^(inv·x[i] - c) for i in list, by the vector kernel
// on the gathered scores, and returns the sum.
func (s *Sampler) expList(x []float32, list []int32, inv, c float32) float64 {
	s.xs = grow32(s.xs, len(list))
	s.ws = grow32(s.ws, len(list))
	for j, i := range list {
		s.xs[j] = x[i]
	}
	t := lmhead.ScaleExpSum(s.ws, s.xs, inv, c)
	for j, i := range list {
		s.e[i] = s.ws[j]
	}
	return t
}

// expBlocks sets e = e^(inv·x - c) and, per block, its sum (s.bsum) and
// maximum (s.emax), and returns the total.
func (s *Sampler) expBlocks(x []float32, inv, c float32) float64 {
	return s.expSums(x, inv, c, true)
}

// expSums is expBlocks, with the block maxima of e only if emax is true
// (a third pass over the block, which only the filters need).
func (s *Sampler) expSums(x []float32, inv, c float32, emax bool) float64 {
	if !emax {
		// Only the draw follows, which finds its token without block
		// sums (drawFlat): one kernel call instead of one per block, whose
		// fixed cost was a third of the pass at 128k.
		s.blocks = false
		return lmhead.ScaleExpSum(s.e[:len(x)], x, inv, c)
	}
	s.blocks = true
	nb := len(s.bmax)
	s.emax = grow32(s.emax, nb)
	if cap(s.bsum) < nb {
		s.bsum = make([]float64, nb)
	}
	s.bsum = s.bsum[:nb]
	s.bsum32 = grow32(s.bsum32, nb)
	var total float64
	for b := range s.bsum {
		lo, hi := block(b, len(x))
		s.bsum[b] = lmhead.ScaleExpSum(s.e[lo:hi], x[lo:hi], inv, c)
		s.bsum32[b] = float32(s.bsum[b])
		if emax {
			s.emax[b] = lmhead.Max(s.e[lo:hi])
		}
		total += s.bsum[b]
	}
	return total
}

// topK returns the k highest scores (exactly k, ties to the lower index)
// and their mass, with e computed where needed: only in the blocks that
// can hold one of them when k is small against the number of blocks.
func (s *Sampler) topK(x []float32, inv, c float32, k int) ([]int32, float64) {
	e := s.e
	cand := s.blockCandidates(x, k, inv, c, true)
	if cand == nil {
		cand = s.sel.topKCandidates(x, k)
		lmhead.ScaleExpSum(e, x, inv, c)
	}
	kept, mass, _ := s.sel.prefix(x, e, cand, goal{byCount: true, want: float64(k)})
	s.list = append(s.list[:0], kept...)
	return s.list, mass
}

// blockCandidates returns the tokens of the blocks whose maximum is at
// least the k-th largest block maximum (a superset of the k highest
// scores), computing e in those blocks if exp is true; or nil if k is not
// small against the number of blocks.
func (s *Sampler) blockCandidates(x []float32, k int, inv, c float32, exp bool) []int32 {
	s.needBMax()
	n := len(x)
	nb := len(s.bmax)
	if k > nb/4 {
		return nil
	}
	blocks, _, _ := s.sel.prefix(s.bmax, nil, nil, goal{byCount: true, want: float64(k)})
	t := uint32(math.MaxUint32)
	for _, b := range blocks {
		t = min(t, key(s.bmax[b]))
	}
	cand := s.sel.cand[:0]
	for b, v := range s.bmax {
		if key(v) >= t {
			lo, hi := block(b, n)
			if exp {
				lmhead.ScaleExpSum(s.e[lo:hi], x[lo:hi], inv, c)
			}
			cand = appendKeyGE(cand, x[lo:hi], lo, t)
		}
	}
	s.sel.cand = cand
	return cand
}

// nucleusCandidates returns a set of tokens that contains the top-p
// nucleus (mass target of total): all tokens with e ≥ t for a t with
// mass(e ≥ t) ≥ target, which makes the set a prefix of the canonical
// order that reaches the target. Only blocks whose maximum reaches t are
// gathered, so a t that turns out too high costs little.
//
// Three thresholds are tried, highest first, each kept if the tokens at or
// above it really hold the target:
//
//  1. the smallest block maximum among the fewest blocks (by maximum) whose
//     sums add up to the target: right when the mass sits in a few peaks;
//  2. the same on a strided sample of 512 tokens, aiming at a little more
//     than p of the sample's mass: right for a flat distribution;
//     if the tokens above it fall short, the same again below it, aiming
//     the shortfall with the sample's tokens below it;
//  3. (1-p)·total/n, valid always: all tokens below it together hold less
//     than 1-p of the mass.
func (s *Sampler) nucleusCandidates(target, total float64, n int) []int32 {
	if blocks, _, all := s.sel.prefix(s.emax, s.bsum32, nil, goal{want: target}); !all && len(blocks) <= len(s.emax)/4 {
		t := float32(math.Inf(1))
		for _, b := range blocks {
			t = min(t, s.emax[b])
		}
		if cand, mass := s.gatherGE(t, n); mass >= target {
			return cand
		}
	}
	if n >= 8*nucleusSample {
		step := n / nucleusSample
		var ms float64
		for j := range s.esample {
			s.esample[j] = s.e[j*step+(j*7919)%step]
			ms += float64(s.esample[j])
		}
		p := target / total
		want := (p + 0.3*(1-p)) * ms
		if kept, _, all := s.sel.prefix(s.esample[:], s.esample[:], nil, goal{want: want}); !all {
			t := float32(math.Inf(1))
			for _, j := range kept {
				t = min(t, s.esample[j])
			}
			cand, mass := s.gatherGE(t, n)
			if mass >= target {
				return cand
			}
			// Too high: the sample missed heavy tokens. The mass at or
			// above t is now exact; aim the rest, (target - mass) of the
			// (total - mass) below t, with the sample's tokens below t,
			// which are not heavy-tailed.
			f := (target - mass) / (total - mass)
			k, lm := 0, 0.0
			for _, v := range s.esample {
				if v < t {
					s.esample2[k] = v
					lm += float64(v)
					k++
				}
			}
			if f < 1 && k > 0 {
				low := s.esample2[:k]
				if kept, _, all := s.sel.prefix(low, low, nil, goal{want: (f + 0.3*(1-f)) * lm}); !all {
					t2 := float32(math.Inf(1))
					for _, j := range kept {
						t2 = min(t2, low[j])
					}
					if cand, mass := s.gatherGE(t2, n); mass >= target {
						return cand
					}
				}
			}
		}
	}
	cand, _ := s.gatherGE(float32(0.5*(total-target)/float64(n)), n) // halved against rounding
	return cand
}

// nucleusSample is the sample size of nucleusCandidates' second guess.
const nucleusSample = 512

// gatherGE returns the tokens with e ≥ t, from the blocks whose maximum
// reaches t, and their mass.
func (s *Sampler) gatherGE(t float32, n int) ([]int32, float64) {
	cand := s.sel.cand[:0]
	for b, v := range s.emax {
		if v >= t {
			lo, hi := block(b, n)
			cand = appendGE(cand, s.e[lo:hi], lo, t)
		}
	}
	s.sel.cand = cand
	return cand, sumAt(s.e, cand)
}

// drawBlocks draws i with probability e[i]/Σe, picking the block by the
// sums expBlocks kept and scanning only it.
func (s *Sampler) drawBlocks(e []float32) int {
	var total float64
	for _, bs := range s.bsum {
		total += bs
	}
	u := s.rng.Float64() * total
	last := 0
	for b, bs := range s.bsum {
		if bs == 0 {
			continue
		}
		last = b
		if u >= bs {
			u -= bs
			continue
		}
		lo, hi := block(b, len(e))
		if i := scan(e[lo:hi], u); i >= 0 {
			return lo + i
		}
		break
	}
	// Rounding left u beyond the sums: take the last token with weight.
	lo, hi := block(last, len(e))
	for i := hi - 1; i > lo; i-- {
		if e[i] > 0 {
			return i
		}
	}
	return lo
}

// scan returns the first i at which Σ_{j≤i} e[j] > u, or the last i with
// e[i] > 0 if the sum never gets there, or -1 if all are 0.
func scan(e []float32, u float64) int {
	var acc float64
	last := -1
	for i, v := range e {
		if v == 0 {
			continue
		}
		acc += float64(v)
		last = i
		if u < acc {
			return i
		}
	}
	return last
}

// drawList draws one of list with probability e[i]/Σ_list e.
func (s *Sampler) drawList(e []float32, list []int32) int {
	u := s.rng.Float64() * sumAt(e, list)
	var acc float64
	last := list[0]
	for _, i := range list {
		if e[i] == 0 {
			continue
		}
		acc += float64(e[i])
		last = i
		if u < acc {
			return int(i)
		}
	}
	return int(last)
}

// topNSigma keeps the tokens with x ≥ max - n·σ (llama.cpp
// llama_sampler_top_n_sigma_apply: σ over the tokens whose logit is not
// -Inf, population variance).
func (s *Sampler) topNSigma(p *pass) {
	s.needBMax()
	x, n := p.x, len(p.x)
	var sum, sq float64
	cnt := 0
	if p.list == nil {
		for b, bm := range s.bmax {
			if math.IsInf(float64(bm), -1) {
				continue
			}
			lo, hi := block(b, n)
			xb := x[lo:hi]
			if su := lmhead.Sum(xb); !math.IsInf(float64(su), 0) && su == su {
				sum += float64(su)
				sq += float64(lmhead.Dot(xb, xb))
				cnt += hi - lo
				continue
			}
			for _, v := range xb {
				if !math.IsInf(float64(v), -1) {
					sum += float64(v)
					sq += float64(v) * float64(v)
					cnt++
				}
			}
		}
	} else {
		for _, i := range p.list {
			if v := x[i]; !math.IsInf(float64(v), -1) {
				sum += float64(v)
				sq += float64(v) * float64(v)
				cnt++
			}
		}
	}
	if cnt <= 1 {
		return
	}
	mean := sum / float64(cnt)
	sigma := math.Sqrt(max(0, sq/float64(cnt)-mean*mean))
	thr := float32(float64(s.m) - float64(s.cfg.TopNSigma)*sigma)
	if p.list == nil {
		s.list = s.list[:0]
		t := key(thr)
		for b, bm := range s.bmax {
			if bm >= thr {
				lo, hi := block(b, n)
				s.list = appendKeyGE(s.list, x[lo:hi], lo, t)
			}
		}
		if len(s.list) == n {
			return
		}
		p.list = s.list
		p.total, p.haveE = s.expList(x, p.list, p.inv, p.c), false
		return
	}
	out := p.list[:0]
	for _, i := range p.list {
		if x[i] >= thr {
			out = append(out, i)
		}
	}
	p.list = out
	p.total = sumAt(s.e, out)
}

// entropy returns the entropy (nats) of the distribution e/total of the
// pass, and the number of tokens with a score above -Inf.
func (s *Sampler) entropy(p *pass) (h float64, count int) {
	x, e := p.x, s.e
	var sey float64 // Σ e·x
	if p.list == nil {
		// One kernel call, or none if e came with Σ e·x, when no score
		// is -Inf (e·x is then finite, as +Inf scores never reach
		// here); else block by block.
		d := p.sex
		if !p.haveSex {
			d = float64(lmhead.Dot(e[:len(x)], x))
		}
		if !math.IsNaN(d) && !math.IsInf(d, 0) {
			sey = d
			count = len(x)
		}
	}
	if p.list == nil && count == 0 {
		s.needBMax()
		for b, bm := range s.bmax {
			if math.IsInf(float64(bm), -1) {
				continue
			}
			lo, hi := block(b, len(x))
			if d := lmhead.Dot(e[lo:hi], x[lo:hi]); d == d && !math.IsInf(float64(d), 0) {
				sey += float64(d)
				count += hi - lo
				continue
			}
			for i := lo; i < hi; i++ {
				if !math.IsInf(float64(x[i]), -1) {
					count++
					if e[i] > 0 {
						sey += float64(e[i]) * float64(x[i])
					}
				}
			}
		}
	} else {
		for _, i := range p.list {
			if !math.IsInf(float64(x[i]), -1) {
				count++
				if e[i] > 0 {
					sey += float64(e[i]) * float64(x[i])
				}
			}
		}
	}
	// ln p_i = inv·x_i - c - ln W, so H = ln W + c - inv·Σ e·x / W.
	w := p.total
	return max(0, math.Log(w)+float64(p.c)-float64(p.inv)*sey/w), count
}

// typical keeps the shortest prefix, by |-ln p - H| ascending, whose mass
// reaches tp of the current mass (llama.cpp llama_sampler_typical_apply;
// Hugging Face TypicalLogitsWarper). The order key -|inv·x - c - a|,
// a = -ln W... is built in s.z for the radix selector.
func (s *Sampler) typical(p *pass, tp float64) {
	s.allE(p)
	h, _ := s.entropy(p)
	// -ln p_i - H = ln W - (inv·x_i - c) - H: the key is -|inv·x_i - b|
	// with b = c + ln W - H.
	b := float32(float64(p.c) + math.Log(p.total) - h)
	x := p.x
	s.z = grow32(s.z, len(x))
	if p.list == nil {
		lmhead.ScaleShift(s.z, x, p.inv, -b)
		for i, v := range s.z {
			s.z[i] = -abs32(v)
		}
	} else {
		for _, i := range p.list {
			s.z[i] = -abs32(p.inv*x[i] - b)
		}
	}
	kept, mass, all := s.sel.prefix(s.z, s.e, p.list, goal{want: tp * p.total})
	if all {
		return
	}
	s.list = append(s.list[:0], kept...)
	p.list, p.total, p.haveE = s.list, mass, false
}

// abs32 is |v| (NaN stays NaN; -Inf becomes +Inf).
func abs32(v float32) float32 { return math.Float32frombits(math.Float32bits(v) &^ (1 << 31)) }

// xtc is "exclude top choices" (llama.cpp llama_sampler_xtc_apply): of
// the tokens with probability ≥ XTCThreshold, all but the least probable
// (the last in the canonical order) are removed, if there are two or more.
func (s *Sampler) xtc(p *pass) {
	s.allE(p)
	n := len(p.x)
	t := float32(float64(s.cfg.XTCThreshold) * p.total)
	var top []int32
	if p.list == nil {
		top, _ = s.gatherGE(t, n)
	} else {
		top = s.sel.cand[:0]
		for _, i := range p.list {
			if s.e[i] >= t {
				top = append(top, i)
			}
		}
		s.sel.cand = top
	}
	if len(top) < 2 {
		return
	}
	keep := top[0]
	for _, i := range top[1:] {
		if ki, kk := key(p.x[i]), key(p.x[keep]); ki < kk || (ki == kk && i > keep) {
			keep = i
		}
	}
	if len(s.flag) < n {
		s.flag = make([]bool, n)
	}
	for _, i := range top {
		s.flag[i] = i != keep
	}
	if p.list == nil {
		// Every token but the removed ones: gathered once, O(n).
		s.list = s.list[:0]
		for b := range s.bsum {
			lo, hi := block(b, n)
			s.list = appendGE(s.list, s.e[lo:hi], lo, math.Float32frombits(1))
		}
		p.list = s.list
	}
	out := p.list[:0]
	for _, i := range p.list {
		if !s.flag[i] {
			out = append(out, i)
		}
	}
	for _, i := range top {
		s.flag[i] = false
	}
	p.list, p.haveE = out, false
	p.total = sumAt(s.e, out)
}

// dynInv returns the inverse of llama.cpp's dynamic temperature
// (llama_sampler_temp_ext_apply) for the candidates of p, whose e is at
// τ = 1; 0 if it comes out 0 (greedy).
func (s *Sampler) dynInv(p *pass) float32 {
	c := s.cfg
	if p.list == nil {
		s.flatE(p, true) // the entropy needs e, its total and Σ e·x, not block statistics
	}
	h, count := s.entropy(p)
	if count <= 1 {
		return s.s
	}
	exp := float64(c.DynTempExponent)
	if exp == 0 {
		exp = 1
	}
	lo := max(0, float64(c.Temperature)-float64(c.DynTempRange))
	hi := float64(c.Temperature) + float64(c.DynTempRange)
	t := lo + (hi-lo)*math.Pow(h/math.Log(float64(count)), exp)
	inv := float32(1 / t)
	if t <= 0 || math.IsInf(float64(inv), 0) {
		return 0
	}
	return inv
}

// mirostat is mirostat v2 (llama.cpp llama_sampler_mirostat_v2_apply) on
// the final weights of p: keep the tokens with -log₂ p ≤ μ (at least the
// most likely), draw, and move μ towards the target surprise.
func (s *Sampler) mirostat(p *pass) int {
	n := len(p.x)
	t := float32(p.total * math.Exp2(-s.mu))
	var kept []int32
	if p.list == nil {
		kept, _ = s.gatherGE(t, n)
	} else {
		kept = s.sel.cand[:0]
		for _, i := range p.list {
			if s.e[i] >= t {
				kept = append(kept, i)
			}
		}
		s.sel.cand = kept
	}
	if len(kept) == 0 {
		// Keep the most likely token only.
		best := int32(-1)
		if p.list == nil {
			best = int32(s.argmax(p.x, nil, s.m))
		} else {
			for _, i := range p.list {
				if best < 0 || s.e[i] > s.e[best] || (s.e[i] == s.e[best] && i < best) {
					best = i
				}
			}
		}
		kept = append(kept, best)
		s.sel.cand = kept
	}
	tok := s.drawList(s.e, kept)
	w := sumAt(s.e, kept)
	surprise := -math.Log2(float64(s.e[tok]) / w)
	eta := float64(s.cfg.MirostatEta)
	if eta == 0 {
		eta = 0.1
	}
	s.mu -= eta * (surprise - float64(s.cfg.MirostatTau))
	p.list, p.total, p.haveE = kept, w, false
	return tok
}
