package load

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// watcher reads a show's event stream as a browser's EventSource would: it
// reconnects with Last-Event-ID when the stream ends. It talks HTTP/1.1 over
// its own connection with small buffers, so that 10,000 of them stay light
// in the tool's memory and never share a connection.
type watcher struct {
	host, path string
	dial       func(ctx context.Context, network, addr string) (net.Conn, error) // nil: from the address the system chooses
	sent       *sendTimes
	ready      func(error) // called once: the snapshot arrived, connecting failed, or a limit refused it

	last       atomic.Int64 // the last version seen
	live       atomic.Bool  // a snapshot arrived: the watcher follows the show
	lat        []uint32     // delivery latencies, microseconds
	pending    []arrival    // events that arrived before their write's answer
	reconnects int
	gaps       int // events that skipped versions: never allowed
	errs       int // failed connections and streams
	limited    int // streams refused by a limit (429, 503)
}

// errWatcherLimited is what a watcher refused by a limit before its first
// snapshot tells connectWatchers: not connected, yet not failed either.
var errWatcherLimited = errors.New("the event stream was refused by a limit")

// limitedAnswer is a 429 or 503 answer to a stream request, and how long it
// asked the client to wait.
type limitedAnswer struct {
	status     int
	retryAfter time.Duration
}

func (l *limitedAnswer) Error() string {
	return fmt.Sprintf("event stream: status %d, retry after %v", l.status, l.retryAfter)
}

type arrival struct {
	version int64
	at      time.Time
}

const watcherBuffer = 4 << 10

// run watches until ctx ends.
func (w *watcher) run(ctx context.Context) {
	first := true
	for ctx.Err() == nil {
		err := w.stream(ctx, &first)
		if ctx.Err() != nil {
			return
		}
		// Refused by a limit, a browser's page waits as long as the answer
		// asks and tries again; so does the watcher, without counting an
		// error or a reconnect.
		var lim *limitedAnswer
		if errors.As(err, &lim) {
			w.limited++
			if first {
				first = false
				w.ready(errWatcherLimited)
			}
			select {
			case <-time.After(lim.retryAfter):
			case <-ctx.Done():
				return
			}
			continue
		}
		if first {
			// The stream failed before its snapshot: this watcher is out.
			w.errs++
			if err == nil || errors.Is(err, io.EOF) {
				err = errors.New("the event stream ended before its snapshot")
			}
			first = false
			w.ready(err)
			return
		}
		// A stream the server ends (its lifetime, a watcher fallen behind,
		// a restart) is a reconnect, as in a browser; anything else an error.
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			w.errs++
		}
		w.reconnects++
		// A browser waits the retry delay the stream set; a short pause
		// keeps a failing server from being hammered.
		select {
		case <-time.After(100 * time.Millisecond):
		case <-ctx.Done():
			return
		}
	}
}

// stream reads one connection's events until it ends.
func (w *watcher) stream(ctx context.Context, first *bool) error {
	dial := w.dial
	if dial == nil {
		dial = watcherDialer(0, 1)
	}
	conn, err := dial(ctx, "tcp", w.host)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	req := "GET " + w.path + " HTTP/1.1\r\nHost: " + w.host + "\r\nAccept: text/event-stream\r\n"
	if last := w.last.Load(); last > 0 {
		req += "Last-Event-ID: " + strconv.FormatInt(last, 10) + "\r\n"
	}
	if _, err := io.WriteString(conn, req+"\r\n"); err != nil {
		return err
	}
	br := bufio.NewReaderSize(conn, watcherBuffer)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if isLimited(resp.StatusCode) {
		return &limitedAnswer{resp.StatusCode, retryAfter(resp.Header)}
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("event stream: status %d", resp.StatusCode)
	}
	body := br
	if len(resp.TransferEncoding) > 0 {
		body = bufio.NewReaderSize(resp.Body, watcherBuffer)
	}
	var event string
	var id int64 = -1
	for {
		line, err := body.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A long data line (the snapshot): only id and event matter.
			for errors.Is(err, bufio.ErrBufferFull) {
				_, err = body.ReadSlice('\n')
			}
			continue
		}
		if err != nil {
			return err
		}
		line = bytes.TrimRight(line, "\r\n")
		switch {
		case len(line) == 0:
			if event != "" && id >= 0 {
				w.dispatch(event, id, first)
			}
			event, id = "", -1
		case bytes.HasPrefix(line, []byte("event:")):
			event = string(bytes.TrimSpace(line[len("event:"):]))
		case bytes.HasPrefix(line, []byte("id:")):
			id, _ = strconv.ParseInt(string(bytes.TrimSpace(line[len("id:"):])), 10, 64)
		}
	}
}

func (w *watcher) dispatch(event string, id int64, first *bool) {
	switch event {
	case "snapshot":
		w.last.Store(id)
		w.live.Store(true)
		if *first {
			*first = false
			w.ready(nil)
		}
	case "seats":
		at := time.Now()
		if last := w.last.Load(); id != last+1 {
			w.gaps++
		}
		w.last.Store(id)
		if sent, ok := w.sent.get(id); ok {
			w.lat = append(w.lat, micros(at.Sub(sent)))
		} else {
			w.pending = append(w.pending, arrival{id, at})
		}
	}
}

// settle attributes the events that arrived before their write's answer; it
// returns how many had no acknowledged write of this run to match.
func (w *watcher) settle() (unmatched int) {
	for _, a := range w.pending {
		if sent, ok := w.sent.get(a.version); ok {
			w.lat = append(w.lat, micros(a.at.Sub(sent)))
		} else {
			unmatched++
		}
	}
	w.pending = nil
	return unmatched
}

// WatchStats sums up the watchers.
type WatchStats struct {
	Watchers   int     `json:"watchers"`
	Connected  int     `json:"connected"`
	ConnectSec float64 `json:"connect_seconds"` // until every snapshot had arrived
	Events     int64   `json:"events_delivered"`
	Reconnects int     `json:"reconnects"`
	Gaps       int     `json:"gaps"`      // events that skipped a version
	Unmatched  int     `json:"unmatched"` // events without an acknowledged write to time them by
	Errors     int     `json:"errors"`
	Limited    int     `json:"limited"`       // stream requests refused by a limit (429, 503)
	Behind     int     `json:"behind_at_end"` // watchers that had not seen the last write when the drain timed out
}

// watchCrew connects n watchers, waits for their snapshots, and lets them
// watch until stop is called.
type watchCrew struct {
	ws     []*watcher
	cancel context.CancelFunc
	wg     sync.WaitGroup
	stats  WatchStats
}

// connectWatchers opens n streams, at most 100 connecting at once so the
// server's accept queue does not overflow, spread over the hosts (instances
// of one server) and over sourceAddrs source addresses, each in turn, and waits for every snapshot or refusal by a limit, or until
// setup ends. A watcher refused by a limit goes on trying, as a browser
// would, and is not counted as connected.
func connectWatchers(ctx, setup context.Context, hosts []string, path string, n, sourceAddrs int, sent *sendTimes) (*watchCrew, error) {
	wctx, cancel := context.WithCancel(ctx)
	wc := &watchCrew{cancel: cancel, stats: WatchStats{Watchers: n}}
	ready := make(chan error, n)
	start := time.Now()
	gate := make(chan struct{}, 100)
	for i := range n {
		w := &watcher{host: hosts[i%len(hosts)], path: path, dial: watcherDialer(i, sourceAddrs), sent: sent}
		// The gate opens for the next watcher once this one is in.
		w.ready = func(err error) { <-gate; ready <- err }
		wc.ws = append(wc.ws, w)
		wc.wg.Go(func() {
			select {
			case gate <- struct{}{}:
			case <-wctx.Done():
				return
			}
			w.run(wctx)
		})
	}
	var failed error
	fails := 0
	for range n {
		select {
		case err := <-ready:
			switch {
			case errors.Is(err, errWatcherLimited):
			case err != nil:
				failed = err
				fails++
			default:
				wc.stats.Connected++
			}
		case <-setup.Done():
			wc.stop()
			return nil, fmt.Errorf("only %d of %d watchers had their snapshot before setup ended", wc.stats.Connected, n)
		}
	}
	wc.stats.ConnectSec = time.Since(start).Seconds()
	if failed != nil {
		wc.stop()
		return nil, fmt.Errorf("%d of %d watchers could not connect: %w", fails, n, failed)
	}
	return wc, nil
}

// drain waits until every watcher that ever had its snapshot has seen
// version (the last write's), or until timeout. Watchers a limit kept out
// all along are not waited for.
func (wc *watchCrew) drain(version int64, timeout time.Duration) {
	deadline := time.Now().Add(timeout)
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		behind := 0
		for _, w := range wc.ws {
			if w.live.Load() && w.last.Load() < version {
				behind++
			}
		}
		wc.stats.Behind = behind
		if behind == 0 || time.Now().After(deadline) {
			return
		}
		<-tick.C
	}
}

func (wc *watchCrew) stop() {
	wc.cancel()
	wc.wg.Wait()
}

// collect stops the watchers and sums them up into t.
func (wc *watchCrew) collect(t *tally) WatchStats {
	wc.stop()
	for _, w := range wc.ws {
		wc.stats.Unmatched += w.settle()
		wc.stats.Reconnects += w.reconnects
		wc.stats.Gaps += w.gaps
		wc.stats.Errors += w.errs
		wc.stats.Limited += w.limited
		wc.stats.Events += int64(len(w.lat))
		t.ok += int64(len(w.lat))
		t.lat = append(t.lat, w.lat...)
	}
	return wc.stats
}
