package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"boxoffice"
	"boxoffice/postgres/pgtest"
)

// A listening instance answers Show from memory, and still shows another
// instance's programme change by the time its watchers hear of it; after a
// gap in listening, nothing it cached before is trusted.
func TestListeningShowSeesOtherInstancesChanges(t *testing.T) {
	url := pgtest.Database(t)
	a, b := openTest(t, url, Options{}), openTest(t, url, Options{})
	show := seedDemo(t, a)

	if _, ok := b.heardShow(show.ID); ok {
		t.Fatal("a store that does not listen trusts its cache")
	}
	sub, listening := watchListening(t, b, show.ID, 64)
	if _, err := b.Show(t.Context(), show.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.heardShow(show.ID); !ok {
		t.Fatal("a listening store reads the show again for every Show")
	}

	changed := show
	changed.Title, changed.Sales = "Changed elsewhere", boxoffice.SalesClosed
	if _, err := a.ApplyProgramme(t.Context(), boxoffice.Programme{Shows: []boxoffice.Show{changed}}, false); err != nil {
		t.Fatal(err)
	}
	select {
	case e, ok := <-sub.C():
		if !ok {
			t.Fatalf("subscription closed: %v", sub.Err())
		}
		t.Logf("watchers heard version %d", e.Version)
	case <-time.After(30 * time.Second):
		t.Fatal("the programme change did not reach b's watchers within 30s")
	}
	got, err := b.Show(t.Context(), show.ID)
	if err != nil || got.Title != changed.Title || got.SalesState() != boxoffice.SalesClosed {
		t.Fatalf("b.Show after its watchers heard of the change = %q %s, %v; want %q closed", got.Title, got.SalesState(), err, changed.Title)
	}
	if _, ok := b.heardShow(show.ID); !ok {
		t.Fatal("the changed show, read again, is not trusted")
	}

	// A show read from a snapshot older than a revision heard is not
	// cached: as if this read had begun before the change's notification.
	_, revision, err := b.readShowRevision(t.Context(), show.ID)
	if err != nil {
		t.Fatal(err)
	}
	b.revise(show.ID, revision+1)
	if _, ok := b.heardShow(show.ID); ok {
		t.Fatal("a show older than a revision heard is trusted")
	}
	if _, err := b.Show(t.Context(), show.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.heardShow(show.ID); ok {
		t.Fatal("a show read at a revision older than one heard was cached and trusted")
	}
	b.mu.Lock()
	b.revised[show.ID] = revision // as it was: nothing newer was committed
	b.mu.Unlock()

	// A show read across a restart of the listener, from a snapshot that
	// may miss a change made in the gap, is not cached.
	b.forget([]boxoffice.ShowID{show.ID})
	if _, _, err := b.readShowWith(t.Context(), restartingQuerier{b}, show.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.heardShow(show.ID); ok {
		t.Fatal("a show read across a restart of the listener was cached and trusted")
	}

	// Changes made while the listener is down go unheard: once it is back,
	// the cache starts afresh.
	if _, err := b.Show(t.Context(), show.ID); err != nil {
		t.Fatal(err)
	}
	if n := pgtest.Terminate(t, url, listenerName); n != 1 {
		t.Fatalf("terminated %d listener connections, want 1", n)
	}
	select {
	case <-listening:
	case <-time.After(30 * time.Second):
		t.Fatal("the listener did not reconnect within 30s")
	}
	if _, ok := b.heardShow(show.ID); ok {
		t.Fatal("a show cached before the listener's gap is trusted after it")
	}
}

// restartingQuerier reads through s's pool as the listener restarts.
type restartingQuerier struct{ s *Store }

func (q restartingQuerier) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	row := q.s.pool.QueryRow(ctx, sql, args...)
	q.s.hearing(false)
	q.s.hearing(true)
	return row
}

// During a rolling upgrade an instance of the previous release changes the
// programme as it always did: its statement bumps the show's revision and
// NOTIFYs boxoffice_changes alone. A listening instance of this release
// still shows the change by the time its watchers hear of it.
func TestListeningShowSeesOlderReleasesChanges(t *testing.T) {
	url := pgtest.Database(t)
	a, b := openTest(t, url, Options{}), openTest(t, url, Options{})
	show := seedDemo(t, a)
	sub, _ := watchListening(t, b, show.ID, 64)
	if _, err := b.Show(t.Context(), show.ID); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.heardShow(show.ID); !ok {
		t.Fatal("a listening store reads the show again for every Show")
	}

	// The previous release's sales change and bump (a4ce565's programme.go).
	tx, err := a.pool.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.WithoutCancel(t.Context()))
	if _, err := tx.Exec(t.Context(), `UPDATE shows SET sales = 'closed' WHERE id = $1`, show.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(t.Context(), `
		WITH bumped AS (
			UPDATE shows SET version = version + 1, revision = version + 1 WHERE id = ANY ($1)
			RETURNING id, version
		), logged AS (
			INSERT INTO programme_changes (show_id, version, at) SELECT id, version, $2 FROM bumped
		)
		SELECT pg_notify('`+channel+`', id || ' ' || version) FROM bumped`,
		[]boxoffice.ShowID{show.ID}, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(t.Context()); err != nil {
		t.Fatal(err)
	}
	select {
	case e, ok := <-sub.C():
		if !ok {
			t.Fatalf("subscription closed: %v", sub.Err())
		}
		if !e.Programme {
			t.Fatalf("watchers heard %+v, want the programme change", e.Change)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the programme change did not reach b's watchers within 30s")
	}
	got, err := b.Show(t.Context(), show.ID)
	if err != nil || got.SalesState() != boxoffice.SalesClosed {
		t.Fatalf("b.Show after its watchers heard of an older release's change = %s, %v; want closed", got.SalesState(), err)
	}
}
