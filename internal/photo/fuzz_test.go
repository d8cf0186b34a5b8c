package photo

import (
	"bytes"
	"encoding/binary"
	"image"
	"testing"

	"github.com/rapportlib/rapport/internal/rapport"
)

// FuzzProcess feeds Process arbitrary bytes: it must never panic, must refuse what it cannot
// use with an error the caller can show (UnsupportedMedia or Unprocessable, never an internal
// one), and must make whole variants of what it accepts.
func FuzzProcess(f *testing.F) {
	small := testPhoto(24, 16)
	jpg := encodeJPEG(f, small)
	pngData := encodePNG(f, small)
	f.Add(jpg)
	f.Add(pngData)
	f.Add(encodeJPEG(f, image.NewGray(image.Rect(0, 0, 9, 7))))
	f.Add(encodePNG(f, image.NewNRGBA(image.Rect(0, 0, 3, 5))))
	for _, o := range []uint16{0, 1, 3, 6, 8, 9} {
		f.Add(withExif(jpg, exifTIFF(binary.LittleEndian, o)))
		f.Add(withChunk(pngData, "eXIf", exifTIFF(binary.BigEndian, o)))
	}
	f.Add(withExif(jpg, exifTIFF(binary.BigEndian, 6)[:20])) // EXIF cut short
	f.Add(jpg[:len(jpg)/2])
	f.Add(pngHeader(100000, 100000))
	f.Add([]byte("not a photo"))

	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Process(bytes.NewReader(data), Limits{MaxPixels: 1 << 20}, FocalPoint{X: 0.2, Y: 0.7})
		if err != nil {
			if kind := rapport.ErrorKind(err); kind != rapport.UnsupportedMedia && kind != rapport.Unprocessable {
				t.Fatalf("Process(%d bytes) = %v, want an UnsupportedMedia or Unprocessable error", len(data), err)
			}
			return
		}
		if len(p.Variants) != len(Sizes) {
			t.Fatalf("Process(%d bytes) gave %d variants, want %d", len(data), len(p.Variants), len(Sizes))
		}
		for i, v := range p.Variants {
			w, h := Sizes[i].Dimensions()
			if v.Width != w || v.Height != h || len(v.JPEG) == 0 {
				t.Fatalf("Process(%d bytes) variant %s is %d×%d (%d bytes), want %d×%d", len(data), v.Size, v.Width, v.Height, len(v.JPEG), w, h)
			}
		}
		if p.Master.Width < 1 || p.Master.Height < 1 || min(p.Master.Width, p.Master.Height) > masterShortSide {
			t.Fatalf("Process(%d bytes) master is %d×%d", len(data), p.Master.Width, p.Master.Height)
		}
	})
}
