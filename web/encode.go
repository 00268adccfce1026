package web

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"
	"time"

	"boxoffice"
)

// maxBodyBytes bounds a request body: room for MaxSeatsPerRequest seat ids
// with ample slack, nowhere near a size that costs the server anything.
const maxBodyBytes = 4 << 10

// writeJSON answers with v as JSON.
func writeJSON(w http.ResponseWriter, status int, v any) {
	writeJSONAs(w, status, "application/json", v)
}

// writeJSONAs answers with v as JSON under a media type of the JSON family.
func writeJSONAs(w http.ResponseWriter, status int, contentType string, v any) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decodeJSON reads a JSON body into v: application/json only, at most
// maxBodyBytes, no unknown fields, nothing after the value.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any) error {
	if err := jsonMediaType(r); err != nil {
		return err
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		switch _, after := dec.Token(); after {
		case io.EOF:
			return nil
		case nil:
			err = errTrailingData
		default:
			err = after
		}
	}
	return unreadable(err, jsonErrorSentence(err))
}

var errTrailingData = errors.New("unexpected data after the JSON value")

// jsonMediaType refuses a request body that says it is not JSON. A body
// without a Content-Type is taken as JSON; one that says it is something
// else is refused rather than guessed at.
func jsonMediaType(r *http.Request) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			return boxoffice.Errorf(codeMediaType, "Send the body as application/json, not %q", ct)
		}
	}
	return nil
}

// fieldSentences says what each member of a request body must be, for a
// body that has it of the wrong type.
var fieldSentences = map[string]string{
	"seats": "seats must be a list of seat ids.",
}

// jsonErrorSentence tells a client what is wrong with its JSON in a fixed
// sentence: encoding/json's own messages name Go types.
func jsonErrorSentence(err error) string {
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr):
		field, _, _ := strings.Cut(typeErr.Field, ".")
		if s, ok := fieldSentences[field]; ok {
			return s
		}
		if field == "" {
			return "The body must be a JSON object."
		}
		return "A member of the body has the wrong type."
	case errors.Is(err, io.EOF):
		return "The body is empty: send a JSON object."
	case errors.Is(err, errTrailingData):
		return "The body has data after its JSON value."
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		// encoding/json has no type for this one.
		return "The body has a member that this request does not take."
	}
	return "The body is not valid JSON."
}

// The JSON shapes of the API.

type showSummaryJSON struct {
	ID        boxoffice.ShowID `json:"id"`
	Title     string           `json:"title"`
	StartsAt  string           `json:"starts_at"`
	Hall      string           `json:"hall"`
	HallID    boxoffice.HallID `json:"hall_id"`
	Sales     boxoffice.Sales  `json:"sales"`
	Open      bool             `json:"open"`
	Capacity  int              `json:"capacity"`
	SeatsLeft int              `json:"seats_left"`
}

// showHeadJSON is a show's seat map up to its "seats" member, an array of
// seatJSON, which mapcache.go renders once per version and appends.
type showHeadJSON struct {
	showSummaryJSON
	Version int64      `json:"version"`
	Layout  layoutJSON `json:"layout"`
}

// layoutJSON is what a client needs to draw the hall: a grid of Columns by
// Rows cells with the screen at the top (y = 0 is nearest the screen); each
// seat has its cell; columns in Aisles are empty from front to back.
type layoutJSON struct {
	Screen    string         `json:"screen"`
	Columns   int            `json:"columns"`
	Rows      int            `json:"rows"`
	Aisles    []int          `json:"aisles"`
	RowLabels []rowLabelJSON `json:"row_labels"`
}

type rowLabelJSON struct {
	Label string `json:"label"`
	Y     int    `json:"y"`
}

type seatJSON struct {
	ID     boxoffice.SeatID   `json:"id"`
	Row    string             `json:"row"`
	Number int                `json:"number"`
	Kind   boxoffice.SeatKind `json:"kind"`
	Status boxoffice.Status   `json:"status"`
	X      int                `json:"x"`
	Y      int                `json:"y"`
}

// writeResult is the answer to a booking or release.
type writeResult struct {
	Version int64      `json:"version"`
	Seat    *seatJSON  `json:"seat,omitempty"`
	Seats   []seatJSON `json:"seats,omitempty"`
}

func formatTime(t time.Time, loc *time.Location) string { return t.In(loc).Format(time.RFC3339) }

func (s *server) summaryJSON(sum boxoffice.ShowSummary) showSummaryJSON {
	return showSummaryJSON{
		ID: sum.ID, Title: sum.Title, StartsAt: formatTime(sum.StartsAt, s.Location),
		Hall: sum.Hall.Name, HallID: sum.Hall.ID, Sales: sum.SalesState(), Open: sum.OpenAt(s.Now()),
		Capacity: len(sum.Hall.Layout.Seats), SeatsLeft: sum.SeatsLeft(),
	}
}

func seatView(seat boxoffice.Seat, status boxoffice.Status) seatJSON {
	return seatJSON{ID: seat.ID, Row: seat.Row, Number: seat.Number, Kind: seat.Kind, Status: status, X: seat.X, Y: seat.Y}
}

// showHead is the seat map without its seats.
func (s *server) showHead(show boxoffice.Show, version int64, booked int) showHeadJSON {
	l := &show.Hall.Layout
	v := showHeadJSON{
		showSummaryJSON: s.summaryJSON(boxoffice.ShowSummary{Show: show, Booked: booked}),
		Version:         version,
		Layout:          layoutJSON{Screen: "top", Columns: l.Columns, Rows: l.Height, Aisles: l.Aisles},
	}
	if v.Layout.Aisles == nil {
		v.Layout.Aisles = []int{}
	}
	for _, r := range l.Rows {
		v.Layout.RowLabels = append(v.Layout.RowLabels, rowLabelJSON{Label: r.Label, Y: r.Y})
	}
	return v
}
