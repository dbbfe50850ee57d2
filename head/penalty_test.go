package head_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lmhead/lmhead/head"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// TestSamplerModifiers compares the scores after the logit modifiers
// (bias, repetition/frequency/presence penalties over a window, DRY with
// sequence breakers, bans, MinTokens) with the float64 reference, through
// the processed log-probabilities of a chain without filters at τ = 1
// (the log-softmax of the modified scores), on random histories over a
// small alphabet so that tokens and n-grams repeat.
func TestSamplerModifiers(t *testing.T) {
	r := tu.Rand(51)
	const V = 40
	scores := make([]float32, V)
	for i := range scores {
		scores[i] = float32(r.NormFloat64() * 2)
	}
	scores[7] = 0
	scores[9] = float32(math.NaN())
	orig := append([]float32(nil), scores...)
	for k := range 400 {
		hist := make([]int, r.IntN(70))
		alpha := 2 + r.IntN(6)
		for i := range hist {
			hist[i] = r.IntN(alpha) * 3
		}
		c := head.SamplerConfig{Temperature: 1}
		if r.IntN(2) == 0 {
			c.RepeatPenalty = 1 + r.Float32()
		}
		if r.IntN(2) == 0 {
			c.FrequencyPenalty, c.PresencePenalty = r.Float32()-0.3, r.Float32()-0.3
		}
		c.PenaltyLastN = r.IntN(3) * r.IntN(30)
		if r.IntN(3) > 0 {
			c.DRY = head.DRYConfig{Multiplier: r.Float32() * 2, Base: []float32{0, 1, 1.5, 3}[r.IntN(4)], AllowedLength: r.IntN(4), PenaltyLastN: r.IntN(2) * r.IntN(50)}
			for range r.IntN(4) {
				b := make([]int, 1+r.IntN(3))
				for i := range b {
					b[i] = r.IntN(alpha) * 3
				}
				c.DRY.SequenceBreakers = append(c.DRY.SequenceBreakers, b)
			}
		}
		if r.IntN(2) == 0 {
			c.LogitBias = map[int]float32{r.IntN(V): r.Float32() * 3, r.IntN(V): -r.Float32()}
		}
		if r.IntN(4) == 0 {
			c.Banned = []int{r.IntN(V)}
		}
		if r.IntN(4) == 0 {
			c.MinTokens, c.EOS = 1, []int{r.IntN(V), r.IntN(V)}
		}
		if r.IntN(4) == 0 {
			c.Allowed = seq(r.IntN(3), V, 1+r.IntN(3))
		}
		name := fmt.Sprintf("case %d: %+v hist %v", k, c, hist)
		s, err := head.NewSampler(c)
		require.NoError(t, err, name)
		x := refModify(scores, hist, 0, c)
		mx := math.Inf(-1)
		for _, v := range x {
			mx = max(mx, v)
		}
		if math.IsInf(mx, -1) {
			_, err := s.SampleWith(scores, hist)
			require.ErrorIs(t, err, head.ErrNoCandidates, name)
			continue
		}
		var z float64
		for _, v := range x {
			z += math.Exp(v - mx)
		}
		var lp head.LogProbs
		_, err = s.SampleLogProbs(scores, hist, V, &lp)
		require.NoError(t, err, name)
		seen := 0
		for _, e := range lp.TopProcessed {
			want := x[e.Token] - mx - math.Log(z)
			if math.IsInf(want, -1) {
				require.True(t, math.IsInf(float64(e.LogProb), -1), "%s: token %d: %v, want -Inf", name, e.Token, e.LogProb)
				continue
			}
			seen++
			if want < -80 { // e^want underflows float32: -Inf or close
				require.Lessf(t, float64(e.LogProb), -79.0, "%s: token %d", name, e.Token)
				continue
			}
			require.InDeltaf(t, want, float64(e.LogProb), 2e-4, "%s: token %d", name, e.Token)
		}
		finite := 0
		for _, v := range x {
			if !math.IsInf(v, -1) {
				finite++
			}
		}
		require.Equal(t, finite, seen, name)
		for i, v := range scores { // the caller's scores are never written
			require.Equal(t, math.Float32bits(orig[i]), math.Float32bits(v), name)
		}
	}
}
