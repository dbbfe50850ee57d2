package lmhead_test

import (
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/lmhead/lmhead"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// TestFormatKQuantLongRows checks the K-quant Gemvs on rows longer than the
// AVX2 Q4_K kernel precomputes sub-block sums of x for (16384 columns):
// those take its exact kernel. One block per row gets an infinite or NaN
// scale, so both paths of each kernel run.
func TestFormatKQuantLongRows(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(88)
		for _, f := range []lmhead.Format{lmhead.Q4_K, lmhead.Q6_K} {
			for _, cols := range []int{16384, 16384 + 256} {
				rows := 3
				b := tu.RandRows(r, f, rows, cols)
				bb, nb := f.BlockBytes(), cols/256
				for row, s := range []uint16{0x7c00, 0x7e00, 0x3c00} {
					at := row*nb*bb + (row*5%nb)*bb
					for _, o := range tu.ScaleOffsets(f) {
						binary.LittleEndian.PutUint16(b[at+o:], s)
					}
				}
				m, err := lmhead.NewMatrix(f, rows, cols, b)
				if err != nil {
					t.Fatal(err)
				}
				x := make([]float32, cols)
				tu.Fill(r, x)
				checkFormatGemv(t, fmt.Sprintf("%v %dx%d", f, rows, cols), m, x)
			}
		}
	})
}
