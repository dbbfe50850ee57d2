package head_test

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lmhead/lmhead"
	"github.com/lmhead/lmhead/head"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// refDist is the sort-based float64 reference of the sampler: the exact
// distribution a Sampler with c draws from.
func refDist(scores []float32, c head.SamplerConfig) []float64 {
	n := len(scores)
	x := make([]float32, n)
	for i, v := range scores {
		if v != v {
			v = float32(math.Inf(-1))
		}
		x[i] = v
	}
	p := make([]float64, n)
	order := canonical(x)
	m := float64(x[order[0]])
	if math.IsInf(m, 1) {
		for i, v := range x {
			if math.IsInf(float64(v), 1) {
				x[i] = 0
			} else {
				x[i] = float32(math.Inf(-1))
			}
		}
		m = 0
	}
	if c.Temperature == 0 {
		p[order[0]] = 1
		return p
	}
	s := 1 / float64(c.Temperature)
	w := make([]float64, n)
	for i, v := range x {
		w[i] = math.Exp(s * (float64(v) - m))
	}
	kept := order
	if c.TopK > 0 && c.TopK < n {
		kept = kept[:c.TopK]
	}
	if c.TopP > 0 && c.TopP < 1 {
		var tot float64
		for _, i := range kept {
			tot += w[i]
		}
		var cum float64
		for j, i := range kept {
			cum += w[i]
			if cum >= float64(c.TopP)*tot {
				kept = kept[:j+1]
				break
			}
		}
	}
	if c.MinP > 0 {
		thr := float64(c.MinP) * w[kept[0]]
		var out []int
		for _, i := range kept {
			if w[i] >= thr {
				out = append(out, i)
			}
		}
		kept = out
	}
	var tot float64
	for _, i := range kept {
		tot += w[i]
	}
	for _, i := range kept {
		p[i] = w[i] / tot
	}
	return p
}

// chiSquareCrit is the χ² quantile with df degrees of freedom at upper
// tail probability 10⁻⁶ (Wilson–Hilferty: z = 4.753). With a fixed seed
// the test is deterministic; the level says how surprising a failure is.
func chiSquareCrit(df int) float64 {
	const z = 4.753
	k := float64(df)
	a := 2 / (9 * k)
	return k * math.Pow(1-a+z*math.Sqrt(a), 3)
}

// checkDraws compares counts of draws against the distribution p: no draw
// may fall where p is 0, and χ² over the others must stay below the
// 10⁻⁶ quantile.
func checkDraws(t *testing.T, what string, counts []int, p []float64) {
	t.Helper()
	total := 0
	for _, c := range counts {
		total += c
	}
	// Tokens in order of probability, pooled into bins of at least 20
	// expected draws so that χ² is valid for the rare ones.
	var order []int
	for i, c := range counts {
		if p[i] == 0 {
			require.Zerof(t, c, "%s: token %d has probability 0 but was drawn %d times", what, i, c)
			continue
		}
		order = append(order, i)
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(p[b], p[a]) })
	var chi float64
	df := -1
	var binE, binC float64
	for j, i := range order {
		binE += p[i] * float64(total)
		binC += float64(counts[i])
		if binE < 20 && j < len(order)-1 {
			continue
		}
		chi += (binC - binE) * (binC - binE) / binE
		df++
		binE, binC = 0, 0
	}
	if df == 0 {
		return // one token: every draw was it
	}
	crit := chiSquareCrit(df)
	require.Lessf(t, chi, crit, "%s: χ² = %.1f with %d degrees of freedom (10⁻⁶ quantile %.1f)\ncounts %v\np %v", what, chi, df, crit, counts, p)
}

// draws is the number of draws per goodness-of-fit test: 200k, or 20k under
// -short and emulation (enough for χ² to catch any real bias on a small
// vocabulary: a wrong temperature or filter shifts probabilities by
// percents, which 20k draws resolve to a fraction of a percent).
func draws() int {
	if tu.Short() {
		return 20_000
	}
	return 200_000
}

// small is the vocabulary of the goodness-of-fit tests: a tie (1 and 3)
// in the top three, and a long enough tail for the filters to bite.
var small = []float32{1.0, 2.5, 0.3, 2.5, -1, 0.8, 1.7, -0.4, 3.1, 0.0}

func TestSamplerChiSquare(t *testing.T) {
	cases := []head.SamplerConfig{
		{Temperature: 0.5, TopP: 1}, {Temperature: 1, TopP: 1}, {Temperature: 2, TopP: 1},
		{Temperature: 1, TopK: 2, TopP: 1}, // the tie at 2.5: token 1 stays, 3 goes
		{Temperature: 2, TopK: 4, TopP: 1},
		{Temperature: 0.5, TopK: 3, TopP: 1},
		{Temperature: 1, TopP: 0.5},
		{Temperature: 2, TopP: 0.8},
		{Temperature: 0.5, TopP: 0.9},
		{Temperature: 1, MinP: 0.2, TopP: 1},
		{Temperature: 2, MinP: 0.5, TopP: 1},
		{Temperature: 1.5, TopK: 6, TopP: 0.9, MinP: 0.1},
		{Temperature: 2, TopK: 5, TopP: 0.7},
		{Temperature: 1, TopK: 1, TopP: 1},
		{Temperature: 1, TopP: 0.01},
		{Temperature: 1, MinP: 0.99, TopP: 1},
	}
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		for _, c := range cases {
			c.Seed = 42
			name := fmt.Sprintf("τ=%v,k=%d,p=%v,minp=%v", c.Temperature, c.TopK, c.TopP, c.MinP)
			t.Run(name, func(t *testing.T) {
				s, err := head.NewSampler(c)
				require.NoError(t, err)
				counts := make([]int, len(small))
				for range draws() {
					tok, err := s.Sample(small)
					require.NoError(t, err)
					counts[tok]++
				}
				checkDraws(t, name, counts, refDist(small, c))
			})
		}
	})
}

// TestSamplerLargeVocab runs the radix selection paths: thousands of
// scores, normal-ish with ties, top-p keeping hundreds, top-k below and
// above the sorting threshold, and combinations.
func TestSamplerLargeVocab(t *testing.T) {
	r := tu.Rand(20)
	const V = 2000
	scores := make([]float32, V)
	for i := range scores {
		scores[i] = float32(r.NormFloat64() * 1.5)
		if i%10 == 3 {
			scores[i] = scores[i-1] // ties
		}
	}
	scores[17] = float32(math.Inf(-1))
	scores[18] = float32(math.NaN())
	cases := []head.SamplerConfig{
		{Temperature: 1, TopP: 0.3},
		{Temperature: 0.7, TopK: 40, TopP: 1},
		{Temperature: 1, TopK: 300, TopP: 1},
		{Temperature: 1, TopK: 1000, TopP: 0.1},
		{Temperature: 1.3, TopP: 0.2, MinP: 0.05},
		{Temperature: 0.5, MinP: 0.02, TopP: 1},
	}
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		for _, c := range cases {
			c.Seed = 7
			name := fmt.Sprintf("τ=%v,k=%d,p=%v,minp=%v", c.Temperature, c.TopK, c.TopP, c.MinP)
			t.Run(name, func(t *testing.T) {
				p := refDist(scores, c)
				kept := 0
				for _, v := range p {
					if v > 0 {
						kept++
					}
				}
				s, err := head.NewSampler(c)
				require.NoError(t, err)
				counts := make([]int, V)
				for range draws() / 8 {
					tok, err := s.Sample(scores)
					require.NoError(t, err)
					counts[tok]++
				}
				t.Logf("%s keeps %d tokens", name, kept)
				checkDraws(t, name, counts, p)
			})
		}
	})
}

func TestSamplerCorners(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	mk := func(c head.SamplerConfig) *head.Sampler {
		s, err := head.NewSampler(c)
		require.NoError(t, err)
		return s
	}
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		// τ = 0: greedy, the lowest index among equal maxima.
		g := mk(head.SamplerConfig{TopP: 0.5, TopK: 3, MinP: 0.2})
		for range 10 {
			tok, err := g.Sample([]float32{1, 3, -inf, 3, 2})
			require.NoError(t, err)
			require.Equal(t, 1, tok)
		}
		tok, err := g.Sample([]float32{nan, 1, 3, nan})
		require.NoError(t, err)
		require.Equal(t, 2, tok, "NaN counts as -Inf, also for greedy")

		s := mk(head.SamplerConfig{Temperature: 1, Seed: 1, TopP: 1})
		for _, bad := range [][]float32{{nan}, {-inf}, {nan, -inf, nan}, {-inf, -inf, -inf, -inf}} {
			_, err := s.Sample(bad)
			require.ErrorIs(t, err, head.ErrNoCandidates, "%v", bad)
			_, err = g.Sample(bad)
			require.ErrorIs(t, err, head.ErrNoCandidates, "greedy %v", bad)
		}
		_, err = s.Sample(nil)
		require.Error(t, err)
		tok, err = s.Sample([]float32{5})
		require.NoError(t, err)
		require.Equal(t, 0, tok)

		// +Inf scores: uniform among them.
		counts := make([]int, 5)
		for range 30000 {
			tok, err := s.Sample([]float32{1, inf, 100, inf, nan})
			require.NoError(t, err)
			counts[tok]++
		}
		checkDraws(t, "+Inf", counts, []float64{0, 0.5, 0, 0.5, 0})

		// Off filters draw the very same sequence as no filter.
		scores := []float32{0.1, 0.5, -0.3, 0.9, 0.2, 0.4}
		ref := mk(head.SamplerConfig{Temperature: 1.3, Seed: 99, TopP: 1})
		for _, c := range []head.SamplerConfig{
			{Temperature: 1.3, Seed: 99, TopK: 6, TopP: 1},
			{Temperature: 1.3, Seed: 99, TopK: 600, TopP: 1},
			{Temperature: 1.3, Seed: 99, TopK: -1, TopP: 1},
			{Temperature: 1.3, Seed: 99, TopP: 1},
		} {
			a, b := mk(head.SamplerConfig{Temperature: 1.3, Seed: 99, TopP: 1}), mk(c)
			for range 1000 {
				x, _ := a.Sample(scores)
				y, _ := b.Sample(scores)
				require.Equal(t, x, y, "%+v", c)
			}
		}
		_ = ref

		// Same seed, same tokens; another seed, other tokens.
		a, b, other := mk(head.SamplerConfig{Temperature: 1, TopP: 0.9, Seed: 5}), mk(head.SamplerConfig{Temperature: 1, TopP: 0.9, Seed: 5}), mk(head.SamplerConfig{Temperature: 1, TopP: 0.9, Seed: 6})
		same, diff := 0, 0
		for range 1000 {
			x, _ := a.Sample(small)
			y, _ := b.Sample(small)
			z, _ := other.Sample(small)
			if x == y {
				same++
			}
			if x != z {
				diff++
			}
		}
		require.Equal(t, 1000, same)
		require.Greater(t, diff, 100)

		// A tiny positive τ whose inverse overflows float32 is greedy.
		tiny := mk(head.SamplerConfig{Temperature: 1e-40, TopP: 1})
		tok, err = tiny.Sample([]float32{1, 2, 2})
		require.NoError(t, err)
		require.Equal(t, 1, tok)
		// A small τ with large scores, where s·x overflows, still works.
		hot := mk(head.SamplerConfig{Temperature: 1e-35, Seed: 3, TopP: 1})
		tok, err = hot.Sample([]float32{1e5, 2e5, -3e5})
		require.NoError(t, err)
		require.Equal(t, 1, tok)
	})
}

func TestNewSamplerErrors(t *testing.T) {
	nan := float32(math.NaN())
	for _, c := range []struct {
		cfg   head.SamplerConfig
		field string
	}{
		{head.SamplerConfig{Temperature: -1, TopP: 1}, "Temperature"},
		{head.SamplerConfig{Temperature: nan, TopP: 1}, "Temperature"},
		{head.SamplerConfig{Temperature: float32(math.Copysign(0, -1)), TopP: 1}, "Temperature"},
		{head.SamplerConfig{Temperature: float32(math.Inf(1)), TopP: 1}, "Temperature"},
		{head.SamplerConfig{TopP: -0.1}, "TopP"},
		{head.SamplerConfig{TopP: 1.01}, "TopP"},
		{head.SamplerConfig{TopP: nan}, "TopP"},
		{head.SamplerConfig{MinP: -0.1, TopP: 1}, "MinP"},
		{head.SamplerConfig{MinP: 1, TopP: 1}, "MinP"},
		{head.SamplerConfig{MinP: nan, TopP: 1}, "MinP"},
	} {
		_, err := head.NewSampler(c.cfg)
		require.Error(t, err, "%+v", c.cfg)
		require.Contains(t, err.Error(), "SamplerConfig."+c.field)
	}
	for _, c := range []head.SamplerConfig{{}, {Temperature: 0.8}, {TopP: 1}, {TopP: 0.0001}, {MinP: 0.999, TopP: 1}, {TopK: -5, TopP: 1}, {Temperature: 1e30, TopP: 1}} {
		_, err := head.NewSampler(c)
		require.NoError(t, err, "%+v", c)
	}
}

// TestHeadSample draws through Head.Sample: a plain head against the
// reference distribution of its logits, a Mixture of Softmaxes both by the
// exact two-stage draw (component, then token) and through the filters on
// the mixture's log-probabilities.
func TestHeadSample(t *testing.T) {
	r := tu.Rand(21)
	plain := plainCfg(r, shape{12, 6})
	mos := mosCfg(r, 12, 6, 5, 3, true)
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		for _, c := range []struct {
			name string
			cfg  head.Config
			sc   head.SamplerConfig
		}{
			{"plain", plain, head.SamplerConfig{Temperature: 0.8, TopP: 1}},
			{"plain-topp", plain, head.SamplerConfig{Temperature: 1.2, TopP: 0.7}},
			{"mos-exact", mos, head.SamplerConfig{Temperature: 1, TopP: 1}},
			{"mos-exact-hot", mos, head.SamplerConfig{Temperature: 2, TopP: 1}},
			{"mos-topk", mos, head.SamplerConfig{Temperature: 0.7, TopK: 4, TopP: 1}},
			{"mos-topp-minp", mos, head.SamplerConfig{Temperature: 1, TopP: 0.8, MinP: 0.1}},
		} {
			t.Run(c.name, func(t *testing.T) {
				h := mustNew(t, c.cfg)
				hidden := fill(r, 6, 2)
				c.sc.Seed = 11
				s, err := head.NewSampler(c.sc)
				require.NoError(t, err)
				counts := make([]int, 12)
				for range draws() / 4 {
					tok, err := h.Sample(hidden, s)
					require.NoError(t, err)
					counts[tok]++
				}
				var p []float64
				if c.cfg.MoS != nil {
					// The filters see the mixture's log-probabilities at τ.
					lp := h.LogProbs(nil, hidden, c.sc.Temperature)
					f := c.sc
					f.Temperature = 1
					p = refDist(lp, f)
				} else {
					p = refDist(h.Logits(nil, hidden), c.sc)
				}
				checkDraws(t, c.name, counts, p)
			})
		}
		// Temperature 0 is Greedy.
		h := mustNew(t, mos)
		g, _ := head.NewSampler(head.SamplerConfig{TopP: 1})
		hidden := fill(r, 6, 1)
		tok, err := h.Sample(hidden, g)
		require.NoError(t, err)
		require.Equal(t, h.Greedy(hidden), tok)

		// At temperature 0 a head follows Sampler.Sample: NaN counts as
		// -Inf (Greedy lets it win), and no finite or +Inf logit is an
		// error, for plain and MoS heads alike.
		for _, c := range []struct {
			bias []float32
			want int
		}{
			{[]float32{0, float32(math.NaN()), 5, 1}, 2},
			{[]float32{float32(math.NaN()), float32(math.Inf(-1)), -3, float32(math.NaN())}, 2},
			{[]float32{float32(math.Inf(-1)), float32(math.Inf(-1)), float32(math.Inf(-1)), float32(math.Inf(-1))}, -1},
			{[]float32{float32(math.NaN()), float32(math.NaN()), float32(math.Inf(-1)), float32(math.NaN())}, -1},
		} {
			const V, d = 4, 3
			hc := mustNew(t, head.Config{Vocab: V, Hidden: d, Weight: make([]float32, V*d), Bias: c.bias, Workers: 1})
			want, wantErr := g.Sample(c.bias)
			got, err := hc.Sample(make([]float32, d), g)
			if c.want < 0 {
				require.ErrorIs(t, wantErr, head.ErrNoCandidates)
				require.ErrorIs(t, err, head.ErrNoCandidates, "bias %v", c.bias)
				continue
			}
			require.NoError(t, err)
			require.Equal(t, c.want, want, "Sampler.Sample(%v)", c.bias)
			require.Equal(t, c.want, got, "Head.Sample, bias %v", c.bias)
		}
	})
}
