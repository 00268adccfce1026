package server

import (
	"log/slog"
	"runtime/debug"
	"testing"
)

// boxoffice sets its own GC target unless the operator set GOGC, which then
// decides as the Go runtime documents.
func TestTuneGC(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	t.Cleanup(func() { debug.SetGCPercent(100) })

	debug.SetGCPercent(100)
	tuneGC(func(string) string { return "" }, log)
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Errorf("without GOGC the target is %d, want %d", got, gcPercent)
	}

	debug.SetGCPercent(150) // as the runtime set it from GOGC=150
	tuneGC(func(k string) string {
		if k == "GOGC" {
			return "150"
		}
		return ""
	}, log)
	if got := debug.SetGCPercent(100); got != 150 {
		t.Errorf("with GOGC=150 the target is %d, want 150", got)
	}
}
