package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/rapportlib/rapport/internal/photo"
	"github.com/rapportlib/rapport/internal/photozip"
	"github.com/rapportlib/rapport/internal/rapport"
)

// importCommand runs `rapport import photos FILE.zip`: the API's POST /v1/imports/photos from
// the command line, with the same options and the same report.
func importCommand(ctx context.Context, cfg config, args []string, stdout io.Writer) error {
	const usage = "usage: rapport import photos --district SLUG [--school SLUG] [--id-type barcode|sis_id|sourced_id|lms_id] " +
		"[--trim-leading-zeros] [--fold-case] [--source photographer_import|sis_sync|staff_upload|self] [--captured-on YYYY-MM-DD] [--override] [--dry-run] FILE.zip"
	if len(args) == 0 || args[0] != "photos" {
		return fmt.Errorf("%s", usage)
	}
	fs := flag.NewFlagSet("import photos", flag.ContinueOnError)
	fs.SetOutput(stdout)
	district := fs.String("district", "", "the slug of the district")
	school := fs.String("school", "", "match only this school's patrons (its slug)")
	idType := fs.String("id-type", "", "which id of the patron the map holds; default barcode for idlink.txt and datalink.txt, sis_id otherwise")
	trimZeros := fs.Bool("trim-leading-zeros", false, "compare ids without their leading zeros")
	foldCase := fs.Bool("fold-case", false, "compare ids whatever their letter case")
	source := fs.String("source", string(rapport.SourcePhotographerImport), "where the photos come from")
	capturedOn := fs.String("captured-on", "", "the day the photos were taken (YYYY-MM-DD)")
	override := fs.Bool("override", false, "let sis_sync photos replace newer photos the school chose")
	dryRun := fs.Bool("dry-run", false, "check everything and report, writing nothing")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *district == "" || fs.NArg() != 1 {
		return fmt.Errorf("%s", usage)
	}
	if !slices.Contains(rapport.PhotoSources, rapport.PhotoSource(*source)) {
		return fmt.Errorf("--source must be one of %v", rapport.PhotoSources)
	}
	opts := photo.ImportOptions{IDType: *idType, Rules: photozip.IDRules{TrimLeadingZeros: *trimZeros, FoldCase: *foldCase},
		Source: rapport.PhotoSource(*source), Override: *override, DryRun: *dryRun, FileName: filepath.Base(fs.Arg(0))}
	if *capturedOn != "" {
		day, err := time.Parse(time.DateOnly, *capturedOn)
		if err != nil {
			return fmt.Errorf("--captured-on must be a day such as 2026-09-01, not %q", *capturedOn)
		}
		opts.CapturedOn = day
	}
	file, err := os.Open(fs.Arg(0))
	if err != nil {
		return err
	}
	defer file.Close()
	info, err := file.Stat()
	if err != nil {
		return err
	}
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	principal, err := districtPrincipal(ctx, store, *district)
	if err != nil {
		return err
	}
	if *school != "" {
		s, err := schoolBySlug(ctx, store, principal.Tenant, *school)
		if err != nil {
			return err
		}
		opts.SchoolID = s.ID
	}
	started := time.Now()
	imp, err := photo.NewService(store, photo.Limits{MaxPixels: cfg.PhotoMaxPixels}).Import(ctx, principal, file, info.Size(), opts)
	if err != nil {
		return err
	}
	printImport(stdout, imp, time.Since(started))
	return nil
}

// printImport writes an import's report: the counts, then every file not imported, and why.
func printImport(w io.Writer, imp rapport.PhotoImport, took time.Duration) {
	what := "import " + imp.ID.String()
	if imp.Status == "dry_run" {
		what = "dry run (nothing written)"
	}
	fmt.Fprintf(w, "%s: map %s, matched by %s, %d files in %s\n", what, imp.MapFormat, imp.IDType, len(imp.Files), took.Round(time.Millisecond))
	results := make([]string, 0, len(imp.Counts))
	for result := range imp.Counts {
		results = append(results, result)
	}
	slices.Sort(results)
	for _, result := range results {
		fmt.Fprintf(w, "  %-10s %d\n", result, imp.Counts[result])
	}
	for _, f := range imp.Files {
		if f.Result == "imported" || f.Result == "unchanged" {
			continue
		}
		where := f.File
		if f.Line > 0 {
			where = fmt.Sprintf("%s (map line %d)", f.File, f.Line)
		}
		fmt.Fprintf(w, "  %s: %s: %s\n", where, f.Result, f.Reason)
	}
}
