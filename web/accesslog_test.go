package web_test

import (
	"errors"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"boxoffice/web"
)

// Each access-log mode logs the request lines it promises, with the fields
// of every access line, and nothing else; the observer hears every request
// whatever the mode, so the metrics still count them all.
func TestAccessLogModes(t *testing.T) {
	requests := []struct {
		name   string
		status int
		level  string
	}{
		{"a 200", 200, "INFO"},
		{"a 404 problem", 404, "INFO"},
		{"a 500", 500, "WARN"},
	}
	for _, tc := range []struct {
		mode web.AccessLog
		want []int // the statuses that get a line
	}{
		{web.AccessLogAll, []int{200, 404, 500}},
		{web.AccessLogErrors, []int{404, 500}},
		{web.AccessLogOff, nil},
	} {
		t.Run(tc.mode.String(), func(t *testing.T) {
			log := &syncBuffer{}
			logger := slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelDebug}))
			obs := &observer{}
			configure := func(c *web.Config) { c.Logger, c.Observer, c.AccessLog = logger, obs, tc.mode }
			ok := newEnvWith(t, testLayout, configure, (*httptest.Server).Start)
			failing := newEnvWith(t, testLayout, func(c *web.Config) {
				configure(c)
				c.Store = failingStore{c.Store, errors.New("something unforeseen")}
			}, (*httptest.Server).Start)

			answers := []response{
				ok.guest().do("GET", "/api/shows/"+openShow, "", ""),
				ok.guest().do("GET", "/api/shows/no-such-show", "", ""),
				failing.guest().do("GET", "/api/shows/"+openShow, "", ""),
			}
			for i, r := range requests {
				a := answers[i]
				if a.status != r.status {
					t.Fatalf("%s: got status %d", r.name, a.status)
				}
				id := a.header.Get("X-Request-Id")
				if id == "" {
					t.Errorf("%s: no X-Request-Id", r.name)
				}
				// The answer leaves once the handler, and so its log line,
				// is done: the line is there already if it is to be.
				lines := log.lines("msg=request ", "id="+id+" ")
				if !slices.Contains(tc.want, r.status) {
					if len(lines) > 0 {
						t.Errorf("%s: --access-log %s logged %q", r.name, tc.mode, lines)
					}
					continue
				}
				if len(lines) != 1 {
					t.Errorf("%s: --access-log %s: %d access lines, want 1\n%s", r.name, tc.mode, len(lines), log.lines())
					continue
				}
				for _, field := range []string{"level=" + r.level + " ", "client=127.0.0.1 ", "method=GET ",
					"path=/api/shows/", "status=" + strconv.Itoa(r.status) + " ", "bytes=", "duration="} {
					if !strings.Contains(lines[0], field) {
						t.Errorf("%s: the access line lacks %q: %s", r.name, field, lines[0])
					}
				}
			}
			if got, _ := obs.state(); len(got) != len(requests) {
				t.Errorf("--access-log %s: the observer heard %q, want all %d requests", tc.mode, got, len(requests))
			}
			// The 500's own error line is no access line: every mode keeps it.
			if len(log.lines("level=ERROR ", "msg=\"request failed\"")) != 1 {
				t.Errorf("--access-log %s: the 500's error line is missing:\n%s", tc.mode, log.lines())
			}
		})
	}
}

// The flag's words are the contract: all, errors and off, and nothing else.
func TestAccessLogText(t *testing.T) {
	for _, mode := range []web.AccessLog{web.AccessLogAll, web.AccessLogErrors, web.AccessLogOff} {
		var back web.AccessLog = -1
		if err := back.UnmarshalText([]byte(mode.String())); err != nil || back != mode {
			t.Errorf("%s read back as %v, %v", mode, back, err)
		}
	}
	if web.AccessLogAll.String() != "all" || web.AccessLogErrors.String() != "errors" || web.AccessLogOff.String() != "off" {
		t.Errorf("names: %s %s %s", web.AccessLogAll, web.AccessLogErrors, web.AccessLogOff)
	}
	for _, bad := range []string{"", "ALL", "none", "error", "on"} {
		var a web.AccessLog
		if err := a.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%q accepted as %v", bad, a)
		}
	}
}
