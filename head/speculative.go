package head

import (
	"errors"
	"fmt"
)

// Verify is the verification step of speculative decoding (Leviathan,
// Kalman and Matias 2023, "Fast Inference from Transformers via
// Speculative Decoding", Algorithm 1; Chen et al. 2023; vLLM
// vllm/v1/sample/rejection_sampler.py). A draft model proposed the tokens
// draft; target holds the target model's scores for the len(draft)+1
// positions (row i scores the token after history + draft[:i]).
//
// For each draft token x in turn, with p the Sampler's final distribution
// for its row (the whole chain, the history extended by the accepted
// drafts) and q the draft's: x is accepted with probability
// min(1, p(x)/q(x)); at the first rejection the next token is drawn from
// max(p - q, 0) renormalised and Verify stops. If every draft is accepted,
// the next token is drawn from p of the last row. Either way every token
// returned is distributed as the Sampler alone would have drawn it.
//
// draftProbs holds the draft's full distribution q per draft token (rows
// of len(target[i]) summing to 1), or is nil for a deterministic
// (greedy or n-gram) draft, whose q is 1 on its token and 0 elsewhere (as
// vLLM treats drafts without probabilities): x is then accepted with
// probability p(x), and a rejection draws from p without x.
//
// Verify returns the number of accepted drafts and the next token; the
// tokens to append are draft[:accepted] and next. Greedy decoding
// (Temperature 0) accepts exactly the drafts that equal the argmax. It
// does not support mirostat, whose state depends on every draw.
func (s *Sampler) Verify(target [][]float32, history []int, draft []int, draftProbs [][]float32) (accepted, next int, err error) {
	k := len(draft)
	if len(target) != k+1 {
		return 0, 0, fmt.Errorf("head: Sampler.Verify: %d target rows for %d drafts, want %d", len(target), k, k+1)
	}
	if draftProbs != nil && len(draftProbs) != k {
		return 0, 0, fmt.Errorf("head: Sampler.Verify: %d draft probability rows for %d drafts", len(draftProbs), k)
	}
	if s.cfg.MirostatTau > 0 {
		return 0, 0, errors.New("head: Sampler.Verify: SamplerConfig.MirostatTau: mirostat is not supported")
	}
	s.hist = append(s.hist[:0], history...)
	for i := 0; i <= k; i++ {
		row := target[i]
		n := len(row)
		if n == 0 {
			return accepted, 0, fmt.Errorf("head: Sampler.Verify: target[%d] is empty", i)
		}
		if i < k {
			if d := draft[i]; d < 0 || d >= n {
				return accepted, 0, fmt.Errorf("head: Sampler.Verify: draft[%d]: token id %d, want in [0, %d)", i, d, n)
			}
			if draftProbs != nil && len(draftProbs[i]) != n {
				return accepted, 0, fmt.Errorf("head: Sampler.Verify: draftProbs[%d] has %d entries, want %d", i, len(draftProbs[i]), n)
			}
		}
		if err := s.checkIDs(n, s.hist); err != nil {
			return accepted, 0, err
		}
		x, list := s.prepare(row, s.hist, false)
		p, g, err := s.distribution(x, list, s.s, true)
		if err != nil {
			return accepted, 0, err
		}
		if i == k {
			switch {
			case g >= 0:
				next = g
			case p.list == nil:
				next = s.drawAll(s.e)
			default:
				next = s.drawList(s.e, p.list)
			}
			s.emitted++
			return accepted, next, nil
		}
		d := draft[i]
		var pd float64 // p(d)
		switch {
		case g >= 0:
			if g == d {
				pd = 1
			}
		case p.list == nil:
			pd = float64(s.e[d]) / p.total
		default:
			for _, j := range p.list {
				if int(j) == d {
					pd = float64(s.e[d]) / p.total
					break
				}
			}
		}
		q := 1.0
		if draftProbs != nil {
			q = float64(draftProbs[i][d])
		}
		if u := s.rng.Float64(); q <= 0 || u*q < pd {
			accepted++
			s.emitted++
			s.hist = append(s.hist, d)
			continue
		}
		// Rejected: draw from max(p - q, 0).
		if g >= 0 {
			next = g
		} else {
			next = s.residual(&p, d, draftProbs, i)
		}
		s.emitted++
		return accepted, next, nil
	}
	panic("unreachable")
}

// residual draws from max(p - q, 0) renormalised, p the final weights of
// the pass, q draftProbs[i] or (draftProbs nil) the point mass at d; from
// p if that is zero everywhere. It overwrites the weights.
func (s *Sampler) residual(p *pass, d int, draftProbs [][]float32, i int) int {
	e, w := s.e, p.total
	if p.list == nil {
		s.needBlocks(len(e))
	}
	if draftProbs == nil {
		// p without d.
		if p.list == nil {
			b := d / sampleBlock
			s.bsum[b] -= float64(e[d])
			e[d] = 0
			if s.bsum[b] < 0 {
				s.bsum[b] = 0
			}
			var t float64
			for _, v := range s.bsum {
				t += v
			}
			if t > 0 {
				return s.drawBlocks(e)
			}
			return d // p was the point mass at d (rounding)
		}
		var t float64
		for _, j := range p.list {
			if int(j) != d {
				t += float64(e[j])
			}
		}
		if t == 0 {
			return d
		}
		e[d] = 0
		return s.drawList(e, p.list)
	}
	q := draftProbs[i]
	r := func(j int) float32 { return float32(max(float64(e[j])/w-float64(q[j]), 0)) }
	var t float64
	if p.list == nil {
		for j := range e {
			t += float64(r(j))
		}
	} else {
		for _, j := range p.list {
			t += float64(r(int(j)))
		}
	}
	if t == 0 {
		if p.list == nil {
			return s.drawBlocks(e)
		}
		return s.drawList(e, p.list)
	}
	if p.list == nil {
		for b := range s.bsum {
			lo, hi := block(b, len(e))
			var bs float64
			for j := lo; j < hi; j++ {
				e[j] = r(j)
				bs += float64(e[j])
			}
			s.bsum[b] = bs
		}
		return s.drawBlocks(e)
	}
	for _, j := range p.list {
		e[j] = r(int(j))
	}
	return s.drawList(e, p.list)
}
