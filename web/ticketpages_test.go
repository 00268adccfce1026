package web_test

import (
	"fmt"
	"image"
	"image/color"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"

	"boxoffice"
	"boxoffice/web"
)

// doorClock is the handler's clock, moved by the test: the door's window
// is judged by it (the store's sales by the real one).
type doorClock struct{ offset atomic.Int64 }

func (c *doorClock) now() time.Time          { return time.Now().Add(time.Duration(c.offset.Load())) }
func (c *doorClock) set(ahead time.Duration) { c.offset.Store(int64(ahead)) }

// newDoorEnv is an admin test server with a door token and a clock of its own,
// set to an hour before openShow starts: its tickets are admitted.
func newDoorEnv(t *testing.T, configure func(*web.Config)) (*env, *doorClock) {
	t.Helper()
	c := &doorClock{}
	c.set(47 * time.Hour)
	e := newAdminEnv(t, func(cfg *web.Config) {
		cfg.DoorToken, cfg.Now = doorToken, c.now
		if configure != nil {
			configure(cfg)
		}
	})
	return e, c
}

// usher is a guest signed in with the door token.
func (e *env) usher() *guest {
	e.t.Helper()
	g := e.guest()
	if r := g.signIn(doorToken); r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/door" {
		e.t.Fatalf("signing in with the door token: %d to %q", r.status, r.header.Get("Location"))
	}
	return g
}

// ticketCode is the code of g's ticket for show, derived from its cookie
// as the issue defines it, not read from any page.
func (g *guest) ticketCode(show string) boxoffice.TicketCode {
	g.e.t.Helper()
	u, _ := url.Parse(g.e.srv.URL)
	for _, c := range g.c.Jar.Cookies(u) {
		if c.Name == "boxoffice_guest" {
			return boxoffice.TicketCodeFor(boxoffice.ShowID(show), c.Value)
		}
	}
	g.e.t.Fatal("the guest has no cookie")
	return ""
}

func wantIn(t *testing.T, what string, body []byte, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(string(body), w) {
			t.Errorf("%s lacks %q", what, w)
		}
	}
}

func wantNotIn(t *testing.T, what string, body []byte, nots ...string) {
	t.Helper()
	for _, n := range nots {
		if strings.Contains(string(body), n) {
			t.Errorf("%s has %q", what, n)
		}
	}
}

// The ticket page shows the show, the seats the guest holds now with their
// kinds, the code and a QR code; it is no-store and sends no referrer; a
// code malformed, unknown or holding nothing is one and the same 404.
func TestTicketPage(t *testing.T) {
	e, _ := newDoorEnv(t, nil)
	alice := e.guest()
	for _, seat := range []string{"A1", "A2", "C1", "C2"} {
		if r := alice.book(openShow, seat); r.status != 200 {
			t.Fatalf("booking %s: %d", seat, r.status)
		}
	}
	code := alice.ticketCode(openShow)
	path := "/tickets/" + code.String()
	stranger := e.guest() // anyone with the address sees the ticket
	r := stranger.do("GET", path, "", "")
	if r.status != 200 {
		t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	wantIn(t, "the ticket page", r.body, "<h1>Open Film</h1>", "Hall One", "Row A, seat 1</li>", "Row A, seat 2</li>",
		"Row C, seat 1, wheelchair space</li>", "Row C, seat 2, companion seat</li>", `<p class="code">`+code.String()+`</p>`, "<svg")
	wantNotIn(t, "a guest's ticket page", r.body, "Admit</button>", "Admitted at")
	wantIn(t, "a guest's ticket page", r.body, "Keep this ticket", `href="/shows/`+openShow+`">Change your seats`)
	if h := r.header; h.Get("Cache-Control") != "no-store" || h.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("ticket page: Cache-Control %q, Referrer-Policy %q", h.Get("Cache-Control"), h.Get("Referrer-Policy"))
	}
	if strings.Contains(string(r.body), "<script>") || strings.Contains(string(r.body), " style=") {
		t.Error("the ticket page has inline script or style, which the CSP forbids")
	}
	sloppy := strings.ToLower(strings.ReplaceAll(string(code), "1", "l"))
	if r := stranger.do("GET", "/tickets/"+sloppy, "", ""); r.status != 200 {
		t.Errorf("the code typed sloppily (%s): %d", sloppy, r.status)
	}

	// Seats are the guest's current ones on every load.
	alice.release(openShow, "A2")
	wantNotIn(t, "the ticket after releasing A2", stranger.do("GET", path, "", "").body, "Row A, seat 2<")

	unknown := boxoffice.TicketCodeFor(openShow, "nobody's token")
	var bodies []string
	for _, p := range []string{"/tickets/nope", "/tickets/" + unknown.String(), "/tickets/" + strings.Repeat("7", 13)} {
		r := stranger.do("GET", p, "", "")
		if r.status != 404 || r.header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("GET %s: %d, Referrer-Policy %q; want 404, no-referrer", p, r.status, r.header.Get("Referrer-Policy"))
		}
		wantIn(t, "GET "+p, r.body, "There is no such ticket.")
		bodies = append(bodies, regexp.MustCompile(`<code>[0-9a-f]+</code>`).ReplaceAllString(string(r.body), ""))
	}
	if bodies[0] != bodies[1] || bodies[1] != bodies[2] {
		t.Error("a malformed code and an unknown one are told apart")
	}

	// Releasing everything makes the ticket unknown until the guest books again.
	for _, seat := range []string{"A1", "C1", "C2"} {
		alice.release(openShow, seat)
	}
	if r := stranger.do("GET", path, "", ""); r.status != 404 {
		t.Errorf("a ticket whose guest holds nothing: %d, want 404", r.status)
	}
	alice.book(openShow, "B3")
	wantIn(t, "the ticket after booking again", stranger.do("GET", path, "", "").body, "Row B, seat 3</li>")

	// A cancelled show's ticket is gone.
	if r := alice.admin("DELETE", "/api/admin/shows/"+openShow+"?force=true", "", ""); r.status != 200 {
		t.Fatalf("cancelling: %d %s", r.status, r.body)
	}
	if r := stranger.do("GET", path, "", ""); r.status != 410 {
		t.Errorf("a cancelled show's ticket: %d, want 410", r.status)
	}
}

// The QR code on the page says the ticket's absolute address: from
// --public-url when set, else the request's own scheme and host.
func TestTicketPageQRCode(t *testing.T) {
	for _, public := range []string{"", "https://tickets.example.org"} {
		e, _ := newDoorEnv(t, func(c *web.Config) { c.PublicURL = public })
		g := e.guest()
		g.book(openShow, "A3")
		code := g.ticketCode(openShow)
		r := g.do("GET", "/tickets/"+code.String(), "", "")
		base := public
		if base == "" {
			base = e.srv.URL
		}
		if got, want := decodeSVGQR(t, r.body), base+"/tickets/"+code.String(); got != want {
			t.Errorf("the QR code says %q, want %q", got, want)
		}
	}
}

// decodeSVGQR reads the first QR code drawn in page's inline SVG back into
// an image, a module to 4 pixels, and decodes it as a scanner would.
func decodeSVGQR(t *testing.T, page []byte) string {
	t.Helper()
	m := regexp.MustCompile(`<svg[^>]*viewBox="0 0 (\d+) (\d+)"[^>]*>.*?<path[^>]* d="([^"]*)"`).FindSubmatch(page)
	if m == nil {
		t.Fatal("no QR code in the page")
	}
	n, _ := strconv.Atoi(string(m[1]))
	const px = 4
	img := image.NewGray(image.Rect(0, 0, n*px, n*px))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for _, run := range regexp.MustCompile(`M(\d+) (\d+)h(\d+)v1h-\d+z`).FindAllSubmatch(m[3], -1) {
		x, _ := strconv.Atoi(string(run[1]))
		y, _ := strconv.Atoi(string(run[2]))
		w, _ := strconv.Atoi(string(run[3]))
		for dx := range w * px {
			for dy := range px {
				img.SetGray((x*px)+dx, (y*px)+dy, color.Gray{})
			}
		}
	}
	return decodeQR(t, img)
}

func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("decoding the QR code: %v", err)
	}
	return res.GetText()
}

// Staff signed in (door or admin) see the admission state and the Admit
// button; its answers: admit, already admitted with the first time, not
// today (409); the guest then sees when it was admitted.
func TestTicketAdmitForm(t *testing.T) {
	e, clk := newDoorEnv(t, nil)
	alice, bob := e.guest(), e.guest()
	alice.book(openShow, "A1")
	alice.book(openShow, "A2")
	bob.book(openShow, "B1")
	path := "/tickets/" + alice.ticketCode(openShow).String()
	usher, op := e.usher(), e.operator()

	for name, g := range map[string]*guest{"door": usher, "admin": op} {
		r := g.do("GET", path, "", "")
		wantIn(t, name+"'s view of the ticket", r.body, "Not admitted yet.", `action="`+path+`/admit"`, "Admit</button>")
		// An usher's phone shows the top of the page: the button, not the
		// QR code the usher just scanned, nor the guest's advice.
		if b := string(r.body); strings.Index(b, "Admit</button>") > strings.Index(b, "<svg") {
			t.Errorf("%s's view of the ticket: the Admit button comes after the QR code", name)
		}
		wantNotIn(t, name+"'s view of the ticket", r.body, "Keep this ticket", "Change your seats")
	}

	r := usher.do("POST", path+"/admit", formCT, "")
	if r.status != 200 {
		t.Fatalf("admitting: %d %s", r.status, r.body)
	}
	wantIn(t, "the first admission", r.body, `class="verdict ok"`, "Admit: row A, seats 1 and 2", "Open Film")
	if r.header.Get("Referrer-Policy") != "no-referrer" || r.header.Get("Cache-Control") != "no-store" {
		t.Error("the admission's answer may leak its address or be stored")
	}
	first := regexp.MustCompile(`Admitted at <time datetime="[^"]+">(\d\d:\d\d)</time>`).FindSubmatch(r.body)
	if first == nil {
		t.Fatalf("the answer does not say when it was admitted: %s", r.body)
	}
	clk.set(47*time.Hour + 30*time.Minute)
	r = op.do("POST", path+"/admit", formCT, "")
	if r.status != 200 {
		t.Fatalf("admitting again: %d", r.status)
	}
	wantIn(t, "a second admission", r.body, `class="verdict again"`, "ALREADY ADMITTED at "+string(first[1]))
	wantIn(t, "the guest's ticket once admitted", alice.do("GET", path, "", "").body, "Admitted at <time")

	// Bob's ticket on the wrong day: nothing is stored.
	bobPath := "/tickets/" + bob.ticketCode(openShow).String()
	clk.set(0)
	r = usher.do("POST", bobPath+"/admit", formCT, "")
	if r.status != http.StatusConflict {
		t.Fatalf("a ticket two days early: %d, want 409", r.status)
	}
	page := bob.do("GET", bobPath, "", "").body
	when := regexp.MustCompile(`class="when"><time datetime="[^"]+">([^<]+)</time>`).FindSubmatch(page)
	if when == nil {
		t.Fatalf("the ticket page gives no start time: %s", page)
	}
	wantIn(t, "the wrong day's answer", r.body, `class="verdict refused"`, "Not today: this ticket is for "+string(when[1]))
	wantNotIn(t, "bob's ticket", page, "Admitted at")

	// Unknown and malformed codes.
	for _, p := range []string{"/tickets/nope/admit", "/tickets/" + boxoffice.TicketCodeFor(openShow, "x").String() + "/admit"} {
		if r := usher.do("POST", p, formCT, ""); r.status != 404 || !strings.Contains(string(r.body), "There is no such ticket.") {
			t.Errorf("POST %s: %d, want 404", p, r.status)
		}
	}
}

// Only staff admit: a guest's POST is sent to sign in, one from another
// site is refused, and neither admits.
func TestTicketAdmitFormNeedsStaff(t *testing.T) {
	e, _ := newDoorEnv(t, nil)
	alice := e.guest()
	alice.book(openShow, "A1")
	path := "/tickets/" + alice.ticketCode(openShow).String()
	if r := alice.do("POST", path+"/admit", formCT, ""); r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin" {
		t.Errorf("a guest's admission: %d to %q, want 303 to /admin", r.status, r.header.Get("Location"))
	}
	if r := e.usher().do("POST", path+"/admit", formCT, "", "Sec-Fetch-Site", "cross-site"); r.status != http.StatusForbidden {
		t.Errorf("a cross-site admission with a door session: %d, want 403", r.status)
	}
	wantNotIn(t, "the ticket", alice.do("GET", path, "", "").body, "Admitted at")
	wantNotIn(t, "a guest's view", alice.do("GET", path, "", "").body, "Admit</button>")
}

// The check-in page without JavaScript: the form answers with the verdict
// above an empty field, for a typed code or a pasted address.
func TestDoorForm(t *testing.T) {
	e, _ := newDoorEnv(t, nil)
	alice, bob := e.guest(), e.guest()
	alice.book(openShow, "C1")
	bob.book(openShow, "B2")
	usher := e.usher()

	r := usher.do("GET", "/admin/door", "", "")
	if r.status != 200 {
		t.Fatalf("GET /admin/door: %d", r.status)
	}
	wantIn(t, "the check-in page", r.body, `<input id="code" name="code" type="text" autofocus autocomplete="off" autocapitalize="characters"`,
		`action="/admin/door"`, `action="/admin/sign-out"`, "/static/door.js?v=")
	if r := e.guest().do("GET", "/admin/door", "", ""); r.status != http.StatusSeeOther {
		t.Errorf("the check-in page without a session: %d, want 303 to sign in", r.status)
	}
	// Each sees a header that leads where its session may go: door staff
	// back to the door, never to the operator's pages (403 for them); the
	// operator to every admin page, the door included.
	if strings.Contains(string(r.body), `href="/admin"`) || strings.Contains(string(r.body), `href="/admin/halls"`) {
		t.Errorf("the check-in page links door staff to the operator's pages:\n%s", r.body)
	}
	wantIn(t, "the door's header", r.body, `<a href="/admin/door" class="brand">`)
	r = e.operator().do("GET", "/admin/door", "", "")
	wantIn(t, "the operator's check-in page", r.body, `<a href="/admin">Programme</a>`, `<a href="/admin/door">Check-in</a>`)

	typed := strings.ToLower(alice.ticketCode(openShow).String())
	pasted := e.srv.URL + "/tickets/" + bob.ticketCode(openShow).String()
	for _, c := range []struct {
		input  string
		status int
		wants  []string
	}{
		{typed, 200, []string{`class="verdict ok"`, "Admit: row C, seat 1 (wheelchair space)"}},
		{typed, 200, []string{`class="verdict again"`, "ALREADY ADMITTED at "}},
		{pasted, 200, []string{`class="verdict ok"`, "Admit: row B, seat 2"}},
		{"not a code", 404, []string{`class="verdict refused"`, "No such ticket"}},
		{"", 404, []string{"No such ticket"}},
	} {
		r := usher.do("POST", "/admin/door", formCT, url.Values{"code": {c.input}}.Encode())
		if r.status != c.status {
			t.Errorf("checking in %q: %d, want %d", c.input, r.status, c.status)
		}
		wantIn(t, fmt.Sprintf("the answer to %q", c.input), r.body, c.wants...)
		wantIn(t, "the answer's field", r.body, `<input id="code" name="code" type="text" autofocus`)
		wantNotIn(t, "the answer's field", r.body, `name="code" value=`)
	}
}

// The seat map's "Your seats" panel: the ticket's code and link for a guest
// holding seats, hidden (and without the code) for one holding none.
func TestShowPageTicketPanel(t *testing.T) {
	e := newEnv(t, testLayout)
	alice, bob := e.guest(), e.guest()
	alice.book(openShow, "A1")
	bob.do("GET", "/shows/"+openShow, "", "") // bob's cookie
	code := alice.ticketCode(openShow)
	wantIn(t, "alice's map", alice.do("GET", "/shows/"+openShow, "", "").body,
		`<div id="ticket" class="ticket-link">`, `<a id="ticket-url" href="/tickets/`+code.String()+`">Your ticket <span id="ticket-code" class="code">`+code.String()+`</span></a>`)
	page := bob.do("GET", "/shows/"+openShow, "", "").body
	wantIn(t, "bob's map", page, `<div id="ticket" class="ticket-link" hidden>`)
	wantNotIn(t, "bob's map", page, bob.ticketCode(openShow).String(), code.String())
	alice.release(openShow, "A1")
	wantIn(t, "alice's map holding nothing", alice.do("GET", "/shows/"+openShow, "", "").body, `<div id="ticket" class="ticket-link" hidden>`)
}

// Once admitted, the seat map's form says why the guest's seats no longer
// change, and only to that guest.
func TestSeatFormAfterAdmission(t *testing.T) {
	e, _ := newDoorEnv(t, nil)
	alice := e.guest()
	alice.book(openShow, "A1")
	if r := e.usher().do("POST", "/tickets/"+alice.ticketCode(openShow).String()+"/admit", formCT, ""); r.status != 200 {
		t.Fatalf("admitting: %d", r.status)
	}
	const sentence = "Your ticket was checked in at the door: your seats can no longer be changed."
	for _, body := range []string{"seat=A2", "release=A1"} {
		r := alice.do("POST", "/shows/"+openShow, formCT, body)
		if loc := r.header.Get("Location"); r.status != http.StatusSeeOther || !strings.Contains(loc, "result=admitted") {
			t.Fatalf("the form (%s) after admission: %d to %q", body, r.status, loc)
		}
		wantIn(t, "alice's map after "+body, alice.do("GET", r.header.Get("Location"), "", "").body, sentence, "data-seat=A1 data-status=mine")
		wantNotIn(t, "a stranger's map with alice's link", e.guest().do("GET", r.header.Get("Location"), "", "").body, sentence)
	}
}

// The operator's page of a show tells who has come in: each guest's
// admission time in the door list, and how many guests and seats so far.
func TestAdminShowPageAdmissions(t *testing.T) {
	e, _ := newDoorEnv(t, nil)
	alice, bob := e.guest(), e.guest()
	alice.bookMany(openShow, `{"seats":["A1","A2"]}`)
	bob.book(openShow, "C3")
	if r := e.usher().do("POST", "/tickets/"+alice.ticketCode(openShow).String()+"/admit", formCT, ""); r.status != 200 {
		t.Fatalf("admitting: %d", r.status)
	}
	page := string(e.operator().do("GET", "/admin/shows/"+openShow, "", "").body)
	wantIn(t, "the show's page", []byte(page), "admitted at the door: 1 guest, 2 seats.", `<th scope="col">Admitted</th>`)
	alicesRow := page[strings.Index(page, ">A1 A2</th>"):]
	alicesRow = alicesRow[:strings.Index(alicesRow, "</tr>")]
	bobsRow := page[strings.Index(page, ">C3</th>"):]
	bobsRow = bobsRow[:strings.Index(bobsRow, "</tr>")]
	if !strings.Contains(alicesRow, "<td><time datetime=") || strings.Contains(alicesRow, "not yet") {
		t.Errorf("alice's row shows no admission: %s", alicesRow)
	}
	if !strings.Contains(bobsRow, "<td>not yet</td>") {
		t.Errorf("bob's row: %s", bobsRow)
	}
}
