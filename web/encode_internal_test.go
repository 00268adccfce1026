package web

import (
	"bytes"
	"encoding/json"
	"testing"

	"boxoffice"
)

// encodeJSON is what writeJSON sends for v.
func encodeJSON(t *testing.T, v any) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// Strings that take every path of appendString: plain, and each kind that
// encoding/json escapes.
var awkward = []string{"", "A1", "Row 12", `say "hi"`, `back\slash`, "<b>&amp;</b>", "1 < 2", "3 > 2", "R&D", "tab\there\nline",
	"\x00\x1f\x7f", "Zoë 🎬", "\u2028\u2029", "bad \xff utf-8"}

// The answers to bookings and the problem bodies are built by hand for
// speed; clients parse them as JSON, so they must be byte for byte what
// encoding/json writes, whatever the ids and texts hold.
func TestHandEncodedAnswersMatchEncodingJSON(t *testing.T) {
	for _, s := range awkward {
		seat := seatJSON{ID: boxoffice.SeatID(s), Row: s, Number: 12, Kind: boxoffice.SeatKind(s), Status: boxoffice.StatusMine, X: -1, Y: 30}
		results := []writeResult{
			{Version: 7, Seat: &seat},
			{Version: 0},
			{Version: 1 << 40, Seats: []seatJSON{seat, seatView(boxoffice.Seat{ID: "B2", Row: "B", Number: 2}, boxoffice.StatusFree)}},
		}
		for _, res := range results {
			if got, want := appendWriteResult(nil, res), encodeJSON(t, res); !bytes.Equal(got, want) {
				t.Errorf("write result with %q:\n got %s\nwant %s", s, got, want)
			}
		}
		problems := []problem{
			{Type: "/problems/seat-taken", Title: "Seat taken", Status: 409, Detail: s, Instance: "/api/shows/" + s, Seats: []string{s, "A2"}, RequestID: s},
			{Type: "/problems/internal", Title: s, Status: 500, Detail: ""},
		}
		for _, p := range problems {
			if got, want := appendProblem(nil, p), encodeJSON(t, p); !bytes.Equal(got, want) {
				t.Errorf("problem with %q:\n got %s\nwant %s", s, got, want)
			}
		}
	}
}
