package load

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// Report is a run's results.
type Report struct {
	Scenario string  `json:"scenario"`
	Server   string  `json:"server"` // "in process (sqlite)", or the target URL
	Show     string  `json:"show"`
	Seats    int     `json:"seats"`
	Guests   int     `json:"guests"`
	Readers  int     `json:"readers,omitempty"`
	Watchers int     `json:"watchers,omitempty"`
	Rate     float64 `json:"rate,omitempty"`
	Duration float64 `json:"duration_seconds"`
	Turn     float64 `json:"turn_seconds"` // baseline and scenario took turns this long; 0: baseline first
	Machine  string  `json:"machine"`
	OpenFile uint64  `json:"open_files_limit"`

	// Limits says whether the server limited its clients: "off" or "on
	// (defaults)" in process, "the target's own" for a --target.
	Limits string `json:"limits"`
	// SourceAddrs is how many source addresses the clients came from, when
	// more than one.
	SourceAddrs int `json:"source_addrs,omitempty"`

	Baseline Row   `json:"baseline,omitzero"` // none for onsale
	Rows     []Row `json:"rows"`

	Watch  *WatchStats `json:"watch,omitempty"`
	Onsale *Onsale     `json:"onsale,omitempty"`
	// Commits is the server's writer during the scenario, from its /metrics.
	Commits *Commits `json:"commits,omitempty"`

	RSSMB   float64 `json:"rss_peak_mb,omitempty"`
	RSSNote string  `json:"rss_note,omitempty"`
	// ToolRSSMB is the tool's own peak, when the server runs elsewhere.
	ToolRSSMB float64 `json:"tool_rss_peak_mb,omitempty"`

	Invariant *Invariant `json:"invariant,omitempty"`
	Notes     []string   `json:"notes,omitempty"`
}

// Row is one kind of operation's figures. Ratios compare with the baseline
// row of the same run: RateRatio per worker (ops/s per worker here over ops/s
// per worker there, so a crew that is part of the load compares fairly), and
// each latency over the baseline's.
type Row struct {
	Name      string  `json:"name"`
	Workers   int     `json:"workers,omitempty"` // set on a crew's total: the rate's ratio is its
	Ops       int64   `json:"ops"`
	PerSec    float64 `json:"ops_per_second"`
	OK        int64   `json:"successes"`
	Conflicts int64   `json:"conflicts"`
	Errors    int64   `json:"errors"`
	Limited   int64   `json:"limited"` // refused by a limit (429, 503): neither an error nor acknowledged
	// Unavailable is how many of Limited were 503s: the server at a limit of
	// its own, or failing, rather than a limit per client.
	Unavailable int64 `json:"unavailable,omitempty"`
	Dropped     int64 `json:"dropped,omitempty"` // scheduled (--rate) but not sent before the end
	Quantiles
	RateRatio float64 `json:"rate_ratio,omitempty"`
	P50Ratio  float64 `json:"p50_ratio,omitempty"`
	P99Ratio  float64 `json:"p99_ratio,omitempty"`
}

// Invariant is the final check's outcome.
type Invariant struct {
	Operations int      `json:"operations"`
	Seats      int      `json:"seats_checked"`
	Unverified int      `json:"unverified"` // outcomes allowed only because an answer was missing
	Violations []string `json:"violations"`
}

func makeRow(name string, t *tally, seconds float64) Row {
	r := Row{Name: name, OK: t.ok, Conflicts: t.conflicts, Errors: t.errors, Limited: t.limited, Unavailable: t.unavailable}
	r.Ops = t.ok + t.conflicts + t.errors + t.limited
	if seconds > 0 {
		r.PerSec = float64(r.Ops) / seconds
	}
	r.Quantiles = quantiles(t.lat)
	return r
}

// compare sets r's ratios to the baseline.
func (r *Row) compare(base Row) {
	ratio := func(a, b float64) float64 {
		if b == 0 {
			return 0
		}
		return a / b
	}
	if r.Workers > 0 && base.Workers > 0 {
		r.RateRatio = ratio(r.PerSec/float64(r.Workers), base.PerSec/float64(base.Workers))
	}
	r.P50Ratio = ratio(r.P50, base.P50)
	r.P99Ratio = ratio(r.P99, base.P99)
}

// WriteJSON writes the report as indented JSON.
func (rep *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// WriteText writes the report as a table for people.
func (rep *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	if rep.Onsale != nil {
		rep.writeOnsale(&b)
	} else {
		rep.writeTable(&b)
	}
	if ws := rep.Watch; ws != nil {
		fmt.Fprintf(&b, "\nwatchers: %d of %d connected in %.1fs; %d events delivered, %d reconnects, %d gaps, %d unmatched, %d errors, %d limited, %d behind at the end\n",
			ws.Connected, ws.Watchers, ws.ConnectSec, ws.Events, ws.Reconnects, ws.Gaps, ws.Unmatched, ws.Errors, ws.Limited, ws.Behind)
	}
	if c := rep.Commits; c != nil && c.Batches > 0 {
		fmt.Fprintf(&b, "\nserver commits: %.0f, %.1f operations and %.2f ms each; the writer was busy %.0f%% of the time\n",
			c.Batches, c.PerBatch, c.MeanMS, 100*c.Busy)
	}
	if rep.RSSMB > 0 {
		fmt.Fprintf(&b, "\nserver RSS peak: %.0f MB (%s)\n", rep.RSSMB, rep.RSSNote)
	} else if rep.RSSNote != "" {
		fmt.Fprintf(&b, "\nserver RSS: %s\n", rep.RSSNote)
	}
	if rep.ToolRSSMB > 0 {
		fmt.Fprintf(&b, "load tool RSS peak: %.0f MB\n", rep.ToolRSSMB)
	}
	for _, n := range rep.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	if inv := rep.Invariant; inv != nil {
		fmt.Fprintf(&b, "\ninvariant check: %d operations on %d seats", inv.Operations, inv.Seats)
		if inv.Unverified > 0 {
			fmt.Fprintf(&b, ", %d outcomes unverified (no answer)", inv.Unverified)
		}
		if len(inv.Violations) == 0 {
			b.WriteString(": no violation\n")
		} else {
			fmt.Fprintf(&b, ": %d VIOLATIONS\n", len(inv.Violations))
			for _, v := range inv.Violations {
				fmt.Fprintf(&b, "  %s\n", v)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeTable is the head and the table of every scenario but onsale: each
// figure beside the baseline's.
func (rep *Report) writeTable(b *strings.Builder) {
	fmt.Fprintf(b, "scenario %s on %s, show %s (%d seats), %d guests", rep.Scenario, rep.Server, rep.Show, rep.Seats, rep.Guests)
	if rep.Readers > 0 {
		fmt.Fprintf(b, ", %d readers", rep.Readers)
	}
	if rep.Watchers > 0 {
		fmt.Fprintf(b, ", %d watchers", rep.Watchers)
	}
	if rep.Rate > 0 {
		fmt.Fprintf(b, ", open loop at %g ops/s", rep.Rate)
	}
	fmt.Fprintf(b, ", %gs", rep.Duration)
	if rep.Turn > 0 && rep.Turn < rep.Duration {
		fmt.Fprintf(b, " in turns of %gs with the baseline", rep.Turn)
	}
	fmt.Fprintf(b, "; %s; open files limit %d\n", rep.Machine, rep.OpenFile)
	fmt.Fprintf(b, "limits: %s", rep.Limits)
	if rep.SourceAddrs > 1 {
		fmt.Fprintf(b, "; clients from %d source addresses, 127.0.0.2 onwards", rep.SourceAddrs)
	}
	b.WriteString("\n\n")
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', tabwriter.AlignRight)
	// Numbers align right; names, padded to one width first, read left.
	width := len("operation")
	for _, r := range append(rep.Rows, rep.Baseline) {
		width = max(width, len(r.Name))
	}
	fmt.Fprintf(tw, "%-*s\tops/s\tok\tconflicts\tlimited\terrors\tp50 ms\tp90 ms\tp99 ms\tp99.9 ms\tmax ms\t× base rate\t× base p50\t× base p99\t\n", width, "operation")
	line := func(r Row) {
		x := func(v float64) string {
			if v == 0 {
				return "-"
			}
			return fmt.Sprintf("%.2f", v)
		}
		fmt.Fprintf(tw, "%-*s\t%.0f\t%d\t%d\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%s\t%s\t%s\t\n", width, r.Name, r.PerSec, r.OK, r.Conflicts,
			r.Limited, r.Errors, r.P50, r.P90, r.P99, r.P999, r.Max, x(r.RateRatio), x(r.P50Ratio), x(r.P99Ratio))
	}
	line(rep.Baseline)
	for _, r := range rep.Rows {
		line(r)
	}
	tw.Flush()
	for _, r := range rep.Rows {
		if r.Dropped > 0 {
			fmt.Fprintf(b, "%s: %d scheduled operations were not sent before their time was up, every guest being busy "+
				"(a few at the end of each turn are usual; more mean the server did not keep up with --rate)\n", r.Name, r.Dropped)
		}
	}
}
