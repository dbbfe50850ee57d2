package lmhead

// SetHalfStreamRowBytes sets the row length from which the AVX-512 F16 and
// BF16 Gemv stream one row at a time (tuning.go) and returns a function
// that restores the old value. The tests run both shapes: 0 streams every
// row, HalfStreamNever none.
func SetHalfStreamRowBytes(n uint64) (restore func()) {
	old := halfStreamRowBytes
	halfStreamRowBytes = n
	return func() { halfStreamRowBytes = old }
}

// HalfStreamNever is the setting of SetHalfStreamRowBytes that never
// streams a row alone.
const HalfStreamNever = halfStreamNever

// SetGemmBF16InPlace sets whether the AVX-512 Gemm reads BF16 weights in
// place (tuning.go) and returns a function that restores the old value.
func SetGemmBF16InPlace(inPlace bool) (restore func()) {
	old := gemmBF16InPlace
	gemmBF16InPlace = inPlace
	return func() { gemmBF16InPlace = old }
}
