//go:build !unix

package sqlite_test

import "time"

// processCPU is 0 where the process's CPU time is not read (reportCPU
// then reports nothing).
func processCPU() time.Duration { return 0 }
