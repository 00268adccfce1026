package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strings"

	"boxoffice"
)

var noTokenError = boxoffice.Error{Code: codeNoToken,
	Detail: "GET /metrics needs the operator's token: Authorization: Bearer <token>"}

// handleMetrics serves the metrics, to holders of the token when there is one.
func (s *server) handleMetrics() http.Handler {
	// ConstantTimeCompare returns at once when the lengths differ, which
	// would tell a prober the token's length; digests are all 32 bytes.
	want := sha256.Sum256([]byte(s.MetricsToken))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The figures are the operator's and change every scrape: no cache,
		// shared or private, should keep them.
		w.Header().Set("Cache-Control", "no-store")
		if s.MetricsToken != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			gotSum := sha256.Sum256([]byte(got))
			if !ok || subtle.ConstantTimeCompare(gotSum[:], want[:]) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="boxoffice metrics"`)
				s.writeProblem(w, r, &noTokenError)
				return
			}
		}
		s.Metrics.ServeHTTP(w, r)
	})
}
