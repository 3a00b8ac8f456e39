//go:build race

package sqlite

// raceDetector scales the heavy internal tests down under the race
// detector.
const raceDetector = true
