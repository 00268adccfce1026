package web

import "testing"

// A ticket's code in a path is cut to its first group, read as a person
// may have typed it, whether it is well formed or not; other paths pass.
func TestRedactedPath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/tickets/7KQ2-ABCD-EFGH", "/tickets/7KQ2-…"},
		{"/tickets/7kq2abcdefgh", "/tickets/7KQ2-…"},
		{"/tickets/7 k q 2-abcd", "/tickets/7KQ2-…"},
		{"/tickets/OIL5-ABCD-EFGH", "/tickets/0115-…"},
		{"/tickets/7KQ2-ABCD-EFGH/admit", "/tickets/7KQ2-…/admit"},
		{"/api/tickets/7KQ2-ABCD-EFGH", "/api/tickets/7KQ2-…"},
		{"/api/admin/tickets/7KQ2-ABCD-EFGH/admit", "/api/admin/tickets/7KQ2-…/admit"},
		{"/api/tickets/7K", "/api/tickets/7K-…"},
		{"/api/tickets/7K\x00<b>U", "/api/tickets/7K??-…"},
		{"/api/tickets/", "/api/tickets/-…"},
		{"/tickets/7KQ2/ABCD/EFGH", "/tickets/7KQ2-…/…"},
		{"/tickets/7KQ2-ABCD-EFGH/admit/more", "/tickets/7KQ2-…/…"},
		{"/shows/7KQ2-ABCD-EFGH", "/shows/7KQ2-ABCD-EFGH"},
		{"/api/shows/open/ticket", "/api/shows/open/ticket"},
		{"/admin/door", "/admin/door"},
		{"/ticketsX/7KQ2-ABCD-EFGH", "/ticketsX/7KQ2-ABCD-EFGH"},
	} {
		if got := redactedPath(tc.in); got != tc.want {
			t.Errorf("redactedPath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
