package web_test

import (
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"boxoffice"
	"boxoffice/web"
)

// No log line writes a ticket's code beyond its first group: not the
// access log, not an error, not a failed token, on any ticket route,
// however the code was typed.
func TestTicketCodesStayOutOfTheLog(t *testing.T) {
	log := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clock := newClock()
	e, _ := newPagesEnv(t, nil, func(c *web.Config) { c.DoorToken, c.Now, c.Logger = doorToken, clock.Now, logger })
	g := e.guest()
	g.book(openShow, "A1")
	code := boxoffice.TicketCodeFor(openShow, g.token()).String()
	lower := strings.ToLower(code)
	usher := e.guest()
	usher.signIn(doorToken)
	for _, typed := range []string{code, lower, strings.ReplaceAll(code, "-", ""), strings.ReplaceAll(lower, "-", " ")} {
		g.do("GET", "/tickets/"+typed, "", "")
		usher.do("POST", "/tickets/"+typed+"/admit", "", "")
		g.do("GET", "/api/tickets/"+typed, "", "")
		g.do("GET", "/api/tickets/"+typed+"/more", "", "")
		usher.door("POST", admitPath(typed))
		e.guestFrom("127.0.4.1").do("POST", admitPath(typed), "", "", "Authorization", "Bearer wrong")
	}
	for _, err := range []error{errors.New("something unforeseen"), boxoffice.Errorf(boxoffice.EUNAVAILABLE, "down")} {
		f := newEnvWith(t, testLayout, func(c *web.Config) {
			c.Store, c.Logger, c.AdminToken, c.DoorToken = failingStore{c.Store, err}, logger, adminToken, doorToken
		}, (*httptest.Server).Start)
		fg := f.guest()
		fg.do("GET", "/api/tickets/"+code, "", "")
		fg.door("POST", admitPath(lower))
	}

	for _, part := range []string{code[5:], lower[5:], code[5:9], lower[5:9], code[10:], lower[10:]} {
		if lines := log.lines(part); len(lines) > 0 {
			t.Errorf("the log writes %q of the code:\n%s", part, strings.Join(lines, ""))
		}
	}
	for _, want := range []string{
		`path=/tickets/` + code[:4] + "-…",
		`path=/tickets/` + code[:4] + "-…/admit",
		`path=/api/tickets/` + code[:4] + "-…",
		`path=/api/tickets/` + code[:4] + "-…/…",
		`path=/api/admin/tickets/` + code[:4] + "-…/admit",
	} {
		if len(log.lines(`msg=request `, want+" ")) == 0 {
			t.Errorf("no access line has %s", want)
		}
	}
	for _, msg := range []string{`"admin authentication failed"`, `level=ERROR msg="request failed"`, `level=WARN msg="request failed"`} {
		if len(log.lines(msg, "tickets/"+code[:4]+"-…")) == 0 {
			t.Errorf("no %s line with the cut path", msg)
		}
	}
}
