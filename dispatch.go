package lmhead

import (
	"fmt"
	"os"
	"reflect"
	"runtime"
	"strings"
	"unsafe"

	"github.com/klauspost/cpuid/v2"
)

// ISA names one level of kernel implementation.
type ISA uint8

// The kernel levels. Which ones a binary can use depends on GOARCH, on the
// purego build tag and on the CPU; see [Supported].
const (
	// Generic is the pure-Go kernel set. It runs everywhere and is the
	// reference that every assembly kernel is tested against.
	Generic ISA = iota
	// AVX2 is the amd64 kernel set for CPUs with AVX2 and FMA3 (Haswell, Zen 1
	// and later).
	AVX2
	// AVX512 is the amd64 kernel set for CPUs with AVX512F (Skylake-X, Zen 4
	// and later). It uses 512-bit vectors and opmask registers for tails.
	AVX512
	// NEON is the arm64 kernel set using Advanced SIMD (ASIMD), which every
	// arm64 CPU that Go supports has.
	NEON
)

var isaNames = [...]string{Generic: "generic", AVX2: "avx2", AVX512: "avx512", NEON: "neon"}

// String returns "generic", "avx2", "avx512" or "neon".
func (i ISA) String() string {
	if int(i) < len(isaNames) {
		return isaNames[i]
	}
	return fmt.Sprintf("ISA(%d)", uint8(i))
}

// ParseISA returns the ISA with the given name, as [ISA.String] spells it,
// ignoring case.
func ParseISA(name string) (ISA, error) {
	for i, n := range isaNames {
		if strings.EqualFold(strings.TrimSpace(name), n) {
			return ISA(i), nil
		}
	}
	return Generic, fmt.Errorf("lmhead: unknown ISA %q (want one of %s)", name, strings.Join(isaNames[:], ", "))
}

// kernelSet is one level's implementation of every kernel. The exported
// functions check their arguments and call through the active set, so the
// assembly never sees a length it was not written for.
type kernelSet struct {
	dot  func(a, b []float32) float32
	gemv func(dst, w, x []float32)
	sum  func(x []float32) float32

	// The softmax family (kernels_softmax.go). They are only called with
	// len(x) >= 1 and len(dst) == len(x).
	exp         func(dst, x []float32)
	max         func(x []float32) float32
	argmax      func(x []float32) int
	scaleExpSum func(dst, x []float32, s, c float32) float64
	maxSum      func(x []float32, s float32) (m float32, sum float64)
	expMul      func(dst, x []float32, s, c, mul float32)
	scaleShift  func(dst, x []float32, s, b float32)
	sumWhereIn  func(e, z []float32, s, b, lo, hi float32) float64
	// scaleExpSumDot is scaleExpSum that also returns Σ dst[i]·x[i].
	scaleExpSumDot func(dst, x []float32, s, c float32) (sum, dot float64)

	// The Gemv of each weight format (matrix.go): dst[i] = row i of w,
	// decoded, dotted with x. They are only called with len(dst) ≥ 1,
	// len(x) ≥ 1 a multiple of the format's block size, and
	// len(w) == len(dst)·RowBytes(len(x)); w may start at any address.
	gemvF16  func(dst []float32, w []byte, x []float32)
	gemvBF16 func(dst []float32, w []byte, x []float32)
	gemvQ8_0 func(dst []float32, w []byte, x []float32)
	gemvQ4_0 func(dst []float32, w []byte, x []float32)
	gemvQ4_K func(dst []float32, w []byte, x []float32)
	gemvQ6_K func(dst []float32, w []byte, x []float32)

	// The decoder of each quantized format (quant_decode.go): whole blocks
	// of src into dst[:len(src)/BlockBytes·BlockSize], bit for bit as
	// ggml decodes them. src may start at any address.
	dequantF16  func(dst []float32, src []byte)
	dequantBF16 func(dst []float32, src []byte)
	dequantQ8_0 func(dst []float32, src []byte)
	dequantQ4_0 func(dst []float32, src []byte)
	dequantQ4_K func(dst []float32, src []byte)
	dequantQ6_K func(dst []float32, src []byte)

	// gemm is one k slice of the batched projection (gemm.go, see
	// gemmBlock): rows of W against groups of 16 packed positions.
	gemm func(c []float32, ldc int, w []float32, ldw, rows, kc int, xp []float32, gs, groups int, add bool)
	// gemmPairs is gemm for up to 8 positions packed in pairs of k
	// (gemm.go, see gemmBlockPairs); kc counts pairs.
	gemmPairs func(c []float32, ldc int, w []float32, ldw, rows, kc int, xp []float32, gs, groups int, add bool)
	// gemmBF16 is gemm with W in BF16, read in place (gemm.go, see
	// gemmBlockBF16); ldw counts weights.
	gemmBF16 func(c []float32, ldc int, w []byte, ldw, rows, kc int, xp []float32, gs, groups int, add bool)
}

// level is one ISA available to this build: its kernels and the CPU features
// it needs.
type level struct {
	isa      ISA
	features []cpuid.FeatureID
	kernels  kernelSet
}

// genericLevel is the pure-Go set; it needs nothing.
var genericLevel = level{isa: Generic, kernels: genericKernels}

// active is the kernel set in use. It is written only by init and by Use.
var (
	active    = genericKernels
	activeISA = Generic
)

func init() {
	best := bestLevel(cpuid.CPU.Supports)
	if v, ok := os.LookupEnv("LMHEAD_ISA"); ok && v != "" {
		best = capLevel(v, cpuid.CPU.Supports)
	}
	active, activeISA = best.kernels, best.isa
}

// allLevels lists this build's levels best first, Generic last. A kernel
// that a level has no assembly for runs its generic twin.
func allLevels() []level {
	levels := make([]level, 0, len(archLevels)+1)
	for _, l := range archLevels {
		l.kernels = withGeneric(l.kernels)
		levels = append(levels, l)
	}
	return append(levels, genericLevel)
}

// withGeneric fills every nil kernel of k with its generic twin.
func withGeneric(k kernelSet) kernelSet {
	v, g := reflect.ValueOf(&k).Elem(), reflect.ValueOf(&genericKernels).Elem()
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.IsNil() {
			// reflect will not Set an unexported field, so copy the func
			// value through its address.
			reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().
				Set(reflect.NewAt(f.Type(), unsafe.Pointer(g.Field(i).UnsafeAddr())).Elem())
		}
	}
	return k
}

// bestLevel returns the best level whose features the CPU has.
func bestLevel(has func(...cpuid.FeatureID) bool) level {
	for _, l := range allLevels() {
		if has(l.features...) {
			return l
		}
	}
	return genericLevel
}

// capLevel returns the best supported level at or below the one named.
// A name this build does not know (an unknown word, or an ISA of another
// architecture) caps at Generic: when asked for less than the best, the
// conservative answer is the one that runs everywhere.
func capLevel(name string, has func(...cpuid.FeatureID) bool) level {
	want, err := ParseISA(name)
	if err != nil {
		return genericLevel
	}
	levels := allLevels()
	for i, l := range levels {
		if l.isa != want {
			continue
		}
		for _, l := range levels[i:] {
			if has(l.features...) {
				return l
			}
		}
	}
	return genericLevel
}

// Supported returns the levels this CPU and build can run, best first.
// Generic is always present and always last.
func Supported() []ISA {
	var out []ISA
	for _, l := range allLevels() {
		if cpuid.CPU.Supports(l.features...) {
			out = append(out, l.isa)
		}
	}
	return out
}

// Active returns the level whose kernels are in use.
func Active() ISA { return activeISA }

// Use switches every kernel to the given level. It returns an error, and
// changes nothing, when this build or CPU cannot run that level; the error
// names the missing CPU features.
//
// Use must not be called while kernels are running in other goroutines: the
// switch is a plain write that those calls may or may not see, half-way
// through. It exists for tests, benchmarks and tools; programs should let
// the start-up detection (capped by LMHEAD_ISA) choose.
func Use(isa ISA) error {
	for _, l := range allLevels() {
		if l.isa != isa {
			continue
		}
		var missing []string
		for _, f := range l.features {
			if !cpuid.CPU.Supports(f) {
				missing = append(missing, f.String())
			}
		}
		if len(missing) > 0 {
			return fmt.Errorf("lmhead: cannot use %v: this CPU lacks %s", isa, strings.Join(missing, ", "))
		}
		active, activeISA = l.kernels, l.isa
		return nil
	}
	return fmt.Errorf("lmhead: cannot use %v: this build (GOARCH=%s%s) has no %v kernels", isa, runtime.GOARCH, pureTag, isa)
}
