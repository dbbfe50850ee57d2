package head_test

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lmhead/lmhead"
	"github.com/lmhead/lmhead/head"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// shape is a (V, d) test shape.
type shape struct{ V, d int }

// shapes covers V below, at and around the 4-row Gemv pass, the 16-row
// part boundary and the 256-row fused block, and d around vector widths.
var shapes = []shape{{1, 1}, {2, 3}, {5, 8}, {17, 33}, {64, 16}, {100, 65}, {257, 129}, {513, 31}, {1000, 300}}

// bigShape is large enough (V·d ≥ 2·2¹⁷) that Workers > 1 really splits.
var bigShape = shape{3001, 200}

// variant builds a Config of a kind at a shape.
type variant struct {
	name string
	make func(r *rand.Rand, s shape) head.Config
}

func plainCfg(r *rand.Rand, s shape) head.Config {
	return head.Config{Vocab: s.V, Hidden: s.d, Weight: fill(r, s.V*s.d, 1), Workers: 1}
}

func denseCfg(act head.Activation) func(r *rand.Rand, s shape) head.Config {
	return func(r *rand.Rand, s shape) head.Config {
		e := s.d/2 + 3
		return head.Config{
			Vocab: s.V, Hidden: s.d, Weight: fill(r, s.V*e, 1), Bias: fill(r, s.V, 1), Workers: 1,
			Dense: &head.Dense{Out: e, Weight: fill(r, e*s.d, 1), Bias: fill(r, e, 1), Act: act},
		}
	}
}

var variants = []variant{
	{"plain", plainCfg},
	{"bias", func(r *rand.Rand, s shape) head.Config {
		c := plainCfg(r, s)
		c.Bias = fill(r, s.V, 3)
		return c
	}},
	{"dense-relu", denseCfg(head.ReLU)},
	{"dense-tanh", denseCfg(head.Tanh)},
	{"dense-gelu", denseCfg(head.GELU)},
	{"dense-gelutanh", denseCfg(head.GELUTanh)},
	{"dense-identity", denseCfg(head.Identity)},
	{"dense-nobias", func(r *rand.Rand, s shape) head.Config {
		c := denseCfg(head.ReLU)(r, s)
		c.Dense.Bias, c.Bias = nil, nil
		return c
	}},
	{"softcap", func(r *rand.Rand, s shape) head.Config {
		c := plainCfg(r, s)
		c.Softcap = 2.5 // logits of order √d/1.7 reach deep into tanh's saturation
		return c
	}},
	{"scale", func(r *rand.Rand, s shape) head.Config {
		c := plainCfg(r, s)
		c.LogitScale = 0.0625
		return c
	}},
	{"bias-softcap-scale", func(r *rand.Rand, s shape) head.Config {
		c := plainCfg(r, s)
		c.Bias = fill(r, s.V, 2)
		c.Softcap, c.LogitScale = 30, 3
		return c
	}},
	{"dense-softcap-scale", func(r *rand.Rand, s shape) head.Config {
		c := denseCfg(head.GELU)(r, s)
		c.Softcap, c.LogitScale = 4, 0.5
		return c
	}},
}

var temps = []float32{0.5, 1, 2}

func mustNew(t testing.TB, c head.Config) *head.Head {
	t.Helper()
	h, err := head.New(c)
	require.NoError(t, err)
	return h
}

func checkVals(t *testing.T, what string, got []float32, want []val) {
	t.Helper()
	require.Len(t, got, len(want))
	for i, w := range want {
		if !tu.Close(got[i], w.v, w.b) {
			t.Fatalf("%s[%d] = %v, want %v ± %v", what, i, got[i], w.v, w.b)
		}
	}
}

// firstMax is the argmax with ties to the lower index.
func firstMax(x []float32) int {
	best := 0
	for i, v := range x {
		if v > x[best] {
			best = i
		}
	}
	return best
}

// canonical returns the indices of x sorted by value descending, ties by
// lower index.
func canonical(x []float32) []int {
	idx := make([]int, len(x))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(x[b], x[a]) })
	return idx
}

// checkHead runs every method of a plain or Dense head against the
// reference.
func checkHead(t *testing.T, h *head.Head, cfg head.Config, hidden []float32) {
	t.Helper()
	ref := refLogits(cfg, hidden)
	logits := h.Logits(nil, hidden)
	checkVals(t, "Logits", logits, ref)

	g := h.Greedy(hidden)
	require.Equal(t, firstMax(logits), g, "Greedy is the argmax of Logits")
	maxB := 0.0
	for _, p := range ref {
		maxB = max(maxB, p.b)
	}
	require.GreaterOrEqual(t, ref[g].v+2*maxB, ref[argmaxRef(ref)].v, "Greedy's token is the reference max within the bound")

	for _, tau := range temps {
		lpRef := refLogSoftmax(ref, 1/float64(tau))
		lp := h.LogProbs(make([]float32, 0, cfg.Vocab), hidden, tau)
		checkVals(t, fmt.Sprintf("LogProbs(τ=%v)", tau), lp, lpRef)
		checkVals(t, fmt.Sprintf("Probs(τ=%v)", tau), h.Probs(nil, hidden, tau), refSoftmax(lpRef))

		k := min(cfg.Vocab, 7)
		top := h.TopK(hidden, k, tau)
		order := canonical(logits)
		require.Len(t, top, k)
		for j, tok := range top {
			require.Equal(t, order[j], tok.ID, "TopK(τ=%v)[%d]", tau, j)
			require.InDelta(t, lp[tok.ID], tok.LogProb, 1e-5*(1+math.Abs(float64(lp[tok.ID]))), "TopK(τ=%v)[%d].LogProb", tau, j)
		}
	}
	lp1 := refLogSoftmax(ref, 1)
	for _, tok := range []int{0, cfg.Vocab / 2, cfg.Vocab - 1, g} {
		got := h.LogProb(hidden, tok)
		require.Truef(t, tu.Close(got, lp1[tok].v, lp1[tok].b), "LogProb(%d) = %v, want %v ± %v", tok, got, lp1[tok].v, lp1[tok].b)
	}
	// τ = 0 is greedy.
	p0 := h.Probs(nil, hidden, 0)
	lp0 := h.LogProbs(nil, hidden, 0)
	for i := range p0 {
		if i == g {
			require.Equal(t, float32(1), p0[i])
			require.Equal(t, float32(0), lp0[i])
		} else {
			require.Equal(t, float32(0), p0[i])
			require.True(t, math.IsInf(float64(lp0[i]), -1))
		}
	}
}

func TestLogitsReference(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(10)
		for _, v := range variants {
			for _, s := range append(shapes, bigShape) {
				if tu.Short() && s == bigShape && v.name != "plain" && v.name != "dense-gelu" {
					continue
				}
				t.Run(fmt.Sprintf("%s/%dx%d", v.name, s.V, s.d), func(t *testing.T) {
					cfg := v.make(r, s)
					for _, workers := range []int{1, 2, 3} {
						cfg.Workers = workers
						h := mustNew(t, cfg)
						checkHead(t, h, cfg, fill(r, s.d, 1))
					}
				})
			}
		}
	})
}

// TestSoftcapRange sweeps the softcap over its whole input range: both
// branches of the tanh (polynomial below |u/c| = 0.625, exp above),
// saturation, and ±Inf.
func TestSoftcapRange(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		const V = 4001
		c := float32(7)
		bias := make([]float32, V)
		for i := range bias {
			bias[i] = float32(i-V/2) * 0.02 // -40 … 40
		}
		bias[0], bias[1] = float32(math.Inf(1)), float32(math.Inf(-1))
		cfg := head.Config{Vocab: V, Hidden: 1, Weight: make([]float32, V), Bias: bias, Softcap: c, Workers: 1}
		h := mustNew(t, cfg)
		got := h.Logits(nil, []float32{1})
		require.Equal(t, c, got[0])
		require.Equal(t, -c, got[1])
		for i := 2; i < V; i++ {
			want := float64(c) * math.Tanh(float64(bias[i])/float64(c))
			require.InDeltaf(t, want, got[i], 4*u*float64(c), "softcap(%v)", bias[i])
			// Relative accuracy near zero, where 1-2/(e^2y+1) would cancel.
			if want != 0 {
				require.InEpsilonf(t, want, got[i], 8*u, "softcap(%v) relative", bias[i])
			}
		}
	})
}

func mosCfg(r *rand.Rand, V, d, e, K int, latentBias bool) head.Config {
	m := &head.MoS{K: K, Prior: fill(r, K*d, 1), Latent: fill(r, K*e*d, 1)}
	if latentBias {
		m.LatentBias = fill(r, K*e, 1)
	}
	return head.Config{Vocab: V, Hidden: d, Weight: fill(r, V*e, 2), Bias: fill(r, V, 1), MoS: m, Workers: 1}
}

func checkMoS(t *testing.T, h *head.Head, cfg head.Config, hidden []float32) {
	t.Helper()
	for _, tau := range append([]float32{1}, temps...) {
		s := 1 / float64(tau)
		lpRef, pRef := refMoS(cfg, hidden, s)
		lp := h.LogProbs(nil, hidden, tau)
		checkVals(t, fmt.Sprintf("MoS LogProbs(τ=%v)", tau), lp, lpRef)
		p := h.Probs(nil, hidden, tau)
		for w := range p {
			// Against the probability-space formula Σ π_k softmax(u_k/τ).
			b := pRef[w]*(math.Expm1(lpRef[w].b)+8*u) + 0x1p-125
			require.Truef(t, tu.Close(p[w], pRef[w], b), "MoS Probs(τ=%v)[%d] = %v, want Σπ·softmax = %v ± %v", tau, w, p[w], pRef[w], b)
		}
		if tau == 1 {
			logits := h.Logits(nil, hidden)
			checkVals(t, "MoS Logits", logits, lpRef)
			require.Equal(t, firstMax(logits), h.Greedy(hidden), "MoS Greedy is the argmax of the mixture")
			for _, tok := range []int{0, cfg.Vocab - 1} {
				got := h.LogProb(hidden, tok)
				require.Truef(t, tu.Close(got, lpRef[tok].v, lpRef[tok].b), "MoS LogProb(%d) = %v, want %v ± %v", tok, got, lpRef[tok].v, lpRef[tok].b)
			}
		}
		top := h.TopK(hidden, 3, tau)
		require.Len(t, top, min(3, len(lp)), "MoS TopK(τ=%v)", tau)
		order := canonical(lp)
		for j, tok := range top {
			require.Equal(t, order[j], tok.ID, "MoS TopK(τ=%v)[%d]", tau, j)
			require.InDelta(t, lp[tok.ID], tok.LogProb, 1e-6*(1+math.Abs(float64(lp[tok.ID]))))
		}
	}
}

func TestMoSReference(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(11)
		for _, c := range []struct{ V, d, e, K int }{
			{1, 1, 1, 1}, {7, 5, 3, 1}, {50, 16, 8, 2}, {257, 33, 20, 4}, {300, 64, 48, 3}, {1000, 40, 64, 5},
		} {
			for _, lb := range []bool{false, true} {
				t.Run(fmt.Sprintf("V%d-d%d-e%d-K%d-bias%v", c.V, c.d, c.e, c.K, lb), func(t *testing.T) {
					cfg := mosCfg(r, c.V, c.d, c.e, c.K, lb)
					for _, w := range []int{1, 2} {
						cfg.Workers = w
						checkMoS(t, mustNew(t, cfg), cfg, fill(r, c.d, 1))
					}
					cfg.Softcap, cfg.LogitScale = 3, 2
					checkMoS(t, mustNew(t, cfg), cfg, fill(r, c.d, 1))
				})
			}
		}
	})
}

// TestMoSTinyProbabilities makes one token so unlikely in every component
// that its probability underflows float32 (e^-150): the log-space mixture
// must still give its log-probability, where log(p + 1e-8) would say
// -18.4 and log(p) in float32 -Inf.
func TestMoSTinyProbabilities(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(12)
		cfg := mosCfg(r, 40, 8, 6, 3, true)
		cfg.Bias[5] = -150
		cfg.Bias[6] = -1000 // e^-1000 underflows even float64's probability space
		h := mustNew(t, cfg)
		hidden := fill(r, 8, 1)
		lpRef, _ := refMoS(cfg, hidden, 1)
		lp := h.Logits(nil, hidden)
		checkVals(t, "MoS Logits", lp, lpRef)
		require.Less(t, lp[5], float32(-140))
		require.Less(t, lp[6], float32(-990))
		require.Truef(t, tu.Close(h.LogProb(hidden, 6), lpRef[6].v, lpRef[6].b), "LogProb(6)")
	})
}

func TestTiedSharesMemory(t *testing.T) {
	r := tu.Rand(13)
	const V, d = 50, 16
	emb := fill(r, V*d, 1)
	cfg := head.Tied(emb, V, d)
	require.Same(t, &emb[0], &cfg.Weight[0], "Tied does not copy")
	h := mustNew(t, cfg)
	hidden := fill(r, d, 1)
	before := h.Logits(nil, hidden)
	// Train "the embedding": row 7 becomes 3·hidden.
	for j := range d {
		emb[7*d+j] = 3 * hidden[j]
	}
	after := h.Logits(nil, hidden)
	ref := refLogits(cfg, hidden)
	checkVals(t, "Logits after the write", after, ref)
	require.NotEqual(t, before[7], after[7])
	require.Equal(t, 7, h.Greedy(hidden), "the written row now wins")
	for i := range before {
		if i != 7 {
			require.Equal(t, before[i], after[i])
		}
	}
}

func TestNewErrors(t *testing.T) {
	r := tu.Rand(14)
	good := func() head.Config { return plainCfg(r, shape{10, 4}) }
	dense := func() head.Config { return denseCfg(head.ReLU)(r, shape{10, 4}) } // e = 5
	mos := func() head.Config { return mosCfg(r, 10, 4, 3, 2, true) }
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	cases := []struct {
		name  string
		cfg   head.Config
		field string
		want  []string // substrings: expected and actual sizes
	}{
		{"vocab", func() head.Config { c := good(); c.Vocab = 0; return c }(), "Config.Vocab", []string{"0"}},
		{"hidden", func() head.Config { c := good(); c.Hidden = -1; return c }(), "Config.Hidden", []string{"-1"}},
		{"weight", func() head.Config { c := good(); c.Weight = c.Weight[:39]; return c }(), "Config.Weight", []string{"39", "40", "10×4"}},
		{"bias", func() head.Config { c := good(); c.Bias = make([]float32, 9); return c }(), "Config.Bias", []string{"9", "10"}},
		{"workers", func() head.Config { c := good(); c.Workers = -2; return c }(), "Config.Workers", []string{"-2"}},
		{"scale nan", func() head.Config { c := good(); c.LogitScale = nan; return c }(), "Config.LogitScale", []string{"NaN"}},
		{"scale inf", func() head.Config { c := good(); c.LogitScale = inf; return c }(), "Config.LogitScale", []string{"Inf"}},
		{"scale neg", func() head.Config { c := good(); c.LogitScale = -1; return c }(), "Config.LogitScale", []string{"-1"}},
		{"softcap nan", func() head.Config { c := good(); c.Softcap = nan; return c }(), "Config.Softcap", []string{"NaN"}},
		{"softcap inf", func() head.Config { c := good(); c.Softcap = -inf; return c }(), "Config.Softcap", []string{"Inf"}},
		{"softcap neg", func() head.Config { c := good(); c.Softcap = -30; return c }(), "Config.Softcap", []string{"-30"}},
		{"softcap tiny", func() head.Config { c := good(); c.Softcap = 1e-40; return c }(), "Config.Softcap", []string{"1e-40", "overflows"}},
		{"dense out", func() head.Config { c := dense(); c.Dense.Out = 0; return c }(), "Config.Dense.Out", []string{"0"}},
		{"dense weight", func() head.Config { c := dense(); c.Dense.Weight = c.Dense.Weight[:19]; return c }(), "Config.Dense.Weight", []string{"19", "20", "5×4"}},
		{"dense bias", func() head.Config { c := dense(); c.Dense.Bias = c.Dense.Bias[:4]; return c }(), "Config.Dense.Bias", []string{"4", "5"}},
		{"dense act", func() head.Config { c := dense(); c.Dense.Act = 99; return c }(), "Config.Dense.Act", []string{"99"}},
		{"weight vs dense", func() head.Config {
			c := dense()
			c.Dense.Out = 4
			c.Dense.Weight = c.Dense.Weight[:16]
			c.Dense.Bias = c.Dense.Bias[:4]
			return c
		}(), "Config.Weight", []string{"50", "40", "10×4"}},
		{"dense and mos", func() head.Config { c := mos(); c.Dense = dense().Dense; return c }(), "Config.MoS", []string{"Config.Dense"}},
		{"mos k", func() head.Config { c := mos(); c.MoS.K = 0; return c }(), "Config.MoS.K", []string{"0"}},
		{"mos weight", func() head.Config { c := mos(); c.Weight = c.Weight[:29]; return c }(), "Config.Weight", []string{"29", "10×e"}},
		{"mos prior", func() head.Config { c := mos(); c.MoS.Prior = c.MoS.Prior[:7]; return c }(), "Config.MoS.Prior", []string{"7", "8", "2×4"}},
		{"mos latent", func() head.Config { c := mos(); c.MoS.Latent = c.MoS.Latent[:23]; return c }(), "Config.MoS.Latent", []string{"23", "24", "(2·3)×4"}},
		{"mos latent bias", func() head.Config { c := mos(); c.MoS.LatentBias = c.MoS.LatentBias[:5]; return c }(), "Config.MoS.LatentBias", []string{"5", "6", "2·3"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, err := head.New(c.cfg)
			require.Nil(t, h)
			require.Error(t, err)
			var ce *head.ConfigError
			require.ErrorAs(t, err, &ce)
			t.Log(err)
			require.Equal(t, c.field, ce.Field, "error: %v", err)
			for _, s := range c.want {
				require.Contains(t, err.Error(), s)
			}
		})
	}
	// The valid ones pass.
	for _, c := range []head.Config{good(), dense(), mos()} {
		_, err := head.New(c)
		require.NoError(t, err)
	}
}

func TestPanics(t *testing.T) {
	h := mustNew(t, plainCfg(tu.Rand(15), shape{10, 4}))
	require.PanicsWithValue(t, "head.Logits: len(hidden)=3, want Hidden=4", func() { h.Logits(nil, make([]float32, 3)) })
	require.PanicsWithValue(t, "head.Probs: temperature -1, want finite and ≥ 0", func() { h.Probs(nil, make([]float32, 4), -1) })
	require.PanicsWithValue(t, "head.LogProbs: temperature NaN, want finite and ≥ 0", func() { h.LogProbs(nil, make([]float32, 4), float32(math.NaN())) })
	require.PanicsWithValue(t, "head.TopK: temperature -0, want finite and ≥ 0", func() { h.TopK(make([]float32, 4), 3, float32(math.Copysign(0, -1))) })
	require.PanicsWithValue(t, "head.LogProb: token 10, want in [0, 10)", func() { h.LogProb(make([]float32, 4), 10) })
	require.PanicsWithValue(t, "head.Greedy: len(hidden)=5, want Hidden=4", func() { h.Greedy(make([]float32, 5)) })
}

// TestSpecialLogits checks -Inf (masked) and NaN logits through the fused
// paths.
func TestSpecialLogits(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		const V, d = 700, 8
		r := tu.Rand(16)
		cfg := plainCfg(r, shape{V, d})
		cfg.Bias = make([]float32, V)
		// Mask two whole fused blocks and a few more tokens.
		for i := 256; i < 768 && i < V; i++ {
			cfg.Bias[i] = float32(math.Inf(-1))
		}
		cfg.Bias[3] = float32(math.Inf(-1))
		h := mustNew(t, cfg)
		hidden := fill(r, d, 1)
		lp := h.LogProbs(nil, hidden, 1)
		var sum float64
		for i, v := range lp {
			if cfg.Bias[i] < -1e30 {
				require.True(t, math.IsInf(float64(v), -1))
			}
			sum += math.Exp(float64(v))
		}
		require.InDelta(t, 1, sum, 1e-5)
		require.InDelta(t, lp[10], h.LogProb(hidden, 10), 1e-5, "online logsumexp skips all -Inf blocks")
		require.True(t, math.IsInf(float64(h.LogProb(hidden, 300)), -1))
		// A NaN logit wins Greedy, as in lmhead.Argmax.
		cfg.Bias[500] = float32(math.NaN())
		cfg.Bias[600] = float32(math.NaN())
		h = mustNew(t, cfg)
		require.Equal(t, 500, h.Greedy(hidden))
	})
}

func TestActivationString(t *testing.T) {
	require.Equal(t, "GELU", head.GELU.String())
	require.True(t, strings.HasPrefix(head.Activation(42).String(), "Activation("))
}
