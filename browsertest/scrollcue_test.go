package browsertest

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// cueState is what a guest sees of the map's sideways scrolling: the
// opacity of the shadow on its start (left) and end (right) edge, and
// whether the "swipe sideways" hint shows.
type cueState struct {
	Overflows  bool
	ScrollLeft float64
	MaxScroll  float64
	Start, End float64 // opacity of the edge shadows, 0 to 1
	Hint       bool
}

const cueJS = `(() => {
	const map = document.querySelector('.map'), view = document.querySelector('.view');
	const hint = document.querySelector('.swipe');
	return {
		Overflows: map.scrollWidth > map.clientWidth,
		ScrollLeft: map.scrollLeft, MaxScroll: map.scrollWidth - map.clientWidth,
		Start: parseFloat(getComputedStyle(view, '::before').opacity),
		End: parseFloat(getComputedStyle(view, '::after').opacity),
		Hint: hint.checkVisibility({opacityProperty: true, visibilityProperty: true}) && hint.offsetHeight > 0,
	};
})()`

func cues(t *testing.T, tab context.Context) cueState {
	t.Helper()
	return eval[cueState](t, tab, cueJS)
}

// waitCues waits until the cues read as wanted: a shadow shows when its
// opacity is above 0.9 and is gone at 0. Scroll-driven styles follow the
// scroll position on the next frame, hence the wait. It polls from here, not
// in the page (chromedp.Poll), because a page with scripts off runs no timers.
func waitCues(t *testing.T, tab context.Context, what string, start, end, hint bool) {
	t.Helper()
	shows := func(on bool, opacity float64) bool {
		if on {
			return opacity > 0.9
		}
		return opacity == 0
	}
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(liveBound)
	for {
		c := cues(t, tab)
		if shows(start, c.Start) && shows(end, c.End) && c.Hint == hint {
			return
		}
		select {
		case <-tick.C:
		case <-deadline:
			t.Fatalf("%s: want shadow on the left %t, on the right %t, hint %t; within %v the page shows %+v",
				what, start, end, hint, liveBound, c)
		}
	}
}

// scrollMap scrolls the map sideways to x CSS pixels (clamped to its ends).
func scrollMap(t *testing.T, tab context.Context, x string) {
	t.Helper()
	eval[any](t, tab, `(() => { const m = document.querySelector('.map'); m.scrollLeft = `+x+`; })()`)
}

// On a phone the grand hall's map is wider than the screen and scrolls
// sideways in its own box. The guest is told so: a shadow falls on each edge
// that has seats beyond it, gone from the edge scrolled to its end, and a
// hint above the map says to swipe sideways. Where the map fits (the studio
// on a phone, the grand hall on a desktop) neither shows. With scripts off,
// in a browser without scroll-driven animations, with reduced motion asked
// for, and in forced colours, the cues work all the same.
func TestScrollCues(t *testing.T) {
	t.Parallel()
	s := startSite(t)

	// The script starts a wide map at its middle: seats on both sides.
	phoneCues := func(t *testing.T, g context.Context, fallback bool) {
		t.Helper()
		phone(t, g)
		openLive(t, g, s.mapURL("grand"))
		if got := eval[bool](t, g, `document.querySelector('form.hall').classList.contains('cues')`); got != fallback {
			t.Fatalf("the script sets the cues' classes: %t, want %t", got, fallback)
		}
		if c := cues(t, g); !c.Overflows || c.ScrollLeft == 0 {
			t.Fatalf("the grand hall on a phone: %+v, want a map that overflows, scrolled to its middle", c)
		}
		waitCues(t, g, "scrolled to the middle", true, true, true)
		viewport(t, g, "cues-phone-middle")
		scrollMap(t, g, "0")
		waitCues(t, g, "scrolled to the far left", false, true, true)
		viewport(t, g, "cues-phone-left")
		// The shadow lies over the seats at the edge, and a tap there
		// still reaches the seat under it.
		if got := eval[string](t, g, `(() => {
			const r = getComputedStyle(document.querySelector('.view'), '::after'), v = document.querySelector('.view').getBoundingClientRect();
			const seat = document.querySelector('button[data-seat="E1"]').getBoundingClientRect();
			const e = document.elementFromPoint(v.right - parseFloat(r.right) - parseFloat(r.width) / 2, seat.top + seat.height / 2);
			return e?.dataset?.seat || e?.className || '';
		})()`); got == "" || got == "view" {
			t.Errorf("a tap on the shadow at the right edge reaches %q, want the seat under it", got)
		}
		scrollMap(t, g, "m.scrollWidth")
		waitCues(t, g, "scrolled to the far right", true, false, true)
		viewport(t, g, "cues-phone-right")

		openLive(t, g, s.mapURL("studio"))
		if c := cues(t, g); c.Overflows {
			t.Fatalf("the studio scrolls sideways on a phone: %+v", c)
		}
		waitCues(t, g, "the studio, which fits a phone", false, false, false)
	}
	t.Run("phone", func(t *testing.T) { phoneCues(t, newGuest(t), false) })

	// A browser without scroll-driven animations (Firefox; Safari before
	// 26) gets the same cues from classes the script sets.
	t.Run("phone without scroll-driven animations", func(t *testing.T) {
		g := newGuest(t)
		if _, err := chromedp.Call(g, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `{
			const supports = CSS.supports;
			CSS.supports = (...a) => !a.join(':').includes('animation-timeline') && supports.apply(CSS, a);
		}`}); err != nil {
			t.Fatal(err)
		}
		phoneCues(t, g, true)
	})

	t.Run("phone without JavaScript", func(t *testing.T) {
		g := newGuest(t)
		phone(t, g)
		if _, err := chromedp.Call(g, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			t.Fatal(err)
		}
		open(t, g, s.mapURL("grand"))
		if c := cues(t, g); c.ScrollLeft != 0 {
			t.Fatalf("without scripts the map starts scrolled: %+v", c)
		}
		waitCues(t, g, "at first", false, true, true)
		scrollMap(t, g, "m.scrollWidth")
		waitCues(t, g, "scrolled to the far right", true, false, true)
	})

	t.Run("phone with reduced motion", func(t *testing.T) {
		g := newGuest(t)
		phone(t, g)
		if _, err := chromedp.Call(g, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{
			{Name: "prefers-reduced-motion", Value: "reduce"},
		}}); err != nil {
			t.Fatal(err)
		}
		openLive(t, g, s.mapURL("grand"))
		if !eval[bool](t, g, `matchMedia('(prefers-reduced-motion: reduce)').matches`) {
			t.Fatal("reduced motion is not emulated")
		}
		scrollMap(t, g, "0")
		waitCues(t, g, "scrolled to the far left", false, true, true)
		scrollMap(t, g, "m.scrollWidth")
		waitCues(t, g, "scrolled to the far right", true, false, true)
	})

	// In forced colours (Windows high contrast) the browser drops the
	// shadows' gradients; the cues become solid bars in the text colour.
	t.Run("phone in forced colors", func(t *testing.T) {
		g := newGuest(t)
		phone(t, g)
		if _, err := chromedp.Call(g, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{
			{Name: "forced-colors", Value: "active"},
		}}); err != nil {
			t.Fatal(err)
		}
		openLive(t, g, s.mapURL("grand"))
		scrollMap(t, g, "0")
		waitCues(t, g, "scrolled to the far left", false, true, true)
		type colours struct{ Cue, Text, Wheelchair, ButtonText string }
		c := eval[colours](t, g, `(() => {
			const system = (name) => {
				const probe = document.body.appendChild(document.createElement('span'));
				probe.style.color = name;
				const c = getComputedStyle(probe).color;
				probe.remove();
				return c;
			};
			return {
				Cue: getComputedStyle(document.querySelector('.view'), '::after').backgroundColor, Text: system('CanvasText'),
				Wheelchair: getComputedStyle(document.querySelector('button.w'), '::before').backgroundColor, ButtonText: system('ButtonText'),
			};
		})()`)
		if c.Cue != c.Text {
			t.Errorf("in forced colours the cue is %s, want the text colour %s", c.Cue, c.Text)
		}
		// Not a scroll cue, but as easily lost: the wheelchair symbol.
		if c.Wheelchair != c.ButtonText {
			t.Errorf("in forced colours the wheelchair symbol is %s, want the button text colour %s", c.Wheelchair, c.ButtonText)
		}
		viewport(t, g, "cues-phone-forced-colors")
	})

	t.Run("desktop", func(t *testing.T) {
		g := newGuest(t)
		if err := chromedp.Do(g, chromedp.EmulateViewport(1280, 900)); err != nil {
			t.Fatal(err)
		}
		for _, hall := range []string{"grand", "studio"} {
			openLive(t, g, s.mapURL(hall))
			if c := cues(t, g); c.Overflows {
				t.Fatalf("%s on a desktop scrolls sideways: %+v", hall, c)
			}
			waitCues(t, g, hall+" on a desktop", false, false, false)
		}
	})
}

// On a phone, moving the focus with the keyboard to a seat beyond the edge
// of the map scrolls the map so that the seat shows whole, clear of the row
// labels that stick to both edges.
func TestKeyboardScrollsMap(t *testing.T) {
	t.Parallel()
	s := startSite(t)
	g := newGuest(t)
	phone(t, g)
	openLive(t, g, s.mapURL("grand"))
	if err := chromedp.Do(g, chromedp.Focus(chromedp.CSS(seatSel("H5")))); err != nil {
		t.Fatal(err)
	}
	scrollMap(t, g, "0")
	type place struct {
		Seat                  string
		Left, Right           float64 // the focused seat's edges
		ViewLeft, ViewRight   float64 // the part of the map between the row labels
		ScrollLeft, MaxScroll float64
	}
	where := func() place {
		t.Helper()
		return eval[place](t, g, `(() => {
			const b = document.activeElement, r = b.getBoundingClientRect(), row = b.closest('.row');
			const labels = row.querySelectorAll('.rl'), m = document.querySelector('.map');
			return {
				Seat: b.dataset.seat || '', Left: r.left, Right: r.right,
				ViewLeft: labels[0].getBoundingClientRect().right, ViewRight: labels[labels.length - 1].getBoundingClientRect().left,
				ScrollLeft: m.scrollLeft, MaxScroll: m.scrollWidth - m.clientWidth,
			};
		})()`)
	}
	inView := func(p place) bool { return p.Left >= p.ViewLeft && p.Right <= p.ViewRight }
	if p := where(); p.Seat != "H5" || p.ScrollLeft != 0 {
		t.Fatalf("before: %+v, want H5 focused and the map at its left end", p)
	}
	for _, st := range []struct{ key, name, want string }{
		{kb.End, "End", "H26"}, {kb.Home, "Home", "H1"}, {kb.End, "End", "H26"}, {kb.ArrowLeft, "ArrowLeft", "H25"},
	} {
		if err := chromedp.Do(g, chromedp.KeyEvent(st.key)); err != nil {
			t.Fatal(err)
		}
		p := where()
		if p.Seat != st.want {
			t.Fatalf("after %s the focus is on %q, want %s", st.name, p.Seat, st.want)
		}
		if !inView(p) {
			t.Errorf("after %s the focused seat %s spans %.0f–%.0fpx, outside the map's view %.0f–%.0fpx (%+v)",
				st.name, p.Seat, p.Left, p.Right, p.ViewLeft, p.ViewRight, p)
		}
	}
	viewport(t, g, "keyboard-grand-phone")

	// Tab out of the map, scroll it away from the seat, Shift+Tab back in:
	// the browser scrolls the focused seat into view.
	if err := chromedp.Do(g, chromedp.KeyEvent(kb.Tab)); err != nil {
		t.Fatal(err)
	}
	if eval[bool](t, g, `!!document.activeElement?.dataset?.seat`) {
		t.Fatal("Tab did not leave the map")
	}
	scrollMap(t, g, "0")
	if err := chromedp.Do(g, chromedp.KeyEvent(kb.Tab, chromedp.KeyModifiers(chromedp.ModifierShift))); err != nil {
		t.Fatal(err)
	}
	if p := where(); p.Seat != "H25" || !inView(p) {
		t.Errorf("back in the map with Shift+Tab: %+v, want H25 focused and in view", p)
	}
}
