package fuzz

import (
	"encoding/binary"
	"math"
	"testing"

	"github.com/lmhead/lmhead"
)

// FuzzGemm runs the batched projection lmhead.Gemm on every level against
// the float64 reference and the generic twin. Byte 0 picks the rows
// (1..27: every remainder of the 12- and 6-row tiles), byte 1 the
// positions (2..40: one to three 16-position groups, with tails), bytes
// 2–3 the columns (1..600: across the 256-column k slice and the 4-step
// unroll); the rest, cycled as little-endian float32 bit patterns, fill x
// and then W, so NaN, ±Inf and subnormals reach every lane.
func FuzzGemm(f *testing.F) {
	f.Add([]byte{13, 17, 1, 1, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 192})
	f.Add([]byte{24, 33, 3, 0, 0, 0, 128, 127, 1, 0, 0, 0, 0, 0, 192, 255})
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) < 8 {
			return
		}
		V, n := 1+int(data[0]%27), 2+int(data[1]%39)
		d := 1 + int(binary.LittleEndian.Uint16(data[2:]))%600
		src := data[4:]
		next := 0
		val := func() float32 {
			var b [4]byte
			for i := range b {
				b[i] = src[next%len(src)]
				next++
			}
			return math.Float32frombits(binary.LittleEndian.Uint32(b[:]))
		}
		x, w := make([]float32, n*d), make([]float32, V*d)
		for i := range x {
			x[i] = val()
		}
		for i := range w {
			w[i] = val()
		}
		twin := make([]float32, n*V)
		dst := make([]float32, n*V+2)
		forEachISA(t, func(isa lmhead.ISA) {
			guard := float32(-7.25)
			dst[0], dst[n*V+1] = guard, guard
			lmhead.Gemm(dst[1:n*V+1], w, x, n)
			if dst[0] != guard || dst[n*V+1] != guard {
				t.Fatalf("%v Gemm V=%d d=%d n=%d wrote outside dst", isa, V, d, n)
			}
			if isa == lmhead.Generic {
				copy(twin, dst[1:])
			}
			for i := 0; i < n; i++ {
				for v := 0; v < V; v++ {
					checkDot(t, "Gemm output", isa, dst[1+i*V+v], twin[i*V+v], w[v*d:(v+1)*d], x[i*d:(i+1)*d])
				}
			}
		})
	})
}
