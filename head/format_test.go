package head_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lmhead/lmhead"
	"github.com/lmhead/lmhead/head"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// withFormat replaces cfg's float32 unembedding (V×e) by the same values
// quantized to format f and returns the Config of the Head under test
// (Matrix set) and the reference Config (Weight set to the exactly decoded
// weights, through the reference decoder of testutil).
func withFormat(r *rand.Rand, f lmhead.Format, cfg head.Config, e int) (test, ref head.Config) {
	m, err := lmhead.Quantize(f, fill(r, cfg.Vocab*e, 1), cfg.Vocab, e)
	if err != nil {
		panic(err)
	}
	test, ref = cfg, cfg
	test.Weight, test.Matrix = nil, m
	w, _ := tu.RefDecode(f, m.Bytes())
	ref.Weight = make([]float32, len(w))
	for i, v := range w {
		ref.Weight[i] = float32(v)
	}
	return test, ref
}

// TestFormatHead runs every method of heads over every weight format
// (plain, bias, Dense, softcap and scale; one worker and two) against the
// float64 reference over the decoded weights, on every level.
func TestFormatHead(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(40)
		for _, f := range lmhead.Formats() {
			for _, v := range variants {
				switch v.name {
				case "plain", "bias", "dense-gelu", "bias-softcap-scale":
				default:
					continue
				}
				shapes := []shape{{3, 256}, {257, 512}, {3001, 256}}
				if tu.Short() {
					// Under an emulator: one small shape per variant.
					shapes = []shape{{3, 256}}
					if v.name == "plain" || v.name == "bias-softcap-scale" {
						shapes = []shape{{65, 256}}
					}
				}
				for _, s := range shapes {
					t.Run(fmt.Sprintf("%v/%s/%dx%d", f, v.name, s.V, s.d), func(t *testing.T) {
						cfg := v.make(r, s)
						e := s.d
						if cfg.Dense != nil {
							// The Dense output feeds the unembedding: give
							// it a width the K-quants accept.
							e = 256
							cfg.Dense = &head.Dense{Out: e, Weight: fill(r, e*s.d, 0.1), Bias: fill(r, e, 0.1), Act: cfg.Dense.Act}
						}
						test, ref := withFormat(r, f, cfg, e)
						hidden := fill(r, s.d, 0.05)
						for _, workers := range []int{1, 2} {
							test.Workers = workers
							checkHead(t, mustNew(t, test), ref, hidden)
						}
					})
				}
			}
		}
	})
}

// TestFormatHeadMoS checks a Mixture of Softmaxes whose shared
// unembedding is quantized.
func TestFormatHeadMoS(t *testing.T) {
	r := tu.Rand(41)
	for _, f := range lmhead.Formats() {
		cfg := mosCfg(r, 300, 16, 256, 3, true)
		test, ref := withFormat(r, f, cfg, 256)
		for i := range test.MoS.Latent {
			test.MoS.Latent[i] *= 0.05
		}
		checkMoS(t, mustNew(t, test), ref, fill(r, 16, 1))
	}
}

// TestFormatHeadLossAndSample checks CrossEntropy and Sample over every
// format against the head over the decoded float32 weights: the same loss
// within the bound of summing per-position log-probabilities, and the same
// tokens from the same seed (the logits agree to a few ulps, so a
// different draw would need a uniform variate within a few ulps of a
// boundary).
func TestFormatHeadLossAndSample(t *testing.T) {
	r := tu.Rand(42)
	for _, f := range lmhead.Formats() {
		cfg := plainCfg(r, shape{500, 512})
		test, ref := withFormat(r, f, cfg, 512)
		test.Workers, ref.Workers = 2, 1
		ht, hr := mustNew(t, test), mustNew(t, ref)
		n := 6
		hidden := fill(r, n*512, 0.05)
		targets := []int{0, 499, 7, 250, 3, 1}
		lt, err := ht.CrossEntropy(hidden, targets, head.LossOptions{})
		require.NoError(t, err)
		lr, err := hr.CrossEntropy(hidden, targets, head.LossOptions{})
		require.NoError(t, err)
		require.InDelta(t, lr.MeanNLL, lt.MeanNLL, 1e-4*(1+math.Abs(lr.MeanNLL)), "%v CrossEntropy", f)

		st, _ := head.NewSampler(head.SamplerConfig{Temperature: 0.9, TopK: 50, Seed: 7})
		sr, _ := head.NewSampler(head.SamplerConfig{Temperature: 0.9, TopK: 50, Seed: 7})
		for i := 0; i < 20; i++ {
			x := hidden[(i%n)*512 : (i%n+1)*512]
			a, err := ht.Sample(x, st)
			require.NoError(t, err)
			b, err := hr.Sample(x, sr)
			require.NoError(t, err)
			require.Equal(t, b, a, "%v Sample %d", f, i)
		}
	}
}

// TestFormatHeadErrors checks the Config errors of a Matrix unembedding.
func TestFormatHeadErrors(t *testing.T) {
	m, _ := lmhead.NewMatrix(lmhead.Q8_0, 10, 64, make([]byte, 10*68))
	for _, c := range []struct {
		cfg  head.Config
		want string
	}{
		{head.Config{Vocab: 10, Hidden: 64, Matrix: m, Weight: make([]float32, 640)}, "Config.Matrix: set together with Config.Weight"},
		{head.Config{Vocab: 11, Hidden: 64, Matrix: m}, "Config.Matrix: 10 rows, want Vocab = 11"},
		{head.Config{Vocab: 10, Hidden: 32, Matrix: m}, "Config.Matrix: 64 columns, want Hidden = 32"},
		{head.Config{Vocab: 10, Hidden: 8, Matrix: m, Dense: &head.Dense{Out: 32, Weight: make([]float32, 256)}}, "Config.Matrix: 64 columns, want Dense.Out = 32"},
	} {
		_, err := head.New(c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("New: %v, want %q", err, c.want)
		}
	}
	h, err := head.New(head.TiedMatrix(m))
	require.NoError(t, err)
	require.Equal(t, 10, h.Vocab())
	require.Equal(t, 64, h.Hidden())
}
