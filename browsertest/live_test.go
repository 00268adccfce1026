package browsertest

import (
	"strings"
	"testing"
)

// Two guests look at one show: what one does, the other sees without a
// reload, and a refused click says which seat and changes nothing.
func TestTwoGuestsSeeEachOtherLive(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	a, b := newGuest(t), newGuest(t)
	url := s.mapURL("studio")
	openLive(t, a, url)
	openLive(t, b, url)
	// A marker in B's page: it survives only if the page never reloads.
	eval[bool](t, b, `window.notReloaded = true`)

	at := click(t, a, "C5")
	waitStatus(t, a, at, "A", "C5", "mine")
	waitStatus(t, b, at, "B", "C5", "booked")

	click(t, b, "C5")
	waitTrue(t, b, "B is told C5 is taken", `document.getElementById('msg').textContent.includes('C5')`)
	if got := message(t, b); !strings.Contains(got, "C5") || !strings.Contains(got, "taken") {
		t.Errorf("B's message = %q, want it to say C5 is taken", got)
	}
	if got := eval[string](t, b, `document.getElementById('msg').getAttribute('role')`); got != "status" {
		t.Errorf("the message is not in a live region: role=%q", got)
	}
	if got := status(t, b, "C5"); got != "booked" {
		t.Errorf("after B's refused click, B sees C5 %q, want booked", got)
	}
	if got := status(t, a, "C5"); got != "mine" {
		t.Errorf("after B's refused click, A sees C5 %q, want mine", got)
	}

	// A's second tab: same guest, so the seat is A's there too.
	a2 := newTab(t, a)
	openLive(t, a2, url)
	if got := status(t, a2, "C5"); got != "mine" {
		t.Errorf("A's second tab shows C5 %q, want mine", got)
	}

	at = click(t, a, "C5")
	waitStatus(t, a, at, "A", "C5", "free")
	waitStatus(t, b, at, "B", "C5", "free")
	waitStatus(t, a2, at, "A's second tab", "C5", "free")

	at = click(t, a, "D6")
	waitStatus(t, b, at, "B", "D6", "booked")
	at = click(t, b, "B2")
	waitStatus(t, a, at, "A", "B2", "booked")
	waitStatus(t, a2, at, "A's second tab", "B2", "booked")
	if !eval[bool](t, b, `window.notReloaded === true`) {
		t.Error("B's page reloaded")
	}
	screenshot(t, a, "live-a-studio-desktop")
	screenshot(t, b, "live-b-studio-desktop")
}
