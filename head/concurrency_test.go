package head_test

import (
	"math"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/lmhead/lmhead/head"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// results is everything one goroutine computes from a shared Head.
type results struct {
	logits, probs, logProbs []float32
	greedy                  int
	logProb                 float32
	top                     []head.Token
	tokens                  []int
	loss                    head.Loss
}

// compute returns an error rather than failing: it runs on goroutines
// other than the test's.
func compute(h *head.Head, hidden []float32, batch []float32, targets []int) (results, error) {
	var r results
	r.logits = h.Logits(nil, hidden)
	r.probs = h.Probs(nil, hidden, 0.8)
	r.logProbs = h.LogProbs(nil, hidden, 1.3)
	r.greedy = h.Greedy(hidden)
	r.logProb = h.LogProb(hidden, 5)
	r.top = h.TopK(hidden, 10, 1)
	s, err := head.NewSampler(head.SamplerConfig{Temperature: 1, TopP: 0.9, Seed: 3})
	if err != nil {
		return r, err
	}
	for range 20 {
		tok, err := h.Sample(hidden, s)
		if err != nil {
			return r, err
		}
		r.tokens = append(r.tokens, tok)
	}
	r.loss, err = h.CrossEntropy(batch, targets, head.LossOptions{LabelSmoothing: 0.1})
	return r, err
}

// TestConcurrentUse shares one Head among 8 goroutines (run it with
// -race): each must get exactly what a lone caller gets, for a plain head
// split across workers, a Dense head and a Mixture of Softmaxes.
func TestConcurrentUse(t *testing.T) {
	r := tu.Rand(40)
	big := plainCfg(r, bigShape)
	big.Workers = 2
	dense := denseCfg(head.GELU)(r, shape{2000, 200})
	dense.Workers = 3
	mos := mosCfg(r, 1500, 64, 48, 3, true)
	mos.Workers = 2
	for _, c := range []struct {
		name string
		cfg  head.Config
	}{{"plain", big}, {"dense", dense}, {"mos", mos}} {
		t.Run(c.name, func(t *testing.T) {
			h := mustNew(t, c.cfg)
			d := c.cfg.Hidden
			hidden := fill(r, d, 1)
			batch := fill(r, 4*d, 1)
			targets := []int{1, -100, 7, 3}
			want, err := compute(h, hidden, batch, targets)
			require.NoError(t, err)
			const G = 8
			reps := 3
			if tu.Short() {
				reps = 1
			}
			got := make([]results, G)
			errs := make([]error, G)
			var wg sync.WaitGroup
			for g := range G {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range reps {
						got[g], errs[g] = compute(h, hidden, batch, targets)
						if errs[g] != nil {
							return
						}
					}
				}()
			}
			wg.Wait()
			for g := range G {
				require.NoError(t, errs[g])
				require.Equal(t, want, got[g], "goroutine %d", g)
			}
			require.False(t, math.IsNaN(want.loss.MeanNLL))
		})
	}
}

// TestWorkersExit: the worker goroutines of a Head end when the Head is
// garbage collected.
func TestWorkersExit(t *testing.T) {
	// Let the Heads of earlier tests go first.
	for range 5 {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	before := runtime.NumGoroutine()
	func() {
		// Hold every Head until the count is taken: a GC inside the loop
		// (slow emulators see several) would otherwise already have
		// stopped the pools of the earlier ones.
		var heads []*head.Head
		for range 5 {
			cfg := plainCfg(tu.Rand(41), bigShape)
			cfg.Workers = 3
			h := mustNew(t, cfg)
			h.Logits(nil, fill(tu.Rand(42), bigShape.d, 1)) // starts 2 workers
			heads = append(heads, h)
		}
		require.GreaterOrEqual(t, runtime.NumGoroutine(), before+10)
		runtime.KeepAlive(heads)
	}()
	deadline := time.Now().Add(10 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		runtime.GC()
		time.Sleep(10 * time.Millisecond)
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), before, "worker goroutines outlive their Heads")
}
