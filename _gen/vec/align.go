package vec

import (
	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// LineBytes is the cache line of every amd64 core the kernels target. A
// 64-byte AVX-512 load that starts off a multiple of it reads two lines.
const LineBytes = 64

// HeadBytes sets hb to the bytes from addr to the next cache line, in whole
// float32 elements and at most limit: min((−addr) mod 64 rounded down to a
// multiple of 4, limit). Loads at addr+hb, addr+hb+64, … then each read one
// cache line (when addr is a multiple of 4; a float32 stream at an odd byte
// address cannot be aligned, and its loads still straddle by 1 to 3 bytes).
// limit must be a multiple of 4. addr, limit and hb are not changed
// otherwise.
func HeadBytes(addr, limit, hb Register) {
	// (−addr) mod 64 = (−addr) & 63; & 60 also drops the odd bytes.
	MOVQ(addr, hb)
	NEGQ(hb)
	ANDQ(U8(LineBytes-4), hb)
	// a row shorter than its head is all head
	CMPQ(hb, limit)
	CMOVQHI(limit, hb)
}

// LoadByteMask loads into k the AVX-512 opmask of the first b/4 lanes,
// (1<<(b/4))−1, for a byte count b (a register, a multiple of 4 in
// [0, 64)). It reads the table tailmask16, whose entry for r lanes is the
// uint16 at byte 2r = b/2. b is not changed.
func (v *ISA) LoadByteMask(b Register, k OpmaskVirtual) {
	if !v.wide {
		panic("vec: LoadByteMask is AVX-512 only")
	}
	t, half := GP64(), GP64()
	MOVQ(b, half)
	SHRQ(U8(1), half)
	LEAQ(maskTable("tailmask16"), t)
	KMOVW(Mem{Base: t, Index: half, Scale: 1}, k)
}
