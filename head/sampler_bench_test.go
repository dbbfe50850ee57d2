package head_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/lmhead/lmhead/head"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// benchScores are seeded logit-like scores: normal with σ = 3, the spread
// of real LM logits.
func benchScores(v int) []float32 {
	r := tu.Rand(uint64(v))
	x := make([]float32, v)
	for i := range x {
		x[i] = float32(r.NormFloat64() * 3)
	}
	return x
}

// benchHistory is 64 tokens of history with repeats, for the penalties.
func benchHistory(v int) []int {
	r := tu.Rand(7)
	h := make([]int, 64)
	for i := range h {
		h[i] = r.IntN(v)
		if i >= 8 && i%3 == 0 {
			h[i] = h[i-8]
		}
	}
	return h
}

// samplerBenchCases: each filter alone, llama.cpp's default chain, a hot
// wide nucleus, and the log-probs call.
var samplerBenchCases = []struct {
	name    string
	cfg     head.SamplerConfig
	history bool
	logN    int // > 0: SampleLogProbs with top-N
}{
	{"greedy", head.SamplerConfig{}, false, 0},
	{"plain-τ=1", head.SamplerConfig{Temperature: 1}, false, 0},
	{"penalties-64", head.SamplerConfig{Temperature: 1, RepeatPenalty: 1.1, FrequencyPenalty: 0.1, PresencePenalty: 0.1}, true, 0},
	{"logit-bias-16", head.SamplerConfig{Temperature: 1, LogitBias: map[int]float32{1: 2, 10: -3, 100: 1, 1000: -100, 2000: 5, 3000: 1, 4000: 1, 5000: 1, 6000: 1, 7000: 1, 8000: 1, 9000: 1, 10000: 1, 11000: 1, 12000: 1, 13000: 1}}, false, 0},
	{"allowed-1000", head.SamplerConfig{Temperature: 1, Allowed: seq(0, 128000, 128)}, false, 0},
	{"top-k-40", head.SamplerConfig{Temperature: 1, TopK: 40}, false, 0},
	{"top-p-0.95", head.SamplerConfig{Temperature: 1, TopP: 0.95}, false, 0},
	{"min-p-0.05", head.SamplerConfig{Temperature: 1, MinP: 0.05}, false, 0},
	{"typical-0.9", head.SamplerConfig{Temperature: 1, TypicalP: 0.9}, false, 0},
	{"top-n-σ-1", head.SamplerConfig{Temperature: 1, TopNSigma: 1}, false, 0},
	{"xtc-0.5-0.1", head.SamplerConfig{Temperature: 1, XTCProbability: 0.5, XTCThreshold: 0.1}, false, 0},
	{"mirostat-5", head.SamplerConfig{Temperature: 1, MirostatTau: 5}, false, 0},
	{"dry-0.8", head.SamplerConfig{Temperature: 1, DRY: head.DRYConfig{Multiplier: 0.8}}, true, 0},
	{"dyn-temp-0.5", head.SamplerConfig{Temperature: 1, DynTempRange: 0.5, TemperatureLast: true}, false, 0},
	{"llama.cpp-default", head.SamplerConfig{Temperature: 0.8, TemperatureLast: true, TopK: 40, TopP: 0.95, MinP: 0.05, RepeatPenalty: 1.1, PenaltyLastN: 64}, true, 0},
	{"τ=1.5-top-p-0.99", head.SamplerConfig{Temperature: 1.5, TopP: 0.99}, false, 0},
	{"logprobs-20", head.SamplerConfig{Temperature: 1}, false, 20},
	{"logprobs-20-llama.cpp-default", head.SamplerConfig{Temperature: 0.8, TemperatureLast: true, TopK: 40, TopP: 0.95, MinP: 0.05, RepeatPenalty: 1.1, PenaltyLastN: 64}, true, 20},
}

func seq(lo, hi, step int) []int {
	var out []int
	for i := lo; i < hi; i += step {
		out = append(out, i)
	}
	return out
}

// BenchmarkSamplerChain is the time per Sample of each chain at the
// vocabulary sizes of Llama 3 (128256) and Gemma (256000), or at the sizes
// LMHEAD_SAMPLER_VOCABS lists (comma-separated), to see how a chain scales.
func BenchmarkSamplerChain(b *testing.B) {
	vocabs := []int{128256, 256000}
	if env := os.Getenv("LMHEAD_SAMPLER_VOCABS"); env != "" {
		vocabs = vocabs[:0]
		for _, f := range strings.Split(env, ",") {
			v, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || v < 1 {
				b.Fatalf("LMHEAD_SAMPLER_VOCABS: %q", f)
			}
			vocabs = append(vocabs, v)
		}
	}
	for _, v := range vocabs {
		x := benchScores(v)
		hist := benchHistory(v)
		for _, c := range samplerBenchCases {
			b.Run(fmt.Sprintf("%s/V=%d", c.name, v), func(b *testing.B) {
				cfg := c.cfg
				cfg.Seed = 1
				s, err := head.NewSampler(cfg)
				if err != nil {
					b.Fatal(err)
				}
				var h []int
				if c.history {
					h = hist
				}
				var lp head.LogProbs
				b.ReportAllocs()
				for b.Loop() {
					if c.logN > 0 {
						_, err = s.SampleLogProbs(x, h, c.logN, &lp)
					} else {
						_, err = s.SampleWith(x, h)
					}
					if err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
