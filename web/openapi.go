package web

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
)

// openAPIDocument describes every route of routes.go. openapi_test.go drives
// each route through the handler and validates what it answers against this
// document, so a route or an answer that changes without it fails there.
//
//go:embed openapi.json
var openAPIDocument []byte

// handleOpenAPI serves the OpenAPI document, its ETag computed once as the
// routes are built. The document changes only with the binary, whose deploy
// keeps the URL: a client revalidates each time (no-cache) and gets a 304
// for its ETag, rather than keep a stale copy for a max-age after an upgrade.
func (s *server) handleOpenAPI() http.Handler {
	sum := sha256.Sum256(openAPIDocument)
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	length := strconv.Itoa(len(openAPIDocument))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "public, no-cache")
		h.Set("ETag", etag)
		if etagMatches(r.Header.Get("If-None-Match"), etag) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Type", "application/json")
		h.Set("Content-Length", length)
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			_, _ = w.Write(openAPIDocument)
		}
	})
}

// etagMatches tells whether an If-None-Match header names etag, compared
// weakly (RFC 9110, 13.1.2): a compressing proxy may have weakened it.
func etagMatches(header, etag string) bool {
	for tag := range strings.SplitSeq(header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == etag {
			return true
		}
	}
	return false
}
