package stream

import (
	"fmt"
	"testing"

	"boxoffice"
	"boxoffice/live"
)

// BenchmarkEventFrames: one op is one change's frames for 10,000 viewers of
// a show, one of whom holds its seat; the rest share one encoding.
func BenchmarkEventFrames(b *testing.B) {
	viewers := make([]boxoffice.Guest, 10_000)
	for i := range viewers {
		viewers[i] = boxoffice.GuestFromToken(fmt.Sprint(i))
	}
	b.ReportAllocs()
	v := int64(0)
	for b.Loop() {
		v++
		e := &live.Event{Change: boxoffice.Change{Show: "s", Version: v,
			Seats: []boxoffice.SeatChange{{Seat: "D7", Holder: viewers[0], By: viewers[0]}}}}
		for _, g := range viewers {
			if len(eventFor(e, g)) == 0 {
				b.Fatal("empty frame")
			}
		}
	}
}
