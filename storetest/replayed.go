package storetest

import (
	"context"
	"maps"
	"testing"

	"boxoffice"
)

// Replayed reads a show's seat map and its whole change log from a store
// that has kept every change (no compaction, no forgetting), and fails t
// unless the log has consecutive versions from 1 and replays to the seat
// map: what a copy of a database (a backup, a restore) must still hold. It
// returns the seat map's holders.
func Replayed(ctx context.Context, t *testing.T, s boxoffice.Store, show boxoffice.ShowID) map[boxoffice.SeatID]boxoffice.Guest {
	t.Helper()
	m, err := s.SeatMap(ctx, show)
	if err != nil {
		t.Fatal(err)
	}
	log, err := s.ChangesSince(ctx, show, 0, int(m.Version)+1)
	if err != nil {
		t.Fatal(err)
	}
	held := replay(t, log, 0)
	if int64(len(log)) != m.Version || !maps.Equal(held, m.Holders) {
		t.Errorf("show %s: the change log (%d changes) replays to %s, but the seat map at version %d holds %s",
			show, len(log), holdersString(held), m.Version, holdersString(m.Holders))
	}
	return m.Holders
}
