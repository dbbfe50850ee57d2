// Package head is the output head of a transformer language model: the
// projection of a hidden state onto the vocabulary and everything an
// inference engine or an evaluation loop does with the result on every
// token.
//
// A [Head] is built by [New] from a [Config], or by [Open] from a
// checkpoint (a GGUF file, a .safetensors file or a Hugging Face folder,
// memory-mapped and used in place). It covers
//
//   - a plain linear unembedding, with optional bias, in any weight format
//     of package lmhead (F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K:
//     Config.Matrix), with float32 activations;
//   - weight tying to the input embedding ([Tied], [TiedMatrix]: the
//     embedding is shared, not copied);
//   - an extra hidden layer z = Act(W·h + b) before the unembedding
//     ([Dense]);
//   - a Mixture of Softmaxes ([MoS], Yang et al. 2018), computed in log
//     space;
//   - Gemma 2's logit soft-capping c·tanh(u/c) and Cohere's logit scale.
//
// For generation it offers [Head.Greedy] (argmax fused into the
// projection), [Head.Sample] and [Head.SampleWith] with a [Sampler]
// (llama.cpp's chain: logit bias, masks, penalties and DRY, temperature,
// top-n-σ, top-k, typical-p, top-p, min-p, XTC, dynamic temperature,
// mirostat v2; no sort of the vocabulary), raw and processed top-N
// log-probabilities ([Sampler.SampleLogProbs]), speculative-decoding
// verification ([Sampler.Verify]), [Head.TopK] and log-probabilities
// ([Head.LogProbs], [Head.LogProb]); for many positions at once the batch
// methods ([Head.LogitsBatch], [Head.ScoreTokens], ...), which read the
// weights once per batch; for evaluation [Head.CrossEntropy] with
// perplexity.
//
// The projection runs on the kernels of package lmhead (AVX2, AVX-512,
// NEON or pure Go) and is split across Config.Workers goroutines by rows
// of the vocabulary. A Head is immutable and safe for concurrent use; the
// methods that take a dst allocate nothing.
package head
