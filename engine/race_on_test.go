//go:build race

package engine_test

// raceSlowdown scales the time bounds of tests: the race detector makes goja several times slower,
// and a bound tuned for a normal build would then measure the detector, not Kubus.
const raceSlowdown = 8
