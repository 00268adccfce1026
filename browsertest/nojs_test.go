package browsertest

import (
	"context"
	"net/url"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// With scripts off, the seat buttons post the form: booking and releasing
// work, each answered 303 back to the map, and a refused click says which
// seat and why.
func TestWithoutJavaScript(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	g := newGuest(t)
	if _, err := chromedp.Call(g, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	open(t, g, s.mapURL("studio"))
	if got := attr(t, g, "#live", "hidden"); !got.Exists {
		t.Fatal("the live indicator shows: scripts still run")
	}

	post := func(seat, wantResult, wantStatus, wantMsg string) {
		t.Helper()
		u := formPost(t, g, seat)
		if q := u.Query(); q.Get("result") != wantResult || q.Get("seat") != seat {
			t.Errorf("clicking %s redirected to %s, want result=%s&seat=%s", seat, u, wantResult, seat)
		}
		if got := attr(t, g, seatSel(seat), "data-status").Value; got != wantStatus {
			t.Errorf("after clicking %s the map shows it %q, want %q", seat, got, wantStatus)
		}
		if got := message(t, g); got != wantMsg {
			t.Errorf("after clicking %s the message is %q, want %q", seat, got, wantMsg)
		}
	}
	post("D4", "booked", "mine", "Seat D4 is yours.")
	if got := attr(t, g, seatSel("D4"), "aria-label").Value; got != "Row D, seat 4, yours" {
		t.Errorf("D4's name = %q", got)
	}
	post("D4", "released", "free", "Seat D4 released.")
	post("D5", "booked", "mine", "Seat D5 is yours.")

	// Another guest takes E5 while this page still shows it free.
	newAPIGuest(t, s).book("studio", "E5")
	if got := attr(t, g, seatSel("E5"), "data-status").Value; got != "free" {
		t.Fatalf("the page without scripts changed by itself: E5 is %q", got)
	}
	post("E5", "taken", "booked", "Seat E5 is taken.")
	screenshot(t, g, "nojs-studio-desktop")
}

// formPost clicks a seat button, which submits the map's form, and returns
// the address of the 303 redirect it was answered with.
func formPost(t *testing.T, tab context.Context, seat string) *url.URL {
	t.Helper()
	ctx, cancel := context.WithTimeout(tab, liveBound)
	defer cancel()
	requests := chromedp.Events(ctx, network.RequestWillBeSent)
	res, err := chromedp.RunResponse(tab, chromedp.Click(chromedp.CSS(seatSel(seat))))
	if err != nil {
		t.Fatalf("posting %s: %v", seat, err)
	}
	if res.Status != 200 {
		t.Fatalf("posting %s ends on %s with %d", seat, res.URL, res.Status)
	}
	for ev, err := range requests {
		if err != nil {
			t.Fatalf("posting %s: no redirect seen: %v", seat, err)
		}
		if r := ev.RedirectResponse; r != nil {
			if r.Status != 303 {
				t.Errorf("posting %s was answered %d, want 303", seat, r.Status)
			}
			break
		}
	}
	u, err := url.Parse(res.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// attr reads an attribute of the first element a CSS selector finds,
// through the DOM rather than page script.
func attr(t *testing.T, tab context.Context, sel, name string) chromedp.AttributeResult {
	t.Helper()
	v, err := chromedp.Run(tab, chromedp.AttributeValue(chromedp.CSS(sel), name))
	if err != nil {
		t.Fatalf("reading %s of %s: %v", name, sel, err)
	}
	return v
}
