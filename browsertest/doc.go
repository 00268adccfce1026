// Package browsertest proves the seat map in a real browser: its tests start
// the whole server in process on a free port with a temporary database, drive
// Debian's Chromium through the DevTools protocol (chromedp) and check what a
// guest relies on: live updates between guests, catching up after a lost
// event stream, keyboard use, booking without JavaScript, accessibility
// (axe-core), a phone-sized screen, and many tabs of one browser.
//
// The package has no code outside its tests. Locally the tests skip with a
// one-line reason when Chromium or axe-core is missing; under CI=true they
// fail instead. BOXOFFICE_CHROMIUM names the browser (default: chromium on
// the PATH), BOXOFFICE_AXE_JS the file axe.min.js of axe-core, and
// BOXOFFICE_SCREENSHOTS the folder for the PNGs the tests save (default: each
// test's temporary directory).
package browsertest
