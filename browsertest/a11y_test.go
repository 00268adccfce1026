package browsertest

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/accessibility"
	"github.com/chromedp/chromedp"
)

// needAxe returns the source of axe-core (BOXOFFICE_AXE_JS names axe.min.js).
func needAxe(t *testing.T) string {
	t.Helper()
	path := os.Getenv("BOXOFFICE_AXE_JS")
	if path == "" {
		missing(t, "axe-core not found: npm install axe-core@4.14.1 and set BOXOFFICE_AXE_JS to its axe.min.js")
	}
	src, err := os.ReadFile(path)
	if err != nil {
		missing(t, "axe-core not readable: "+err.Error())
	}
	return string(src)
}

type axeViolation struct {
	ID     string   `json:"id"`
	Impact string   `json:"impact"`
	Help   string   `json:"help"`
	Nodes  []string `json:"nodes"`
}

// axe runs axe-core's WCAG 2.0, 2.1 and 2.2 A and AA rules on the tab's page
// and fails the test for each violation. The page's CSP forbids injected
// script tags, so the source goes in through the DevTools protocol.
func axe(t *testing.T, tab context.Context, src, what string) {
	t.Helper()
	if _, err := chromedp.Run(tab, chromedp.Evaluate[chromedp.Void](src)); err != nil {
		t.Fatalf("loading axe-core: %v", err)
	}
	type result struct {
		Violations []axeViolation `json:"violations"`
		Passes     int            `json:"passes"`
	}
	r, err := chromedp.Run(tab, chromedp.Evaluate[result](`axe.run(document, {
		runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']},
	}).then(r => ({passes: r.passes.length, violations: r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
		nodes: v.nodes.slice(0, 5).map(n => n.target.join(' '))}))}))`, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("running axe-core: %v", err)
	}
	if r.Passes < 5 {
		t.Errorf("%s: axe-core passed only %d rules: did it check the page?", what, r.Passes)
	}
	for _, v := range r.Violations {
		t.Errorf("%s: axe %s (%s): %s, on %s", what, v.ID, v.Impact, v.Help, strings.Join(v.Nodes, ", "))
	}
	t.Logf("%s: %d axe rules passed, %d violated", what, r.Passes, len(r.Violations))
}

// The programme and both halls' maps pass axe-core's WCAG A and AA rules,
// also with seats booked, with an error showing and on a phone; and a screen reader
// hears each seat's row, number and state, in rows that are labelled.
func TestAccessibility(t *testing.T) {
	t.Parallel()
	src := needAxe(t)
	s := startSite(t)
	g := newGuest(t)
	other := newAPIGuest(t, s)
	other.book("studio", "C3")
	other.book("grand", "J1")

	open(t, g, s.url+"/")
	axe(t, g, src, "the programme")

	for _, hall := range []string{"studio", "grand"} {
		openLive(t, g, s.mapURL(hall))
		axe(t, g, src, hall+" map")
		seatNames(t, g, hall)
	}

	openLive(t, g, s.mapURL("studio"))
	click(t, g, "C4")
	waitTrue(t, g, "C4 booked", `document.getElementById('msg').textContent === 'Seat C4 is yours.'`)
	axe(t, g, src, "studio map with a seat booked")
	click(t, g, "C3")
	waitTrue(t, g, "an error about C3", `document.querySelector('#msg.error')?.textContent.includes('C3')`)
	axe(t, g, src, "studio map with an error")
	if got := eval[string](t, g, `document.querySelector('button[data-seat=C4]').getAttribute('aria-label')`); got != "Row C, seat 4, yours" {
		t.Errorf("after booking, C4's name = %q", got)
	}
	screenshot(t, g, "a11y-studio-desktop")

	// An error from the form path, rendered by the server.
	open(t, g, s.mapURL("grand")+"?result=too-many-requests&retry=5")
	waitTrue(t, g, "the form error shows", `document.querySelector('#msg.error') !== null`)
	axe(t, g, src, "grand map with a form error")

	// On a phone, with the cues that the map scrolls sideways showing.
	phone(t, g)
	openLive(t, g, s.mapURL("grand"))
	waitCues(t, g, "the grand map on a phone", true, true, true)
	axe(t, g, src, "grand map on a phone")
}

// seatNames checks what assistive technology is given, in Chromium's own
// accessibility tree: every seat is a button named "Row X, seat N, …state",
// inside a group named "Row X", inside a form named "Seat map, <hall>".
func seatNames(t *testing.T, tab context.Context, hall string) {
	t.Helper()
	tree, err := chromedp.Call(tab, accessibility.GetFullAXTree, accessibility.GetFullAXTreeParams{})
	if err != nil {
		t.Fatalf("reading the accessibility tree: %v", err)
	}
	str := func(v *accessibility.Value) string {
		var s string
		if v != nil {
			_ = json.Unmarshal(v.Value, &s)
		}
		return s
	}
	byID := map[accessibility.NodeID]*accessibility.Node{}
	for _, n := range tree.Nodes {
		byID[n.NodeID] = n
	}
	// ancestor is the nearest ancestor with the role, skipping ignored nodes.
	ancestor := func(n *accessibility.Node, role string) *accessibility.Node {
		for p := byID[n.ParentID]; p != nil; p = byID[p.ParentID] {
			if !p.Ignored && str(p.Role) == role {
				return p
			}
		}
		return nil
	}
	domSeats := eval[int](t, tab, `document.querySelectorAll('button[data-seat]').length`)
	name := regexp.MustCompile(`^Row ([A-Z]+), seat (\d+), (?:wheelchair space, |companion seat, )?(free|taken|yours)$`)
	seats := 0
	for _, n := range tree.Nodes {
		if n.Ignored || str(n.Role) != "button" {
			continue
		}
		heard := str(n.Name)
		m := name.FindStringSubmatch(heard)
		if m == nil {
			continue
		}
		seats++
		if g := ancestor(n, "group"); g == nil || str(g.Name) != "Row "+m[1] {
			t.Errorf("%s: seat %q is not inside a group named Row %s", hall, heard, m[1])
		}
		if f := ancestor(n, "form"); f == nil || !strings.HasPrefix(str(f.Name), "Seat map, ") {
			t.Errorf("%s: seat %q is not inside a form named Seat map", hall, heard)
		}
	}
	if seats != domSeats {
		t.Errorf("%s: %d of %d seats are buttons named with row, number and state", hall, seats, domSeats)
	}
}
