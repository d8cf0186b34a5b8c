package httpapi

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime/multipart"
	"net/url"
	"strings"

	"github.com/google/uuid"
	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/photo"
	"github.com/rapportlib/rapport/internal/photozip"
	"github.com/rapportlib/rapport/internal/rapport"
)

// photoCacheControl keeps a photo out of shared caches: it is a child's face, served to one
// consumer under its own consent.
const photoCacheControl = "private, max-age=0, must-revalidate"

// photoImmutableCacheControl lets a device keep a versioned photo until its URL changes, which
// it does when the photo does.
const photoImmutableCacheControl = "private, max-age=31536000, immutable"

// GetPatronPhoto answers the JPEG of a size of the patron's current photo.
func (s *server) GetPatronPhoto(ctx context.Context, req api.GetPatronPhotoRequestObject) (api.GetPatronPhotoResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	size := rapport.DefaultPhotoSize
	if req.Params.Size != nil {
		size = string(*req.Params.Size)
	}
	v, err := s.readPhoto(ctx, p, rapport.PatronRef{ID: req.PatronId}, rapport.PhotoRead{Size: size}, req.Params.IfNoneMatch)
	if err != nil {
		return nil, err
	}
	if v.JPEG == nil {
		return api.GetPatronPhoto304Response{Headers: api.NotModifiedResponseHeaders{ETag: &v.etag}}, nil
	}
	return api.GetPatronPhoto200ImagejpegResponse{Body: bytes.NewReader(v.JPEG), ContentLength: int64(len(v.JPEG)),
		Headers: api.GetPatronPhoto200ResponseHeaders{ETag: &v.etag, CacheControl: &v.cache, XContentTypeOptions: &v.nosniff}}, nil
}

// GetSignedPhoto answers a photo by a signed URL (the consumer was found from the signature
// in admit).
func (s *server) GetSignedPhoto(ctx context.Context, req api.GetSignedPhotoRequestObject) (api.GetSignedPhotoResponseObject, error) {
	p, err := signedPrincipal(ctx)
	if err != nil {
		return nil, err
	}
	ref := rapport.PatronRef{IDType: string(req.IdType), Value: req.Id}
	read := rapport.PhotoRead{Size: strings.TrimSuffix(string(req.File), ".jpg")}
	v, err := s.readPhoto(ctx, p, ref, read, req.Params.IfNoneMatch)
	if err != nil {
		return nil, err
	}
	if v.JPEG == nil {
		return api.GetSignedPhoto304Response{Headers: api.NotModifiedResponseHeaders{ETag: &v.etag}}, nil
	}
	return api.GetSignedPhoto200ImagejpegResponse{Body: bytes.NewReader(v.JPEG), ContentLength: int64(len(v.JPEG)),
		Headers: api.GetSignedPhoto200ResponseHeaders{ETag: &v.etag, CacheControl: &v.cache, XContentTypeOptions: &v.nosniff}}, nil
}

// GetSignedPhotoVersion answers a version of a photo by a signed URL, served immutable.
func (s *server) GetSignedPhotoVersion(ctx context.Context, req api.GetSignedPhotoVersionRequestObject) (api.GetSignedPhotoVersionResponseObject, error) {
	p, err := signedPrincipal(ctx)
	if err != nil {
		return nil, err
	}
	ref := rapport.PatronRef{IDType: string(req.IdType), Value: req.Id}
	read := rapport.PhotoRead{Size: strings.TrimSuffix(string(req.File), ".jpg"), Version: req.Version}
	v, err := s.readPhoto(ctx, p, ref, read, req.Params.IfNoneMatch)
	if err != nil {
		return nil, err
	}
	if v.JPEG == nil {
		return api.GetSignedPhotoVersion304Response{Headers: api.NotModifiedResponseHeaders{ETag: &v.etag}}, nil
	}
	immutable := photoImmutableCacheControl
	return api.GetSignedPhotoVersion200ImagejpegResponse{Body: bytes.NewReader(v.JPEG), ContentLength: int64(len(v.JPEG)),
		Headers: api.GetSignedPhotoVersion200ResponseHeaders{ETag: &v.etag, CacheControl: &immutable, XContentTypeOptions: &v.nosniff}}, nil
}

// RotatePhotoURLSecret gives a photo consumer a new secret for its signed URLs.
func (s *server) RotatePhotoURLSecret(ctx context.Context, req api.RotatePhotoURLSecretRequestObject) (api.RotatePhotoURLSecretResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	c, secret, err := s.auth.RotatePhotoURLSecret(ctx, p, req.Id, parseIfMatch(req.Params.IfMatch))
	if err != nil {
		return nil, err
	}
	etag, noStore := etagOf(c.Version), "no-store"
	return api.RotatePhotoURLSecret200JSONResponse{
		Body: api.PhotoURLSecret{ClientId: c.ClientID, PhotoUrlSecret: secret,
			UrlTemplate: "/v1/photos/{id_type}/{id}/{size}.jpg?client_id=" + url.QueryEscape(c.ClientID) + "&exp={exp}&sig={sig}"},
		Headers: api.RotatePhotoURLSecret200ResponseHeaders{ETag: &etag, CacheControl: &noStore},
	}, nil
}

// servedPhoto is a variant as the photo routes answer it.
type servedPhoto struct {
	rapport.PhotoVariantRead
	etag, cache, nosniff string
}

// readPhoto reads a variant for the principal under its daily cap (its own, or the server's),
// honouring If-None-Match: JPEG is nil for a 304.
func (s *server) readPhoto(ctx context.Context, p *rapport.Principal, ref rapport.PatronRef, read rapport.PhotoRead, ifNoneMatch *string) (servedPhoto, error) {
	read.NotIfHash = ifNoneMatchTags(ifNoneMatch)
	read.DailyCap = p.PhotoDailyCap
	if read.DailyCap == 0 {
		read.DailyCap = s.photoDailyCap
	}
	v, err := s.store.ReadPhotoVariant(ctx, p, ref, read)
	if err != nil {
		return servedPhoto{}, err
	}
	return servedPhoto{PhotoVariantRead: v, etag: `"` + v.Hash + `"`, cache: photoCacheControl, nosniff: "nosniff"}, nil
}

// signedPrincipal returns the consumer that signed the request's URL, or why there is none. A
// bearer token does not stand in for the signature: the route is for URLs, and a URL without a
// valid signature is refused whoever sends it.
func signedPrincipal(ctx context.Context) (*rapport.Principal, error) {
	if signed, _ := ctx.Value(signedURLKey{}).(bool); signed {
		if p := rapport.PrincipalFromContext(ctx); p != nil {
			return p, nil
		}
	}
	if err, ok := ctx.Value(authErrorKey{}).(error); ok {
		return nil, err
	}
	return nil, rapport.Errorf(rapport.Unauthenticated, "this URL needs a valid signature (client_id, exp and sig), not a bearer token")
}

// PutPatronPhoto makes the uploaded picture the patron's current photo.
func (s *server) PutPatronPhoto(ctx context.Context, req api.PutPatronPhotoRequestObject) (api.PutPatronPhotoResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	// The generated handler hands a raw body over only for a Content-Type that starts with
	// "image/*" literally; the spooled upload is the body whatever its image type (the
	// validator has checked that it is one).
	var body io.Reader
	spooled, ok := uploadFrom(ctx)
	if ok {
		body = spooled.file // read from disk, not from memory (photo.Service.Put)
	}

	if req.MultipartBody != nil {
		if body, err = formPart(req.MultipartBody, "photo"); err != nil {
			return nil, err
		}
	}
	if body == nil {
		body = bytes.NewReader(nil)
	}
	q := req.Params
	up := photo.Upload{Source: rapport.SourceStaffUpload, CapturedOn: dateOf(q.CapturedOn), Override: deref(q.Override)}
	if q.Source != nil {
		up.Source = rapport.PhotoSource(*q.Source)
	}
	if q.FocalX != nil || q.FocalY != nil {
		up.FocalPoint = &rapport.FocalPoint{X: rapport.Centre.X, Y: rapport.Centre.Y}
		if q.FocalX != nil {
			up.FocalPoint.X = *q.FocalX
		}
		if q.FocalY != nil {
			up.FocalPoint.Y = *q.FocalY
		}
	}
	ph, did, err := s.photos.Put(ctx, p, req.PatronId, parseIfMatch(q.IfMatch), body, up)
	if err != nil {
		return nil, err
	}
	etag, location := etagOf(ph.Version), "/v1/patrons/"+req.PatronId.String()+"/photo"
	if !s.mayReadPhoto(ctx, p, ph) {
		return writtenNotShown(etag, location), nil
	}
	if did == rapport.PhotoCreated {
		return api.PutPatronPhoto201JSONResponse{Body: toAPIPhoto(ph),
			Headers: api.PutPatronPhoto201ResponseHeaders{ETag: &etag}}, nil
	}
	return api.PutPatronPhoto200JSONResponse{Body: toAPIPhoto(ph), Headers: api.PutPatronPhoto200ResponseHeaders{ETag: &etag}}, nil
}

// UpdatePatronPhoto moves the focal point of the current photo.
func (s *server) UpdatePatronPhoto(ctx context.Context, req api.UpdatePatronPhotoRequestObject) (api.UpdatePatronPhotoResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	if req.Body.FocalPoint == nil {
		return nil, rapport.FieldErrorf(rapport.Unprocessable, "#/focal_point", "is the only member that may change, and is missing")
	}
	focal := rapport.FocalPoint{X: req.Body.FocalPoint.X, Y: req.Body.FocalPoint.Y}
	ph, err := s.photos.MoveFocalPoint(ctx, p, req.PatronId, parseIfMatch(req.Params.IfMatch), focal)
	if err != nil {
		return nil, err
	}
	etag := etagOf(ph.Version)
	if !s.mayReadPhoto(ctx, p, ph) {
		return writtenNotShown(etag, ""), nil
	}
	return api.UpdatePatronPhoto200JSONResponse{Body: toAPIPhoto(ph), Headers: api.UpdatePatronPhoto200ResponseHeaders{ETag: &etag}}, nil
}

// DeletePatronPhoto removes the patron's current photo.
func (s *server) DeletePatronPhoto(ctx context.Context, req api.DeletePatronPhotoRequestObject) (api.DeletePatronPhotoResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	if _, err := s.store.RemovePhoto(ctx, p.Tenant, p.Actor(), req.PatronId, parseIfMatch(req.Params.IfMatch)); err != nil {
		return nil, err
	}
	return api.DeletePatronPhoto204Response{}, nil
}

// ListPatronPhotos answers one page of the patron's photos, with their provenance.
func (s *server) ListPatronPhotos(ctx context.Context, req api.ListPatronPhotosRequestObject) (api.ListPatronPhotosResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	page, err := s.store.ListPhotos(ctx, p, req.PatronId, pageRequest(req.Params.Limit, req.Params.Cursor))
	if err != nil {
		return nil, err
	}
	return api.ListPatronPhotos200JSONResponse{
		Body:    api.PhotoList{Data: mapSlice(page.Items, toAPIPhoto), NextCursor: optional(page.NextCursor)},
		Headers: api.ListPatronPhotos200ResponseHeaders{Link: nextLink(ctx, page.NextCursor)},
	}, nil
}

// GetPatronPhotoConsent answers the consent for the patron's photo, per purpose.
func (s *server) GetPatronPhotoConsent(ctx context.Context, req api.GetPatronPhotoConsentRequestObject) (api.GetPatronPhotoConsentResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	year := ""
	if req.Params.SchoolYear != nil {
		year = string(*req.Params.SchoolYear)
		if !rapport.ValidSchoolYear(year) {
			return nil, rapport.FieldErrorf(rapport.Invalid, "#/query/school_year", "must be a school year such as 2026-27")
		}
	}
	consent, err := s.store.GetPhotoConsent(ctx, p.Tenant, req.PatronId, year)
	if err != nil {
		return nil, err
	}
	return api.GetPatronPhotoConsent200JSONResponse{Body: toAPIPhotoConsent(consent)}, nil
}

// SetPatronPhotoConsent records the patron's consent for the purposes named.
func (s *server) SetPatronPhotoConsent(ctx context.Context, req api.SetPatronPhotoConsentRequestObject) (api.SetPatronPhotoConsentResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	year := ""
	if b.SchoolYear != nil {
		year = string(*b.SchoolYear)
		if !rapport.ValidSchoolYear(year) {
			return nil, rapport.FieldErrorf(rapport.Unprocessable, "#/school_year", "must be a school year such as 2026-27")
		}
	}
	consent, err := s.store.SetPhotoConsent(ctx, p.Tenant, p.Actor(), req.PatronId, year, purposeFlags(b.Purposes))
	if err != nil {
		return nil, err
	}
	return api.SetPatronPhotoConsent200JSONResponse{Body: toAPIPhotoConsent(consent)}, nil
}

// GetDistrictPhotoConsent answers the district's default photo consent.
func (s *server) GetDistrictPhotoConsent(ctx context.Context, req api.GetDistrictPhotoConsentRequestObject) (api.GetDistrictPhotoConsentResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	defaults, err := s.store.GetPhotoConsentDefaults(ctx, p.Tenant)
	if err != nil {
		return nil, err
	}
	return api.GetDistrictPhotoConsent200JSONResponse{Body: toAPIDistrictPhotoConsent(defaults)}, nil
}

// SetDistrictPhotoConsent sets the district's default photo consent for the purposes named.
func (s *server) SetDistrictPhotoConsent(ctx context.Context, req api.SetDistrictPhotoConsentRequestObject) (api.SetDistrictPhotoConsentResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	defaults, err := s.store.SetPhotoConsentDefaults(ctx, p.Tenant, p.Actor(), purposeFlags(req.Body.Purposes))
	if err != nil {
		return nil, err
	}
	return api.SetDistrictPhotoConsent200JSONResponse{Body: toAPIDistrictPhotoConsent(defaults)}, nil
}

// purposeFlags turns the purposes a request names into the consent for each.
func purposeFlags(f api.PurposeFlags) map[rapport.PhotoPurpose]bool {
	granted := map[rapport.PhotoPurpose]bool{}
	for purpose, g := range map[rapport.PhotoPurpose]*bool{
		rapport.PurposeDesk: f.Desk, rapport.PurposeLMS: f.Lms, rapport.PurposeMDM: f.Mdm, rapport.PurposeIDCard: f.IdCard,
	} {
		if g != nil {
			granted[purpose] = *g
		}
	}
	return granted
}

func toAPIDistrictPhotoConsent(defaults []rapport.DefaultConsent) api.DistrictPhotoConsent {
	return api.DistrictPhotoConsent{Purposes: mapSlice(defaults, func(d rapport.DefaultConsent) api.DefaultConsent {
		out := api.DefaultConsent{Purpose: api.PhotoPurpose(d.Purpose), Granted: d.Granted, Set: d.Set}
		if d.Set {
			out.UpdatedAt = optional(d.UpdatedAt.UTC())
		}
		return out
	})}
}

// mayReadPhoto reports whether the principal may see the photo it just wrote, as GetPhoto
// decides; a write answers only what the caller could read.
func (s *server) mayReadPhoto(ctx context.Context, p *rapport.Principal, ph rapport.Photo) bool {
	if p.HasScope(rapport.ScopePhotosStaff) {
		return true
	}
	if !p.CanReadPhotos() {
		return false
	}
	_, err := s.store.GetPhoto(ctx, p, ph.PatronID)
	return err == nil
}

// formPart returns the body of the multipart form's part of the given name, read as it
// streams in. A form without it is Unprocessable.
func formPart(form *multipart.Reader, name string) (io.Reader, error) {
	for {
		part, err := form.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, rapport.FieldErrorf(rapport.Unprocessable, "#/"+name, "is missing: send the picture as the form's %q part", name)
		}
		if err != nil {
			return nil, rapport.Errorf(rapport.Invalid, "the multipart form could not be read: %v", err)
		}
		if part.FormName() == name {
			return part, nil
		}
	}
}

func toAPIPhoto(ph rapport.Photo) api.Photo {
	out := api.Photo{
		Id: ph.ID, PatronId: ph.PatronID, Version: int32(ph.Version), State: api.PhotoState(ph.State),
		Source: api.PhotoSource(ph.Source), ContentHash: "sha256:" + ph.ContentHash,
		OriginalType: api.PhotoOriginalType(ph.OriginalType), OriginalBytes: ph.OriginalBytes,
		Width: int32(ph.Width), Height: int32(ph.Height),
		FocalPoint: api.FocalPoint{X: ph.FocalPoint.X, Y: ph.FocalPoint.Y},
		CreatedAt:  ph.CreatedAt.UTC(), CreatedBy: actorOf(ph.CreatedBy),
	}
	if !ph.CapturedOn.IsZero() {
		out.CapturedOn = &openapi_types.Date{Time: ph.CapturedOn}
	}
	out.ImportId = optional(ph.ImportID)
	if !ph.EndedAt.IsZero() {
		endedBy := actorOf(ph.EndedBy)
		out.EndedAt, out.EndedBy = optional(ph.EndedAt.UTC()), &endedBy
	}
	path := "/v1/patrons/" + ph.PatronID.String() + "/photo?size="
	out.Variants = mapSlice(ph.Variants, func(v rapport.PhotoVariant) api.PhotoVariant {
		return api.PhotoVariant{Size: api.PhotoSize(v.Size), Width: int32(v.Width), Height: int32(v.Height),
			Etag: `"` + v.Hash + `"`, Url: path + v.Size}
	})
	return out
}

func toAPIPhotoConsent(c rapport.PhotoConsent) api.PhotoConsent {
	return api.PhotoConsent{
		PatronId: c.PatronID, SchoolYear: api.SchoolYear(c.SchoolYear),
		Purposes: mapSlice(c.Purposes, func(pc rapport.PurposeConsent) api.PurposeConsent {
			out := api.PurposeConsent{Purpose: api.PhotoPurpose(pc.Purpose), Granted: pc.Granted, Recorded: pc.Recorded}
			if pc.Recorded {
				by := actorOf(pc.RecordedBy)
				out.RecordedAt, out.RecordedBy = optional(pc.RecordedAt.UTC()), &by
			}
			return out
		}),
	}
}

// exportPageSize is how many photos an export reads from the database at a time: a page of
// 256 px JPEGs is a few megabytes.
const exportPageSize = 200

// ExportPhotos answers a zip of the photos the caller may see, in the layout of the system it
// is for. The first page is read before the answer starts, so that a failure is still a
// problem+json; the rest is read and written as the zip streams out.
func (s *server) ExportPhotos(ctx context.Context, req api.ExportPhotosRequestObject) (api.ExportPhotosResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	b := req.Body
	format := photozip.ExportFormat(b.Format)
	f := rapport.PhotoExportFilter{Size: rapport.DefaultPhotoSize, ChangedSince: deref(b.ChangedSince), NeedID: "sis_id", Limit: exportPageSize}
	if format == photozip.ExportDestiny {
		f.NeedID = "barcode"
	}
	if b.Size != nil {
		f.Size = string(*b.Size)
	}
	if b.SchoolId != nil {
		if _, err := s.store.GetSchool(ctx, p.Tenant, *b.SchoolId); err != nil {
			return nil, err
		}
		f.SchoolID = *b.SchoolId
	}
	first, err := s.store.ExportPhotos(ctx, p, f)
	if err != nil {
		return nil, err
	}
	zipped, writer := io.Pipe()
	go func() {
		writer.CloseWithError(s.writePhotoZip(ctx, writer, format, p, f, first))
	}()
	go func() {
		// When the caller goes away, or the request ends, the writer must not wait on a
		// reader nobody reads.
		<-ctx.Done()
		zipped.CloseWithError(ctx.Err())
	}()
	disposition, noStore := `attachment; filename="photos-`+string(format)+`.zip"`, "no-store"
	return api.ExportPhotos200ApplicationzipResponse{Body: zipped,
		Headers: api.ExportPhotos200ResponseHeaders{ContentDisposition: &disposition, CacheControl: &noStore}}, nil
}

// writePhotoZip writes the export's zip to w, page after page from first. A patron whose id
// cannot name a file (unsafe, or the same as another's) is left out, as one without the id is.
func (s *server) writePhotoZip(ctx context.Context, w io.Writer, format photozip.ExportFormat, p *rapport.Principal, f rapport.PhotoExportFilter, page []rapport.ExportedPhoto) error {
	zw, err := photozip.NewWriter(w, format)
	if err != nil {
		return err
	}
	for len(page) > 0 {
		for _, e := range page {
			err := zw.Add(photozip.ExportEntry{SISID: e.SISID, Barcode: e.Barcode, JPEG: e.JPEG, Modified: e.UpdatedAt})
			if err != nil && rapport.ErrorKind(err) != rapport.Unprocessable {
				return err
			}
		}
		if len(page) < f.Limit {
			break
		}
		f.After = page[len(page)-1].PatronID
		if page, err = s.store.ExportPhotos(ctx, p, f); err != nil {
			s.logger.Error("photo export stopped", "error", err, "request_id", requestIDFrom(ctx))
			return err
		}
	}
	return zw.Close()
}

// ImportPhotos imports a zip of photos with its map, and answers the report.
func (s *server) ImportPhotos(ctx context.Context, req api.ImportPhotosRequestObject) (api.ImportPhotosResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	spooled, ok := uploadFrom(ctx)
	if !ok || spooled.size == 0 {
		return nil, rapport.Errorf(rapport.Unprocessable, "the body is empty: send the zip")
	}
	q := req.Params
	opts := photo.ImportOptions{
		IDType:     string(deref(q.IdType)),
		Rules:      photozip.IDRules{TrimLeadingZeros: deref(q.TrimLeadingZeros), FoldCase: deref(q.FoldCase)},
		SchoolID:   deref(q.SchoolId),
		Source:     rapport.SourcePhotographerImport,
		CapturedOn: dateOf(q.CapturedOn),
		Override:   deref(q.Override),
		DryRun:     deref(q.DryRun),
	}
	if q.Source != nil {
		opts.Source = rapport.PhotoSource(*q.Source)
	}
	if opts.SchoolID != uuid.Nil {
		if _, err := s.store.GetSchool(ctx, p.Tenant, opts.SchoolID); err != nil {
			return nil, err
		}
	}
	imp, err := s.photos.Import(ctx, p, spooled.file, spooled.size, opts)
	if err != nil {
		return nil, err
	}
	if opts.DryRun {
		return api.ImportPhotos200JSONResponse{Body: toAPIPhotoImport(imp)}, nil
	}
	location := "/v1/imports/photos/" + imp.ID.String()
	return api.ImportPhotos201JSONResponse{Body: toAPIPhotoImport(imp), Headers: api.ImportPhotos201ResponseHeaders{Location: &location}}, nil
}

// GetPhotoImport answers an import and its report.
func (s *server) GetPhotoImport(ctx context.Context, req api.GetPhotoImportRequestObject) (api.GetPhotoImportResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	imp, err := s.store.GetPhotoImport(ctx, p.Tenant, req.ImportId)
	if err != nil {
		return nil, err
	}
	return api.GetPhotoImport200JSONResponse{Body: toAPIPhotoImport(imp)}, nil
}

// RollbackPhotoImport rolls an import back.
func (s *server) RollbackPhotoImport(ctx context.Context, req api.RollbackPhotoImportRequestObject) (api.RollbackPhotoImportResponseObject, error) {
	p, err := principalOf(ctx)
	if err != nil {
		return nil, err
	}
	imp, err := s.store.RollbackPhotoImport(ctx, p.Tenant, p.Actor(), req.ImportId)
	if err != nil {
		return nil, err
	}
	return api.RollbackPhotoImport200JSONResponse{Body: toAPIPhotoImport(imp)}, nil
}

func toAPIPhotoImport(imp rapport.PhotoImport) api.PhotoImport {
	out := api.PhotoImport{
		Id: imp.ID, Status: api.PhotoImportStatus(imp.Status), DryRun: imp.Status == "dry_run", FileName: optional(imp.FileName),
		MapFormat: api.PhotoImportMapFormat(imp.MapFormat), IdType: api.PhotoImportIdType(imp.IDType),
		Counts: map[string]int32{}, CreatedAt: imp.CreatedAt.UTC(), CreatedBy: actorOf(imp.CreatedBy),
		Files: mapSlice(imp.Files, func(f rapport.PhotoImportFile) api.PhotoImportFile {
			return api.PhotoImportFile{File: optional(f.File), Line: optional(int32(f.Line)), Id: optional(f.ID),
				PatronId: optional(f.PatronID), Result: api.PhotoImportFileResult(f.Result), Reason: optional(f.Reason)}
		}),
	}
	if out.Files == nil {
		out.Files = []api.PhotoImportFile{}
	}
	for result, n := range imp.Counts {
		out.Counts[result] = int32(n)
	}
	if !imp.RolledBackAt.IsZero() {
		by := actorOf(imp.RolledBackBy)
		out.RolledBackAt, out.RolledBackBy = optional(imp.RolledBackAt.UTC()), &by
	}
	return out
}
