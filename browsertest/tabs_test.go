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

// A tab hidden for a while gives its event stream up, so that tabs of many
// shows do not hold every connection: a visible tab of the same show takes
// over, and a tab shown again catches up on what it missed.
func TestHiddenTabsGiveTheirStreamUp(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	url := s.mapURL("grand")
	tabs := newTabs(t, newGuest(t), 2)
	for _, tab := range tabs {
		openLive(t, tab, url)
	}
	stream := `document.querySelector('main').dataset.stream`
	if got := eval[string](t, tabs[0], stream) + " " + eval[string](t, tabs[1], stream); got != "leader follower" {
		t.Fatalf("the tabs' streams are %q, want leader follower", got)
	}
	// Headless tabs are all visible; the page is told otherwise the way a
	// browser tells it.
	show := func(tab context.Context, state string) {
		t.Helper()
		eval[chromedp.Void](t, tab, `(() => {
			Object.defineProperty(document, 'visibilityState', {configurable: true, get: () => '`+state+`'});
			document.dispatchEvent(new Event('visibilitychange'));
		})()`)
	}
	other := newAPIGuest(t, s)

	show(tabs[0], "hidden")
	d := waitFor(t, tabs[1], 3*liveBound, "the visible tab takes the stream over", stream+` === 'leader'`)
	t.Logf("the hidden tab handed its stream over after %v", d.Round(time.Millisecond))
	if got := eval[string](t, tabs[0], stream); got != "idle" {
		t.Errorf("the hidden tab's stream is %q, want idle", got)
	}
	at := time.Now()
	other.book("grand", "C7")
	waitStatus(t, tabs[1], at, "the visible tab", "C7", "booked")

	// Both hidden: no stream at all; shown again, each catches up.
	show(tabs[1], "hidden")
	waitFor(t, tabs[1], 3*liveBound, "the second hidden tab lets go", stream+` === 'idle'`)
	other.book("grand", "C8")
	other.release("grand", "C7")
	at = time.Now()
	show(tabs[1], "visible")
	waitStatus(t, tabs[1], at, "the tab shown again", "C8", "booked")
	waitStatus(t, tabs[1], at, "the tab shown again", "C7", "free")
	if got := eval[string](t, tabs[1], stream); got != "leader" {
		t.Errorf("the tab shown first is %q, want leader", got)
	}
	show(tabs[0], "visible")
	waitStatus(t, tabs[0], at, "the other tab shown again", "C8", "booked")
	waitStatus(t, tabs[0], at, "the other tab shown again", "C7", "free")
	at = time.Now()
	other.book("grand", "C9")
	waitStatus(t, tabs[0], at, "the follower", "C9", "booked")
	screenshot(t, tabs[0], "hidden-tabs-grand-desktop")
}
