package lmhead_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/lmhead/lmhead"
	tu "github.com/lmhead/lmhead/internal/testutil"
)

// gemmShapes returns the rows, columns and positions the Gemm tests run:
// every remainder of the tile rows (12, 6), up to 8 positions in pairs
// of k (AVX-512, AVX2) and 9, and panel rows (48), of the
// position groups (16, pairs of 32, 128 per pack) and of the k slice (256)
// and its 4-step unroll.
func gemmShapes() (rows, cols, ns []int) {
	rows = []int{1, 5, 6, 11, 12, 13, 47, 48, 61}
	cols = []int{1, 3, 4, 7, 255, 256, 257, 515}
	ns = []int{2, 3, 8, 9, 15, 16, 17, 31, 32, 33, 49}
	if !tu.Short() {
		rows = append(rows, 97, 100)
		ns = append(ns, 64, 129)
	}
	return rows, cols, ns
}

// checkGemm checks every output of dst = X·Wᵀ against the float64
// reference and its Dot bound.
func checkGemm(t *testing.T, what string, dst, w, x []float32, V, d, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		for v := 0; v < V; v++ {
			ref, bound := tu.DotRef(w[v*d:(v+1)*d], x[i*d:(i+1)*d])
			if got := dst[i*V+v]; !tu.Close(got, ref, bound) {
				t.Fatalf("%s: dst[%d][%d] = %v, want %v ± %v", what, i, v, got, ref, bound)
			}
		}
	}
}

// TestGemm checks Gemm against the float64 reference on every level, with
// W, x and dst each against a PROT_NONE page (after, and before for W), so
// that a tile reading or writing past any tail of rows, positions or k
// faults.
func TestGemm(t *testing.T) {
	rows, cols, ns := gemmShapes()
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(1010)
		for i, V := range rows {
			for j, d := range cols {
				for k, n := range ns {
					if (i+j+k)%3 != 0 && tu.Short() {
						continue
					}
					side := tu.After
					if (i+j+k)%2 == 1 {
						side = tu.Before
					}
					w := tu.Guarded(t, V*d, side, 0)
					x := tu.Guarded(t, n*d, tu.After, 0)
					dst := tu.Guarded(t, n*V, tu.After, 7)
					tu.Fill(r, w)
					tu.Fill(r, x)
					lmhead.Gemm(dst, w, x, n)
					checkGemm(t, fmt.Sprintf("%v V=%d d=%d n=%d", isa, V, d, n), dst, w, x, V, d, n)
				}
			}
		}
	})
}

// TestGemmOne checks that n = 1 is Gemv, bit for bit.
func TestGemmOne(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(1011)
		V, d := 37, 300
		w, x := make([]float32, V*d), make([]float32, d)
		tu.Fill(r, w)
		tu.Fill(r, x)
		got, want := make([]float32, V), make([]float32, V)
		lmhead.Gemm(got, w, x, 1)
		lmhead.Gemv(want, w, x)
		for i := range got {
			if got[i] != want[i] {
				t.Fatalf("dst[%d] = %v, Gemv gives %v", i, got[i], want[i])
			}
		}
	})
}

// TestGemmFormats checks Matrix.Gemm for every weight format against the
// float64 reference over the exactly decoded weights, with the weights
// against a guard page.
func TestGemmFormats(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(1012)
		for _, f := range lmhead.Formats() {
			bs := f.BlockSize()
			for _, cols := range []int{bs, 2 * bs, (300 + bs - 1) / bs * bs} {
				for _, V := range []int{13, 49} {
					for _, n := range []int{2, 17, 33} {
						rb, _ := f.RowBytes(cols)
						data := tu.GuardedBytes(t, V*rb, tu.After)
						tu.FillRows(r, f, data)
						m, err := lmhead.NewMatrix(f, V, cols, data)
						if err != nil {
							t.Fatal(err)
						}
						x := make([]float32, n*cols)
						tu.Fill(r, x)
						dst := make([]float32, n*V)
						bf16Shapes(isa, f, func(shape string) {
							clear(dst)
							m.Gemm(dst, x, n)
							for i := 0; i < n; i++ {
								for v := 0; v < V; v++ {
									ref, bound := tu.RefGemvRow(f, data[v*rb:(v+1)*rb], x[i*cols:(i+1)*cols])
									if !tu.Close(dst[i*V+v], ref, bound) {
										t.Fatalf("%v %v%s V=%d d=%d n=%d: dst[%d][%d] = %v, want %v ± %v",
											isa, f, shape, V, cols, n, i, v, dst[i*V+v], ref, bound)
									}
								}
							}
						})
					}
				}
			}
		}
	})
}

// bf16Shapes runs check once per way the AVX-512 Gemm can take BF16
// weights (tuning.go): read in place and decoded; any other format or level
// once.
func bf16Shapes(isa lmhead.ISA, f lmhead.Format, check func(shape string)) {
	if isa != lmhead.AVX512 || f != lmhead.BF16 {
		check("")
		return
	}
	for _, inPlace := range []bool{true, false} {
		restore := lmhead.SetGemmBF16InPlace(inPlace)
		check(fmt.Sprintf(" (in place: %v)", inPlace))
		restore()
	}
}

// TestGemmAllocs checks that a warm Gemm does not allocate, for F32 (read
// in place), BF16 (in place on AVX-512 of AMD CPUs, else decoded) and a
// format decoded through the scratch, at a few positions and at many.
func TestGemmAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items at random")
	}
	V, d := 100, 256
	r := tu.Rand(1013)
	for _, f := range []lmhead.Format{lmhead.F32, lmhead.BF16, lmhead.Q8_0} {
		m, err := lmhead.NewMatrix(f, V, d, tu.RandRows(r, f, V, d))
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{5, 40} { // in pairs of k on AVX-512, and in groups of 16
			x, dst := make([]float32, n*d), make([]float32, n*V)
			tu.Fill(r, x)
			m.Gemm(dst, x, n)
			if a := testing.AllocsPerRun(20, func() { m.Gemm(dst, x, n) }); a != 0 {
				t.Errorf("%v n=%d: %v allocations per Gemm, want 0", f, n, a)
			}
		}
	}
}

// TestGemmPanics checks the size checks and their messages.
func TestGemmPanics(t *testing.T) {
	m, _ := lmhead.MatrixF32(make([]float32, 6), 2, 3)
	for _, c := range []struct {
		dst, x int
		n      int
		want   string
	}{
		{4, 5, 2, "len(x)=5"}, {3, 6, 2, "len(dst)=3"}, {0, 0, -1, "n=-1"},
	} {
		func() {
			defer func() {
				p := recover()
				if p == nil || !strings.Contains(fmt.Sprint(p), c.want) {
					t.Errorf("Gemm(len(dst)=%d, len(x)=%d, n=%d): panic %v, want one with %q", c.dst, c.x, c.n, p, c.want)
				}
			}()
			m.Gemm(make([]float32, c.dst), make([]float32, c.x), c.n)
		}()
	}
	m.Gemm(nil, nil, 0)
}

// TestGemmBatch checks GemmBatch on two row blocks of W writing their
// columns of one strided output (the way head splits the vocabulary among
// workers) against the float64 reference, on every level.
func TestGemmBatch(t *testing.T) {
	tu.ForEachISA(t, func(t *testing.T, isa lmhead.ISA) {
		r := tu.Rand(1015)
		V, d := 61, 300
		for _, n := range []int{1, 2, 17, 33, 130} {
			w, x := make([]float32, V*d), make([]float32, n*d)
			tu.Fill(r, w)
			tu.Fill(r, x)
			m, _ := lmhead.MatrixF32(w, V, d)
			var b lmhead.Batch
			b.Pack(x, n)
			got := make([]float32, n*V)
			m.SliceRows(0, 13).GemmBatch(got, V, &b)
			m.SliceRows(13, V).GemmBatch(got[13:], V, &b)
			checkGemm(t, fmt.Sprintf("%v n=%d", isa, n), got, w, x, V, d, n)
		}
	})
}

// TestGemmPairsAcrossLevels packs up to 8 positions (in pairs of k on
// AVX-512 and AVX2) on each level and runs GemmBatch on every level, so that a Batch
// packed in pairs also runs on the levels without a pairs tile (the generic
// twin), and checks the odd last k against infinite weights (W·0 in the
// padding lanes must not make a NaN).
func TestGemmPairsAcrossLevels(t *testing.T) {
	prev := lmhead.Active()
	defer func() { _ = lmhead.Use(prev) }()
	r := tu.Rand(1016)
	for _, pack := range lmhead.Supported() {
		for _, d := range []int{1, 2, 7, 300, 513} {
			for _, n := range []int{1, 5, 8} {
				V := 29
				w, x := make([]float32, V*d), make([]float32, n*d)
				tu.Fill(r, w)
				tu.Fill(r, x)
				w[3*d+d-1] = float32(math.Inf(1))
				w[5*d+d-1] = float32(math.Inf(-1))
				m, _ := lmhead.MatrixF32(w, V, d)
				if err := lmhead.Use(pack); err != nil {
					t.Fatal(err)
				}
				var b lmhead.Batch
				b.Pack(x, n)
				for _, run := range lmhead.Supported() {
					if err := lmhead.Use(run); err != nil {
						t.Fatal(err)
					}
					got := make([]float32, n*V)
					m.GemmBatch(got, V, &b)
					checkGemm(t, fmt.Sprintf("packed on %v, run on %v, d=%d n=%d", pack, run, d, n), got, w, x, V, d, n)
				}
			}
		}
	}
}
