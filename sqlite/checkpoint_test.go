package sqlite

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"boxoffice"
)

// With automatic checkpoints off, the writer's own checkpoints keep
// the WAL from growing with every booking ever made: after many batches the
// WAL file (which SQLite reuses from its start, never shrinks) stays a small
// fraction of what they appended.
func TestCheckpointsBoundTheWAL(t *testing.T) {
	if testing.Short() {
		t.Skip("thousands of durable commits")
	}
	path := filepath.Join(t.TempDir(), "wal.db")
	s := openTest(t, path, Options{})
	show := seedDemo(t, s, time.Now()).Shows[0].ID
	g := boxoffice.GuestFromToken("alice")
	seats := []boxoffice.SeatID{"A1"}
	const batches = 8 * checkpointMax
	// One op at a time, so each is a batch and a commit of its own.
	for i := range batches / 2 {
		if _, err := s.Book(t.Context(), show, seats, g); err != nil {
			t.Fatalf("book %d: %v", i, err)
		}
		if _, err := s.Release(t.Context(), show, seats, g); err != nil {
			t.Fatalf("release %d: %v", i, err)
		}
	}
	fi, err := os.Stat(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	// Every commit appends three or four pages (booking, change log, show);
	// without checkpoints the WAL would hold all of them. With them it holds
	// at most about checkpointMax commits' worth: allow three times that.
	const page = 4096
	if limit := int64(3 * checkpointMax * 4 * page); fi.Size() > limit {
		t.Errorf("WAL is %d bytes after %d commits, want at most %d: checkpoints do not keep up", fi.Size(), batches, limit)
	}
}
