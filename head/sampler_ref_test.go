package head_test

import (
	"cmp"
	"math"
	"slices"

	"github.com/lmhead/lmhead/head"
)

// The float64 reference of the whole chain: sorts freely, follows the
// definitions of SamplerConfig's comments step by step.

// refModify returns the scores after the logit modifiers (float64, NaN as
// -Inf, everything outside Allowed -Inf).
func refModify(scores []float32, hist []int, emitted int, c head.SamplerConfig) []float64 {
	n := len(scores)
	x := make([]float64, n)
	for i, v := range scores {
		x[i] = float64(v)
		if v != v {
			x[i] = math.Inf(-1)
		}
	}
	for id, b := range c.LogitBias {
		x[id] += float64(b)
	}
	if len(hist) > 0 {
		win := hist
		if c.PenaltyLastN > 0 && len(win) > c.PenaltyLastN {
			win = win[len(win)-c.PenaltyLastN:]
		}
		count := map[int]int{}
		for _, t := range win {
			count[t]++
		}
		for t, k := range count {
			if rp := float64(c.RepeatPenalty); rp > 0 && rp != 1 {
				if x[t] > 0 {
					x[t] /= rp
				} else {
					x[t] *= rp
				}
			}
			x[t] -= float64(k)*float64(c.FrequencyPenalty) + float64(c.PresencePenalty)
		}
		refDRY(x, hist, c.DRY)
	}
	for _, id := range c.Banned {
		x[id] = math.Inf(-1)
	}
	if emitted < c.MinTokens {
		for _, id := range c.EOS {
			x[id] = math.Inf(-1)
		}
	}
	if len(c.Allowed) > 0 {
		ok := make([]bool, n)
		for _, id := range c.Allowed {
			ok[id] = true
		}
		for i := range x {
			if !ok[i] {
				x[i] = math.Inf(-1)
			}
		}
	}
	return x
}

// refDRY is DRY by brute force: for every earlier position p, the
// longest run ending at p equal to the end of the window, capped at the
// tokens after the last breaker; the token after p gets the longest.
func refDRY(x []float64, hist []int, d head.DRYConfig) {
	if d.Multiplier == 0 {
		return
	}
	base, allowed := float64(d.Base), d.AllowedLength
	if base == 0 {
		base = 1.75
	}
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
	repLimit := L
	for i := 0; i < L && repLimit == L; i++ { // the breaker nearest the end
		start := L - 1 - i
		longest := -1
		for _, b := range d.SequenceBreakers {
			if len(b)-1 > i || len(b)-1 <= longest {
				continue
			}
			if slices.Equal(win[start:start+len(b)], b) {
				longest = len(b) - 1
			}
		}
		if longest >= 0 {
			repLimit = i - longest
		}
	}
	if repLimit < allowed {
		return
	}
	best := map[int]int{}
	for p := 0; p < L-1; p++ {
		m := 0
		for m <= p && win[p-m] == win[L-1-m] {
			m++
		}
		m = min(m, repLimit)
		if m >= allowed {
			best[win[p+1]] = max(best[win[p+1]], m)
		}
	}
	maxExp := 0
	if base > 1.000001 {
		maxExp = int(88.7228391 / math.Log(base))
	}
	for t, m := range best {
		single := false
		for _, b := range d.SequenceBreakers {
			single = single || (len(b) == 1 && b[0] == t)
		}
		if single {
			continue
		}
		e := m - allowed
		if maxExp > 0 && e > maxExp {
			e = maxExp
		}
		x[t] -= float64(d.Multiplier) * math.Pow(base, float64(e))
	}
}

// refChain returns the distribution a Sampler with c draws its next token
// from, given the history and the number of tokens it has returned (nil
// if there is no candidate). Mirostat uses μ = mu.
func refChain(scores []float32, hist []int, emitted int, c head.SamplerConfig, mu float64) []float64 {
	n := len(scores)
	x := refModify(scores, hist, emitted, c)
	var cand []int
	for i, v := range x {
		if !math.IsInf(v, -1) {
			cand = append(cand, i)
		}
	}
	if len(cand) == 0 {
		return nil
	}
	sortBy(cand, x)
	m := x[cand[0]]
	if math.IsInf(m, 1) {
		for i, v := range x {
			if math.IsInf(v, 1) {
				x[i] = 0
			} else {
				x[i] = math.Inf(-1)
			}
		}
		cand = cand[:0]
		for i, v := range x {
			if v == 0 {
				cand = append(cand, i)
			}
		}
		m = 0
	}
	p := make([]float64, n)
	if c.Temperature == 0 {
		p[cand[0]] = 1
		return p
	}
	tau := float64(c.Temperature)
	fs := 1 / tau
	if c.TemperatureLast {
		fs = 1
	} else if c.DynTempRange > 0 {
		tau = refDynTemp(x, m, cand, c)
		if tau == 0 {
			p[cand[0]] = 1
			return p
		}
		fs = 1 / tau
	}
	w := func(i int, s float64) float64 { return math.Exp(s * (x[i] - m)) }
	mass := func(list []int, s float64) float64 {
		var t float64
		for _, i := range list {
			t += w(i, s)
		}
		return t
	}
	if ns := float64(c.TopNSigma); ns > 0 && len(cand) > 1 {
		var sum, sq float64
		for _, i := range cand {
			sum += x[i]
			sq += x[i] * x[i]
		}
		k := float64(len(cand))
		sigma := math.Sqrt(max(0, sq/k-(sum/k)*(sum/k)))
		var out []int
		for _, i := range cand {
			if x[i] >= float64(float32(m-ns*sigma)) {
				out = append(out, i)
			}
		}
		cand = out
	}
	if c.TopK > 0 && c.TopK < len(cand) {
		cand = cand[:c.TopK]
	}
	if tp := float64(c.TypicalP); tp > 0 && tp < 1 {
		tot := mass(cand, fs)
		var h float64
		for _, i := range cand {
			if q := w(i, fs) / tot; q > 0 {
				h -= q * math.Log(q)
			}
		}
		d := func(i int) float64 { return math.Abs(-math.Log(w(i, fs)/tot) - h) }
		byD := slices.Clone(cand)
		slices.SortStableFunc(byD, func(a, b int) int {
			if c := cmp.Compare(d(a), d(b)); c != 0 {
				return c
			}
			return cmp.Compare(a, b)
		})
		var cum float64
		for j, i := range byD {
			cum += w(i, fs)
			if cum >= tp*tot {
				byD = byD[:j+1]
				break
			}
		}
		sortBy(byD, x)
		cand = byD
	}
	if tp := float64(c.TopP); tp > 0 && tp < 1 {
		tot := mass(cand, fs)
		var cum float64
		for j, i := range cand {
			cum += w(i, fs)
			if cum >= tp*tot {
				cand = cand[:j+1]
				break
			}
		}
	}
	if c.MinP > 0 {
		thr := float64(c.MinP) * w(cand[0], fs)
		var out []int
		for _, i := range cand {
			if w(i, fs) >= thr {
				out = append(out, i)
			}
		}
		cand = out
	}
	finish := func(cand []int) []float64 {
		p := make([]float64, n)
		s := fs
		if c.TemperatureLast {
			t := tau
			if c.DynTempRange > 0 {
				t = refDynTemp(x, m, cand, c)
				if t == 0 {
					p[cand[0]] = 1
					return p
				}
			}
			s = 1 / t
		}
		if c.MirostatTau > 0 {
			tot := mass(cand, s)
			var out []int
			for _, i := range cand {
				if w(i, s) >= tot*math.Exp2(-mu) {
					out = append(out, i)
				}
			}
			if len(out) == 0 {
				out = cand[:1]
			}
			cand = out
		}
		tot := mass(cand, s)
		for _, i := range cand {
			p[i] = w(i, s) / tot
		}
		return p
	}
	if c.XTCProbability > 0 && len(cand) >= 2 {
		tot := mass(cand, fs)
		last := -1
		for j, i := range cand {
			if w(i, fs)/tot >= float64(c.XTCThreshold) {
				last = j
			}
		}
		if last >= 1 {
			a, b := finish(cand), finish(cand[last:])
			pr := float64(c.XTCProbability)
			for i := range a {
				a[i] = (1-pr)*a[i] + pr*b[i]
			}
			return a
		}
	}
	return finish(cand)
}

// refDynTemp is llama.cpp's dynamic temperature over cand at τ = 1.
func refDynTemp(x []float64, m float64, cand []int, c head.SamplerConfig) float64 {
	if len(cand) <= 1 {
		return float64(c.Temperature)
	}
	var tot, h float64
	for _, i := range cand {
		tot += math.Exp(x[i] - m)
	}
	for _, i := range cand {
		if q := math.Exp(x[i]-m) / tot; q > 0 {
			h -= q * math.Log(q)
		}
	}
	e := float64(c.DynTempExponent)
	if e == 0 {
		e = 1
	}
	lo := max(0, float64(c.Temperature)-float64(c.DynTempRange))
	hi := float64(c.Temperature) + float64(c.DynTempRange)
	return lo + (hi-lo)*math.Pow(h/math.Log(float64(len(cand))), e)
}

// sortBy sorts idx canonically: x descending, equal x by lower index.
func sortBy(idx []int, x []float64) {
	slices.SortFunc(idx, func(a, b int) int {
		if c := cmp.Compare(x[b], x[a]); c != 0 {
			return c
		}
		return cmp.Compare(a, b)
	})
}
