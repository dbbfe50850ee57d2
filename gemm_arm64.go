//go:build !purego

package lmhead

// gemmTile6x16NEON computes the 6×16 tile c[r][p] (+)= Σ_{k<kc} w[r][k]·xp[k][p]
// (gemm_arm64.s): row r of c at c+r·cs bytes, row r of W at w+r·ws bytes,
// the 16 positions of step k at xp+64k. With add false c is overwritten.
// It requires kc ≥ 1. gs is unused: the tile takes one position group.
//
//go:noescape
func gemmTile6x16NEON(c *float32, cs int, w *float32, ws int, xp *float32, gs int, kc int, add bool)

// gemmRowsNEON is the rows of the NEON tile.
const gemmRowsNEON = 6

// gemmNEON is gemmBlock with the 6×16 NEON tile: position groups outer (a
// group's k slice, 16 KiB, stays in L1 while the row tiles go by), the
// rows that do not fill a tile on the generic twin.
func gemmNEON(c []float32, ldc int, w []float32, ldw, rows, kc int, xp []float32, gs, groups int, add bool) {
	checkGemmBlock(c, ldc, w, ldw, rows, kc, xp, gs, groups)
	full := rows - rows%gemmRowsNEON
	for g := 0; g < groups; g++ {
		for r := 0; r < full; r += gemmRowsNEON {
			gemmTile6x16NEON(&c[r*ldc+g*gemmGroup], 4*ldc, &w[r*ldw], 4*ldw, &xp[g*gs], 4*gs, kc, add)
		}
	}
	if full < rows {
		gemmBlock(c[full*ldc:], ldc, w[full*ldw:], ldw, rows-full, kc, xp, gs, groups, add)
	}
}
