package main

import (
	"bufio"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// watch samples a server process from /proc while the measured phase runs: its resident set
// every 200 ms (the largest sample is the figure reported against the memory target), and its
// CPU time at the start and the end, for the server's CPU cost per request, the figure that
// depends least on how busy the shared machine is.
type watch struct {
	pid      int
	cpuStart time.Duration
	done     chan struct{}
	result   chan int64 // the largest VmRSS seen, in kB
}

type watchResult struct {
	rssMaxKB, hwmKB int64
	cpu             time.Duration
}

// startWatch starts watching pid; with pid 0 it watches nothing.
func startWatch(pid int) *watch {
	w := &watch{pid: pid}
	if pid == 0 {
		return w
	}
	w.cpuStart, _ = cpuTime(pid)
	w.done, w.result = make(chan struct{}), make(chan int64, 1)
	go func() {
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		var peak int64
		for {
			if kb, err := statusKB(pid, "VmRSS"); err == nil {
				peak = max(peak, kb)
			}
			select {
			case <-w.done:
				w.result <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return w
}

func (w *watch) stop() watchResult {
	if w.pid == 0 {
		return watchResult{}
	}
	close(w.done)
	res := watchResult{rssMaxKB: <-w.result}
	res.hwmKB, _ = statusKB(w.pid, "VmHWM")
	if end, err := cpuTime(w.pid); err == nil {
		res.cpu = end - w.cpuStart
	}
	return res
}

// statusKB reads a "Name:   123 kB" line of /proc/<pid>/status.
func statusKB(pid int, name string) (int64, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if rest, ok := strings.CutPrefix(s.Text(), name+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", name, pid)
}

// clockTicks is USER_HZ, the unit of the times in /proc/<pid>/stat: 100 on every Linux
// architecture Go supports (reading sysconf(_SC_CLK_TCK) would need cgo).
const clockTicks = 100

// cpuTime is the user plus system CPU time the process has used, from /proc/<pid>/stat.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces: count from after it.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	fields := strings.Fields(s[i+1:])
	// After the name: field 3 is fields[0]; utime and stime are fields 14 and 15.
	if len(fields) < 13 {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	return time.Duration(utime+stime) * time.Second / clockTicks, nil
}
