package marketplace

import (
	"sync"
	"time"
)

// Clock tells the service the time. A nil Clock means real time; tests and
// the example portal's simulated mode pass a SimClock.
type Clock interface {
	Now() time.Time
}

// realNow is the only place in the domain packages that reads the system
// clock: the default of a nil Clock.
func realNow() time.Time { return time.Now() }

// SimClock is a settable clock for tests and simulations. The zero value
// starts at the zero time; use NewSimClock. It is safe for concurrent use.
type SimClock struct {
	mu  sync.Mutex
	now time.Time
}

// NewSimClock returns a clock stopped at t.
func NewSimClock(t time.Time) *SimClock { return &SimClock{now: t} }

// Now returns the clock's time.
func (c *SimClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *SimClock) Set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// Advance moves the clock forward by d and returns the new time.
func (c *SimClock) Advance(d time.Duration) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	return c.now
}
