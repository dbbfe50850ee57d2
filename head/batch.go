package head

import (
	"fmt"
	"math"
	"sync"

	"github.com/lmhead/lmhead"
	"github.com/lmhead/lmhead/softmax"
)

// The batch methods: the head over n positions at once (a prompt, a
// speculative draft, an evaluation batch). They run the unembedding as one
// matrix product (lmhead.Matrix.GemmBatch), which reads W once per 128
// positions instead of once per position and is bound by the FMA units
// rather than the memory bandwidth. Every option applies as in the
// one-position methods: bias, softcap, logit scale, Dense (itself one
// product over the batch), temperature; a Mixture of Softmaxes runs its
// one-position method per position. With Workers > 1 the vocabulary is
// split among the workers, each taking its rows for every position.

// batchRows is the most rows of W a fused batch pass (GreedyBatch,
// ScoreTokens, CrossEntropy) computes for every position at a time: forty
// of Gemm's 96-row panels. Each GemmBatch call has a fixed cost (packing
// and scattering its tiles, a pool round trip) that blocks must be long
// enough to hide: at n = 512 on Zen 5, CrossEntropy ran at 0.83 of
// LogitsBatch's positions per second with 192-row blocks, 0.87 with 960 and
// 0.96 with 3840 (BenchmarkBatch). Keeping the block in a 1 MiB L2 for its
// reduction mattered less than that cost.
const batchRows = 3840

// blockLogits is the most float32 logits a fused pass holds per block and
// part: 8 MiB, which caps the block at n > 546 positions.
const blockLogits = 2 << 20

// blockRowsFor is the rows per block of a fused pass over n positions:
// whole 96-row panels, at least one, at most batchRows, within blockLogits.
func blockRowsFor(n int) int {
	return max(96, min(batchRows, blockLogits/(96*max(n, 1))*96))
}

// topKChunk is the positions whose full logits TopKBatch holds at a time:
// 16·V float32 (2 MiB at V = 32000), enough for Gemm to run whole
// position groups.
const topKChunk = 16

type batchMode uint8

const (
	batchLogits batchMode = iota // dst = the finished logits, n×V
	batchArgmax                  // per position: argmax of the logits
	batchLSE                     // per position: Stats at τ = 1, a token's logit, Σ logits
)

// argRes is one part's running argmax for one position.
type argRes struct {
	idx int
	val float32
}

// batchTask is one batched projection split across parts by rows of W.
type batchTask struct {
	h      *Head
	mode   batchMode
	b      *lmhead.Batch
	n      int
	parts  int
	dst    []float32 // batchLogits: n×V
	tokens []int     // batchLSE: per position, -1 for none
	smooth bool      // batchLSE: sum the logits too
	blk    []float32 // parts × n×rows
	rows   int       // rows of W per block of a fused pass (blockRowsFor)
	tmp    []float32 // parts × blockRows
	stats  []ceStat  // batchLSE: parts × n
	arg    []argRes  // batchArgmax: parts × n
}

func (t *batchTask) run(p int) {
	h, n, V := t.h, t.n, t.h.vocab
	lo, hi := span(p, t.parts, V)
	tmp := t.tmp[p*blockRows : (p+1)*blockRows]
	if t.mode == batchLogits {
		if lo < hi {
			h.weight.SliceRows(lo, hi).GemmBatch(t.dst[lo:], V, t.b)
			for i := 0; i < n; i++ {
				h.finish(t.dst[i*V+lo:i*V+hi], lo, tmp)
			}
		}
		return
	}
	blk := t.blk[p*n*t.rows : (p+1)*n*t.rows]
	var st []ceStat
	var arg []argRes
	if t.mode == batchLSE {
		st = t.stats[p*n : (p+1)*n]
		clear(st)
	} else {
		arg = t.arg[p*n : (p+1)*n]
		for i := range arg {
			arg[i] = argRes{idx: -1}
		}
	}
	for r := lo; r < hi; r += t.rows {
		nb := min(t.rows, hi-r)
		h.weight.SliceRows(r, r+nb).GemmBatch(blk, nb, t.b)
		for i := 0; i < n; i++ {
			u := blk[i*nb : (i+1)*nb]
			h.finish(u, r, tmp)
			if arg != nil {
				a := &arg[i]
				if a.idx >= 0 && a.val != a.val {
					continue // a NaN already won
				}
				j := lmhead.Argmax(u)
				if a.idx < 0 || better(u[j], a.val) {
					a.idx, a.val = r+j, u[j]
				}
				continue
			}
			s := &st[i]
			s.st = softmax.Merge(s.st, softmax.Partial(u, 1))
			if t.smooth {
				s.tot += float64(lmhead.Sum(u))
			}
			if tg := t.tokens[i]; tg >= r && tg < r+nb {
				s.tgt = u[tg-r]
			}
		}
	}
}

// batchScratch is the working memory of one batch call.
type batchScratch struct {
	b     lmhead.Batch
	z     []float32 // n×e: the Dense outputs
	xs    []float32 // CrossEntropy: the hidden states that count
	blk   []float32
	tmp   []float32
	stats []ceStat
	arg   []argRes
	lse   []float64
	ints  []int
	vbuf  []float32 // topKChunk×V for TopKBatch
	sel   selector
	task  batchTask
	wg    sync.WaitGroup
}

var batchPool = sync.Pool{New: func() any { return new(batchScratch) }}

// grown returns *s with length n, reallocating when it is too short.
func grown[T any](s *[]T, n int) []T {
	if cap(*s) < n {
		*s = make([]T, n)
	}
	return (*s)[:n]
}

// batchLen returns n = len(hidden)/Hidden, panicking if it is not whole.
func (h *Head) batchLen(method string, hidden []float32) int {
	if h.hidden == 0 || len(hidden)%h.hidden != 0 {
		panic(fmt.Sprintf("head.%s: len(hidden)=%d, want a multiple n×Hidden of Hidden=%d", method, len(hidden), h.hidden))
	}
	return len(hidden) / h.hidden
}

// packInput packs the unembedding's inputs of the n positions of hidden
// into bs.b: the hidden states, or the Dense layer's outputs (one Gemm
// over the batch, then bias and activation).
func (h *Head) packInput(bs *batchScratch, hidden []float32, n int) {
	if h.dense == nil {
		bs.b.Pack(hidden, n)
		return
	}
	d, e := h.dense, h.embed
	z := grown(&bs.z, n*e)
	lmhead.Gemm(z, d.Weight, hidden, n)
	for i := 0; i < n; i++ {
		zi := z[i*e : (i+1)*e]
		if d.Bias != nil {
			for j := range zi {
				zi[j] += d.Bias[j]
			}
		}
		activate(zi, d.Act)
	}
	bs.b.Pack(z, n)
}

// runBatch runs t over the vocabulary, split among the workers.
func (h *Head) runBatch(bs *batchScratch, t *batchTask) {
	t.h, t.b, t.n = h, &bs.b, bs.b.Len()
	t.parts = partsFor(h.workers, h.vocab, h.embed*t.n)
	t.tmp = grown(&bs.tmp, t.parts*blockRows)
	switch t.mode {
	case batchArgmax:
		t.rows = blockRowsFor(t.n)
		t.blk = grown(&bs.blk, t.parts*t.n*t.rows)
		t.arg = grown(&bs.arg, t.parts*t.n)
	case batchLSE:
		t.rows = blockRowsFor(t.n)
		t.blk = grown(&bs.blk, t.parts*t.n*t.rows)
		t.stats = grown(&bs.stats, t.parts*t.n)
	}
	h.pool.runParts(t, t.parts, &bs.wg)
}

// LogitsBatch writes the logits of n positions into dst, n rows of V, and
// returns it (a new slice if cap(dst) < n·V): row i is Logits of
// hidden[i·Hidden:(i+1)·Hidden]. The unembedding runs as one matrix
// product over the batch, which reads W once per 128 positions; the
// results agree with Logits within the float32 rounding of the product
// (the summation order differs).
//
// LogitsBatch panics unless len(hidden) is a multiple of Hidden.
func (h *Head) LogitsBatch(dst, hidden []float32) []float32 {
	n := h.batchLen("LogitsBatch", hidden)
	dst = grow(dst, n*h.vocab)
	if n == 0 {
		return dst
	}
	if h.mos != nil {
		for i := 0; i < n; i++ {
			h.Logits(dst[i*h.vocab:(i+1)*h.vocab], hidden[i*h.hidden:(i+1)*h.hidden])
		}
		return dst
	}
	bs := batchPool.Get().(*batchScratch)
	h.packInput(bs, hidden, n)
	t := &bs.task
	*t = batchTask{mode: batchLogits, dst: dst}
	h.runBatch(bs, t)
	*t = batchTask{}
	batchPool.Put(bs)
	return dst
}

// LogProbsBatch writes log_softmax(logits/τ) of n positions into dst, n
// rows of V, and returns it (a new slice if cap(dst) < n·V): row i is
// LogProbs of position i, τ = 0 included.
//
// LogProbsBatch panics unless len(hidden) is a multiple of Hidden, or if τ
// is negative, NaN or infinite.
func (h *Head) LogProbsBatch(dst, hidden []float32, temperature float32) []float32 {
	s := invTemp("LogProbsBatch", temperature)
	n := h.batchLen("LogProbsBatch", hidden)
	V := h.vocab
	if h.mos != nil {
		dst = grow(dst, n*V)
		for i := 0; i < n; i++ {
			h.LogProbs(dst[i*V:(i+1)*V], hidden[i*h.hidden:(i+1)*h.hidden], temperature)
		}
		return dst
	}
	if s == 0 {
		dst = grow(dst, n*V)
		bs := batchPool.Get().(*batchScratch)
		g := h.greedyBatch(bs, grown(&bs.ints, n), hidden, n)
		for i := 0; i < n; i++ {
			row := dst[i*V : (i+1)*V]
			for j := range row {
				row[j] = float32(math.Inf(-1))
			}
			row[g[i]] = 0
		}
		batchPool.Put(bs)
		return dst
	}
	dst = h.LogitsBatch(dst, hidden)
	for i := 0; i < n; i++ {
		softmax.LogSoftmax(dst[i*V:(i+1)*V], dst[i*V:(i+1)*V], temperature)
	}
	return dst
}

// GreedyBatch writes Greedy of each of the n positions into dst and
// returns it (a new slice if cap(dst) < n). For a plain or Dense head the
// argmax is fused into the product: the logits of a block of rows are
// computed for every position and reduced, and no n×V buffer is made.
//
// GreedyBatch panics unless len(hidden) is a multiple of Hidden.
func (h *Head) GreedyBatch(dst []int, hidden []float32) []int {
	n := h.batchLen("GreedyBatch", hidden)
	if cap(dst) < n {
		dst = make([]int, n)
	}
	dst = dst[:n]
	if n == 0 {
		return dst
	}
	if h.mos != nil {
		for i := range dst {
			dst[i] = h.Greedy(hidden[i*h.hidden : (i+1)*h.hidden])
		}
		return dst
	}
	bs := batchPool.Get().(*batchScratch)
	h.greedyBatch(bs, dst, hidden, n)
	batchPool.Put(bs)
	return dst
}

// greedyBatch is GreedyBatch of a plain or Dense head into dst[:n].
func (h *Head) greedyBatch(bs *batchScratch, dst []int, hidden []float32, n int) []int {
	h.packInput(bs, hidden, n)
	t := &bs.task
	*t = batchTask{mode: batchArgmax}
	h.runBatch(bs, t)
	for i := 0; i < n; i++ {
		best, bestV := -1, float32(0)
		for p := 0; p < t.parts; p++ {
			r := t.arg[p*n+i]
			if r.idx >= 0 && (best < 0 || better(r.val, bestV)) {
				best, bestV = r.idx, r.val
				if r.val != r.val {
					break
				}
			}
		}
		dst[i] = best
	}
	*t = batchTask{}
	return dst
}

// ScoreTokens writes log p(tokens[i] | position i) at temperature 1 into
// dst and returns it (a new slice if cap(dst) < n), n = len(tokens): what
// prompt_logprobs reports. Row i of hidden is position i. No n×V buffer is
// made: the normalizer of every position is an online logsumexp over
// blocks of rows computed for all positions at once. For a Mixture of
// Softmaxes it is LogProb per position.
//
// ScoreTokens panics unless len(hidden) == len(tokens)·Hidden and every
// token is in [0, V).
func (h *Head) ScoreTokens(dst []float32, hidden []float32, tokens []int) []float32 {
	n := len(tokens)
	if len(hidden) != n*h.hidden {
		panic(fmt.Sprintf("head.ScoreTokens: len(hidden)=%d, want len(tokens)×Hidden = %d×%d = %d", len(hidden), n, h.hidden, n*h.hidden))
	}
	for i, t := range tokens {
		if t < 0 || t >= h.vocab {
			panic(fmt.Sprintf("head.ScoreTokens: tokens[%d]=%d, want in [0, %d)", i, t, h.vocab))
		}
	}
	dst = grow(dst, n)
	if n == 0 {
		return dst
	}
	if h.mos != nil {
		for i, t := range tokens {
			dst[i] = h.LogProb(hidden[i*h.hidden:(i+1)*h.hidden], t)
		}
		return dst
	}
	bs := batchPool.Get().(*batchScratch)
	h.packInput(bs, hidden, n)
	lse := h.lseBatch(bs, tokens, false)
	for i := range dst {
		dst[i] = float32(float64(bs.stats[i].tgt) - lse[i])
	}
	batchPool.Put(bs)
	return dst
}

// lseBatch runs the fused logsumexp pass over the positions packed in
// bs.b, with tokens[i] the logit to keep for position i. It returns the
// log-normalizers (bs.lse) and leaves in bs.stats[i] (the first n) the
// merged target logit and, with smooth, the sum of the logits.
func (h *Head) lseBatch(bs *batchScratch, tokens []int, smooth bool) []float64 {
	n := len(tokens)
	t := &bs.task
	*t = batchTask{mode: batchLSE, tokens: tokens, smooth: smooth}
	h.runBatch(bs, t)
	lse := grown(&bs.lse, n)
	for i := 0; i < n; i++ {
		var st softmax.Stats
		tot, tgt := 0.0, float32(0)
		for p := 0; p < t.parts; p++ {
			s := t.stats[p*n+i]
			st = softmax.Merge(st, s.st)
			tot += s.tot
			if lo, hi := span(p, t.parts, h.vocab); tokens[i] >= lo && tokens[i] < hi {
				tgt = s.tgt
			}
		}
		lse[i] = lse64(st)
		// Part 0's row of stats is free once read: keep the merged values
		// there for the caller.
		bs.stats[i] = ceStat{st: st, tot: tot, tgt: tgt}
	}
	*t = batchTask{}
	return lse
}

// TopKBatch returns TopK(position i, k, τ) for each of the n positions,
// appending to dst[i] (dst is grown to n; pass the previous result to
// reuse its slices). The logits of topKChunk positions at a time are
// computed by one product into a buffer of 16·V float32.
//
// TopKBatch panics unless len(hidden) is a multiple of Hidden, or if τ is
// negative, NaN or infinite.
func (h *Head) TopKBatch(dst [][]Token, hidden []float32, k int, temperature float32) [][]Token {
	s := invTemp("TopKBatch", temperature)
	n := h.batchLen("TopKBatch", hidden)
	if cap(dst) < n {
		dst = append(dst[:cap(dst)], make([][]Token, n-cap(dst))...)
	}
	dst = dst[:n]
	if h.mos != nil || k <= 0 {
		for i := range dst {
			dst[i] = h.AppendTopK(dst[i][:0], hidden[i*h.hidden:(i+1)*h.hidden], k, temperature)
		}
		return dst
	}
	k = min(k, h.vocab)
	V, d := h.vocab, h.hidden
	bs := batchPool.Get().(*batchScratch)
	for c0 := 0; c0 < n; c0 += topKChunk {
		cn := min(topKChunk, n-c0)
		x := h.LogitsBatch(grown(&bs.vbuf, cn*V), hidden[c0*d:(c0+cn)*d])
		for i := 0; i < cn; i++ {
			dst[c0+i] = h.topKOf(&bs.sel, dst[c0+i][:0], x[i*V:(i+1)*V], k, s, temperature)
		}
	}
	batchPool.Put(bs)
	return dst
}

// topKOf is AppendTopK's selection over the logits x of one position of a
// plain or Dense head (x is overwritten): the k best at inverse
// temperature s (0: greedy), with their log-probabilities.
func (h *Head) topKOf(sel *selector, dst []Token, x []float32, k int, s, temperature float32) []Token {
	var lse float64
	if s != 0 {
		lse = lse64(softmax.Partial(x, temperature))
	}
	return topKTokens(sel, dst, x, k, s, s, lse)
}
