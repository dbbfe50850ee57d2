package head_test

import (
	"fmt"

	"github.com/lmhead/lmhead/head"
)

// Open a GGUF checkpoint (this one was written by ggml itself) and run its
// head in place: the Q6_K weights stay in the file's mapping.
func ExampleOpen() {
	h, err := head.Open("../testdata/gguf/head-q6_K.gguf")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer h.Close()
	src, _ := h.Source()
	fmt.Printf("%s %s: %s %d×%d, tied %v\n", src.Architecture, src.Tensor, src.Format, src.Vocab, src.Hidden, src.Tied)

	// The hidden state: the embedding row of token 3 would need a tied
	// head; this one has its own output matrix, so use a plain vector.
	hidden := make([]float32, h.Hidden())
	for i := range hidden {
		hidden[i] = float32(i%7) - 3
	}
	best := h.Greedy(hidden)
	fmt.Println("next token:", best, h.Tokens()[best])
	// Output:
	// llama output.weight: Q6_K 16×768, tied false
	// next token: 14 <t14>
}
