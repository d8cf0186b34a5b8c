package main

import (
	"bufio"
	"io"
	"sync"
	"time"
)

// logWriter buffers log lines and writes them out at least every flushEvery, so that logging
// one line per request costs a system call per batch rather than per request (it measured as
// a twentieth of the CPU of a GET). At most flushEvery of lines is lost if the process dies
// without closing it.
type logWriter struct {
	mu   sync.Mutex
	buf  *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

const flushEvery = 200 * time.Millisecond

func newLogWriter(w io.Writer) *logWriter {
	lw := &logWriter{buf: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go lw.flushLoop()
	return lw
}

func (lw *logWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	return lw.buf.Write(p)
}

func (lw *logWriter) flushLoop() {
	defer close(lw.done)
	tick := time.NewTicker(flushEvery)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			lw.flush()
		case <-lw.stop:
			lw.flush()
			return
		}
	}
}

func (lw *logWriter) flush() {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	_ = lw.buf.Flush()
}

// Close writes out what is buffered and stops the flushing.
func (lw *logWriter) Close() error {
	close(lw.stop)
	<-lw.done
	return nil
}
