package head

import (
	"fmt"
	"math"

	"github.com/lmhead/lmhead"
)

// The logit modifiers: bias, penalties, DRY, masks. They change few
// scores — O(len(history) + len(LogitBias) + len(Banned)) of them — so
// they are applied to the Sampler's copy of the scores, which is made in
// the same block-by-block pass that finds the block maxima (and replaces
// NaN), and only the blocks they touched have their maximum recomputed.
// With Allowed set only the allowed scores are copied at all.

// checkIDs returns an error naming the first token id, in the
// configuration or in hist, outside [0, n).
func (s *Sampler) checkIDs(n int, hist []int) error {
	for j, id := range hist {
		if id < 0 || id >= n {
			return fmt.Errorf("head: Sampler: history[%d]: token id %d, want in [0, %d)", j, id, n)
		}
	}
	if s.maxID < n {
		return nil
	}
	for _, f := range []struct {
		name string
		ids  []int32
	}{{"LogitBias", s.biasIdx}, {"Allowed", s.allowed}, {"Banned", s.banned}, {"EOS", s.eos}} {
		for _, id := range f.ids {
			if int(id) >= n {
				return fmt.Errorf("head: SamplerConfig.%s: token id %d, want < %d (the number of scores)", f.name, id, n)
			}
		}
	}
	for j, b := range s.breakers {
		for _, id := range b {
			if int(id) >= n {
				return fmt.Errorf("head: SamplerConfig.DRY.SequenceBreakers[%d]: token id %d, want < %d (the number of scores)", j, id, n)
			}
		}
	}
	return nil
}

// penalties reports whether a repetition, frequency or presence penalty
// is on.
func (s *Sampler) penalties() bool {
	c := s.cfg
	return (c.RepeatPenalty > 0 && c.RepeatPenalty != 1) || c.FrequencyPenalty != 0 || c.PresencePenalty != 0
}

// modifies reports whether the modifiers change any score for this call.
func (s *Sampler) modifies(hist []int) bool {
	return len(s.biasIdx) > 0 || len(s.banned) > 0 ||
		(len(hist) > 0 && (s.penalties() || s.cfg.DRY.Multiplier > 0)) ||
		(s.emitted < s.cfg.MinTokens && len(s.eos) > 0)
}

// prepare returns the scores the chain works on, with the modifiers
// applied and NaN replaced by -Inf, and the candidate list (Allowed), or
// nil for every token, in which case s.bmax and s.m are set. If raw is
// true, s.rbmax is set to the block maxima of the raw scores.
func (s *Sampler) prepare(scores []float32, hist []int, raw bool) ([]float32, []int32) {
	n := len(scores)
	s.rawNaN = false
	if s.allowed != nil {
		s.clean = grow32(s.clean, n)
		x := s.clean
		for _, i := range s.allowed {
			v := scores[i]
			if v != v {
				v = float32(math.Inf(-1))
			}
			x[i] = v
		}
		if s.modifies(hist) {
			s.modify(x, hist, false)
		}
		s.list0 = append(s.list0[:0], s.allowed...)
		return x, s.list0
	}
	if !s.modifies(hist) {
		x := scores
		if !raw && s.s != 0 {
			// Only the maximum now, in one kernel call: the block maxima
			// are made when a step needs them (needBMax); a plain draw,
			// typical-p and the dynamic temperature do not.
			m := lmhead.Max(x)
			if m != m {
				s.rawNaN = true
				s.clean = grow32(s.clean, n)
				cleanNaN(s.clean, x)
				x = s.clean
				m = lmhead.Max(x)
			}
			s.m, s.bmaxOf = m, x
			s.bmax = grow32(s.bmax, (n+sampleBlock-1)/sampleBlock)
			return x, nil
		}
		if m := s.blockMax(x); m != m {
			s.rawNaN = true
			s.clean = grow32(s.clean, n)
			cleanNaN(s.clean, x)
			x = s.clean
			s.blockMax(x)
		}
		if raw && !s.rawNaN {
			s.rbmax = append(s.rbmax[:0], s.bmax...)
		}
		return x, nil
	}
	// One pass: copy a block, take its maximum while it is in L1.
	nb := (n + sampleBlock - 1) / sampleBlock
	s.bmax = grow32(s.bmax, nb)
	s.clean = grow32(s.clean, n)
	x := s.clean
	for b := range s.bmax {
		lo, hi := block(b, n)
		copy(x[lo:hi], scores[lo:hi])
		v := lmhead.Max(x[lo:hi])
		if v != v {
			s.rawNaN = true
			cleanNaN(x[lo:hi], x[lo:hi])
			v = lmhead.Max(x[lo:hi])
		}
		s.bmax[b] = v
	}
	if raw && !s.rawNaN {
		s.rbmax = append(s.rbmax[:0], s.bmax...)
	}
	s.modify(x, hist, true)
	m := float32(math.Inf(-1))
	for _, v := range s.bmax {
		m = max(m, v)
	}
	s.m = m
	return x, nil
}

// touch marks the block of token i as modified, if track.
func (s *Sampler) touch(i int32, track bool) {
	if b := int(i) / sampleBlock; track && !s.bdirty[b] {
		s.bdirty[b] = true
		s.dirty = append(s.dirty, int32(b))
	}
}

// modify applies the logit modifiers to x in place, in the order
// SamplerConfig gives, and (if track) recomputes the maxima of the blocks
// it changed.
func (s *Sampler) modify(x []float32, hist []int, track bool) {
	n := len(x)
	if track && len(s.bdirty) < len(s.bmax) {
		s.bdirty = make([]bool, len(s.bmax))
	}
	s.dirty = s.dirty[:0]
	for j, i := range s.biasIdx {
		x[i] += s.biasVal[j]
		s.touch(i, track)
	}
	if len(hist) > 0 && s.penalties() {
		s.penalize(x, hist, track)
	}
	if len(hist) > 0 && s.cfg.DRY.Multiplier > 0 {
		s.dry(x, hist, track)
	}
	ninf := float32(math.Inf(-1))
	for _, i := range s.banned {
		x[i] = ninf
		s.touch(i, track)
	}
	if s.emitted < s.cfg.MinTokens {
		for _, i := range s.eos {
			x[i] = ninf
			s.touch(i, track)
		}
	}
	for _, b := range s.dirty {
		lo, hi := block(int(b), n)
		s.bmax[b] = lmhead.Max(x[lo:hi])
		s.bdirty[b] = false
	}
	s.dirty = s.dirty[:0]
}

// penalize applies the repetition, frequency and presence penalties
// (llama.cpp llama_sampler_penalties_apply: repetition first, dividing a
// positive score and multiplying the others, then
// score -= count·frequency + [count > 0]·presence) for the tokens of the
// last PenaltyLastN of hist. O(window): the counts live in a per-token
// array that is cleared as it is read.
func (s *Sampler) penalize(x []float32, hist []int, track bool) {
	c := s.cfg
	win := hist
	if c.PenaltyLastN > 0 && len(win) > c.PenaltyLastN {
		win = win[len(win)-c.PenaltyLastN:]
	}
	if len(s.counts) < len(x) {
		s.counts = make([]int32, len(x))
	}
	for _, t := range win {
		s.counts[t]++
	}
	rp := c.RepeatPenalty
	if rp == 0 {
		rp = 1
	}
	for _, t := range win {
		cnt := s.counts[t]
		if cnt == 0 {
			continue
		}
		s.counts[t] = 0
		v := x[t]
		if rp != 1 {
			if v > 0 {
				v /= rp
			} else {
				v *= rp
			}
		}
		x[t] = v - (float32(cnt)*c.FrequencyPenalty + c.PresencePenalty)
		s.touch(int32(t), track)
	}
}

// dry applies the DRY penalty, after llama.cpp's llama_sampler_dry_apply
// (src/llama-sampling.cpp): (1) the end of the window may only be matched
// back to the end of the last sequence breaker in it ("rep_limit"); (2)
// the Z-algorithm on the reversed window gives, for every earlier
// position, how many tokens ending there match the end of the window; (3)
// the token that followed each match of length ≥ AllowedLength gets the
// longest such length m; (4) its score drops by
// Multiplier·Base^(m-AllowedLength) (the exponent clamped so that the
// power stays finite), unless it is a single-token breaker.
func (s *Sampler) dry(x []float32, hist []int, track bool) {
	d := s.cfg.DRY
	base := float64(d.Base)
	if base == 0 {
		base = 1.75
	}
	allowed := d.AllowedLength
	if allowed == 0 {
		allowed = 2
	}
	win := hist
	if d.PenaltyLastN > 0 && len(win) > d.PenaltyLastN {
		win = win[len(win)-d.PenaltyLastN:]
	}
	L := len(win)
	if L <= allowed {
		return
	}
	rat := func(i int) int32 { return int32(win[L-1-i]) } // i-th from the end
	// (1) The nearest breaker from the end, the longest one starting at
	// each position: rep_limit is the number of tokens after its end.
	repLimit := L
scan:
	for i := 0; i < L; i++ {
		longest := -1
		for _, b := range s.breakers {
			tail := len(b) - 1
			if b[0] != rat(i) || tail <= longest || tail > i {
				continue
			}
			match := true
			for o := 0; o < tail; o++ {
				if b[1+o] != rat(i-o-1) {
					match = false
					break
				}
			}
			if match {
				longest = tail
			}
		}
		if longest >= 0 {
			repLimit = i - longest
			break scan
		}
	}
	if repLimit < allowed {
		return
	}
	// (2) z[k] = the longest common prefix of the reversed window and its
	// suffix from k: the match length ending at position L-1-k.
	if cap(s.dryZ) < L {
		s.dryZ = make([]int32, L)
	}
	z := s.dryZ[:L]
	clear(z)
	lt, rt := 0, 0
	for k := 1; k < L; k++ {
		var m int
		if k <= rt && int(z[k-lt]) < rt-k+1 {
			m = int(z[k-lt])
		} else {
			m = max(0, rt-k+1)
			for k+m < L && rat(m) == rat(k+m) {
				m++
			}
			if m > 0 {
				lt, rt = k, k+m-1
			}
		}
		z[k] = int32(m)
	}
	// (3) The token after each match: the longest match per token.
	if len(s.dryLen) < len(x) {
		s.dryLen = make([]int32, len(x))
	}
	s.dryTok = s.dryTok[:0]
	for k := 1; k < L; k++ {
		m := min(int(z[k]), repLimit)
		if m < allowed {
			continue
		}
		t := rat(k - 1) // follows position L-1-k
		if s.dryLen[t] == 0 {
			s.dryTok = append(s.dryTok, t)
		}
		s.dryLen[t] = max(s.dryLen[t], int32(m))
	}
	// (4) The penalties.
	maxExp := 0
	if base > 1.000001 {
		maxExp = int(88.7228391 / math.Log(base))
	}
	for _, t := range s.dryTok {
		m := int(s.dryLen[t])
		s.dryLen[t] = 0
		if s.singleBreaker(t) {
			continue
		}
		e := m - allowed
		if maxExp > 0 && e > maxExp {
			e = maxExp
		}
		x[t] -= float32(float64(d.Multiplier) * math.Pow(base, float64(e)))
		s.touch(t, track)
	}
}

// singleBreaker reports whether t is a sequence breaker of one token.
func (s *Sampler) singleBreaker(t int32) bool {
	for _, b := range s.breakers {
		if len(b) == 1 && b[0] == t {
			return true
		}
	}
	return false
}
