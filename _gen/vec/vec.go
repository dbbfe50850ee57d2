// Package vec describes the two amd64 vector levels that the generators emit
// code for, so that one generator function produces both the AVX2 and the
// AVX-512 variant of a kernel.
package vec

import (
	"fmt"
	"os"
	"regexp"
	"strings"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"
)

// ISA is one vector level.
type ISA struct {
	Name  string // suffix of the kernel names: "AVX2" or "AVX512"
	Lanes int    // float32 lanes per vector: 8 or 16
	wide  bool   // 512-bit, with opmask tails

	// the tail of the current function, set by Tail
	k     OpmaskVirtual // AVX-512: the opmask of the first r lanes
	ymsk  VecVirtual    // AVX2: all ones in the first r lanes
	tailN GPVirtual     // AVX2: r, the tail's element count
	buf   Mem           // AVX2: the tail's bounce buffer on the stack
}

// Bytes is the size of one vector.
func (v *ISA) Bytes() int { return 4 * v.Lanes }

// Vec allocates a vector register of this level's width.
func (v *ISA) Vec() VecVirtual {
	if v.wide {
		return ZMM()
	}
	return YMM()
}

// Levels returns the two levels, AVX-512 first. Each call returns fresh
// values, one per generated function.
func Levels() []*ISA {
	return []*ISA{{Name: "AVX512", Lanes: 16, wide: true}, {Name: "AVX2", Lanes: 8}}
}

var tables = map[string]Mem{}

// maskTable returns the lane-mask tables, emitting them once per file.
//
// tailmask16 holds, for r in 0..15, the AVX-512 opmask with the low r bits
// set: (1<<r)-1, one uint16 each.
//
// tailmask8 holds eight int32 −1 followed by eight 0; the eight dwords that
// start at element 8−r select the first r lanes for VMASKMOVPS, which reads
// only the selected lanes and suppresses faults on the others.
func maskTable(name string) Mem {
	if m, ok := tables[name]; ok {
		return m
	}
	m := GLOBL(name, RODATA|NOPTR)
	switch name {
	case "tailmask16":
		for r := 0; r < 16; r++ {
			DATA(2*r, U16(uint16(1<<r-1)))
		}
	case "tailmask8":
		for i := 0; i < 16; i++ {
			v := uint32(0)
			if i < 8 {
				v = 0xffffffff
			}
			DATA(4*i, U32(v))
		}
	default:
		panic(fmt.Sprintf("vec: no table %q", name))
	}
	tables[name] = m
	return m
}

// Split divides a count of n float32 elements (n is not changed) into the
// parts the kernels loop over: r = n mod Lanes, the elements of the masked
// tail; full, the bytes of the whole vectors; and block, the bytes of the
// whole groups of unroll vectors (unroll a power of two).
func (v *ISA) Split(n Register, unroll int) (r, full, block GPVirtual) {
	r, full, block = GP64(), GP64(), GP64()
	MOVQ(n, r)
	ANDQ(U32(v.Lanes-1), r)
	MOVQ(n, full)
	SUBQ(r, full)
	SHLQ(U8(2), full)
	MOVQ(full, block)
	ANDQ(I32(-unroll*v.Bytes()), block)
	return r, full, block
}

// Tail prepares the mask for a tail of r = n mod Lanes elements (r in a
// register; n is the element count). It must be called once per function,
// before any TailLoad or TailFMA. r must not change after it (see below).
func (v *ISA) Tail(r GPVirtual) {
	if v.wide {
		v.k = K()
		t := GP64()
		LEAQ(maskTable("tailmask16"), t)
		KMOVW(Mem{Base: t, Index: r, Scale: 2}, v.k)
		return
	}
	// r itself is the bounce copy's count, so it must stay live and
	// unchanged until the function's last TailLoad or TailStore. Not
	// copying it leaves the 4-row gemv pass a register to spare.
	v.tailN = r
	if v.buf.Base == nil {
		v.buf = AllocLocal(32)
	}
	// element 8−r of tailmask8: byte offset 32 − 4r
	t, neg := GP64(), GP64()
	MOVQ(r, neg)
	NEGQ(neg)
	v.ymsk = YMM()
	LEAQ(maskTable("tailmask8"), t)
	VMOVDQU(Mem{Base: t, Index: neg, Scale: 4, Disp: 32}, v.ymsk)
}

// TailLoad loads the first r lanes of m into dst and zeroes the others,
// touching no memory past the r-th element.
func (v *ISA) TailLoad(m Mem, dst VecVirtual) { v.TailLoadFill(m, dst, nil) }

// TailLoadFill loads the first r lanes of m into dst; the other lanes hold
// fill's (zero if fill is nil). No memory past the r-th element is touched.
//
// On AVX-512 it is a masked load, whose masked-off lanes never fault. On
// AVX2 the r elements go through a stack buffer, one MOVL each. VMASKMOVPS
// would do on hardware, which suppresses faults on masked-off lanes, but
// emulators do not (qemu 7.2, which CI runs the AVX2 tests under, faults on
// them), and the copy costs a few nanoseconds per tail.
func (v *ISA) TailLoadFill(m Mem, dst, fill VecVirtual) {
	if v.wide {
		if fill == nil {
			VMOVUPS_Z(m, v.k, dst)
			return
		}
		VMOVAPS(fill, dst)
		VMOVUPS(m, v.k, dst)
		return
	}
	if fill == nil {
		fill = YMM()
		VXORPS(fill, fill, fill)
	}
	VMOVUPS(fill, v.buf)
	v.copyTail(m, false)
	VMOVUPS(v.buf, dst)
}

// TailStore stores the first r lanes of src to m, nothing past them.
func (v *ISA) TailStore(src VecVirtual, m Mem) {
	if v.wide {
		VMOVUPS(src, v.k, m)
		return
	}
	VMOVUPS(src, v.buf)
	v.copyTail(m, true)
}

// copyTail copies the AVX2 tail's r elements from m to the bounce buffer,
// or back when out is set.
func (v *ISA) copyTail(m Mem, out bool) {
	// The element goes through an XMM rather than a GP register: the 4-row
	// gemv pass has no general register left.
	p, i, e := GP64(), GP64(), XMM()
	LEAQ(m, p)
	XORQ(i, i)
	loop := fmt.Sprintf("copytail%d", labels)
	labels++
	Label(loop)
	src, dst := Mem{Base: p, Index: i, Scale: 4}, v.buf.Idx(i, 4)
	if out {
		src, dst = dst, src
	}
	VMOVSS(src, e)
	VMOVSS(e, dst)
	INCQ(i)
	CMPQ(i, v.tailN)
	JB(LabelRef(loop))
}

// labels numbers the labels vec emits, which must be unique per file.
var labels int

// TailFMA adds m·x to acc in the first r lanes, where x's other lanes are
// zero, touching no memory past the r-th element of m.
func (v *ISA) TailFMA(m Mem, x, acc VecVirtual) {
	if v.wide {
		// Merge-masked: faults on the masked-out lanes are suppressed.
		VFMADD231PS(m, x, v.k, acc)
		return
	}
	t := YMM()
	v.TailLoad(m, t)
	VFMADD231PS(t, x, acc)
}

// TailAdd adds the first r lanes of m to acc.
func (v *ISA) TailAdd(m Mem, acc VecVirtual) {
	if v.wide {
		VADDPS(m, acc, v.k, acc)
		return
	}
	t := YMM()
	v.TailLoad(m, t)
	VADDPS(t, acc, acc)
}

// ToXMM folds a vector into its low 128 bits by adding the halves:
// for a ZMM z, x = (z[0:8]+z[8:16])[0:4] + (…)[4:8]. The result lanes are
// partial sums whose total is the sum of all lanes of a.
func (v *ISA) ToXMM(a VecVirtual) Register {
	y := a.AsY()
	if v.wide {
		hi := YMM()
		VEXTRACTF64X4(U8(1), a, hi)
		VADDPS(hi, y, y)
	}
	hi := XMM()
	VEXTRACTF128(U8(1), y, hi)
	x := a.AsX()
	VADDPS(hi, x, x)
	return x
}

// HSum4 returns an XMM whose lane i is the sum of all lanes of acc[i].
func (v *ISA) HSum4(acc [4]VecVirtual) Register {
	var x [4]Register
	for i := range acc {
		x[i] = v.ToXMM(acc[i])
	}
	// VHADDPS b, a, d: d = (a0+a1, a2+a3, b0+b1, b2+b3)
	VHADDPS(x[1], x[0], x[0])
	VHADDPS(x[3], x[2], x[2])
	VHADDPS(x[2], x[0], x[0])
	return x[0]
}

// HSum returns an XMM whose lane 0 is the sum of all lanes of acc.
func (v *ISA) HSum(acc VecVirtual) Register {
	x := v.ToXMM(acc)
	VHADDPS(x, x, x)
	VHADDPS(x, x, x)
	return x
}

// Wide reports whether this is the 512-bit level, with opmask registers and
// 32 vector registers (the AVX2 level has 16).
func (v *ISA) Wide() bool { return v.wide }

// TailMask returns the mask that Tail prepared: the opmask register on
// AVX-512, the lane mask (all ones in the first r lanes) on AVX2.
func (v *ISA) TailMask() Register {
	if v.wide {
		return v.k
	}
	return v.ymsk
}

// CheckAVX2Registers fails the generation if the register allocator gave an
// AVX2 kernel in the generated file at path one of X16–X31/Y16–Y31. The Go
// assembler encodes such an instruction with EVEX when it has an EVEX form,
// which would silently make the AVX2 kernel need AVX-512VL.
func CheckAVX2Registers(path string) {
	if path == "" {
		return
	}
	b, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	high := regexp.MustCompile(`\b[XY](1[6-9]|2[0-9]|3[01])\b`)
	fn := ""
	for i, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "TEXT ") {
			fn = line
		}
		if strings.Contains(fn, "AVX2(SB)") && high.MatchString(line) {
			fmt.Fprintf(os.Stderr, "%s:%d: AVX2 kernel uses a register above 15: %s\n", path, i+1, strings.TrimSpace(line))
			os.Exit(1)
		}
	}
}
