package photo

import (
	"context"
	"errors"
	"io"
	"runtime"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/rapportlib/rapport/internal/photozip"
	"github.com/rapportlib/rapport/internal/rapport"
)

// ImportOptions says how to import a zip of photos.
type ImportOptions struct {
	IDType     string           // which id of the patron the map holds; "" for the format's own
	Rules      photozip.IDRules // how ids compare: leading zeros, letter case
	SchoolID   uuid.UUID        // match only this school's patrons; uuid.Nil for every school in scope
	Source     rapport.PhotoSource
	CapturedOn time.Time
	Override   bool
	DryRun     bool
	FileName   string
}

// The results of a file of an import.
const (
	resultImported  = "imported"
	resultUnchanged = "unchanged"
	resultNoPatron  = "no_patron"
	resultAmbiguous = "ambiguous"
	resultNotImage  = "not_image"
	resultTooLarge  = "too_large"
	resultKept      = "kept"
	resultSkipped   = "skipped"
	resultFailed    = "failed"
)

// Import imports a zip of photos with its map: each picture whose id names one patron in
// scope goes through Process and becomes that patron's photo, as an upload would, in a unit of
// work of its own, so that a file is imported whole or not at all and one bad file does not
// stop the others. The pictures are processed on every core, two at a time per core, so that
// memory stays bounded whatever the zip's size (each member is read through a bounded reader).
//
// A zip that cannot be opened (not a zip, too many members) is an error of kind
// Unprocessable, and nothing is imported. Everything else is in the report: the import's
// Files and Counts. With DryRun, nothing is written and the report is not kept.
func (s *Service) Import(ctx context.Context, p *rapport.Principal, zip io.ReaderAt, size int64, opts ImportOptions) (rapport.PhotoImport, error) {
	archive, err := photozip.Open(zip, size, photozip.DefaultLimits())
	if err != nil {
		return rapport.PhotoImport{}, err
	}
	idType := opts.IDType
	if idType == "" {
		idType = "sis_id"
		if archive.Format == photozip.MapIDLink || archive.Format == photozip.MapDataLink {
			idType = "barcode" // Destiny and Koha map pictures to library card numbers
		}
	}
	known, err := s.store.PatronIDValues(ctx, p.Tenant, idType, opts.SchoolID)
	if err != nil {
		return rapport.PhotoImport{}, err
	}
	patrons := map[string][]uuid.UUID{}
	for _, v := range known {
		key := photozip.NormalizeID(v.Value, opts.Rules)
		patrons[key] = append(patrons[key], v.PatronID)
	}

	imp := rapport.PhotoImport{SchoolID: opts.SchoolID, Status: "dry_run", FileName: opts.FileName,
		MapFormat: string(archive.Format), IDType: idType, Counts: map[string]int{}}
	if opts.DryRun {
		// A report that is not kept, with an id of its own to tell it from others.
		imp.ID, imp.CreatedAt, imp.CreatedBy = uuid.New(), time.Now(), p.Actor()
	} else if imp, err = s.store.CreatePhotoImport(ctx, p.Tenant, p.Actor(), imp); err != nil {
		return rapport.PhotoImport{}, err
	}
	files := make([]rapport.PhotoImportFile, len(archive.Entries))
	var work sync.WaitGroup
	next := make(chan int)
	// Two workers a core: while one waits on the database, the other keeps the core busy
	// decoding and encoding. Each holds one picture, so memory stays bounded.
	for range 2 * runtime.GOMAXPROCS(0) {
		work.Go(func() {
			for i := range next {
				files[i] = s.importOne(ctx, p, archive, archive.Entries[i], patrons, imp, opts)
			}
		})
	}
	for i := range archive.Entries {
		next <- i
	}
	close(next)
	work.Wait()
	for _, problem := range archive.Problems {
		files = append(files, rapport.PhotoImportFile{File: problem.File, Line: problem.Line, Result: resultSkipped, Reason: problem.Reason})
	}
	imp.Files = files
	for _, f := range files {
		imp.Counts[f.Result]++
	}
	if !opts.DryRun {
		if err := s.store.FinishPhotoImport(ctx, p.Tenant, imp); err != nil {
			return imp, err
		}
	}
	return imp, nil
}

// importOne imports one picture of the zip, and says what became of it.
func (s *Service) importOne(ctx context.Context, p *rapport.Principal, archive *photozip.Archive, e photozip.Entry,
	patrons map[string][]uuid.UUID, imp rapport.PhotoImport, opts ImportOptions) rapport.PhotoImportFile {
	out := rapport.PhotoImportFile{File: e.File, Line: e.Line, ID: e.ID}
	matches := patrons[photozip.NormalizeID(e.ID, opts.Rules)]
	switch len(matches) {
	case 0:
		out.Result, out.Reason = resultNoPatron, "no patron has this "+imp.IDType
		return out
	case 1:
		out.PatronID = matches[0]
	default:
		out.Result, out.Reason = resultAmbiguous, "several patrons have this "+imp.IDType+" once compared as the import compares ids"
		return out
	}
	member, err := archive.OpenFile(e.File)
	if err != nil {
		out.Result, out.Reason = resultTooLarge, err.Error()
		return out
	}
	defer member.Close()
	in, err := s.prepare(member, rapport.Centre,
		Upload{Source: opts.Source, CapturedOn: opts.CapturedOn, ImportID: imp.ID, Override: opts.Override})
	if err != nil {
		var e *rapport.Error
		switch {
		case IsTooLarge(err):
			out.Result, out.Reason = resultTooLarge, err.Error()
		case errors.As(err, &e):
			out.Result, out.Reason = resultNotImage, e.Message
		default: // the bounded reader stopped it, or the zip is damaged there
			out.Result, out.Reason = resultTooLarge, err.Error()
		}
		return out
	}
	if opts.DryRun {
		out.Result = resultImported
		return out
	}
	_, did, err := s.store.PutPhoto(ctx, p.Tenant, p.Actor(), out.PatronID, nil, in)
	var conflict *rapport.Error
	switch {
	case errors.As(err, &conflict) && conflict.Kind == rapport.Conflict:
		out.Result, out.Reason = resultKept, conflict.Message
	case err != nil:
		out.Result, out.Reason = resultFailed, "could not be stored; import the file again"
	case did == rapport.PhotoUnchanged:
		out.Result = resultUnchanged
	default:
		out.Result = resultImported
	}
	return out
}
