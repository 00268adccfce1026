package browsertest

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPictures takes the README's two pictures of the grand hall's map, with
// the guest's own seats and other guests' seats booked:
// seatmap-desktop.png and seatmap-phone.png. To refresh them:
//
//	BOXOFFICE_SCREENSHOTS=docs go test ./browsertest -run TestPictures
//
// It also checks what the pictures are for: the map shows the guest's seats
// as theirs and other guests' as taken.
func TestPictures(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	other := newAPIGuest(t, s)
	for _, seat := range []string{"A8", "A9", "B10", "B11", "B12", "C14", "D9", "D10", "E3", "E4", "F15", "F16",
		"F17", "G11", "H20", "H21", "J1", "J2", "K8", "K9", "L18", "L19", "L20", "N12", "N13", "P1", "P2", "P3"} {
		other.book("grand", seat)
	}
	g := newGuest(t)
	if err := chromedp.Do(g, chromedp.EmulateViewport(1100, 760)); err != nil {
		t.Fatal(err)
	}
	openLive(t, g, s.mapURL("grand"))
	for _, seat := range []string{"E14", "E15"} {
		waitStatus(t, g, click(t, g, seat), "the guest", seat, "mine")
	}
	waitTrue(t, g, "the message", `document.getElementById('msg').textContent === 'Seat E15 is yours.'`)
	for seat, want := range map[string]string{"E14": "mine", "E15": "mine", "F16": "booked", "J1": "booked", "E13": "free"} {
		if got := status(t, g, seat); got != want {
			t.Errorf("%s shows %q, want %q", seat, got, want)
		}
	}
	// Move the pointer away, so that no seat shows its hover look.
	if err := chromedp.Do(g, chromedp.MouseEvent("mouseMoved", 1, 1)); err != nil {
		t.Fatal(err)
	}
	screenshot(t, g, "seatmap-desktop")

	if err := chromedp.Do(g, chromedp.EmulateViewport(390, 844,
		chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait, chromedp.EmulateScale(1.5))); err != nil {
		t.Fatal(err)
	}
	openLive(t, g, s.mapURL("grand"))
	at := time.Now()
	if err := chromedp.Do(g, chromedp.Tap(chromedp.CSS(seatSel("E16")))); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, g, at, "the guest on a phone", "E16", "mine")
	waitTrue(t, g, "the message", `document.getElementById('msg').textContent === 'Seat E16 is yours.'`)
	viewport(t, g, "seatmap-phone")
}
