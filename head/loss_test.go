package head_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lmhead/lmhead"
	"github.com/lmhead/lmhead/head"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// refCE is torch.nn.functional.cross_entropy(reduction="mean") in float64
// on the reference logits, with its bound: per position, the bound of the
// log-probabilities involved.
func refCE(cfg head.Config, hidden []float32, targets []int, ignore int, eps float64) (mean, bound float64, n int) {
	d := cfg.Hidden
	var sum, sumB float64
	for i, tg := range targets {
		if tg == ignore {
			continue
		}
		h := hidden[i*d : (i+1)*d]
		var lp []val
		if cfg.MoS != nil {
			lp, _ = refMoS(cfg, h, 1)
		} else {
			lp = refLogSoftmax(refLogits(cfg, h), 1)
		}
		nll, b := -lp[tg].v, lp[tg].b
		if eps != 0 {
			var s, sb float64
			for _, p := range lp {
				s += p.v
				sb = max(sb, p.b)
			}
			nll = (1-eps)*nll + eps*(-s/float64(len(lp)))
			b = (1-eps)*b + eps*sb
		}
		sum += nll
		sumB += b
		n++
	}
	if n == 0 {
		return math.NaN(), 0, 0
	}
	return sum / float64(n), sumB/float64(n) + 1e-12, n
}

func TestCrossEntropyReference(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(50)
		cases := []struct {
			name string
			cfg  head.Config
		}{
			{"plain", plainCfg(r, shape{300, 40})},
			{"dense-softcap", func() head.Config {
				c := denseCfg(head.Tanh)(r, shape{257, 33})
				c.Softcap, c.LogitScale = 3, 2
				return c
			}()},
			{"big", plainCfg(r, bigShape)},
			{"wide", plainCfg(r, shape{100, 2000})}, // a few W rows per cached block
			{"mos", mosCfg(r, 200, 16, 12, 3, true)},
		}
		for _, c := range cases {
			for _, eps := range []float32{0, 0.1, 1} {
				for _, workers := range []int{1, 2} {
					t.Run(fmt.Sprintf("%s/eps=%v/w=%d", c.name, eps, workers), func(t *testing.T) {
						cfg := c.cfg
						cfg.Workers = workers
						h := mustNew(t, cfg)
						const n = 7
						hidden := fill(r, n*cfg.Hidden, 1)
						targets := []int{3, -100, 0, cfg.Vocab - 1, -100, 17 % cfg.Vocab, 5}
						loss, err := h.CrossEntropy(hidden, targets, head.LossOptions{LabelSmoothing: eps})
						require.NoError(t, err)
						want, bound, cnt := refCE(cfg, hidden, targets, -100, float64(eps))
						require.Equal(t, cnt, loss.Tokens)
						require.InDelta(t, want, loss.MeanNLL, bound)
						require.InDelta(t, math.Exp(want), loss.Perplexity, math.Exp(want)*bound*1.01)
						require.InDelta(t, loss.MeanNLL*float64(loss.Tokens), loss.SumNLL, 1e-9*loss.SumNLL)
						if eps == 0 {
							// The mean of LogProb, position by position.
							var s float64
							for i, tg := range targets {
								if tg != -100 {
									s -= float64(h.LogProb(hidden[i*cfg.Hidden:(i+1)*cfg.Hidden], tg))
								}
							}
							require.InDelta(t, s/float64(cnt), loss.MeanNLL, 2*bound)
						}
					})
				}
			}
		}
	})
}

func TestCrossEntropyOptions(t *testing.T) {
	r := tu.Rand(51)
	cfg := plainCfg(r, shape{20, 8})
	h := mustNew(t, cfg)
	hidden := fill(r, 4*8, 1)

	// Every target ignored: NaN, as torch.
	loss, err := h.CrossEntropy(hidden, []int{-100, -100, -100, -100}, head.LossOptions{})
	require.NoError(t, err)
	require.True(t, math.IsNaN(loss.MeanNLL))
	require.True(t, math.IsNaN(loss.Perplexity))
	require.Zero(t, loss.Tokens)
	// No positions at all: the same.
	loss, err = h.CrossEntropy(nil, nil, head.LossOptions{})
	require.NoError(t, err)
	require.True(t, math.IsNaN(loss.MeanNLL))

	// A custom index; then -100 is an ordinary (invalid) target.
	loss, err = h.CrossEntropy(hidden, []int{5, 1, 5, 2}, head.LossOptions{IgnoreIndex: 5})
	require.NoError(t, err)
	require.Equal(t, 2, loss.Tokens)
	want, _, _ := refCE(cfg, hidden, []int{5, 1, 5, 2}, 5, 0)
	require.InDelta(t, want, loss.MeanNLL, 1e-5)
	_, err = h.CrossEntropy(hidden, []int{-100, 1, 5, 2}, head.LossOptions{IgnoreIndex: 5})
	require.ErrorContains(t, err, "targets[0]=-100")

	// Token 0 itself.
	loss, err = h.CrossEntropy(hidden, []int{0, 1, 0, 2}, head.LossOptions{IgnoreIndex: head.IgnoreTokenZero})
	require.NoError(t, err)
	require.Equal(t, 2, loss.Tokens)
	loss2, err := h.CrossEntropy(hidden, []int{0, 1, 0, 2}, head.LossOptions{})
	require.NoError(t, err)
	require.Equal(t, 4, loss2.Tokens, "the zero value ignores -100, not 0")

	// Errors.
	_, err = h.CrossEntropy(hidden[:31], []int{1, 2, 3, 4}, head.LossOptions{})
	require.ErrorContains(t, err, "len(hidden)=31, want len(targets)×Hidden = 4×8 = 32")
	_, err = h.CrossEntropy(hidden, []int{1, 2, 20, 4}, head.LossOptions{})
	require.ErrorContains(t, err, "targets[2]=20, want in [0, 20)")
	for _, eps := range []float32{-0.1, 1.5, float32(math.NaN())} {
		_, err = h.CrossEntropy(hidden, []int{1, 2, 3, 4}, head.LossOptions{LabelSmoothing: eps})
		require.ErrorContains(t, err, "LossOptions.LabelSmoothing")
	}
}
