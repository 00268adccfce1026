package browsertest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// A browser opens at most six HTTP/1.1 connections to a host. A guest with
// eight tabs of one show must still load each, book in each and see every
// change live in all of them; and when the tab holding the shared event
// stream closes, another takes over.
func TestEightTabsOfOneGuest(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	url := s.mapURL("grand")
	// The guest's first tab stays blank: closing it would close the
	// browser context and all its tabs.
	first := newGuest(t)
	guest := newTabs(t, first, 8)
	for i, tab := range guest {
		// Eight pages holding a stream each would stall here, at the
		// seventh page load.
		openLive(t, tab, url)
		t.Logf("tab %d live, stream %s", i+1, eval[string](t, tab, `document.querySelector('main').dataset.stream`))
	}
	leaders := 0
	for _, tab := range guest {
		if eval[string](t, tab, `document.querySelector('main').dataset.stream`) == "leader" {
			leaders++
		}
	}
	if leaders != 1 {
		t.Errorf("%d tabs hold an event stream, want 1", leaders)
	}

	for i, tab := range guest {
		seat := fmt.Sprintf("K%d", i+5)
		at := click(t, tab, seat)
		waitStatus(t, tab, at, fmt.Sprintf("tab %d", i+1), seat, "mine")
		waitTrue(t, tab, fmt.Sprintf("tab %d says %s is yours", i+1, seat),
			fmt.Sprintf(`document.getElementById('msg').textContent === %q`, "Seat "+seat+" is yours."))
	}
	for i, tab := range guest {
		waitTrue(t, tab, fmt.Sprintf("tab %d shows all eight seats as the guest's", i+1),
			`document.querySelectorAll('#mine li').length === 8 && [...document.querySelectorAll('button[data-seat^="K"][data-status=mine]')].length === 8`)
	}

	other := newAPIGuest(t, s)
	at := time.Now()
	other.book("grand", "M3")
	for i, tab := range guest {
		waitStatus(t, tab, at, fmt.Sprintf("tab %d", i+1), "M3", "booked")
	}

	// Close the leader: a follower takes the stream over.
	var rest []context.Context
	for i, tab := range guest {
		if eval[string](t, tab, `document.querySelector('main').dataset.stream`) == "leader" {
			if err := chromedp.Cancel(tab); err != nil {
				t.Fatalf("closing tab %d: %v", i+1, err)
			}
			continue
		}
		rest = append(rest, tab)
	}
	at = time.Now()
	other.book("grand", "M4")
	for i, tab := range rest {
		waitStatus(t, tab, at, fmt.Sprintf("remaining tab %d", i+1), "M4", "booked")
	}
	screenshot(t, rest[0], "tabs-grand-desktop")
}
