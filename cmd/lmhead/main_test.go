package main

import (
	"bytes"
	"encoding/json"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lmhead/lmhead"
)

// small is the quick shape of every run test.
var small = []string{"-vocab", "512", "-hidden", "64", "-steps", "3"}

func runArgs(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func TestUsageErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string // in stderr
	}{
		{[]string{"-vocab", "-1"}, "-vocab -1: want at least 1"},
		{[]string{"-vocab", "0"}, "-vocab 0"},
		{[]string{"-hidden", "-64"}, "-hidden -64"},
		{[]string{"-workers", "-2"}, "-workers -2"},
		{[]string{"-steps", "0"}, "-steps 0"},
		{[]string{"-mos", "-1"}, "-mos -1"},
		{[]string{"-top-k", "-5"}, "-top-k -5"},
		{[]string{"-top-p", "0"}, "-top-p 0: want in (0, 1]"},
		{[]string{"-top-p", "1.5"}, "-top-p 1.5: want in (0, 1]"},
		{[]string{"-top-p", "NaN"}, "-top-p NaN"},
		{[]string{"-min-p", "1"}, "-min-p 1: want in [0, 1)"},
		{[]string{"-format", "q5_K"}, `invalid value "q5_K" for flag -format: unknown format "q5_K"`},
		{[]string{"-format", "q4_K", "-hidden", "300"}, "-hidden 300: a Q4_K row holds a multiple of 256 weights"},
		{[]string{"-min-p", "-0.1"}, "-min-p -0.1"},
		{[]string{"-temperature", "-1"}, "-temperature -1"},
		{[]string{"-temperature", "+Inf"}, "-temperature +Inf"},
		{[]string{"-isa", "sse9"}, `-isa: unknown ISA "sse9"`},
		{[]string{"-vocab", "ten"}, `invalid value "ten" for flag -vocab`},
		{[]string{"-nosuchflag"}, "flag provided but not defined: -nosuchflag"},
		{[]string{"extra"}, `unexpected arguments ["extra"]`},
		// 10⁶ × 2.6·10⁵ floats is about 1 TB: refused with the size.
		{[]string{"-vocab", "1000000", "-hidden", "262144"}, "needs 1.0 TB of memory (1.0 TB of weights)"},
		// A product past 2⁶⁴ bytes.
		{[]string{"-vocab", "4000000000000", "-hidden", "4000000000000"}, "needs more than 2⁶⁴ bytes"},
		{[]string{"-hidden", "100000", "-mos", "100000000"}, "-mos 100000000"},
	}
	for _, c := range cases {
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		code, stdout, stderr := runArgs(t, c.args...)
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		require.Equal(t, 2, code, "%q: %s", c.args, stderr)
		require.Empty(t, stdout, "%q", c.args)
		require.Contains(t, stderr, c.want, "%q", c.args)
		require.Contains(t, stderr, "usage: lmhead [flags]", "%q", c.args)
		// Refusals come before the weights are allocated.
		require.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "%q allocated", c.args)
	}
}

// TestUnsupportedISA asks for a level this build or CPU lacks, if there is
// one.
func TestUnsupportedISA(t *testing.T) {
	for i := lmhead.Generic; i <= lmhead.NEON; i++ {
		if lmhead.Use(i) == nil {
			continue
		}
		code, _, stderr := runArgs(t, append(small, "-isa", i.String())...)
		require.Equal(t, 2, code, stderr)
		require.Contains(t, stderr, "-isa "+i.String()+": cannot use")
		return
	}
	t.Skip("this CPU and build support every level, so there is none to refuse")
}

func TestHelp(t *testing.T) {
	code, _, stderr := runArgs(t, "-h")
	require.Equal(t, 0, code)
	require.Contains(t, stderr, "-top-p")
}

func TestTextRun(t *testing.T) {
	code, stdout, stderr := runArgs(t, small...)
	require.Equal(t, 0, code, stderr)
	for _, want := range []string{
		"CPU:", "ISAs:", "active: " + lmhead.Active().String(),
		"V = 512, d = 64, tied", "τ = 1", "τ = 0.7", " 10. ",
		"16 tokens sampled (seed 1", "median of 3 steps",
		"read W (Sum)", "Logits", "Greedy", "Sample", "speed-up",
	} {
		require.Contains(t, stdout, want)
	}
	require.Contains(t, stderr, "generating 131.1 kB of seeded weights: 100%")
}

// TestFormatRun builds the seeded head in every weight format: the same
// seed gives the same most likely token as the F32 head (the quantization
// error is far below the gap between the top two logits at this seed), and
// the weight bytes are the format's.
func TestFormatRun(t *testing.T) {
	args := []string{"-vocab", "512", "-hidden", "256", "-steps", "1", "-json"}
	var best int
	for _, f := range lmhead.Formats() {
		code, stdout, stderr := runArgs(t, append(args, "-format", f.String())...)
		require.Equal(t, 0, code, stderr)
		var r report
		require.NoError(t, json.Unmarshal([]byte(stdout), &r))
		require.Equal(t, f.String(), r.Config.Format)
		rb, _ := f.RowBytes(256)
		require.Equal(t, uint64(512*rb), r.WeightBytes, "%v", f)
		if f == lmhead.F32 {
			best = r.Top[0].Tokens[0].ID
		}
		require.Equal(t, best, r.Top[0].Tokens[0].ID, "%v: the most likely token", f)
	}
}

func decode(t *testing.T, args ...string) *report {
	t.Helper()
	code, stdout, stderr := runArgs(t, append(append([]string{}, small...), append(args, "-json")...)...)
	require.Equal(t, 0, code, stderr)
	var r report
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	require.NoError(t, dec.Decode(&r), stdout)
	require.False(t, dec.More(), "one JSON object only")
	return &r
}

func TestJSONRun(t *testing.T) {
	r := decode(t)
	require.NotEmpty(t, r.CPU)
	require.Contains(t, r.Supported, "generic")
	require.Equal(t, lmhead.Active().String(), r.Active)
	require.Equal(t, 512, r.Config.Vocab)
	require.Equal(t, 64, r.Config.Hidden)
	require.Equal(t, runtime.GOMAXPROCS(0), r.Config.Workers)
	require.Equal(t, uint64(512*64*4), r.WeightBytes)

	require.Len(t, r.Top, 2)
	for i, tau := range []float64{1, 0.7} {
		l := r.Top[i]
		require.Equal(t, tau, l.Temperature)
		require.Len(t, l.Tokens, 10)
		seen := map[int]bool{}
		var mass float64
		for j, tok := range l.Tokens {
			require.True(t, tok.ID >= 0 && tok.ID < 512, "id %d", tok.ID)
			require.False(t, seen[tok.ID], "token %d twice", tok.ID)
			seen[tok.ID] = true
			require.True(t, tok.Prob > 0 && tok.Prob <= 1, "p = %v", tok.Prob)
			if j > 0 {
				require.LessOrEqual(t, tok.Prob, l.Tokens[j-1].Prob, "best first")
			}
			mass += tok.Prob
		}
		require.LessOrEqual(t, mass, 1+1e-5)
	}
	// A lower temperature sharpens: the best token gains probability.
	require.Equal(t, r.Top[0].Tokens[0].ID, r.Top[1].Tokens[0].ID)
	require.Greater(t, r.Top[1].Tokens[0].Prob, r.Top[0].Tokens[0].Prob)

	require.Len(t, r.Samples, 16)
	for _, s := range r.Samples {
		require.True(t, s >= 0 && s < 512)
	}

	var ops []string
	for _, row := range r.Timing {
		ops = append(ops, row.Op)
		require.Greater(t, row.MedianSeconds, 0.0, row.Op)
		require.Greater(t, row.GenericSecs, 0.0, row.Op)
		require.InDelta(t, row.GenericSecs/row.MedianSeconds, row.Speedup, 1e-9, row.Op)
		require.InDelta(t, float64(r.WeightBytes)/row.MedianSeconds/1e9, row.GBps, 1e-6*row.GBps, row.Op)
		require.InDelta(t, 100*row.GBps/r.ReadGBps, row.PctRead, 1e-9, row.Op)
	}
	require.Equal(t, []string{"read W (Sum)", "Logits", "Probs τ=1", "Greedy", "Sample"}, ops)
	require.InDelta(t, 100, r.Timing[0].PctRead, 1e-9)
}

// TestDeterministic: the same seed gives the same head, tokens and
// samples, whatever the worker count; another seed does not.
func TestDeterministic(t *testing.T) {
	a := decode(t, "-seed", "7", "-workers", "1")
	b := decode(t, "-seed", "7", "-workers", "2")
	c := decode(t, "-seed", "8")
	// Splitting the rows differently may change the last bits of a
	// logit, never the ranking of these well-separated tokens.
	for i := range a.Top {
		for j, tok := range a.Top[i].Tokens {
			require.Equal(t, tok.ID, b.Top[i].Tokens[j].ID)
			require.InDelta(t, tok.Prob, b.Top[i].Tokens[j].Prob, 1e-6)
		}
	}
	require.Equal(t, a.Samples, b.Samples)
	require.NotEqual(t, a.Top[0].Tokens[0], c.Top[0].Tokens[0])
}

// TestISAsAgree: the generic kernels rank the same best token with the same
// probability (to float32 rounding).
func TestISAsAgree(t *testing.T) {
	g := decode(t, "-isa", "generic")
	require.Equal(t, "generic", g.Active)
	for _, row := range g.Timing {
		require.Equal(t, 1.0, row.Speedup, "generic against itself")
	}
	best := decode(t)
	require.Equal(t, g.Top[0].Tokens[0].ID, best.Top[0].Tokens[0].ID)
	for i := range g.Top {
		require.InDelta(t, g.Top[i].Tokens[0].Prob, best.Top[i].Tokens[0].Prob, 1e-5)
	}
	require.Equal(t, lmhead.Active().String(), best.Active, "run restores the level it changed")
}

func TestSamplingFlags(t *testing.T) {
	greedy := decode(t, "-temperature", "0")
	for _, s := range greedy.Samples {
		require.Equal(t, greedy.Top[0].Tokens[0].ID, s, "τ = 0 is greedy")
	}
	top1 := decode(t, "-top-k", "1", "-temperature", "1")
	for _, s := range top1.Samples {
		require.Equal(t, top1.Top[0].Tokens[0].ID, s, "top-k 1 keeps the best token only")
	}
	topK := decode(t, "-top-k", "3", "-temperature", "1", "-top-p", "1")
	allowed := map[int]bool{}
	for _, tok := range topK.Top[0].Tokens[:3] {
		allowed[tok.ID] = true
	}
	for _, s := range topK.Samples {
		require.True(t, allowed[s], "top-k 3 drew %d", s)
	}
}

func TestMoS(t *testing.T) {
	r := decode(t, "-mos", "3")
	require.Equal(t, 3, r.Config.MoS)
	// V×d unembedding, K×d prior, K·d×d latent.
	require.Equal(t, uint64(4*(512*64+3*64+3*64*64)), r.WeightBytes)
	require.Len(t, r.Top[0].Tokens, 10)
	require.False(t, math.IsNaN(r.Top[0].Tokens[0].Prob))
}

func TestMemoryNeeded(t *testing.T) {
	n, ok := memoryNeeded(32000, 4096, 0)
	require.True(t, ok)
	require.Equal(t, uint64(4*(32000*4096+32000*8)), n)
	_, ok = memoryNeeded(1<<40, 1<<40, 0)
	require.False(t, ok)
	_, ok = memoryNeeded(1, 1<<31, 1<<31)
	require.False(t, ok, "K·d·d overflows")
	require.Equal(t, "524.3 MB", byteSize(32000*4096*4))
	require.Equal(t, "12 B", byteSize(12))
}
