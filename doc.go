// Package lmhead holds the compute kernels of a transformer language-model
// output head: the vocabulary GEMV that projects a hidden state onto the
// unembedding, and the reductions that softmax and sampling stand on.
//
// Every kernel exists as a pure-Go function that is always correct and, on
// amd64 and arm64, as AVX2, AVX-512 and NEON assembly. The best level the CPU
// supports is chosen once at start-up; see [ISA], [Supported], [Active] and
// [Use]. Building with -tags purego compiles no assembly at all.
//
// The kernels accept slices of any length, including 0, starting at any
// alignment, and never read or write outside the slices they are given.
// Misuse (mismatched lengths) panics with a message naming the sizes.
//
// Packages softmax and head build the softmax family and the full LM head on
// top of these kernels.
package lmhead
