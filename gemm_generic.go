package lmhead

// gemmBlock is the pure-Go twin of gemmAVX512, gemmAVX2 and the NEON
// level's gemm: over one k slice of kc columns,
//
//	c[r*ldc+16g+l] (+)= Σ_{k<kc} w[r*ldw+k] · xp[g*gs+16k+l]
//
// for rows r < rows, position groups g < groups and lanes l < 16, adding to
// c when add is set and overwriting it otherwise. Each output is one
// sequential chain over k, as in the assembly tiles (which fuse the
// multiply-add; Go rounds the product too on amd64).
func gemmBlock(c []float32, ldc int, w []float32, ldw, rows, kc int, xp []float32, gs, groups int, add bool) {
	checkGemmBlock(c, ldc, w, ldw, rows, kc, xp, gs, groups)
	for g := 0; g < groups; g++ {
		xg := xp[g*gs : g*gs+kc*gemmGroup]
		for r := 0; r < rows; r++ {
			gemmRow(c[r*ldc+g*gemmGroup:r*ldc+(g+1)*gemmGroup], w[r*ldw:r*ldw+kc], xg, add)
		}
	}
}

// gemmRow adds (or stores) Σ_k wr[k]·xg[16k+l] to out[l] for 16 lanes.
func gemmRow(out, wr, xg []float32, add bool) {
	var acc [gemmGroup]float32
	if add {
		copy(acc[:], out)
	}
	for k, wk := range wr {
		x := (*[gemmGroup]float32)(xg[k*gemmGroup : (k+1)*gemmGroup])
		for l := range acc {
			acc[l] += wk * x[l]
		}
	}
	copy(out, acc[:])
}
