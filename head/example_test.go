package head_test

import (
	"fmt"

	"github.com/lmhead/lmhead/head"
)

// A 4-token vocabulary over a 3-dimensional hidden state, with a bias.
func ExampleNew() {
	h, err := head.New(head.Config{
		Vocab:  4,
		Hidden: 3,
		Weight: []float32{
			1, 0, 0, // token 0
			0, 1, 0, // token 1
			0, 0, 1, // token 2
			1, 1, 1, // token 3
		},
		Bias: []float32{0, 0, 0, -2},
	})
	if err != nil {
		panic(err)
	}
	hidden := []float32{2, 0.5, -1}
	fmt.Println("logits:", h.Logits(nil, hidden))
	fmt.Println("greedy:", h.Greedy(hidden))
	fmt.Printf("probs:  %.3f\n", h.Probs(nil, hidden, 1))
	fmt.Printf("log p(token 1) = %.3f\n", h.LogProb(hidden, 1))
	for _, t := range h.TopK(hidden, 2, 1) {
		fmt.Printf("top: %d %.3f\n", t.ID, t.LogProb)
	}

	// A shape mistake names the field and both sizes.
	_, err = head.New(head.Config{Vocab: 4, Hidden: 3, Weight: make([]float32, 11)})
	fmt.Println(err)
	// Output:
	// logits: [2 0.5 -1 -0.5]
	// greedy: 0
	// probs:  [0.738 0.165 0.037 0.061]
	// log p(token 1) = -1.804
	// top: 0 -0.304
	// top: 1 -1.804
	// head: Config.Weight: length 11, want Vocab×Hidden = 4×3 = 12
}

// Weight tying: the head multiplies by the input embedding itself, so an
// update of the embedding is an update of the head.
func ExampleTied() {
	embedding := []float32{
		1, 0, // token 0
		0, 1, // token 1
		-1, -1, // token 2
	}
	h, err := head.New(head.Tied(embedding, 3, 2))
	if err != nil {
		panic(err)
	}
	hidden := []float32{0.5, 1}
	fmt.Println(h.Logits(nil, hidden), h.Greedy(hidden))
	embedding[4], embedding[5] = 3, 3 // train token 2
	fmt.Println(h.Logits(nil, hidden), h.Greedy(hidden))
	// Output:
	// [0.5 1 -1.5] 1
	// [0.5 1 4.5] 2
}

// Sampling with temperature, nucleus (top-p) and min-p filters. The same
// seed gives the same tokens.
func ExampleHead_Sample() {
	h, err := head.New(head.Config{
		Vocab:  5,
		Hidden: 2,
		Weight: []float32{1, 0, 0, 1, 1, 1, -1, 0, 0, -1},
	})
	if err != nil {
		panic(err)
	}
	hidden := []float32{1.5, 1}
	s, err := head.NewSampler(head.SamplerConfig{Temperature: 0.7, TopP: 0.9, MinP: 0.05, Seed: 42})
	if err != nil {
		panic(err)
	}
	counts := make([]int, 5)
	for range 10000 {
		tok, err := h.Sample(hidden, s)
		if err != nil {
			panic(err)
		}
		counts[tok]++
	}
	// The nucleus is tokens 2 and 0 (0.732 + 0.175 ≥ 0.9); the others are
	// never drawn, and token 2 takes 0.732/0.907 of the draws.
	fmt.Println("logits:", h.Logits(nil, hidden))
	fmt.Printf("probs at τ=0.7: %.3f\n", h.Probs(nil, hidden, 0.7))
	fmt.Println("draws outside the nucleus:", counts[1]+counts[3]+counts[4])
	fmt.Printf("share of token 2: %.1f\n", float64(counts[2])/10000)

	// Temperature 0 is greedy decoding.
	g, _ := head.NewSampler(head.SamplerConfig{TopP: 1})
	tok, _ := h.Sample(hidden, g)
	fmt.Println("greedy:", tok)
	// Output:
	// logits: [1.5 1 2.5 -1.5 -1]
	// probs at τ=0.7: [0.175 0.086 0.732 0.002 0.005]
	// draws outside the nucleus: 0
	// share of token 2: 0.8
	// greedy: 2
}

// A Mixture of Softmaxes with two components: the mixture can put its mass
// on two tokens at once, which a single softmax of a rank-1 logit
// projection cannot.
func ExampleMoS() {
	h, err := head.New(head.Config{
		Vocab:  3,
		Hidden: 1,
		Weight: []float32{ // V×e with latent width e = 2
			10, 0,
			0, 10,
			0, 0,
		},
		MoS: &head.MoS{
			K:      2,
			Prior:  []float32{0, 0}, // π = (1/2, 1/2) for every h
			Latent: []float32{1, -1, -1, 1},
			// h_1 = tanh(h, -h), h_2 = tanh(-h, h)
		},
	})
	if err != nil {
		panic(err)
	}
	hidden := []float32{3}
	fmt.Printf("p = %.3f\n", h.Probs(nil, hidden, 1))
	fmt.Printf("log p = %.2f\n", h.Logits(nil, hidden))
	// Output:
	// p = [0.500 0.500 0.000]
	// log p = [-0.69 -0.69 -9.95]
}
