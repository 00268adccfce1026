package browsertest

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"boxoffice/server"
)

const doorToken = "browsertest-door-token-0123456789abcdef"

// startDoorSite is a site with the admin pages and the door on, and a show
// in the studio starting in two hours ("tonight"), whose tickets the door
// admits now (the demo's shows are days away).
func startDoorSite(t *testing.T, configure func(*server.Config)) *site {
	t.Helper()
	s := startSiteWith(t, func(c *server.Config) {
		c.AdminToken, c.DoorToken = adminToken, doorToken
		if configure != nil {
			configure(c)
		}
	})
	body := fmt.Sprintf(`{"title":"Tonight","hall":"studio","starts_at":%q,"sales":"open"}`,
		time.Now().Add(2*time.Hour).UTC().Format(time.RFC3339))
	req, _ := http.NewRequest("PUT", s.url+"/api/admin/shows/tonight", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		t.Fatalf("adding tonight's show: %s", res.Status)
	}
	return s
}

// await runs a JavaScript expression whose value is a promise in the tab
// and returns what the promise resolves to.
func await[T any](t *testing.T, tab context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(tab, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// bookIn books seats as the tab's guest through the API, from the tab's
// page (so with its cookie), and returns the guest's ticket code.
func bookIn(t *testing.T, tab context.Context, s *site, show string, seats ...string) string {
	t.Helper()
	open(t, tab, s.url+"/shows/"+show)
	for _, seat := range seats {
		st := await[int](t, tab, fmt.Sprintf(`fetch('/api/shows/%s/seats/%s', {method: 'PUT'}).then(r => r.status)`, show, seat))
		if st != 200 {
			t.Fatalf("booking %s of %s: %d", seat, show, st)
		}
	}
	return await[string](t, tab, fmt.Sprintf(`fetch('/api/shows/%s/ticket').then(r => r.json()).then(t => t.code)`, show))
}

// signInDoor signs the tab in with the door token, which lands on the
// check-in page.
func signInDoor(t *testing.T, tab context.Context, s *site) {
	t.Helper()
	if _, err := chromedp.Call(tab, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
		t.Fatal(err)
	}
	open(t, tab, s.url+"/admin")
	if err := chromedp.Do(tab, chromedp.SendKeys(chromedp.ID("token"), doorToken), chromedp.Submit(chromedp.ID("token"))); err != nil {
		t.Fatal(err)
	}
	waitPage(t, tab, "the check-in page after signing in", `location.pathname === '/admin/door' && document.querySelector('h1')?.textContent === 'Check-in'`)
}

// decodeQRShot decodes the QR code in a PNG screenshot.
func decodeQRShot(t *testing.T, shot []byte) string {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decoding the QR code on the screen: %v", err)
	}
	return res.GetText()
}

// A guest books and the "Your seats" panel shows the ticket at once, and
// hides it when the guest holds nothing; the ticket page draws a QR code
// that a scanner reads as the ticket's address, passes axe-core, fits a
// 360 px phone and prints its QR code at least 3 cm wide.
func TestTicketGuest(t *testing.T) {
	t.Parallel()
	src := needAxe(t)
	s := startSite(t)
	g := newGuest(t)
	openLive(t, g, s.mapURL("studio"))
	if !eval[bool](t, g, `document.getElementById('ticket').hidden`) {
		t.Fatal("the ticket panel shows before the guest holds a seat")
	}
	panel := `(() => { const p = document.getElementById('ticket'), a = document.getElementById('ticket-url'), c = document.getElementById('ticket-code');
		return !p.hidden && /^[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}$/.test(c.textContent) && a.getAttribute('href') === '/tickets/' + c.textContent &&
			a.textContent === 'Your ticket ' + c.textContent; })()`
	start := click(t, g, "A3")
	d := waitTrue(t, g, "the panel shows the ticket", panel)
	t.Logf("the ticket panel showed %v after the click", d.Round(time.Millisecond))
	code := eval[string](t, g, `document.getElementById('ticket-code').textContent`)
	waitStatus(t, g, start, "the guest", "A3", "mine")
	click(t, g, "A3")
	waitTrue(t, g, "the panel hides once the guest holds nothing", `document.getElementById('ticket').hidden`)
	click(t, g, "A4")
	waitTrue(t, g, "the panel shows again", panel)
	if again := eval[string](t, g, `document.getElementById('ticket-code').textContent`); again != code {
		t.Errorf("booking again shows code %s, before %s", again, code)
	}

	if err := chromedp.Do(g, chromedp.Click(chromedp.ID("ticket-url"))); err != nil {
		t.Fatal(err)
	}
	waitPage(t, g, "the ticket page", `location.pathname === '/tickets/`+code+`' && !!document.querySelector('figure.qr svg')`)
	if got := eval[string](t, g, `document.querySelector('.ticket-seats').textContent`); got != "Row A, seat 4" {
		t.Errorf("the ticket lists %q, want Row A, seat 4", got)
	}
	shot, err := chromedp.Run(g, chromedp.Screenshot(chromedp.CSS("figure.qr svg")))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := decodeQRShot(t, shot), s.url+"/tickets/"+code; got != want {
		t.Errorf("the QR code on the screen says %q, want %q", got, want)
	}
	axe(t, g, src, "the ticket page, as the guest sees it")

	if err := chromedp.Do(g, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateTouch)); err != nil {
		t.Fatal(err)
	}
	open(t, g, s.url+"/tickets/"+code)
	if w := eval[[]int](t, g, `[document.documentElement.scrollWidth, innerWidth]`); w[0] > w[1] {
		t.Errorf("at 360 px the ticket page is %d px wide: it scrolls sideways", w[0])
	}
	if !eval[bool](t, g, `(c => c.scrollWidth <= c.clientWidth)(document.querySelector('.ticket .code'))`) {
		t.Error("at 360 px the code does not fit its line")
	}
	viewport(t, g, "ticket-phone")

	if _, err := chromedp.Call(g, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"}); err != nil {
		t.Fatal(err)
	}
	const cm = 96 / 2.54 // CSS pixels
	if w := eval[float64](t, g, `document.querySelector('figure.qr svg').getBoundingClientRect().width`); w < 3*cm {
		t.Errorf("printed, the QR code is %.0f px wide, under 3 cm", w)
	}
	if eval[bool](t, g, `getComputedStyle(document.querySelector('header.site')).display !== 'none'`) {
		t.Error("printed, the ticket shows the site's navigation")
	}
}

// The door: a door session opens a ticket's link (as a phone's camera app
// would) and admits it with the page's button; a second admission says
// when the first was. The check-in page works by keyboard: a code typed,
// Enter, the verdict announced, the field empty and focused for the next.
// axe-core finds nothing on the staff's ticket page or the check-in page.
func TestTicketDoor(t *testing.T) {
	t.Parallel()
	src := needAxe(t)
	s := startDoorSite(t, nil)
	alice, bob := newGuest(t), newGuest(t)
	aliceCode := bookIn(t, alice, s, "tonight", "A1", "A2")
	bobCode := bookIn(t, bob, s, "tonight", "B1")
	laterCode := bookIn(t, bob, s, s.shows["grand"], "J1")

	usher := newGuest(t)
	signInDoor(t, usher, s)
	axe(t, usher, src, "the check-in page")

	open(t, usher, s.url+"/tickets/"+aliceCode)
	if got := eval[string](t, usher, `document.querySelector('.staff .state')?.textContent`); got != "Not admitted yet." {
		t.Errorf("the staff's view of the ticket says %q", got)
	}
	axe(t, usher, src, "the ticket page, as staff see it")
	if err := chromedp.Do(usher, chromedp.Click(chromedp.CSS("button.admit"))); err != nil {
		t.Fatal(err)
	}
	waitPage(t, usher, "the admission's verdict", `document.querySelector('.verdict.ok .verdict-head')?.textContent.trim() === '✓ Admit: row A, seats 1 and 2'`)
	axe(t, usher, src, "the ticket page with the door's verdict")
	screenshot(t, usher, "ticket-admitted")
	at := eval[string](t, usher, `document.querySelector('.admitted time').textContent`)
	if err := chromedp.Do(usher, chromedp.Click(chromedp.CSS("button.admit"))); err != nil {
		t.Fatal(err)
	}
	waitPage(t, usher, "the second admission's verdict", `document.querySelector('.verdict.again .verdict-head')?.textContent.trim() === '! ALREADY ADMITTED at `+at+`'`)
	open(t, alice, s.url+"/tickets/"+aliceCode)
	if got := eval[string](t, alice, `document.querySelector('.admitted')?.textContent.trim()`); got != "✓ Admitted at "+at {
		t.Errorf("the guest's ticket says %q once admitted", got)
	}

	// The check-in page by keyboard.
	open(t, usher, s.url+"/admin/door")
	if id := focusedID(t, usher); id != "code" {
		t.Fatalf("the check-in page opens with the focus on %q, not the field", id)
	}
	checkIn := func(typed, wantHead string) {
		t.Helper()
		eval[bool](t, usher, `window.sameDocument = true`)
		press(t, usher, typed)
		start := time.Now()
		press(t, usher, kb.Enter)
		head := `document.querySelector('#result .verdict-head')?.textContent.trim()`
		if _, err := chromedp.Run(usher, chromedp.Poll[chromedp.Void](fmt.Sprintf(`%s === %q`, head, wantHead),
			chromedp.WithPollingInterval(10*time.Millisecond), chromedp.WithPollingTimeout(liveBound))); err != nil {
			t.Fatalf("checking in %s: the verdict is %q, want %q", typed, eval[string](t, usher, head), wantHead)
		}
		t.Logf("the door answered %q after %v", wantHead, time.Since(start).Round(time.Millisecond))
		waitTrue(t, usher, "the field empty and focused", `document.getElementById('code').value === '' && document.activeElement.id === 'code'`)
		if !eval[bool](t, usher, `window.sameDocument === true`) {
			t.Error("the check-in loaded a page: the script did not take the form")
		}
	}
	checkIn(strings.ToLower(bobCode), "✓ Admit: row B, seat 1")
	axe(t, usher, src, "the check-in page with a verdict")
	screenshot(t, usher, "door-admit")
	bobAt := await[string](t, usher, `fetch('/api/tickets/`+bobCode+`').then(r => r.json()).then(t => t.admitted_at.slice(11, 16))`)
	checkIn(s.url+"/tickets/"+bobCode, "! ALREADY ADMITTED at "+bobAt)
	var later struct {
		Shows []struct {
			ID       string `json:"id"`
			StartsAt string `json:"starts_at"`
		} `json:"shows"`
	}
	getJSON(t, http.DefaultClient, s.url+"/api/shows", &later)
	when := ""
	for _, sh := range later.Shows {
		if sh.ID == s.shows["grand"] {
			st, _ := time.Parse(time.RFC3339, sh.StartsAt)
			when = st.UTC().Format("Mon 2 Jan, 15:04")
		}
	}
	checkIn(laterCode, "✗ Not today: this ticket is for "+when)
	checkIn("NOPE-NOPE-NOPE", "✗ No such ticket")
	if n := eval[int](t, usher, `document.querySelectorAll('#result .verdict').length`); n != 1 {
		t.Errorf("the result region holds %d verdicts", n)
	}

	if err := chromedp.Do(usher, chromedp.Click(chromedp.CSS(".door-signout button"))); err != nil {
		t.Fatal(err)
	}
	waitPage(t, usher, "the sign-in form after signing out", `location.pathname === '/admin' && document.querySelector('h1')?.textContent === 'Sign in'`)
}

// TestTicketPicture takes the README's picture of a ticket page,
// ticket.png: a guest's two seats, on a phone-sized screen.
//
//	BOXOFFICE_SCREENSHOTS=$PWD/docs go test -count=1 -run TestTicketPicture ./browsertest/
func TestTicketPicture(t *testing.T) {
	t.Parallel()
	s := startSiteWith(t, func(c *server.Config) { c.PublicURL = "https://cinema.example" })
	g := newGuest(t)
	code := bookIn(t, g, s, s.shows["grand"], "E14", "E15")
	if err := chromedp.Do(g, chromedp.EmulateViewport(420, 900)); err != nil {
		t.Fatal(err)
	}
	open(t, g, s.url+"/tickets/"+code)
	shot, err := chromedp.Run(g, chromedp.Screenshot(chromedp.CSS("figure.qr svg")))
	if err != nil {
		t.Fatal(err)
	}
	if got := decodeQRShot(t, shot); got != "https://cinema.example/tickets/"+code {
		t.Errorf("the QR code says %q, not the public address", got)
	}
	screenshot(t, g, "ticket")
}
