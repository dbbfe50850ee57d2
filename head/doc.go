// Package head is the output head of a transformer language model: the
// projection of a hidden state onto the vocabulary and everything an
// inference engine or an evaluation loop does with the result on every
// token.
//
// A [Head] is built by [New] from a [Config]. It covers
//
//   - a plain linear unembedding, with optional bias;
//   - weight tying to the input embedding ([Tied]: the embedding is shared,
//     not copied);
//   - an extra hidden layer z = Act(W·h + b) before the unembedding
//     ([Dense]);
//   - a Mixture of Softmaxes ([MoS], Yang et al. 2018), computed in log
//     space;
//   - Gemma 2's logit soft-capping c·tanh(u/c) and Cohere's logit scale.
//
// For generation it offers [Head.Greedy] (argmax fused into the
// projection), [Head.Sample] with a [Sampler] (temperature, top-k, top-p,
// min-p; partial selection, no sort of the vocabulary), [Head.TopK] and
// log-probabilities ([Head.LogProbs], [Head.LogProb]); for evaluation
// [Head.CrossEntropy] with perplexity.
//
// The projection runs on the kernels of package lmhead (AVX2, AVX-512,
// NEON or pure Go) and is split across Config.Workers goroutines by rows
// of the vocabulary. A Head is immutable and safe for concurrent use; the
// methods that take a dst allocate nothing.
package head
