package browsertest

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// phone makes the tab a 390×844 touch screen.
func phone(t *testing.T, tab context.Context) {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.EmulateViewport(390, 844,
		chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait, chromedp.EmulateScale(2))); err != nil {
		t.Fatalf("emulating a phone: %v", err)
	}
}

// On a phone the page fits the screen's width (only the map scrolls
// sideways, inside its own box), every seat is a target of at least 24×24
// CSS pixels, the text stays readable, and a tap books a seat.
func TestPhone(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	g := newGuest(t)
	phone(t, g)
	other := newAPIGuest(t, s)
	for _, seat := range []string{"C4", "C5", "F1"} {
		other.book("studio", seat)
	}
	for _, seat := range []string{"E12", "E13", "J1", "J2", "F3"} {
		other.book("grand", seat)
	}

	for _, c := range []struct{ hall, seat, next string }{{"studio", "D5", "D6"}, {"grand", "F14", "F15"}} {
		openLive(t, g, s.mapURL(c.hall))
		for _, seat := range []string{c.seat, c.next} {
			at := time.Now()
			if err := chromedp.Do(g, chromedp.Tap(chromedp.CSS(seatSel(seat)))); err != nil {
				t.Fatalf("%s: tapping %s: %v", c.hall, seat, err)
			}
			waitStatus(t, g, at, c.hall+" on a phone", seat, "mine")
		}
		type layout struct {
			PageWidth, ViewWidth, MapRight float64
			MapScrolls                     bool
			SmallestSeatW, SmallestSeatH   float64
			SmallestText, BodyText         float64
			SmallestTextOf                 string
		}
		l := eval[layout](t, g, `(() => {
			const map = document.querySelector('.map');
			const seats = [...document.querySelectorAll("button[data-seat]")].map(b => ({width: b.offsetWidth, height: b.offsetHeight})); // layout size: a tapped seat shrinks for a moment
			let smallest = Infinity, of = '';
			const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
			for (let n; (n = walk.nextNode());) {
				const e = n.parentElement;
				if (!n.textContent.trim() || !e.checkVisibility()) continue;
				const size = parseFloat(getComputedStyle(e).fontSize);
				if (size === 0) continue; // text hidden on purpose: the wheelchair symbol stands for it
				if (size < smallest) { smallest = size; of = e.tagName + ' ' + n.textContent.trim().slice(0, 20); }
			}
			return {
				PageWidth: document.documentElement.scrollWidth, ViewWidth: innerWidth,
				MapRight: map.getBoundingClientRect().right, MapScrolls: map.scrollWidth > map.clientWidth,
				SmallestSeatW: Math.min(...seats.map(r => r.width)), SmallestSeatH: Math.min(...seats.map(r => r.height)),
				SmallestText: smallest, SmallestTextOf: of,
				BodyText: parseFloat(getComputedStyle(document.body).fontSize),
			};
		})()`)
		t.Logf("%s on a phone: %+v", c.hall, l)
		if l.ViewWidth != 390 {
			t.Fatalf("%s: the viewport is %vpx wide, want 390: is the viewport meta tag there?", c.hall, l.ViewWidth)
		}
		if l.PageWidth > l.ViewWidth || l.MapRight > l.ViewWidth {
			t.Errorf("%s: the page is %vpx wide and the map ends at %vpx on a %vpx screen", c.hall, l.PageWidth, l.MapRight, l.ViewWidth)
		}
		if l.SmallestSeatW < 24 || l.SmallestSeatH < 24 {
			t.Errorf("%s: the smallest seat is %v×%v CSS px, want at least 24×24", c.hall, l.SmallestSeatW, l.SmallestSeatH)
		}
		if l.BodyText < 16 || l.SmallestText < 12 {
			t.Errorf("%s: body text %vpx, smallest text %vpx (%s); want 16 and at least 12", c.hall, l.BodyText, l.SmallestText, l.SmallestTextOf)
		}
		if c.hall == "studio" && l.MapScrolls {
			t.Errorf("studio: the map scrolls sideways on a phone; a hall of 11 places should fit")
		}
		screenshot(t, g, "phone-"+c.hall)
	}
}
