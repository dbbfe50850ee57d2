package head_test

import (
	"cmp"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lmhead/lmhead/head"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// refTop returns the n highest of v in canonical order (v descending,
// equal values by lower index), skipping -Inf if skipInf.
func refTop(v []float64, n int, skipInf bool) []int {
	var idx []int
	for i, x := range v {
		if !(skipInf && math.IsInf(x, -1)) {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(v[b], v[a]) })
	return idx[:min(n, len(idx))]
}

// TestSampleLogProbs checks the raw log-probabilities against a float64
// log-softmax of the scores and the processed ones against the reference
// chain, on a small and a large vocabulary.
func TestSampleLogProbs(t *testing.T) {
	r := tu.Rand(31)
	big := make([]float32, 20000)
	for i := range big {
		big[i] = float32(r.NormFloat64() * 3)
	}
	big[5] = float32(math.NaN())
	for _, c := range []struct {
		name   string
		scores []float32
		cfg    head.SamplerConfig
		n      int
	}{
		{"small-plain", chainScores, head.SamplerConfig{Temperature: 1}, 5},
		{"small-chain", chainScores, head.SamplerConfig{Temperature: 0.7, TopK: 6, TopP: 0.9, RepeatPenalty: 1.3}, 20},
		{"small-greedy", chainScores, head.SamplerConfig{RepeatPenalty: 1.3}, 3},
		{"small-allowed", chainScores, head.SamplerConfig{Temperature: 1.5, Allowed: []int{0, 2, 4, 6, 8, 10}}, 4},
		{"small-n0", chainScores, head.SamplerConfig{Temperature: 1}, 0},
		{"big-plain", big, head.SamplerConfig{Temperature: 1}, 20},
		{"big-llama", big, head.SamplerConfig{Temperature: 0.8, TemperatureLast: true, TopK: 40, TopP: 0.95, MinP: 0.05, RepeatPenalty: 1.1, LogitBias: map[int]float32{3: 100}}, 20},
		{"big-hot-p", big, head.SamplerConfig{Temperature: 1.5, TopP: 0.99}, 20},
		{"big-typical", big, head.SamplerConfig{Temperature: 1, TypicalP: 0.5}, 20},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := head.NewSampler(c.cfg)
			require.NoError(t, err)
			hist := chainHistory
			// Raw: float64 log-softmax.
			raw := make([]float64, len(c.scores))
			mx := math.Inf(-1)
			for i, v := range c.scores {
				raw[i] = float64(v)
				if v != v {
					raw[i] = math.Inf(-1)
				}
				mx = max(mx, raw[i])
			}
			var z float64
			for _, v := range raw {
				z += math.Exp(v - mx)
			}
			for i := range raw {
				raw[i] -= mx + math.Log(z)
			}
			p := refChain(c.scores, hist, 0, c.cfg, 0)
			var lp head.LogProbs
			for range 20 {
				tok, err := s.SampleLogProbs(c.scores, hist, c.n, &lp)
				require.NoError(t, err)
				require.Equal(t, tok, lp.Token)
				require.InDelta(t, raw[tok], float64(lp.Raw), 1e-4)
				require.InDelta(t, math.Log(p[tok]), float64(lp.Processed), 1e-4)
				want := refTop(raw, c.n, false)
				require.Len(t, lp.TopRaw, len(want))
				for j, i := range want {
					require.Equal(t, i, lp.TopRaw[j].Token, "raw rank %d", j)
					require.InDelta(t, raw[i], float64(lp.TopRaw[j].LogProb), 1e-4)
				}
				lpP := make([]float64, len(p))
				for i, v := range p {
					lpP[i] = math.Log(v)
				}
				want = refTop(lpP, c.n, true)
				require.Len(t, lp.TopProcessed, len(want))
				for j, i := range want {
					require.Equal(t, i, lp.TopProcessed[j].Token, "processed rank %d", j)
					require.InDelta(t, lpP[i], float64(lp.TopProcessed[j].LogProb), 1e-4)
				}
			}
		})
	}
}

// TestVerify: speculative verification emits tokens distributed as the
// target's chain, whatever the draft: χ² on the first and second emitted
// tokens over many trials, for full draft distributions and a greedy
// draft.
func TestVerify(t *testing.T) {
	rows := [][]float32{
		{1, 2, 0.5, -1, 0.3, 1.5},
		{0.2, -0.5, 2, 1, 1, -2},
		{3, 0, 0, 1, -1, 2},
	}
	q := [][]float32{ // draft distributions, far from the target's
		{0.1, 0.1, 0.5, 0.1, 0.1, 0.1},
		{0.4, 0.3, 0.05, 0.05, 0.1, 0.1},
	}
	r := tu.Rand(41)
	draw := func(q []float32) int {
		u := r.Float64()
		for i, v := range q {
			u -= float64(v)
			if u < 0 {
				return i
			}
		}
		return len(q) - 1
	}
	for _, c := range []struct {
		name   string
		cfg    head.SamplerConfig
		greedy bool
	}{
		{"full-q", head.SamplerConfig{Temperature: 1, Seed: 2}, false},
		{"greedy-draft", head.SamplerConfig{Temperature: 1, Seed: 3}, true},
		{"full-q-topk", head.SamplerConfig{Temperature: 0.8, TopK: 4, Seed: 4}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, err := head.NewSampler(c.cfg)
			require.NoError(t, err)
			first, second := make([]int, 6), make([]int, 6)
			nSecond := 0
			acc := 0
			for range chiDraws() {
				var draft []int
				var probs [][]float32
				if c.greedy {
					draft = []int{1, 2} // a fixed (deterministic) draft
				} else {
					draft = []int{draw(q[0]), draw(q[1])}
					probs = q
				}
				a, next, err := s.Verify(rows, nil, draft, probs)
				require.NoError(t, err)
				acc += a
				out := append(draft[:a:a], next)
				first[out[0]]++
				if len(out) > 1 {
					second[out[1]]++
					nSecond++
				}
			}
			checkDraws(t, c.name+" first", first, refChain(rows[0], nil, 0, c.cfg, 0))
			checkDraws(t, c.name+" second", second, refChain(rows[1], nil, 0, c.cfg, 0))
			t.Logf("mean accepted %.3f, second token in %d trials", float64(acc)/float64(chiDraws()), nSecond)
		})
	}
	// Greedy target: accepts exactly the drafts equal to the argmax.
	g, err := head.NewSampler(head.SamplerConfig{})
	require.NoError(t, err)
	a, next, err := g.Verify(rows, nil, []int{1, 2}, nil)
	require.NoError(t, err)
	require.Equal(t, []int{2, 0}, []int{a, next})
	a, next, err = g.Verify(rows, nil, []int{1, 3}, nil)
	require.NoError(t, err)
	require.Equal(t, []int{1, 2}, []int{a, next})
	// Errors.
	_, _, err = g.Verify(rows, nil, []int{1}, nil)
	require.ErrorContains(t, err, "target rows")
	_, _, err = g.Verify(rows, nil, []int{1, 9}, nil)
	require.ErrorContains(t, err, "draft[1]: token id 9")
	m, _ := head.NewSampler(head.SamplerConfig{Temperature: 1, MirostatTau: 3})
	_, _, err = m.Verify(rows, nil, []int{1, 2}, nil)
	require.ErrorContains(t, err, "MirostatTau")
}

// TestSamplerChainNoAllocs: warm calls of every entry point allocate
// nothing, with every step of the chain on.
func TestSamplerChainNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts under the race detector are not meaningful")
	}
	r := tu.Rand(61)
	const V = 20000
	x := make([]float32, V)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 3)
	}
	hist := benchHistory(V)
	rows := [][]float32{x, x, x}
	q := make([]float32, V)
	for i := range q {
		q[i] = 1.0 / V
	}
	for name, c := range map[string]head.SamplerConfig{
		"greedy":    {},
		"llama.cpp": {Temperature: 0.8, TemperatureLast: true, TopK: 40, TopP: 0.95, MinP: 0.05, RepeatPenalty: 1.1, PenaltyLastN: 64},
		"hot-p":     {Temperature: 1.5, TopP: 0.99},
		"everything": {Temperature: 1.1, TopNSigma: 3, TypicalP: 0.95, TopP: 0.98, XTCProbability: 0.5, XTCThreshold: 0.01,
			DynTempRange: 0.3, FrequencyPenalty: 0.1, PresencePenalty: 0.1, DRY: head.DRYConfig{Multiplier: 1, SequenceBreakers: [][]int{{1}}},
			LogitBias: map[int]float32{1: 1, 2: 2}, Banned: []int{3}, MinTokens: 1 << 20, EOS: []int{4}},
		"mirostat": {Temperature: 1, MirostatTau: 5},
		"allowed":  {Temperature: 1, Allowed: seq(0, V, 7)},
	} {
		s, err := head.NewSampler(c)
		require.NoError(t, err)
		var lp head.LogProbs
		calls := map[string]func(){
			"SampleWith":     func() { _, _ = s.SampleWith(x, hist) },
			"SampleLogProbs": func() { _, _ = s.SampleLogProbs(x, hist, 20, &lp) },
		}
		if c.MirostatTau == 0 {
			calls["Verify"] = func() { _, _, _ = s.Verify(rows, hist, []int{5, 6}, [][]float32{q, q}) }
			calls["Verify-greedy-draft"] = func() { _, _, _ = s.Verify(rows, hist, []int{5, 6}, nil) }
		}
		for cn, f := range calls {
			for range 5 {
				f()
			}
			require.Zerof(t, testing.AllocsPerRun(20, f), "%s/%s allocates", name, cn)
		}
	}
}
