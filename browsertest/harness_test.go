package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"boxoffice/server"
)

// liveBound is how long a test waits for a change to reach another page. The
// product promises one second; a shared two-core CI machine running -race
// gets more, and the tests log the delay they measured.
const liveBound = 5 * time.Second

// One browser process serves the whole package; each test opens its own
// browser contexts (separate cookies, so separate guests) in it.
var browser struct {
	once sync.Once
	ctx  context.Context
	err  error
	stop func()
}

func TestMain(m *testing.M) {
	code := m.Run()
	if browser.stop != nil {
		browser.stop()
	}
	os.Exit(code)
}

// missing skips a test whose tool is not installed, or fails it under CI,
// where the tools must be there.
func missing(t *testing.T, reason string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(reason)
	}
	t.Skip(reason)
}

func chromiumPath() string {
	if p := os.Getenv("BOXOFFICE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// needBrowser returns the shared browser, starting it on first use.
func needBrowser(t *testing.T) context.Context {
	t.Helper()
	path := chromiumPath()
	if _, err := os.Stat(path); path == "" || err != nil {
		missing(t, "chromium not found: apt-get install -y chromium (or set BOXOFFICE_CHROMIUM)")
	}
	browser.once.Do(func() {
		dir, err := os.MkdirTemp("", "boxoffice-chromium-")
		if err != nil {
			browser.err = err
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(path),
			chromedp.UserDataDir(dir),
			chromedp.DisableGPU,
			chromedp.WindowSize(1280, 900),
			// This machine's closed network refuses the browser's own
			// connections; these keep it from trying.
			chromedp.Flag("disable-quic", true),
			chromedp.Flag("disable-component-update", true),
		)
		if os.Geteuid() == 0 {
			opts = append(opts, chromedp.NoSandbox)
		}
		allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancel := chromedp.NewContext(allocCtx)
		browser.stop = func() {
			cancel()
			cancelAlloc()
			_ = os.RemoveAll(dir)
		}
		if err := chromedp.Do(ctx); err != nil {
			browser.err = err
			return
		}
		browser.ctx = ctx
	})
	if browser.err != nil {
		t.Fatalf("starting chromium %s: %v", path, browser.err)
	}
	return browser.ctx
}

// newGuest opens a browser context of its own: its own cookies, so its own
// guest. The context is its first tab.
func newGuest(t *testing.T) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(needBrowser(t), chromedp.WithNewBrowserContext())
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait) // runs after cancel, which ends the watch
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("opening a browser context: %v", err)
	}
	watchErrors(t, ctx, &wg)
	return ctx
}

// newTab opens another tab of the guest: same cookies, same guest.
func newTab(t *testing.T, guest context.Context) context.Context {
	t.Helper()
	ctx, cancel := chromedp.NewContext(guest)
	var wg sync.WaitGroup
	t.Cleanup(wg.Wait)
	t.Cleanup(cancel)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	watchErrors(t, ctx, &wg)
	return ctx
}

// newTabs opens n more tabs of the guest at once: opening a tab takes the
// browser about a second.
func newTabs(t *testing.T, guest context.Context, n int) []context.Context {
	t.Helper()
	tabs := make([]context.Context, n)
	errs := make([]error, n)
	var opening, watching sync.WaitGroup
	t.Cleanup(watching.Wait)
	for i := range tabs {
		ctx, cancel := chromedp.NewContext(guest)
		t.Cleanup(cancel)
		tabs[i] = ctx
		opening.Go(func() { errs[i] = chromedp.Do(ctx) })
	}
	opening.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatalf("opening a tab: %v", err)
		}
	}
	for _, tab := range tabs {
		watchErrors(t, tab, &watching)
	}
	return tabs
}

// watchErrors fails the test for every uncaught exception and console error
// in the tab's pages, until the tab closes.
func watchErrors(t *testing.T, tab context.Context, wg *sync.WaitGroup) {
	exceptions := chromedp.Events(tab, runtime.ExceptionThrown)
	console := chromedp.Events(tab, runtime.ConsoleAPICalled)
	wg.Go(func() {
		for ev, err := range exceptions {
			if err != nil {
				return
			}
			d := ev.ExceptionDetails
			desc := d.Text
			if d.Exception != nil {
				desc += " " + d.Exception.Description
			}
			t.Errorf("uncaught exception in the page %s:%d: %s", d.URL, d.LineNumber+1, desc)
		}
	})
	wg.Go(func() {
		for ev, err := range console {
			if err != nil {
				return
			}
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				var args []string
				for _, a := range ev.Args {
					if len(a.Value) > 0 {
						args = append(args, string(a.Value))
					} else {
						args = append(args, a.Description)
					}
				}
				t.Errorf("console.error in the page: %s", strings.Join(args, " "))
			}
		}
	})
}

// site is a running server with the demo programme.
type site struct {
	url   string            // http://127.0.0.1:port
	shows map[string]string // hall id ("studio", "grand") -> an open show's id
}

func startSite(t *testing.T) *site {
	t.Helper()
	return startSiteWith(t, nil)
}

// startSiteWith is startSite with the server's configuration changed by
// configure.
func startSiteWith(t *testing.T, configure func(*server.Config)) *site {
	t.Helper()
	cfg := server.Config{
		Addr: "127.0.0.1:0", DB: filepath.Join(t.TempDir(), "boxoffice.db"), Demo: true,
		Location: time.UTC, LogFormat: "text", ShutdownTimeout: 5 * time.Second,
	}
	if configure != nil {
		configure(&cfg)
	}
	srv, err := server.Start(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("starting the server: %v", err)
	}
	t.Cleanup(func() {
		if err := srv.Shutdown(); err != nil {
			t.Errorf("shutting down: %v", err)
		}
	})
	s := &site{url: "http://" + srv.URLHost(), shows: map[string]string{}}
	var list struct {
		Shows []struct {
			ID     string `json:"id"`
			HallID string `json:"hall_id"`
			Open   bool   `json:"open"`
		} `json:"shows"`
	}
	getJSON(t, http.DefaultClient, s.url+"/api/shows", &list)
	for _, sh := range list.Shows {
		if _, ok := s.shows[sh.HallID]; !ok && sh.Open {
			s.shows[sh.HallID] = sh.ID
		}
	}
	if s.shows["studio"] == "" || s.shows["grand"] == "" {
		t.Fatalf("the demo programme has no open show in each hall: %+v", list.Shows)
	}
	return s
}

// mapURL is the seat map of the hall's show.
func (s *site) mapURL(hall string) string { return s.url + "/shows/" + s.shows[hall] }

func getJSON(t *testing.T, c *http.Client, url string, v any) {
	t.Helper()
	res, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, res.Status)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}

// apiGuest is a guest outside the browser, using the JSON API.
type apiGuest struct {
	t    *testing.T
	site *site
	c    *http.Client
}

func newAPIGuest(t *testing.T, s *site) *apiGuest {
	jar, _ := cookiejar.New(nil)
	return &apiGuest{t: t, site: s, c: &http.Client{Jar: jar, Timeout: 10 * time.Second}}
}

func (g *apiGuest) seat(method, hall, seat string) {
	g.t.Helper()
	url := g.site.url + "/api/shows/" + g.site.shows[hall] + "/seats/" + seat
	req, _ := http.NewRequest(method, url, nil)
	res, err := g.c.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		g.t.Fatalf("%s %s: %s", method, url, res.Status)
	}
}

func (g *apiGuest) book(hall, seat string)    { g.t.Helper(); g.seat(http.MethodPut, hall, seat) }
func (g *apiGuest) release(hall, seat string) { g.t.Helper(); g.seat(http.MethodDelete, hall, seat) }

// open loads a page in the tab and, for a seat map with scripts on, waits
// until its event stream is live.
func open(t *testing.T, tab context.Context, url string) {
	t.Helper()
	// A page that cannot load (say, every connection to the host is held by
	// event streams) fails the test rather than hang it.
	ctx, cancel := context.WithTimeout(tab, 20*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("opening %s: %v", url, err)
	}
}

func openLive(t *testing.T, tab context.Context, url string) {
	t.Helper()
	open(t, tab, url)
	waitTrue(t, tab, "the map goes live", `(() => { const l = document.getElementById('live'); return l && !l.hidden && !l.classList.contains('off'); })()`)
}

// eval runs a JavaScript expression in the tab and returns its value.
func eval[T any](t *testing.T, tab context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(tab, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// waitTrue waits up to liveBound for a JavaScript condition to hold and
// returns how long it took.
func waitTrue(t *testing.T, tab context.Context, what, cond string) time.Duration {
	t.Helper()
	return waitFor(t, tab, liveBound, what, cond)
}

// waitFor waits up to bound for a JavaScript condition to hold and returns
// how long it took.
func waitFor(t *testing.T, tab context.Context, bound time.Duration, what, cond string) time.Duration {
	t.Helper()
	start := time.Now()
	_, err := chromedp.Run(tab, chromedp.Poll[chromedp.Void](cond,
		chromedp.WithPollingInterval(10*time.Millisecond), chromedp.WithPollingTimeout(bound)))
	d := time.Since(start)
	if err != nil {
		t.Fatalf("%s: not within %v: %v", what, bound, err)
	}
	return d
}

func seatSel(seat string) string { return fmt.Sprintf(`button[data-seat=%q]`, seat) }

// status is a seat's data-status on the tab's page.
func status(t *testing.T, tab context.Context, seat string) string {
	t.Helper()
	return eval[string](t, tab, fmt.Sprintf(`document.querySelector(%q).dataset.status`, seatSel(seat)))
}

// waitStatus waits for a seat to show a status on the tab's page and logs
// how long after since it did.
func waitStatus(t *testing.T, tab context.Context, since time.Time, who, seat, want string) {
	t.Helper()
	waitTrue(t, tab, fmt.Sprintf("%s sees %s %s", who, seat, want),
		fmt.Sprintf(`document.querySelector(%q)?.dataset.status === %q`, seatSel(seat), want))
	t.Logf("%s saw %s %s after %v", who, seat, want, time.Since(since).Round(time.Millisecond))
}

// click clicks a seat and returns when it did.
func click(t *testing.T, tab context.Context, seat string) time.Time {
	t.Helper()
	start := time.Now()
	if err := chromedp.Do(tab, chromedp.Click(chromedp.CSS(seatSel(seat)))); err != nil {
		t.Fatalf("clicking %s: %v", seat, err)
	}
	return start
}

// message is the text of the map's live region.
func message(t *testing.T, tab context.Context) string {
	t.Helper()
	s, err := chromedp.Run(tab, chromedp.TextContent(chromedp.ID("msg")))
	if err != nil {
		t.Fatalf("reading the message: %v", err)
	}
	return strings.TrimSpace(s)
}

// screenshot saves a PNG of the whole page under BOXOFFICE_SCREENSHOTS (or
// the test's temporary directory).
func screenshot(t *testing.T, tab context.Context, name string) {
	t.Helper()
	savePNG(t, tab, name, chromedp.FullScreenshot(100))
}

// viewport saves a PNG of what the screen shows.
func viewport(t *testing.T, tab context.Context, name string) {
	t.Helper()
	savePNG(t, tab, name, chromedp.CaptureScreenshot())
}

func savePNG(t *testing.T, tab context.Context, name string, shot chromedp.Action[[]byte]) {
	t.Helper()
	dir := os.Getenv("BOXOFFICE_SCREENSHOTS")
	if dir == "" {
		dir = t.TempDir()
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	png, err := chromedp.Run(tab, shot)
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	path := filepath.Join(dir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}
