package head

import (
	"fmt"
	"math"

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
// is read once per 128 positions, not once per position: the logits of a
// block of rows are computed for every position by one matrix product
// (lmhead.Matrix.GemmBatch, bound by the FMA units rather than the memory
// bandwidth) and per position an online logsumexp collects the blocks. Its
// scratch is the packed positions (the counted ones, n×e float32), a block
// of logits per worker (n×3840 float32, at most 8 MiB) and a few values
// per position.
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
		total = h.ceBatch(hidden, targets, rows, eps)
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

// ceBatch returns the sum over rows of the (smoothed) NLL of a plain or
// Dense head: the positions that count are packed for the batched product
// and the fused logsumexp pass of the batch methods (lseBatch) gives every
// position its normalizer, target logit and, for label smoothing, the sum
// of its logits.
func (h *Head) ceBatch(hidden []float32, targets []int, rows []int, eps float64) float64 {
	d, np := h.hidden, len(rows)
	bs := batchPool.Get().(*batchScratch)
	defer batchPool.Put(bs)
	x := hidden
	if np != len(targets) {
		x = grown(&bs.xs, np*d)
		for j, r := range rows {
			copy(x[j*d:(j+1)*d], hidden[r*d:(r+1)*d])
		}
	}
	tg := grown(&bs.ints, np)
	for j, r := range rows {
		tg[j] = targets[r]
	}
	h.packInput(bs, x, np)
	lse := h.lseBatch(bs, tg, eps != 0)
	var total float64
	for i := 0; i < np; i++ {
		s := bs.stats[i]
		nll := lse[i] - float64(s.tgt)
		if eps != 0 {
			nll = (1-eps)*nll + eps*(lse[i]-s.tot/float64(h.vocab))
		}
		total += nll
	}
	return total
}
