package load

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"time"
)

// runBaseline drives an empty handler in this process with conns workers.
func runBaseline(ctx context.Context, cfg Config, conns int, bar *os.File) (Row, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return Row{}, fmt.Errorf("baseline: %w", err)
	}
	body := []byte(`{"ok":true}` + "\n")
	hs := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(body)
		}),
		ReadHeaderTimeout: 5 * time.Second,
	}
	go func() { _ = hs.Serve(ln) }()
	defer hs.Close()
	hc := newClient(conns, cfg.Timeout)
	defer hc.CloseIdleConnections()
	cnt := &counts{}
	cr := &crew{name: opBaseline}
	for range conns {
		cr.workers = append(cr.workers, &reader{c: caller{hc: hc, base: "http://" + ln.Addr().String()}, op: opBaseline, path: "/", t: newTallies(cnt)})
	}
	p := startProgress(bar, opBaseline, cfg.Duration, cnt)
	elapsed := drive(ctx, []*crew{cr}, cfg.Duration)
	p.finish()
	rows := crewRows(cr, elapsed.Seconds())
	if len(rows) == 0 || rows[0].OK == 0 {
		return Row{}, errors.New("the baseline answered nothing")
	}
	return rows[0], nil
}

// crewRows merges a crew's tallies into a row per operation, and a total row
// when it did several kinds: the rate ratio goes on the crew's one row or
// on its total.
func crewRows(cr *crew, seconds float64) []Row {
	merged := map[string]*tally{}
	var names []string
	for _, w := range cr.workers {
		for name, t := range w.tallies() {
			if merged[name] == nil {
				merged[name] = &tally{}
				names = append(names, name)
			}
			merged[name].merge(t)
		}
	}
	slices.Sort(names)
	var rows []Row
	total := &tally{}
	for _, name := range names {
		rows = append(rows, makeRow(name, merged[name], seconds))
		total.merge(merged[name])
	}
	if len(rows) > 1 {
		rows = append(rows, makeRow(cr.name+", all", total, seconds))
	}
	if len(rows) > 0 {
		rows[len(rows)-1].Workers = len(cr.workers)
		rows[len(rows)-1].Dropped = cr.dropped.Load()
	}
	return rows
}
