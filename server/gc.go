package server

import (
	"log/slog"
	"runtime/debug"
)

// gcPercent is the garbage collector's target (GOGC) when the environment
// sets none: a collection once the heap has grown to five times what the
// last one left, not twice. boxoffice's live heap is small (some 10 MB
// serving a busy show) and every request allocates, so the collector's
// default spends CPU that bookings need: measured from outside, book and
// release of one show cost the server some 8 % less CPU per request, for
// some 11 MB more peak memory (BENCHMARKS.md, issue 16). GOGC and
// GOMEMLIMIT, the Go runtime's own variables, still decide when set; under
// a container's memory limit, set GOMEMLIMIT to some 80 % of it.
const gcPercent = 400

// tuneGC sets the collector's target unless GOGC is set, and logs the
// outcome.
func tuneGC(getenv func(string) string, log *slog.Logger) {
	if v := getenv("GOGC"); v != "" {
		log.Debug("garbage collector", "GOGC", v, "from", "environment")
		return
	}
	debug.SetGCPercent(gcPercent)
	log.Debug("garbage collector", "GOGC", gcPercent, "from", "boxoffice's default")
}
