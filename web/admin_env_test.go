package web_test

import (
	"net/http/httptest"
	"testing"

	"boxoffice/web"
)

const adminToken = "admin-test-token-0123456789abcdef"

// newAdminEnv is a test server with the admin token set; configure, if not
// nil, changes the config further.
func newAdminEnv(t *testing.T, configure func(*web.Config)) *env {
	t.Helper()
	return newEnvWith(t, testLayout, func(c *web.Config) {
		c.AdminToken = adminToken
		if configure != nil {
			configure(c)
		}
	}, (*httptest.Server).Start)
}

// admin sends a request with the admin token.
func (g *guest) admin(method, path, contentType, body string, header ...string) response {
	g.e.t.Helper()
	return g.do(method, path, contentType, body, append([]string{"Authorization", "Bearer " + adminToken}, header...)...)
}
