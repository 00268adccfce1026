package web

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"boxoffice"
)

var noTokenError = boxoffice.Error{Code: codeNoToken,
	Detail: "GET /metrics needs the operator's token: Authorization: Bearer <token>"}

// handleMetrics serves the metrics, to holders of the token when there is one.
func (s *server) handleMetrics() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.MetricsToken != "" {
			got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
			if !ok || subtle.ConstantTimeCompare([]byte(got), []byte(s.MetricsToken)) != 1 {
				w.Header().Set("WWW-Authenticate", `Bearer realm="boxoffice metrics"`)
				s.writeProblem(w, r, &noTokenError)
				return
			}
		}
		s.Metrics.ServeHTTP(w, r)
	})
}
