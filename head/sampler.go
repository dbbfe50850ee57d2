package head

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/lmhead/lmhead"
)

// SamplerConfig configures a Sampler. The zero value of every field is
// "off" (or the default its comment gives): SamplerConfig{} is greedy
// decoding, SamplerConfig{Temperature: 1} a plain draw from the softmax.
//
// # The chain
//
// Each call runs these steps, each on what the previous one kept (the
// order of llama.cpp's default sampler chain, common/sampling.cpp, with
// the samplers of src/llama-sampling.cpp):
//
//  1. logit modifiers, on the Sampler's copy of the scores (the caller's
//     are never written), in this order: LogitBias; the penalties over the
//     history (repetition, then frequency and presence); DRY; Banned; the
//     EOS ids while fewer than MinTokens tokens were generated; Allowed;
//  2. temperature, unless TemperatureLast (Hugging Face applies it first,
//     generation/logits_process.py; this is the default);
//  3. top-n-σ (TopNSigma);
//  4. top-k (TopK);
//  5. typical-p (TypicalP);
//  6. top-p, the nucleus (TopP);
//  7. min-p (MinP);
//  8. XTC (XTCProbability, XTCThreshold);
//  9. temperature, with dynamic temperature (DynTempRange), if
//     TemperatureLast (llama.cpp's order: the filters see the τ = 1
//     probabilities);
//  10. mirostat v2 (MirostatTau), which truncates what is left;
//  11. the draw, in proportion to the probabilities of what is left.
//
// Every filter keeps at least one token, and all but typical-p and XTC
// (which by design may drop it, as in llama.cpp) keep the most likely one. Filters that keep a prefix of an order (top-k, top-p,
// typical-p) use the canonical order: scores from highest to lowest,
// equal scores by lower index. A NaN score counts as -Inf.
//
// At Temperature 0 the draw is greedy: the highest modified score (step
// 1), the lowest index among equal ones; the filters do not run.
//
// No step sorts the vocabulary: every filter works on a candidate set
// found by a threshold over block statistics or by radix selection, and
// only the tokens at a selection boundary are ever sorted.
type SamplerConfig struct {
	// Temperature divides the scores. 0 is greedy decoding. It must be
	// finite and not negative. A positive τ so small that 1/τ overflows
	// float32 counts as 0.
	Temperature float32
	// TemperatureLast moves the temperature after the filters
	// (llama.cpp's order): top-k, top-p, min-p, typical-p and XTC then
	// judge the τ = 1 probabilities. false (the default) applies it first,
	// as Hugging Face's generate does.
	TemperatureLast bool
	// DynTempRange is llama.cpp's dynamic temperature (the temp_ext
	// sampler, src/llama-sampling.cpp, "dynatemp_range"): with δ > 0 the
	// temperature is τ_min + (τ_max-τ_min)·(H/ln n)^DynTempExponent, where
	// τ_min = max(0, Temperature-δ), τ_max = Temperature+δ, H is the
	// entropy (nats) of the τ = 1 distribution over the n candidates at the
	// temperature's place in the chain. 0 is off; it must be finite and
	// ≥ 0. Temperature 0 stays greedy.
	DynTempRange float32
	// DynTempExponent is the exponent of DynTempRange; 0 means 1.
	DynTempExponent float32
	// TopK keeps the TopK highest scores (exactly TopK: equal scores go to
	// the lower index); ≤ 0 or ≥ the number of candidates is off.
	TopK int
	// TopP is the nucleus mass, in [0, 1]: keep the shortest prefix of the
	// canonical order whose probability, renormalised over what the earlier
	// filters kept, reaches TopP. 0 and 1 are off.
	TopP float32
	// MinP is the min-p ratio, in [0, 1): keep the tokens whose
	// probability is at least MinP times the highest one. 0 is off.
	MinP float32
	// TypicalP is locally typical sampling (Meister et al. 2022; llama.cpp
	// llama_sampler_typical_apply, Hugging Face TypicalLogitsWarper): with
	// H the entropy of the current distribution, order the tokens by
	// |-ln p - H| ascending and keep the shortest prefix whose mass
	// reaches TypicalP. In [0, 1]; 0 and 1 are off.
	TypicalP float32
	// TopNSigma keeps the tokens whose logit is at least max - n·σ, with σ
	// the standard deviation of the finite logits (Tang et al. 2024,
	// "Top-nσ"; llama.cpp llama_sampler_top_n_sigma_apply). Invariant
	// under temperature. 0 is off; it must be finite and ≥ 0.
	TopNSigma float32
	// XTCProbability is the chance that XTC ("exclude top choices",
	// llama.cpp llama_sampler_xtc_apply) runs at a step: it then removes
	// every token whose probability is at least XTCThreshold except the
	// least probable of them (when there are two or more). In [0, 1]; 0 is
	// off.
	XTCProbability float32
	// XTCThreshold is XTC's probability threshold, in (0, 0.5] when
	// XTCProbability > 0.
	XTCThreshold float32
	// MirostatTau turns on mirostat v2 (Basu et al. 2021; llama.cpp
	// llama_sampler_mirostat_v2_apply) with target surprise τ (bits): the
	// tokens with surprise -log₂ p > μ are removed (the most likely one
	// stays), the draw is made from the rest renormalised, and
	// μ ← μ - η·(surprise of the drawn token - τ). μ starts at 2τ and is
	// state of the Sampler. 0 is off; it must be finite and ≥ 0.
	MirostatTau float32
	// MirostatEta is mirostat's learning rate η; 0 means 0.1.
	MirostatEta float32
	// RepeatPenalty divides the positive scores and multiplies the others
	// of the tokens in the penalty window (CTRL, Keskar et al. 2019; Hugging
	// Face RepetitionPenaltyLogitsProcessor, llama.cpp
	// llama_sampler_penalties_apply). 0 and 1 are off; it must be finite
	// and ≥ 0.
	RepeatPenalty float32
	// FrequencyPenalty subtracts count·FrequencyPenalty from the score of
	// every token that occurs count times in the penalty window (OpenAI's
	// definition, llama.cpp penalty_freq). Finite; 0 is off.
	FrequencyPenalty float32
	// PresencePenalty subtracts PresencePenalty from the score of every
	// token that occurs in the penalty window (OpenAI, llama.cpp
	// penalty_present). Finite; 0 is off.
	PresencePenalty float32
	// PenaltyLastN is the penalty window: the last PenaltyLastN tokens of
	// the history (llama.cpp repeat_last_n). 0 means the whole history
	// (unlike llama.cpp, where 0 disables the penalties: here each penalty
	// has its own off value). It must be ≥ 0.
	PenaltyLastN int
	// DRY is the "don't repeat yourself" n-gram penalty; its zero value is
	// off.
	DRY DRYConfig
	// LogitBias adds a bias to the score of a token (OpenAI logit_bias,
	// llama.cpp logit_bias). ±Inf are allowed (-Inf bans a token); NaN and
	// negative ids are errors, ids ≥ the vocabulary size an error at the
	// call. The map is copied by NewSampler.
	LogitBias map[int]float32
	// Allowed, if not empty, is the only tokens that can be drawn: every
	// other score counts as -Inf. The cost of a call is then proportional
	// to len(Allowed), not to the vocabulary.
	Allowed []int
	// Banned tokens are never drawn (their score is set to -Inf).
	Banned []int
	// MinTokens suppresses the EOS ids (score -Inf) until the Sampler has
	// returned MinTokens tokens (Hugging Face MinNewTokensLengthLogitsProcessor,
	// vLLM min_tokens). 0 is off; it must be ≥ 0, and EOS not empty when
	// it is > 0.
	MinTokens int
	// EOS are the end-of-sequence ids that MinTokens suppresses.
	EOS []int
	// Seed seeds the sampler's PCG generator (math/rand/v2): the same seed,
	// scores and histories give the same tokens.
	Seed uint64
}

// DRYConfig configures DRY ("don't repeat yourself", after llama.cpp's
// llama_sampler_dry_apply in src/llama-sampling.cpp, itself after
// oobabooga's text-generation-webui). For every token that would extend a
// repetition of the end of the history — the end matches, for m ≥
// AllowedLength tokens, a stretch earlier in the window that the token
// followed — the token's score is lowered by Multiplier·Base^(m -
// AllowedLength), m the longest such match. A match never reaches back
// over a sequence breaker: the end of the history is only matched up to
// the last occurrence of a breaker, and a single-token breaker is never
// penalised itself.
type DRYConfig struct {
	// Multiplier scales the penalty; 0 is off. Finite and ≥ 0.
	Multiplier float32
	// Base is the growth of the penalty per extra matched token; 0 means
	// 1.75. Finite and ≥ 1.
	Base float32
	// AllowedLength is the longest match that goes unpenalised; 0 means 2.
	AllowedLength int
	// PenaltyLastN is the window of history searched; 0 means all of it.
	PenaltyLastN int
	// SequenceBreakers are token-id sequences that end a match (llama.cpp
	// takes strings and tokenises them; here the caller does). Each must
	// be non-empty.
	SequenceBreakers [][]int
}

// Sampler draws tokens from scores. It is one request's stream: its random
// numbers, mirostat's μ and the count of tokens it returned (for
// MinTokens) are its state, so that the same seed, scores and histories
// give the same tokens. It has its own scratch memory: use one per
// generation, never from two goroutines at once (it is not safe for
// concurrent use; different Samplers are independent). After the first
// call on a vocabulary size it allocates nothing.
type Sampler struct {
	cfg    SamplerConfig
	s      float32 // 1/Temperature; 0 for greedy
	rng    *rand.Rand
	m      float32    // the maximum of the current scores
	e      []float32  // weights e^(s·x - c) per token
	clean  []float32  // the Sampler's copy of the scores
	logits []float32  // for Head.Sample
	bmax   []float32  // per block: max of x (of bmaxOf, once needBMax has run)
	bmaxOf []float32  // non-nil: s.bmax is not yet made, for these scores
	rbmax  []float32  // per block: max of the raw scores
	emax   []float32  // per block: max of e
	bsum   []float64  // per block: Σ e
	bsum32 []float32  // the same, rounded, as the radix selector's weights
	blocks bool       // emax, bsum and bsum32 are those of the current e
	csum   []float64  // drawFlat's chunk sums
	one    [1]float32 // inCut's key of the drawn token
	// cutDraws and cutFallbacks count the cut draws and those that fell
	// back to the exact selection (for the tests).
	cutDraws, cutFallbacks int
	cutOK                  bool                   // the chain may end in a cut (see cut)
	list                   []int32                // what the filters kept so far
	list0                  []int32                // the Allowed list of this call
	xs, ws                 []float32              // gathered scores and weights of a list
	z                      []float32              // typical-p's order key
	esample                [nucleusSample]float32 // nucleusCandidates' sample of e
	esample2               [nucleusSample]float32 // the part of it below a threshold
	sel                    selector

	// Logit modifiers, from the configuration, ids sorted.
	biasIdx  []int32
	biasVal  []float32
	allowed  []int32
	banned   []int32
	eos      []int32
	breakers [][]int32
	maxID    int // the largest id in any of them, -1 if none

	counts  []int32   // per token: occurrences in the penalty window (kept zero)
	dryLen  []int32   // per token: DRY's longest match (kept zero)
	dryTok  []int32   // tokens with dryLen set
	dryZ    []int32   // DRY's Z array
	flag    []bool    // per token: scratch mark (kept false)
	bdirty  []bool    // per block: modified (kept false)
	dirty   []int32   // blocks with bdirty set
	hist    []int     // Verify's history with the accepted drafts
	rawNaN  bool      // the raw scores of this call hold a NaN
	mu      float64   // mirostat's μ
	emitted int       // tokens returned so far (MinTokens)
	topN    int       // SampleLogProbs' n
	rawLZ   float64   // ln Σ e^raw
	rawInf  bool      // the raw scores hold +Inf
	rawM    float32   // the raw maximum, while rawLZ is pending
	rawX    []float32 // the raw scores whose top n TopRaw holds, during a SampleLogProbs call
	// rawPending: rawLZ waits for the chain's last pass (rawFinish).
	rawPending bool
	last       pass // the chain's final pass, kept by choose for rawFinish
}

// pcgIncrement is the second PCG seed word: a fixed constant, so that
// SamplerConfig needs one seed only ("lmhead" in ASCII).
const pcgIncrement = 0x6c6d68656164

// NewSampler validates c and returns a Sampler. It returns an error naming
// the field ("head: SamplerConfig.X: value, want ...") for a value out of
// its range (each field's comment gives it), NaN, or a negative token id.
// Token ids at or above the vocabulary size are reported by the call that
// sees the scores.
func NewSampler(c SamplerConfig) (*Sampler, error) {
	bad := func(field string, v any, want string) error {
		return fmt.Errorf("head: SamplerConfig.%s: %v, want %s", field, v, want)
	}
	finiteGE := func(field string, v float32, lo float32) error {
		if f := float64(v); !(f >= float64(lo)) || math.IsInf(f, 0) {
			return bad(field, v, fmt.Sprintf("finite and ≥ %v (0 is off)", lo))
		}
		return nil
	}
	unit := func(field string, v float32) error {
		if p := float64(v); !(p >= 0 && p <= 1) {
			return bad(field, v, "in [0, 1] (0 and 1 are off)")
		}
		return nil
	}
	t := float64(c.Temperature)
	if !(t >= 0) || math.Signbit(t) || math.IsInf(t, 1) {
		return nil, bad("Temperature", c.Temperature, "finite and ≥ 0 (0 is greedy)")
	}
	if err := unit("TopP", c.TopP); err != nil {
		return nil, err
	}
	if p := float64(c.MinP); !(p >= 0 && p < 1) {
		return nil, bad("MinP", c.MinP, "in [0, 1) (0 is off)")
	}
	if err := unit("TypicalP", c.TypicalP); err != nil {
		return nil, err
	}
	if p := float64(c.XTCProbability); !(p >= 0 && p <= 1) {
		return nil, bad("XTCProbability", c.XTCProbability, "in [0, 1] (0 is off)")
	}
	if th := float64(c.XTCThreshold); !(th >= 0 && th <= 0.5) || (c.XTCProbability > 0 && th == 0) {
		return nil, bad("XTCThreshold", c.XTCThreshold, "in (0, 0.5] when XTCProbability > 0")
	}
	for _, f := range []struct {
		name string
		v    float32
	}{
		{"DynTempRange", c.DynTempRange}, {"DynTempExponent", c.DynTempExponent},
		{"TopNSigma", c.TopNSigma}, {"MirostatTau", c.MirostatTau}, {"MirostatEta", c.MirostatEta},
		{"RepeatPenalty", c.RepeatPenalty}, {"DRY.Multiplier", c.DRY.Multiplier},
	} {
		if err := finiteGE(f.name, f.v, 0); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct {
		name string
		v    float32
	}{{"FrequencyPenalty", c.FrequencyPenalty}, {"PresencePenalty", c.PresencePenalty}} {
		if v := float64(f.v); v != v || math.IsInf(v, 0) {
			return nil, bad(f.name, f.v, "finite (0 is off)")
		}
	}
	if b := float64(c.DRY.Base); b != 0 && (!(b >= 1) || math.IsInf(b, 0)) {
		return nil, bad("DRY.Base", c.DRY.Base, "finite and ≥ 1 (0 is 1.75)")
	}
	for _, f := range []struct {
		name string
		v    int
	}{{"PenaltyLastN", c.PenaltyLastN}, {"MinTokens", c.MinTokens}, {"DRY.AllowedLength", c.DRY.AllowedLength}, {"DRY.PenaltyLastN", c.DRY.PenaltyLastN}} {
		if f.v < 0 {
			return nil, bad(f.name, f.v, "≥ 0 (0 is off or the default)")
		}
	}
	if c.MinTokens > 0 && len(c.EOS) == 0 {
		return nil, bad("EOS", "[]", "the end-of-sequence ids when MinTokens > 0")
	}
	s := &Sampler{cfg: c, rng: rand.New(rand.NewPCG(c.Seed, pcgIncrement)), maxID: -1}
	ids := func(field string, in []int) ([]int32, error) {
		if len(in) == 0 {
			return nil, nil
		}
		out := make([]int32, 0, len(in))
		for _, id := range in {
			if id < 0 || id > math.MaxInt32 {
				return nil, bad(field, fmt.Sprintf("token id %d", id), "≥ 0")
			}
			out = append(out, int32(id))
			s.maxID = max(s.maxID, id)
		}
		slices.Sort(out)
		return slices.Compact(out), nil
	}
	var err error
	if s.allowed, err = ids("Allowed", c.Allowed); err != nil {
		return nil, err
	}
	if s.banned, err = ids("Banned", c.Banned); err != nil {
		return nil, err
	}
	if s.eos, err = ids("EOS", c.EOS); err != nil {
		return nil, err
	}
	for j, seq := range c.DRY.SequenceBreakers {
		if len(seq) == 0 {
			return nil, bad(fmt.Sprintf("DRY.SequenceBreakers[%d]", j), "[]", "a non-empty token sequence")
		}
		b := make([]int32, len(seq))
		for i, id := range seq {
			if id < 0 || id > math.MaxInt32 {
				return nil, bad(fmt.Sprintf("DRY.SequenceBreakers[%d]", j), fmt.Sprintf("token id %d", id), "≥ 0")
			}
			b[i] = int32(id)
			s.maxID = max(s.maxID, id)
		}
		s.breakers = append(s.breakers, b)
	}
	if len(c.LogitBias) > 0 {
		for id, v := range c.LogitBias {
			if id < 0 || id > math.MaxInt32 {
				return nil, bad("LogitBias", fmt.Sprintf("token id %d", id), "≥ 0")
			}
			if v != v {
				return nil, bad("LogitBias", fmt.Sprintf("token %d: NaN", id), "a number (±Inf allowed)")
			}
			s.biasIdx = append(s.biasIdx, int32(id))
			s.maxID = max(s.maxID, id)
		}
		slices.Sort(s.biasIdx)
		s.biasVal = make([]float32, len(s.biasIdx))
		for j, id := range s.biasIdx {
			s.biasVal[j] = c.LogitBias[int(id)]
		}
		s.cfg.LogitBias = nil // the copy is biasIdx/biasVal; Config rebuilds it
	}
	if inv := 1 / c.Temperature; c.Temperature > 0 && !math.IsInf(float64(inv), 1) {
		s.s = inv
	}
	s.mu = 2 * float64(c.MirostatTau)
	return s, nil
}

// Config returns the configuration the Sampler was made with (LogitBias a
// fresh copy).
func (s *Sampler) Config() SamplerConfig {
	c := s.cfg
	if len(s.biasIdx) > 0 {
		c.LogitBias = make(map[int]float32, len(s.biasIdx))
		for j, id := range s.biasIdx {
			c.LogitBias[int(id)] = s.biasVal[j]
		}
	}
	return c
}

// ErrNoCandidates is returned when every score is NaN or -Inf (after the
// logit modifiers), so that no token can be drawn.
var ErrNoCandidates = errors.New("head: every score is NaN or -Inf; no token to sample")

// Sample is SampleWith with no history: the penalties and DRY have nothing
// to act on; logit bias, the masks and MinTokens apply.
func (s *Sampler) Sample(scores []float32) (int, error) {
	return s.SampleWith(scores, nil)
}

// SampleWith draws a token from scores (logits, or log-probabilities: any
// shift of them gives the same result) with the chain of the Sampler's
// configuration (see SamplerConfig), history being the tokens so far
// (prompt and generated, oldest first) that the penalties and DRY look at.
// Neither scores nor history is written.
//
// A NaN score counts as -Inf (never drawn); if no score is left above
// -Inf after the logit modifiers, SampleWith returns ErrNoCandidates. If
// some scores are +Inf, the draw is uniform among them. A token id out of
// [0, len(scores)) in history or the configuration is an error naming it.
//
// The cost is a few vector passes over the scores (one when the chain has
// no filter), plus O(len(history)) for the penalties and DRY; the
// modifiers are applied to a copy made in the same pass as the maximum.
func (s *Sampler) SampleWith(scores []float32, history []int) (int, error) {
	return s.run(scores, history, s.s, true, nil)
}

// grow32 returns buf resized to n, reallocating if needed.
func grow32(buf []float32, n int) []float32 {
	if cap(buf) < n {
		return make([]float32, n)
	}
	return buf[:n]
}

// sampleBlock is the block of scores that the sampler keeps statistics
// for (maximum of x, maximum and sum of e): 1 KiB, so that a block is
// still in L1 when the kernel after the first one reads it, and few
// enough blocks (500 at 128k) that walking them costs nothing.
const sampleBlock = 256

// block returns the bounds of block b of n scores.
func block(b, n int) (lo, hi int) { return b * sampleBlock, min((b+1)*sampleBlock, n) }

// blockMax sets s.bmax to the maximum of every block of x and s.m to the
// overall maximum, which it returns; or NaN if x holds a NaN.
func (s *Sampler) blockMax(x []float32) float32 {
	s.bmaxOf = nil
	nb := (len(x) + sampleBlock - 1) / sampleBlock
	s.bmax = grow32(s.bmax, nb)
	m := float32(math.Inf(-1))
	for b := range s.bmax {
		lo, hi := block(b, len(x))
		v := lmhead.Max(x[lo:hi])
		if v != v {
			s.m = v
			return v
		}
		s.bmax[b] = v
		m = max(m, v)
	}
	s.m = m
	return m
}

// run is the body of every sampling call: validation, the logit
// modifiers (prepare), the raw log-probabilities if lp is not nil, the
// chain and the draw (choose).
func (s *Sampler) run(scores []float32, hist []int, inv float32, filter bool, lp *LogProbs) (int, error) {
	n := len(scores)
	if n == 0 {
		return 0, errors.New("head: Sampler: no scores")
	}
	if err := s.checkIDs(n, hist); err != nil {
		return 0, err
	}
	x, list := s.prepare(scores, hist, lp != nil)
	if lp != nil {
		s.rawTop(scores, hist, lp)
	}
	tok, err := s.choose(x, list, inv, filter, lp)
	s.rawX = nil
	if err != nil {
		s.rawPending = false
		return 0, err
	}
	if lp != nil {
		if s.rawPending {
			s.rawFinish(scores, lp, &s.last)
		}
		s.rawChosen(scores, tok, lp)
	}
	s.emitted++
	return tok, nil
}

// choose runs the chain on x (the candidates list, or all tokens when list
// is nil, with s.bmax and s.m set) and draws.
func (s *Sampler) choose(x []float32, list []int32, inv float32, filter bool, lp *LogProbs) (int, error) {
	s.cutOK = lp == nil
	p, tok, err := s.distribution(x, list, inv, filter)
	s.cutOK = false
	if err != nil {
		return 0, err
	}
	s.last = pass{}
	if tok >= 0 {
		if lp != nil {
			s.greedyLogProbs(tok, lp)
		}
		return tok, nil
	}
	s.last = p
	switch {
	case p.cut.kind != cutNone:
		tok = s.drawCut(&p)
	case s.cfg.MirostatTau > 0 && filter:
		tok = s.mirostat(&p)
	case p.list == nil:
		tok = s.drawAll(s.e)
	default:
		tok = s.drawList(s.e, p.list)
	}
	if lp != nil {
		s.processedLogProbs(&p, tok, lp)
	}
	return tok, nil
}

// distribution runs the chain up to the draw: it returns the final
// weights (s.e over p.list, or over every token with the block sums when
// p.list is nil), or a token ≥ 0 when the draw is greedy.
func (s *Sampler) distribution(x []float32, list []int32, inv float32, filter bool) (p pass, greedy int, err error) {
	n := len(x)
	cfg := s.cfg
	m := s.m
	if list != nil {
		m = float32(math.Inf(-1))
		for _, i := range list {
			m = max(m, x[i])
		}
	}
	if m != m || math.IsInf(float64(m), -1) {
		return p, -1, ErrNoCandidates
	}
	if math.IsInf(float64(m), 1) {
		// The limit of the softmax as the +Inf scores grow together:
		// uniform among them.
		s.clean = grow32(s.clean, n)
		if list == nil {
			for i, v := range x {
				s.clean[i] = inf01(v)
			}
			x = s.clean
			m = s.blockMax(x)
		} else {
			for _, i := range list {
				s.clean[i] = inf01(x[i])
			}
			x, m = s.clean, 0
		}
	}
	if inv == 0 {
		return p, s.argmax(x, list, m), nil
	}
	filter = filter && s.hasFilters()
	fInv, dInv := inv, inv // the temperature of the filters, of the draw
	dyn := filter && cfg.DynTempRange > 0
	if cfg.TemperatureLast && filter {
		fInv = 1
	}
	x, m = s.shiftIfOverflow(x, list, m, max(fInv, dInv))
	s.e = grow32(s.e, n)
	if dyn && !cfg.TemperatureLast {
		// The temperature comes first: its entropy is that of all the
		// candidates at τ = 1.
		q := pass{x: x, inv: 1, c: m, list: list}
		if list != nil {
			q.total = s.expList(x, list, 1, m)
		}
		dInv = s.dynInv(&q)
		if dInv == 0 {
			return p, s.argmax(x, list, m), nil
		}
		fInv = dInv
		x, m = s.shiftIfOverflow(x, list, m, dInv)
	}
	s.m = m
	s.cutOK = s.cutOK && fInv == dInv && !dyn
	p = s.chain(x, fInv, fInv*m, filter, list)
	if fInv != dInv || (dyn && cfg.TemperatureLast) {
		if dyn && cfg.TemperatureLast {
			dInv = s.dynInv(&p)
			if dInv == 0 {
				return p, s.argmax(x, p.list, m), nil
			}
			x, m = s.shiftIfOverflow(x, p.list, m, dInv)
			s.m = m
			p.x = x
		}
		p.inv, p.c, p.haveSex = dInv, dInv*m, false
		if p.list == nil {
			p.total = s.expSums(x, p.inv, p.c, cfg.MirostatTau > 0)
		} else {
			p.total = s.expList(x, p.list, p.inv, p.c)
		}
	}
	return p, -1, nil
}

// inf01 maps +Inf to 0 and everything else to -Inf.
func inf01(v float32) float32 {
	if math.IsInf(float64(v), 1) {
		return 0
	}
	return float32(math.Inf(-1))
}

// hasFilters reports whether any step of the chain after the modifiers
// is on, temperature aside.
func (s *Sampler) hasFilters() bool {
	c := s.cfg
	return c.TopK > 0 || (c.TopP > 0 && c.TopP < 1) || c.MinP > 0 ||
		(c.TypicalP > 0 && c.TypicalP < 1) || c.TopNSigma > 0 || c.XTCProbability > 0 ||
		c.MirostatTau > 0 || c.DynTempRange > 0
}

// argmax returns the first index of the maximum m of x over list (all of x
// when list is nil, from s.bmax). list is in increasing index order.
func (s *Sampler) argmax(x []float32, list []int32, m float32) int {
	if list != nil {
		best := -1
		for _, i := range list {
			if x[i] == m && (best < 0 || int(i) < best) {
				best = int(i)
			}
		}
		return best
	}
	s.needBMax()
	for b, v := range s.bmax {
		if v == m {
			lo, hi := block(b, len(x))
			return lo + lmhead.Argmax(x[lo:hi])
		}
	}
	return 0
}

// shiftIfOverflow returns x - m (in s.clean) and 0 if inv·m overflows,
// else x and m unchanged.
func (s *Sampler) shiftIfOverflow(x []float32, list []int32, m, inv float32) ([]float32, float32) {
	if !math.IsInf(float64(inv*m), 0) {
		return x, m
	}
	s.clean = grow32(s.clean, len(x))
	if list == nil {
		lmhead.ScaleShift(s.clean, x, 1, -m)
		x = s.clean
		return x, s.blockMax(x)
	}
	for _, i := range list {
		s.clean[i] = x[i] - m
	}
	return s.clean, 0
}

// Sample is SampleWith with no history.
func (h *Head) Sample(hidden []float32, s *Sampler) (int, error) {
	return h.SampleWith(hidden, s, nil)
}

// SampleWith draws the next token for hidden with s's configuration and
// the token history (see Sampler.SampleWith). At temperature 0 with no
// logit modifier it is Greedy (fused, no logits stored). Otherwise the
// logits go to a buffer the Sampler owns, so that with a warm Sampler it
// allocates nothing.
//
// For a Mixture of Softmaxes with no filter and no modifier the draw is
// exact and cheap: a component k ~ π, then a token from softmax(u_k/τ),
// which needs only that component's logits. Otherwise the chain works on
// the mixture's log-probabilities at τ (for a mixture the temperature is
// its own and always comes first).
//
// SampleWith panics if len(hidden) != Hidden.
func (h *Head) SampleWith(hidden []float32, s *Sampler, history []int) (int, error) {
	h.checkHidden("Sample", hidden)
	plain := !s.modifies(history) && s.allowed == nil
	if s.s == 0 && h.mos == nil && plain {
		// Fused argmax; only when it finds no finite or +Inf logit (a NaN
		// wins Greedy) do the logits go through the Sampler, which treats
		// NaN as -Inf and reports a head with no candidate.
		sc := h.get()
		g, v := h.argmaxProj(sc, h.input(sc, hidden))
		h.put(sc)
		if v == v && !math.IsInf(float64(v), -1) {
			if err := s.checkIDs(h.vocab, history); err != nil {
				return 0, err
			}
			s.emitted++
			return g, nil
		}
	}
	s.logits = grow32(s.logits, h.vocab)
	u := s.logits
	sc := h.get()
	defer h.put(sc)
	if h.mos == nil {
		h.project(sc, u, h.input(sc, hidden))
		return s.run(u, history, s.s, true, nil)
	}
	if s.s == 0 {
		// The τ → 0 limit of the mixture is its argmax at τ = 1.
		h.mosLogProbs(sc, u, hidden, 1)
		return s.run(u, history, 0, false, nil)
	}
	if s.hasFilters() || !plain {
		h.mosLogProbs(sc, u, hidden, s.cfg.Temperature)
		return s.run(u, history, 1, true, nil)
	}
	ms := sc.mosScratch(h)
	h.mosPrior(ms, hidden)
	k := 0
	for r := s.rng.Float64(); k < h.mos.K-1; k++ {
		r -= math.Exp(ms.logPi[k])
		if r < 0 {
			break
		}
	}
	h.mosLatent(sc, ms, hidden, k)
	e := h.embed
	h.project(sc, u, ms.lat[k*e:(k+1)*e])
	return s.run(u, history, s.s, false, nil)
}
