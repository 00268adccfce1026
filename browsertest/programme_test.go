package browsertest

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"boxoffice"
	"boxoffice/demo"
	"boxoffice/live"
	"boxoffice/sqlite"
	"boxoffice/web"
)

// programmeSite is the handler on the demo programme, with its store at
// hand so that a test can change the programme as the operator would; it
// is served through a streamCounter.
type programmeSite struct {
	store   boxoffice.Store
	counter *streamCounter
	show    boxoffice.Show // an open show
}

func startProgrammeSite(t *testing.T) *programmeSite {
	t.Helper()
	var hub *live.Hub
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "boxoffice.db"), sqlite.Options{
		OnCommit: func(show boxoffice.ShowID, v int64) { hub.Committed(show, v) },
	})
	if err != nil {
		t.Fatal(err)
	}
	p, err := demo.Programme(time.Now(), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Seed(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	hub = live.NewHub(store, live.Options{Complete: true})
	h, err := web.NewHandler(web.Config{Store: store, Hub: hub, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
		h.Close()
		hub.Close()
		store.Close()
	})
	i := slices.IndexFunc(p.Shows, func(s boxoffice.Show) bool { return s.Hall.ID == "studio" })
	return &programmeSite{store: store, counter: newStreamCounter(t, srv.URL), show: p.Shows[i]}
}

// A guest's open map follows the programme: a new title appears without a
// reload; a cancellation makes the page say so, and it stops reconnecting.
func TestProgrammeChangesReachTheOpenMap(t *testing.T) {
	t.Parallel()
	s := startProgrammeSite(t)
	g := newGuest(t)
	openLive(t, g, s.counter.url+"/shows/"+string(s.show.ID))
	eval[bool](t, g, `window.notReloaded = true`)

	show := s.show
	show.Title = "The Director's Cut"
	start := time.Now()
	if _, err := s.store.ApplyProgramme(t.Context(), boxoffice.Programme{Shows: []boxoffice.Show{show}}, false); err != nil {
		t.Fatal(err)
	}
	took := waitTrue(t, g, "the new title appears", `document.querySelector('h1').textContent === "The Director's Cut"`)
	t.Logf("the new title appeared %v after the change (%v measured in the page)", time.Since(start), took)
	if !eval[bool](t, g, `window.notReloaded === true && document.title.startsWith("The Director's Cut, ")`) {
		t.Error("the page reloaded, or its document title kept the old name")
	}

	if _, err := s.store.CancelShow(t.Context(), show.ID, true); err != nil {
		t.Fatal(err)
	}
	waitTrue(t, g, "the page says the show was cancelled",
		`document.getElementById('msg').textContent === 'This show has been cancelled.'`)
	if !eval[bool](t, g, `[...document.querySelectorAll('button[data-seat]')].every((b) => b.disabled)`) {
		t.Error("seats of the cancelled show can still be clicked")
	}
	gets, heads := s.counter.gets.Load(), s.counter.heads.Load()
	// Nothing signals a reconnection that does not happen: wait beyond the
	// stream's retry delay (2 s) and the script's first backoff (1 s).
	time.Sleep(4 * time.Second)
	if g2, h2 := s.counter.gets.Load(), s.counter.heads.Load(); g2 != gets || h2 != heads {
		t.Errorf("after the cancellation the page asked for its stream again: %d GET and %d HEAD more", g2-gets, h2-heads)
	}
	if got := eval[string](t, g, `document.getElementById('msg').textContent`); got != "This show has been cancelled." {
		t.Errorf("the message then reads %q", got)
	}
	screenshot(t, g, "programme-cancelled-studio-desktop")
}
