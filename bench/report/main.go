// Command report turns the records of a benchmark run (bench/out/runs-*.jsonl, one JSON object
// per measured run, written by bench/load and by bench/run for pgbench) into the markdown
// tables that bench/run prints and README.md records, and checks the targets.
//
// Every figure is the median over the repetitions. Ratios are paired: computed within each
// repetition, where the runs were seconds apart, and then the median taken; on a shared,
// noisy machine the ratio of two back-to-back runs is far steadier than either figure. A
// workload without a baseline (the change feed, photos) is compared with Rapport's own GET by
// id instead. The upload measurement (photo-upload) is not a throughput run: it gets a
// paragraph and a target line of its own.
//
// It exits with status 1 when any run had more errors than the load generator allows, so
// that a broken server cannot pass for a slow one.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
)

// record is a line of the runs file; bench/load writes the same fields.
type record struct {
	Rep         int            `json:"rep"`
	Workload    string         `json:"workload"`
	Target      string         `json:"target"`
	Clients     int            `json:"clients"`
	Requests    int            `json:"requests"`
	RPS         float64        `json:"rps"`
	P50ms       float64        `json:"p50_ms"`
	P99ms       float64        `json:"p99_ms"`
	Errors      int            `json:"errors"`
	ErrorRate   float64        `json:"error_rate"`
	ErrorKinds  map[string]int `json:"error_kinds"`
	BytesPerReq float64        `json:"bytes_per_req"`
	RSSMaxKB    int64          `json:"rss_max_kb"`
	HWMKB       int64          `json:"hwm_kb"`
	CPUusPerReq float64        `json:"cpu_us_per_req"`
	// photo-upload only: the server's heap while it took the uploads (bench/load, measureUpload).
	UploadBytes     int     `json:"upload_bytes"`
	HeapInUseMB     float64 `json:"heap_inuse_mb"`
	HeapInUsePeakMB float64 `json:"heap_inuse_peak_mb"`
	HeapGrowthMB    float64 `json:"heap_growth_mb"`
	HeapAllocPeakMB float64 `json:"heap_alloc_peak_mb"`
	HeapSysMB       float64 `json:"heap_sys_mb"`
	HeapGoalMB      float64 `json:"heap_goal_mb"`
}

// uploadWorkload is the measurement of the server's heap during uploads: not a throughput run,
// so it has a paragraph and a target of its own instead of rows in the tables.
const uploadWorkload = "photo-upload"

// uploadHeapTarget is the most the server's heap may grow while it takes a 5 MB JPEG, in MB
// (2^20 bytes).
const uploadHeapTarget = 64

// byIDWorkloads are the workloads without a baseline (Rapport's alone): their figure is
// Rapport's req/s ÷ Rapport's GET by id req/s in the same repetition, at the same client
// count. A floor of 0 means no target: the figure is shown for what it is.
var byIDWorkloads = []struct {
	workload string
	label    string // what the target line says
	floor    float64
}{
	{"changes", "the change feed, pages of 200", 0},
	{"photo-96", "a patron's 96 px photo, the JPEG", 0.80},
	{"photo-304", "a patron's 96 px photo, 304 to its ETag", 0.95},
	{"photo-signed", "a patron's 96 px photo by a signed URL", 0.80},
}

func main() {
	in := flag.String("in", "", "runs file (JSON lines)")
	clients := flag.Int("clients", 32, "client count of the throughput targets")
	searchClients := flag.Int("search-clients", 8, "client count of the search target")
	searchLimitFlag := flag.Int("search-limit", 10, "limit of each search")
	maxErrorRate := flag.Float64("max-error-rate", 0.001, "share of errors above which a run is invalid")
	flag.Parse()

	records, err := read(*in)
	if err != nil {
		fmt.Fprintf(os.Stderr, "report: %v\n", err)
		os.Exit(2)
	}
	if !write(os.Stdout, records, *clients, *searchClients, *searchLimitFlag, *maxErrorRate) {
		os.Exit(1)
	}
}

func read(path string) ([]record, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var records []record
	s := bufio.NewScanner(f)
	for line := 1; s.Scan(); line++ {
		if strings.TrimSpace(s.Text()) == "" {
			continue
		}
		var r record
		if err := json.Unmarshal(s.Bytes(), &r); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", path, line, err)
		}
		records = append(records, r)
	}
	if err := s.Err(); err != nil {
		return nil, err
	}
	if len(records) == 0 {
		return nil, fmt.Errorf("%s holds no runs", path)
	}
	return records, nil
}

// group is one workload at one client count: its runs by target.
type group struct {
	workload string
	clients  int
	runs     map[string][]record // by target, in repetition order
}

func (g *group) name() string { return fmt.Sprintf("%s c=%d", g.workload, g.clients) }

// groups gathers the records by workload and client count, in the order they were run.
func groups(records []record) []*group {
	var out []*group
	for _, r := range records {
		i := slices.IndexFunc(out, func(g *group) bool { return g.workload == r.Workload && g.clients == r.Clients })
		if i < 0 {
			out = append(out, &group{workload: r.Workload, clients: r.Clients, runs: map[string][]record{}})
			i = len(out) - 1
		}
		out[i].runs[r.Target] = append(out[i].runs[r.Target], r)
	}
	return out
}

// median of a field over the runs; ok is false without runs.
func median(runs []record, field func(record) float64) (float64, bool) {
	if len(runs) == 0 {
		return 0, false
	}
	v := make([]float64, len(runs))
	for i, r := range runs {
		v[i] = field(r)
	}
	return medianOf(v), true
}

func medianOf(v []float64) float64 {
	slices.Sort(v)
	n := len(v)
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

// ratio is the median, over the repetitions that measured both, of a's req/s ÷ b's.
type ratio struct {
	median, min, max float64
	n                int
}

func pairedRatio(a, b []record) (ratio, bool) {
	var v []float64
	for _, ra := range a {
		for _, rb := range b {
			if ra.Rep == rb.Rep && rb.RPS > 0 {
				v = append(v, ra.RPS/rb.RPS)
			}
		}
	}
	if len(v) == 0 {
		return ratio{}, false
	}
	return ratio{median: medianOf(v), min: slices.Min(v), max: slices.Max(v), n: len(v)}, true
}

func (r ratio) String() string {
	if r.n > 1 {
		return fmt.Sprintf("%.2f (%.2f–%.2f)", r.median, r.min, r.max)
	}
	return fmt.Sprintf("%.2f", r.median)
}

var (
	rps         = func(r record) float64 { return r.RPS }
	p50         = func(r record) float64 { return r.P50ms }
	p99         = func(r record) float64 { return r.P99ms }
	cpu         = func(r record) float64 { return r.CPUusPerReq }
	answerBytes = func(r record) float64 { return r.BytesPerReq }
)

// cell formats the median of a field, or a dash without runs.
func cell(runs []record, field func(record) float64, format string) string {
	v, ok := median(runs, field)
	if !ok || v == 0 {
		return "–"
	}
	return fmt.Sprintf(format, v)
}

func write(w io.Writer, records []record, clients, searchClients, searchLimit int, maxErrorRate float64) bool {
	var runs, uploads []record
	for _, r := range records {
		if r.Workload == uploadWorkload {
			uploads = append(uploads, r)
		} else {
			runs = append(runs, r)
		}
	}
	gs := groups(runs)
	find := func(workload string, c int) *group {
		for _, g := range gs {
			if g.workload == workload && g.clients == c {
				return g
			}
		}
		return nil
	}
	// byID is the workload's req/s ÷ GET by id's, paired by repetition; ok is false when
	// either was not measured at this client count.
	byID := func(workload string, c int) (ratio, bool) {
		g, getByID := find(workload, c), find("get-patron", c)
		if g == nil || getByID == nil {
			return ratio{}, false
		}
		return pairedRatio(g.runs["rapport"], getByID.runs["rapport"])
	}
	reps := 0
	for _, r := range records {
		reps = max(reps, r.Rep)
	}
	fmt.Fprintf(w, "Median of %d repetition(s); ratios are paired within each repetition", reps)
	if reps > 1 {
		fmt.Fprint(w, " (median, then min–max)")
	}
	fmt.Fprint(w, ". Latencies in ms.\n\n")

	fmt.Fprintln(w, "| workload | Rapport req/s | p50 | p99 | baseline req/s | p50 | p99 | pgbench TPS | p50 | p99 | Rapport ÷ baseline | Rapport ÷ pgbench |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, g := range gs {
		ra, ba, pg := g.runs["rapport"], g.runs["baseline"], g.runs["pgbench"]
		vsBase, vsPG := "–", "–"
		if r, ok := pairedRatio(ra, ba); ok {
			vsBase = r.String()
		} else if r, ok := byID(g.workload, g.clients); ok && len(ba) == 0 && g.workload != "get-patron" {
			vsBase = r.String() + " × GET by id" // a workload without a baseline
		}
		if r, ok := pairedRatio(ra, pg); ok {
			vsPG = r.String()
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", g.name(),
			cell(ra, rps, "%.0f"), cell(ra, p50, "%.2f"), cell(ra, p99, "%.2f"),
			cell(ba, rps, "%.0f"), cell(ba, p50, "%.2f"), cell(ba, p99, "%.2f"),
			cell(pg, rps, "%.0f"), cell(pg, p50, "%.2f"), cell(pg, p99, "%.2f"),
			vsBase, vsPG)
	}

	fmt.Fprintln(w, "\nServer CPU per request (user + system time of the server process ÷ requests) and answer size:")
	fmt.Fprintln(w, "\n| workload | Rapport CPU µs/req | baseline CPU µs/req | Rapport ÷ baseline CPU | Rapport B/req | baseline B/req |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	for _, g := range gs {
		ra, ba := g.runs["rapport"], g.runs["baseline"]
		cpuRatio := "–"
		if a, ok := median(ra, cpu); ok {
			if b, ok := median(ba, cpu); ok && b > 0 {
				cpuRatio = fmt.Sprintf("%.2f", a/b)
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %s | %s |\n", g.name(),
			cell(ra, cpu, "%.0f"), cell(ba, cpu, "%.0f"), cpuRatio, cell(ra, answerBytes, "%.0f"), cell(ba, answerBytes, "%.0f"))
	}

	var rssMax, hwm, baseRSS int64
	for _, r := range records {
		switch r.Target {
		case "rapport":
			rssMax, hwm = max(rssMax, r.RSSMaxKB), max(hwm, r.HWMKB)
		case "baseline":
			baseRSS = max(baseRSS, r.RSSMaxKB)
		}
	}
	fmt.Fprintf(w, "\nMemory: Rapport's largest RSS sampled every 200 ms under load %.1f MB; its VmHWM (peak since start) %.1f MB. Baseline's largest RSS %.1f MB.\n",
		mb(rssMax), mb(hwm), mb(baseRSS))
	worst, hasUploads := largestGrowth(uploads)
	if hasUploads {
		fmt.Fprintf(w, "\nUploads (%s, the largest growth of %d repetition(s)): %d uploads of a %.1f MB JPEG one after another, %.0f ms each (p50), %.0f ms of server CPU each. "+
			"Rapport's heap in use %.1f MB after a collection before them, at most %.1f MB during them: growth %.1f MB. "+
			"Largest HeapAlloc %.1f MB; HeapSys (the heap's reservation since the server started, which bounds every peak) %.1f MB; "+
			"the collector's largest goal %.1f MB (three times the heap live at a collection, at the server's default GOGC=200).\n",
			uploadWorkload, len(uploads), worst.Requests, float64(worst.UploadBytes)/(1<<20), worst.P50ms, worst.CPUusPerReq/1000,
			worst.HeapInUseMB, worst.HeapInUsePeakMB, worst.HeapGrowthMB, worst.HeapAllocPeakMB, worst.HeapSysMB, worst.HeapGoalMB)
	}

	fmt.Fprintln(w, "\n| target | measured | verdict |")
	fmt.Fprintln(w, "|---|---:|---|")
	ratioTarget := func(label, workload string, floor float64) {
		g := find(workload, clients)
		if g == nil {
			fmt.Fprintf(w, "| %s | not measured | – |\n", label)
			return
		}
		r, ok := pairedRatio(g.runs["rapport"], g.runs["baseline"])
		if !ok {
			fmt.Fprintf(w, "| %s | not measured | – |\n", label)
			return
		}
		fmt.Fprintf(w, "| %s | %.2f | %s |\n", label, r.median, verdict(r.median >= floor))
	}
	ratioTarget(fmt.Sprintf("GET by id ≥ 0.75 × baseline req/s (c=%d)", clients), "get-patron", 0.75)
	ratioTarget(fmt.Sprintf("page of 50 ≥ 0.85 × baseline req/s (c=%d)", clients), "page-50", 0.85)
	ratioTarget(fmt.Sprintf("create interaction ≥ 0.60 × baseline req/s (c=%d)", clients), "create-interaction", 0.60)
	if g := find("search", searchClients); g != nil && len(g.runs["rapport"]) > 0 {
		v, _ := median(g.runs["rapport"], p99)
		fmt.Fprintf(w, "| name search p99 < 25 ms (c=%d, 100,000 patrons, typeahead pages of %d) | %.2f ms | %s |\n", searchClients, searchLimit, v, verdict(v < 25))
	} else {
		fmt.Fprintf(w, "| name search p99 < 25 ms (c=%d) | not measured | – |\n", searchClients)
	}
	if rssMax > 0 {
		fmt.Fprintf(w, "| Rapport RSS < 150 MB under load | %.1f MB | %s |\n", mb(max(rssMax, hwm)), verdict(mb(max(rssMax, hwm)) < 150))
	}
	// The workloads without a baseline, against Rapport's own GET by id.
	for _, t := range byIDWorkloads {
		if find(t.workload, clients) == nil {
			continue
		}
		r, ok := byID(t.workload, clients)
		switch {
		case !ok:
			fmt.Fprintf(w, "| %s (%s; c=%d) | not measured: needs get-patron c=%d in the same run | – |\n", t.workload, t.label, clients, clients)
		case t.floor == 0:
			fmt.Fprintf(w, "| %s (%s; c=%d): req/s ÷ GET by id req/s | %s | – |\n", t.workload, t.label, clients, r)
		default:
			fmt.Fprintf(w, "| %s (%s; c=%d) ≥ %.2f × GET by id req/s | %s | %s |\n", t.workload, t.label, clients, t.floor, r, verdict(r.median >= t.floor))
		}
	}
	if hasUploads {
		fmt.Fprintf(w, "| uploading a 5 MB JPEG: Rapport's heap grows < %d MB | %.1f MB | %s |\n",
			uploadHeapTarget, worst.HeapGrowthMB, verdict(worst.HeapGrowthMB < uploadHeapTarget))
	}

	ok := true
	for _, r := range records {
		if r.Errors > 0 {
			fmt.Fprintf(w, "\nErrors: %s %s c=%d rep %d: %d of %d requests %v", r.Target, r.Workload, r.Clients, r.Rep, r.Errors, r.Requests, r.ErrorKinds)
		}
		if r.Requests == 0 || r.ErrorRate > maxErrorRate {
			ok = false
		}
	}
	if !ok {
		fmt.Fprintf(w, "\n\n**FAILED: some runs had more than %.1f%% errors (or none completed); their figures are not valid.**\n", 100*maxErrorRate)
	} else {
		fmt.Fprintln(w)
	}
	return ok
}

// largestGrowth returns the upload record with the largest heap growth: the target is a
// ceiling, so the worst repetition is the one that answers it.
func largestGrowth(uploads []record) (record, bool) {
	if len(uploads) == 0 {
		return record{}, false
	}
	worst := uploads[0]
	for _, r := range uploads[1:] {
		if r.HeapGrowthMB > worst.HeapGrowthMB {
			worst = r
		}
	}
	return worst, true
}

func verdict(met bool) string {
	if met {
		return "met"
	}
	return "**missed**"
}

func mb(kb int64) float64 { return float64(kb) / 1024 }
