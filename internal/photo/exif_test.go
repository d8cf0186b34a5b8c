package photo

import (
	"encoding/binary"
	"testing"
)

func TestTIFFOrientation(t *testing.T) {
	t.Parallel()
	valid := exifTIFF(binary.BigEndian, 6)
	withType := func(kind uint16) []byte { // the orientation entry with another type
		b := append([]byte{}, valid...)
		binary.BigEndian.PutUint16(b[8+2+2:], kind)
		return b
	}
	withIFD := func(offset uint32) []byte {
		b := append([]byte{}, valid...)
		binary.BigEndian.PutUint32(b[4:], offset)
		return b
	}
	for _, tt := range []struct {
		name string
		tiff []byte
		want orientation
	}{
		{"big-endian", valid, orientRotate90},
		{"little-endian", exifTIFF(binary.LittleEndian, 3), orientRotate180},
		{"each orientation", exifTIFF(binary.LittleEndian, 8), orientRotate270},
		{"empty", nil, orientNormal},
		{"header only", valid[:8], orientNormal},
		{"cut in the entry", valid[:15], orientNormal},
		{"unknown byte order", append([]byte("XX"), valid[2:]...), orientNormal},
		{"not 42", append([]byte("MM\x00\x2b"), valid[4:]...), orientNormal},
		{"IFD past the end", withIFD(1 << 30), orientNormal},
		{"IFD inside the header", withIFD(2), orientNormal},
		{"orientation as a LONG", withType(4), orientNormal},
		{"orientation 0", exifTIFF(binary.BigEndian, 0), orientNormal},
		{"orientation 9", exifTIFF(binary.BigEndian, 9), orientNormal},
		{"orientation 0xffff", exifTIFF(binary.BigEndian, 0xffff), orientNormal},
	} {
		if got := tiffOrientation(tt.tiff); got != tt.want {
			t.Errorf("tiffOrientation(%s) = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestJPEGOrientation(t *testing.T) {
	t.Parallel()
	jpg := encodeJPEG(t, testPhoto(16, 16))
	exif := exifTIFF(binary.LittleEndian, 6)
	for _, tt := range []struct {
		name string
		data []byte
		want orientation
	}{
		{"no EXIF", jpg, orientNormal},
		{"EXIF", withExif(jpg, exif), orientRotate90},
		{"EXIF after JFIF and XMP", withSegment(withSegment(withExif(jpg, exif), 0xe1, []byte("http://ns.adobe.com/xap/1.0/\x00")), 0xe0, []byte("JFIF\x00\x01\x02")), orientRotate90},
		{"the first EXIF counts", withExif(withExif(jpg, exifTIFF(binary.BigEndian, 3)), exif), orientRotate90},
		{"EXIF after the scan does not count", append(append([]byte{}, jpg...), withExif([]byte{0xff, 0xd8}, exif)[2:]...), orientNormal},
		{"fill bytes before a marker", append([]byte{0xff, 0xd8, 0xff}, withExif(jpg, exif)[2:]...), orientRotate90},
		{"a segment longer than the file", withExif(jpg, exif)[:30], orientNormal},
		{"a length under 2", []byte{0xff, 0xd8, 0xff, 0xe1, 0x00, 0x01, 0, 0, 0, 0}, orientNormal},
		{"not a marker", []byte{0xff, 0xd8, 0x00, 0xe1, 0x00, 0x08}, orientNormal},
		{"just SOI", []byte{0xff, 0xd8}, orientNormal},
		{"not a JPEG", exif, orientNormal},
	} {
		if got := jpegOrientation(tt.data); got != tt.want {
			t.Errorf("jpegOrientation(%s) = %d, want %d", tt.name, got, tt.want)
		}
	}
}

func TestPNGOrientation(t *testing.T) {
	t.Parallel()
	p := encodePNG(t, testPhoto(16, 16))
	exif := exifTIFF(binary.BigEndian, 8)
	huge := withChunk(p, "tEXt", nil)
	binary.BigEndian.PutUint32(huge[33:], 0xffffffff) // the tEXt chunk's length
	for _, tt := range []struct {
		name string
		data []byte
		want orientation
	}{
		{"no eXIf", p, orientNormal},
		{"eXIf", withChunk(p, "eXIf", exif), orientRotate270},
		{"eXIf with the JPEG's Exif prefix", withChunk(p, "eXIf", append([]byte("Exif\x00\x00"), exif...)), orientRotate270},
		{"eXIf after another chunk", withChunk(withChunk(p, "eXIf", exif), "tEXt", []byte("Title\x00x")), orientRotate270},
		{"eXIf after IEND does not count", append(append([]byte{}, p...), withChunk(p, "eXIf", exif)[33:33+12+len(exif)]...), orientNormal},
		{"a chunk longer than the file", huge, orientNormal},
		{"cut short", withChunk(p, "eXIf", exif)[:40], orientNormal},
		{"not a PNG", exif, orientNormal},
	} {
		if got := pngOrientation(tt.data); got != tt.want {
			t.Errorf("pngOrientation(%s) = %d, want %d", tt.name, got, tt.want)
		}
	}
}
