package lmhead_test

import (
	"fmt"

	"github.com/lmhead/lmhead"
)

// Project a hidden state onto a three-word vocabulary.
func ExampleGemv() {
	w := []float32{ // 3×4, row-major: one row per vocabulary entry
		1, 0, 0, 0,
		0, 1, 1, 0,
		0.5, 0.5, 0.5, 0.5,
	}
	hidden := []float32{2, 3, 4, 5}
	logits := make([]float32, 3)
	lmhead.Gemv(logits, w, hidden)
	fmt.Println(logits)
	// Output: [2 7 7]
}

func ExampleDot() {
	fmt.Println(lmhead.Dot([]float32{1, 2, 3}, []float32{4, 5, 6}))
	// Output: 32
}

// Force the pure-Go kernels, e.g. to compare an assembly level with them.
func ExampleUse() {
	prev := lmhead.Active()
	defer lmhead.Use(prev)

	if err := lmhead.Use(lmhead.Generic); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(lmhead.Active(), lmhead.Supported()[len(lmhead.Supported())-1])
	// Output: generic generic
}
