package load

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Commits is what the server's /metrics told of its writer during the
// scenario: how many commits, how many bookings and releases each made
// durable, how long each took. Short commits with small batches and a writer
// often idle say the CPU holds the figure back; long commits and a writer busy
// nearly all the time say the disk does.
type Commits struct {
	Batches    float64 `json:"batches"`
	Operations float64 `json:"operations"`
	PerBatch   float64 `json:"operations_per_batch"`
	MeanMS     float64 `json:"mean_batch_ms"`
	// Busy is the share of the scenario's time the writer spent on batches;
	// with several targets, the writers' shares added up.
	Busy float64 `json:"writer_busy"`
}

// commitTotals are the writer's counters at one moment.
type commitTotals struct{ batches, ops, seconds float64 }

// errNoMetrics says the metrics did not answer, for a reason the report
// notes; the run goes on without the commit figures.
var errNoMetrics = errors.New("no commit figures")

// metricsURLs is where the commit figures are read: --metrics-url's list,
// or each target's /metrics.
func metricsURLs(cfg Config, bases []string) []string {
	if len(cfg.MetricsURLs) > 0 {
		return cfg.MetricsURLs
	}
	urls := make([]string, len(bases))
	for i, b := range bases {
		urls[i] = b + "/metrics"
	}
	return urls
}

// commitScrape reads the writers' counters of every server before and after
// the scenario, summed: instances on one database each have their writer.
type commitScrape struct {
	hc     *http.Client
	urls   []string
	token  string
	given  bool // the URLs come from --metrics-url
	before commitTotals
	ok     bool
}

// startCommits reads the counters before the scenario. A server without
// them leaves the figures out; one that refuses them for a reason the
// operator can mend adds a note saying so.
func startCommits(ctx context.Context, hc *http.Client, cfg Config, bases []string, token string, rep *Report) (*commitScrape, error) {
	s := &commitScrape{hc: hc, urls: metricsURLs(cfg, bases), token: token, given: len(cfg.MetricsURLs) > 0}
	t, ok, err := s.scrape(ctx)
	if errors.Is(err, errNoMetrics) {
		rep.Notes = append(rep.Notes, err.Error())
		return s, nil
	}
	if err != nil {
		return nil, err
	}
	s.before, s.ok = t, ok
	return s, nil
}

func (s *commitScrape) scrape(ctx context.Context) (sum commitTotals, ok bool, err error) {
	for _, u := range s.urls {
		t, ok, err := scrapeCommits(ctx, s.hc, u, s.token, s.given)
		if err != nil || !ok {
			return sum, false, err
		}
		sum.batches += t.batches
		sum.ops += t.ops
		sum.seconds += t.seconds
	}
	return sum, true, nil
}

// finish reads the counters again and puts what the writers did over
// seconds in the report.
func (s *commitScrape) finish(ctx context.Context, rep *Report, seconds float64) error {
	if !s.ok {
		return nil
	}
	after, ok, err := s.scrape(ctx)
	if err != nil {
		return err
	}
	if ok {
		rep.Commits = commitsBetween(s.before, after, seconds)
	}
	return nil
}

// scrapeCommits reads the writer's counters from the server's metrics at
// url, sending token, if any, as a bearer token. ok is false when the
// server has no such metrics (another server, or an older boxoffice); the
// figures are then left out of the report. An answer other than 200 is an
// error wrapping errNoMetrics that says what to do.
func scrapeCommits(ctx context.Context, hc *http.Client, url, token string, given bool) (t commitTotals, ok bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return t, false, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := hc.Do(req)
	if err != nil {
		return t, false, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return t, false, fmt.Errorf("%w: %s wants a token: set BOXOFFICE_METRICS_TOKEN for the tool as for the server", errNoMetrics, url)
	case resp.StatusCode == http.StatusNotFound && !given:
		return t, false, fmt.Errorf("%w: %s answered 404; a server started with --metrics-addr serves its metrics there alone: "+
			"give the tool --metrics-url", errNoMetrics, url)
	case resp.StatusCode != http.StatusOK:
		return t, false, fmt.Errorf("%w: %s answered %d", errNoMetrics, url, resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return t, false, fmt.Errorf("reading %s: %w", url, err)
	}
	ops, dur := fams["boxoffice_commit_batch_operations"], fams["boxoffice_commit_batch_duration_seconds"]
	if ops == nil || dur == nil || len(ops.Metric) != 1 || len(dur.Metric) != 1 ||
		ops.Metric[0].Histogram == nil || dur.Metric[0].Histogram == nil {
		return t, false, nil
	}
	t.batches = float64(ops.Metric[0].Histogram.GetSampleCount())
	t.ops = ops.Metric[0].Histogram.GetSampleSum()
	t.seconds = dur.Metric[0].Histogram.GetSampleSum()
	return t, true, nil
}

// commitsBetween is what the writer did from before to after, over seconds.
func commitsBetween(before, after commitTotals, seconds float64) *Commits {
	c := &Commits{Batches: after.batches - before.batches, Operations: after.ops - before.ops}
	if c.Batches > 0 {
		c.PerBatch = c.Operations / c.Batches
		c.MeanMS = (after.seconds - before.seconds) / c.Batches * 1000
	}
	if seconds > 0 {
		c.Busy = (after.seconds - before.seconds) / seconds
	}
	return c
}
