package browsertest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"boxoffice/server"
)

const adminToken = "browsertest-admin-token-0123456789abcdef"

// startAdminSite is startSite with the admin pages on.
func startAdminSite(t *testing.T) *site {
	t.Helper()
	return startSiteWith(t, func(c *server.Config) {
		c.AdminToken = adminToken
	})
}

func press(t *testing.T, tab context.Context, key string) {
	t.Helper()
	if err := chromedp.Do(tab, chromedp.KeyEvent(key)); err != nil {
		t.Fatalf("pressing %q: %v", key, err)
	}
}

func focusedID(t *testing.T, tab context.Context) string {
	t.Helper()
	return eval[string](t, tab, `document.activeElement?.id || document.activeElement?.tagName || ''`)
}

// signIn signs the operator in with the keyboard alone: Tab to the token
// field, type it, Enter.
func signIn(t *testing.T, tab context.Context, s *site) {
	t.Helper()
	if _, err := chromedp.Call(tab, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	open(t, tab, s.url+"/admin")
	for tabs := 0; focusedID(t, tab) != "token"; tabs++ {
		if tabs > 4 {
			t.Fatalf("after 4 Tab presses the focus is on %q, not the token field", focusedID(t, tab))
		}
		press(t, tab, kb.Tab)
	}
	press(t, tab, adminToken)
	press(t, tab, kb.Enter)
	waitPage(t, tab, "the programme after signing in", `document.querySelector('h1')?.textContent === 'Programme'`)
}

// waitPage waits for a condition on the page that a form submission loads:
// while the browser navigates, evaluating fails, which is not yet an answer.
func waitPage(t *testing.T, tab context.Context, what, cond string) {
	t.Helper()
	deadline := time.Now().Add(liveBound)
	for {
		ok, err := chromedp.Run(tab, chromedp.Evaluate[bool](cond))
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v (last error: %v)", what, liveBound, err)
		}
		time.Sleep(20 * time.Millisecond) // polling a page that is being replaced: no event says when it is there
	}
}

// reachesEveryControl tabs through the page and checks that every link,
// field and enabled button is reached. A date field takes a Tab press per
// part (day, month, year, hour, minute), so the presses are not counted
// against the controls: Tab goes on until all are reached or it has gone
// round the page.
func reachesEveryControl(t *testing.T, tab context.Context, what string) {
	t.Helper()
	controls := `[...document.querySelectorAll('a[href], input, select, button:not([disabled]), [tabindex="0"]')]`
	missing := controls + `.filter(e => e.dataset.reached !== 'y').map(e => e.id || e.name || e.textContent.trim())`
	n := eval[int](t, tab, controls+`.length`)
	for range 3*n + 10 {
		press(t, tab, kb.Tab)
		if eval[int](t, tab, `(document.activeElement.dataset.reached = 'y', `+missing+`.length)`) == 0 {
			return
		}
	}
	t.Errorf("%s: Tab never reaches %q", what, eval[[]string](t, tab, missing))
}

// The operator signs in, adds a show, and guests find it on the programme;
// the admin pages pass axe-core and every control is reached by keyboard.
func TestAdminAddShow(t *testing.T) {
	t.Parallel()
	src := needAxe(t)
	s := startAdminSite(t)
	op := newGuest(t)
	open(t, op, s.url+"/admin")
	axe(t, op, src, "the sign-in form")
	signIn(t, op, s)
	axe(t, op, src, "the admin programme")
	screenshot(t, op, "admin-programme")
	reachesEveryControl(t, op, "the admin programme")

	open(t, op, s.url+"/admin/shows/new")
	axe(t, op, src, "the new show form")
	starts := time.Now().UTC().Add(72 * time.Hour).Format("2006-01-02T15:04")
	if err := chromedp.Do(op,
		chromedp.SendKeys(chromedp.CSS("#id"), "metropolis"),
		chromedp.SendKeys(chromedp.CSS("#title"), "Metropolis"),
		chromedp.SetValue(chromedp.CSS("#hall"), "grand"),
		chromedp.SetValue(chromedp.CSS("#starts_at"), starts),
		chromedp.Click(chromedp.CSS(`.show-form button[type=submit]`)),
	); err != nil {
		t.Fatalf("filling the form: %v", err)
	}
	waitPage(t, op, "the new show's page", `location.pathname === '/admin/shows/metropolis' && document.getElementById('msg').textContent === 'The show was added.'`)
	axe(t, op, src, "a show's admin page without bookings")

	open(t, op, s.url+"/admin/halls")
	axe(t, op, src, "the halls")
	if n := eval[int](t, op, `document.querySelectorAll('.preview .seats button[data-seat]').length`); n < 100 {
		t.Errorf("the halls page draws %d seats", n)
	}

	g := newGuest(t)
	open(t, g, s.url+"/")
	if !eval[bool](t, g, `!!document.querySelector('a[href="/shows/metropolis"]')`) {
		t.Errorf("the new show is not on the guests' programme")
	}
}

// The door list shows a guest's booking; the operator releases that guest's
// seats by keyboard and the guest's open map shows them free; cancelling
// the show tells the guest on its page.
func TestAdminDoorList(t *testing.T) {
	t.Parallel()
	src := needAxe(t)
	s := startAdminSite(t)
	g := newGuest(t)
	openLive(t, g, s.mapURL("studio"))
	click(t, g, "C4")
	waitStatus(t, g, time.Now(), "the guest", "C4", "mine")
	click(t, g, "C5")
	waitStatus(t, g, time.Now(), "the guest", "C5", "mine")
	newAPIGuest(t, s).book("studio", "A1")

	op := newGuest(t)
	signIn(t, op, s)
	open(t, op, s.url+"/admin/shows/"+s.shows["studio"])
	row := `[...document.querySelectorAll('.door-list tbody tr')].find(r => r.querySelector('th').textContent === 'C4 C5')`
	if !eval[bool](t, op, `!!`+row) {
		t.Fatalf("the door list has no guest holding C4 C5: %s", eval[string](t, op, `document.querySelector('.door')?.innerText`))
	}
	axe(t, op, src, "a show's admin page with its door list")
	screenshot(t, op, "admin-show")
	reachesEveryControl(t, op, "a show's admin page")
	if !eval[bool](t, op, `matchMedia('print').matches === false && [...document.styleSheets].some(s => [...s.cssRules].some(r => r.media?.mediaText === 'print'))`) {
		t.Errorf("no print stylesheet")
	}

	// By keyboard: the confirmation box, Space, Tab to the button, Enter.
	if err := chromedp.Do(op, chromedp.Focus(chromedp.JSPath(row+`.querySelector('input[name=confirm]')`))); err != nil {
		t.Fatal(err)
	}
	press(t, op, " ")
	press(t, op, kb.Tab)
	if id := focusedID(t, op); !strings.HasPrefix(id, "release-") {
		t.Fatalf("Tab from the confirmation box reaches %q, not its release button", id)
	}
	start := time.Now()
	press(t, op, kb.Enter)
	waitPage(t, op, "the release's outcome", `document.getElementById('msg').textContent === 'Released 2 seats.'`)
	waitStatus(t, g, start, "the guest", "C4", "free")
	waitStatus(t, g, start, "the guest", "C5", "free")
	if st := status(t, g, "A1"); st != "booked" {
		t.Errorf("A1, another guest's, is %s", st)
	}

	// Cancelling: the box, then the button.
	start = time.Now()
	if err := chromedp.Do(op,
		chromedp.Click(chromedp.CSS("#confirm-cancel")),
		chromedp.Click(chromedp.CSS(`button.danger`)),
	); err != nil {
		t.Fatal(err)
	}
	waitPage(t, op, "the cancel's outcome", `document.querySelector('p.closed')?.textContent === 'This show has been cancelled.'`)
	waitTrue(t, g, "the guest's page says the show is cancelled", `document.getElementById('msg').textContent === 'This show has been cancelled.'`)
	t.Logf("the guest heard of the cancellation after %v", time.Since(start).Round(time.Millisecond))
	axe(t, op, src, "a cancelled show's admin page")
}
