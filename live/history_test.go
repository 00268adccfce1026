package live_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"boxoffice"
	"boxoffice/live"
	"boxoffice/postgres"
	"boxoffice/postgres/pgtest"
	"boxoffice/sqlite"
)

// keep is the change log's length in these tests: short, so that a few
// dozen bookings compact it.
const keep = 20

const show boxoffice.ShowID = "s"

// onStores runs test on a SQLite and a PostgreSQL store that keep keep
// versions, each seeded with show and poking a hub, which test receives.
func onStores(t *testing.T, test func(t *testing.T, store boxoffice.Store, hub *live.Hub)) {
	open := map[string]func(t *testing.T, commit func(boxoffice.ShowID, int64)) boxoffice.Store{
		"sqlite": func(t *testing.T, commit func(boxoffice.ShowID, int64)) boxoffice.Store {
			s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "live.db"),
				sqlite.Options{KeepVersions: keep, OnCommit: commit})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
		"postgres": func(t *testing.T, commit func(boxoffice.ShowID, int64)) boxoffice.Store {
			s, err := postgres.Open(t.Context(), pgtest.Database(t),
				postgres.Options{KeepVersions: keep, OnCommit: commit})
			if err != nil {
				t.Fatal(err)
			}
			return s
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			var hub *live.Hub
			store := open[name](t, func(s boxoffice.ShowID, v int64) { hub.Committed(s, v) })
			hub = live.NewHub(store, live.Options{Complete: true})
			t.Cleanup(func() {
				hub.Close()
				store.Close()
			})
			l, err := boxoffice.ParseLayout("A ssss\n")
			if err != nil {
				t.Fatal(err)
			}
			hall := boxoffice.Hall{ID: "h", Name: "Hall", Layout: l}
			if _, err := store.Seed(t.Context(), boxoffice.Programme{Halls: []boxoffice.Hall{hall},
				Shows: []boxoffice.Show{{ID: show, Title: "Show", StartsAt: time.Now().Add(time.Hour), Hall: hall}}}); err != nil {
				t.Fatal(err)
			}
			test(t, store, hub)
		})
	}
}

// churn books and releases A1 until the show is at version n.
func churn(t *testing.T, store boxoffice.Store, n int64) {
	t.Helper()
	ctx := t.Context()
	for v := int64(1); v <= n; v++ {
		var err error
		if v%2 == 1 {
			_, err = store.Book(ctx, show, []boxoffice.SeatID{"A1"}, "g", "", 0)
		} else {
			_, err = store.Release(ctx, show, []boxoffice.SeatID{"A1"}, "g")
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// wantStartOver fails the test unless err sends its reader back to a
// snapshot: the slow reader's path, saying why.
func wantStartOver(t *testing.T, err error, what string) {
	t.Helper()
	if !errors.Is(err, live.ErrSlow) || !errors.Is(err, boxoffice.ErrHistoryGone) {
		t.Errorf("%s: %v; want an error matching live.ErrSlow and boxoffice.ErrHistoryGone", what, err)
	}
}

// A client resuming from a version compacted away is sent back to a
// snapshot, never handed the changes with a gap; from the floor on, it
// resumes gapless.
func TestResumeFromCompactedVersion(t *testing.T) {
	onStores(t, func(t *testing.T, store boxoffice.Store, hub *live.Hub) {
		const now = 3 * keep
		churn(t, store, now)
		_, _, err := hub.Watch(t.Context(), show, 5, now)
		wantStartOver(t, err, "Watch from version 5 of 60")

		w, missed, err := hub.Watch(t.Context(), show, now-keep, now)
		if err != nil {
			t.Fatalf("Watch from %d versions back = %v", keep, err)
		}
		defer w.Close()
		for i, e := range missed {
			if want := int64(now - keep + i + 1); e.Version != want {
				t.Fatalf("missed change %d is version %d, want %d", i, e.Version, want)
			}
		}
		if len(missed) != keep {
			t.Errorf("Watch from %d versions back gave %d changes", keep, len(missed))
		}
	})
}

// A feed that must read changes its store no longer keeps ends its
// subscriptions the slow reader's way, rather than retrying for ever while
// they wait; the next watcher gets a working feed.
func TestFeedBehindCompactionDropsItsWatchers(t *testing.T) {
	onStores(t, func(t *testing.T, store boxoffice.Store, hub *live.Hub) {
		const now = 3 * keep
		churn(t, store, now)
		sub, err := hub.Subscribe(show, 5) // a new feed, starting far behind
		if err != nil {
			t.Fatal(err)
		}
		defer sub.Close()
		select {
		case e, ok := <-sub.C():
			if ok {
				t.Fatalf("the feed published version %d though it cannot read from version 5", e.Version)
			}
			wantStartOver(t, sub.Err(), "the subscription's end")
		case <-time.After(5 * time.Second):
			t.Fatal("the subscription stayed open, waiting for changes the store no longer has")
		}

		w, missed, err := hub.Watch(t.Context(), show, now, now)
		if err != nil || len(missed) != 0 {
			t.Fatalf("Watch from the current version = %d missed, %v", len(missed), err)
		}
		defer w.Close()
		churn1(t, store)
		select {
		case e := <-w.C():
			if e.Version != now+1 {
				t.Errorf("the new feed published version %d, want %d", e.Version, now+1)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("no change from the new feed")
		}
	})
}

// After ForgetHistory a resume from before the show's last version goes
// back to a snapshot; from the last version, nothing is missing.
func TestResumeAfterForgetHistory(t *testing.T) {
	onStores(t, func(t *testing.T, store boxoffice.Store, hub *live.Hub) {
		churn(t, store, 5)
		if n, err := store.ForgetHistory(t.Context(), time.Now().Add(2*time.Hour)); err != nil || n != 1 {
			t.Fatalf("ForgetHistory = %d, %v", n, err)
		}
		_, _, err := hub.Watch(t.Context(), show, 4, 5)
		wantStartOver(t, err, "Watch from version 4 of a forgotten show")
		w, missed, err := hub.Watch(t.Context(), show, 5, 5)
		if err != nil || len(missed) != 0 {
			t.Fatalf("Watch from a forgotten show's version = %d missed, %v", len(missed), err)
		}
		w.Close()
	})
}

// churn1 makes one more change to the show.
func churn1(t *testing.T, store boxoffice.Store) {
	t.Helper()
	if _, err := store.Book(context.Background(), show, []boxoffice.SeatID{"A2"}, "g", "", 0); err != nil {
		t.Fatal(err)
	}
}
