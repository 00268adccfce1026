package load

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// rssSampler follows a process's resident memory (VmRSS in /proc) while the
// scenario runs, keeping the peak. It works only on Linux, for a process on
// this machine; elsewhere it reports nothing.
type rssSampler struct {
	pid  int
	stop chan struct{}
	done sync.WaitGroup
	peak int64 // kB
	err  error
}

func startRSS(pid int) *rssSampler {
	s := &rssSampler{pid: pid, stop: make(chan struct{})}
	if _, err := readRSS(pid); err != nil {
		s.err = err
		return s
	}
	s.done.Go(func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			if kb, err := readRSS(pid); err == nil {
				s.peak = max(s.peak, kb)
			}
			select {
			case <-t.C:
			case <-s.stop:
				return
			}
		}
	})
	return s
}

// finish stops sampling and returns the peak in MB.
func (s *rssSampler) finish() (float64, error) {
	if s.err != nil {
		return 0, s.err
	}
	close(s.stop)
	s.done.Wait()
	return float64(s.peak) / 1024, nil
}

func readRSS(pid int) (int64, error) { return readStatus(pid, "VmRSS:") }

// readStatus reads a field in kB of /proc/PID/status: VmRSS (resident now),
// VmHWM (the peak).
func readStatus(pid int, field string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", field, pid)
}

// progress draws a bar on stderr while a phase runs.
type progress struct {
	w     *os.File
	stop  chan struct{}
	done  sync.WaitGroup
	label string
}

func startProgress(w *os.File, label string, d time.Duration, c *counts) *progress {
	p := &progress{w: w, stop: make(chan struct{}), label: label}
	if w == nil {
		return p
	}
	start := time.Now()
	p.done.Go(func() {
		t := time.NewTicker(200 * time.Millisecond)
		defer t.Stop()
		const width = 30
		for {
			el := time.Since(start)
			n := min(width, int(float64(width)*el.Seconds()/d.Seconds()))
			fmt.Fprintf(w, "\r%-10s [%s%s] %5.1fs/%v %8d ops ", p.label,
				strings.Repeat("=", n), strings.Repeat(" ", width-n), el.Seconds(), d, c.done.Load())
			select {
			case <-t.C:
			case <-p.stop:
				fmt.Fprintf(w, "\r%s\r", strings.Repeat(" ", 80))
				return
			}
		}
	})
	return p
}

func (p *progress) finish() {
	close(p.stop)
	p.done.Wait()
}

// isTerminal tells whether f is a character device, as a terminal is.
func isTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
