package stream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"boxoffice"
	"boxoffice/live"
)

// Snapshot is a show as it is after a programme change (its title, time,
// sales or hall's layout changed, or it was cancelled), for the streams
// that met the change: each gets it whole, since a seat event cannot say
// that the show itself changed.
type Snapshot struct {
	// Version is the show's version the snapshot shows, at least the
	// change's.
	Version int64
	// Cancelled says the show was cancelled: its streams get the cancelled
	// event and end, and Data is not called.
	Cancelled bool
	// Data is the snapshot event's data as viewer sees it, in pieces
	// written as they are; own reports that they differ from what a viewer
	// holding no seat gets, which is shared by every such viewer.
	Data func(viewer boxoffice.Guest) (pieces [][]byte, own bool)
}

// SnapshotFunc reads a show as it is now, at a version of at least after.
type SnapshotFunc func(ctx context.Context, show boxoffice.ShowID, after int64) (Snapshot, error)

// errNoSnapshot ends the streams that meet a programme change when the
// engine cannot render one: the browser reconnects, and its new stream
// starts with a snapshot read afresh.
var errNoSnapshot = errors.New("stream: no snapshot after a programme change")

// snapshot is the show after programme change ev.
func (e *Engine) snapshot(ctx context.Context, show boxoffice.ShowID, ev *live.Event) (Snapshot, error) {
	if e.cfg.Snapshot == nil {
		return Snapshot{}, errNoSnapshot
	}
	snap, err := e.cfg.Snapshot(ctx, show, ev.Version)
	if err != nil {
		return Snapshot{}, err
	}
	if snap.Version < ev.Version {
		return Snapshot{}, fmt.Errorf("%w: snapshot of show %s at version %d, before the change at %d",
			errNoSnapshot, show, snap.Version, ev.Version)
	}
	return snap, nil
}

// render is what one stream of viewer, which has every version up to
// version, is written for events: seat events, and a snapshot for a
// programme change. It returns the version written last, and whether the
// stream ends, the show cancelled (the cancelled event is the last frame).
func (e *Engine) render(ctx context.Context, show boxoffice.ShowID, events []*live.Event, viewer boxoffice.Guest,
	version int64) (frames [][]byte, last int64, end bool, err error) {
	for _, ev := range events {
		if ev.Version <= version {
			continue
		}
		if !ev.Programme {
			frames = append(frames, eventFor(ev, viewer))
			version = ev.Version
			continue
		}
		snap, err := e.snapshot(ctx, show, ev)
		if err != nil {
			return frames, version, false, err
		}
		if snap.Cancelled {
			return append(frames, cancelledEvent(show, snap.Version)), snap.Version, true, nil
		}
		pieces, _ := snap.Data(viewer)
		frames = append(frames, snapshotEvent(snap.Version, pieces))
		version = snap.Version
	}
	return frames, version, false, nil
}

// snapshotEvent is a whole snapshot event.
func snapshotEvent(version int64, pieces [][]byte) []byte {
	b := eventStart("snapshot", version)
	for _, p := range pieces {
		b = append(b, p...)
	}
	return append(b, "\n\n"...)
}

// cancelledEvent tells a stream that its show was cancelled; the stream
// ends after it, and the page does not reconnect.
func cancelledEvent(show boxoffice.ShowID, version int64) []byte {
	data, _ := json.Marshal(struct {
		Version int64            `json:"version"`
		Show    boxoffice.ShowID `json:"show"`
	}{version, show}) // a number and a string: cannot fail
	b := eventStart("cancelled", version)
	b = append(b, data...)
	return append(b, "\n\n"...)
}
