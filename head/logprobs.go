package head

import (
	"errors"
	"math"

	"github.com/lmhead/lmhead"
)

// TokenLogProb is a token and its log-probability (natural log).
type TokenLogProb struct {
	Token   int
	LogProb float32
}

// LogProbs is the log-probability report of one sampled token, in the
// shape of OpenAI's and vLLM's logprobs: the chosen token's and the top N,
// both raw and processed.
type LogProbs struct {
	// Token is the sampled token.
	Token int
	// Raw is ln softmax(scores)[Token] at τ = 1, before any modifier or
	// filter: vLLM's default ("raw_logprobs", vllm/v1/sample/sampler.py),
	// what the model itself assigns. NaN scores count as -Inf.
	Raw float32
	// Processed is the natural log of the probability with which the chain
	// drew Token (vLLM's "processed_logprobs"): after the modifiers, the
	// filters and the temperature; 0 for a greedy draw.
	Processed float32
	// TopRaw is the N highest raw log-probabilities, in canonical order
	// (highest first, equal ones by lower index).
	TopRaw []TokenLogProb
	// TopProcessed is the N most probable tokens of the distribution the
	// token was drawn from, in canonical order; fewer when the chain kept
	// fewer than N (one for a greedy draw). Mirostat's truncation counts as
	// part of the chain.
	TopProcessed []TokenLogProb
}

// SampleLogProbs is SampleWith that also fills lp (reusing its slices, so
// that a warm call allocates nothing) with the chosen token's raw and
// processed log-probabilities and the top n of each (n is capped at the
// vocabulary size; 0 reports the chosen token only). It costs one pass
// over the scores more than SampleWith (the raw normaliser, by the
// online-softmax kernel lmhead.MaxSum), plus the selection of the top n
// from the blocks that can hold them.
func (s *Sampler) SampleLogProbs(scores []float32, history []int, n int, lp *LogProbs) (int, error) {
	if n < 0 {
		return 0, errors.New("head: Sampler.SampleLogProbs: n < 0")
	}
	if lp == nil {
		return 0, errors.New("head: Sampler.SampleLogProbs: nil *LogProbs")
	}
	lp.TopRaw, lp.TopProcessed = lp.TopRaw[:0], lp.TopProcessed[:0]
	s.topN = min(n, len(scores))
	tok, err := s.run(scores, history, s.s, true, lp)
	if err != nil {
		return 0, err
	}
	lp.Token = tok
	return tok, nil
}

// rawTop computes the normaliser of the raw scores (s.rawLZ) and fills
// lp.TopRaw. It runs before the chain, which may reuse s.z.
func (s *Sampler) rawTop(scores []float32, hist []int, lp *LogProbs) {
	n := len(scores)
	raw := scores
	if s.rawNaN {
		s.z = grow32(s.z, n)
		cleanNaN(s.z, scores)
		raw = s.z
	}
	if s.rawNaN || s.allowed != nil {
		nb := (n + sampleBlock - 1) / sampleBlock
		s.rbmax = grow32(s.rbmax, nb)
		for b := range s.rbmax {
			lo, hi := block(b, n)
			v := lmhead.Max(raw[lo:hi])
			if v != v { // only with Allowed: prepare did not look at all scores
				s.z = grow32(s.z, n)
				cleanNaN(s.z, scores)
				raw = s.z
				s.rawNaN = true
				v = lmhead.Max(raw[lo:hi])
			}
			s.rbmax[b] = v
		}
	}
	m := float32(math.Inf(-1))
	for _, v := range s.rbmax {
		m = max(m, v)
	}
	switch {
	case math.IsInf(float64(m), -1):
		s.rawLZ = math.Inf(1) // every raw log-prob is -Inf
	case math.IsInf(float64(m), 1):
		cnt := 0
		for _, v := range raw {
			if math.IsInf(float64(v), 1) {
				cnt++
			}
		}
		s.rawLZ = math.Log(float64(cnt)) // +Inf - lz: handled in rawLogProb
		s.rawInf = true
	case !s.rawNaN && s.allowed == nil && !s.modifies(hist) && s.s == 1:
		// The chain sees the raw scores at τ = 1: if its last pass is
		// over every token, its sum is this normaliser (rawFinish), and
		// a pass is saved.
		s.rawLZ, s.rawM, s.rawPending = math.NaN(), m, true
	default:
		_, sum := lmhead.MaxSum(raw, 1)
		s.rawLZ = float64(m) + math.Log(sum)
	}
	if s.topN == 0 {
		return
	}
	s.rawX = raw
	top := s.topIndices(raw, s.rbmax, nil, s.topN)
	for _, i := range top {
		// The score itself while the normaliser is pending.
		lp.TopRaw = append(lp.TopRaw, TokenLogProb{int(i), raw[i]})
	}
	if !s.rawPending {
		s.rawFinish(raw, lp, nil)
	}
}

// rawFinish computes a pending raw normaliser, from the final pass p of
// the chain when that is the sum over every raw score at τ = 1 (else by
// one more pass), and turns lp.TopRaw's scores into log-probabilities.
func (s *Sampler) rawFinish(raw []float32, lp *LogProbs, p *pass) {
	if s.rawPending {
		if p != nil && p.list == nil && p.cut.kind == cutNone && p.haveE && p.inv == 1 && p.c == s.rawM && len(p.x) > 0 && &p.x[0] == &raw[0] {
			s.rawLZ = float64(s.rawM) + math.Log(p.total)
		} else {
			_, sum := lmhead.MaxSum(raw, 1)
			s.rawLZ = float64(s.rawM) + math.Log(sum)
		}
		s.rawPending = false
		s.last = pass{} // do not hold on to the caller's scores
	}
	for k := range lp.TopRaw {
		lp.TopRaw[k].LogProb = s.rawLogProb(lp.TopRaw[k].LogProb)
	}
	s.rawInf = false
}

// rawLogProb is the raw log-probability of a (NaN-free) score.
func (s *Sampler) rawLogProb(v float32) float32 {
	if s.rawInf {
		if math.IsInf(float64(v), 1) {
			return float32(-s.rawLZ)
		}
		return float32(math.Inf(-1))
	}
	return float32(float64(v) - s.rawLZ)
}

// rawChosen sets lp.Raw for the sampled token.
func (s *Sampler) rawChosen(scores []float32, tok int, lp *LogProbs) {
	v := scores[tok]
	if v != v {
		v = float32(math.Inf(-1))
	}
	if math.IsInf(float64(v), 1) {
		s.rawInf = true
	}
	lp.Raw = s.rawLogProb(v)
	s.rawInf = false
}

// topIndices returns the n highest of x over list (every token when list
// is nil, using the block maxima bmax), in canonical order. The result
// aliases the selector's scratch.
func (s *Sampler) topIndices(x, bmax []float32, list []int32, n int) []int32 {
	s.needBMax() // bmax may be s.bmax
	var cand []int32
	switch {
	case list != nil:
		if len(list) <= n {
			s.sel.kept = append(s.sel.kept[:0], list...)
			sortCanonical(x, s.sel.kept)
			return s.sel.kept
		}
		cand = list
	case n >= len(x):
		s.sel.kept = s.sel.kept[:0]
		for i := range x {
			s.sel.kept = append(s.sel.kept, int32(i))
		}
		sortCanonical(x, s.sel.kept)
		return s.sel.kept
	default:
		saved := s.bmax
		s.bmax = bmax
		cand = s.blockCandidates(x, n, 0, 0, false)
		s.bmax = saved
		if cand == nil {
			cand = s.sel.topKCandidates(x, n)
		}
	}
	kept, _, _ := s.sel.prefix(x, nil, cand, goal{byCount: true, want: float64(n)})
	sortCanonical(x, kept)
	return kept
}

// greedyLogProbs fills the processed part of lp for a greedy draw.
func (s *Sampler) greedyLogProbs(tok int, lp *LogProbs) {
	lp.Processed = 0
	if s.topN > 0 {
		lp.TopProcessed = append(lp.TopProcessed, TokenLogProb{tok, 0})
	}
}

// processedLogProbs fills the processed part of lp from the final
// weights of p.
func (s *Sampler) processedLogProbs(p *pass, tok int, lp *LogProbs) {
	lw := math.Log(p.total)
	lpOf := func(i int32) float32 { return float32(math.Log(float64(s.e[i])) - lw) }
	lp.Processed = lpOf(int32(tok))
	if s.topN == 0 {
		return
	}
	if p.list == nil && len(lp.TopRaw) == s.topN && len(p.x) > 0 && len(s.rawX) > 0 && &p.x[0] == &s.rawX[0] {
		// The chain drew from every raw score (at some temperature, which
		// keeps their order): the top n are TopRaw's tokens.
		for _, t := range lp.TopRaw {
			lp.TopProcessed = append(lp.TopProcessed, TokenLogProb{t.Token, lpOf(int32(t.Token))})
		}
		return
	}
	for _, i := range s.topIndices(p.x, s.bmax, p.list, s.topN) {
		lp.TopProcessed = append(lp.TopProcessed, TokenLogProb{int(i), lpOf(i)})
	}
}
