package head_test

import (
	"math"
	"math/rand/v2"

	"github.com/lmhead/lmhead/head"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// The float64 reference of every formula of the head, each value with the
// error bound the float32 implementation must meet. Bounds are built from
// the Gemv bound of testutil.DotRef ((n+8)·2⁻²⁴·Σ|w·x|) and propagated
// through each step with its Lipschitz constant, plus a few units of
// rounding (u = 2⁻²⁴) per float32 operation.

const u = tu.Unit

// val is a reference value and the largest error allowed against it.
type val struct{ v, b float64 }

// refMatVec returns W·x (+ bias) in float64 for float64 x, with the bound
// of a float32 Gemv whose own input carries errors xb (nil for exact
// input): (n+8)·u·Σ|w·x| + Σ|w|·xb + rounding of the bias add.
func refMatVec(w []float32, bias []float32, x []float64, xb []float64, rows int) []val {
	n := len(x)
	out := make([]val, rows)
	for i := range out {
		var s, abs, prop float64
		for j := 0; j < n; j++ {
			wj := float64(w[i*n+j])
			s += wj * x[j]
			abs += math.Abs(wj * x[j])
			if xb != nil {
				prop += math.Abs(wj) * xb[j]
			}
		}
		b := float64(n+8)*u*abs + prop + float64(n)*tu.MinDenormal
		if bias != nil {
			s += float64(bias[i])
			b += 2 * u * math.Abs(s)
		}
		out[i] = val{s, b}
	}
	return out
}

func to64(x []float32) []float64 {
	y := make([]float64, len(x))
	for i, v := range x {
		y[i] = float64(v)
	}
	return y
}

// refAct applies an activation in float64. Its bound: the input bound
// times the Lipschitz constant (1, or 1.13 for both GELUs: max |d/dx
// x·Φ(x)| = 1.1289), plus float32 rounding of the result.
func refAct(z []val, a head.Activation) {
	for i, p := range z {
		x := p.v
		var y, lip float64
		switch a {
		case head.ReLU:
			y, lip = math.Max(0, x), 1
		case head.Tanh:
			y, lip = math.Tanh(x), 1
		case head.GELU:
			y, lip = 0.5*x*(1+math.Erf(x/math.Sqrt2)), 1.13
		case head.GELUTanh:
			y, lip = 0.5*x*(1+math.Tanh(math.Sqrt(2/math.Pi)*(x+0.044715*x*x*x))), 1.13
		case head.Identity:
			y, lip = x, 1
		}
		z[i] = val{y, lip*p.b + 2*u*math.Abs(y) + 1e-30}
	}
}

func split(z []val) (v, b []float64) {
	v, b = make([]float64, len(z)), make([]float64, len(z))
	for i, p := range z {
		v[i], b[i] = p.v, p.b
	}
	return v, b
}

// refPost applies softcap and scale: c·tanh(u/c) is 1-Lipschitz; the
// implementation's tanh is within 8 ulp of 1 (times c), and y = u/c and
// c·t add a rounding each. The scale multiplies the bound and rounds once.
func refPost(logits []val, softcap, scale float32) {
	for i, p := range logits {
		if softcap != 0 {
			c := float64(softcap)
			y := c * math.Tanh(p.v/c)
			p = val{y, p.b + 8*u*c + 4*u*math.Abs(p.v)}
		}
		if scale != 0 {
			s := float64(scale)
			p = val{s * p.v, s*p.b + 2*u*math.Abs(s*p.v)}
		}
		logits[i] = p
	}
}

// refLogits is the reference of Head.Logits for a plain or Dense head.
func refLogits(cfg head.Config, hidden []float32) []val {
	x, xb := to64(hidden), []float64(nil)
	if d := cfg.Dense; d != nil {
		z := refMatVec(d.Weight, d.Bias, x, nil, d.Out)
		refAct(z, d.Act)
		x, xb = split(z)
	}
	logits := refMatVec(cfg.Weight, cfg.Bias, x, xb, cfg.Vocab)
	refPost(logits, cfg.Softcap, cfg.LogitScale)
	return logits
}

// refLogSoftmax returns log_softmax(s·u) with bounds: s·(δu_i + max δu)
// for the propagated error (logsumexp is 1-Lipschitz in the max norm) and
// rounding relative to the magnitudes involved.
func refLogSoftmax(logits []val, s float64) []val {
	m, maxB := math.Inf(-1), 0.0
	for _, p := range logits {
		m = math.Max(m, s*p.v)
		maxB = math.Max(maxB, p.b)
	}
	var sum float64
	for _, p := range logits {
		sum += math.Exp(s*p.v - m)
	}
	lse := m + math.Log(sum)
	out := make([]val, len(logits))
	for i, p := range logits {
		lp := s*p.v - lse
		out[i] = val{lp, s*(p.b+maxB) + 16*u*(math.Abs(s*p.v)+math.Abs(lse)+1)}
	}
	return out
}

// refSoftmax converts log-probabilities to probabilities: the relative
// error is about the absolute error of the log, plus a few ulp, plus the
// absolute flush-to-zero of results below 2⁻¹²⁶.
func refSoftmax(lp []val) []val {
	out := make([]val, len(lp))
	for i, p := range lp {
		v := math.Exp(p.v)
		out[i] = val{v, v*(math.Expm1(p.b)+8*u) + 0x1p-125}
	}
	return out
}

// refMoS is the reference of a Mixture of Softmaxes at inverse temperature
// s, both in log space (logsumexp_k(log π_k + log_softmax(s·u_k))) and in
// probability space (Σ_k π_k·softmax(s·u_k)), which are the same formula
// evaluated two ways.
func refMoS(cfg head.Config, hidden []float32, s float64) (logp []val, prob []float64) {
	m := cfg.MoS
	d, V := cfg.Hidden, cfg.Vocab
	e := len(cfg.Weight) / V
	x := to64(hidden)
	prior := refMatVec(m.Prior, nil, x, nil, m.K)
	pm, priorB := math.Inf(-1), 0.0
	for _, p := range prior {
		pm = math.Max(pm, p.v)
		priorB = math.Max(priorB, p.b)
	}
	var ps float64
	for _, p := range prior {
		ps += math.Exp(p.v - pm)
	}
	logPi := make([]float64, m.K)
	for k, p := range prior {
		logPi[k] = p.v - pm - math.Log(ps)
	}
	comps := make([][]val, m.K)
	for k := range comps {
		var lb []float32
		if m.LatentBias != nil {
			lb = m.LatentBias[k*e : (k+1)*e]
		}
		z := refMatVec(m.Latent[k*e*d:(k+1)*e*d], lb, x, nil, e)
		refAct(z, head.Tanh)
		zv, zb := split(z)
		u := refMatVec(cfg.Weight, cfg.Bias, zv, zb, V)
		refPost(u, cfg.Softcap, cfg.LogitScale)
		comps[k] = refLogSoftmax(u, s)
	}
	logp = make([]val, V)
	prob = make([]float64, V)
	for w := range logp {
		mx, b := math.Inf(-1), 0.0
		for k := range comps {
			mx = math.Max(mx, logPi[k]+comps[k][w].v)
			b = math.Max(b, comps[k][w].b)
			prob[w] += math.Exp(logPi[k]) * math.Exp(comps[k][w].v)
		}
		var sum float64
		for k := range comps {
			sum += math.Exp(logPi[k] + comps[k][w].v - mx)
		}
		lp := mx + math.Log(sum)
		logp[w] = val{lp, b + 2*priorB + 16*u*(math.Abs(lp)+math.Abs(mx)+float64(m.K))}
	}
	return logp, prob
}

// randCfg fills a Config's slices with uniform values in [-1, 1) (or the
// scale given), deterministic in seed.
func fill(r *rand.Rand, n int, scale float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = (2*r.Float32() - 1) * scale
	}
	return x
}

func argmaxRef(v []val) int {
	best := 0
	for i, p := range v {
		if p.v > v[best].v {
			best = i
		}
	}
	return best
}
