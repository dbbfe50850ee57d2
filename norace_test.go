//go:build !race

package lmhead_test

const raceEnabled = false
