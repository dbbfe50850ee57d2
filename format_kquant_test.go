package lmhead_test

import (
	"encoding/binary"
	"fmt"
	"math"
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

// TestFormatKQuantGemv is TestFormatGemv and TestFormatGuardPages for the
// K-quants alone, so that they can be run by themselves (under qemu, say):
// every block count up to past the unroll, every row remainder, starts at
// 0, 2, 4, 32 and 34 mod 64, and w, x and dst flush against PROT_NONE pages.
func TestFormatKQuantGemv(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(89)
		for _, f := range []lmhead.Format{lmhead.Q4_K, lmhead.Q6_K} {
			for _, cols := range formatCols(f) {
				rb, _ := f.RowBytes(cols)
				for _, rows := range []int{1, 2, 3, 5} {
					for _, off := range []int{0, 2, 4, 32, 34} {
						buf := tu.AlignedBytes(rows*rb, off)
						tu.FillRows(r, f, buf)
						m, _ := lmhead.NewMatrix(f, rows, cols, buf)
						x := make([]float32, cols)
						tu.Fill(r, x)
						checkFormatGemv(t, fmt.Sprintf("%v %dx%d at %d mod 64", f, rows, cols, off), m, x)
					}
					if !tu.GuardPages {
						continue
					}
					for _, s := range sides {
						w := tu.GuardedBytes(t, rows*rb, s.side)
						tu.FillRows(r, f, w)
						x := tu.Guarded(t, cols, s.side, 0)
						tu.Fill(r, x)
						dst := tu.Guarded(t, rows, s.side, 0)
						m, _ := lmhead.NewMatrix(f, rows, cols, w)
						m.Gemv(dst, x)
						for i := range dst {
							ref, bound := tu.RefGemvRow(f, w[i*rb:(i+1)*rb], x)
							if !tu.Close(dst[i], ref, bound) {
								t.Fatalf("%v %s %dx%d: dst[%d]=%v, want %v", f, s.name, rows, cols, i, dst[i], ref)
							}
						}
					}
				}
			}
		}
	})
}

// TestFormatKQuantSpecialX puts ±Inf and NaN into x, at a weight whose
// quant is 0 in every row: the reference's product is then (0·d1 −
// m1)·Inf = ∓Inf for Q4_K, and d·sc·(0−32)·Inf for Q6_K, where a kernel
// that sums q·x before scaling would get 0·Inf = NaN. Also x with every
// |x| near 2¹²⁰, where Σ q·x over a sub-block overflows although the
// decoded products d·q·x (with d = 2⁻¹⁴) do not.
func TestFormatKQuantSpecialX(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(90)
		for _, f := range []lmhead.Format{lmhead.Q4_K, lmhead.Q6_K} {
			rows, cols := 4, 512
			for _, v := range []float32{float32(math.Inf(1)), float32(math.Inf(-1)), float32(math.NaN())} {
				b := tu.RandRows(r, f, rows, cols)
				// weight 5 of every block: Q4_K low nibble of qs[5];
				// Q6_K low nibble of ql[5] and bits 0-1 of qh[5]
				for at := 0; at < len(b); at += f.BlockBytes() {
					if f == lmhead.Q4_K {
						b[at+16+5] &^= 0x0f
					} else {
						b[at+5] &^= 0x0f
						b[at+128+5] &^= 0x03
					}
				}
				m, _ := lmhead.NewMatrix(f, rows, cols, b)
				x := make([]float32, cols)
				tu.Fill(r, x)
				x[256+5] = v
				checkFormatGemv(t, fmt.Sprintf("%v with x = %v", f, v), m, x)
			}
			b := tu.RandRows(r, f, rows, cols)
			for i := 0; i < len(b); i += f.BlockBytes() {
				for _, o := range tu.ScaleOffsets(f) {
					binary.LittleEndian.PutUint16(b[i+o:], 0x0400)
				}
			}
			m, _ := lmhead.NewMatrix(f, rows, cols, b)
			x := make([]float32, cols)
			for j := range x {
				x[j] = 0x1p120 * float32(1-2*(j%2))
			}
			checkFormatGemv(t, fmt.Sprintf("%v with |x| = 2¹²⁰", f), m, x)
			// the largest quants (Q6_K q = 63, Q4_K q = 15) and positive x
			// of 2¹²²: every decoded product and the row sum are finite.
			for i := 0; i < len(b); i += f.BlockBytes() {
				if f == lmhead.Q4_K {
					for j := 16; j < 144; j++ {
						b[i+j] = 0xff
					}
				} else {
					for j := 0; j < 192; j++ {
						b[i+j] = 0xff
					}
					for j := 192; j < 208; j++ {
						b[i+j] = 1
					}
				}
			}
			for j := range x {
				x[j] = 0x1p122
			}
			checkFormatGemv(t, fmt.Sprintf("%v with x = 2¹²² and the largest quants", f), m, x)
		}
	})
}
