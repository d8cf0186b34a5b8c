package photo

import (
	"bytes"
	"image/jpeg"
	"io"
	"runtime"
	"testing"
)

// largeJPEG returns a 4000×3000 JPEG of about 5 MB, like a phone's.
func largeJPEG(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, testPhoto(4000, 3000), &jpeg.Options{Quality: 97}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// body returns a reader of data that reads like a request body: in pieces, not knowing its
// length, so that Process grows its buffer as it reads.
func body(data []byte) io.Reader {
	return struct{ io.Reader }{bytes.NewReader(data)}
}

// allocatedBy returns the bytes of heap f allocates: an upper bound on how much the heap
// grows while it runs, whatever the collector does meanwhile.
func allocatedBy(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Processing a 5 MB, 4000×3000 JPEG read from a request body allocates under 64 MB in all: the
// bytes, the decoded image (18 MB), which is shrunk to the master in one pass, and what is made
// from the master.
func TestProcessLargeMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("encodes a 4000×3000 JPEG")
	}
	data := largeJPEG(t)
	var err error
	allocated := allocatedBy(func() {
		_, err = Process(body(data), Limits{}, Centre)
	})
	if err != nil {
		t.Fatalf("Process(4000×3000 JPEG) = %v, want no error", err)
	}
	t.Logf("Process(4000×3000 JPEG of %.1f MB) allocated %.1f MB", float64(len(data))/1e6, float64(allocated)/1e6)
	if allocated > 64<<20 {
		t.Errorf("Process(4000×3000 JPEG) allocated %d bytes, want under 64 MiB", allocated)
	}
}

// BenchmarkProcessSchoolPhoto processes a 640×800 school photo, the bulk of imports.
func BenchmarkProcessSchoolPhoto(b *testing.B) {
	data := encodeJPEG(b, testPhoto(640, 800))
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Process(bytes.NewReader(data), Limits{}, Centre); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkProcessSchoolPhotoParallel processes school photos on every core, as a bulk import
// does, and reports the photos processed a second.
func BenchmarkProcessSchoolPhotoParallel(b *testing.B) {
	data := encodeJPEG(b, testPhoto(640, 800))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := Process(bytes.NewReader(data), Limits{}, Centre); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "photos/s")
}

// BenchmarkProcessLarge processes a 5 MB, 4000×3000 photo, as a phone takes, read from a
// request body, and reports the heap allocated per call in MB (an upper bound on the heap's
// growth).
func BenchmarkProcessLarge(b *testing.B) {
	data := largeJPEG(b)
	b.SetBytes(int64(len(data)))
	var total uint64
	for b.Loop() {
		total += allocatedBy(func() {
			if _, err := Process(body(data), Limits{}, Centre); err != nil {
				b.Fatal(err)
			}
		})
	}
	b.ReportMetric(float64(total)/float64(b.N)/1e6, "MB/op")
}

// BenchmarkRender renders the variants again from a school photo's master, as when staff
// move the focal point.
func BenchmarkRender(b *testing.B) {
	p, err := Process(bytes.NewReader(encodeJPEG(b, testPhoto(640, 800))), Limits{}, Centre)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Render(p.Master.JPEG, FocalPoint{X: 0.4, Y: 0.3}); err != nil {
			b.Fatal(err)
		}
	}
}
