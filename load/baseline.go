package load

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"time"
)

// baseline is what every figure is compared with: an empty handler served in
// this process, driven with the scenario's client settings and concurrency.
type baseline struct {
	hs   *http.Server
	src  *sources
	crew *crew
}

// startBaseline serves the empty handler and readies conns workers for it,
// from as many source addresses as the scenario's.
func startBaseline(cfg Config, conns int, cnt *counts) (*baseline, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	body := []byte(`{"ok":true}` + "\n")
	b := &baseline{
		hs: &http.Server{
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(body)
			}),
			ReadHeaderTimeout: 5 * time.Second,
		},
		src:  newSources(cfg.SourceAddrs, conns, cfg.Timeout),
		crew: &crew{name: opBaseline},
	}
	go func() { _ = b.hs.Serve(ln) }()
	for i := range conns {
		b.crew.workers = append(b.crew.workers, &reader{c: caller{hc: b.src.client(i), base: "http://" + ln.Addr().String()},
			op: opBaseline, path: "/", t: newTallies(cnt)})
	}
	return b, nil
}

func (b *baseline) close() {
	b.src.close()
	_ = b.hs.Close()
}

// row is the baseline's figures, having been driven for seconds in all.
func (b *baseline) row(seconds float64) (Row, error) {
	rows := crewRows(b.crew, seconds)
	if len(rows) == 0 || rows[0].OK == 0 {
		return Row{}, errors.New("the baseline answered nothing")
	}
	return rows[0], nil
}

// turns splits d into turns of about turn each; turn 0 (or longer than d)
// is one turn of d.
func turns(d, turn time.Duration) []time.Duration {
	if turn <= 0 || turn >= d {
		return []time.Duration{d}
	}
	n := int((d + turn - 1) / turn)
	ts := make([]time.Duration, n)
	for i := range ts {
		ts[i] = d / time.Duration(n)
	}
	ts[n-1] += d - d/time.Duration(n)*time.Duration(n)
	return ts
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
