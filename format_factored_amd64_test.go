package lmhead_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/lmhead/lmhead"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// TestFormatFactoredXRange checks the Q8_0 and Q4_0 kernels that factor the
// block scale out of each block (Σ d·Σ q·x) with activations where that
// would overflow or underflow while the reference does not: |x| up to
// 2¹²⁵, and subnormal x against scales up to 65504. The kernels must notice
// and take their exact path.
func TestFormatFactoredXRange(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(91)
		for _, f := range []lmhead.Format{lmhead.Q8_0, lmhead.Q4_0} {
			for _, cols := range []int{32, 64, 512, 544} {
				for _, xs := range []float64{0x1p125, 0x1p100, 0x1p64, 0x1p63, 0x1p-64, 0x1p-65, 0x1p-140, 1e-45} {
					for _, mixed := range []bool{false, true} {
						const rows = 5
						b := tu.RandRows(r, f, rows, cols)
						// Large scales with tiny x, small ones with huge x.
						for i := 0; i < len(b); i += f.BlockBytes() {
							e := uint16(1 + r.IntN(4))
							if xs < 1 {
								e = uint16(26 + r.IntN(4))
							}
							b[i], b[i+1] = byte(r.IntN(256)), byte(e<<2)|byte(r.IntN(4))|byte(r.IntN(2))<<7
						}
						x := make([]float32, cols)
						tu.Fill(r, x)
						for j := range x {
							if !mixed || j%5 == 0 {
								x[j] = float32(float64(x[j]) * xs)
							}
						}
						if math.IsInf(float64(x[0]), 0) {
							continue
						}
						m, err := lmhead.NewMatrix(f, rows, cols, b)
						if err != nil {
							t.Fatal(err)
						}
						checkFormatGemv(t, fmt.Sprintf("%v %dx%d x·%g mixed %v", f, rows, cols, xs, mixed), m, x)
					}
				}
			}
		}
	})
}
