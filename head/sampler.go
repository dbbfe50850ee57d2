package head

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/lmhead/lmhead"
)

// SamplerConfig configures a Sampler. The zero value is greedy decoding.
//
// The filters apply in this order, each to what the previous one kept:
//
//  1. temperature: scores are divided by Temperature;
//  2. top-k: keep the TopK highest scores (exactly TopK: equal scores go
//     to the lower index);
//  3. top-p (nucleus): keep the shortest run of the highest scores whose
//     probability, renormalized over what top-k kept, reaches TopP;
//  4. min-p: keep the tokens whose probability is at least MinP times the
//     highest one;
//  5. draw from what is left, in proportion to the probabilities.
//
// Every filter keeps at least the most likely token. Top-k and top-p both
// keep a prefix of the scores in descending order (equal scores by lower
// index); min-p keeps all tokens at or above a threshold.
type SamplerConfig struct {
	// Temperature divides the scores. 0 is greedy decoding: the highest
	// score, the lowest index among equal ones; then no filter matters. It
	// must be finite and not negative. A positive τ so small that 1/τ
	// overflows float32 counts as 0.
	Temperature float32
	// TopK keeps the TopK highest scores; ≤ 0 or ≥ the number of scores is
	// off.
	TopK int
	// TopP is the nucleus mass, in (0, 1]; 1 is off. The zero value is an
	// error, not "off", so that a forgotten field shows.
	TopP float32
	// MinP is the min-p ratio, in [0, 1); 0 is off.
	MinP float32
	// Seed seeds the sampler's PCG generator (math/rand/v2): the same seed
	// and the same scores give the same tokens.
	Seed uint64
}

// Sampler draws tokens from scores. It is one stream of random numbers
// with its own scratch memory: use one per generation, never from two
// goroutines at once. After the first call on a vocabulary size it
// allocates nothing.
type Sampler struct {
	cfg     SamplerConfig
	s       float32 // 1/Temperature; 0 for greedy
	rng     *rand.Rand
	e       []float32              // e^(s·x - c) per token
	clean   []float32              // scores with NaN replaced by -Inf
	logits  []float32              // for Head.Sample
	bmax    []float32              // per block: max of x
	emax    []float32              // per block: max of e
	bsum    []float64              // per block: Σ e
	bsum32  []float32              // the same, rounded, as the radix selector's weights
	list    []int32                // what the filters kept so far
	esample [nucleusSample]float32 // nucleusCandidates' sample of e
	sel     selector
}

// pcgIncrement is the second PCG seed word: a fixed constant, so that
// SamplerConfig needs one seed only ("lmhead" in ASCII).
const pcgIncrement = 0x6c6d68656164

// NewSampler validates c and returns a Sampler. It returns an error naming
// the field for a Temperature that is negative, NaN or infinite, a TopP
// outside (0, 1] (1 is off; 0 is an error, as in Hugging Face's
// generation config), and a MinP outside [0, 1).
func NewSampler(c SamplerConfig) (*Sampler, error) {
	t := float64(c.Temperature)
	if !(t >= 0) || math.Signbit(t) || math.IsInf(t, 1) {
		return nil, fmt.Errorf("head: SamplerConfig.Temperature: %v, want finite and ≥ 0 (0 is greedy)", c.Temperature)
	}
	if p := float64(c.TopP); !(p > 0 && p <= 1) {
		return nil, fmt.Errorf("head: SamplerConfig.TopP: %v, want in (0, 1] (1 is off)", c.TopP)
	}
	if p := float64(c.MinP); !(p >= 0 && p < 1) {
		return nil, fmt.Errorf("head: SamplerConfig.MinP: %v, want in [0, 1) (0 is off)", c.MinP)
	}
	s := &Sampler{cfg: c, rng: rand.New(rand.NewPCG(c.Seed, pcgIncrement))}
	if inv := 1 / c.Temperature; c.Temperature > 0 && !math.IsInf(float64(inv), 1) {
		s.s = inv
	}
	return s, nil
}

// Config returns the configuration the Sampler was made with.
func (s *Sampler) Config() SamplerConfig { return s.cfg }

// ErrNoCandidates is returned when every score is NaN or -Inf, so that no
// token can be drawn.
var ErrNoCandidates = errors.New("head: every score is NaN or -Inf; no token to sample")

// Sample draws a token from scores (logits, or log-probabilities: any
// shift of them gives the same result) with the filters of the Sampler's
// configuration, in the order SamplerConfig documents. A NaN score counts
// as -Inf (never drawn); if scores are all NaN or -Inf, Sample returns
// ErrNoCandidates. If some scores are +Inf, the draw is uniform among them.
//
// Top-k and top-p use radix partial selection (no sort of the scores): on
// 128k scores the whole Sample takes a few passes over them.
func (s *Sampler) Sample(scores []float32) (int, error) {
	if len(scores) == 0 {
		return 0, errors.New("head: Sampler.Sample: no scores")
	}
	return s.sample(scores, s.s, true)
}

// grow32 returns buf resized to n, reallocating if needed.
func grow32(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

// sampleBlock is the block of scores that the sampler keeps statistics
// for (maximum of x, maximum and sum of e): 1 KiB, so that a block is
// still in L1 when the kernel after the first one reads it, and few
// enough blocks (500 at 128k) that walking them costs nothing.
const sampleBlock = 256

// block returns the bounds of block b of n scores.
func block(b, n int) (lo, hi int) { return b * sampleBlock, min((b+1)*sampleBlock, n) }

// blockMax sets s.bmax to the maximum of every block of x and returns the
// overall maximum, or NaN if x holds a NaN.
func (s *Sampler) blockMax(x []float32) float32 {
	nb := (len(x) + sampleBlock - 1) / sampleBlock
	s.bmax = grow32(s.bmax, nb)
	m := float32(math.Inf(-1))
	for b := range s.bmax {
		lo, hi := block(b, len(x))
		v := lmhead.Max(x[lo:hi])
		if v != v {
			return v
		}
		s.bmax[b] = v
		m = max(m, v)
	}
	return m
}

// sample draws from softmax(inv·x) with the configured filters if filter
// is true (Head.Sample's exact Mixture-of-Softmaxes path passes false).
// inv = 0 is greedy.
//
// The passes over all n scores are vector kernels, block by block: the
// maxima of x, then (unless top-k spares it) e = e^(inv·x - c) with the
// sum and maximum of every block. The filters then work from the block
// statistics and touch only the blocks that can hold a kept token:
//
//   - top-k: the k-th largest block maximum t is a threshold with at
//     least k scores at or above it (one per block), and no block whose
//     maximum is below t holds one; those blocks are skipped.
//   - top-p: the nucleus holds only tokens with e ≥ t for any t with
//     mass(e ≥ t) ≥ p·total; nucleusCandidates finds a high such t from
//     the block sums and maxima or a sample, and checks it.
//   - min-p: e ≥ MinP·max e, a threshold outright.
//
// The tokens that pass a threshold are gathered by a branch-free loop and
// ordered by the radix selector.
func (s *Sampler) sample(x []float32, inv float32, filter bool) (int, error) {
	n := len(x)
	m := s.blockMax(x)
	if m != m {
		s.clean = grow32(s.clean, n)
		cleanNaN(s.clean, x)
		x = s.clean
		m = s.blockMax(x)
	}
	if math.IsInf(float64(m), -1) {
		return 0, ErrNoCandidates
	}
	if math.IsInf(float64(m), 1) {
		// The limit of the softmax as the +Inf scores grow together:
		// uniform among them.
		s.clean = grow32(s.clean, n)
		for i, v := range x {
			if math.IsInf(float64(v), 1) {
				s.clean[i] = 0
			} else {
				s.clean[i] = float32(math.Inf(-1))
			}
		}
		x = s.clean
		m = s.blockMax(x)
	}
	if inv == 0 {
		for b, v := range s.bmax {
			if v == m {
				lo, hi := block(b, n)
				return lo + lmhead.Argmax(x[lo:hi]), nil
			}
		}
	}
	c := inv * m
	if math.IsInf(float64(c), 0) {
		// inv·x overflows: shift first (x - m ≤ 0), then scale.
		s.clean = grow32(s.clean, n)
		lmhead.ScaleShift(s.clean, x, 1, -m)
		x = s.clean
		m = s.blockMax(x)
		c = inv * m
	}
	s.e = grow32(s.e, n)
	if list := s.filter(x, inv, c, filter); list != nil {
		return s.drawList(s.e, list), nil
	}
	return s.drawBlocks(s.e), nil
}

// filter computes e and runs the configured filters (if filter is true)
// on x, whose maximum is m with c = inv·m, and returns the kept tokens, or
// nil for all of them (with s.bsum set for drawBlocks).
func (s *Sampler) filter(x []float32, inv, c float32, filter bool) []int32 {
	n := len(x)
	cfg := s.cfg
	topK := filter && cfg.TopK > 0 && cfg.TopK < n
	topP := filter && cfg.TopP > 0 && cfg.TopP < 1
	minP := filter && cfg.MinP > 0
	var list []int32 // nil: every token
	var total float64
	if topK {
		list, total = s.topK(x, inv, c, cfg.TopK)
	} else {
		total = s.expBlocks(x, inv, c)
	}
	e := s.e
	if topP {
		target := float64(cfg.TopP) * total
		if list == nil {
			list = s.nucleusCandidates(target, total, n)
		}
		kept, mass, all := s.sel.prefix(x, e, list, goal{want: target})
		if !all {
			s.list = append(s.list[:0], kept...)
			list, total = s.list, mass
		}
	}
	if minP {
		if list == nil {
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
			for _, i := range list {
				emax = max(emax, e[i])
			}
			thr := cfg.MinP * emax
			out := s.list[:0] // filtering in place is safe when list is s.list
			for _, i := range list {
				if e[i] >= thr {
					out = append(out, i)
				}
			}
			s.list = out
		}
		list = s.list
	}
	return list
}

// expBlocks sets e = e^(inv·x - c) and, per block, its sum (s.bsum) and
// maximum (s.emax), and returns the total.
func (s *Sampler) expBlocks(x []float32, inv, c float32) float64 {
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
		s.emax[b] = lmhead.Max(s.e[lo:hi])
		total += s.bsum[b]
	}
	return total
}

// topK returns the k highest scores (exactly k, ties to the lower index)
// and their mass, with e computed where needed: only in the blocks that
// can hold one of them when k is small against the number of blocks.
func (s *Sampler) topK(x []float32, inv, c float32, k int) ([]int32, float64) {
	n, e := len(x), s.e
	var cand []int32
	if nb := len(s.bmax); k <= nb/4 {
		blocks, _, _ := s.sel.prefix(s.bmax, nil, nil, goal{byCount: true, want: float64(k)})
		t := uint32(math.MaxUint32)
		for _, b := range blocks {
			t = min(t, key(s.bmax[b]))
		}
		cand = s.sel.cand[:0]
		for b, v := range s.bmax {
			if key(v) >= t {
				lo, hi := block(b, n)
				lmhead.ScaleExpSum(e[lo:hi], x[lo:hi], inv, c)
				cand = appendKeyGE(cand, x[lo:hi], lo, t)
			}
		}
		s.sel.cand = cand
	} else {
		cand = s.sel.topKCandidates(x, k)
		lmhead.ScaleExpSum(e, x, inv, c)
	}
	kept, mass, _ := s.sel.prefix(x, e, cand, goal{byCount: true, want: float64(k)})
	s.list = append(s.list[:0], kept...)
	return s.list, mass
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
			if cand, mass := s.gatherGE(t, n); mass >= target {
				return cand
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
	var mass float64
	for _, i := range cand {
		mass += float64(s.e[i])
	}
	return cand, mass
}

// drawBlocks draws i with probability e[i]/Σe, picking the block by the
// sums expBlocks kept and scanning only it.
func (s *Sampler) drawBlocks(e []float32) int {
	var total float64
	for _, bs := range s.bsum {
		total += bs
	}
	u := s.rng.Float64() * total
	last := -1
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
	var total float64
	for _, i := range list {
		total += float64(e[i])
	}
	u := s.rng.Float64() * total
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

// Sample draws the next token for hidden with s's configuration. At
// temperature 0 it is Greedy (fused, no logits stored). Otherwise the
// logits go to a buffer the Sampler owns, so that with a warm Sampler it
// allocates nothing.
//
// For a Mixture of Softmaxes without top-k, top-p or min-p the draw is
// exact and cheap: a component k ~ π, then a token from softmax(u_k/τ),
// which needs only that component's logits. With a filter, the filter
// works on the mixture's log-probabilities at τ.
//
// Sample panics if len(hidden) != Hidden.
func (h *Head) Sample(hidden []float32, s *Sampler) (int, error) {
	h.checkHidden("Sample", hidden)
	if s.s == 0 && h.mos == nil {
		// Fused argmax; only when it finds no finite or +Inf logit (a NaN
		// wins Greedy) do the logits go through the Sampler, which treats
		// NaN as -Inf and reports a head with no candidate.
		sc := h.get()
		g, v := h.argmaxProj(sc, h.input(sc, hidden))
		h.put(sc)
		if v == v && !math.IsInf(float64(v), -1) {
			return g, nil
		}
	}
	s.logits = grow32(s.logits, h.vocab)
	u := s.logits
	sc := h.get()
	defer h.put(sc)
	if h.mos == nil {
		h.project(sc, u, h.input(sc, hidden))
		return s.sample(u, s.s, true)
	}
	c := s.cfg
	if s.s == 0 {
		// The τ → 0 limit of the mixture is its argmax at τ = 1.
		h.mosLogProbs(sc, u, hidden, 1)
		return s.sample(u, 0, false)
	}
	if (c.TopK > 0 && c.TopK < h.vocab) || (c.TopP > 0 && c.TopP < 1) || c.MinP > 0 {
		h.mosLogProbs(sc, u, hidden, c.Temperature)
		return s.sample(u, 1, true)
	}
	ms := sc.mosScratch(h)
	h.mosPrior(ms, hidden)
	k := 0
	r := s.rng.Float64()
	for k = 0; k < h.mos.K-1; k++ {
		r -= math.Exp(ms.logPi[k])
		if r < 0 {
			break
		}
	}
	h.mosLatent(sc, ms, hidden, k)
	e := h.embed
	h.project(sc, u, ms.lat[k*e:(k+1)*e])
	return s.sample(u, s.s, false)
}
