package head_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/lmhead/lmhead/head"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// batchNs are the batch sizes the batch tests run: one position, less
// than a 16-position group, more than two groups.
var batchNs = []int{1, 3, 17, 40}

// checkBatch runs every batch method of a plain or Dense head on n
// positions against the float64 reference of each position.
func checkBatch(t *testing.T, h *head.Head, cfg head.Config, hidden []float32, n int) {
	t.Helper()
	V, d := cfg.Vocab, cfg.Hidden
	refs := make([][]val, n)
	for i := range refs {
		refs[i] = refLogits(cfg, hidden[i*d:(i+1)*d])
	}
	logits := h.LogitsBatch(nil, hidden)
	require.Len(t, logits, n*V)
	for i := 0; i < n; i++ {
		checkVals(t, fmt.Sprintf("LogitsBatch[%d]", i), logits[i*V:(i+1)*V], refs[i])
	}
	greedy := h.GreedyBatch(nil, hidden)
	tokens := make([]int, n)
	for i, g := range greedy {
		maxB := 0.0
		for _, p := range refs[i] {
			maxB = max(maxB, p.b)
		}
		require.GreaterOrEqual(t, refs[i][g].v+2*maxB, refs[i][argmaxRef(refs[i])].v, "GreedyBatch[%d] is the reference max within the bound", i)
		tokens[i] = (i*7 + 3) % V
	}
	for _, tau := range temps {
		lp := h.LogProbsBatch(nil, hidden, tau)
		for i := 0; i < n; i++ {
			checkVals(t, fmt.Sprintf("LogProbsBatch(τ=%v)[%d]", tau, i), lp[i*V:(i+1)*V], refLogSoftmax(refs[i], 1/float64(tau)))
		}
		k := min(V, 5)
		top := h.TopKBatch(nil, hidden, k, tau)
		require.Len(t, top, n)
		for i := 0; i < n; i++ {
			lpRef := refLogSoftmax(refs[i], 1/float64(tau))
			order := canonical(lp[i*V : (i+1)*V])
			require.Len(t, top[i], k)
			for j, tok := range top[i] {
				want := lpRef[order[j]]
				require.Truef(t, tu.Close(float32(lpRef[tok.ID].v), want.v, 2*want.b+lpRef[tok.ID].b),
					"TopKBatch(τ=%v)[%d][%d] = %d (%v), the reference's %d-th is %v", tau, i, j, tok.ID, lpRef[tok.ID].v, j, want.v)
				require.Truef(t, tu.Close(tok.LogProb, lpRef[tok.ID].v, lpRef[tok.ID].b), "TopKBatch(τ=%v)[%d][%d].LogProb", tau, i, j)
			}
		}
	}
	lp0 := h.LogProbsBatch(nil, hidden, 0)
	for i := 0; i < n; i++ {
		for v := 0; v < V; v++ {
			if v == greedy[i] {
				require.Equal(t, float32(0), lp0[i*V+v])
			} else {
				require.True(t, math.IsInf(float64(lp0[i*V+v]), -1))
			}
		}
	}
	scores := h.ScoreTokens(nil, hidden, tokens)
	var sum float64
	for i, tok := range tokens {
		want := refLogSoftmax(refs[i], 1)[tok]
		require.Truef(t, tu.Close(scores[i], want.v, want.b), "ScoreTokens[%d] = %v, want %v ± %v", i, scores[i], want.v, want.b)
		sum -= float64(scores[i])
	}
	loss, err := h.CrossEntropy(hidden, tokens, head.LossOptions{})
	require.NoError(t, err)
	require.InDelta(t, sum, loss.SumNLL, 1e-4*(1+math.Abs(sum)), "CrossEntropy's SumNLL is -Σ ScoreTokens")
}

// TestBatchReference checks the batch methods of every head variant
// against the float64 reference, on one worker at every small shape and
// on one and two workers at a shape big enough to split.
func TestBatchReference(t *testing.T) {
	r := tu.Rand(1016)
	for _, v := range variants {
		for _, s := range append(shapes, bigShape) {
			workers := []int{1}
			if s == bigShape {
				workers = []int{1, 2}
			}
			for _, w := range workers {
				for _, n := range batchNs {
					// Under an emulator: the small shapes, and the large
					// ones only for the plain head.
					if tu.Short() && (n == 40 || s == bigShape || s.V*s.d > 20000) && v.name != "plain" {
						continue
					}
					cfg := v.make(r, s)
					cfg.Workers = w
					h := mustNew(t, cfg)
					t.Run(fmt.Sprintf("%s/V=%d,d=%d/w=%d/n=%d", v.name, s.V, s.d, w, n), func(t *testing.T) {
						checkBatch(t, h, cfg, fill(r, n*s.d, 1), n)
					})
				}
			}
		}
	}
}

// TestBatchMoS checks that a Mixture of Softmaxes' batch methods are its
// one-position methods, position by position.
func TestBatchMoS(t *testing.T) {
	r := tu.Rand(1017)
	V, d, e, n := 50, 12, 9, 5
	cfg := mosCfg(r, V, d, e, 3, true)
	h := mustNew(t, cfg)
	hidden := fill(r, n*d, 1)
	logits := h.LogitsBatch(nil, hidden)
	lp := h.LogProbsBatch(nil, hidden, 0.7)
	g := h.GreedyBatch(nil, hidden)
	tokens := []int{0, 4, 49, 7, 7}
	sc := h.ScoreTokens(nil, hidden, tokens)
	top := h.TopKBatch(nil, hidden, 3, 1)
	for i := 0; i < n; i++ {
		x := hidden[i*d : (i+1)*d]
		require.Equal(t, h.Logits(nil, x), logits[i*V:(i+1)*V])
		require.Equal(t, h.LogProbs(nil, x, 0.7), lp[i*V:(i+1)*V])
		require.Equal(t, h.Greedy(x), g[i])
		require.Equal(t, h.LogProb(x, tokens[i]), sc[i])
		require.Equal(t, h.TopK(x, 3, 1), top[i])
	}
}

// TestBatchAllocs checks that warm batch calls into the caller's buffers
// do not allocate.
func TestBatchAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items at random")
	}
	r := tu.Rand(1018)
	cfg := plainCfg(r, shape{300, 64})
	cfg.Bias = fill(r, 300, 1)
	h := mustNew(t, cfg)
	n := 20
	hidden := fill(r, n*64, 1)
	logits := make([]float32, n*300)
	scores := make([]float32, n)
	greedy := make([]int, n)
	tokens := make([]int, n)
	for name, f := range map[string]func(){
		"LogitsBatch":   func() { h.LogitsBatch(logits, hidden) },
		"LogProbsBatch": func() { h.LogProbsBatch(logits, hidden, 1) },
		"GreedyBatch":   func() { h.GreedyBatch(greedy, hidden) },
		"ScoreTokens":   func() { h.ScoreTokens(scores, hidden, tokens) },
	} {
		f()
		if a := testing.AllocsPerRun(10, f); a != 0 {
			t.Errorf("%s: %v allocations per call, want 0", name, a)
		}
	}
}

// TestBatchPanics checks the size checks of the batch methods.
func TestBatchPanics(t *testing.T) {
	h := mustNew(t, plainCfg(tu.Rand(1019), shape{10, 4}))
	require.PanicsWithValue(t, "head.LogitsBatch: len(hidden)=6, want a multiple n×Hidden of Hidden=4", func() { h.LogitsBatch(nil, make([]float32, 6)) })
	require.PanicsWithValue(t, "head.ScoreTokens: len(hidden)=8, want len(tokens)×Hidden = 1×4 = 4", func() { h.ScoreTokens(nil, make([]float32, 8), []int{1}) })
	require.PanicsWithValue(t, "head.ScoreTokens: tokens[0]=10, want in [0, 10)", func() { h.ScoreTokens(nil, make([]float32, 4), []int{10}) })
	require.Panics(t, func() { h.LogProbsBatch(nil, make([]float32, 4), -1) })
	require.Empty(t, h.LogitsBatch(nil, nil))
}
