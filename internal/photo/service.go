package photo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"time"

	"github.com/google/uuid"

	"github.com/rapportlib/rapport/internal/rapport"
)

// Service takes pictures through the pipeline to the store: what the HTTP API and the import
// call to change a patron's photo.
type Service struct {
	store  rapport.PhotoStore
	limits Limits
}

// NewService returns a Service that keeps photos in store and refuses pictures over limits.
func NewService(store rapport.PhotoStore, limits Limits) *Service {
	return &Service{store: store, limits: limits}
}

// Upload says where an uploaded picture comes from and how to crop it.
type Upload struct {
	Source     rapport.PhotoSource
	CapturedOn time.Time           // optional
	FocalPoint *rapport.FocalPoint // nil for the centre
	Override   bool                // let an sis_sync photo replace a newer one the school chose
	ImportID   uuid.UUID           // optional
}

// Put makes the picture read from body the patron's current photo (rapport.PhotoStore's
// PutPhoto says how). The bytes are hashed as they are read, for the photo's content hash,
// and never kept: only what Process makes of them (see prepare).
func (s *Service) Put(ctx context.Context, p *rapport.Principal, patronID uuid.UUID, match rapport.Match, body io.Reader, up Upload) (rapport.Photo, rapport.PhotoWrite, error) {
	focal := rapport.Centre
	if up.FocalPoint != nil {
		focal = *up.FocalPoint
	}
	if err := focal.Validate("#/query/focal_x"); err != nil {
		return rapport.Photo{}, "", err
	}
	in, err := s.prepare(body, focal, up)
	if err != nil {
		return rapport.Photo{}, "", err
	}
	return s.store.PutPhoto(ctx, p.Tenant, p.Actor(), patronID, match, in)
}

// prepare reads a picture through Process, hashing the bytes as sent, and returns the upload
// it makes: what Put and Import hand the store. A body that can seek (a spooled upload) is
// hashed from the file and then processed from it; any other is hashed as Process reads it.
// An empty body is Unprocessable; the errors of Process are those of a picture that cannot be
// taken.
func (s *Service) prepare(body io.Reader, focal rapport.FocalPoint, up Upload) (rapport.PhotoUpload, error) {
	h := sha256.New()
	var processed Processed
	var size int64
	var err error
	if file, ok := body.(io.ReadSeeker); ok {
		if size, err = io.Copy(h, file); err == nil {
			_, err = file.Seek(0, io.SeekStart)
		}
		if err != nil {
			return rapport.PhotoUpload{}, fmt.Errorf("read the spooled photo: %w", err)
		}
		if size > 0 {
			processed, err = Process(file, s.limits, FocalPoint{X: focal.X, Y: focal.Y})
		}
	} else {
		counted := &countingReader{r: io.TeeReader(body, h)}
		processed, err = Process(counted, s.limits, FocalPoint{X: focal.X, Y: focal.Y})
		if err == nil {
			// What the decoder left unread (a trailer, say) is part of what was sent.
			_, err = io.Copy(io.Discard, counted)
		}
		size = counted.n
	}
	if size == 0 {
		return rapport.PhotoUpload{}, rapport.Errorf(rapport.Unprocessable, "the body is empty: send a JPEG or PNG picture")
	}
	if err != nil {
		return rapport.PhotoUpload{}, err
	}
	return rapport.PhotoUpload{
		Source: up.Source, CapturedOn: up.CapturedOn, ImportID: up.ImportID, Override: up.Override,
		ContentHash: hex.EncodeToString(h.Sum(nil)), OriginalType: string(processed.Format), OriginalBytes: size,
		Width: processed.Width, Height: processed.Height, FocalPoint: focal,
		Master: rendered(processed.Master), Variants: renderedAll(processed.Variants),
	}, nil
}

// MoveFocalPoint renders the variants of the patron's current photo again around the focal
// point, as a new photo with the same picture and provenance. Without an If-Match condition,
// the photo it read is the condition, so that a photo replaced meanwhile is never overwritten
// by the old picture.
func (s *Service) MoveFocalPoint(ctx context.Context, p *rapport.Principal, patronID uuid.UUID, match rapport.Match, focal rapport.FocalPoint) (rapport.Photo, error) {
	if err := focal.Validate("#/focal_point"); err != nil {
		return rapport.Photo{}, err
	}
	current, master, err := s.store.GetPhotoMaster(ctx, p.Tenant, patronID)
	if err != nil {
		return rapport.Photo{}, err
	}
	if match == nil {
		match = rapport.Match{current.Version}
	}
	variants, err := Render(master, FocalPoint{X: focal.X, Y: focal.Y})
	if err != nil {
		return rapport.Photo{}, err
	}
	sum := sha256.Sum256(master)
	in := rapport.PhotoUpload{
		Source: current.Source, CapturedOn: current.CapturedOn, ImportID: current.ImportID, Override: true,
		ContentHash: current.ContentHash, OriginalType: current.OriginalType, OriginalBytes: current.OriginalBytes,
		Width: current.Width, Height: current.Height, FocalPoint: focal,
		Master:   rapport.Rendered{PhotoVariant: rapport.PhotoVariant{Hash: hex.EncodeToString(sum[:])}, JPEG: master},
		Variants: renderedAll(variants),
	}
	ph, _, err := s.store.PutPhoto(ctx, p.Tenant, p.Actor(), patronID, match, in)
	return ph, err
}

func rendered(img Image) rapport.Rendered {
	return rapport.Rendered{
		PhotoVariant: rapport.PhotoVariant{Size: string(img.Size), Width: img.Width, Height: img.Height, Hash: img.Hash},
		JPEG:         img.JPEG,
	}
}

func renderedAll(images []Image) []rapport.Rendered {
	out := make([]rapport.Rendered, len(images))
	for i, img := range images {
		out[i] = rendered(img)
	}
	return out
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
