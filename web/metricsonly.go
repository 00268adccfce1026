package web

import (
	"log/slog"
	"net/http"
)

// MetricsHandler serves cfg.Metrics at GET /metrics alone, under the same
// token rule as the whole handler's /metrics: for a listener of its own
// (the server's --metrics-addr), which no guest reaches. Only Metrics,
// MetricsToken and Logger are read.
func MetricsHandler(cfg Config) http.Handler {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &server{Config: cfg, log: cfg.Logger}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", s.handleMetrics())
	return mux
}
