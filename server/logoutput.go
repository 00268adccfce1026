package server

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// The boxoffice command writes its INFO and DEBUG lines (the access lines
// above all, one a request) in batches: a write syscall per line cost a
// busy server several per cent of its CPU per request. A batch goes out
// when batchBytes wait, batchDelay after its first line, before any WARN
// or ERROR line, and when the command ends. What waits is lost if the
// process is killed with SIGKILL or crashes; a WARN or ERROR line never
// is, since it goes out at once, after the lines logged before it.
const (
	batchBytes = 64 << 10
	batchDelay = 50 * time.Millisecond
)

// batchWriter gathers the lines written to it and writes them out
// together; atOnce writes through it at once. Each Write must hold whole
// lines, as a slog handler's does (one record, one Write), so that what
// goes out is whole lines only.
type batchWriter struct {
	out   io.Writer
	limit int           // bytes waiting that go out at once
	delay time.Duration // the longest a line waits

	mu     sync.Mutex // held while writing out, so lines go out in order
	buf    []byte
	timer  *time.Timer // made at the first line
	armed  bool        // the timer will write out what waits
	closed bool        // after Close, every line goes out at once
}

func newBatchWriter(out io.Writer, limit int, delay time.Duration) *batchWriter {
	return &batchWriter{out: out, limit: limit, delay: delay}
}

// Write keeps p to go out with the next batch. It reports no error: the
// write that fails comes later, for lines of many callers.
func (b *batchWriter) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		if err := b.writeOut(p); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	b.buf = append(b.buf, p...)
	switch {
	case len(b.buf) >= b.limit:
		// Written by the caller that filled it: the memory stays bounded,
		// and a server logging faster than its stderr takes lines slows
		// down rather than growing.
		b.writeOut(b.buf)
		b.reset()
	case !b.armed:
		// Armed only when a line waits, so an idle server never wakes.
		// Left armed when something else writes the batch out: it then
		// fires early for the next one, or finds nothing.
		if b.timer == nil {
			b.timer = time.AfterFunc(b.delay, b.timeUp)
		} else {
			b.timer.Reset(b.delay)
		}
		b.armed = true
	}
	return len(p), nil
}

// writeNow writes what waits and then p, at once, in one write.
func (b *batchWriter) writeNow(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.buf) == 0 {
		if err := b.writeOut(p); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	b.buf = append(b.buf, p...)
	err := b.writeOut(b.buf)
	b.reset()
	if err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close writes out what waits; lines written after it go out at once.
func (b *batchWriter) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	if b.timer != nil {
		b.timer.Stop()
	}
	var err error
	if len(b.buf) > 0 {
		err = b.writeOut(b.buf)
	}
	b.reset()
	return err
}

func (b *batchWriter) timeUp() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.armed = false
	if len(b.buf) > 0 {
		b.writeOut(b.buf)
		b.reset()
	}
}

// writeOut writes p once. Lines that fail to go out are dropped, not
// kept to try again: stderr that fails would otherwise fill the memory, or
// hold every logging goroutine in a retry, and there is nowhere else to
// say so.
func (b *batchWriter) writeOut(p []byte) error {
	_, err := b.out.Write(p)
	return err
}

// reset empties the buffer, keeping its memory unless an outsized line
// grew it.
func (b *batchWriter) reset() {
	if cap(b.buf) > 2*b.limit {
		b.buf = nil
		return
	}
	b.buf = b.buf[:0]
}

// batchedLogger is a logger of cfg's format and level over b: lines below
// WARN in b's batches, the others at once.
func batchedLogger(cfg Config, b *batchWriter) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	newHandler := func(w io.Writer) slog.Handler { return slog.NewTextHandler(w, opts) }
	if cfg.LogFormat == "json" {
		newHandler = func(w io.Writer) slog.Handler { return slog.NewJSONHandler(w, opts) }
	}
	return slog.New(levelSplit{low: newHandler(b), high: newHandler(atOnce{b})})
}

// atOnce writes through a batchWriter at once, after what waits in it.
type atOnce struct{ b *batchWriter }

func (w atOnce) Write(p []byte) (int, error) { return w.b.writeNow(p) }

// levelSplit hands records below WARN to low and the others to high: two
// handlers of one format and options, over a batchWriter and its atOnce.
type levelSplit struct{ low, high slog.Handler }

func (h levelSplit) pick(l slog.Level) slog.Handler {
	if l < slog.LevelWarn {
		return h.low
	}
	return h.high
}

func (h levelSplit) Enabled(ctx context.Context, l slog.Level) bool {
	return h.pick(l).Enabled(ctx, l)
}

func (h levelSplit) Handle(ctx context.Context, r slog.Record) error {
	return h.pick(r.Level).Handle(ctx, r)
}

func (h levelSplit) WithAttrs(attrs []slog.Attr) slog.Handler {
	return levelSplit{h.low.WithAttrs(attrs), h.high.WithAttrs(attrs)}
}

func (h levelSplit) WithGroup(name string) slog.Handler {
	return levelSplit{h.low.WithGroup(name), h.high.WithGroup(name)}
}
