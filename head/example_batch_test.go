package head_test

import (
	"fmt"

	"github.com/lmhead/lmhead/head"
)

// Scoring a prompt: the log-probability of each next token, for all
// positions in one batched product, and the logits of every position.
func ExampleHead_ScoreTokens() {
	h, err := head.New(head.Config{
		Vocab:  4,
		Hidden: 3,
		Weight: []float32{
			1, 0, 0, // token 0
			0, 1, 0, // token 1
			0, 0, 1, // token 2
			1, 1, 1, // token 3
		},
	})
	if err != nil {
		panic(err)
	}
	// Three positions, one hidden state of 3 each, and the token that
	// followed each.
	hidden := []float32{
		2, 0.5, -1,
		0, 1, 0,
		1, 1, 1,
	}
	next := []int{0, 1, 3}
	fmt.Printf("log p(next): %.3f\n", h.ScoreTokens(nil, hidden, next))
	fmt.Println("greedy:", h.GreedyBatch(nil, hidden))
	logits := h.LogitsBatch(nil, hidden)
	for i := 0; i < 3; i++ {
		fmt.Println("logits:", logits[i*4:(i+1)*4])
	}
	// Output:
	// log p(next): [-0.631 -1.006 -0.341]
	// greedy: [0 1 3]
	// logits: [2 0.5 -1 1.5]
	// logits: [0 1 0 1]
	// logits: [1 1 1 3]
}
