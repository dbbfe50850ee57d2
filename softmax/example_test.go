package softmax_test

import (
	"fmt"
	"math"

	"github.com/lmhead/lmhead/softmax"
)

func ExampleSoftmax() {
	logits := []float32{2, 1, 0.1, -1}
	probs := make([]float32, len(logits))

	softmax.Softmax(probs, logits, 1)
	fmt.Printf("τ=1:   %.4f\n", probs)

	// A lower temperature sharpens the distribution; 0 is greedy.
	softmax.Softmax(probs, logits, 0.5)
	fmt.Printf("τ=0.5: %.4f\n", probs)
	softmax.Softmax(probs, logits, 0)
	fmt.Printf("τ=0:   %.4f\n", probs)
	// Output:
	// τ=1:   [0.6381 0.2347 0.0954 0.0318]
	// τ=0.5: [0.8619 0.1166 0.0193 0.0021]
	// τ=0:   [1.0000 0.0000 0.0000 0.0000]
}

func ExampleLogSoftmax() {
	logits := []float32{2, 1, 0.1, float32(math.Inf(-1))}
	logp := make([]float32, len(logits))
	softmax.LogSoftmax(logp, logits, 1)
	fmt.Printf("%.4f\n", logp)
	fmt.Printf("%.4f\n", softmax.LogSumExp(logits, 1))
	// Output:
	// [-0.4170 -1.4170 -2.3170 -Inf]
	// 2.4170
}

// The vocabulary is split across two shards (two machines, or two cores).
// Each computes its Stats; the merged Stats normalise each shard locally,
// with the same result as Softmax over the whole vocabulary.
func ExampleStats() {
	shard0 := []float32{2, 1}
	shard1 := []float32{0.1, -1}
	const temperature = 1

	total := softmax.Merge(softmax.Partial(shard0, temperature), softmax.Partial(shard1, temperature))

	p0, p1 := make([]float32, 2), make([]float32, 2)
	softmax.Normalize(p0, shard0, temperature, total)
	softmax.Normalize(p1, shard1, temperature, total)
	fmt.Printf("%.4f %.4f\n", p0, p1)
	fmt.Printf("log Σ e^x = %.4f\n", total.LogSumExp())

	// The zero Stats is the empty part: the start of any reduction.
	var acc softmax.Stats
	for _, shard := range [][]float32{shard0, shard1} {
		acc = softmax.Merge(acc, softmax.Partial(shard, temperature))
	}
	fmt.Printf("log Σ e^x = %.4f\n", acc.LogSumExp())
	// Output:
	// [0.6381 0.2347] [0.0954 0.0318]
	// log Σ e^x = 2.4493
	// log Σ e^x = 2.4493
}

func ExampleArgmax() {
	fmt.Println(softmax.Argmax([]float32{0.5, 3, -1, 3}))
	// Output: 1
}
