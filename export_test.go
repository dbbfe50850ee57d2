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
