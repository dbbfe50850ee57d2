// Command softmax generates softmax_amd64.s: the AVX2 and AVX-512 softmax
// kernels of package lmhead (exp, max, argmax, scaleExpSum, maxSum, expMul,
// scaleShift; see kernels_softmax.go for the contract). Run it through
// go generate in the root.
//
// Every kernel is one function of the vector level, so the AVX2 and the
// AVX-512 variant come from the same code. They differ where the levels do:
//
//   - e^a: AVX-512 builds 2ⁿ with VSCALEFPS, which handles the whole
//     exponent range, and rounds with VRNDSCALEPS; AVX2 rounds with a magic
//     bias and shifts n into the exponent field, which only covers
//     n <= 127, so a group of vectors whose largest argument is above 88
//     takes an out-of-line full-range path (never, in softmax).
//   - tails: an opmask on AVX-512; on AVX2 a copy through a stack buffer
//     (see tailLoad) and a lane mask for the sums.
//   - register budget: 32 vector registers on AVX-512 hold every constant;
//     on AVX2 (16) the polynomial constants are memory operands.
package main

import (
	"flag"
	"fmt"
	"math"

	. "github.com/mmcloughlin/avo/build"
	. "github.com/mmcloughlin/avo/gotypes"
	. "github.com/mmcloughlin/avo/operand"
	. "github.com/mmcloughlin/avo/reg"

	"github.com/lmhead/lmhead/_gen/vec"
)

func main() {
	// amd64 explicitly: the stubs file name ends in _stubs, not _amd64, so
	// the file name alone does not restrict it to amd64.
	ConstraintExpr("amd64,!purego")
	for _, gen := range []func(*vec.ISA){expK, maxK, argmaxK, scaleExpSumK, maxSumK, expMulK, scaleShiftK, sumWhereInK, scaleExpSumDotK} {
		for _, v := range vec.Levels() {
			gen(v)
		}
	}
	Generate()
	vec.CheckAVX2Registers(flag.Lookup("out").Value.String())
}

// VCMPPS predicates (Intel SDM, table 3-1). The "O" ones are false for a
// NaN operand, the "U" ones true; "Q" ones do not signal on quiet NaNs.
const (
	cmpEQOQ    = 0x00
	cmpUnordQ  = 0x03
	cmpLTOQ    = 0x11
	cmpLEOQ    = 0x12
	cmpGEOQ    = 0x1d
	cmpNLTUQ   = 0x15
	cmpNLEUQ   = 0x16
	cmpGTOQ    = 0x1e
	roundEven  = 0x00 // VRNDSCALEPS imm8: round to integer, ties to even
	swapHalves = 0x4e // shuffle imm8 [2 3 0 1]: swap the two halves of each pair of 128-bit (or 64-bit) units
	swapPairs  = 0xb1 // shuffle imm8 [1 0 3 2]: swap neighbouring units
)

// sumGroup is how many vectors the summing kernels (scaleExpSum, maxSum)
// take per loop trip: their float32 partials are converted and added into
// the float64 accumulators once per trip, and the conversion is what costs
// (flushing every 4 vectors made scaleExpSum 12% slower on Zen 4). Each
// lane's partial then holds 16 terms, summed pairwise in fours: a relative
// error of at most about 6·2⁻²⁴ before the float64 sum.
const sumGroup = 16

func bits(f float32) uint32 { return math.Float32bits(f) }

// constants maps the name of every GLOBL constant to its float32 bits.
//
// The exp is XNNPACK's rr2_p5 (src/f32-raddstoreexpminusmax/avx2-p5.c and
// src/f32-vscaleexpminusmax/avx512f-p5-scalef.c):
//
//	n = round(a·log2e)                 the power of two
//	t = a - n·ln2hi - n·ln2lo          a - n·ln2, |t| <= ln2/2 (Cody-Waite)
//	e^t ≈ 1 + t·(c1 + t·(c2 + t·(c3 + t·(c4 + t·c5))))   (minimax on |t| <= ln2/2)
//	e^a = 2ⁿ·e^t
var constants = map[string]uint32{
	// log2(e) = 1.442695040888963 rounded to float32.
	"log2e": bits(0x1.715476p+0),
	// ln2hi + ln2lo = ln 2 to about 48 bits: ln2hi = 0.6931471824645996
	// is ln 2 = 0.6931471805599453 rounded to 21 bits (up), and
	// ln2lo = ln 2 - ln2hi = -1.9046543e-9. Each step subtracts n·ln2x
	// with one FMA, so t = a - n·ln2hi - n·ln2lo is a - n·ln2 with two
	// roundings of numbers below 0.35 (Cody-Waite with FMA, XNNPACK's rr2).
	"ln2hi": bits(0x1.62E43p-1),
	"ln2lo": bits(-0x1.05C61p-29),
	// The degree-5 minimax coefficients of (e^t - 1)/t on |t| <= ln2/2
	// (XNNPACK), each close to its Taylor term 1/k!.
	"c1":  bits(0x1.FFFFF6p-1), // ≈ 1
	"c2":  bits(0x1.FFFDC6p-2), // ≈ 1/2
	"c3":  bits(0x1.555A80p-3), // ≈ 1/6
	"c4":  bits(0x1.573A1Ap-5), // ≈ 1/24
	"c5":  bits(0x1.0F9F9Cp-7), // ≈ 1/120
	"one": bits(1),
	// magic = 1.5·2²³ + 127. Adding it to |v| < 2²² lands in [2²³, 2²⁴),
	// where the float32 spacing is 1, so the sum is rounded to an integer
	// (ties to even) and its low significand bits hold n + 127. Shifting
	// the bits left by 23 moves n + 127 into the exponent field: 2ⁿ, for
	// n + 127 in [1, 254]. Subtracting magic again gives n as a float.
	"magic": 0x4b40007f,
	// expmin = -87.33654, the float32 just above ln 2⁻¹²⁶ = -87.3365447...:
	// below it e^a is not a normal float32 and the kernels return +0.
	"expmin": bits(-87.33654),
	// expmax = 88.72283, the float32 just below ln MaxFloat32 = 88.7228391...;
	// above it e^a rounds to +Inf.
	"expmax": bits(88.72283),
	// clamp = 89: AVX-512 computes e^min(a, 89). Every a in (expmax, 89]
	// gives n = 128 and t in (0, 0.28], so 2ⁿ·p overflows to +Inf, as it
	// should, without the garbage t that a huge a (or +Inf - +Inf) gives.
	"clamp": bits(89),
	// floor = -88: with FTZ the AVX-512 exp clamps a to at least -88,
	// where n = round(-126.96) = -127 and p·2ⁿ is a flushed denormal (and
	// t stays finite for a = -Inf or -1e30).
	"floor": bits(-88),
	// fast = 88: on AVX2, arguments up to 88 < 127.5·ln2 = 88.376 round to
	// n <= 127, whose 2ⁿ the exponent shift can build.
	"fast": bits(88),
	// expunit = 1 in the exponent field: subtracting it from the bits of 2ⁿ
	// gives 2ⁿ⁻¹ (for n >= -125).
	"expunit": 0x00800000,
	// slack = 0.5: maxSum lets a lane's arguments s·x - ref reach 0.5 above
	// its reference before it rescales, so the rounding error of the
	// argument stays below 2⁻²⁶ (see maxSumK).
	"slack":   bits(0.5),
	"posinf":  0x7f800000,
	"neginf":  0xff800000,
	"lowest":  0xff7fffff, // -MaxFloat32
	"signbit": 0x80000000,
	"nan":     0x7fc00000,
	"allones": 0xffffffff,
	"int1":    1,
}

// constants64 are the float64 constants of exp64, which rescales maxSum's
// float64 lane sums.
var constants64 = map[string]float64{
	// magic64 = 1.5·2⁵² + 1023: as magic, for float64 (spacing 1 in
	// [2⁵², 2⁵³), exponent bias 1023, exponent field at bit 52).
	"magic64": 0x1.8p52 + 1023,
	"log2e64": math.Log2E,
	// fdlibm's ln2_hi (low 21 bits clear) and ln2_lo: ln 2 to 85 bits.
	"ln2hi64": 0x1.62e42fee00000p-1,
	"ln2lo64": 0x1.a39ef35793c76p-33,
	// floor64 = -708: e^-708 = 3.3e-308 is still a normal float64, so
	// 2ⁿ (n >= -1022) comes from the exponent shift; below it a lane's
	// factor is negligible against the lane that holds the maximum.
	"floor64": -708,
	"zero64":  0,
}

func init() {
	// inv<k> = 1/k!, the Taylor coefficients of e^t: to degree 11 the
	// remainder on |t| <= ln2/2 is 0.347¹²/12! = 6e-15.
	f := 1.0
	for i := 0; i <= 11; i++ {
		if i > 0 {
			f /= float64(i)
		}
		constants64[fmt.Sprint("inv", i)] = f
	}
}

var globals = map[string]Mem{}

// global64 returns the float64 constant's GLOBL, eight copies (64 bytes).
func global64(name string) Mem {
	return globl(name, func() {
		f, ok := constants64[name]
		if !ok {
			panic("no constant " + name)
		}
		for i := 0; i < 8; i++ {
			DATA(8*i, U64(math.Float64bits(f)))
		}
	})
}

// global returns the constant's GLOBL, sixteen copies of it (64 bytes), so
// that it serves as a full-width memory operand on either level and as the
// source of a VBROADCASTSS.
func global(name string) Mem {
	return globl(name, func() {
		b, ok := constants[name]
		if !ok {
			panic("no constant " + name)
		}
		for i := 0; i < 16; i++ {
			DATA(4*i, U32(b))
		}
	})
}

// globl returns the GLOBL of name, declaring it and emitting its DATA with
// fill the first time, so that each constant is in the file once.
func globl(name string, fill func()) Mem {
	if m, ok := globals[name]; ok {
		return m
	}
	m := GLOBL(name, RODATA|NOPTR)
	fill()
	globals[name] = m
	return m
}

// kern is the state of the kernel being generated.
type kern struct {
	v     *vec.ISA
	name  string
	regs  map[string]VecVirtual // constants held in registers
	later []func()              // out-of-line blocks, emitted after the RET
	n     int                   // label counter
	mxcsr Mem                   // the caller's MXCSR, when the kernel sets FTZ
	ftzOn Mem                   // the caller's MXCSR with FTZ
	ftz   bool
}

func newKern(v *vec.ISA, name, sig, doc string) *kern {
	TEXT(name+v.Name, NOSPLIT, sig)
	Pragma("noescape")
	Doc(fmt.Sprintf(doc, name+v.Name))
	return &kern{v: v, name: name + v.Name, regs: map[string]VecVirtual{}}
}

// label returns a fresh label name.
func (k *kern) label(s string) string {
	k.n++
	return fmt.Sprintf("%s_%s%d", k.name, s, k.n)
}

// hold broadcasts the named constants into registers for the whole kernel.
func (k *kern) hold(names ...string) {
	for _, n := range names {
		r := k.v.Vec()
		VBROADCASTSS(global(n), r)
		k.regs[n] = r
	}
}

// c returns the named constant as an operand: its register if held, else
// its memory copy.
func (k *kern) c(name string) Op {
	if r, ok := k.regs[name]; ok {
		return r
	}
	return global(name)
}

// reg returns the named constant in a register, holding it if need be.
func (k *kern) reg(name string) VecVirtual {
	if _, ok := k.regs[name]; !ok {
		k.hold(name)
	}
	return k.regs[name]
}

// addr returns the frame address of a parameter or result.
func addr(c Component) Mem {
	b, err := c.Resolve()
	if err != nil {
		panic(err)
	}
	return b.Addr
}

// param broadcasts a float32 parameter into a vector.
func (k *kern) param(name string) VecVirtual {
	r := k.v.Vec()
	VBROADCASTSS(addr(Param(name)), r)
	return r
}

// Results are stored with VMOVSS and VMOVSD rather than avo's Store (SSE
// MOVSS), whose legacy encoding cannot reach X16-X31.
func storeF32(x Register, i int) { VMOVSS(x, addr(ReturnIndex(i))) }
func storeF64(x Register, i int) { VMOVSD(x, addr(ReturnIndex(i))) }

func (k *kern) zero(r VecVirtual) { VXORPS(r, r, r) }

// flushToZero sets MXCSR.FTZ for the rest of an AVX-512 kernel (ret
// restores the caller's MXCSR). With FTZ, a result below 2⁻¹²⁶ is +0
// rather than a denormal, which is exactly the exp's rule below expmin:
// e^a for a below expmin is a denormal, flushed, or (below -88, where a is
// clamped) n <= -127 makes p·2ⁿ one. So the exp needs only that clamp, a
// VMAXPS, instead of a compare into an opmask and a zeroing mask: 7% of
// exp's time on Zen 4 (6.27 -> 6.70 elements/ns). It is safe in Go:
// assembly functions are never preempted asynchronously, and a signal
// handler starts with the default MXCSR. On AVX2 it does not pay (the
// clamp needs a register that AVX2 lacks, and a compare and an and-not are
// cheap there: FTZ measured 4-7% slower), and kernels whose results may
// legitimately be denormal (expMul) do not use it.
func (k *kern) flushToZero() {
	if !k.v.Wide() {
		return
	}
	Comment("MXCSR.FTZ (bit 15) on: results below 2⁻¹²⁶ become +0")
	k.mxcsr = AllocLocal(4)
	on := AllocLocal(4)
	STMXCSR(k.mxcsr)
	t := GP32()
	MOVL(k.mxcsr, t)
	ORL(U32(0x8000), t)
	MOVL(t, on)
	LDMXCSR(on)
	k.ftz, k.ftzOn = true, on
}

// ret emits VZEROUPPER, the stores of the results and RET, then the
// out-of-line blocks collected so far.
func (k *kern) ret(results ...func()) {
	if k.ftz {
		LDMXCSR(k.mxcsr)
	}
	VZEROUPPER()
	for _, f := range results {
		f()
	}
	RET()
	for len(k.later) > 0 {
		f := k.later[0]
		k.later = k.later[1:]
		f()
	}
}

// mem returns the operand for vector u of the group at byte offset j.
func (k *kern) mem(base, j Register, u int) Mem {
	return Mem{Base: base, Index: j, Scale: 1, Disp: u * k.v.Bytes()}
}

// tail prepares the tail of r = n mod Lanes elements (1 <= r < Lanes):
// the opmask (AVX-512) or lane mask and bounce buffer (AVX2) of v.Tail.
// r is clobbered.
func (k *kern) tail(r GPVirtual) { k.v.Tail(r) }

// tailLoad loads the tail's elements at m into dst; the lanes past them
// hold fill's (zero if fill is nil). See vec.TailLoadFill.
func (k *kern) tailLoad(m Mem, dst, fill VecVirtual) { k.v.TailLoadFill(m, dst, fill) }

// tailStore stores the tail's lanes of src to m, nothing past them.
func (k *kern) tailStore(src VecVirtual, m Mem) { k.v.TailStore(src, m) }

// loop emits the streaming loop shared by the kernels: n elements in groups
// of unroll vectors, then single vectors, then one masked vector of the
// last n mod Lanes elements. group(j, cnt, tail) emits the code for cnt
// vectors at byte offset j; a tail group (cnt = 1) must use the tail mask.
// n is clobbered.
func (k *kern) loop(n Register, unroll int, group func(j GPVirtual, cnt int, tail bool)) {
	v := k.v
	r := GP64()
	MOVQ(n, r)
	ANDQ(U32(v.Lanes-1), r)
	full := n
	SUBQ(r, full)
	SHLQ(U8(2), full)
	j := GP64()
	XORQ(j, j)
	blk := GP64()
	MOVQ(full, blk)
	ANDQ(I32(-unroll*v.Bytes()), blk)
	single, tail, done := k.label("single"), k.label("tail"), k.label("done")

	Comment(fmt.Sprintf("groups of %d vectors", unroll))
	JZ(LabelRef(single))
	block := k.label("group")
	Label(block)
	group(j, unroll, false)
	ADDQ(U32(unroll*v.Bytes()), j)
	CMPQ(j, blk)
	JB(LabelRef(block))

	Comment("the remaining whole vectors, one at a time")
	Label(single)
	CMPQ(j, full)
	JAE(LabelRef(tail))
	group(j, 1, false)
	ADDQ(U32(v.Bytes()), j)
	JMP(LabelRef(single))

	Comment("the last n mod Lanes elements, masked: nothing past them is read or written")
	Label(tail)
	TESTQ(r, r)
	JZ(LabelRef(done))
	k.tail(r)
	group(j, 1, true)
	Label(done)
}

// exp returns a register holding e^a, with the ends of the contract: +0
// for a < expmin (and -Inf), NaN for NaN and, when full is set, +Inf for
// a > expmax (and +Inf). Without full the caller guarantees a <= 88 (or
// NaN, or -Inf). a is clobbered (clamped, or reused for t).
//
// On AVX-512, zmask (if not nil) is an extra opmask whose clear lanes are
// zeroed as well.
func (k *kern) exp(a VecVirtual, full bool, zmask Op) VecVirtual {
	if k.v.Wide() {
		return k.exp512(a, full, zmask)
	}
	return k.exp256(a, full)
}

// exp512 is the AVX-512 e^a (XNNPACK avx512f-p5-scalef).
func (k *kern) exp512(a VecVirtual, full bool, zmask Op) VecVirtual {
	if full {
		Comment("a = min(a, 89), NaN kept: above 89 only +Inf matters")
		VMINPS(a, k.regOrTemp("clamp"), a)
	}
	if k.ftz {
		Comment("a = max(a, -88), NaN kept: below, n <= -127 and FTZ gives +0")
		VMAXPS(a, k.regOrTemp("floor"), a)
	}
	Comment("n = round(a·log2e); t = a - n·ln2hi - n·ln2lo")
	n := ZMM()
	VMULPS(k.c("log2e"), a, n)
	VRNDSCALEPS(U8(roundEven), n, n)
	t := a
	if !k.ftz {
		// a is still needed for the cutoff
		t = ZMM()
		VMOVAPS(a, t)
	}
	VFNMADD231PS(k.c("ln2hi"), n, t)
	VFNMADD231PS(k.c("ln2lo"), n, t)
	Comment("p = 1 + t·(c1 + t·(c2 + t·(c3 + t·(c4 + t·c5)))) ≈ e^t")
	p := k.poly(t)
	VFMADD213PS(k.c("one"), t, p)
	if k.ftz {
		Comment("e^a = p·2ⁿ (+0 if that is below 2⁻¹²⁶)")
		if zmask != nil {
			VSCALEFPS_Z(n, p, zmask, p)
		} else {
			VSCALEFPS(n, p, p)
		}
		return p
	}
	Comment("e^a = p·2ⁿ where a >= expmin (or NaN), else +0")
	ok := K()
	VCMPPS(U8(cmpNLTUQ), k.c("expmin"), a, ok)
	if zmask != nil {
		KANDW(zmask, ok, ok)
	}
	VSCALEFPS_Z(n, p, ok, p)
	return p
}

// poly returns c1 + t·(c2 + t·(c3 + t·(c4 + t·c5))) in a new register, by
// Horner's rule; the constants are registers on AVX-512 and memory operands
// on AVX2 (see kern.c).
func (k *kern) poly(t VecVirtual) VecVirtual {
	p := k.v.Vec()
	if c4, ok := k.c("c4").(VecVirtual); ok {
		VMOVAPS(c4, p)
	} else {
		VMOVUPS(k.c("c4"), p)
	}
	VFMADD231PS(k.c("c5"), t, p)
	VFMADD213PS(k.c("c3"), t, p)
	VFMADD213PS(k.c("c2"), t, p)
	VFMADD213PS(k.c("c1"), t, p)
	return p
}

// regOrTemp returns the named constant in a register: the held one, or a
// temporary broadcast here.
func (k *kern) regOrTemp(name string) VecVirtual {
	if r, ok := k.regs[name]; ok {
		return r
	}
	r := k.v.Vec()
	VBROADCASTSS(global(name), r)
	return r
}

// exp256 is the AVX2 e^a (XNNPACK avx2-p5). The fast form needs a <= 88;
// the full form handles every a.
func (k *kern) exp256(a VecVirtual, full bool) VecVirtual {
	Comment("n = round(a·log2e) by the magic bias; s = 2ⁿ from its low bits")
	n := YMM()
	VMOVUPS(k.c("magic"), n)
	VFMADD231PS(k.c("log2e"), a, n)
	s := YMM()
	VPSLLD(U8(23), n, s)
	VSUBPS(k.c("magic"), n, n)
	Comment("t = a - n·ln2hi - n·ln2lo")
	t := YMM()
	VMOVAPS(a, t)
	VFNMADD231PS(k.c("ln2hi"), n, t)
	VFNMADD231PS(k.c("ln2lo"), n, t)
	Comment("p = c1 + t·(c2 + t·(c3 + t·(c4 + t·c5)))")
	p := k.poly(t)
	var big VecVirtual
	if full {
		Comment("for a > 0 scale by 2ⁿ⁻¹ and double at the end: n = 128 has no float32 2ⁿ")
		big = YMM()
		VXORPS(big, big, big)
		VCMPPS(U8(cmpGTOQ), big, a, big)
		half := YMM()
		VPSUBD(k.c("expunit"), s, half)
		VBLENDVPS(big, half, s, s)
	}
	Comment("e^a = s + (t·s)·p = s·(1 + t·p)")
	VMULPS(s, t, t)
	VFMADD213PS(s, p, t)
	if full {
		twice := YMM()
		VADDPS(t, t, twice)
		VBLENDVPS(big, twice, t, t)
		Comment("+Inf above expmax (n >= 129 would wrap the exponent field)")
		VCMPPS(U8(cmpGTOQ), k.c("expmax"), a, big)
		VBLENDVPS(big, k.c("posinf"), t, t)
	}
	Comment("+0 below expmin (the shifted n has wrapped there)")
	m := YMM()
	VCMPPS(U8(cmpLTOQ), k.c("expmin"), a, m)
	VANDNPS(t, m, t)
	return t
}

// expGroup emits out(u, e^args[u]) for every argument. With full the
// arguments may be anything; AVX2 then checks that all are <= 88 and takes
// the out-of-line full-range path when not. out is emitted twice on AVX2
// (fast and full path), so it must not allocate state that outlives it.
func (k *kern) expGroup(args []VecVirtual, full bool, out func(u int, f VecVirtual)) {
	if k.v.Wide() || !full {
		for u, a := range args {
			out(u, k.exp(a, full, nil))
		}
		return
	}
	Comment("any argument above 88 takes the full-range path (so does a lane whose first argument is NaN)")
	h := k.groupMax(args)
	big := YMM()
	VCMPPS(U8(cmpNLEUQ), k.c("fast"), h, big)
	VTESTPS(big, big)
	slow, done := k.label("fullrange"), k.label("exped")
	JNE(LabelRef(slow))
	for u, a := range args {
		out(u, k.exp256(a, false))
	}
	Label(done)
	k.later = append(k.later, func() {
		Label(slow)
		for u, a := range args {
			out(u, k.exp256(a, true))
		}
		JMP(LabelRef(done))
	})
}

// groupMax returns the lane maxima of args. A NaN in args[0] stays (and
// hides the other arguments of its lane); a NaN in a later argument is
// ignored. Callers treat a NaN maximum as "take the careful path".
func (k *kern) groupMax(args []VecVirtual) VecVirtual {
	if len(args) == 1 {
		return args[0]
	}
	h := k.v.Vec()
	VMOVAPS(args[0], h)
	for _, a := range args[1:] {
		// h = a > h ? a : h
		VMAXPS(h, a, h)
	}
	return h
}

// zeroTail clears the lanes of f past the tail.
func (k *kern) zeroTail(f VecVirtual) {
	if k.v.Wide() {
		VMOVAPS_Z(f, k.v.TailMask(), f)
		return
	}
	VANDPS(k.v.TailMask(), f, f)
}

// exp64 returns e^d for float64 lanes, d clobbered. It clamps d to
// [-708, 0] (keeping NaN): n = round(d·log2e) by the magic bias, 2ⁿ by
// the exponent shift, t = d - n·ln2 in two FMAs, and e^t by its Taylor
// series to degree 11, about 1e-15 relative in all.
func (k *kern) exp64(d VecVirtual) VecVirtual {
	v := k.v
	Comment("e^d in float64: d in [-708, 0]; n = round(d·log2e); t = d - n·ln2; Σ t^k/k!, k <= 11")
	lo := v.Vec()
	VBROADCASTSD(global64("floor64"), lo)
	VMAXPD(d, lo, d)
	VMINPD(d, k.zero64(), d)
	n := v.Vec()
	VMOVUPD(global64("magic64"), n)
	VFMADD231PD(global64("log2e64"), d, n)
	sc := v.Vec()
	VPSLLQ(U8(52), n, sc)
	VSUBPD(global64("magic64"), n, n)
	VFNMADD231PD(global64("ln2hi64"), n, d)
	VFNMADD231PD(global64("ln2lo64"), n, d)
	p := v.Vec()
	VMOVUPD(global64("inv11"), p)
	for i := 10; i >= 0; i-- {
		VFMADD213PD(global64(fmt.Sprint("inv", i)), d, p)
	}
	VMULPD(sc, p, p)
	return p
}

func (k *kern) zero64() VecVirtual {
	z := k.v.Vec()
	VXORPD(z, z, z)
	return z
}

// rescale multiplies the float64 lane sums acc by e^(from - to), with the
// float32 lanes from and to widened to float64 first, where the
// difference is exact: in maxSum these factors multiply whole lane sums,
// so their error does not average out, and float32 would cost up to
// ~3e-7 on sorted input.
func (k *kern) rescale(from, to VecVirtual, acc [2]VecVirtual) {
	flo, fhi := k.toPD(from)
	tlo, thi := k.toPD(to)
	VSUBPD(tlo, flo, flo)
	VSUBPD(thi, fhi, fhi)
	VMULPD(k.exp64(flo), acc[0], acc[0])
	VMULPD(k.exp64(fhi), acc[1], acc[1])
}

// toPD returns the two halves of a float32 vector converted to float64.
func (k *kern) toPD(f VecVirtual) (lo, hi VecVirtual) {
	lo, hi = k.v.Vec(), k.v.Vec()
	if k.v.Wide() {
		VCVTPS2PD(f.AsY(), lo)
		VEXTRACTF64X4(U8(1), f, hi.AsY())
		VCVTPS2PD(hi.AsY(), hi)
	} else {
		VCVTPS2PD(f.AsX(), lo)
		VEXTRACTF128(U8(1), f, hi.AsX())
		VCVTPS2PD(hi.AsX(), hi)
	}
	return lo, hi
}

// flush adds the float32 partial sums part into the float64 accumulators.
func (k *kern) flush(part VecVirtual, acc [2]VecVirtual) {
	Comment("acc += float64(part): float32 partials of one group, summed in float64")
	lo, hi := k.toPD(part)
	VADDPD(lo, acc[0], acc[0])
	VADDPD(hi, acc[1], acc[1])
}

// hsumPD returns an XMM whose low lane is the sum of all lanes of acc.
func (k *kern) hsumPD(acc [2]VecVirtual) Register {
	Comment("sum = Σ acc lanes, in float64")
	a := acc[0]
	VADDPD(acc[1], a, a)
	if k.v.Wide() {
		// zmm-wide shuffles only: a may live in Z16-Z31, which the VEX
		// forms of the 128-bit steps cannot address.
		h := ZMM()
		VSHUFF64X2(U8(swapHalves), a, a, h)
		VADDPD(h, a, a)
		VSHUFF64X2(U8(swapPairs), a, a, h)
		VADDPD(h, a, a)
		VPERMILPD(U8(0x55), a, h)
		VADDPD(h, a, a)
		return a.AsX()
	}
	h := XMM()
	VEXTRACTF128(U8(1), a.AsY(), h)
	VADDPD(h, a.AsX(), a.AsX())
	VPERMILPD(U8(1), a.AsX(), h)
	VADDSD(h, a.AsX(), a.AsX())
	return a.AsX()
}

// allLanes folds x onto itself with op (commutative and associative) until
// every lane holds op over all lanes. op(t, x) must set x = op(x, t).
func (k *kern) allLanes(x VecVirtual, op func(t, x VecVirtual)) {
	t := k.v.Vec()
	if k.v.Wide() {
		VSHUFF32X4(U8(swapHalves), x, x, t)
		op(t, x)
		VSHUFF32X4(U8(swapPairs), x, x, t)
		op(t, x)
	} else {
		VPERM2F128(U8(0x01), x, x, t)
		op(t, x)
	}
	VPERMILPS(U8(swapHalves), x, t)
	op(t, x)
	VPERMILPS(U8(swapPairs), x, t)
	op(t, x)
}

// ---------------------------------------------------------------------------
// exp

func expK(v *vec.ISA) {
	k := newKern(v, "exp", "func(dst, x []float32)",
		"%s sets dst[i] = e^x[i]. It requires len(dst) == len(x) > 0.")
	dst := Load(Param("dst").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	k.flushToZero()
	k.holdExp(true)
	k.loop(n, 4, func(j GPVirtual, cnt int, tail bool) {
		args := make([]VecVirtual, cnt)
		for u := range args {
			args[u] = v.Vec()
			if tail {
				k.tailLoad(k.mem(x, j, u), args[u], nil)
			} else {
				VMOVUPS(k.mem(x, j, u), args[u])
			}
		}
		k.expGroup(args, true, func(u int, f VecVirtual) {
			if tail {
				k.tailStore(f, k.mem(dst, j, u))
			} else {
				VMOVUPS(f, k.mem(dst, j, u))
			}
		})
	})
	k.ret()
}

// holdExp puts the exp constants in registers: all of them on AVX-512; on
// AVX2, where the group's arguments, the exp temporaries and the kernel's
// own state leave few of the 16, the polynomial stays in memory operands.
func (k *kern) holdExp(full bool) {
	if k.v.Wide() {
		if k.ftz {
			k.hold("floor")
		}
		k.hold("log2e", "ln2hi", "ln2lo", "c1", "c2", "c3", "c4", "c5", "one")
		if !k.ftz {
			k.hold("expmin")
		}
		if full {
			k.hold("clamp")
		}
		return
	}
	k.hold("log2e", "magic")
}

// ---------------------------------------------------------------------------
// max

func maxK(v *vec.ISA) {
	k := newKern(v, "max", "func(x []float32) float32",
		"%s returns the largest element of x, or NaN if any is NaN. It requires len(x) > 0.")
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	const unroll = 4
	var m [unroll]VecVirtual
	Comment("every accumulator starts at x[0], which is in the max anyway")
	for u := range m {
		m[u] = v.Vec()
		VBROADCASTSS(Mem{Base: x}, m[u])
	}
	// VMAXPS (like VRANGEPS, a maxNum) does not keep a NaN, so an unordered
	// compare of every pair of elements records it on the side.
	nan := k.newNaN()
	k.loop(n, unroll, func(j GPVirtual, cnt int, tail bool) {
		xs := make([]VecVirtual, cnt)
		for u := range xs {
			xs[u] = v.Vec()
			if tail {
				Comment("lanes past the tail take m[0], which cannot change the max")
				k.tailLoad(k.mem(x, j, u), xs[u], m[0])
			} else {
				VMOVUPS(k.mem(x, j, u), xs[u])
			}
		}
		Comment("record a NaN in x[u] or x[u+1]; m[u] = max(m[u], x[u])")
		for u := 0; u < cnt; u += 2 {
			nan.add(xs[u], xs[min(u+1, cnt-1)])
		}
		for u := range xs {
			VMAXPS(xs[u], m[u], m[u])
		}
	})
	Comment("m = max over the accumulators and lanes")
	VMAXPS(m[1], m[0], m[0])
	VMAXPS(m[3], m[2], m[2])
	VMAXPS(m[2], m[0], m[0])
	k.allLanes(m[0], func(t, x VecVirtual) { VMAXPS(t, x, x) })
	Comment("NaN if any element was NaN")
	done := k.label("nonan")
	nan.test()
	JE(LabelRef(done))
	VMOVSS(global("nan"), m[0].AsX())
	Label(done)
	k.ret(func() { storeF32(m[0].AsX(), 0) })
}

// nanSet records whether any of the vectors shown to it held a NaN: in an
// opmask on AVX-512, in a lane mask on AVX2.
type nanSet struct {
	v *vec.ISA
	k OpmaskVirtual
	y VecVirtual
}

func (k *kern) newNaN() *nanSet {
	s := &nanSet{v: k.v}
	if k.v.Wide() {
		s.k = K()
		KXORW(s.k, s.k, s.k)
	} else {
		s.y = YMM()
		VXORPS(s.y, s.y, s.y)
	}
	return s
}

// add records a NaN in a or b.
func (s *nanSet) add(a, b VecVirtual) {
	if s.v.Wide() {
		t := K()
		VCMPPS(U8(cmpUnordQ), b, a, t)
		KORW(t, s.k, s.k)
		return
	}
	t := YMM()
	VCMPPS(U8(cmpUnordQ), b, a, t)
	VORPS(t, s.y, s.y)
}

// test clears ZF if a NaN was recorded (JNE jumps then).
func (s *nanSet) test() {
	if s.v.Wide() {
		KORTESTW(s.k, s.k)
		return
	}
	VTESTPS(s.y, s.y)
}

// ---------------------------------------------------------------------------
// argmax

// argmaxK emits argmax: each lane keeps its running maximum and the number
// of the group (of argmaxUnroll vectors) where that maximum first appeared;
// at the end the lanes holding the overall maximum M give the first group
// that contains M, and a scalar scan of that group finds the first index.
// NaNs are only recorded in the main loop; if there is one, a second scan
// looks for the first.
func argmaxK(v *vec.ISA) {
	k := newKern(v, "argmax", "func(x []float32) int",
		"%s returns the index of the first maximum of x, or of the first NaN if any. It requires len(x) > 0.")
	const unroll = 4
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	nelem := GP64()
	MOVQ(n, nelem)
	rm, bidx, grp := v.Vec(), v.Vec(), v.Vec()
	VBROADCASTSS(global("neginf"), rm)
	k.zero(bidx)
	k.zero(grp)
	ones := k.reg("int1")

	nan := k.newNaN()
	unord := nan.add
	// update folds a group's maxima bm into the lanes: where bm > rm,
	// rm = bm and bidx = the group number. Then the group number advances.
	update := func(bm VecVirtual) {
		Comment("where the group beats the lane: rm = bm, bidx = group number")
		if v.Wide() {
			gt := K()
			VCMPPS(U8(cmpGTOQ), rm, bm, gt)
			VMOVAPS(bm, gt, rm)
			VMOVDQA32(grp, gt, bidx)
		} else {
			gt := YMM()
			VCMPPS(U8(cmpGTOQ), rm, bm, gt)
			VBLENDVPS(gt, bm, rm, rm)
			VBLENDVPS(gt, grp, bidx, bidx)
		}
		VPADDD(ones, grp, grp)
	}

	gbytes := unroll * v.Bytes()
	r := GP64()
	MOVQ(n, r)
	ANDQ(U32(v.Lanes-1), r)
	full := n
	SUBQ(r, full)
	SHLQ(U8(2), full)
	j := GP64()
	XORQ(j, j)
	blk := GP64()
	MOVQ(full, blk)
	ANDQ(I32(-gbytes), blk)
	rest := k.label("rest")
	Comment(fmt.Sprintf("groups of %d vectors", unroll))
	JZ(LabelRef(rest))
	group := k.label("group")
	Label(group)
	xs := make([]VecVirtual, unroll)
	for u := range xs {
		xs[u] = v.Vec()
		VMOVUPS(k.mem(x, j, u), xs[u])
	}
	unord(xs[0], xs[1])
	unord(xs[2], xs[3])
	VMAXPS(xs[1], xs[0], xs[0])
	VMAXPS(xs[3], xs[2], xs[2])
	VMAXPS(xs[2], xs[0], xs[0])
	update(xs[0])
	ADDQ(U32(gbytes), j)
	CMPQ(j, blk)
	JB(LabelRef(group))

	Comment("the rest (up to a group less one element) is the last group")
	Label(rest)
	bm := v.Vec()
	VBROADCASTSS(global("neginf"), bm)
	single, tail, last := k.label("single"), k.label("tail"), k.label("last")
	Label(single)
	CMPQ(j, full)
	JAE(LabelRef(tail))
	t := v.Vec()
	VMOVUPS(k.mem(x, j, 0), t)
	unord(t, t)
	VMAXPS(t, bm, bm)
	ADDQ(U32(v.Bytes()), j)
	JMP(LabelRef(single))
	Label(tail)
	TESTQ(r, r)
	JZ(LabelRef(last))
	k.tail(r)
	Comment("lanes past the tail are -Inf, which never beats a lane")
	ninf := v.Vec()
	VBROADCASTSS(global("neginf"), ninf)
	t = v.Vec()
	k.tailLoad(k.mem(x, j, 0), t, ninf)
	unord(t, t)
	VMAXPS(t, bm, bm)
	Label(last)
	update(bm)

	nanscan := k.label("nanscan")
	nan.test()
	JNE(LabelRef(nanscan))

	Comment("M = max over the lanes, in every lane")
	M := v.Vec()
	VMOVAPS(rm, M)
	k.allLanes(M, func(t, x VecVirtual) { VMAXPS(t, x, x) })
	Comment("g = the smallest group number of the lanes that hold M")
	cand := v.Vec()
	VBROADCASTSS(global("allones"), cand)
	if v.Wide() {
		eq := K()
		VCMPPS(U8(cmpEQOQ), M, rm, eq)
		VMOVDQA32(bidx, eq, cand)
	} else {
		eq := YMM()
		VCMPPS(U8(cmpEQOQ), M, rm, eq)
		VBLENDVPS(eq, bidx, cand, cand)
	}
	k.allLanes(cand, func(t, x VecVirtual) { VPMINUD(t, x, x) })
	Comment("scan group g for the first element equal to M (±0 compare equal)")
	i := GP64()
	VMOVD(cand.AsX(), i.As32())
	shift := 0
	for 1<<shift < unroll*v.Lanes {
		shift++
	}
	SHLQ(U8(shift), i)
	end := GP64()
	LEAQ(Mem{Base: i, Disp: unroll * v.Lanes}, end)
	CMPQ(end, nelem)
	CMOVQGT(nelem, end)
	scan, next, found := k.label("scan"), k.label("next"), k.label("found")
	Label(scan)
	VUCOMISS(Mem{Base: x, Index: i, Scale: 4}, M.AsX())
	JNE(LabelRef(next))
	JPS(LabelRef(next))
	Label(found)
	VZEROUPPER()
	Store(i, ReturnIndex(0))
	RET()
	Label(next)
	INCQ(i)
	CMPQ(i, end)
	JB(LabelRef(scan))
	// Not reached: group g holds M. Answer its start rather than run on.
	SUBQ(U8(unroll*v.Lanes), end)
	MOVQ(end, i)
	JMP(LabelRef(found))

	Comment("there is a NaN: find the first, a vector at a time, then one by one")
	Label(nanscan)
	XORQ(i, i)
	wholeVec := GP64()
	MOVQ(nelem, wholeVec)
	ANDQ(I32(-v.Lanes), wholeVec)
	vscan, sscan, hit := k.label("vscan"), k.label("sscan"), k.label("hit")
	Label(vscan)
	CMPQ(i, wholeVec)
	JAE(LabelRef(sscan))
	bitsR := GP32()
	if v.Wide() {
		t := ZMM()
		VMOVUPS(Mem{Base: x, Index: i, Scale: 4}, t)
		nk := K()
		VCMPPS(U8(cmpUnordQ), t, t, nk)
		KMOVW(nk, bitsR)
	} else {
		t := YMM()
		VMOVUPS(Mem{Base: x, Index: i, Scale: 4}, t)
		VCMPPS(U8(cmpUnordQ), t, t, t)
		VMOVMSKPS(t, bitsR)
	}
	TESTL(bitsR, bitsR)
	JNZ(LabelRef(hit))
	ADDQ(U8(v.Lanes), i)
	JMP(LabelRef(vscan))
	Label(hit)
	BSFL(bitsR, bitsR)
	ADDQ(bitsR.As64(), i)
	JMP(LabelRef(found))
	Label(sscan)
	CMPQ(i, nelem)
	JAE(LabelRef(found)) // not reached: a NaN was seen
	e := XMM()
	VMOVSS(Mem{Base: x, Index: i, Scale: 4}, e)
	VUCOMISS(e, e)
	JPS(LabelRef(found))
	INCQ(i)
	JMP(LabelRef(sscan))
}

// ---------------------------------------------------------------------------
// scaleExpSum and expMul

// scaledArgs loads vectors first..first+cnt-1 of x at j and returns
// a[u] = s·x[u] - c (one rounding, an FMA with negc = -c).
func (k *kern) scaledArgs(x Register, j GPVirtual, first, cnt int, tail bool, s, negc VecVirtual) []VecVirtual {
	args := make([]VecVirtual, cnt)
	for u := range args {
		a := k.v.Vec()
		if tail {
			k.tailLoad(k.mem(x, j, first+u), a, nil)
		} else {
			VMOVUPS(k.mem(x, j, first+u), a)
		}
		VFMADD213PS(negc, s, a)
		args[u] = a
	}
	return args
}

// expSum emits, for the cnt vectors of x at j, e^(s·x - c) stored to dst
// (unless dst is nil) and summed into the float32 partials part, which it
// sets. The caller flushes part into float64 once per call: converting is
// what costs, so a group is long (sumGroup vectors) and part collects a
// few terms per lane, pairwise within each chunk.
//
// chunk is how many vectors go through one expGroup: the AVX2 range check
// needs all their arguments in registers at once.
//
// If dpart is not nil, Σ e·x over the vectors is summed into it too (x
// reloaded: the arguments are clobbered by the exponential).
func (k *kern) expSum(dst, x Register, j GPVirtual, cnt, chunk int, tail bool, s, negc, part, dpart VecVirtual) {
	for c0 := 0; c0 < cnt; c0 += chunk {
		args := k.scaledArgs(x, j, c0, min(chunk, cnt-c0), tail, s, negc)
		// g is allocated here, not in the callback: AVX2 emits the callback
		// twice (fast and full-range path), both must write the same g.
		g, dg := part, dpart
		if c0 > 0 {
			g = k.v.Vec()
			if dpart != nil {
				dg = k.v.Vec()
			}
		}
		k.expGroup(args, true, func(u int, f VecVirtual) {
			if tail {
				// The lanes past the tail hold e^(-c), which may be +Inf:
				// zero them for the sums (the store takes the tail only).
				k.zeroTail(f)
			}
			if dpart != nil {
				// dg += e·x, x reloaded before dst[u] is stored (dst may
				// be x); past the tail e = 0 and x is masked or 0.
				xm := k.mem(x, j, c0+u)
				if u == 0 {
					k.zero(dg)
				}
				if tail {
					k.v.TailFMA(xm, f, dg)
				} else {
					VFMADD231PS(xm, f, dg)
				}
			}
			if dst != nil {
				if tail {
					k.tailStore(f, k.mem(dst, j, c0+u))
				} else {
					VMOVUPS(f, k.mem(dst, j, c0+u))
				}
			}
			if u == 0 {
				VMOVAPS(f, g)
			} else {
				VADDPS(f, g, g)
			}
		})
		if c0 > 0 {
			VADDPS(g, part, part)
			if dpart != nil {
				VADDPS(dg, dpart, dpart)
			}
		}
	}
}

// negParam broadcasts the negation of a float32 parameter.
func (k *kern) negParam(name string) VecVirtual {
	r := k.param(name)
	VXORPS(k.c("signbit"), r, r)
	return r
}

func scaleExpSumK(v *vec.ISA) { scaleExpSumKernel(v, false) }

// scaleExpSumDotK is scaleExpSum that also returns Σ dst[i]·x[i]: the
// sampler's entropy, H = ln W + c - s·Σe·x/W, without a second pass over
// e and x (which together fill a 1 MiB L2 at a 128k vocabulary).
func scaleExpSumDotK(v *vec.ISA) { scaleExpSumKernel(v, true) }

// scaleExpSumKernel emits scaleExpSum, or with dot scaleExpSumDot.
func scaleExpSumKernel(v *vec.ISA, dot bool) {
	name, sig, doc := "scaleExpSum", "func(dst, x []float32, s, c float32) float64",
		"%s sets dst[i] = e^(s·x[i] - c) and returns Σ dst[i], accumulated in float64. It requires len(dst) == len(x) > 0."
	if dot {
		name, sig, doc = "scaleExpSumDot", "func(dst, x []float32, s, c float32) (sum, dot float64)",
			"%s sets dst[i] = e^(s·x[i] - c) and returns Σ dst[i] and Σ dst[i]·x[i], accumulated in float64. It requires len(dst) == len(x) > 0."
	}
	k := newKern(v, name, sig, doc)
	dst := Load(Param("dst").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	s, negc := k.param("s"), k.negParam("c")
	k.flushToZero()
	k.holdExp(true)
	acc := [2]VecVirtual{v.Vec(), v.Vec()}
	var dacc [2]VecVirtual
	zero := acc[:]
	if dot {
		dacc = [2]VecVirtual{v.Vec(), v.Vec()}
		zero = append(zero, dacc[:]...)
	}
	for _, a := range zero {
		k.zero(a)
	}
	part := v.Vec()
	var dpart VecVirtual
	chunk := 4
	if dot {
		dpart = v.Vec()
		// AVX2 has 16 registers: with the four more accumulators, the range
		// check can hold one argument at a time (as maxSum's does).
		if !v.Wide() {
			chunk = 1
		}
	}
	k.loop(n, sumGroup, func(j GPVirtual, cnt int, tail bool) {
		if dot {
			Comment("dst = e^(s·x - c); part = Σ e, dpart = Σ e·x over the group, in float32")
		} else {
			Comment("dst = e^(s·x - c); part = Σ over the group, in float32")
		}
		k.expSum(dst, x, j, cnt, chunk, tail, s, negc, part, dpart)
		k.flush(part, acc)
		if dot {
			k.flush(dpart, dacc)
		}
	})
	sum := k.hsumPD(acc)
	if !dot {
		k.ret(func() { storeF64(sum, 0) })
		return
	}
	d := k.hsumPD(dacc)
	k.ret(func() { storeF64(sum, 0); storeF64(d, 1) })
}

func expMulK(v *vec.ISA) {
	k := newKern(v, "expMul", "func(dst, x []float32, s, c, mul float32)",
		"%s sets dst[i] = e^(s·x[i] - c)·mul. It requires len(dst) == len(x) > 0.")
	dst := Load(Param("dst").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	s, negc, mul := k.param("s"), k.negParam("c"), k.param("mul")
	k.holdExp(true)
	k.loop(n, 4, func(j GPVirtual, cnt int, tail bool) {
		args := k.scaledArgs(x, j, 0, cnt, tail, s, negc)
		Comment("dst = e^a · mul")
		k.expGroup(args, true, func(u int, f VecVirtual) {
			VMULPS(mul, f, f)
			if tail {
				k.tailStore(f, k.mem(dst, j, u))
			} else {
				VMOVUPS(f, k.mem(dst, j, u))
			}
		})
	})
	k.ret()
}

// ---------------------------------------------------------------------------
// scaleShift

func scaleShiftK(v *vec.ISA) {
	k := newKern(v, "scaleShift", "func(dst, x []float32, s, b float32)",
		"%s sets dst[i] = s·x[i] + b (one rounding). It requires len(dst) == len(x) > 0.")
	dst := Load(Param("dst").Base(), GP64())
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	s, b := k.param("s"), k.param("b")
	k.loop(n, 4, func(j GPVirtual, cnt int, tail bool) {
		for u := 0; u < cnt; u++ {
			t := v.Vec()
			if tail {
				k.tailLoad(k.mem(x, j, u), t, nil)
				VFMADD213PS(b, s, t)
				k.tailStore(t, k.mem(dst, j, u))
				continue
			}
			VMOVAPS(b, t)
			VFMADD231PS(k.mem(x, j, u), s, t)
			VMOVUPS(t, k.mem(dst, j, u))
		}
	})
	k.ret()
}

// ---------------------------------------------------------------------------
// sumWhereIn

// sumWhereInK emits the masked sum Σ e[i] over lo ≤ s·z[i] + b ≤ hi: the
// test the sampler makes of a drawn token (is the mass ranked before it
// below the nucleus target?), one pass over two arrays that sit in L2. Per
// vector: one FMA (the key, as ScaleShift rounds it), two ordered compares
// (false for a NaN key) and one add of the selected e lanes. Groups of
// sumGroup vectors are summed in float32 in four chains, then flushed into
// float64, as in scaleExpSum.
func sumWhereInK(v *vec.ISA) {
	k := newKern(v, "sumWhereIn", "func(e, z []float32, s, b, lo, hi float32) float64",
		"%s returns Σ e[i] over the i with lo ≤ s·z[i] + b ≤ hi (one rounding), accumulated in float64. It requires len(e) == len(z) > 0.")
	e := Load(Param("e").Base(), GP64())
	z := Load(Param("z").Base(), GP64())
	n := Load(Param("z").Len(), GP64())
	s, b := k.param("s"), k.param("b")
	lo, hi := k.param("lo"), k.param("hi")
	acc := [2]VecVirtual{v.Vec(), v.Vec()}
	k.zero(acc[0])
	k.zero(acc[1])
	const chains = 4
	var part [chains]VecVirtual
	for c := range part {
		part[c] = v.Vec()
	}
	k.loop(n, sumGroup, func(j GPVirtual, cnt int, tail bool) {
		Comment("part[u mod 4] += e where lo ≤ z ≤ hi, in float32")
		for c := 0; c < min(chains, cnt); c++ {
			k.zero(part[c])
		}
		for u := 0; u < cnt; u++ {
			zv, ev := v.Vec(), v.Vec()
			if tail {
				// Lanes past the tail load e = 0: whatever their key, they
				// add nothing.
				k.tailLoad(k.mem(z, j, u), zv, nil)
				k.tailLoad(k.mem(e, j, u), ev, nil)
				VFMADD213PS(b, s, zv) // zv = s·z + b
			} else {
				VMOVAPS(b, zv)
				VFMADD231PS(k.mem(z, j, u), s, zv) // zv = s·z + b
			}
			p := part[u%chains]
			if v.Wide() {
				in, both := K(), K()
				VCMPPS(U8(cmpLEOQ), zv, lo, in)       // in = lo ≤ z
				VCMPPS(U8(cmpGEOQ), zv, hi, in, both) // both = in ∧ hi ≥ z
				if tail {
					VADDPS(ev, p, both, p)
				} else {
					VADDPS(k.mem(e, j, u), p, both, p)
				}
				continue
			}
			in, le := v.Vec(), v.Vec()
			VCMPPS(U8(cmpLEOQ), zv, lo, in) // all ones where lo ≤ z
			VCMPPS(U8(cmpGEOQ), zv, hi, le) // all ones where hi ≥ z
			VANDPS(le, in, in)
			if tail {
				VANDPS(ev, in, in)
			} else {
				VANDPS(k.mem(e, j, u), in, in)
			}
			VADDPS(in, p, p)
		}
		for c := 1; c < min(chains, cnt); c++ {
			VADDPS(part[c], part[0], part[0])
		}
		k.flush(part[0], acc)
	})
	sum := k.hsumPD(acc)
	k.ret(func() { storeF64(sum, 0) })
}

// ---------------------------------------------------------------------------
// maxSum

// maxSumChunk emits one chunk of maxSum's loop: cnt vectors from vector
// first of the group at j, whose terms it adds to part (setting it in the
// group's first chunk). See maxSumK.
func (k *kern) maxSumChunk(x Register, j GPVirtual, first, cnt int, tail bool, s, nref, mx, mn, part VecVirtual, acc [2]VecVirtual) {
	v := k.v
	xs := make([]Op, cnt)
	for u := range xs {
		xs[u] = k.mem(x, j, first+u)
	}
	if tail {
		Comment("lanes past the tail hold x[0]: neutral for the max and min; their terms are dropped")
		x0 := v.Vec()
		VBROADCASTSS(Mem{Base: x}, x0)
		t := v.Vec()
		k.tailLoad(xs[0].(Mem), t, x0)
		xs[0] = t
	}
	args := make([]VecVirtual, cnt)
	for u := range args {
		args[u] = v.Vec()
	}
	argsFrom := func() {
		for u, a := range args {
			VMOVAPS(nref, a)
			VFMADD231PS(xs[u], s, a)
		}
	}
	Comment("a = s·x - ref; track the lane max and min of x")
	argsFrom()
	for _, xu := range xs {
		VMAXPS(xu, mx, mx)
		VMINPS(xu, mn, mn)
	}
	Comment("an argument above slack: raise ref first")
	h := k.groupMax(args)
	rescale, resume := k.label("rescale"), k.label("resume")
	if v.Wide() {
		big := K()
		VCMPPS(U8(cmpGTOQ), k.c("slack"), h, big)
		KORTESTW(big, big)
	} else {
		big := YMM()
		VCMPPS(U8(cmpGTOQ), k.c("slack"), h, big)
		VTESTPS(big, big)
	}
	JNE(LabelRef(rescale))
	// g collects the chunk's terms: part itself in the group's first chunk.
	g := part
	if first > 0 {
		g = v.Vec()
	}
	sumExps := func(full bool) {
		for u, a := range args {
			f := k.exp(a, full, nil)
			if tail {
				k.zeroTail(f)
			}
			if u == 0 {
				VMOVAPS(f, g)
			} else {
				VADDPS(f, g, g)
			}
		}
	}
	Comment("Σ e^a over the chunk (arguments <= 0.5)")
	sumExps(false)
	Label(resume)
	if first > 0 {
		VADDPS(g, part, part)
	}

	k.later = append(k.later, func() {
		Label(rescale)
		if first > 0 {
			Comment("the group's terms so far belong to the old ref")
			k.flush(part, acc)
			k.zero(part)
		}
		Comment("ref' = max(ref, s·x over the chunk); sum ·= e^(ref - ref'); recompute a")
		bm := v.Vec()
		VMULPS(xs[0], s, bm)
		for _, xu := range xs[1:] {
			t := v.Vec()
			VMULPS(xu, s, t)
			VMAXPS(t, bm, bm)
		}
		ref := v.Vec()
		VXORPS(k.c("signbit"), nref, ref)
		// VMAXPS returns its first (Go) operand when either is NaN: ref,
		// so a NaN element leaves ref alone (its term is NaN).
		refNew := v.Vec()
		VMAXPS(ref, bm, refNew)
		k.rescale(ref, refNew, acc)
		VXORPS(k.c("signbit"), refNew, nref)
		argsFrom()
		// s·x - ref can still be large and positive where s·x is beyond
		// 2²⁴ and ref = round(s·x) rounded down: full range.
		Comment("Σ e^a over the chunk, any a")
		sumExps(true)
		JMP(LabelRef(resume))
	})
}

// maxSumK emits maxSum, the online normaliser, per lane and lazily.
//
// Each lane keeps a reference ref (held negated, nref = -ref) and the
// float64 sum of e^(s·x - ref) over its elements. The arguments
// a = s·x - ref are computed with one rounding (an FMA, as the generic
// twin does); a chunk (of 4 vectors on AVX-512, 2 on AVX2) whose largest
// argument exceeds slack = 0.5 first raises ref to the lane's maximum so
// far and multiplies the lane's sum by e^(ref_old - ref_new), out of line.
// Letting the arguments go up to 0.5 rather than 0 keeps the rescales rare
// (each one needs the maximum to grow by 0.5; sorted input rescales
// range/0.5 times, not at every chunk) while the argument's rounding error
// stays below 2⁻²⁶.
//
// The exact m = max s·x[i] comes from the lane maxima and minima of x
// itself: s·x rounds monotonically, so the largest s·x is s·max x or
// s·min x depending on the sign of s. At the end each lane's sum is scaled
// by e^(ref - m) and the lanes are added.
//
// Where that sum is not finite (NaN or +Inf data, all s·x = -Inf, or
// |s·x| beyond 2²⁴, where a = s·x - round(s·x) can itself be huge) a second
// pass recomputes Σ e^(s·x - m) with the final m, which is the formula term
// for term. The softmax package never gets there with finite logits and a
// sane temperature.
func maxSumK(v *vec.ISA) {
	k := newKern(v, "maxSum", "func(x []float32, s float32) (m float32, sum float64)",
		"%s returns m = max s·x[i] and Σ e^(s·x[i] - m) in one pass. It requires len(x) > 0.")
	x := Load(Param("x").Base(), GP64())
	n := Load(Param("x").Len(), GP64())
	nelem := GP64()
	MOVQ(n, nelem)
	s := k.param("s")
	chunk := 2 // the arguments of a chunk are live together: AVX2 has room for 2
	if v.Wide() {
		chunk = 4
		k.hold("slack")
	}
	k.flushToZero()
	k.holdExp(false)
	Comment("ref = -MaxFloat32: the first finite argument triggers a rescale (of a zero sum)")
	nref := v.Vec()
	VBROADCASTSS(global("lowest"), nref)
	VXORPS(k.c("signbit"), nref, nref)
	Comment("the lane maxima and minima of x start at x[0]")
	mx, mn := v.Vec(), v.Vec()
	VBROADCASTSS(Mem{Base: x}, mx)
	VMOVAPS(mx, mn)
	acc := [2]VecVirtual{v.Vec(), v.Vec()}
	k.zero(acc[0])
	k.zero(acc[1])
	part := v.Vec()

	k.loop(n, sumGroup, func(j GPVirtual, cnt int, tail bool) {
		for c0 := 0; c0 < cnt; c0 += chunk {
			k.maxSumChunk(x, j, c0, min(chunk, cnt-c0), tail, s, nref, mx, mn, part, acc)
		}
		k.flush(part, acc)
	})

	Comment("m = max over lanes of max(s·mx, s·mn), without FTZ: m may be a denormal")
	if k.ftz {
		LDMXCSR(k.mxcsr)
	}
	VMULPS(s, mx, mx)
	VMULPS(s, mn, mn)
	if k.ftz {
		LDMXCSR(k.ftzOn)
	}
	VMAXPS(mn, mx, mx)
	k.allLanes(mx, func(t, x VecVirtual) { VMAXPS(t, x, x) })
	Comment("sum = Σ lanes of acc·e^min(ref - m, 0)")
	ref := v.Vec()
	VXORPS(k.c("signbit"), nref, ref)
	k.rescale(ref, mx, acc)
	sum := k.hsumPD(acc)
	// A non-finite sum means a lane's terms met an infinity: NaN or
	// +Inf data, or s·x beyond 2²⁴ in magnitude, where s·x - ref (one
	// rounding) can be far above 0 although ref = round(s·x), and a lane
	// sum overflows before its factor e^(ref - m) = 0 can scale it away.
	// Then the sum is recomputed in a second pass with the final m, which
	// is the formula term for term.
	Comment("sum not finite (sum - sum is NaN): recompute Σ e^(s·x - m) in a second pass")
	again, out := k.label("again"), k.label("out")
	t := XMM()
	VSUBSD(sum, sum, t)
	VUCOMISD(t, t)
	JPS(LabelRef(again))
	Comment("so does m = -Inf: every term is e^(-Inf + Inf) = NaN")
	VUCOMISS(global("neginf"), mx.AsX())
	JEQ(LabelRef(again))
	Label(out)
	k.later = append(k.later, func() {
		Label(again)
		negm := v.Vec()
		VXORPS(k.c("signbit"), mx, negm)
		k.zero(acc[0])
		k.zero(acc[1])
		k.loop(nelem, sumGroup, func(j GPVirtual, cnt int, tail bool) {
			// (AVX2 has registers for one argument at a time here.)
			k.expSum(nil, x, j, cnt, map[bool]int{false: 1, true: 4}[v.Wide()], tail, s, negm, part, nil)
			k.flush(part, acc)
		})
		k.hsumPD(acc)
		JMP(LabelRef(out))
	})
	k.ret(func() {
		storeF32(mx.AsX(), 0)
		storeF64(sum, 1)
	})
}
