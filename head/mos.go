package head

import (
	"math"

	"github.com/lmhead/lmhead"
	"github.com/lmhead/lmhead/softmax"
)

// mosBlock is the number of tokens the mixture combines at a time: K
// blocks of it (K ≤ 16 or so) stay in L1.
const mosBlock = 256

// mosScratch is the working memory of a Mixture of Softmaxes call.
type mosScratch struct {
	prior []float32 // K: Prior·h
	logPi []float64 // K: log π
	lat   []float32 // K·e: the latent states h_k
	u     []float32 // (K-1)·V: component logits; the last one goes to dst
	c     []float32 // K: log π_k - logsumexp(s·u_k)
	tmp   []float32 // K·mosBlock
	mx    []float32 // mosBlock: max over components
	sh    []float32 // mosBlock: the shift actually subtracted
	sm    []float32 // mosBlock: Σ over components
}

func (sc *scratch) mosScratch(h *Head) *mosScratch {
	if sc.mos == nil {
		K, e := h.mos.K, h.embed
		sc.mos = &mosScratch{
			prior: make([]float32, K),
			logPi: make([]float64, K),
			lat:   make([]float32, K*e),
			c:     make([]float32, K),
			tmp:   make([]float32, K*mosBlock),
			mx:    make([]float32, mosBlock),
			sh:    make([]float32, mosBlock),
			sm:    make([]float32, mosBlock),
		}
	}
	return sc.mos
}

// component returns the buffer of component k's logits: dst for the last.
func (ms *mosScratch) component(dst []float32, k, K, v int) []float32 {
	if k == K-1 {
		return dst
	}
	if len(ms.u) < (K-1)*v {
		ms.u = make([]float32, (K-1)*v)
	}
	return ms.u[k*v : (k+1)*v]
}

// mosPrior sets ms.logPi to log_softmax(Prior·h), in float64.
func (h *Head) mosPrior(ms *mosScratch, hidden []float32) {
	lmhead.Gemv(ms.prior, h.mos.Prior, hidden)
	m := math.Inf(-1)
	for _, a := range ms.prior {
		m = max(m, float64(a))
	}
	var sum float64
	for _, a := range ms.prior {
		sum += math.Exp(float64(a) - m)
	}
	lse := m + math.Log(sum)
	for k, a := range ms.prior {
		ms.logPi[k] = float64(a) - lse
	}
}

// mosLatent computes h_k = tanh(Latent_k·h + LatentBias_k) for component
// k, or for all of them if k < 0, into ms.lat.
func (h *Head) mosLatent(sc *scratch, ms *mosScratch, hidden []float32, k int) {
	m, e, d := h.mos, h.embed, h.hidden
	lo, hi := 0, m.K*e
	if k >= 0 {
		lo, hi = k*e, (k+1)*e
	}
	z := ms.lat[lo:hi]
	h.gemv(sc, z, m.Latent[lo*d:hi*d], hidden)
	if m.LatentBias != nil {
		b := m.LatentBias[lo:hi]
		for i := range z {
			z[i] += b[i]
		}
	}
	activate(z, Tanh)
}

// mosLogProbs writes log p(w) = logsumexp_k(log π_k + log_softmax(s·u_k)_w)
// into dst (length V), s = 1/τ with τ > 0.
//
// Each component's log-normalizer comes from one online pass over its
// logits; then, a block of tokens at a time, t_k = s·u_k + c_k with
// c_k = log π_k - logsumexp(s·u_k), M = max_k t_k, and
// log p = M + log Σ_k e^(t_k - M). Every term is ≤ 0 in the exponent and
// one is exactly 0, so nothing overflows and a token that every component
// finds unlikely keeps its true log-probability (down to float32's range)
// instead of a floor.
func (h *Head) mosLogProbs(sc *scratch, dst, hidden []float32, tau float32) {
	s := 1 / tau
	ms := sc.mosScratch(h)
	K, V, e := h.mos.K, h.vocab, h.embed
	h.mosPrior(ms, hidden)
	h.mosLatent(sc, ms, hidden, -1)
	for k := 0; k < K; k++ {
		u := ms.component(dst, k, K, V)
		h.project(sc, u, ms.lat[k*e:(k+1)*e])
		ms.c[k] = float32(ms.logPi[k] - lse64(softmax.Partial(u, tau)))
	}
	if K == 1 {
		lmhead.ScaleShift(dst, dst, s, ms.c[0])
		return
	}
	for j0 := 0; j0 < V; j0 += mosBlock {
		n := min(mosBlock, V-j0)
		mx, sh, sm := ms.mx[:n], ms.sh[:n], ms.sm[:n]
		for k := 0; k < K; k++ {
			t := ms.tmp[k*mosBlock : k*mosBlock+n]
			lmhead.ScaleShift(t, ms.component(dst, k, K, V)[j0:j0+n], s, ms.c[k])
			if k == 0 {
				copy(mx, t)
				continue
			}
			for i, v := range t {
				if v > mx[i] || v != v {
					mx[i] = v
				}
			}
		}
		// Subtract the max where it is finite. Where it is -Inf every
		// term is -Inf and the sum 0, where +Inf the sum +Inf: in both
		// cases M + log Σ is already right with no shift, while
		// subtracting would make NaN.
		for i, v := range mx {
			if math.IsInf(float64(v), 0) {
				v = 0
			}
			sh[i] = v
		}
		clear(sm)
		for k := 0; k < K; k++ {
			t := ms.tmp[k*mosBlock : k*mosBlock+n]
			for i := range t {
				t[i] -= sh[i]
			}
			lmhead.Exp(t, t)
			for i, v := range t {
				sm[i] += v
			}
		}
		out := dst[j0 : j0+n]
		for i := range out {
			out[i] = sh[i] + float32(math.Log(float64(sm[i])))
		}
	}
}

// mosLogProb returns log p(token) at temperature 1 with one online
// logsumexp pass per component and no V-sized buffer.
func (h *Head) mosLogProb(sc *scratch, hidden []float32, token int) float64 {
	ms := sc.mosScratch(h)
	K, e := h.mos.K, h.embed
	h.mosPrior(ms, hidden)
	h.mosLatent(sc, ms, hidden, -1)
	m, terms := math.Inf(-1), ms.logPi // reuse logPi for the terms
	for k := 0; k < K; k++ {
		lse, u := h.lseProj(sc, ms.lat[k*e:(k+1)*e], 1, token)
		terms[k] += float64(u) - lse
		if terms[k] > m || terms[k] != terms[k] {
			m = terms[k]
		}
	}
	if math.IsInf(m, 0) || m != m {
		return m
	}
	var sum float64
	for _, t := range terms {
		sum += math.Exp(t - m)
	}
	return m + math.Log(sum)
}
