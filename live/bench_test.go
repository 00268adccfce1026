package live

import (
	"fmt"
	"strconv"
	"sync"
	"testing"

	"boxoffice"
)

// BenchmarkFanOut: one op is one committed change reaching every watcher of
// a show, each taking the shared encoding as an event stream does.
// go test -run '^$' -bench FanOut -benchmem ./live/
func BenchmarkFanOut(b *testing.B) {
	for _, n := range []int{100, 10_000} {
		b.Run(fmt.Sprint(n, "-watchers"), func(b *testing.B) {
			log := &fakeLog{}
			hub := NewHub(log, Options{})
			defer hub.Close()
			encode := func(c boxoffice.Change) []byte { return strconv.AppendInt(nil, c.Version, 10) }
			var got sync.WaitGroup
			for range n {
				sub, err := hub.Subscribe("s", 0)
				if err != nil {
					b.Fatal(err)
				}
				go func() {
					for e := range sub.C() {
						_ = e.Shared(encode)
						got.Done()
					}
				}()
			}
			b.ReportAllocs()
			for b.Loop() {
				got.Add(n)
				log.append("A1")
				hub.Poke("s")
				got.Wait()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/delivery")
		})
	}
}
