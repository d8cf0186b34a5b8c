// Command load is the benchmark's load generator. It runs N keep-alive workers against one
// server for a fixed time; each picks a request at random from the workload, and every
// latency is kept, so that p50 and p99 are exact (nearest rank over all requests), not
// estimated from buckets. It prints one line for people and, with -out, appends one JSON record
// for bench/report.
//
// The same binary drives Rapport (-prefix /v1 with a bearer token) and the baseline (no prefix,
// no token); the requests are otherwise the same.
//
// Workloads:
//
//	get-patron          GET {prefix}/patrons/{id} of a random patron n (ids: patronID, seed.sql)
//	page-50             GET {prefix}/patrons?limit=50&cursor=… with a random cursor from the
//	                    server's own first -pages pages, collected before the timed run (cursors
//	                    are opaque)
//	search              GET {prefix}/patrons?q=… with a random typeahead query
//	patron-history      GET {prefix}/patrons/{id}/interactions of a random patron: the first page,
//	                    of the default size (50)
//	create-note         POST {prefix}/patrons/{id}/notes of a small note about a random patron
//	create-interaction  POST {prefix}/interactions of a reference question of a random patron at
//	                    the patron's school (schoolOf)
//	changes             GET {prefix}/changes?limit=200&cursor=… with a random cursor from the feed's
//	                    first -pages pages
//	photo-96            GET {prefix}/patrons/{id}/photo?size=96 of a random patron: 200 with the JPEG
//	photo-304           the same with If-None-Match of the ETag the patron's photo has: 304
//	photo-signed        GET {prefix}/photos/sourced_id/{id}/96.jpg?client_id=bench&exp=…&sig=… of a
//	                    random patron, signed with the bench client's photo URL secret, no token: 200
//	photo-upload        not a throughput run: -uploads sequential PUTs of a 5 MB JPEG while the
//	                    server's heap is read from its /metrics (photo.go, measureUpload)
//
// Any answer but 2xx is an error, and so is any transport error; photo-96 wants exactly 200 and
// photo-304 exactly 304. More errors than -max-error-rate of the requests make the command exit
// with status 3 (after the record is written), so that bench/run fails loudly rather than
// report figures of a broken server.
package main

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

type options struct {
	base         string // e.g. http://127.0.0.1:18080
	prefix       string // path prefix of the API: /v1 for Rapport, "" for the baseline
	token        string
	target       string // the name in the record: rapport, baseline
	workload     string
	clients      int
	duration     time.Duration
	warmup       time.Duration
	patrons      int
	pages        int
	searchLimit  int // names a search asks for: a typeahead shows about ten
	pid          int
	rep          int
	out          string
	maxErrorRate float64
	upload       uploadOptions // photo-upload only
}

func main() {
	var o options
	flag.StringVar(&o.base, "url", "http://127.0.0.1:18080", "server base URL")
	flag.StringVar(&o.prefix, "prefix", "", "API path prefix (/v1 for Rapport)")
	flag.StringVar(&o.token, "token", "", "bearer token (none when empty)")
	flag.StringVar(&o.target, "target", "rapport", "name of the server in the results")
	flag.StringVar(&o.workload, "workload", "get-patron", "get-patron, page-50, search, patron-history, changes, create-note, create-interaction, photo-96, photo-304, photo-signed or photo-upload")
	flag.IntVar(&o.clients, "c", 32, "concurrent workers, one keep-alive connection each")
	flag.DurationVar(&o.duration, "d", 15*time.Second, "measured duration")
	flag.DurationVar(&o.warmup, "warmup", 2*time.Second, "unmeasured run before the measured one")
	flag.IntVar(&o.patrons, "patrons", 100_000, "patrons seeded, numbered from 1")
	flag.IntVar(&o.pages, "pages", 300, "pages to walk for page-50 cursors")
	flag.IntVar(&o.searchLimit, "search-limit", 10, "limit of each search: what a typeahead shows")
	flag.IntVar(&o.pid, "pid", 0, "server process to watch for RSS and CPU time (0: none)")
	flag.IntVar(&o.rep, "rep", 1, "repetition number, for the record")
	flag.StringVar(&o.out, "out", "", "append a JSON record of the results to this file")
	flag.Float64Var(&o.maxErrorRate, "max-error-rate", 0.001, "fail when errors exceed this share of requests")
	flag.StringVar(&o.upload.pprofURL, "pprof", "http://127.0.0.1:16060", "photo-upload: the server's profiler (to collect its garbage first)")
	flag.IntVar(&o.upload.uploads, "uploads", 3, "photo-upload: sequential uploads, to patrons 1, 2, …")
	flag.DurationVar(&o.upload.interval, "heap-interval", 20*time.Millisecond, "photo-upload: time between two readings of the server's heap")
	printPhotoSeed := flag.Bool("print-photo-seed", false, "print the SQL of the seeded pictures' blobs (for bench/seed-photos.sql) and exit")
	printPhotoZip := flag.Int("print-photo-zip", 0, "write a zip of this many school photos, named by the sourced_ids of patrons 1, 2, …, to stdout and exit")
	printSearches := flag.Bool("print-searches", false, "print the search workload's queries, URL-encoded, one a line, and exit")
	printInteraction := flag.Int("print-interaction", 0, "print the create-interaction body for this patron and exit")
	flag.Parse()

	if *printSearches {
		// bench/run checks that Rapport and the baseline answer each of them alike.
		for _, q := range searches {
			fmt.Println(url.QueryEscape(q))
		}
		return
	}
	if *printInteraction > 0 {
		// bench/run sends it to both servers and compares the answers.
		fmt.Println(string(interactionBody(*printInteraction, interactionSummaries[0])))
		return
	}
	if *printPhotoZip > 0 {
		// bench/run imports it and times the import (photo-import).
		if err := writePhotoZip(os.Stdout, *printPhotoZip); err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			os.Exit(1)
		}
		return
	}
	if *printPhotoSeed {
		// bench/run writes it to a file that bench/seed-photos.sql includes.
		if err := printPhotoSeedSQL(os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "load: %v\n", err)
			os.Exit(2)
		}
		return
	}

	code, err := run(context.Background(), o)
	if err != nil {
		fmt.Fprintf(os.Stderr, "load: %v\n", err)
	}
	os.Exit(code)
}

// A request is everything needed to send one: built once per pick, sent by a worker.
type request struct {
	method, path string
	body         []byte
	ifNoneMatch  string // an ETag the client holds; "" for none
	want         int    // the only status that is not an error; 0 for any 2xx
	noToken      bool   // send no bearer token (a signed URL)
}

// A workload picks the next request; it must be safe to call from many workers with their own
// random sources.
type workload func(rng *rand.Rand) request

func run(ctx context.Context, o options) (int, error) {
	client := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			MaxIdleConnsPerHost: o.clients,
			MaxConnsPerHost:     o.clients,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
	}
	g := &generator{client: client, opts: o}
	if o.workload == "photo-upload" {
		return g.runUpload(ctx)
	}
	pick, err := g.workload(ctx)
	if err != nil {
		return 2, err
	}

	if o.warmup > 0 {
		g.phase(pick, o.warmup)
	}
	w := startWatch(o.pid)
	res := g.phase(pick, o.duration)
	res.watch = w.stop()

	rec := res.record(o)
	fmt.Println(rec.summary())
	for kind, n := range res.errors {
		fmt.Printf("  error %s: %d\n", kind, n)
	}
	if res.sample != "" {
		fmt.Printf("  first error answer: %s\n", res.sample)
	}
	return g.finish(rec)
}

// runUpload measures the server's heap while it takes uploads (photo.go), and records it.
func (g *generator) runUpload(ctx context.Context) (int, error) {
	rec, err := g.measureUpload(ctx, g.opts.upload)
	if err != nil {
		return 2, err
	}
	return g.finish(rec)
}

// finish appends the record to -out and says whether its figures are valid: exit status 3
// when no request completed or too many failed.
func (g *generator) finish(rec record) (int, error) {
	o := g.opts
	if o.out != "" {
		if err := appendRecord(o.out, rec); err != nil {
			return 2, err
		}
	}
	if rec.Requests == 0 {
		return 3, errors.New("no request completed")
	}
	if rec.ErrorRate > o.maxErrorRate {
		return 3, fmt.Errorf("%s %s: %d errors in %d requests (%.2f%%), more than %.2f%%: the figures are not valid",
			o.target, o.workload, rec.Errors, rec.Requests, 100*rec.ErrorRate, 100*o.maxErrorRate)
	}
	return 0, nil
}

type generator struct {
	client *http.Client
	opts   options
}

// benchUUID is seed.sql's bench_uuid(seed): the MD5 of seed with the version set to 4 and the
// variant to RFC 9562's.
func benchUUID(seed string) string {
	sum := md5.Sum([]byte(seed))
	sum[6] = sum[6]&0x0f | 0x40
	sum[8] = sum[8]&0x3f | 0x80
	h := hex.EncodeToString(sum[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// patronID is the id seed.sql gives patron n, bench_uuid(n::text).
func patronID(n int) string { return benchUUID(strconv.Itoa(n)) }

// schoolOf is the id of patron n's school: seed.sql puts patron n at school 1 + n % 10, whose id
// is bench_uuid('bench-school-' || (1 + n % 10)).
func schoolOf(n int) string { return benchUUID("bench-school-" + strconv.Itoa(1+n%10)) }

// searches are what people type into a name box, keystroke by keystroke: one- to
// three-letter prefixes, whole names with and without their accents, typos, and a given name
// with the start of a family name.
var searches = []string{
	"z", "zo", "zoe", "zoë", "zoe sm", "zoë smith", "zoe smtih",
	"m", "mu", "mül", "mul", "muller", "müller", "mueller",
	"j", "jo", "jos", "jose", "josé", "josé garcía", "jose garcia", "jonh", "jhon", "jonathan",
	"n", "ng", "ngu", "nguyen", "nguyễn", "ngoc anh", "thao", "minh nguyen",
	"d", "du", "dub", "dubois", "élodie dubois", "elodie",
	"o'brien", "obrien", "van der", "van der berg", "smith-jones",
	"a", "e", "li", "liam", "emma j", "olivia w", "sam", "pepe", "ma", "mary kate",
	"chen", "kim", "yilmaz", "yılmaz", "celik", "angstrom", "oberg", "lukasz", "łukasz", "siobhan",
	"hern", "hernandez", "rodrigez", "martinex", "willaims", "jonson", "smiht", "garica",
}

// noteBodies are small notes of the kind a librarian types at the desk.
var noteBodies = []string{
	"Loves the Wings of Fire series; asked when book 15 comes in",
	"Asked for more manga like Haikyu!!",
	"Into dinosaurs this month, especially the feathered ones",
	"Wants to read everything by Kwame Alexander",
	"Mentioned a robotics competition in March; suggested the Arduino books",
	"Started on audiobooks for the long fantasy series",
}

// interactionSummaries are reference questions as a librarian logs them.
var interactionSummaries = []string{
	"Where the atlases are",
	"Books on volcanoes for the science fair",
	"Poetry for a class presentation",
	"Primary sources on the Dust Bowl",
	"How to cite a website in MLA",
	"Biographies of women scientists",
}

// interactionBody is the InteractionCreate of a reference question of patron n at the patron's
// school, answered in five minutes at READ level 2.
func interactionBody(n int, summary string) []byte {
	b, _ := json.Marshal(struct {
		SchoolID        string   `json:"school_id"`
		PatronIDs       []string `json:"patron_ids"`
		Kind            string   `json:"kind"`
		Channel         string   `json:"channel"`
		Summary         string   `json:"summary"`
		Outcome         string   `json:"outcome"`
		ReadLevel       int      `json:"read_level"`
		DurationMinutes int      `json:"duration_minutes"`
	}{schoolOf(n), []string{patronID(n)}, "reference", "in_person", summary, "answered", 2, 5})
	return b
}

// workload returns the request picker for the chosen workload, doing what it needs first
// (collecting cursors for page-50).
func (g *generator) workload(ctx context.Context) (workload, error) {
	o := g.opts
	patrons := o.prefix + "/patrons"
	switch o.workload {
	case "changes":
		// A reader following the change feed: a page of 200 events after a cursor the feed
		// handed out (collected by walking it once, like page-50's).
		feed := o.prefix + "/changes?limit=200"
		cursors, err := g.collectCursors(ctx, feed, o.pages)
		if err != nil {
			return nil, err
		}
		fmt.Printf("%s changes: walked %d pages of the feed for their cursors\n", o.target, len(cursors))
		return func(rng *rand.Rand) request {
			c := cursors[rng.IntN(len(cursors))]
			path := feed
			if c != "" {
				path += "&cursor=" + url.QueryEscape(c)
			}
			return request{method: http.MethodGet, path: path}
		}, nil
	case "get-patron":
		return func(rng *rand.Rand) request {
			return request{method: http.MethodGet, path: patrons + "/" + patronID(1+rng.IntN(o.patrons))}
		}, nil
	case "page-50":
		cursors, err := g.collectCursors(ctx, patrons+"?limit=50", o.pages)
		if err != nil {
			return nil, err
		}
		fmt.Printf("%s page-50: walked %d pages for their cursors\n", o.target, len(cursors))
		return func(rng *rand.Rand) request {
			c := cursors[rng.IntN(len(cursors))]
			path := patrons + "?limit=50"
			if c != "" {
				path += "&cursor=" + url.QueryEscape(c)
			}
			return request{method: http.MethodGet, path: path}
		}, nil
	case "search":
		return func(rng *rand.Rand) request {
			q := url.QueryEscape(searches[rng.IntN(len(searches))])
			return request{method: http.MethodGet, path: patrons + "?limit=" + strconv.Itoa(o.searchLimit) + "&q=" + q}
		}, nil
	case "create-note":
		bodies := make([][]byte, len(noteBodies))
		for i, text := range noteBodies {
			bodies[i], _ = json.Marshal(map[string]string{"body": text, "kind": "interest"})
		}
		return func(rng *rand.Rand) request {
			return request{method: http.MethodPost, path: patrons + "/" + patronID(1+rng.IntN(o.patrons)) + "/notes",
				body: bodies[rng.IntN(len(bodies))]}
		}, nil
	case "patron-history":
		return func(rng *rand.Rand) request {
			return request{method: http.MethodGet, path: patrons + "/" + patronID(1+rng.IntN(o.patrons)) + "/interactions"}
		}, nil
	case "create-interaction":
		path := o.prefix + "/interactions"
		return func(rng *rand.Rand) request {
			n := 1 + rng.IntN(o.patrons)
			return request{method: http.MethodPost, path: path,
				body: interactionBody(n, interactionSummaries[rng.IntN(len(interactionSummaries))])}
		}, nil
	case "photo-96":
		// A client without the photo: the JPEG comes back, is counted against the client's
		// daily cap and is written to the access log.
		return func(rng *rand.Rand) request {
			return request{method: http.MethodGet, path: photoPath(o.prefix, 1+rng.IntN(o.patrons)), want: http.StatusOK}
		}, nil
	case "photo-signed":
		// A device-management consumer pulling by the URLs it signs, without a token: the
		// bench client's, whose URL secret bench/seed-photos.sql sets. URLs are signed before
		// the run, as a consumer would hand them out.
		urls := make([]string, o.patrons)
		exp := time.Now().Add(24 * time.Hour).Unix()
		for i := range urls {
			urls[i] = signedPhotoPath(o.prefix, 1+i, exp)
		}
		return func(rng *rand.Rand) request {
			return request{method: http.MethodGet, path: urls[rng.IntN(len(urls))], want: http.StatusOK, noToken: true}
		}, nil
	case "photo-304":
		// A client that has the photo already (an LMS or a desk screen checking for a new
		// one): it sends the ETag it holds, and nothing but the 304 comes back.
		etags, err := g.photoETags(ctx)
		if err != nil {
			return nil, err
		}
		return func(rng *rand.Rand) request {
			n := 1 + rng.IntN(o.patrons)
			return request{method: http.MethodGet, path: photoPath(o.prefix, n),
				ifNoneMatch: etags[n%photoPictures], want: http.StatusNotModified}
		}, nil
	}
	return nil, fmt.Errorf("unknown workload %q (want get-patron, page-50, search, patron-history, changes, create-note, create-interaction, photo-96, photo-304, photo-signed or photo-upload)", o.workload)
}

// collectCursors walks the first pages of the list through the server's own API and returns
// the cursor of each page, the first page's being "".
func (g *generator) collectCursors(ctx context.Context, first string, pages int) ([]string, error) {
	cursors := []string{""}
	path := first
	for len(cursors) < pages {
		resp, err := g.send(ctx, request{method: http.MethodGet, path: path})
		if err != nil {
			return nil, fmt.Errorf("walk pages: %w", err)
		}
		var page struct {
			NextCursor string `json:"next_cursor"`
			HasMore    *bool  `json:"has_more"` // the change feed's: it always answers a cursor
		}
		err = json.NewDecoder(resp.Body).Decode(&page)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil {
			return nil, fmt.Errorf("walk pages: GET %s: status %d, %v", path, resp.StatusCode, err)
		}
		if page.NextCursor == "" || (page.HasMore != nil && !*page.HasMore) {
			break
		}
		cursors = append(cursors, page.NextCursor)
		path = first + "&cursor=" + url.QueryEscape(page.NextCursor)
	}
	return cursors, nil
}

func (g *generator) send(ctx context.Context, r request) (*http.Response, error) {
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, g.opts.base+r.path, body)
	if err != nil {
		return nil, err
	}
	if g.opts.token != "" && !r.noToken {
		req.Header.Set("Authorization", "Bearer "+g.opts.token)
	}
	if r.body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.ifNoneMatch != "" {
		req.Header.Set("If-None-Match", r.ifNoneMatch)
	}
	return g.client.Do(req)
}

// result is what the workers of one phase saw.
type result struct {
	elapsed   time.Duration
	latencies []time.Duration // of every completed request, errors included
	bytes     int64
	errors    map[string]int
	sample    string // the body of the first error answer, to say what went wrong
	watch     watchResult
}

// phase runs the workers for d and gathers what they saw. A worker starts no request after
// d, but finishes the one in flight: cancelling it would count as an error.
func (g *generator) phase(pick workload, d time.Duration) result {
	type worker struct {
		latencies []time.Duration
		bytes     int64
		errors    map[string]int
		sample    string
	}
	workers := make([]worker, g.opts.clients)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	for i := range workers {
		w := &workers[i]
		w.latencies = make([]time.Duration, 0, 1<<14)
		w.errors = map[string]int{}
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i)))
		wg.Go(func() {
			for time.Now().Before(deadline) {
				r := pick(rng)
				t0 := time.Now()
				resp, err := g.send(context.Background(), r)
				if err != nil {
					w.latencies = append(w.latencies, time.Since(t0))
					w.errors["transport: "+shortError(err)]++
					continue
				}
				// Reading the whole body is part of the request, and lets the connection be reused.
				n, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				w.latencies = append(w.latencies, time.Since(t0))
				w.bytes += n
				switch {
				case err != nil:
					w.errors["transport: "+shortError(err)]++
				case r.want != 0 && resp.StatusCode != r.want,
					r.want == 0 && (resp.StatusCode < 200 || resp.StatusCode > 299):
					w.errors["status "+strconv.Itoa(resp.StatusCode)]++
					if w.sample == "" {
						w.sample = fmt.Sprintf("%s %s → %d", r.method, r.path, resp.StatusCode)
					}
				}
			}
		})
	}
	wg.Wait()
	res := result{elapsed: time.Since(start), errors: map[string]int{}}
	for _, w := range workers {
		res.latencies = append(res.latencies, w.latencies...)
		res.bytes += w.bytes
		for k, n := range w.errors {
			res.errors[k] += n
		}
		if res.sample == "" {
			res.sample = w.sample
		}
	}
	return res
}

func shortError(err error) string {
	s := err.Error()
	if i := strings.LastIndex(s, ": "); i >= 0 {
		s = s[i+2:]
	}
	return s
}

// record is one line of bench/out/runs-*.jsonl; bench/report reads it.
type record struct {
	Time        time.Time      `json:"time"`
	Rep         int            `json:"rep"`
	Workload    string         `json:"workload"`
	Target      string         `json:"target"`
	Clients     int            `json:"clients"`
	Seconds     float64        `json:"seconds"`
	Requests    int            `json:"requests"`
	RPS         float64        `json:"rps"`
	P50ms       float64        `json:"p50_ms"`
	P99ms       float64        `json:"p99_ms"`
	MaxMs       float64        `json:"max_ms"`
	Errors      int            `json:"errors"`
	ErrorRate   float64        `json:"error_rate"`
	ErrorKinds  map[string]int `json:"error_kinds,omitempty"`
	BytesPerReq float64        `json:"bytes_per_req"`
	// Watched server process: its largest VmRSS sampled every 200 ms during the run, its
	// VmHWM (peak RSS since it started) at the end, and its CPU time per request.
	RSSMaxKB    int64   `json:"rss_max_kb,omitempty"`
	HWMKB       int64   `json:"hwm_kb,omitempty"`
	CPUusPerReq float64 `json:"cpu_us_per_req,omitempty"`
	// photo-upload only (measureUpload): the size of the JPEG sent, and the server's heap in use
	// after a collection before the uploads, its largest reading during them, and the growth
	// (the difference); the largest HeapAlloc, HeapSys and collector's goal read, as checks.
	UploadBytes     int     `json:"upload_bytes,omitempty"`
	HeapInUseMB     float64 `json:"heap_inuse_mb,omitempty"`
	HeapInUsePeakMB float64 `json:"heap_inuse_peak_mb,omitempty"`
	HeapGrowthMB    float64 `json:"heap_growth_mb,omitempty"`
	HeapAllocPeakMB float64 `json:"heap_alloc_peak_mb,omitempty"`
	HeapSysMB       float64 `json:"heap_sys_mb,omitempty"`
	HeapGoalMB      float64 `json:"heap_goal_mb,omitempty"`
}

func (res result) record(o options) record {
	lat := res.latencies
	slices.Sort(lat)
	errs := 0
	for _, n := range res.errors {
		errs += n
	}
	r := record{
		Time: time.Now().UTC(), Rep: o.rep, Workload: o.workload, Target: o.target, Clients: o.clients,
		Seconds: res.elapsed.Seconds(), Requests: len(lat), Errors: errs,
		P50ms: ms(percentile(lat, 0.50)), P99ms: ms(percentile(lat, 0.99)),
		RSSMaxKB: res.watch.rssMaxKB, HWMKB: res.watch.hwmKB,
	}
	if len(lat) > 0 {
		r.MaxMs = ms(lat[len(lat)-1])
		r.RPS = float64(len(lat)) / res.elapsed.Seconds()
		r.ErrorRate = float64(errs) / float64(len(lat))
		r.BytesPerReq = float64(res.bytes) / float64(len(lat))
		r.CPUusPerReq = res.watch.cpu.Seconds() * 1e6 / float64(len(lat))
	}
	if errs > 0 {
		r.ErrorKinds = res.errors
	}
	return r
}

// percentile is the nearest-rank percentile of sorted latencies: the smallest value with at
// least p of them at or below it.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func (r record) summary() string {
	s := fmt.Sprintf("%-8s %-11s c=%-3d %8.0f req/s  p50 %6.2f ms  p99 %7.2f ms  max %7.1f ms  %d requests, %d errors (%.3f%%), %.0f B/req",
		r.Target, r.Workload, r.Clients, r.RPS, r.P50ms, r.P99ms, r.MaxMs, r.Requests, r.Errors, 100*r.ErrorRate, r.BytesPerReq)
	if r.RSSMaxKB > 0 {
		s += fmt.Sprintf(", server RSS max %.1f MB, CPU %.0f µs/req", float64(r.RSSMaxKB)/1024, r.CPUusPerReq)
	}
	return s
}

func appendRecord(path string, r record) error {
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
