package softmax

import "github.com/lmhead/lmhead"

// ThreePassMaxAVX512 lets the tests run Softmax on either side of the
// crossover.
const ThreePassMaxAVX512 = threePassMaxAVX512

// The two Softmax algorithms, for the crossover benchmark and for testing
// both at any size. s is 1/τ.
var (
	ThreePass = threePass
	TwoPass   = twoPass
)

// PartialSlow runs the fallback of Partial directly, which otherwise only
// an assembly MaxSum that overflowed would reach.
func PartialSlow(x []float32, temperature float32) Stats {
	return partialSlow(x, 1/temperature, lmhead.Max(x))
}
