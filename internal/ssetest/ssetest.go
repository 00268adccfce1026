// Package ssetest reads event streams for tests that drive a real server.
package ssetest

import (
	"bufio"
	"net/http"
	"strings"
	"testing"
	"time"
)

// Watch opens the event stream at url and returns the data of each event as
// it arrives, the first being the snapshot. The channel closes when the
// stream ends; the stream is closed when the test ends.
func Watch(t testing.TB, url string) <-chan string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("opening the event stream %s: %v", url, err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		t.Fatalf("opening the event stream %s: %s", url, resp.Status)
	}
	events := make(chan string, 64)
	go func() {
		defer close(events)
		defer resp.Body.Close()
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			if data, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
				events <- data
			}
		}
	}()
	return events
}

// Await reads events (from Watch) until one's data matches, and fails the
// test if the stream ends first or none matches within 10 s; what names the
// event awaited.
func Await(t testing.TB, events <-chan string, what string, match func(data string) bool) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case data, ok := <-events:
			if !ok {
				t.Fatalf("the event stream ended while waiting for %s", what)
			}
			if match(data) {
				return
			}
		case <-timeout:
			t.Fatalf("the event stream did not bring %s within 10s", what)
		}
	}
}
