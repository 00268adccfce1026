package browsertest

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

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
// also with seats booked and with an error showing; and a screen reader
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

	// The same error from the form path, rendered by the server.
	open(t, g, s.mapURL("grand")+"?result=taken&seat=J1")
	axe(t, g, src, "grand map with a form error")
}

// seatNames checks what assistive technology is given: every seat button
// is named "Row X, seat N, …state", inside a group named "Row X".
func seatNames(t *testing.T, tab context.Context, hall string) {
	t.Helper()
	type seat struct {
		ID, Name, Status, Group string
	}
	seats := eval[[]seat](t, tab, `[...document.querySelectorAll('button[data-seat]')].map(b => ({
		ID: b.dataset.seat, Name: b.getAttribute('aria-label'), Status: b.dataset.status,
		Group: b.closest('[role=group]')?.getAttribute('aria-label') || ''}))`)
	if len(seats) == 0 {
		t.Fatalf("%s: no seats", hall)
	}
	name := regexp.MustCompile(`^Row ([A-Z]+), seat (\d+), (?:wheelchair space, |companion seat, )?(free|taken|yours)$`)
	words := map[string]string{"free": "free", "booked": "taken", "mine": "yours"}
	for _, s := range seats {
		m := name.FindStringSubmatch(s.Name)
		if m == nil || m[1]+m[2] != s.ID || m[3] != words[s.Status] || s.Group != "Row "+m[1] {
			t.Errorf("%s: seat %s (%s) is named %q in group %q", hall, s.ID, s.Status, s.Name, s.Group)
		}
	}
	if got := eval[string](t, tab, `document.querySelector('form.hall').getAttribute('aria-label')`); !strings.HasPrefix(got, "Seat map") {
		t.Errorf("%s: the map's form is named %q", hall, got)
	}
}
