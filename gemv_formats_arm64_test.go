//go:build !purego

package lmhead

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// TestGemvFormatsNEONPaths drives the NEON weight-format kernels' wrappers
// through the paths the exported tests do not reach: Q4_K rows longer than
// one q4kChunk (the sums of x taken a chunk at a time, the later chunks
// added to dst), and non-finite scales in a later chunk and in every row
// of a group, against the generic twin.
func TestGemvFormatsNEONPaths(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	for _, f := range []Format{Q8_0, Q4_0, Q6_K, Q4_K} {
		kernel := map[Format]func([]float32, []byte, []float32){
			Q8_0: gemvQ8_0NEON, Q4_0: gemvQ4_0NEON, Q6_K: gemvQ6_KNEON, Q4_K: gemvQ4_KNEON,
		}[f]
		for _, cols := range []int{q4kChunk, q4kChunk + 256, 2*q4kChunk + 768} {
			for _, special := range []int{-1, 0, 3, 4, 6} { // the row whose last block gets d = +Inf; -1: none
				rows := 7
				rb := f.rowBytes(cols)
				w := make([]byte, rows*rb)
				for i := range w {
					w[i] = byte(r.Uint32())
				}
				dOff := 0
				if f == Q6_K {
					dOff = 208
				}
				for b := 0; b < len(w); b += f.BlockBytes() {
					binary.LittleEndian.PutUint16(w[b+dOff:], 0x2c00|uint16(r.IntN(0x400))|uint16(r.IntN(2))<<15)
					if f == Q4_K {
						binary.LittleEndian.PutUint16(w[b+2:], 0x2c00|uint16(r.IntN(0x400)))
					}
				}
				if special >= 0 {
					b := (special+1)*rb - f.BlockBytes()
					binary.LittleEndian.PutUint16(w[b+dOff:], 0x7c00)
				}
				x := make([]float32, cols)
				for i := range x {
					x[i] = 2*r.Float32() - 1
				}
				got, want := make([]float32, rows), make([]float32, rows)
				kernel(got, w, x)
				gemvFormat(f, want, w, x)
				dec := make([]float32, cols)
				for i := range got {
					// Both sums err by at most (n+8)·2⁻²⁴·Σ mag·|x|; for Q4_K
					// mag ≤ |w| + dmin·m < |w| + 8 with these scales.
					dequantize(f, dec, w[i*rb:(i+1)*rb])
					var abs float64
					for j, v := range dec {
						m := math.Abs(float64(v))
						if f == Q4_K {
							m += 8
						}
						abs += m * math.Abs(float64(x[j]))
					}
					bound := 2 * float64(cols+8) * 0x1p-24 * abs
					name := fmt.Sprintf("%v %dx%d special row %d: dst[%d]", f, rows, cols, special, i)
					if i == special || math.IsNaN(float64(want[i])) || math.IsInf(float64(want[i]), 0) {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) && !(got[i] != got[i] && want[i] != want[i]) {
							t.Errorf("%s = %v, want %v", name, got[i], want[i])
						}
						continue
					}
					if d := math.Abs(float64(got[i]) - float64(want[i])); !(d <= bound) {
						t.Errorf("%s = %v, want %v", name, got[i], want[i])
					}
				}
			}
		}
	}
}

// TestGemvFormatsNEONExtremeX checks the factored kernels at the ends of
// float32's range: activations near 2¹²² with tiny scales, where Σ q·x
// overflows but the decoded products do not (factorSafe sends them to the
// generic twin), and subnormal activations with the largest scales, where
// the factored sums stay exact.
func TestGemvFormatsNEONExtremeX(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	kernels := map[Format]func([]float32, []byte, []float32){
		Q8_0: gemvQ8_0NEON, Q4_0: gemvQ4_0NEON, Q6_K: gemvQ6_KNEON, Q4_K: gemvQ4_KNEON,
	}
	for _, f := range []Format{Q8_0, Q4_0, Q6_K, Q4_K} {
		for _, c := range []struct {
			name  string
			scale uint16  // every binary16 scale (d, and dmin for Q4_K)
			x     float32 // the activations' magnitude
		}{
			{"huge x, tiny d", 0x0400, 0x1p122}, // d = 2⁻¹⁴
			{"subnormal x, d=65504", 0x7bff, 0x1p-140},
			{"subnormal x, d=2", 0x4000, 0x1p-147},
		} {
			rows, cols := 5, 512
			rb := f.rowBytes(cols)
			w := make([]byte, rows*rb)
			for i := range w {
				w[i] = byte(r.Uint32())
			}
			dOff := 0
			if f == Q6_K {
				dOff = 208
			}
			for b := 0; b < len(w); b += f.BlockBytes() {
				binary.LittleEndian.PutUint16(w[b+dOff:], c.scale)
				if f == Q4_K {
					binary.LittleEndian.PutUint16(w[b+2:], c.scale)
				}
			}
			x := make([]float32, cols)
			for i := range x {
				x[i] = c.x * float32(1+r.IntN(7)) * float32(1-2*r.IntN(2))
			}
			got, want := make([]float32, rows), make([]float32, rows)
			kernels[f](got, w, x)
			gemvFormat(f, want, w, x)
			dec := make([]float32, cols)
			for i := range got {
				dequantize(f, dec, w[i*rb:(i+1)*rb])
				var abs float64
				for j, v := range dec {
					m := math.Abs(float64(v))
					if f == Q4_K {
						m += 63 * math.Abs(float64(HalfToFloat32(c.scale)))
					}
					abs += m * math.Abs(float64(x[j]))
				}
				bound := 2*float64(cols+8)*0x1p-24*abs + 2*float64(cols)*0x1p-149
				if d := math.Abs(float64(got[i]) - float64(want[i])); !(d <= bound) {
					t.Errorf("%v %s: dst[%d] = %v, generic twin %v (bound %v)", f, c.name, i, got[i], want[i], bound)
				}
			}
		}
	}
}
