//go:build race

package main

// raceOn is true when the tests run under the race detector, which makes
// everything several times slower: the few assertions about Discord's
// time limits allow for it.
const raceOn = true
