package load

import (
	"fmt"
	"strings"
	"text/tabwriter"
)

// Onsale is what the onsale scenario adds to the report. Every guest that
// arrived ends as exactly one of booked, sold out, gave up, failed or cut
// off.
type Onsale struct {
	Arrivals  float64 `json:"arrivals_per_second"` // --arrivals: the rate after the ramp
	RampSec   float64 `json:"ramp_seconds"`
	ThinkSec  float64 `json:"think_seconds"`
	MaxAlive  int     `json:"max_alive"` // the bound on guests alive at once (--guests)
	PeakAlive int     `json:"peak_alive"`

	Scheduled int `json:"scheduled"` // arrivals the schedule had
	Arrived   int `json:"arrived"`
	// Dropped arrivals found MaxAlive guests still on their way: they never
	// came in, and the figures are the kinder for it.
	Dropped  int `json:"dropped"`
	Finished int `json:"finished"`
	CutOff   int `json:"cut_off"` // still on their way when the wait for them after --duration ended

	Booked   int `json:"booked"`   // had a booking acknowledged
	SoldOut  int `json:"sold_out"` // found no run of their party's size free
	GaveUp   int `json:"gave_up"`  // lost every try to other guests
	Failed   int `json:"failed"`   // an error or a refusal ended the visit
	Released int `json:"released"` // booked, then released one or all of their seats
	Rebooked int `json:"rebooked"` // of those, booked again elsewhere

	// PerSecond is the arrival rate reached: guests who came in a second,
	// once the ramp was over (or over its last second, if it lasted the
	// run); PerMinute is the same a minute.
	PerSecond float64 `json:"arrival_rate_reached"`
	PerMinute float64 `json:"arrivals_per_minute_reached"`
	SeatsSold int     `json:"seats_sold"` // seats free before the run and held after it, in all shows

	// Shows are the shows driven (--shows), the premiere first: the one the
	// watchers watch. Seats is their seats in all.
	Shows []OnsaleShow `json:"shows"`
	Seats int          `json:"seats"`
}

// writeOnsale is onsale's head and table: latencies and counts per step,
// with no baseline to compare with, then how the guests fared.
func (rep *Report) writeOnsale(b *strings.Builder) {
	o := rep.Onsale
	where := fmt.Sprintf("show %s (%d seats)", rep.Show, rep.Seats)
	if len(o.Shows) > 1 {
		where = fmt.Sprintf("%d shows (%d seats in all; the premiere %s watched)", len(o.Shows), o.Seats, rep.Show)
	}
	fmt.Fprintf(b, "scenario onsale on %s, %s: guests arriving at up to %g a second (ramp %gs, pauses up to %gs), "+
		"at most %d at once, %d watchers, %gs; %s; open files limit %d\n",
		rep.Server, where, o.Arrivals, o.RampSec, o.ThinkSec, o.MaxAlive, rep.Watchers, rep.Duration, rep.Machine, rep.OpenFile)
	fmt.Fprintf(b, "limits: %s; each guest and watcher from a source address of its own, 127.0.0.2 onwards\n\n", rep.Limits)
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	width := len("event delivery")
	fmt.Fprintf(tw, "%-*s\tcount\tok\tconflicts\t429\t503\terrors\tp50 ms\tp90 ms\tp99 ms\tmax ms\t\n", width, "step")
	for _, r := range rep.Rows {
		fmt.Fprintf(tw, "%-*s\t%d\t%d\t%d\t%d\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t\n", width, r.Name, r.Ops, r.OK, r.Conflicts,
			r.Limited-r.Unavailable, r.Unavailable, r.Errors, r.P50, r.P90, r.P99, r.Max)
	}
	tw.Flush()
	fmt.Fprintf(b, "\nguests: %d arrived of %d scheduled", o.Arrived, o.Scheduled)
	if o.Dropped > 0 {
		fmt.Fprintf(b, ", %d DROPPED (%d were on their way already: raise --guests)", o.Dropped, o.MaxAlive)
	}
	fmt.Fprintf(b, "; at most %d at once; %d finished", o.PeakAlive, o.Finished)
	if o.CutOff > 0 {
		fmt.Fprintf(b, ", %d cut off still on their way", o.CutOff)
	}
	fmt.Fprintf(b, "\n  %d booked, %d sold out, %d gave up, %d failed; %d released seats afterwards, %d of them booked again\n",
		o.Booked, o.SoldOut, o.GaveUp, o.Failed, o.Released, o.Rebooked)
	fmt.Fprintf(b, "arrival rate reached: %.1f guests a second, %.0f a minute; seats sold: %d", o.PerSecond, o.PerMinute, o.SeatsSold)
	if len(o.Shows) < 2 {
		b.WriteString("\n")
		return
	}
	fmt.Fprintf(b, " of %d free in %d shows\n", o.free(), len(o.Shows))
	tw = tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	width = 0
	for _, s := range o.Shows {
		width = max(width, len(s.ID))
	}
	for _, s := range o.Shows {
		fmt.Fprintf(tw, "  %-*s\t%d guests\t%d of %d free seats sold\t(%d seats)\t\n", width, s.ID, s.Guests, s.Sold, s.Free, s.Seats)
	}
	tw.Flush()
}

// free is the seats free in all shows when the run began.
func (o *Onsale) free() int {
	n := 0
	for _, s := range o.Shows {
		n += s.Free
	}
	return n
}
