package head

import (
	"fmt"
	"math"

	"github.com/lmhead/lmhead"
	"github.com/lmhead/lmhead/softmax"
)

// DefaultIgnoreIndex is the target that CrossEntropy skips by default, as
// torch.nn.functional.cross_entropy does.
const DefaultIgnoreIndex = -100

// IgnoreTokenZero is the LossOptions.IgnoreIndex that skips token 0. It
// exists because IgnoreIndex's zero value stands for DefaultIgnoreIndex.
const IgnoreTokenZero = math.MinInt

// LossOptions are the options of CrossEntropy, after
// torch.nn.functional.cross_entropy. The zero value is torch's defaults.
type LossOptions struct {
	// IgnoreIndex is the target value whose positions are skipped: they
	// add nothing to the loss and do not count in the mean. The zero value
	// means DefaultIgnoreIndex (-100), so that LossOptions{} behaves like
	// torch; since 0 is also a token id, ignore token 0 with
	// IgnoreTokenZero.
	IgnoreIndex int
	// LabelSmoothing is ε in [0, 1]: the target distribution is
	// (1-ε)·one-hot + ε/V, so the loss of one position is
	// (1-ε)·(-log p_target) + ε·mean_w(-log p_w).
	LabelSmoothing float32
}

// ignore returns the target value to skip.
func (o LossOptions) ignore() int {
	switch o.IgnoreIndex {
	case 0:
		return DefaultIgnoreIndex
	case IgnoreTokenZero:
		return 0
	}
	return o.IgnoreIndex
}

// Loss is the result of CrossEntropy.
type Loss struct {
	// MeanNLL is the mean over the positions not ignored of the (smoothed)
	// negative log-likelihood, in nats. NaN if every target is ignored,
	// as in torch.
	MeanNLL float64
	// Perplexity is exp(MeanNLL).
	Perplexity float64
	// Tokens is the number of positions not ignored.
	Tokens int
	// SumNLL is MeanNLL·Tokens, for combining batches: the mean over
	// several is ΣSumNLL/ΣTokens.
	SumNLL float64
}

// CrossEntropy returns the cross-entropy of the head's distribution at
// temperature 1 against targets, with hidden holding one hidden state per
// target (n×d row-major, n = len(targets)). It follows
// torch.nn.functional.cross_entropy with reduction="mean".
//
// For a plain or Dense head no V-sized buffer per position is made and W
// is read once per batch, not once per position: W is walked in blocks of
// rows small enough to stay in L2, each block is applied to every hidden
// state, and per position an online logsumexp collects the blocks.
//
// It returns an error if len(hidden) != len(targets)·Hidden, if a target
// is neither in [0, V) nor the ignore index, or if LabelSmoothing is not
// in [0, 1].
func (h *Head) CrossEntropy(hidden []float32, targets []int, opt LossOptions) (Loss, error) {
	n, d := len(targets), h.hidden
	if len(hidden) != n*d {
		return Loss{}, fmt.Errorf("head: CrossEntropy: len(hidden)=%d, want len(targets)×Hidden = %d×%d = %d",
			len(hidden), n, d, n*d)
	}
	eps := float64(opt.LabelSmoothing)
	if !(eps >= 0 && eps <= 1) {
		return Loss{}, fmt.Errorf("head: LossOptions.LabelSmoothing: %v, want in [0, 1]", opt.LabelSmoothing)
	}
	ign := opt.ignore()
	var rows []int // positions that count
	for i, t := range targets {
		if t == ign {
			continue
		}
		if t < 0 || t >= h.vocab {
			return Loss{}, fmt.Errorf("head: CrossEntropy: targets[%d]=%d, want in [0, %d) or the ignore index %d", i, t, h.vocab, ign)
		}
		rows = append(rows, i)
	}
	loss := Loss{Tokens: len(rows)}
	if len(rows) == 0 {
		loss.MeanNLL, loss.Perplexity = math.NaN(), math.NaN()
		return loss, nil
	}
	sc := h.get()
	defer h.put(sc)
	var total float64
	if h.mos != nil {
		lp := sc.vocabBuf(h.vocab)
		for _, r := range rows {
			h.mosLogProbs(sc, lp, hidden[r*d:(r+1)*d], 1)
			nll := -float64(lp[targets[r]])
			if eps != 0 {
				var s float64
				for _, v := range lp {
					s += float64(v)
				}
				nll = (1-eps)*nll + eps*(-s/float64(h.vocab))
			}
			total += nll
		}
	} else {
		total = h.ceBatch(sc, hidden, targets, rows, eps)
	}
	loss.SumNLL = total
	loss.MeanNLL = total / float64(len(rows))
	loss.Perplexity = math.Exp(loss.MeanNLL)
	return loss, nil
}

// ceStat is one position's running statistics in one part.
type ceStat struct {
	st  softmax.Stats // the normalizer so far
	tot float64       // Σ u, for label smoothing
	tgt float32       // the target's logit, if in this part's rows
}

// ceTask walks its part of W in blocks and applies each block to every
// position.
type ceTask struct {
	h       *Head
	z       []float32 // positions' unembedding inputs, len(rows)×e
	targets []int     // per position
	parts   int
	rowsPer int // rows of W per block
	smooth  bool
	stats   []ceStat // parts × positions
	blk     []float32
}

func (t *ceTask) run(p int) {
	h, e := t.h, t.h.embed
	lo, hi := span(p, t.parts, h.vocab)
	np := len(t.targets)
	st := t.stats[p*np : (p+1)*np]
	clear(st)
	blk := t.blk[p*t.rowsPer : (p+1)*t.rowsPer]
	tmp := make([]float32, blockRows)
	for r := lo; r < hi; r += t.rowsPer {
		b := blk[:min(t.rowsPer, hi-r)]
		w := h.weight.SliceRows(r, r+len(b))
		for i := range st {
			w.Gemv(b, t.z[i*e:(i+1)*e])
			h.finish(b, r, tmp)
			st[i].st = softmax.Merge(st[i].st, softmax.Partial(b, 1))
			if t.smooth {
				st[i].tot += float64(lmhead.Sum(b))
			}
			if tg := t.targets[i]; tg >= r && tg < r+len(b) {
				st[i].tgt = b[tg-r]
			}
		}
	}
}

// ceRowBytes is the size of the block of W that CrossEntropy keeps in
// cache while applying it to every position: well inside a 1 MiB L2.
const ceRowBytes = 256 << 10

// ceBatch returns the sum over rows of the (smoothed) NLL of a plain or
// Dense head.
func (h *Head) ceBatch(sc *scratch, hidden []float32, targets []int, rows []int, eps float64) float64 {
	d, e := h.hidden, h.embed
	np := len(rows)
	z := make([]float32, np*e)
	tg := make([]int, np)
	for j, r := range rows {
		tg[j] = targets[r]
		copy(z[j*e:(j+1)*e], h.input(sc, hidden[r*d:(r+1)*d]))
	}
	rowsPer := max(4, min(blockRows, ceRowBytes/max(1, h.weight.RowBytes())))
	// Enough positions make even a small W worth splitting.
	parts := partsFor(h.workers, h.vocab, e*np)
	t := &ceTask{
		h: h, z: z, targets: tg, parts: parts, rowsPer: rowsPer, smooth: eps != 0,
		stats: make([]ceStat, parts*np),
		blk:   make([]float32, parts*rowsPer),
	}
	h.pool.runParts(t, parts, &sc.wg)
	var total float64
	for i := 0; i < np; i++ {
		var st softmax.Stats
		tot, tgt := 0.0, float32(0)
		for p := 0; p < parts; p++ {
			s := t.stats[p*np+i]
			st = softmax.Merge(st, s.st)
			tot += s.tot
			if lo, hi := span(p, parts, h.vocab); tg[i] >= lo && tg[i] < hi {
				tgt = s.tgt
			}
		}
		lse := lse64(st)
		nll := lse - float64(tgt)
		if eps != 0 {
			nll = (1-eps)*nll + eps*(lse-tot/float64(h.vocab))
		}
		total += nll
	}
	return total
}
