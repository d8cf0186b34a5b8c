package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/rapportlib/rapport/internal/rapport"
)

var _ rapport.PhotoStore = (*Store)(nil)

// photoColumns read a photo (aliased ph) with its variants, in the order of scanPhoto.
const photoColumns = `ph.id, ph.patron_id, pa.school_id, ph.version, ph.state, ph.source, ph.captured_on,
	ph.import_id, ph.content_hash, ph.original_type, ph.original_bytes, ph.width, ph.height,
	ph.focal_x, ph.focal_y,
	ARRAY(SELECT v.size FROM photo_variants v WHERE v.photo_id = ph.id ORDER BY array_position(ARRAY['48','96','128','256','512','id_card'], v.size)),
	ARRAY(SELECT v.width FROM photo_variants v WHERE v.photo_id = ph.id ORDER BY array_position(ARRAY['48','96','128','256','512','id_card'], v.size)),
	ARRAY(SELECT v.height FROM photo_variants v WHERE v.photo_id = ph.id ORDER BY array_position(ARRAY['48','96','128','256','512','id_card'], v.size)),
	ARRAY(SELECT v.hash FROM photo_variants v WHERE v.photo_id = ph.id ORDER BY array_position(ARRAY['48','96','128','256','512','id_card'], v.size)),
	ph.created_at, ph.created_by_client, coalesce(ph.created_by_user, ''),
	ph.ended_at, coalesce(ph.ended_by_client, ''), coalesce(ph.ended_by_user, '')`

func scanPhoto(row pgx.CollectableRow) (rapport.Photo, error) {
	var ph rapport.Photo
	var capturedOn, endedAt *time.Time
	var importID *uuid.UUID
	var focalX, focalY float32
	var sizes, hashes []string
	var widths, heights []int
	err := row.Scan(&ph.ID, &ph.PatronID, &ph.SchoolID, &ph.Version, &ph.State, &ph.Source, &capturedOn,
		&importID, &ph.ContentHash, &ph.OriginalType, &ph.OriginalBytes, &ph.Width, &ph.Height,
		&focalX, &focalY, &sizes, &widths, &heights, &hashes,
		&ph.CreatedAt, &ph.CreatedBy.ClientID, &ph.CreatedBy.ActingUser,
		&endedAt, &ph.EndedBy.ClientID, &ph.EndedBy.ActingUser)
	if err != nil {
		return ph, err
	}
	if capturedOn != nil {
		ph.CapturedOn = *capturedOn
	}
	if importID != nil {
		ph.ImportID = *importID
	}
	if endedAt != nil {
		ph.EndedAt = *endedAt
	}
	ph.FocalPoint = rapport.FocalPoint{X: float64(focalX), Y: float64(focalY)}
	for i := range sizes {
		ph.Variants = append(ph.Variants, rapport.PhotoVariant{Size: sizes[i], Width: widths[i], Height: heights[i], Hash: hashes[i]})
	}
	return ph, nil
}

// photoReadable adds the conditions that the principal may see the photos of the patron
// (aliased pa): library staff always, a consumer where its purpose is consented this school
// year, nobody else.
func photoReadable(c *conditions, p *rapport.Principal, now time.Time) {
	switch {
	case p.HasScope(rapport.ScopePhotosStaff):
	case p.CanReadPhotos():
		c.add("photo_consented(pa.id, pa.district_id, " + c.arg(string(p.PhotoPurpose)) + ", " + c.arg(rapport.SchoolYearOf(now)) + ")")
	default:
		c.add("false")
	}
}

// consentedPurposes returns the purposes the patron's photo may be used for now, for the
// change feed.
func consentedPurposes(ctx context.Context, q querier, patronID, districtID uuid.UUID, now time.Time) ([]rapport.PhotoPurpose, error) {
	var purposes []rapport.PhotoPurpose
	err := q.QueryRow(ctx, `
		SELECT coalesce(array_agg(pp.purpose ORDER BY pp.n) FILTER (WHERE photo_consented($1, $2, pp.purpose, $3)), '{}')
		FROM unnest($4::text[]) WITH ORDINALITY AS pp(purpose, n)`,
		patronID, districtID, rapport.SchoolYearOf(now), rapport.PhotoPurposes).Scan(&purposes)
	if err != nil {
		return nil, fmt.Errorf("read consent of patron %s: %w", patronID, err)
	}
	return purposes, nil
}

// lockPhotoPatron reads the patron under a lock that keeps other changes of its photo out until
// the unit commits: NotFound when the patron is not in scope or is erased.
func lockPhotoPatron(ctx context.Context, w *unit, patronID uuid.UUID) (rapport.Patron, error) {
	pa, err := getPatron(ctx, w.tx, w.scope, patronID, "FOR NO KEY UPDATE")
	if err != nil {
		return pa, err
	}
	if pa.Erased() {
		return pa, notFound("patron")
	}
	return pa, nil
}

// lockCurrentPhoto locks the patron (lockPhotoPatron) and reads its current photo: the start of
// every change of the photo.
func lockCurrentPhoto(ctx context.Context, w *unit, patronID uuid.UUID) (rapport.Patron, rapport.Photo, bool, error) {
	pa, err := lockPhotoPatron(ctx, w, patronID)
	if err != nil {
		return pa, rapport.Photo{}, false, err
	}
	current, has, err := currentPhoto(ctx, w.tx, patronID)
	return pa, current, has, err
}

// currentPhoto returns the patron's current photo, or ok false when there is none.
func currentPhoto(ctx context.Context, q querier, patronID uuid.UUID) (rapport.Photo, bool, error) {
	photos, err := queryRows(ctx, q, "get current photo", scanPhoto, `
		SELECT `+photoColumns+`
		FROM photos ph JOIN patrons pa ON pa.id = ph.patron_id
		WHERE ph.patron_id = $1 AND ph.state = 'current'`, []any{patronID})
	if err != nil || len(photos) == 0 {
		return rapport.Photo{}, false, err
	}
	return photos[0], true, nil
}

// PutPhoto makes the upload the patron's current photo.
func (s *Store) PutPhoto(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, patronID uuid.UUID, match rapport.Match, in rapport.PhotoUpload) (rapport.Photo, rapport.PhotoWrite, error) {
	var out rapport.Photo
	var did rapport.PhotoWrite
	err := s.write(ctx, scope, by, "put photo of patron "+patronID.String(), func(w *unit) error {
		pa, current, has, err := lockCurrentPhoto(ctx, w, patronID)
		if err != nil {
			return err
		}
		if err := checkMatch("photo", match, current.Version); err != nil {
			return err
		}
		if has {
			if err := in.CheckReplace(current); err != nil {
				return err
			}
			// The same picture from the same place is no change, whichever import brought it:
			// importing a zip again changes nothing.
			if current.ContentHash == in.ContentHash && current.Source == in.Source && sameFocalPoint(current.FocalPoint, in.FocalPoint) &&
				current.CapturedOn.Equal(in.CapturedOn) {
				out, did = current, rapport.PhotoUnchanged
				return nil
			}
		}
		out, err = insertPhoto(ctx, w, pa, in)
		if err != nil {
			return err
		}
		kind := rapport.EventCreated
		did = rapport.PhotoCreated
		if has {
			did, kind = rapport.PhotoReplacing, rapport.EventReplaced
		}
		purposes, err := consentedPurposes(ctx, w.tx, pa.ID, pa.DistrictID, w.now)
		if err != nil {
			return err
		}
		w.recordPhoto(pa.ID, pa.SchoolID, kind, purposes)
		return nil
	})
	if err != nil {
		return rapport.Photo{}, "", err
	}
	return out, did, nil
}

// sameFocalPoint compares focal points as the database keeps them (real: single precision).
func sameFocalPoint(a, b rapport.FocalPoint) bool {
	return float32(a.X) == float32(b.X) && float32(a.Y) == float32(b.Y)
}

// insertPhoto ends the patron's current photo, if any, as replaced, and makes a new current
// photo of in with its blobs and variants.
func insertPhoto(ctx context.Context, w *unit, pa rapport.Patron, in rapport.PhotoUpload) (rapport.Photo, error) {
	hashes := []string{in.Master.Hash}
	blobs := [][]byte{in.Master.JPEG}
	for _, v := range in.Variants {
		hashes, blobs = append(hashes, v.Hash), append(blobs, v.JPEG)
	}
	if _, err := w.tx.Exec(ctx, `
		INSERT INTO photo_blobs (hash, data)
		SELECT * FROM unnest($1::text[], $2::bytea[])
		ON CONFLICT (hash) DO NOTHING`, hashes, blobs); err != nil {
		return rapport.Photo{}, fmt.Errorf("store photo bytes: %w", err)
	}
	if _, err := w.tx.Exec(ctx, `
		UPDATE photos SET state = 'replaced', ended_at = $2, ended_by_client = $3, ended_by_user = $4
		WHERE patron_id = $1 AND state = 'current'`,
		pa.ID, w.now, w.by.ClientID, nullIfEmpty(w.by.ActingUser)); err != nil {
		return rapport.Photo{}, fmt.Errorf("end current photo: %w", err)
	}
	id := uuid.Must(uuid.NewV7())
	var capturedOn *time.Time
	if !in.CapturedOn.IsZero() {
		capturedOn = &in.CapturedOn
	}
	var version int
	if err := w.tx.QueryRow(ctx, `
		INSERT INTO photos (id, district_id, patron_id, version, state, source, captured_on, import_id,
			content_hash, original_type, original_bytes, width, height, focal_x, focal_y, master_hash,
			created_at, created_by_client, created_by_user)
		SELECT $1, $2, $3, coalesce((SELECT max(version) FROM photos WHERE patron_id = $3), 0) + 1, 'current', $4, $5, $6,
			$7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17
		RETURNING version`,
		id, pa.DistrictID, pa.ID, in.Source, capturedOn, nullUUID(in.ImportID),
		in.ContentHash, in.OriginalType, in.OriginalBytes, in.Width, in.Height, in.FocalPoint.X, in.FocalPoint.Y, in.Master.Hash,
		w.now, w.by.ClientID, nullIfEmpty(w.by.ActingUser)).Scan(&version); err != nil {
		return rapport.Photo{}, fmt.Errorf("insert photo: %w", err)
	}
	n := len(in.Variants)
	sizes, widths, heights, variantHashes := make([]string, n), make([]int, n), make([]int, n), make([]string, n)
	for i, v := range in.Variants {
		sizes[i], widths[i], heights[i], variantHashes[i] = v.Size, v.Width, v.Height, v.Hash
	}
	if _, err := w.tx.Exec(ctx, `
		INSERT INTO photo_variants (photo_id, size, width, height, hash)
		SELECT $1, * FROM unnest($2::text[], $3::int[], $4::int[], $5::text[])`,
		id, sizes, widths, heights, variantHashes); err != nil {
		return rapport.Photo{}, fmt.Errorf("insert photo variants: %w", err)
	}
	// The photo as stored, from what was written (no statement more to read it back).
	photo := rapport.Photo{
		ID: id, PatronID: pa.ID, SchoolID: pa.SchoolID, Version: version, State: rapport.PhotoCurrent,
		Source: in.Source, CapturedOn: in.CapturedOn, ImportID: in.ImportID, ContentHash: in.ContentHash,
		OriginalType: in.OriginalType, OriginalBytes: in.OriginalBytes, Width: in.Width, Height: in.Height,
		FocalPoint: rapport.FocalPoint{X: float64(float32(in.FocalPoint.X)), Y: float64(float32(in.FocalPoint.Y))},
		CreatedAt:  w.now, CreatedBy: rapport.Actor{ClientID: w.by.ClientID, ActingUser: w.by.ActingUser},
	}
	for _, v := range in.Variants {
		photo.Variants = append(photo.Variants, v.PhotoVariant)
	}
	return photo, nil
}

// GetPhoto returns the patron's current photo, where the principal may see it.
func (s *Store) GetPhoto(ctx context.Context, p *rapport.Principal, patronID uuid.UUID) (rapport.Photo, error) {
	var c conditions
	c.add("pa.id = " + c.arg(patronID))
	c.tenant("pa", p.Tenant)
	c.add("pa.erased_at IS NULL")
	c.add("ph.state = 'current'")
	photoReadable(&c, p, s.now(ctx))
	photos, err := queryRows(ctx, s.pool, "get photo", scanPhoto, `
		SELECT `+photoColumns+`
		FROM patrons pa JOIN photos ph ON ph.patron_id = pa.id
		`+c.sql(), c.args)
	if err != nil {
		return rapport.Photo{}, err
	}
	if len(photos) == 0 {
		return rapport.Photo{}, notFound("photo")
	}
	return photos[0], nil
}

// ReadPhotoVariant returns the bytes of a variant of the patron's current photo in one
// statement, then counts the read against the client's cap and logs it (photoReadLog), before
// the bytes go out: a photo is never served without its log row.
func (s *Store) ReadPhotoVariant(ctx context.Context, p *rapport.Principal, patron rapport.PatronRef, read rapport.PhotoRead) (rapport.PhotoVariantRead, error) {
	now := s.now(ctx)
	var c conditions
	if err := patronRefCondition(&c, patron); err != nil {
		return rapport.PhotoVariantRead{}, err
	}
	c.tenant("pa", p.Tenant)
	if read.Version != "" {
		c.add("v.hash = " + c.arg(read.Version))
	}
	c.add("pa.erased_at IS NULL")
	photoReadable(&c, p, now)
	size, held := c.arg(read.Size), c.arg(read.NotIfHash)
	var v rapport.PhotoVariantRead
	var district uuid.UUID
	err := s.pool.QueryRow(ctx, `
		SELECT pa.id, pa.district_id, v.size, v.width, v.height, v.hash, b.data
		FROM patrons pa
		JOIN photos ph ON ph.patron_id = pa.id AND ph.state = 'current'
		JOIN photo_variants v ON v.photo_id = ph.id AND v.size = `+size+`
		-- The bytes only when the caller does not hold them already (a 304 reads none).
		LEFT JOIN LATERAL (SELECT b.data FROM photo_blobs b WHERE b.hash = v.hash AND v.hash <> ALL(coalesce(`+held+`::text[], '{}'))) b ON true
		`+c.sql(), c.args...).Scan(&v.PatronID, &district, &v.Size, &v.Width, &v.Height, &v.Hash, &v.JPEG)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return v, notFound("photo")
	case err != nil:
		return v, interpretError(fmt.Errorf("read photo of patron %v: %w", patron, err))
	case v.JPEG == nil:
		return v, nil // not modified: nothing is served, logged or counted
	}
	log := s.photoReads()
	key := clientDay{client: p.ClientUUID, day: now.UTC().Format(time.DateOnly)}
	ok, err := log.reserve(ctx, key, read.DailyCap)
	if err != nil {
		return rapport.PhotoVariantRead{}, err
	}
	if !ok {
		return rapport.PhotoVariantRead{}, rapport.Errorf(rapport.RateLimited,
			"this client has read its %d photos for today (UTC); bulk transfers go through POST /v1/exports/photos", read.DailyCap)
	}
	by := p.Actor()
	err = log.log(ctx, &photoRead{district: district, patron: v.PatronID, detail: v.Size, by: by,
		requestID: p.RequestID, at: now, key: key})
	if err != nil {
		return rapport.PhotoVariantRead{}, interpretError(err)
	}
	return v, nil
}

// patronRefCondition adds the condition that the patron (aliased pa) is the one ref names.
// An id of another system must name exactly one patron of the district; a username that is
// the part before the @ of two patrons' e-mail addresses names none.
func patronRefCondition(c *conditions, ref rapport.PatronRef) error {
	if ref.ID != uuid.Nil {
		c.add("pa.id = " + c.arg(ref.ID))
		return nil
	}
	switch ref.IDType {
	case "sourced_id", "sis_id", "barcode", "lms_id":
		c.add("pa." + ref.IDType + " = " + c.arg(ref.Value))
	case "username":
		// The district is the same for both: the tenant condition the caller adds names it.
		name := c.arg(strings.ToLower(ref.Value))
		c.add(`(lower(pa.email) = ` + name + ` OR lower(split_part(pa.email, '@', 1)) = ` + name + `)
			AND NOT EXISTS (SELECT 1 FROM patrons twin WHERE twin.district_id = pa.district_id AND twin.id <> pa.id
				AND (lower(twin.email) = ` + name + ` OR lower(split_part(twin.email, '@', 1)) = ` + name + `))`)
	default:
		return rapport.FieldErrorf(rapport.Invalid, "#/path/id_type", "must be one of %s", strings.Join(rapport.PatronIDTypes, ", "))
	}
	return nil
}

// ExportPhotos returns one page of an export's photos, a short statement each, so that a long
// export holds no snapshot open (which would hold the change feed back), and logs them.
func (s *Store) ExportPhotos(ctx context.Context, p *rapport.Principal, f rapport.PhotoExportFilter) ([]rapport.ExportedPhoto, error) {
	var c conditions
	c.tenant("pa", p.Tenant)
	c.add("pa.erased_at IS NULL")
	if f.SchoolID != uuid.Nil {
		c.add("pa.school_id = " + c.arg(f.SchoolID))
	}
	switch f.NeedID {
	case "barcode", "sis_id":
		c.add("pa." + f.NeedID + " IS NOT NULL")
	default:
		return nil, fmt.Errorf("export photos: an export names photos by barcode or sis_id, not %q", f.NeedID)
	}
	if !f.ChangedSince.IsZero() {
		c.add("ph.created_at >= " + c.arg(f.ChangedSince))
	}
	if f.After != uuid.Nil {
		c.add("pa.id > " + c.arg(f.After))
	}
	now := s.now(ctx)
	photoReadable(&c, p, now)
	photos, err := queryRows(ctx, s.pool, "export photos", func(row pgx.CollectableRow) (rapport.ExportedPhoto, error) {
		var e rapport.ExportedPhoto
		err := row.Scan(&e.PatronID, &e.SISID, &e.Barcode, &e.UpdatedAt, &e.JPEG)
		return e, err
	}, `
		SELECT pa.id, coalesce(pa.sis_id, ''), coalesce(pa.barcode, ''), ph.created_at, b.data
		FROM patrons pa
		JOIN photos ph ON ph.patron_id = pa.id AND ph.state = 'current'
		JOIN photo_variants v ON v.photo_id = ph.id AND v.size = `+c.arg(f.Size)+`
		JOIN photo_blobs b ON b.hash = v.hash
		`+c.sql()+`
		ORDER BY pa.id
		LIMIT `+strconv.Itoa(max(f.Limit, 1)), c.args)
	if err != nil {
		return nil, err
	}
	ids := make([]uuid.UUID, len(photos))
	for i, e := range photos {
		ids[i] = e.PatronID
	}
	if err := logAccessDetail(ctx, s.pool, p, "photo_export", f.Size, ids, now); err != nil {
		return nil, interpretError(err)
	}
	return photos, nil
}

// ListPhotos returns one page of the patron's photos, newest first.
func (s *Store) ListPhotos(ctx context.Context, p *rapport.Principal, patronID uuid.UUID, page rapport.PageRequest) (rapport.Page[rapport.Photo], error) {
	cursors, err := s.listCursors(ctx, "photos "+patronID.String(), p.Tenant)
	if err != nil {
		return rapport.Page[rapport.Photo]{}, err
	}
	var c conditions
	c.add("pa.id = " + c.arg(patronID))
	c.tenant("pa", p.Tenant)
	c.add("pa.erased_at IS NULL")
	photoReadable(&c, p, s.now(ctx))
	var exists bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM patrons pa `+c.sql()+`)`, c.args...).Scan(&exists); err != nil {
		return rapport.Page[rapport.Photo]{}, interpretError(fmt.Errorf("list photos: %w", err))
	}
	if !exists {
		return rapport.Page[rapport.Photo]{}, notFound("patron")
	}
	if page.Cursor != "" {
		var version int
		if err := cursors.decode(page.Cursor, &version); err != nil {
			return rapport.Page[rapport.Photo]{}, err
		}
		c.add("ph.version < " + c.arg(version))
	}
	size := page.Size()
	photos, err := queryRows(ctx, s.pool, "list photos", scanPhoto, `
		SELECT `+photoColumns+`
		FROM patrons pa JOIN photos ph ON ph.patron_id = pa.id
		`+c.sql()+`
		ORDER BY ph.version DESC
		LIMIT `+strconv.Itoa(size+1), c.args)
	if err != nil {
		return rapport.Page[rapport.Photo]{}, err
	}
	// A list of a patron's photos is a read of them too, if not of their bytes.
	if err := logAccess(ctx, s.pool, p, "photos", []uuid.UUID{patronID}, s.now(ctx)); err != nil {
		return rapport.Page[rapport.Photo]{}, interpretError(err)
	}
	return pageOf(photos, size, func(ph rapport.Photo) string { return cursors.encode(ph.Version) }), nil
}

// GetPhotoMaster returns the patron's current photo and its master's bytes.
func (s *Store) GetPhotoMaster(ctx context.Context, scope rapport.TenantScope, patronID uuid.UUID) (rapport.Photo, []byte, error) {
	var c conditions
	c.add("pa.id = " + c.arg(patronID))
	c.tenant("pa", scope)
	c.add("pa.erased_at IS NULL")
	c.add("ph.state = 'current'")
	var master []byte
	photos, err := queryRows(ctx, s.pool, "get photo master", scanPhoto,
		`SELECT `+photoColumns+` FROM patrons pa JOIN photos ph ON ph.patron_id = pa.id `+c.sql(), c.args)
	if err != nil {
		return rapport.Photo{}, nil, err
	}
	if len(photos) == 0 {
		return rapport.Photo{}, nil, notFound("photo")
	}
	err = s.pool.QueryRow(ctx, `
		SELECT b.data FROM photos ph JOIN photo_blobs b ON b.hash = ph.master_hash WHERE ph.id = $1`, photos[0].ID).Scan(&master)
	if err != nil {
		return rapport.Photo{}, nil, interpretError(fmt.Errorf("get photo master: %w", err))
	}
	return photos[0], master, nil
}

// RemovePhoto ends the patron's current photo as removed.
func (s *Store) RemovePhoto(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, patronID uuid.UUID, match rapport.Match) (rapport.Photo, error) {
	var out rapport.Photo
	err := s.write(ctx, scope, by, "remove photo of patron "+patronID.String(), func(w *unit) error {
		pa, current, has, err := lockCurrentPhoto(ctx, w, patronID)
		if err != nil {
			return err
		}
		if !has {
			return notFound("photo")
		}
		if err := checkMatch("photo", match, current.Version); err != nil {
			return err
		}
		// The consumers who had it are told, so they are those consented until now.
		purposes, err := consentedPurposes(ctx, w.tx, pa.ID, pa.DistrictID, w.now)
		if err != nil {
			return err
		}
		if _, err := w.tx.Exec(ctx, `
			UPDATE photos SET state = 'removed', ended_at = $2, ended_by_client = $3, ended_by_user = $4
			WHERE id = $1`, current.ID, w.now, w.by.ClientID, nullIfEmpty(w.by.ActingUser)); err != nil {
			return fmt.Errorf("remove photo: %w", err)
		}
		w.recordPhoto(pa.ID, pa.SchoolID, rapport.EventRemoved, purposes)
		current.State, current.EndedAt, current.EndedBy = rapport.PhotoRemoved, w.now, w.by
		out = current
		return nil
	})
	return out, err
}

// GetPhotoConsent returns the consent that applies to the patron's photo in the school year.
func (s *Store) GetPhotoConsent(ctx context.Context, scope rapport.TenantScope, patronID uuid.UUID, schoolYear string) (rapport.PhotoConsent, error) {
	pa, err := getPatron(ctx, s.pool, scope, patronID, "")
	if err != nil {
		return rapport.PhotoConsent{}, err
	}
	if pa.Erased() {
		return rapport.PhotoConsent{}, notFound("patron")
	}
	if schoolYear == "" {
		schoolYear = rapport.SchoolYearOf(s.now(ctx))
	}
	return getPhotoConsent(ctx, s.pool, pa, schoolYear)
}

func getPhotoConsent(ctx context.Context, q querier, pa rapport.Patron, schoolYear string) (rapport.PhotoConsent, error) {
	out := rapport.PhotoConsent{PatronID: pa.ID, SchoolYear: schoolYear}
	rows, err := q.Query(ctx, `
		SELECT pp.purpose, photo_consented($1, $2, pp.purpose, $3), c.recorded_at,
			coalesce(c.recorded_by_client, ''), coalesce(c.recorded_by_user, '')
		FROM unnest($4::text[]) WITH ORDINALITY AS pp(purpose, n)
		LEFT JOIN photo_consents c ON c.patron_id = $1 AND c.purpose = pp.purpose AND c.school_year = $3
		ORDER BY pp.n`, pa.ID, pa.DistrictID, schoolYear, rapport.PhotoPurposes)
	if err != nil {
		return out, interpretError(fmt.Errorf("get photo consent: %w", err))
	}
	out.Purposes, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (rapport.PurposeConsent, error) {
		var pc rapport.PurposeConsent
		var at *time.Time
		err := row.Scan(&pc.Purpose, &pc.Granted, &at, &pc.RecordedBy.ClientID, &pc.RecordedBy.ActingUser)
		if at != nil {
			pc.Recorded, pc.RecordedAt = true, *at
		}
		return pc, err
	})
	if err != nil {
		return out, interpretError(fmt.Errorf("get photo consent: %w", err))
	}
	return out, nil
}

// SetPhotoConsent records the patron's consent for the purposes given, and tells the consumers
// whose consent for the current photo changed.
func (s *Store) SetPhotoConsent(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, patronID uuid.UUID, schoolYear string, granted map[rapport.PhotoPurpose]bool) (rapport.PhotoConsent, error) {
	var out rapport.PhotoConsent
	err := s.write(ctx, scope, by, "set photo consent of patron "+patronID.String(), func(w *unit) error {
		pa, err := lockPhotoPatron(ctx, w, patronID)
		if err != nil {
			return err
		}
		if schoolYear == "" {
			schoolYear = rapport.SchoolYearOf(w.now)
		}
		before, err := consentedPurposes(ctx, w.tx, pa.ID, pa.DistrictID, w.now)
		if err != nil {
			return err
		}
		var purposes []string
		var values []bool
		for _, purpose := range rapport.PhotoPurposes {
			if g, ok := granted[purpose]; ok {
				purposes, values = append(purposes, string(purpose)), append(values, g)
			}
		}
		if _, err := w.tx.Exec(ctx, `
			INSERT INTO photo_consents (district_id, patron_id, purpose, school_year, granted, recorded_at, recorded_by_client, recorded_by_user)
			SELECT $1, $2, u.purpose, $3, u.granted, $6, $4, $5
			FROM unnest($7::text[], $8::boolean[]) AS u(purpose, granted)
			ON CONFLICT (patron_id, purpose, school_year) DO UPDATE
			SET granted = EXCLUDED.granted, recorded_at = EXCLUDED.recorded_at,
				recorded_by_client = EXCLUDED.recorded_by_client, recorded_by_user = EXCLUDED.recorded_by_user`,
			pa.DistrictID, pa.ID, schoolYear, w.by.ClientID, nullIfEmpty(w.by.ActingUser), w.now, purposes, values); err != nil {
			return fmt.Errorf("record consent: %w", err)
		}
		after, err := consentedPurposes(ctx, w.tx, pa.ID, pa.DistrictID, w.now)
		if err != nil {
			return err
		}
		if _, has, err := currentPhoto(ctx, w.tx, pa.ID); err != nil {
			return err
		} else if has {
			// Only consent for the current school year changes what consumers see now.
			for _, purpose := range rapport.PhotoPurposes {
				was, is := slices.Contains(before, purpose), slices.Contains(after, purpose)
				switch {
				case is && !was:
					w.recordPhotoConsent(pa.ID, pa.SchoolID, rapport.EventCreated, purpose)
				case was && !is:
					w.recordPhotoConsent(pa.ID, pa.SchoolID, rapport.EventRemoved, purpose)
				}
			}
		}
		out, err = getPhotoConsent(ctx, w.tx, pa, schoolYear)
		return err
	})
	return out, err
}

// erasePhotos deletes every photo the patron had, their consent, and the bytes no other photo
// shares, and tells the consumers that held the current one to drop it. The access log keeps
// who read them, which holds no picture.
func erasePhotos(ctx context.Context, w *unit, pa rapport.Patron) error {
	_, has, err := currentPhoto(ctx, w.tx, pa.ID)
	if err != nil {
		return err
	}
	if has {
		purposes, err := consentedPurposes(ctx, w.tx, pa.ID, pa.DistrictID, w.now)
		if err != nil {
			return err
		}
		w.recordPhoto(pa.ID, pa.SchoolID, rapport.EventRemoved, purposes)
	}
	var hashes []string
	if err := w.tx.QueryRow(ctx, `
		SELECT coalesce(array_agg(DISTINCT h), '{}') FROM (
			SELECT ph.master_hash FROM photos ph WHERE ph.patron_id = $1
			UNION ALL
			SELECT v.hash FROM photo_variants v JOIN photos ph ON ph.id = v.photo_id WHERE ph.patron_id = $1
		) AS used(h)`, pa.ID).Scan(&hashes); err != nil {
		return fmt.Errorf("erase photos: %w", err)
	}
	for _, sql := range []string{
		`DELETE FROM photos WHERE patron_id = $1`, // and their variants, which cascade
		`DELETE FROM photo_consents WHERE patron_id = $1`,
	} {
		if _, err := w.tx.Exec(ctx, sql, pa.ID); err != nil {
			return fmt.Errorf("erase photos: %w", err)
		}
	}
	if _, err := w.tx.Exec(ctx, `
		DELETE FROM photo_blobs b
		WHERE b.hash = ANY($1)
		  AND NOT EXISTS (SELECT 1 FROM photos ph WHERE ph.master_hash = b.hash)
		  AND NOT EXISTS (SELECT 1 FROM photo_variants v WHERE v.hash = b.hash)`, hashes); err != nil {
		return fmt.Errorf("erase photo bytes: %w", err)
	}
	return nil
}

// GetPhotoConsentDefaults returns the district's default consent per purpose.
func (s *Store) GetPhotoConsentDefaults(ctx context.Context, scope rapport.TenantScope) ([]rapport.DefaultConsent, error) {
	return getPhotoConsentDefaults(ctx, s.pool, scope.DistrictID)
}

func getPhotoConsentDefaults(ctx context.Context, q querier, districtID uuid.UUID) ([]rapport.DefaultConsent, error) {
	return queryRows(ctx, q, "get photo consent defaults", func(row pgx.CollectableRow) (rapport.DefaultConsent, error) {
		var d rapport.DefaultConsent
		var granted *bool
		var at *time.Time
		err := row.Scan(&d.Purpose, &granted, &at)
		d.Granted, d.Set = rapport.DefaultPhotoConsent(d.Purpose), granted != nil
		if granted != nil {
			d.Granted, d.UpdatedAt = *granted, *at
		}
		return d, err
	}, `
		SELECT pp.purpose, d.granted, d.updated_at
		FROM unnest($2::text[]) WITH ORDINALITY AS pp(purpose, n)
		LEFT JOIN photo_consent_defaults d ON d.district_id = $1 AND d.purpose = pp.purpose
		ORDER BY pp.n`, []any{districtID, rapport.PhotoPurposes})
}

// SetPhotoConsentDefaults sets the district's defaults and tells the consumers whose consent
// changed with them: for each purpose whose default turns, one event for every patron of the
// district with a current photo and no consent of their own this school year.
func (s *Store) SetPhotoConsentDefaults(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, granted map[rapport.PhotoPurpose]bool) ([]rapport.DefaultConsent, error) {
	if !scope.AllSchools() {
		return nil, rapport.Errorf(rapport.Forbidden, "the district's default consent applies to every school; only a client of the whole district may set it")
	}
	var out []rapport.DefaultConsent
	err := s.write(ctx, scope, by, "set photo consent defaults", func(w *unit) error {
		before, err := getPhotoConsentDefaults(ctx, w.tx, scope.DistrictID)
		if err != nil {
			return err
		}
		for _, d := range before {
			g, ok := granted[d.Purpose]
			if !ok || g == d.Granted && d.Set {
				continue
			}
			if _, err := w.tx.Exec(ctx, `
				INSERT INTO photo_consent_defaults (district_id, purpose, granted, updated_at)
				VALUES ($1, $2, $3, $4)
				ON CONFLICT (district_id, purpose) DO UPDATE SET granted = EXCLUDED.granted, updated_at = EXCLUDED.updated_at`,
				scope.DistrictID, d.Purpose, g, w.now); err != nil {
				return fmt.Errorf("set default: %w", err)
			}
			if g == d.Granted {
				continue // set now, but the same as before: nobody's consent changed
			}
			kind := rapport.EventRemoved
			if g {
				kind = rapport.EventCreated
			}
			// A statement of its own rather than w.recordPhotoConsent: it may be every patron
			// of the district.
			if _, err := w.tx.Exec(ctx, `
				INSERT INTO changes (district_id, resource, resource_id, school_id, event, photo_purposes, photo_consent,
					at, by_client, by_user, by_user_source)
				SELECT pa.district_id, 'photo', pa.id, pa.school_id, $2, ARRAY[$3::text], true, $5, $6, $7, $8
				FROM photos ph JOIN patrons pa ON pa.id = ph.patron_id
				WHERE ph.district_id = $1 AND ph.state = 'current'
				  AND NOT EXISTS (SELECT 1 FROM photo_consents c
				                  WHERE c.patron_id = pa.id AND c.purpose = $3 AND c.school_year = $4)
				ORDER BY pa.id`,
				scope.DistrictID, kind, d.Purpose, rapport.SchoolYearOf(w.now), w.now, w.by.ClientID,
				nullIfEmpty(w.by.ActingUser), nullIfEmpty(string(w.by.ActingUserSource))); err != nil {
				return fmt.Errorf("tell consumers: %w", err)
			}
		}
		out, err = getPhotoConsentDefaults(ctx, w.tx, scope.DistrictID)
		return err
	})
	return out, err
}

// PatronIDValues returns the patrons in scope with an id of the type, for an import to match.
func (s *Store) PatronIDValues(ctx context.Context, scope rapport.TenantScope, idType string, schoolID uuid.UUID) ([]rapport.PatronIDValue, error) {
	switch idType {
	case "sourced_id", "sis_id", "barcode", "lms_id":
	default:
		return nil, rapport.FieldErrorf(rapport.Invalid, "#/query/id_type", "must be one of sourced_id, sis_id, barcode, lms_id")
	}
	var c conditions
	c.tenant("pa", scope)
	c.add("pa.erased_at IS NULL")
	c.add("pa." + idType + " IS NOT NULL")
	if schoolID != uuid.Nil {
		c.add("pa.school_id = " + c.arg(schoolID))
	}
	return queryRows(ctx, s.pool, "list patron ids", func(row pgx.CollectableRow) (rapport.PatronIDValue, error) {
		var v rapport.PatronIDValue
		err := row.Scan(&v.PatronID, &v.Value)
		return v, err
	}, `SELECT pa.id, pa.`+idType+` FROM patrons pa `+c.sql(), c.args)
}

// importReport is how an import's report is kept, in photo_imports.report.
type importReport struct {
	Counts map[string]int     `json:"counts"`
	Files  []importReportFile `json:"files"`
}

type importReportFile struct {
	File     string    `json:"file,omitempty"`
	Line     int       `json:"line,omitempty"`
	ID       string    `json:"id,omitempty"`
	PatronID uuid.UUID `json:"patron_id,omitempty"`
	Result   string    `json:"result"`
	Reason   string    `json:"reason,omitempty"`
}

func reportOf(in rapport.PhotoImport) ([]byte, error) {
	r := importReport{Counts: in.Counts, Files: make([]importReportFile, len(in.Files))}
	if r.Counts == nil {
		r.Counts = map[string]int{}
	}
	for i, f := range in.Files {
		r.Files[i] = importReportFile(f)
	}
	return json.Marshal(r)
}

// CreatePhotoImport records the start of an import.
func (s *Store) CreatePhotoImport(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, in rapport.PhotoImport) (rapport.PhotoImport, error) {
	if in.SchoolID != uuid.Nil && !scope.HasSchool(in.SchoolID) || in.SchoolID == uuid.Nil && !scope.AllSchools() {
		return rapport.PhotoImport{}, rapport.FieldErrorf(rapport.Forbidden, "#/query/school_id",
			"a client limited to some schools imports into one of them: name it")
	}
	report, err := reportOf(in)
	if err != nil {
		return rapport.PhotoImport{}, fmt.Errorf("create photo import: %w", err)
	}
	in.ID, in.Status = uuid.Must(uuid.NewV7()), "imported"
	err = s.write(ctx, scope, by, "create photo import", func(w *unit) error {
		in.CreatedAt, in.CreatedBy = w.now, w.by
		_, err := w.tx.Exec(ctx, `
			INSERT INTO photo_imports (id, district_id, school_id, map_format, id_type, file_name, report, created_at, created_by_client, created_by_user)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			in.ID, scope.DistrictID, nullUUID(in.SchoolID), in.MapFormat, in.IDType, nullIfEmpty(in.FileName), report,
			w.now, w.by.ClientID, nullIfEmpty(w.by.ActingUser))
		return err
	})
	return in, err
}

// FinishPhotoImport keeps the import's report.
func (s *Store) FinishPhotoImport(ctx context.Context, scope rapport.TenantScope, in rapport.PhotoImport) error {
	report, err := reportOf(in)
	if err != nil {
		return fmt.Errorf("finish photo import: %w", err)
	}
	_, err = s.pool.Exec(ctx, `UPDATE photo_imports SET report = $3 WHERE id = $1 AND district_id = $2`, in.ID, scope.DistrictID, report)
	return interpretError(err)
}

// GetPhotoImport returns an import of the scope with its report.
func (s *Store) GetPhotoImport(ctx context.Context, scope rapport.TenantScope, id uuid.UUID) (rapport.PhotoImport, error) {
	return getPhotoImport(ctx, s.pool, scope, id, "")
}

func getPhotoImport(ctx context.Context, q querier, scope rapport.TenantScope, id uuid.UUID, lock string) (rapport.PhotoImport, error) {
	var c conditions
	c.add("i.id = " + c.arg(id))
	c.add("i.district_id = " + c.arg(scope.DistrictID))
	if !scope.AllSchools() {
		c.add("i.school_id = ANY(" + c.arg(scope.SchoolIDs) + ")")
	}
	var in rapport.PhotoImport
	var school *uuid.UUID
	var fileName *string
	var report []byte
	var rolledBackAt *time.Time
	err := q.QueryRow(ctx, `
		SELECT i.id, i.school_id, i.status, i.file_name, i.map_format, i.id_type, i.report, i.created_at,
			i.created_by_client, coalesce(i.created_by_user, ''), i.rolled_back_at,
			coalesce(i.rolled_back_by_client, ''), coalesce(i.rolled_back_by_user, '')
		FROM photo_imports i `+c.sql()+` `+lock, c.args...).Scan(&in.ID, &school, &in.Status, &fileName, &in.MapFormat, &in.IDType,
		&report, &in.CreatedAt, &in.CreatedBy.ClientID, &in.CreatedBy.ActingUser, &rolledBackAt,
		&in.RolledBackBy.ClientID, &in.RolledBackBy.ActingUser)
	if errors.Is(err, pgx.ErrNoRows) {
		return in, notFound("photo import")
	}
	if err != nil {
		return in, interpretError(fmt.Errorf("get photo import: %w", err))
	}
	if school != nil {
		in.SchoolID = *school
	}
	if fileName != nil {
		in.FileName = *fileName
	}
	if rolledBackAt != nil {
		in.RolledBackAt = *rolledBackAt
	}
	var r importReport
	if err := json.Unmarshal(report, &r); err != nil {
		return in, fmt.Errorf("get photo import %s: its report: %w", id, err)
	}
	in.Counts = r.Counts
	for _, f := range r.Files {
		in.Files = append(in.Files, rapport.PhotoImportFile(f))
	}
	return in, nil
}

// RollbackPhotoImport undoes an import: its photos that are still current go, and the photo
// each replaced comes back.
func (s *Store) RollbackPhotoImport(ctx context.Context, scope rapport.TenantScope, by rapport.Actor, id uuid.UUID) (rapport.PhotoImport, error) {
	var out rapport.PhotoImport
	err := s.write(ctx, scope, by, "roll back photo import "+id.String(), func(w *unit) error {
		imp, err := getPhotoImport(ctx, w.tx, scope, id, "FOR UPDATE")
		if err != nil {
			return err
		}
		if imp.Status == "rolled_back" {
			return rapport.Errorf(rapport.Conflict, "the import was rolled back already")
		}
		// The import's photos still current, each with the photo it replaced (ended when it
		// was made), locked with their patrons so that no upload slips in between.
		rows, err := w.tx.Query(ctx, `
			SELECT ph.id, ph.patron_id, pa.school_id, pa.district_id,
				(SELECT prev.id FROM photos prev
				 WHERE prev.patron_id = ph.patron_id AND prev.state = 'replaced' AND prev.ended_at = ph.created_at
				 ORDER BY prev.version DESC LIMIT 1)
			FROM photos ph JOIN patrons pa ON pa.id = ph.patron_id
			WHERE ph.import_id = $1 AND ph.state = 'current'
			ORDER BY ph.patron_id
			FOR NO KEY UPDATE OF pa`, id)
		if err != nil {
			return fmt.Errorf("find the import's photos: %w", err)
		}
		type undo struct {
			photo, patron, school, district uuid.UUID
			previous                        *uuid.UUID
		}
		undos, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (undo, error) {
			var u undo
			err := row.Scan(&u.photo, &u.patron, &u.school, &u.district, &u.previous)
			return u, err
		})
		if err != nil {
			return fmt.Errorf("find the import's photos: %w", err)
		}
		for _, u := range undos {
			if _, err := w.tx.Exec(ctx, `
				UPDATE photos SET state = 'removed', ended_at = $2, ended_by_client = $3, ended_by_user = $4 WHERE id = $1`,
				u.photo, w.now, w.by.ClientID, nullIfEmpty(w.by.ActingUser)); err != nil {
				return fmt.Errorf("remove imported photo: %w", err)
			}
			kind := rapport.EventRemoved
			if u.previous != nil {
				if _, err := w.tx.Exec(ctx, `
					UPDATE photos SET state = 'current', ended_at = NULL, ended_by_client = NULL, ended_by_user = NULL WHERE id = $1`,
					*u.previous); err != nil {
					return fmt.Errorf("restore replaced photo: %w", err)
				}
				kind = rapport.EventReplaced
			}
			purposes, err := consentedPurposes(ctx, w.tx, u.patron, u.district, w.now)
			if err != nil {
				return err
			}
			w.recordPhoto(u.patron, u.school, kind, purposes)
		}
		if _, err := w.tx.Exec(ctx, `
			UPDATE photo_imports SET status = 'rolled_back', rolled_back_at = $2, rolled_back_by_client = $3, rolled_back_by_user = $4
			WHERE id = $1`, id, w.now, w.by.ClientID, nullIfEmpty(w.by.ActingUser)); err != nil {
			return fmt.Errorf("mark rolled back: %w", err)
		}
		out, err = getPhotoImport(ctx, w.tx, scope, id, "")
		return err
	})
	return out, err
}
