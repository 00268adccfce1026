package server

import (
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorder is an output that keeps each Write apart and signals each.
type recorder struct {
	mu     sync.Mutex
	writes []string
	fail   error         // while set, every Write fails and keeps nothing
	wrote  chan struct{} // one token for any number of writes not yet waited for
}

func newRecorder() *recorder { return &recorder{wrote: make(chan struct{}, 1)} }

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return 0, r.fail
	}
	r.writes = append(r.writes, string(p))
	select {
	case r.wrote <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (r *recorder) setFail(err error) { r.mu.Lock(); r.fail = err; r.mu.Unlock() }

func (r *recorder) all() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.writes...)
}

// await waits for a Write, failing after 5 s.
func (r *recorder) await(t *testing.T, what string) {
	t.Helper()
	select {
	case <-r.wrote:
	case <-time.After(5 * time.Second):
		t.Fatalf("%s: nothing written within 5s", what)
	}
}

var msgOf = regexp.MustCompile(`msg=(\w+)|"msg":"(\w+)"`)

// messages is the msg of each line in writes, in order.
func messages(writes []string) string {
	var msgs []string
	for _, m := range msgOf.FindAllStringSubmatch(strings.Join(writes, ""), -1) {
		msgs = append(msgs, m[1]+m[2])
	}
	return strings.Join(msgs, " ")
}

// INFO and DEBUG lines wait; a WARN or ERROR line goes out at once, after
// them, in one write; Close writes out the rest; the order is the order
// they were logged in, in both formats.
func TestLogLinesKeepTheirOrder(t *testing.T) {
	for _, format := range []string{"text", "json"} {
		t.Run(format, func(t *testing.T) {
			out := newRecorder()
			b := newBatchWriter(out, batchBytes, time.Hour) // no batch is due on time here
			log := batchedLogger(Config{LogFormat: format, LogLevel: slog.LevelDebug}, b)
			log.Info("one")
			log.Debug("two")
			if got := out.all(); len(got) != 0 {
				t.Fatalf("INFO and DEBUG lines went out at once: %q", got)
			}
			log.Warn("three")
			if got := out.all(); len(got) != 1 || messages(got) != "one two three" {
				t.Fatalf("after a WARN: %q, want one write of one two three", got)
			}
			log.Info("four")
			log.Error("five")
			log.Info("six")
			log.Debug("seven")
			if got := messages(out.all()); got != "one two three four five" {
				t.Errorf("after an ERROR: %s, want one … five", got)
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
			if got := messages(out.all()); got != "one two three four five six seven" {
				t.Errorf("after Close: %s, want one … seven", got)
			}
			log.Info("eight") // after Close, at once: nothing would write it out
			if got := messages(out.all()); got != "one two three four five six seven eight" {
				t.Errorf("a line after Close: %s, want it out at once", got)
			}
		})
	}
}

// The level, With and WithGroup reach both ways out.
func TestLogLinesKeepAttrsAndLevel(t *testing.T) {
	out := newRecorder()
	b := newBatchWriter(out, batchBytes, time.Hour)
	log := batchedLogger(Config{LogFormat: "text", LogLevel: slog.LevelInfo}, b).With("instance", "a").WithGroup("req")
	log.Debug("hidden", "k", 0)
	log.Info("low", "k", 1)
	log.Warn("high", "k", 2)
	b.Close()
	got := out.all()
	if messages(got) != "low high" {
		t.Fatalf("lines %q, want low and high only (DEBUG is below the level)", got)
	}
	for _, want := range []string{"msg=low instance=a req.k=1\n", "msg=high instance=a req.k=2\n"} {
		if !strings.Contains(strings.Join(got, ""), want) {
			t.Errorf("no line ends %q in %q", want, got)
		}
	}
}

// A line waits no longer than the delay, with nothing else written: the
// timer writes it out, and is armed again by the next line.
func TestLogBatchGoesOutOnTime(t *testing.T) {
	out := newRecorder()
	const delay = 20 * time.Millisecond
	b := newBatchWriter(out, batchBytes, delay)
	t.Cleanup(func() { b.Close() })
	for _, line := range []string{"first\n", "second\n"} {
		start := time.Now()
		b.Write([]byte(line))
		out.await(t, line)
		if took := time.Since(start); took < delay {
			t.Errorf("%q went out after %v, before its batch was due (%v)", line, took, delay)
		}
		if got := out.all(); got[len(got)-1] != line {
			t.Errorf("written %q, want %q last", got, line)
		}
	}
}

// A batch goes out as soon as batchBytes wait, in one write of whole lines,
// so that the memory it takes is bounded.
func TestLogBatchIsBounded(t *testing.T) {
	out := newRecorder()
	b := newBatchWriter(out, batchBytes, time.Hour)
	line := strings.Repeat("x", 99) + "\n"
	n := 0
	for len(out.all()) == 0 {
		if n >= 2*batchBytes {
			t.Fatalf("%d bytes wait and none went out", n)
		}
		b.Write([]byte(line))
		n += len(line)
	}
	got := out.all()
	if n < batchBytes || len(got) != 1 || len(got[0]) != n || strings.Count(got[0], line) != n/len(line) {
		t.Errorf("after %d bytes: %d writes, the first of %d bytes; want one of all %d, once %d were waiting",
			n, len(got), len(got[0]), n, batchBytes)
	}
	b.Write([]byte(line))
	if len(out.all()) != 1 {
		t.Error("the next line went out at once: the batch did not start again")
	}
}

// Many goroutines logging at once, batches written on time, on size and
// by WARN lines meanwhile: every line goes out whole and once, and each
// goroutine's lines in the order it logged them.
func TestLogLinesWholeUnderConcurrency(t *testing.T) {
	out := newRecorder()
	b := newBatchWriter(out, 4<<10, time.Millisecond)
	log := batchedLogger(Config{LogFormat: "text", LogLevel: slog.LevelInfo}, b)
	const goroutines, each = 32, 300
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range each {
				if i%50 == 49 {
					log.Warn("w", "g", g, "i", i)
				} else {
					log.Info("l", "g", g, "i", i)
				}
			}
		})
	}
	wg.Wait()
	b.Close()
	line := regexp.MustCompile(`^time=\S+ level=(INFO|WARN) msg=[lw] g=(\d+) i=(\d+)$`)
	next := make([]int, goroutines)
	for _, w := range out.all() {
		if !strings.HasSuffix(w, "\n") {
			t.Fatalf("a write ends in the middle of a line: %q", w[max(0, len(w)-80):])
		}
		for l := range strings.Lines(w) {
			m := line.FindStringSubmatch(strings.TrimSuffix(l, "\n"))
			if m == nil {
				t.Fatalf("not a whole line: %q", l)
			}
			var g, i int
			fmt.Sscan(m[2], &g)
			fmt.Sscan(m[3], &i)
			if i != next[g] {
				t.Fatalf("goroutine %d: line %d came after line %d", g, i, next[g]-1)
			}
			next[g]++
		}
	}
	for g, n := range next {
		if n != each {
			t.Errorf("goroutine %d: %d lines out of %d", g, n, each)
		}
	}
}

// An output that fails loses the lines it failed to take, and nothing
// else: no panic, no retry, no buffer that grows; it works again once the
// output does.
func TestLogOutputFails(t *testing.T) {
	out := newRecorder()
	b := newBatchWriter(out, 64, time.Hour)
	out.setFail(errors.New("stderr is gone"))
	for range 10 {
		if n, err := b.Write([]byte("lost to a full batch\n")); n != 21 || err != nil {
			t.Fatalf("a batched Write = %d, %v; want it taken", n, err)
		}
	}
	b.Write([]byte("lost to a warning\n"))
	if _, err := (atOnce{b}).Write([]byte("warning\n")); err == nil {
		t.Error("a WARN line that cannot go out: no error")
	}
	if len(b.buf) != 0 {
		t.Errorf("%d bytes kept after the output failed", len(b.buf))
	}
	out.setFail(nil)
	b.Write([]byte("kept\n"))
	if _, err := (atOnce{b}).Write([]byte("warning again\n")); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(out.all(), ""); got != "kept\nwarning again\n" {
		t.Errorf("once the output works again: %q, want only the lines since", got)
	}
}
