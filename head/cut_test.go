package head_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lmhead/lmhead/head"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// TestSamplerCuts checks top-p and typical-p over the whole vocabulary,
// both by rejection against the masked sum (the cut) and by the exact
// selection it falls back to (forced with no tries), against the float64
// reference chain by χ². The scores have ties across the nucleus boundary,
// a NaN and a -Inf; the cut path must really be taken (and, with tries,
// seldom fall back).
func TestSamplerCuts(t *testing.T) {
	r := tu.Rand(41)
	const V = 1500
	scores := make([]float32, V)
	for i := range scores {
		scores[i] = float32(math.Round(r.NormFloat64()*8) / 4) // a grid: many ties
	}
	scores[7] = float32(math.NaN())
	scores[8] = float32(math.Inf(-1))
	peaky := append([]float32(nil), scores...)
	peaky[1000] = 12
	cases := []struct {
		name   string
		x      []float32
		cfg    head.SamplerConfig
		cutted bool // the configuration is left to the draw
	}{
		{"top-p-0.95", scores, head.SamplerConfig{Temperature: 1, TopP: 0.95}, true},
		{"top-p-0.99-τ=1.5", scores, head.SamplerConfig{Temperature: 1.5, TopP: 0.99}, true},
		{"top-p-0.5-τ=0.5", scores, head.SamplerConfig{Temperature: 0.5, TopP: 0.5}, true},
		{"top-p-0.9-peaky", peaky, head.SamplerConfig{Temperature: 1, TopP: 0.9}, true},
		{"typical-0.9", scores, head.SamplerConfig{Temperature: 1, TypicalP: 0.9}, true},
		{"typical-0.5-τ=2", scores, head.SamplerConfig{Temperature: 2, TypicalP: 0.5}, true},
		{"typical-0.8-peaky", peaky, head.SamplerConfig{Temperature: 1, TypicalP: 0.8}, true},
		{"top-p-0.3", scores, head.SamplerConfig{Temperature: 1, TopP: 0.3}, false},
		{"typical-then-top-p", scores, head.SamplerConfig{Temperature: 1, TypicalP: 0.9, TopP: 0.9}, false},
		{"top-p-then-min-p", scores, head.SamplerConfig{Temperature: 1, TopP: 0.9, MinP: 0.01}, false},
		{"top-p-temperature-last", scores, head.SamplerConfig{Temperature: 0.7, TemperatureLast: true, TopP: 0.9}, false},
	}
	n := chiDraws()
	for _, tries := range []int{-1, 0} {
		for _, c := range cases {
			t.Run(fmt.Sprintf("%s/tries=%d", c.name, tries), func(t *testing.T) {
				if tries >= 0 {
					defer head.SetCutTries(tries)()
				}
				cfg := c.cfg
				cfg.Seed = 3
				s, err := head.NewSampler(cfg)
				require.NoError(t, err)
				p := refChain(c.x, nil, 0, cfg, 0)
				counts := make([]int, V)
				d0, f0 := head.CutCounts(s)
				for range n {
					tok, err := s.Sample(c.x)
					require.NoError(t, err)
					counts[tok]++
				}
				checkDraws(t, c.name, counts, p)
				d1, f1 := head.CutCounts(s)
				draws, falls := d1-d0, f1-f0
				switch {
				case !c.cutted:
					require.Zero(t, draws, "not a cut configuration, yet cut")
				case tries == 0:
					require.Equal(t, n, falls, "forced fallback")
				default:
					require.Equal(t, n, draws, "every draw is a cut draw")
					// Each try keeps with probability ≥ 1/2: four all
					// rejected at most 1/16 of the time.
					require.Less(t, falls, n/8, "fallbacks")
				}
			})
		}
	}
}
