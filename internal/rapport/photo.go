package rapport

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
)

// PhotoPurpose is what a consumer uses patrons' photos for. Consent is given or withheld per
// purpose, and every API client that reads photos serves one purpose.
type PhotoPurpose string

// The purposes photos are used for.
const (
	PurposeDesk   PhotoPurpose = "desk"    // the library desk, to greet people by name
	PurposeLMS    PhotoPurpose = "lms"     // the learning management system's profile pictures
	PurposeMDM    PhotoPurpose = "mdm"     // device management (the user's picture on a school device)
	PurposeIDCard PhotoPurpose = "id_card" // printing ID cards
)

// PhotoPurposes lists every purpose, in the order the API documents them.
var PhotoPurposes = []PhotoPurpose{PurposeDesk, PurposeLMS, PurposeMDM, PurposeIDCard}

// ValidPhotoPurpose reports whether p names a purpose.
func ValidPhotoPurpose(p PhotoPurpose) bool {
	return slices.Contains(PhotoPurposes, p)
}

// DefaultPhotoConsent is the consent for a purpose where neither the patron nor the district
// said anything: the desk may show a photo to the library's own staff, and nothing leaves the
// library until the district says so (PUT /v1/district/photo-consent).
func DefaultPhotoConsent(p PhotoPurpose) bool {
	return p == PurposeDesk
}

// PhotoSource says where a photo came from.
type PhotoSource string

// The sources of a photo.
const (
	SourcePhotographerImport PhotoSource = "photographer_import" // a school photographer's zip
	SourceSISSync            PhotoSource = "sis_sync"            // pushed by the SIS, automatically
	SourceStaffUpload        PhotoSource = "staff_upload"        // uploaded by a member of staff
	SourceSelf               PhotoSource = "self"                // chosen by the patron
)

// PhotoSources lists every source, in the order the API documents them.
var PhotoSources = []PhotoSource{SourcePhotographerImport, SourceSISSync, SourceStaffUpload, SourceSelf}

// ChosenBySchool reports whether a photo of this source was chosen by people (the school, its
// photographer, the patron) rather than pushed by a sync: a sync does not replace such a photo
// when it is newer (see CheckReplace).
func (s PhotoSource) ChosenBySchool() bool {
	return s != SourceSISSync
}

// PhotoState says whether a photo is the patron's current one.
type PhotoState string

// The states of a photo.
const (
	PhotoCurrent  PhotoState = "current"
	PhotoReplaced PhotoState = "replaced" // a newer photo took its place
	PhotoRemoved  PhotoState = "removed"  // deleted; the patron has no photo since
)

// PhotoSizes are the variants served of every photo: squares of 48 to 512 pixels, which LMS,
// MDM and desk screens ask for, and a portrait crop for ID cards. The default is 256.
var PhotoSizes = []string{"48", "96", "128", "256", "512", "id_card"}

// DefaultPhotoSize is the variant served when none is asked for.
const DefaultPhotoSize = "256"

// FocalPoint is where the crops of a photo are centred, as fractions (0 to 1) of the upright
// picture's width and height from its top left corner.
type FocalPoint struct {
	X, Y float64
}

// Centre is the focal point of a photo nobody placed one on.
var Centre = FocalPoint{X: 0.5, Y: 0.5}

// Validate returns an error of kind Unprocessable pointing at pointer when the point lies
// outside the picture.
func (f FocalPoint) Validate(pointer string) error {
	if f.X < 0 || f.X > 1 || f.Y < 0 || f.Y > 1 {
		return FieldErrorf(Unprocessable, pointer, "must lie within the picture: x and y from 0 to 1")
	}
	return nil
}

// PhotoVariant is one JPEG served of a photo. Hash, the hex SHA-256 of its bytes, is its
// strong ETag.
type PhotoVariant struct {
	Size          string
	Width, Height int
	Hash          string
}

// Photo is one photo a patron has had, with where it came from. Photos are never changed: a
// new one takes the place of the current one, which stays as history.
type Photo struct {
	ID            uuid.UUID
	PatronID      uuid.UUID
	SchoolID      uuid.UUID // the patron's school
	Version       int       // 1 for the patron's first photo, then 2, …: its ETag
	State         PhotoState
	Source        PhotoSource
	CapturedOn    time.Time // a day (midnight UTC); zero when unknown
	ImportID      uuid.UUID // the import run it came with; uuid.Nil when none
	ContentHash   string    // hex SHA-256 of the bytes as they were sent
	OriginalType  string    // image/jpeg or image/png, from the bytes
	OriginalBytes int64
	Width, Height int // of the upright picture
	FocalPoint    FocalPoint
	Variants      []PhotoVariant
	CreatedAt     time.Time
	CreatedBy     Actor
	EndedAt       time.Time // when it was replaced or removed; zero while current
	EndedBy       Actor
}

// Rendered is one JPEG a photo is made of: a variant, or the upright master the variants are
// rendered from (Size "").
type Rendered struct {
	PhotoVariant
	JPEG []byte
}

// PhotoUpload is a new photo, already made safe by the image pipeline (internal/photo): the
// bytes as sent are gone, and what is kept is re-encoded without metadata.
type PhotoUpload struct {
	Source        PhotoSource
	CapturedOn    time.Time // optional
	ImportID      uuid.UUID // optional
	ContentHash   string
	OriginalType  string
	OriginalBytes int64
	Width, Height int
	FocalPoint    FocalPoint
	Master        Rendered
	Variants      []Rendered
	// Override lets an sis_sync photo replace a newer photo the school chose.
	Override bool
}

// PhotoWrite says what a write did to the patron's photo.
type PhotoWrite string

// What a write of a photo did.
const (
	PhotoCreated   PhotoWrite = "created"   // the patron had no photo
	PhotoReplacing PhotoWrite = "replaced"  // it took the place of the current one
	PhotoUnchanged PhotoWrite = "unchanged" // the same picture, from the same place, was already current
)

// CheckReplace returns an error of kind Conflict when an upload from a sync would replace a
// photo the school chose that is at least as recent, and the upload does not say Override. A
// sync photo of unknown date is older than any photo the school chose.
func (in PhotoUpload) CheckReplace(current Photo) error {
	if in.Source != SourceSISSync || !current.Source.ChosenBySchool() || in.Override {
		return nil
	}
	currentDate := current.CapturedOn
	if currentDate.IsZero() {
		currentDate = current.CreatedAt
	}
	if in.CapturedOn.IsZero() || !in.CapturedOn.After(currentDate) {
		return FieldErrorf(Conflict, "#/query/source",
			"the patron's current photo (%s, %s) was chosen by the school and is newer than this sync's; send override=true to replace it",
			current.Source, currentDate.Format(time.DateOnly))
	}
	return nil
}

// PhotoRead is what a read of one photo asks for.
type PhotoRead struct {
	Size      string   // one of PhotoSizes
	Version   string   // the variant's hash the caller asks for (a versioned URL); "" for the current one
	NotIfHash []string // the hashes the caller holds (If-None-Match)
	DailyCap  int      // the most photos the client may read today
}

// PatronRef names a patron: by its id, or by an id of another system (IDType one of
// PatronIDTypes, Value the id).
type PatronRef struct {
	ID     uuid.UUID
	IDType string
	Value  string
}

// PatronIDTypes are the ids of other systems a consumer may name a patron by in a signed photo
// URL. "username" is the patron's e-mail address or the part of it before the @, the name
// school devices sign in with.
var PatronIDTypes = []string{"sourced_id", "sis_id", "barcode", "lms_id", "username"}

// DefaultPhotoDailyCap is the most single photos a client may read a day unless its own cap
// or the server's configuration says otherwise: enough for a sync of a large district's
// photos in one size, far too few to walk through every size of every patron daily.
const DefaultPhotoDailyCap = 20_000

// PhotoVariantRead is the bytes of one variant of a patron's current photo.
type PhotoVariantRead struct {
	PhotoVariant
	PatronID uuid.UUID
	JPEG     []byte
}

// PhotoConsent is the consent that applies to a patron's photo for each purpose in a school
// year, and where it comes from.
type PhotoConsent struct {
	PatronID   uuid.UUID
	SchoolYear string
	Purposes   []PurposeConsent // one per PhotoPurposes, in that order
}

// PurposeConsent is whether a photo may be used for one purpose.
type PurposeConsent struct {
	Purpose    PhotoPurpose
	Granted    bool
	Recorded   bool      // the patron's own answer for the year; false when the default applies
	RecordedAt time.Time // zero unless Recorded
	RecordedBy Actor
}

// DefaultConsent is the district's default consent for one purpose.
type DefaultConsent struct {
	Purpose   PhotoPurpose
	Granted   bool
	Set       bool      // the district set it; false when DefaultPhotoConsent applies
	UpdatedAt time.Time // zero unless Set
}

// SchoolYearOf returns the school year a time falls in, as "2026-27": school years run from
// the first of July (UTC) to the end of June.
func SchoolYearOf(t time.Time) string {
	t = t.UTC()
	start := t.Year()
	if t.Month() < time.July {
		start--
	}
	return fmt.Sprintf("%d-%02d", start, (start+1)%100)
}

// ValidSchoolYear reports whether s is a school year of the form "2026-27" whose two years
// follow each other.
func ValidSchoolYear(s string) bool {
	var start, end int
	if len(s) != 7 || s[4] != '-' {
		return false
	}
	if _, err := fmt.Sscanf(s, "%4d-%2d", &start, &end); err != nil {
		return false
	}
	return start >= 2000 && start < 2200 && (start+1)%100 == end
}

// CanReadPhotos reports whether the principal may read photos at all: library staff (the
// photos:staff scope) whatever the consent, and consumers (photos:read) for the purpose they
// serve, where it is consented.
func (p *Principal) CanReadPhotos() bool {
	return p.HasScope(ScopePhotosStaff) || (p.HasScope(ScopePhotosRead) && p.PhotoPurpose != "")
}

// PhotoExportFilter says which photos an export takes.
type PhotoExportFilter struct {
	SchoolID     uuid.UUID // uuid.Nil for every school in scope
	Size         string
	ChangedSince time.Time // zero for every current photo
	// NeedID names the patron id the export's format names photos by ("barcode" or
	// "sis_id"): patrons without one are left out.
	NeedID string
	After  uuid.UUID // the last patron of the previous page; uuid.Nil for the first
	Limit  int
}

// ExportedPhoto is one photo of an export, with the ids its map file may need.
type ExportedPhoto struct {
	PatronID  uuid.UUID
	SISID     string
	Barcode   string
	UpdatedAt time.Time // when the photo became current
	JPEG      []byte
}

// PhotoImport is one import of a zip of photos, with what became of each file.
type PhotoImport struct {
	ID           uuid.UUID
	SchoolID     uuid.UUID // uuid.Nil when the import matched patrons of every school in scope
	Status       string    // "imported", "rolled_back", or "dry_run" for a report that was not kept
	FileName     string
	MapFormat    string
	IDType       string
	Counts       map[string]int // files per result
	Files        []PhotoImportFile
	CreatedAt    time.Time
	CreatedBy    Actor
	RolledBackAt time.Time // zero unless rolled back
	RolledBackBy Actor
}

// PhotoImportFile is what became of one file of an import, or of something wrong in the zip.
type PhotoImportFile struct {
	File     string
	Line     int // the map's line that names it; 0 when none does
	ID       string
	PatronID uuid.UUID
	Result   string // one of the results the API lists
	Reason   string
}

// PatronIDValue is a patron's id of another system.
type PatronIDValue struct {
	PatronID uuid.UUID
	Value    string
}

// PhotoStore keeps patrons' photos, their consent, and the log of every photo served.
type PhotoStore interface {
	// PutPhoto makes the upload the patron's current photo (the one before it stays in the
	// history) and says what it did: PhotoUnchanged, writing nothing, when the current photo
	// is the same picture from the same source with the same focal point. NotFound when the
	// patron is not in scope or erased; PreconditionFailed; Conflict (CheckReplace).
	PutPhoto(ctx context.Context, scope TenantScope, by Actor, patronID uuid.UUID, match Match, in PhotoUpload) (Photo, PhotoWrite, error)
	// GetPhoto returns the patron's current photo: NotFound when there is none, or when the
	// principal may not see it (see CanReadPhotos and the consent of its purpose).
	GetPhoto(ctx context.Context, p *Principal, patronID uuid.UUID) (Photo, error)
	// ReadPhotoVariant returns the bytes of a variant of the patron's current photo, as
	// GetPhoto decides who may see it, logs the read and counts it against the client's daily
	// cap: NotFound; RateLimited, serving and logging nothing, once the client has read
	// read.DailyCap photos today (UTC). When the variant's hash is one of read.NotIfHash (the
	// caller's If-None-Match), nothing is served, logged or counted, and JPEG is nil.
	// With read.Version, a variant whose hash is not that one is NotFound.
	ReadPhotoVariant(ctx context.Context, p *Principal, patron PatronRef, read PhotoRead) (PhotoVariantRead, error)
	// ListPhotos returns one page of the patron's photos, newest first, with their provenance,
	// and logs the read (photos):
	// NotFound unless the principal may see the patron's photos.
	ListPhotos(ctx context.Context, p *Principal, patronID uuid.UUID, page PageRequest) (Page[Photo], error)
	// ExportPhotos returns one page of the current photos an export takes, in the order of
	// their patrons' ids, as GetPhoto decides who may see them, and logs the read of each
	// (photo_export) before returning it.
	ExportPhotos(ctx context.Context, p *Principal, filter PhotoExportFilter) ([]ExportedPhoto, error)
	// PatronIDValues returns every patron in scope (of the school, when schoolID is not
	// uuid.Nil) that has an id of the type (sourced_id, sis_id, barcode or lms_id), erased
	// patrons left out.
	PatronIDValues(ctx context.Context, scope TenantScope, idType string, schoolID uuid.UUID) ([]PatronIDValue, error)
	// CreatePhotoImport records the start of an import, to link its photos to (its ID is set).
	CreatePhotoImport(ctx context.Context, scope TenantScope, by Actor, in PhotoImport) (PhotoImport, error)
	// FinishPhotoImport keeps the import's report.
	FinishPhotoImport(ctx context.Context, scope TenantScope, in PhotoImport) error
	// GetPhotoImport returns an import and its report: NotFound.
	GetPhotoImport(ctx context.Context, scope TenantScope, id uuid.UUID) (PhotoImport, error)
	// RollbackPhotoImport removes every photo the import made that is still current, makes the
	// photo each replaced current again, and tells consumers: NotFound; Conflict when it was
	// rolled back already.
	RollbackPhotoImport(ctx context.Context, scope TenantScope, by Actor, id uuid.UUID) (PhotoImport, error)
	// GetPhotoMaster returns the patron's current photo and the upright picture its variants
	// are rendered from, to render them again: NotFound when there is none.
	GetPhotoMaster(ctx context.Context, scope TenantScope, patronID uuid.UUID) (Photo, []byte, error)
	// RemovePhoto removes the patron's current photo (it stays in the history as removed):
	// NotFound when there is none; PreconditionFailed.
	RemovePhoto(ctx context.Context, scope TenantScope, by Actor, patronID uuid.UUID, match Match) (Photo, error)
	// GetPhotoConsent returns the consent that applies to the patron's photo in the school
	// year ("" for the current one): NotFound.
	GetPhotoConsent(ctx context.Context, scope TenantScope, patronID uuid.UUID, schoolYear string) (PhotoConsent, error)
	// GetPhotoConsentDefaults returns the district's default consent, one per PhotoPurposes.
	GetPhotoConsentDefaults(ctx context.Context, scope TenantScope) ([]DefaultConsent, error)
	// SetPhotoConsentDefaults sets the district's default consent for the purposes given, and
	// tells the consumers of each purpose whose consent for a patron's current photo changed
	// with it (the patrons without consent of their own for the current school year).
	SetPhotoConsentDefaults(ctx context.Context, scope TenantScope, by Actor, granted map[PhotoPurpose]bool) ([]DefaultConsent, error)
	// SetPhotoConsent records the patron's consent for the purposes given (the others are left
	// as they are) in the school year ("" for the current one), and tells consumers whose consent changed (a photo event
	// created or removed for that purpose): NotFound.
	SetPhotoConsent(ctx context.Context, scope TenantScope, by Actor, patronID uuid.UUID, schoolYear string, granted map[PhotoPurpose]bool) (PhotoConsent, error)
}
