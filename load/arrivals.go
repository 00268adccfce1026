package load

import (
	"context"
	"math"
	"time"
)

// rampSchedule is when onsale's guests arrive: at a rate growing linearly
// from 0 to rate a second over ramp, then holding it until duration. The
// k-th guest (from 0) arrives when k guests are due, that is when the
// integral of the rate reaches k, so the schedule depends on the clock
// alone, never on how fast earlier guests got on.
type rampSchedule struct {
	rate     float64 // guests a second once the ramp is over
	ramp     time.Duration
	duration time.Duration
}

// at is when guest k arrives, counted from the start, and false when that
// is not before the end.
func (s rampSchedule) at(k int) (time.Duration, bool) {
	n, ramp := float64(k), s.ramp.Seconds()
	// Guests due by the end of the ramp: the area under the rising rate.
	onRamp := s.rate * ramp / 2
	var t float64
	if n < onRamp {
		// n = rate/ramp · t²/2
		t = math.Sqrt(2 * n * ramp / s.rate)
	} else {
		t = ramp + (n-onRamp)/s.rate
	}
	d := time.Duration(t * float64(time.Second))
	return d, d < s.duration
}

// arrive calls admit with each guest's number and intended arrival time,
// on the schedule from start, until it ends or ctx does. admit must not
// block: a guest it cannot take is its to count.
func (s rampSchedule) arrive(ctx context.Context, start time.Time, admit func(k int, intended time.Time)) {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for k := 0; ; k++ {
		d, ok := s.at(k)
		if !ok {
			return
		}
		t := start.Add(d)
		if !waitUntil(ctx, timer, t) {
			return
		}
		admit(k, t)
	}
}
