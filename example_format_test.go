package lmhead_test

import (
	"fmt"

	"github.com/lmhead/lmhead"
)

// Quantize a float32 head to Q8_0 and project a hidden state with it: the
// weights are decoded in registers, the hidden state stays float32.
func ExampleMatrix_Gemv() {
	w := make([]float32, 3*64) // 3 tokens × d = 64
	for i := range w {
		w[i] = float32(i%64-32) / 64
	}
	w[64+5] = 1 // token 1 leans on coordinate 5
	m, err := lmhead.Quantize(lmhead.Q8_0, w, 3, 64)
	if err != nil {
		fmt.Println(err)
		return
	}
	hidden := make([]float32, 64)
	hidden[5] = 2
	logits := make([]float32, 3)
	m.Gemv(logits, hidden)
	fmt.Printf("%v, %d bytes: %.3f\n", m.Format(), len(m.Bytes()), logits)
	// Output: Q8_0, 204 bytes: [-0.842 2.000 -0.842]
}

// A tensor of a checkpoint is used where it lies: NewMatrix only checks
// the sizes. Here, one Q4_0 block (18 bytes) laid out by hand.
func ExampleNewMatrix() {
	blk := make([]byte, 18)
	blk[0], blk[1] = 0x00, 0x38 // d = 0.5 as an IEEE half (0x3800)
	for j := range 16 {
		blk[2+j] = byte(j) | byte(15-j)<<4 // weight j: j−8, weight j+16: 7−j
	}
	m, err := lmhead.NewMatrix(lmhead.Q4_0, 1, 32, blk)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Dequantize(make([]float32, 32), 0, 1)[:4], m.Dequantize(make([]float32, 32), 0, 1)[16:20])
	// Output: [-4 -3.5 -3 -2.5] [3.5 3 2.5 2]
}
