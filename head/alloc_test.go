package head_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lmhead/lmhead/head"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// TestNoAllocs: with dst given (and a warm Sampler), the per-token methods
// allocate nothing, for every kind of head, on one worker and split
// across several.
func TestNoAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items at random")
	}
	r := tu.Rand(60)
	runs := 20
	if tu.Short() {
		runs = 3
	}
	withWorkers := func(c head.Config, w int) head.Config { c.Workers = w; return c }
	softcap := plainCfg(r, shape{700, 64})
	softcap.Softcap, softcap.LogitScale, softcap.Bias = 20, 2, fill(r, 700, 1)
	cases := []struct {
		name string
		cfg  head.Config
	}{
		{"plain", plainCfg(r, shape{1000, 64})},
		{"plain-2-workers", withWorkers(plainCfg(r, bigShape), 2)},
		{"softcap-scale-bias", softcap},
		{"dense", denseCfg(head.GELU)(r, shape{500, 64})},
		{"dense-2-workers", withWorkers(denseCfg(head.ReLU)(r, shape{3000, 300}), 2)},
		{"mos", mosCfg(r, 600, 32, 24, 3, true)},
		{"mos-2-workers", withWorkers(mosCfg(r, 4000, 64, 64, 2, true), 2)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h := mustNew(t, c.cfg)
			hidden := fill(r, c.cfg.Hidden, 1)
			dst := make([]float32, c.cfg.Vocab)
			samplers := map[string]*head.Sampler{}
			for name, sc := range map[string]head.SamplerConfig{
				"plain":  {Temperature: 0.9, TopP: 1},
				"topk":   {Temperature: 0.9, TopK: 50, TopP: 1},
				"topp":   {Temperature: 0.9, TopP: 0.9},
				"minp":   {Temperature: 0.9, MinP: 0.05, TopP: 1},
				"all":    {Temperature: 0.9, TopK: 200, TopP: 0.95, MinP: 0.01},
				"greedy": {TopP: 1},
				// The cuts (rejection against SumWhereIn) and the entropy
				// filters.
				"typical":   {Temperature: 1, TypicalP: 0.9},
				"topp-wide": {Temperature: 1.5, TopP: 0.99},
				"dyntemp":   {Temperature: 1, DynTempRange: 0.5},
			} {
				s, err := head.NewSampler(sc)
				require.NoError(t, err)
				samplers[name] = s
			}
			calls := map[string]func(){
				"Logits":   func() { h.Logits(dst, hidden) },
				"Probs":    func() { h.Probs(dst, hidden, 0.7) },
				"Probs0":   func() { h.Probs(dst, hidden, 0) },
				"LogProbs": func() { h.LogProbs(dst, hidden, 1.5) },
				"Greedy":   func() { h.Greedy(hidden) },
				"LogProb":  func() { h.LogProb(hidden, 3) },
			}
			for name, s := range samplers {
				calls["Sample/"+name] = func() {
					if _, err := h.Sample(hidden, s); err != nil {
						panic(err)
					}
				}
				calls["Sampler.Sample/"+name] = func() {
					if _, err := s.Sample(dst); err != nil {
						panic(err)
					}
				}
			}
			var lp head.LogProbs
			lps := samplers["plain"]
			calls["Sampler.SampleLogProbs"] = func() {
				if _, err := lps.SampleLogProbs(dst, nil, 20, &lp); err != nil {
					panic(err)
				}
			}
			h.Logits(dst, hidden)
			for name, f := range calls {
				f() // warm: pool scratch, sampler buffers, worker goroutines
				require.Zerof(t, testing.AllocsPerRun(runs, f), "%s allocates", name)
			}
		})
	}
}
