package browsertest

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// With the keyboard alone a guest reaches the map in a few Tab presses,
// moves between seats with the arrow keys, books and releases with Enter
// and Space, and always sees where the focus is. The map is one tab stop,
// whatever the size of the hall.
func TestKeyboardOnly(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	g := newGuest(t)
	if _, err := chromedp.Call(g, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	openLive(t, g, s.mapURL("studio"))

	focused := func() string {
		t.Helper()
		return eval[string](t, g, `document.activeElement?.dataset?.seat || document.activeElement?.tagName || ''`)
	}
	press := func(key string, mods ...chromedp.Modifier) {
		t.Helper()
		if err := chromedp.Do(g, chromedp.KeyEvent(key, chromedp.KeyModifiers(mods...))); err != nil {
			t.Fatalf("pressing %q: %v", key, err)
		}
	}

	tabs := 0
	for focused() != "A1" {
		if tabs++; tabs > 5 {
			t.Fatalf("after 5 Tab presses the focus is on %q, not on the map's first free seat A1", focused())
		}
		press(kb.Tab)
	}
	t.Logf("the map is reached with %d Tab presses", tabs)
	assertFocusVisible(t, g)

	steps := []struct {
		key  string
		want string
	}{
		{kb.ArrowRight, "A2"}, {kb.ArrowRight, "A3"}, {kb.ArrowRight, "A4"}, {kb.ArrowRight, "A5"},
		{kb.ArrowRight, "A6"}, // across the aisle
		{kb.ArrowDown, "B6"}, {kb.ArrowDown, "C6"}, {kb.ArrowUp, "B6"},
		{kb.ArrowLeft, "B5"}, {kb.End, "B10"}, {kb.Home, "B1"}, {kb.ArrowRight, "B2"},
	}
	for _, st := range steps {
		press(st.key)
		if got := focused(); got != st.want {
			t.Fatalf("after %q the focus is on %q, want %s", st.key, got, st.want)
		}
	}
	assertFocusVisible(t, g)
	if n := eval[int](t, g, `[...document.querySelectorAll('button[data-seat]')].filter(b => b.tabIndex >= 0).length`); n != 1 {
		t.Errorf("%d seats are tab stops, want 1", n)
	}

	at := time.Now()
	press(kb.Enter)
	waitStatus(t, g, at, "the guest", "B2", "mine")
	waitTrue(t, g, "the page says B2 is booked", `document.getElementById('msg').textContent === 'Seat B2 is yours.'`)
	if got := focused(); got != "B2" {
		t.Errorf("after booking with Enter the focus is on %q, want B2", got)
	}
	assertFocusVisible(t, g)

	at = time.Now()
	press(" ")
	waitStatus(t, g, at, "the guest", "B2", "free")
	waitTrue(t, g, "the page says B2 is released", `document.getElementById('msg').textContent === 'Seat B2 released.'`)
	if got := focused(); got != "B2" {
		t.Errorf("after releasing with Space the focus is on %q, want B2", got)
	}

	// One Tab leaves the map; Shift+Tab comes back to the same seat.
	press(kb.Tab)
	if got := eval[bool](t, g, `!!document.activeElement?.dataset?.seat`); got {
		t.Errorf("Tab moved the focus to seat %s: the map should be one tab stop", focused())
	}
	press(kb.Tab, chromedp.ModifierShift)
	if got := focused(); got != "B2" {
		t.Errorf("Shift+Tab back into the map focuses %q, want B2", got)
	}
	at = time.Now()
	press(kb.Enter)
	waitStatus(t, g, at, "the guest", "B2", "mine")
	screenshot(t, g, "keyboard-studio-desktop")

	// The big hall is one tab stop too, and the arrows skip its aisles and
	// the cross aisle.
	open(t, g, s.mapURL("grand"))
	if n := eval[int](t, g, `[...document.querySelectorAll('button[data-seat]')].filter(b => b.tabIndex >= 0).length`); n != 1 {
		t.Errorf("grand hall: %d seats are tab stops, want 1", n)
	}
	if err := chromedp.Do(g, chromedp.Focus(chromedp.CSS(seatSel("H5")))); err != nil {
		t.Fatal(err)
	}
	for _, st := range []struct{ key, want string }{
		{kb.ArrowDown, "J3"}, {kb.ArrowUp, "H5"}, {kb.End, "H26"}, {kb.ArrowUp, "G26"}, {kb.ArrowLeft, "G25"},
	} {
		press(st.key)
		if got := focused(); got != st.want {
			t.Fatalf("grand hall: after %q the focus is on %q, want %s", st.key, got, st.want)
		}
	}
}

// assertFocusVisible checks that the focused element shows a clear outline.
func assertFocusVisible(t *testing.T, tab context.Context) {
	t.Helper()
	type focus struct {
		Visible bool    `json:"visible"`
		Style   string  `json:"style"`
		Width   float64 `json:"width"`
	}
	f := eval[focus](t, tab, `(() => {
		const e = document.activeElement, s = getComputedStyle(e);
		return { visible: e.matches(':focus-visible'), style: s.outlineStyle, width: parseFloat(s.outlineWidth) };
	})()`)
	if !f.Visible || f.Style == "none" || f.Width < 2 {
		t.Errorf("focus indicator = %+v, want a visible outline of 2px or more", f)
	}
}
