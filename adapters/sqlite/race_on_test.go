//go:build race

package sqlite_test

// raceEnabled scales the heavy tests down under the race detector, which
// slows SQLite (pure Go) several times.
const raceEnabled = true
