package main

// The photo side of the benchmark: the pictures bench/seed-photos.sql gives every patron, the
// ETags the photo-304 workload sends, and the measurement of the server's heap while it takes
// large uploads (photo-upload).

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rapportlib/rapport/internal/auth"
	"github.com/rapportlib/rapport/internal/photo"
)

// photoPictures is how many different pictures the seed has: patron n has picture n % 8
// (bench/seed-photos.sql). Eight are enough for realistic bytes and for several ETags; the
// rows of 100,000 patrons share their blobs.
const photoPictures = 8

// portrait returns school portrait k (0 ≤ k < photoPictures) as a camera would send it: a
// 640×800 JPEG at quality 92 of a face and shoulders on a mottled backdrop, with a fine grain
// and detail at the scales that survive shrinking (eyes and mouth, hair, the stripes of a top),
// so that its master and variants weigh about what a real portrait's do. The same k always
// gives the same bytes.
func portrait(k int) []byte {
	const width, height = 640, 800
	m := image.NewRGBA(image.Rect(0, 0, width, height))
	// Each picture has its own backdrop colour, face position, stripes and grain.
	backdrop := [3]int{70 + 20*(k%4), 90 + 15*(k%3), 150 - 10*(k%5)}
	faceX, faceY := 0.5+0.04*float64(k%3-1), 0.40+0.03*float64(k%2)
	stripe := 14 + 2*float64(k%4) // pixels
	seed := uint32(1 + k)
	for y := range height {
		for x := range width {
			seed = seed*1664525 + 1013904223 // a linear congruential generator
			grain := int(seed>>24)%6 - 3
			fx, fy := float64(x)/width, float64(y)/height
			px, py := float64(x), float64(y)
			// The backdrop: lighter at the top, mottled as a studio's painted cloth.
			mottle := int(10*math.Sin(px/23+py/41) + 8*math.Sin(py/17-px/53))
			r, g, b := backdrop[0]+int(30*fy)+mottle, backdrop[1]+int(20*fy)+mottle, backdrop[2]-int(20*fy)+mottle
			dx, dy := (fx-faceX)/0.21, (fy-faceY)/0.22
			ex := math.Abs(fx-faceX) - 0.075 // from the eyes' centres, left and right
			switch {
			case dx*dx+dy*dy < 1 && ex*ex/0.0009+(fy-faceY+0.03)*(fy-faceY+0.03)/0.0003 < 1: // eyes
				r, g, b = 50, 40, 35
			case dx*dx+dy*dy < 1 && (fx-faceX)*(fx-faceX)/0.003+(fy-faceY-0.11)*(fy-faceY-0.11)/0.0002 < 1: // mouth
				r, g, b = 170, 80, 80
			case dx*dx+dy*dy < 1: // the face, lit from the left, shaded towards its edge
				shade := int(35 * (dx*dx + dy*dy))
				r, g, b = 225-int(40*fx)-shade, 180-int(30*fy)-shade, 150-int(20*fx)-shade
			case dx*dx+(dy+0.3)*(dy+0.3) < 1.5 && fy < faceY+0.05: // hair, in wavy strands
				v := 60 + int(30*math.Sin(px/3+4*math.Sin(py/25)))
				r, g, b = v+20*(k%2), v, v-10
			case fy > faceY+0.25 && math.Abs(fx-faceX) < 0.1+0.9*(fy-faceY-0.2): // shoulders, a striped top
				v := int(25 * math.Sin((px+py/3)*2*math.Pi/stripe))
				r, g, b = 40+30*(k%3)+v, 60+v, 120-20*(k%2)+v
			}
			i := y*m.Stride + x*4
			m.Pix[i+0] = clamp8(r + grain)
			m.Pix[i+1] = clamp8(g + grain)
			m.Pix[i+2] = clamp8(b + grain)
			m.Pix[i+3] = 255
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 92}); err != nil {
		panic(err) // encoding an in-memory RGBA image does not fail
	}
	return buf.Bytes()
}

// phonePhoto returns a 4000×3000 JPEG of about 5 MB, as a phone takes: gradients and a strong
// grain (which is what makes it that large) at quality 97.
func phonePhoto() []byte {
	const width, height = 4000, 3000
	m := image.NewRGBA(image.Rect(0, 0, width, height))
	seed := uint32(4711)
	for y := range height {
		for x := range width {
			seed = seed*1664525 + 1013904223
			grain := int(seed>>24)%16 - 8
			i := y*m.Stride + x*4
			m.Pix[i+0] = clamp8(60 + x*100/width + grain)
			m.Pix[i+1] = clamp8(90 + y*80/height + grain)
			m.Pix[i+2] = clamp8(140 + grain)
			m.Pix[i+3] = 255
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 97}); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

func clamp8(v int) uint8 { return uint8(min(max(v, 0), 255)) }

// mib is the unit of the memory figures: MB of 2^20 bytes, as the RSS figures (kB ÷ 1024).
const mib = 1 << 20

// printPhotoSeedSQL writes the SQL that bench/seed-photos.sql includes: the blobs of the
// photoPictures portraits, processed by internal/photo exactly as an upload is (master and the
// six variants, around the centre), two temporary tables that say which blob is which, and
// their number in the psql variable picture_count.
func printPhotoSeedSQL(w io.Writer) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "-- Written by bench/load -print-photo-seed (bench/load/photo.go) for bench/seed-photos.sql:\n")
	fmt.Fprintf(bw, "-- %d school portraits of 640×800, processed by internal/photo as an upload is.\n", photoPictures)
	fmt.Fprintf(bw, "\\set picture_count %d\n", photoPictures)
	fmt.Fprintln(bw, "CREATE TEMPORARY TABLE bench_pictures (k int PRIMARY KEY, content_hash text NOT NULL, original_bytes bigint NOT NULL,")
	fmt.Fprintln(bw, "    width int NOT NULL, height int NOT NULL, master_hash text NOT NULL);")
	fmt.Fprintln(bw, "CREATE TEMPORARY TABLE bench_picture_variants (k int NOT NULL, size text NOT NULL, width int NOT NULL,")
	fmt.Fprintln(bw, "    height int NOT NULL, hash text NOT NULL, PRIMARY KEY (k, size));")
	for k := range photoPictures {
		original := portrait(k)
		p, err := photo.Process(bytes.NewReader(original), photo.Limits{}, photo.Centre)
		if err != nil {
			return fmt.Errorf("process portrait %d: %w", k, err)
		}
		sizes := []string{fmt.Sprintf("master %d", len(p.Master.JPEG))}
		for _, img := range append([]photo.Image{p.Master}, p.Variants...) {
			// Two pictures never share a blob, but the insert would not fail if they did.
			fmt.Fprintf(bw, "INSERT INTO photo_blobs (hash, data) VALUES ('%s', '\\x%s') ON CONFLICT (hash) DO NOTHING;\n",
				img.Hash, hex.EncodeToString(img.JPEG))
		}
		fmt.Fprintf(bw, "INSERT INTO bench_pictures VALUES (%d, '%s', %d, %d, %d, '%s');\n",
			k, sha256Hex(original), len(original), p.Width, p.Height, p.Master.Hash)
		for _, v := range p.Variants {
			fmt.Fprintf(bw, "INSERT INTO bench_picture_variants VALUES (%d, '%s', %d, %d, '%s');\n", k, v.Size, v.Width, v.Height, v.Hash)
			sizes = append(sizes, fmt.Sprintf("%s %d", v.Size, len(v.JPEG)))
		}
		// For people: what the seeded bytes weigh, in the log of the seeding.
		fmt.Fprintf(bw, "\\echo 'seed: picture %d: %d bytes sent; bytes of the %s'\n", k, len(original), strings.Join(sizes, ", "))
	}
	return bw.Flush()
}

// photoETags returns the ETag of the 96 px variant of each seeded picture, in the order of
// picture number (patron n has picture n % photoPictures), as the server answers them: what a
// client that has the photo already holds. It asks for patrons 1 to 2 × photoPictures and
// checks that patrons n and n + photoPictures have the same picture, so that a seed that does
// not follow the rule stops the run instead of turning 304s into 200s.
func (g *generator) photoETags(ctx context.Context) ([]string, error) {
	etags := make([]string, photoPictures)
	for n := 1; n <= 2*photoPictures; n++ {
		resp, err := g.send(ctx, request{method: http.MethodGet, path: photoPath(g.opts.prefix, n)})
		if err != nil {
			return nil, fmt.Errorf("collect photo ETags: %w", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		etag := resp.Header.Get("ETag")
		if resp.StatusCode != http.StatusOK || etag == "" {
			return nil, fmt.Errorf("collect photo ETags: GET %s: status %d, ETag %q (is bench/seed-photos.sql seeded?)",
				photoPath(g.opts.prefix, n), resp.StatusCode, etag)
		}
		k := n % photoPictures
		switch {
		case etags[k] == "":
			etags[k] = etag
		case etags[k] != etag:
			return nil, fmt.Errorf("collect photo ETags: patrons %d and %d should have the same picture, and their ETags are %s and %s",
				n-photoPictures, n, etags[k], etag)
		}
	}
	return etags, nil
}

// benchPhotoURLSecret is the bench client's photo URL secret as a consumer is given it: the
// base64url of the 32 bytes bench/seed-photos.sql stores, sha256 of "bench-photo-url-secret".
func benchPhotoURLSecret() string {
	sum := sha256.Sum256([]byte("bench-photo-url-secret"))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// signedPhotoPath is a signed URL of patron n's 96 px photo, by its sourced_id (as bench/seed.sql
// makes it), valid until exp: what a device-management consumer is handed.
func signedPhotoPath(prefix string, n int, exp int64) string {
	path := fmt.Sprintf("%s/photos/sourced_id/SRC-%07d/96.jpg", prefix, n)
	sig := auth.SignPhotoURL(benchPhotoURLSecret(), http.MethodGet, path, "bench", exp)
	return path + "?client_id=bench&exp=" + strconv.FormatInt(exp, 10) + "&sig=" + sig
}

// photoPath is the path of patron n's 96 px photo: what a desk screen or an LMS roster shows.
func photoPath(prefix string, n int) string {
	return prefix + "/patrons/" + patronID(n) + "/photo?size=96"
}

// uploadOptions say how to measure the server's heap while it takes uploads.
type uploadOptions struct {
	pprofURL string        // the server's profiler, for a collection before measuring
	uploads  int           // sequential uploads, to patrons 1, 2, …
	interval time.Duration // between two readings of the server's heap
}

// heapReading is what /metrics says of the server's heap at one moment, in bytes.
type heapReading struct {
	inUse, alloc, sys float64 // go_memstats_heap_inuse_bytes, _heap_alloc_bytes, _heap_sys_bytes
	goal              float64 // go_memstats_next_gc_bytes: the heap size the collector aims to end its next cycle at
}

// heapPeak is the largest of each figure over the readings taken.
type heapPeak struct {
	heapReading
	readings int
}

// measureUpload measures how much the server's heap grows while it takes a 5 MB JPEG: it
// collects the server's garbage (through the profiler), reads its heap in use, then sends the
// uploads one after another while reading the heap every interval, and records the largest
// reading minus the first.
//
// The figure is the heap in use (go_memstats_heap_inuse_bytes): the spans of the heap that
// hold objects, live or not yet collected. It is what the upload costs in memory, garbage
// included, since the collector lets garbage grow to twice the live heap (GOGC=200) before it
// takes it back; HeapAlloc counts only the objects within those spans, so it is never larger.
// A reading cannot miss much: the largest allocation, the decoded picture (18 MB), stays live
// for the whole decode, hundreds of milliseconds. HeapSys, the heap's reservation from the
// system, which never shrinks, bounds every peak from above, and is recorded as a check.
func (g *generator) measureUpload(ctx context.Context, uo uploadOptions) (record, error) {
	o := g.opts
	if uo.uploads < 1 {
		return record{}, fmt.Errorf("photo-upload: -uploads must be at least 1, not %d", uo.uploads)
	}
	data := phonePhoto()
	fmt.Printf("%s photo-upload: a 4000×3000 JPEG of %.1f MB, %d uploads, the heap read every %v\n",
		o.target, float64(len(data))/mib, uo.uploads, uo.interval)

	// runtime.GC in the server (the heap profile's gc=1): the heap before is the live heap,
	// not what the runs before left for the collector.
	if err := g.get(ctx, uo.pprofURL+"/debug/pprof/heap?gc=1"); err != nil {
		return record{}, fmt.Errorf("collect the server's garbage: %w", err)
	}
	before, err := g.readHeap(ctx)
	if err != nil {
		return record{}, err
	}

	// The readings run beside the uploads until they are done. One that fails is left out
	// (the count of those taken is printed).
	done := make(chan struct{})
	peaks := make(chan heapPeak, 1)
	go func() {
		peak := heapPeak{heapReading: before}
		tick := time.NewTicker(uo.interval)
		defer tick.Stop()
		for {
			if h, err := g.readHeap(ctx); err == nil {
				peak.inUse, peak.alloc, peak.sys = max(peak.inUse, h.inUse), max(peak.alloc, h.alloc), max(peak.sys, h.sys)
				peak.goal = max(peak.goal, h.goal)
				peak.readings++
			}
			select {
			case <-done:
				peaks <- peak
				return
			case <-tick.C:
			}
		}
	}()

	var latencies []time.Duration
	errs := map[string]int{}
	var sample string
	w := startWatch(o.pid) // the process's RSS and CPU time, as in the other runs
	start := time.Now()
	for n := 1; n <= uo.uploads; n++ {
		path := o.prefix + "/patrons/" + patronID(n) + "/photo"
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, o.base+path, bytes.NewReader(data))
		if err != nil {
			return record{}, err
		}
		req.Header.Set("Authorization", "Bearer "+o.token)
		req.Header.Set("Content-Type", "image/jpeg")
		t0 := time.Now()
		resp, err := g.client.Do(req)
		if err != nil {
			latencies = append(latencies, time.Since(t0))
			errs["transport: "+shortError(err)]++
			continue
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		latencies = append(latencies, time.Since(t0))
		if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusCreated {
			errs["status "+strconv.Itoa(resp.StatusCode)]++
			if sample == "" {
				sample = fmt.Sprintf("PUT %s → %d %s", path, resp.StatusCode, answer)
			}
		}
	}
	elapsed := time.Since(start)
	close(done)
	peak := <-peaks
	watched := w.stop()

	slices.Sort(latencies)
	rec := record{
		Time: time.Now().UTC(), Rep: o.rep, Workload: o.workload, Target: o.target, Clients: 1,
		Seconds: elapsed.Seconds(), Requests: len(latencies), RPS: float64(len(latencies)) / elapsed.Seconds(),
		P50ms: ms(percentile(latencies, 0.50)), P99ms: ms(percentile(latencies, 0.99)), MaxMs: ms(latencies[len(latencies)-1]),
		UploadBytes:     len(data),
		HeapInUseMB:     before.inUse / mib,
		HeapInUsePeakMB: peak.inUse / mib,
		HeapGrowthMB:    (peak.inUse - before.inUse) / mib,
		HeapAllocPeakMB: peak.alloc / mib,
		HeapSysMB:       peak.sys / mib,
		HeapGoalMB:      peak.goal / mib,
		RSSMaxKB:        watched.rssMaxKB,
		HWMKB:           watched.hwmKB,
		CPUusPerReq:     watched.cpu.Seconds() * 1e6 / float64(len(latencies)),
	}
	for _, n := range errs {
		rec.Errors += n
	}
	rec.ErrorRate = float64(rec.Errors) / float64(rec.Requests)
	if rec.Errors > 0 {
		rec.ErrorKinds = errs
	}
	fmt.Printf("%-8s %-11s %d uploads of %.1f MB, p50 %.0f ms, CPU %.0f ms an upload: heap in use %.1f MB after a collection, "+
		"at most %.1f MB in %d readings while uploading: growth %.1f MB (HeapAlloc at most %.1f MB, HeapSys %.1f MB, the collector's goal at most %.1f MB; RSS at most %.1f MB)\n",
		rec.Target, rec.Workload, rec.Requests, float64(len(data))/mib, rec.P50ms, rec.CPUusPerReq/1000,
		rec.HeapInUseMB, rec.HeapInUsePeakMB, peak.readings, rec.HeapGrowthMB, rec.HeapAllocPeakMB, rec.HeapSysMB,
		rec.HeapGoalMB, float64(rec.RSSMaxKB)/1024)
	for kind, n := range errs {
		fmt.Printf("  error %s: %d\n", kind, n)
	}
	if sample != "" {
		fmt.Printf("  first error answer: %s\n", sample)
	}
	return rec, nil
}

// readHeap reads the server's heap figures from its /metrics (the Go collector's memstats).
func (g *generator) readHeap(ctx context.Context) (heapReading, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.opts.base+"/metrics", nil)
	if err != nil {
		return heapReading{}, err
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return heapReading{}, fmt.Errorf("read the server's heap: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return heapReading{}, fmt.Errorf("read the server's heap: GET /metrics: status %d", resp.StatusCode)
	}
	var h heapReading
	found := 0
	s := bufio.NewScanner(resp.Body)
	for s.Scan() {
		name, value, ok := strings.Cut(s.Text(), " ")
		if !ok {
			continue
		}
		var field *float64
		switch name {
		case "go_memstats_heap_inuse_bytes":
			field = &h.inUse
		case "go_memstats_heap_alloc_bytes":
			field = &h.alloc
		case "go_memstats_heap_sys_bytes":
			field = &h.sys
		case "go_memstats_next_gc_bytes":
			field = &h.goal
		default:
			continue
		}
		if *field, err = strconv.ParseFloat(value, 64); err != nil {
			return heapReading{}, fmt.Errorf("read the server's heap: %s: %w", name, err)
		}
		found++
	}
	if err := s.Err(); err != nil {
		return heapReading{}, fmt.Errorf("read the server's heap: %w", err)
	}
	if found != 4 {
		return heapReading{}, fmt.Errorf("read the server's heap: /metrics lacks one of go_memstats_heap_{inuse,alloc,sys}_bytes, go_memstats_next_gc_bytes")
	}
	return h, nil
}

// get sends a GET to url and wants a 200.
func (g *generator) get(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// writePhotoZip writes a zip of n school photos, one for each of patrons 1 to n, named by
// their sourced_id (SRC-0000001.jpg, …: a zip named by id), as a photographer's would come.
// Every picture is its own (portrait k for k = 8, 9, …: the seeded ones are 0 to 7), so that
// the import replaces every seeded photo rather than finding it unchanged.
func writePhotoZip(w io.Writer, n int) error {
	zw := zip.NewWriter(w)
	for i := 1; i <= n; i++ {
		f, err := zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("SRC-%07d.jpg", i), Method: zip.Store})
		if err != nil {
			return err
		}
		if _, err := f.Write(portrait(photoPictures + i)); err != nil {
			return err
		}
	}
	return zw.Close()
}
