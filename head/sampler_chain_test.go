package head_test

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lmhead/lmhead/head"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// chiDraws is the number of draws of the chain's goodness-of-fit tests:
// at least 100k (20k under -short, the race CI run). checkDraws rejects at
// p < 10⁻⁶ (the threshold the issue asks is ≤ 10⁻⁴).
func chiDraws() int {
	if tu.Short() {
		return 20_000
	}
	return 120_000
}

// chainScores is the small vocabulary of the chain tests: 16 distinct
// scores, a NaN, a -Inf.
var chainScores = []float32{1.0, 2.5, 0.3, 2.4, -1, 0.8, 1.7, -0.4, 3.1, 0.0, float32(math.NaN()), 1.2, 2.9, -2, float32(math.Inf(-1)), 0.5}

// chainHistory repeats tokens (for the penalties) and n-grams (for DRY):
// "1 3 8 6 ... 1 3 8" makes 6 the continuation of a 3-token repeat.
var chainHistory = []int{5, 1, 3, 8, 6, 2, 9, 1, 3, 8, 6, 4, 0, 1, 3, 8}

func TestSamplerChainChiSquare(t *testing.T) {
	llama := head.SamplerConfig{Temperature: 0.8, TemperatureLast: true, TopK: 8, TopP: 0.95, MinP: 0.05, RepeatPenalty: 1.1, PenaltyLastN: 12}
	cases := []struct {
		name string
		cfg  head.SamplerConfig
	}{
		{"zero-τ=1", head.SamplerConfig{Temperature: 1}},
		{"repeat", head.SamplerConfig{Temperature: 1, RepeatPenalty: 1.8}},
		{"freq-presence-lastN", head.SamplerConfig{Temperature: 1, FrequencyPenalty: 0.4, PresencePenalty: 0.3, PenaltyLastN: 6}},
		{"all-penalties", head.SamplerConfig{Temperature: 1.2, RepeatPenalty: 1.3, FrequencyPenalty: 0.2, PresencePenalty: -0.1}},
		{"bias-banned", head.SamplerConfig{Temperature: 1, LogitBias: map[int]float32{0: 2, 8: -1.5, 13: 4}, Banned: []int{12, 3}}},
		{"allowed", head.SamplerConfig{Temperature: 1, Allowed: []int{0, 1, 2, 5, 8, 10, 12}, LogitBias: map[int]float32{2: 2}}},
		{"min-tokens", head.SamplerConfig{Temperature: 1, MinTokens: 1 << 30, EOS: []int{8, 12}}},
		{"dry", head.SamplerConfig{Temperature: 1, DRY: head.DRYConfig{Multiplier: 0.8, Base: 2}}},
		{"dry-breaker", head.SamplerConfig{Temperature: 1, DRY: head.DRYConfig{Multiplier: 0.8, AllowedLength: 1, SequenceBreakers: [][]int{{4, 0}}}}},
		{"typical-0.5", head.SamplerConfig{Temperature: 1, TypicalP: 0.5}},
		{"typical-0.9-τ=0.7", head.SamplerConfig{Temperature: 0.7, TypicalP: 0.9}},
		{"top-n-σ-1", head.SamplerConfig{Temperature: 1, TopNSigma: 1}},
		{"top-n-σ-0.3-τ=2", head.SamplerConfig{Temperature: 2, TopNSigma: 0.3}},
		{"xtc-0.5-0.1", head.SamplerConfig{Temperature: 1, XTCProbability: 0.5, XTCThreshold: 0.1}},
		{"xtc-1-0.2", head.SamplerConfig{Temperature: 1, XTCProbability: 1, XTCThreshold: 0.2}},
		{"dyn-temp-first", head.SamplerConfig{Temperature: 1, DynTempRange: 0.6}},
		{"dyn-temp-last-k", head.SamplerConfig{Temperature: 0.9, DynTempRange: 0.5, DynTempExponent: 2, TemperatureLast: true, TopK: 6}},
		{"last-k-p-minp", head.SamplerConfig{Temperature: 0.6, TemperatureLast: true, TopK: 7, TopP: 0.9, MinP: 0.1}},
		{"last-p-τ=2", head.SamplerConfig{Temperature: 2, TemperatureLast: true, TopP: 0.7}},
		{"llama.cpp-default", llama},
		{"everything", head.SamplerConfig{Temperature: 1.3, TopNSigma: 2, TopK: 10, TypicalP: 0.95, TopP: 0.97, MinP: 0.02, XTCProbability: 0.3, XTCThreshold: 0.15, RepeatPenalty: 1.2, FrequencyPenalty: 0.1, DRY: head.DRYConfig{Multiplier: 0.5}, LogitBias: map[int]float32{9: 1}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			cfg.Seed = 17
			s, err := head.NewSampler(cfg)
			require.NoError(t, err)
			p := refChain(chainScores, chainHistory, 0, cfg, 0)
			counts := make([]int, len(chainScores))
			for range chiDraws() {
				tok, err := s.SampleWith(chainScores, chainHistory)
				require.NoError(t, err)
				counts[tok]++
			}
			checkDraws(t, c.name, counts, p)
		})
	}
}

// TestSamplerChainLargeVocab runs the whole-vocabulary paths (block
// statistics, thresholds, radix selection) of each filter on 1000 scores.
func TestSamplerChainLargeVocab(t *testing.T) {
	r := tu.Rand(23)
	const V = 1000
	scores := make([]float32, V)
	for i := range scores {
		scores[i] = float32(r.NormFloat64() * 2)
		if i%17 == 3 {
			scores[i] = scores[i-1] // ties
		}
	}
	scores[40] = float32(math.NaN())
	scores[41] = float32(math.Inf(-1))
	hist := make([]int, 80)
	for i := range hist {
		hist[i] = r.IntN(V)
	}
	copy(hist[60:], hist[20:30]) // an n-gram repeat for DRY
	bias := map[int]float32{}
	for range 30 {
		bias[r.IntN(V)] = float32(r.NormFloat64())
	}
	cases := []head.SamplerConfig{
		{Temperature: 1, TypicalP: 0.6},
		{Temperature: 1, TopNSigma: 2},
		{Temperature: 1, TopK: 30},
		{Temperature: 0.8, TopP: 0.5, TemperatureLast: true},
		{Temperature: 0.4, XTCProbability: 0.7, XTCThreshold: 0.05},
		{Temperature: 1, DynTempRange: 0.4},
		{Temperature: 0.7, TemperatureLast: true, TopK: 40, TopP: 0.95, MinP: 0.05, RepeatPenalty: 1.1, PenaltyLastN: 64, LogitBias: bias, DRY: head.DRYConfig{Multiplier: 1}},
	}
	n := chiDraws()
	if !tu.Short() {
		n = 100_000
	}
	for _, c := range cases {
		c.Seed = 5
		name := fmt.Sprintf("%+v", c)
		t.Run("", func(t *testing.T) {
			s, err := head.NewSampler(c)
			require.NoError(t, err)
			p := refChain(scores, hist, 0, c, 0)
			counts := make([]int, V)
			for range n {
				tok, err := s.SampleWith(scores, hist)
				require.NoError(t, err)
				counts[tok]++
			}
			checkDraws(t, name, counts, p)
		})
	}
}

// TestMirostat checks the first step's distribution (fresh Samplers, μ =
// 2τ) by χ², and the evolution of μ against the float64 reference: the
// drawn token must be one the truncation at the reference μ keeps.
func TestMirostat(t *testing.T) {
	cfg := head.SamplerConfig{Temperature: 1, MirostatTau: 3, MirostatEta: 0.2}
	p := refChain(chainScores, nil, 0, cfg, 6)
	counts := make([]int, len(chainScores))
	for i := range chiDraws() {
		cfg.Seed = uint64(i)
		s, err := head.NewSampler(cfg)
		require.NoError(t, err)
		tok, err := s.Sample(chainScores)
		require.NoError(t, err)
		counts[tok]++
	}
	checkDraws(t, "mirostat step 1", counts, p)

	// Later steps: μ follows the observed surprise.
	cfg.Seed = 3
	s, err := head.NewSampler(cfg)
	require.NoError(t, err)
	mu := 2 * float64(cfg.MirostatTau)
	for step := range 200 {
		q := refChain(chainScores, nil, 0, cfg, mu)
		tok, err := s.Sample(chainScores)
		require.NoError(t, err)
		require.Greaterf(t, q[tok], 0.0, "step %d: token %d outside the truncation at μ=%v", step, tok, mu)
		mu -= float64(cfg.MirostatEta) * (-math.Log2(q[tok]) - float64(cfg.MirostatTau))
	}
}

func TestSamplerZeroValueAndCorners(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, c := range []head.SamplerConfig{{}, {TopP: 0.5, MinP: 0.3, TopK: 2, TypicalP: 0.2}, {LogitBias: map[int]float32{0: 1}}} {
		s, err := head.NewSampler(c)
		require.NoError(t, err, "%+v", c)
		for _, tc := range []struct {
			x    []float32
			want int
		}{
			{[]float32{1, 3, 3, 2}, 1},           // ties: lower index
			{[]float32{nan, 1, nan}, 1},          // NaN is -Inf
			{[]float32{-inf, 2, inf, inf}, 2},    // +Inf, first of them
			{[]float32{5}, 0},                    // one token
			{[]float32{0.5, nan, 0.5, 0.49}, 0},  // ties with NaN around
			{[]float32{-1, -inf, -0.5, -0.5}, 2}, // negative
			{[]float32{-inf, -inf, 7, -inf}, 2},  // one finite
			{[]float32{1, 1.0000001, 1, 1}, 1},   // close values
			{[]float32{0, float32(math.Copysign(0, -1)), 0}, 0},
		} {
			x := tc.x
			if c.LogitBias != nil {
				x = append([]float32{-100}, x...)
			}
			got, err := s.Sample(x)
			require.NoError(t, err)
			want := tc.want
			if c.LogitBias != nil {
				want++
			}
			require.Equal(t, want, got, "%+v %v", c, x)
		}
	}
	// Empty vocabulary, all -Inf after the chain.
	for _, c := range []head.SamplerConfig{{}, {Temperature: 1, TopP: 0.9, TypicalP: 0.5, XTCProbability: 1, XTCThreshold: 0.1}} {
		s, err := head.NewSampler(c)
		require.NoError(t, err)
		_, err = s.Sample(nil)
		require.Error(t, err)
		for _, x := range [][]float32{{nan}, {-inf, nan}} {
			_, err = s.Sample(x)
			require.ErrorIs(t, err, head.ErrNoCandidates)
		}
	}
	for _, c := range []head.SamplerConfig{
		{Temperature: 1, Banned: []int{0, 1, 2}},
		{Temperature: 1, Allowed: []int{1, 2}},
		{Allowed: []int{1, 2}},
		{Temperature: 1, LogitBias: map[int]float32{0: float32(math.Inf(-1))}, Banned: []int{1, 2}},
		{Temperature: 1, MinTokens: 2, EOS: []int{0, 1, 2}},
	} {
		s, err := head.NewSampler(c)
		require.NoError(t, err)
		_, err = s.Sample([]float32{1, 2, 3})
		if c.Allowed != nil {
			_, err = s.Sample([]float32{1, nan, -inf})
		}
		require.ErrorIs(t, err, head.ErrNoCandidates, "%+v", c)
	}
	// One token, every filter on.
	s, err := head.NewSampler(head.SamplerConfig{Temperature: 1, TopK: 3, TopP: 0.5, MinP: 0.5, TypicalP: 0.5, TopNSigma: 1, XTCProbability: 1, XTCThreshold: 0.1, MirostatTau: 1, DynTempRange: 0.5, RepeatPenalty: 2, DRY: head.DRYConfig{Multiplier: 1}})
	require.NoError(t, err)
	for range 10 {
		tok, err := s.SampleWith([]float32{3}, []int{0, 0, 0, 0})
		require.NoError(t, err)
		require.Zero(t, tok)
	}
	// MinTokens: EOS suppressed for exactly MinTokens tokens.
	s, err = head.NewSampler(head.SamplerConfig{MinTokens: 3, EOS: []int{1}})
	require.NoError(t, err)
	var got []int
	for range 5 {
		tok, err := s.Sample([]float32{0, 9, 1})
		require.NoError(t, err)
		got = append(got, tok)
	}
	require.Equal(t, []int{2, 2, 2, 1, 1}, got)
}

func TestSamplerConfigErrors(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, c := range []struct {
		cfg   head.SamplerConfig
		field string
	}{
		{head.SamplerConfig{TopP: 1.5}, "TopP"},
		{head.SamplerConfig{TypicalP: -0.1}, "TypicalP"},
		{head.SamplerConfig{TypicalP: nan}, "TypicalP"},
		{head.SamplerConfig{TopNSigma: -1}, "TopNSigma"},
		{head.SamplerConfig{TopNSigma: inf}, "TopNSigma"},
		{head.SamplerConfig{XTCProbability: 1.1}, "XTCProbability"},
		{head.SamplerConfig{XTCProbability: 0.5}, "XTCThreshold"},
		{head.SamplerConfig{XTCProbability: 0.5, XTCThreshold: 0.6}, "XTCThreshold"},
		{head.SamplerConfig{MirostatTau: -1}, "MirostatTau"},
		{head.SamplerConfig{MirostatEta: nan}, "MirostatEta"},
		{head.SamplerConfig{RepeatPenalty: -1}, "RepeatPenalty"},
		{head.SamplerConfig{FrequencyPenalty: inf}, "FrequencyPenalty"},
		{head.SamplerConfig{PresencePenalty: nan}, "PresencePenalty"},
		{head.SamplerConfig{PenaltyLastN: -1}, "PenaltyLastN"},
		{head.SamplerConfig{DynTempRange: -0.5}, "DynTempRange"},
		{head.SamplerConfig{DynTempExponent: nan}, "DynTempExponent"},
		{head.SamplerConfig{DRY: head.DRYConfig{Multiplier: -1}}, "DRY.Multiplier"},
		{head.SamplerConfig{DRY: head.DRYConfig{Base: 0.5}}, "DRY.Base"},
		{head.SamplerConfig{DRY: head.DRYConfig{AllowedLength: -1}}, "DRY.AllowedLength"},
		{head.SamplerConfig{DRY: head.DRYConfig{PenaltyLastN: -2}}, "DRY.PenaltyLastN"},
		{head.SamplerConfig{DRY: head.DRYConfig{SequenceBreakers: [][]int{{1}, {}}}}, "DRY.SequenceBreakers[1]"},
		{head.SamplerConfig{DRY: head.DRYConfig{SequenceBreakers: [][]int{{1, -2}}}}, "DRY.SequenceBreakers[0]"},
		{head.SamplerConfig{LogitBias: map[int]float32{-1: 1}}, "LogitBias"},
		{head.SamplerConfig{LogitBias: map[int]float32{3: nan}}, "LogitBias"},
		{head.SamplerConfig{Allowed: []int{1, -3}}, "Allowed"},
		{head.SamplerConfig{Banned: []int{-3}}, "Banned"},
		{head.SamplerConfig{MinTokens: -1}, "MinTokens"},
		{head.SamplerConfig{MinTokens: 2}, "EOS"},
		{head.SamplerConfig{MinTokens: 2, EOS: []int{-1}}, "EOS"},
	} {
		_, err := head.NewSampler(c.cfg)
		require.Error(t, err, "%+v", c.cfg)
		require.Contains(t, err.Error(), "head: SamplerConfig."+c.field+": ")
	}
	// Ids past the vocabulary, in the configuration or the history: an
	// error naming the id, at the call.
	x := []float32{1, 2, 3}
	for _, c := range []struct {
		cfg  head.SamplerConfig
		hist []int
		want string
	}{
		{head.SamplerConfig{LogitBias: map[int]float32{7: 1}}, nil, "SamplerConfig.LogitBias: token id 7"},
		{head.SamplerConfig{Allowed: []int{0, 3}}, nil, "SamplerConfig.Allowed: token id 3"},
		{head.SamplerConfig{Banned: []int{5}}, nil, "SamplerConfig.Banned: token id 5"},
		{head.SamplerConfig{MinTokens: 1, EOS: []int{9}}, nil, "SamplerConfig.EOS: token id 9"},
		{head.SamplerConfig{DRY: head.DRYConfig{Multiplier: 1, SequenceBreakers: [][]int{{0, 4}}}}, nil, "SamplerConfig.DRY.SequenceBreakers[0]: token id 4"},
		{head.SamplerConfig{RepeatPenalty: 1.1}, []int{0, 1, 3}, "history[2]: token id 3"},
		{head.SamplerConfig{}, []int{-1}, "history[0]: token id -1"},
	} {
		s, err := head.NewSampler(c.cfg)
		require.NoError(t, err)
		_, err = s.SampleWith(x, c.hist)
		require.ErrorContains(t, err, c.want)
		require.False(t, errors.Is(err, head.ErrNoCandidates))
	}
}

// TestSamplerReproducible: the same seed, scores and histories give the
// same tokens, with every stateful step on (XTC's draws, mirostat's μ,
// MinTokens' count).
func TestSamplerReproducible(t *testing.T) {
	cfg := head.SamplerConfig{Temperature: 1.1, TopK: 12, XTCProbability: 0.5, XTCThreshold: 0.1, MirostatTau: 3, MinTokens: 5, EOS: []int{8}, RepeatPenalty: 1.2, Seed: 9}
	run := func() []int {
		s, err := head.NewSampler(cfg)
		require.NoError(t, err)
		hist := slicesClone(chainHistory)
		for range 300 {
			tok, err := s.SampleWith(chainScores, hist)
			require.NoError(t, err)
			hist = append(hist, tok)
		}
		return hist
	}
	a, b := run(), run()
	require.Equal(t, a, b)
	require.NotContains(t, a[len(chainHistory):len(chainHistory)+5], 8)
	require.False(t, strings.Contains(fmt.Sprint(a), "-"))
}

func slicesClone(x []int) []int { return append([]int(nil), x...) }
