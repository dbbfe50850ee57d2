// Package fuzz holds the go test -fuzz targets of lmhead: every kernel, on
// every ISA the CPU supports, against its pure-Go twin and against a float64
// reference. The checked-in corpus under testdata/fuzz runs as ordinary
// tests (also under qemu, where -fuzz cannot), so `go test ./fuzz` replays
// it; `go test ./fuzz -run '^$' -fuzz FuzzGemv -fuzztime 30s` explores.
package fuzz
