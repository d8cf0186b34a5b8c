package photo

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"testing"
)

// testPhoto returns a width×height image that compresses like a photo: gradients, an oval
// "face" and a little noise, the same every time.
func testPhoto(width, height int) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, width, height))
	seed := uint32(1)
	for y := range height {
		for x := range width {
			seed = seed*1664525 + 1013904223 // a linear congruential generator
			noise := int(seed>>24)%16 - 8
			r, g, b := 60+x*100/width, 90+y*80/height, 140
			dx := float64(2*x-width) / float64(width)
			dy := float64(2*y-height) / float64(height)
			if dx*dx+dy*dy/2 < 0.3 {
				r, g, b = 220-y*40/height, 170-x*30/width, 140
			}
			i := y*m.Stride + x*4
			m.Pix[i+0] = clamp8(r + noise)
			m.Pix[i+1] = clamp8(g + noise)
			m.Pix[i+2] = clamp8(b + noise)
			m.Pix[i+3] = 255
		}
	}
	return m
}

func clamp8(v int) uint8 {
	return uint8(min(max(v, 0), 255))
}

// blocks returns a width×height grey image with a 16×16 block of each colour given in the
// corner given: "tl", "tr", "bl" or "br".
func blocks(width, height int, corners map[string]color.RGBA) *image.RGBA {
	m := image.NewRGBA(image.Rect(0, 0, width, height))
	for y := range height {
		for x := range width {
			m.SetRGBA(x, y, color.RGBA{128, 128, 128, 255})
		}
	}
	for corner, c := range corners {
		r := cornerRect(width, height, corner, 16)
		for y := r.Min.Y; y < r.Max.Y; y++ {
			for x := r.Min.X; x < r.Max.X; x++ {
				m.SetRGBA(x, y, c)
			}
		}
	}
	return m
}

// cornerRect returns the size×size square in the corner of a width×height image.
func cornerRect(width, height int, corner string, size int) image.Rectangle {
	x, y := 0, 0
	if corner == "tr" || corner == "br" {
		x = width - size
	}
	if corner == "bl" || corner == "br" {
		y = height - size
	}
	return image.Rect(x, y, x+size, y+size)
}

// meanColour returns the average colour of the region r of m.
func meanColour(m image.Image, r image.Rectangle) (red, green, blue int) {
	var sr, sg, sb, n int
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			c := color.RGBAModel.Convert(m.At(x, y)).(color.RGBA)
			sr, sg, sb, n = sr+int(c.R), sg+int(c.G), sb+int(c.B), n+1
		}
	}
	return sr / n, sg / n, sb / n
}

func encodeJPEG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, m, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func encodePNG(t testing.TB, m image.Image) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, m); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// withSegment returns a JPEG with a segment of the marker and payload inserted right after
// its start-of-image marker.
func withSegment(jpg []byte, marker byte, payload []byte) []byte {
	out := append([]byte{}, jpg[:2]...)
	out = append(out, 0xff, marker)
	out = binary.BigEndian.AppendUint16(out, uint16(len(payload)+2))
	out = append(out, payload...)
	return append(out, jpg[2:]...)
}

// withExif returns a JPEG with an APP1 EXIF segment holding tiff.
func withExif(jpg, tiff []byte) []byte {
	return withSegment(jpg, 0xe1, append([]byte("Exif\x00\x00"), tiff...))
}

// withChunk returns a PNG with a chunk of the kind and data inserted right after IHDR.
func withChunk(p []byte, kind string, data []byte) []byte {
	const afterIHDR = 8 + 4 + 4 + 13 + 4 // signature, length, type, IHDR data, CRC
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	chunk = append(chunk, kind...)
	chunk = append(chunk, data...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	out := append([]byte{}, p[:afterIHDR]...)
	out = append(out, chunk...)
	return append(out, p[afterIHDR:]...)
}

// What exifTIFF records of a GPS position, which no output may carry: the datum, and where
// the 24 bytes of the latitude are.
const (
	gpsDatum          = "WGS-84"
	gpsLatitudeOffset = 8 + 2 + 2*12 + 4 + 2 + 3*12 + 4
)

// exifTIFF returns EXIF data in the byte order given: IFD0 with the orientation and a pointer
// to a GPS IFD recording a latitude (51° 30' 12.34" N) and a datum.
func exifTIFF(order binary.AppendByteOrder, orientation uint16) []byte {
	var b []byte
	u16 := func(v uint16) { b = order.AppendUint16(b, v) }
	u32 := func(v uint32) { b = order.AppendUint32(b, v) }
	entry := func(tag, kind uint16, count uint32) { u16(tag); u16(kind); u32(count) }
	const (
		typeASCII    = 2
		typeShort    = 3
		typeLong     = 4
		typeRational = 5
		ifd0         = 8
		gpsIFD       = ifd0 + 2 + 2*12 + 4
		latitude     = gpsLatitudeOffset // after the GPS IFD: gpsIFD + 2 + 3*12 + 4
		datum        = latitude + 24
	)
	if order == binary.AppendByteOrder(binary.LittleEndian) {
		b = append(b, "II"...)
	} else {
		b = append(b, "MM"...)
	}
	u16(42)
	u32(ifd0)

	u16(2)
	entry(0x0112, typeShort, 1) // Orientation
	u16(orientation)
	u16(0)
	entry(0x8825, typeLong, 1) // GPSInfo
	u32(gpsIFD)
	u32(0) // no next IFD

	u16(3)
	entry(0x0001, typeASCII, 2) // GPSLatitudeRef
	b = append(b, 'N', 0, 0, 0)
	entry(0x0002, typeRational, 3) // GPSLatitude
	u32(latitude)
	entry(0x0012, typeASCII, uint32(len(gpsDatum)+1)) // GPSMapDatum
	u32(datum)
	u32(0)

	for _, v := range [][2]uint32{{51, 1}, {30, 1}, {1234, 100}} {
		u32(v[0])
		u32(v[1])
	}
	b = append(b, gpsDatum...)
	return append(b, 0)
}

// markers returns the markers of the segments of a JPEG, from the one after start-of-image to
// start-of-scan, and whether end-of-image is its last two bytes.
func markers(t *testing.T, jpg []byte) (found []byte, endsAtEOI bool) {
	t.Helper()
	if len(jpg) < 4 || jpg[0] != 0xff || jpg[1] != 0xd8 {
		t.Fatalf("not a JPEG: % x", jpg[:min(len(jpg), 4)])
	}
	for i := 2; i+4 <= len(jpg); {
		if jpg[i] != 0xff {
			t.Fatalf("no marker at byte %d", i)
		}
		found = append(found, jpg[i+1])
		if jpg[i+1] == 0xda {
			break
		}
		i += 2 + int(binary.BigEndian.Uint16(jpg[i+2:]))
	}
	return found, bytes.HasSuffix(jpg, []byte{0xff, 0xd9})
}
