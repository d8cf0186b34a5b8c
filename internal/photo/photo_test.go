package photo

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rapportlib/rapport/internal/rapport"
)

// checkProcessed fails t unless p has a master and one variant per size, each a JPEG of the
// dimensions it claims, hashed right, and carrying nothing but pixels.
func checkProcessed(t *testing.T, name string, p Processed) {
	t.Helper()
	if short := min(p.Master.Width, p.Master.Height); short > masterShortSide {
		t.Errorf("Process(%s) master is %d×%d, want at most %d on the short side", name, p.Master.Width, p.Master.Height, masterShortSide)
	}
	if p.Master.Size != "" {
		t.Errorf("Process(%s) master size = %q, want \"\"", name, p.Master.Size)
	}
	checkImage(t, name, p.Master)
	if len(p.Variants) != len(Sizes) {
		t.Fatalf("Process(%s) gave %d variants, want %d", name, len(p.Variants), len(Sizes))
	}
	for i, v := range p.Variants {
		w, h := Sizes[i].Dimensions()
		if v.Size != Sizes[i] || v.Width != w || v.Height != h {
			t.Errorf("Process(%s) variant %d = %s %d×%d, want %s %d×%d", name, i, v.Size, v.Width, v.Height, Sizes[i], w, h)
		}
		checkImage(t, name, v)
	}
}

// checkImage fails t unless img is a JPEG of img.Width×img.Height hashed as img.Hash, whose
// only segments are those of the pixels: quantization and Huffman tables, frame and scan.
func checkImage(t *testing.T, name string, img Image) {
	t.Helper()
	config, err := jpeg.DecodeConfig(bytes.NewReader(img.JPEG))
	if err != nil {
		t.Fatalf("Process(%s) %q is not a JPEG: %v", name, img.Size, err)
	}
	if config.Width != img.Width || config.Height != img.Height {
		t.Errorf("Process(%s) %q JPEG is %d×%d, want %d×%d", name, img.Size, config.Width, config.Height, img.Width, img.Height)
	}
	sum := sha256.Sum256(img.JPEG)
	if want := hex.EncodeToString(sum[:]); img.Hash != want {
		t.Errorf("Process(%s) %q hash = %s, want %s", name, img.Size, img.Hash, want)
	}
	found, endsAtEOI := markers(t, img.JPEG)
	if want := []byte{0xdb, 0xc0, 0xc4, 0xda}; !bytes.Equal(found, want) || !endsAtEOI {
		t.Errorf("Process(%s) %q segments = % x (ends at EOI: %v), want % x and EOI", name, img.Size, found, endsAtEOI, want)
	}
}

// allJPEGs returns the master's and the variants' bytes.
func allJPEGs(p Processed) [][]byte {
	out := [][]byte{p.Master.JPEG}
	for _, v := range p.Variants {
		out = append(out, v.JPEG)
	}
	return out
}

func decodeJPEG(t *testing.T, data []byte) image.Image {
	t.Helper()
	m, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestProcess(t *testing.T) {
	t.Parallel()
	photo := testPhoto(640, 800)
	for _, tt := range []struct {
		name             string
		data             []byte
		format           Format
		width, height    int
		masterW, masterH int
	}{
		{"school photo JPEG", encodeJPEG(t, photo), JPEG, 640, 800, 640, 800},
		{"school photo PNG", encodePNG(t, photo), PNG, 640, 800, 640, 800},
		{"large JPEG", encodeJPEG(t, testPhoto(1600, 1200)), JPEG, 1600, 1200, 853, 640},
		{"large PNG", encodePNG(t, testPhoto(1000, 3000)), PNG, 1000, 3000, 640, 1920},
		{"grey JPEG", encodeJPEG(t, image.NewGray(image.Rect(0, 0, 30, 40))), JPEG, 30, 40, 30, 40},
		{"1×1 JPEG", encodeJPEG(t, testPhoto(1, 1)), JPEG, 1, 1, 1, 1},
		{"1×1 PNG", encodePNG(t, testPhoto(1, 1)), PNG, 1, 1, 1, 1},
		{"10×2000 JPEG", encodeJPEG(t, testPhoto(10, 2000)), JPEG, 10, 2000, 10, 2000},
		{"2000×10 PNG", encodePNG(t, testPhoto(2000, 10)), PNG, 2000, 10, 2000, 10},
		{"odd sizes", encodeJPEG(t, testPhoto(641, 1283)), JPEG, 641, 1283, 640, 1281},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := Process(bytes.NewReader(tt.data), Limits{}, Centre)
			if err != nil {
				t.Fatalf("Process(%s) = %v, want no error", tt.name, err)
			}
			if p.Format != tt.format || p.Width != tt.width || p.Height != tt.height {
				t.Errorf("Process(%s) = %s %d×%d, want %s %d×%d", tt.name, p.Format, p.Width, p.Height, tt.format, tt.width, tt.height)
			}
			if p.Master.Width != tt.masterW || p.Master.Height != tt.masterH {
				t.Errorf("Process(%s) master = %d×%d, want %d×%d", tt.name, p.Master.Width, p.Master.Height, tt.masterW, tt.masterH)
			}
			checkProcessed(t, tt.name, p)
		})
	}
}

// The master and the variants look like the photo: the pipeline moves no colour and no
// feature.
func TestProcessKeepsThePicture(t *testing.T) {
	t.Parallel()
	photo := testPhoto(1200, 1600) // shrunk to a 640×853 master
	p, err := Process(bytes.NewReader(encodeJPEG(t, photo)), Limits{}, Centre)
	if err != nil {
		t.Fatalf("Process(1200×1600) = %v, want no error", err)
	}
	master := decodeJPEG(t, p.Master.JPEG)
	// Compare 8×8 averages at the same places, in fractions of the width and height.
	for _, at := range [][2]float64{{0.1, 0.1}, {0.5, 0.5}, {0.9, 0.2}, {0.3, 0.8}, {0.5, 0.95}} {
		pr := image.Rect(int(at[0]*1200)-12, int(at[1]*1600)-12, int(at[0]*1200)+12, int(at[1]*1600)+12)
		mr := image.Rect(int(at[0]*640)-4, int(at[1]*853)-4, int(at[0]*640)+4, int(at[1]*853)+4)
		r1, g1, b1 := meanColour(photo, pr)
		r2, g2, b2 := meanColour(master, mr)
		if abs(int64(r1-r2)) > 8 || abs(int64(g1-g2)) > 8 || abs(int64(b1-b2)) > 8 {
			t.Errorf("Process(1200×1600) master at %v = (%d, %d, %d), want about (%d, %d, %d)", at, r2, g2, b2, r1, g1, b1)
		}
	}
	// The 512 square is the middle 1200×1200 of the photo.
	square := decodeJPEG(t, p.Variants[4].JPEG)
	for _, at := range [][2]float64{{0.1, 0.1}, {0.5, 0.5}, {0.9, 0.9}} {
		pr := image.Rect(int(at[0]*1200)-12, 200+int(at[1]*1200)-12, int(at[0]*1200)+12, 200+int(at[1]*1200)+12)
		sr := image.Rect(int(at[0]*512)-4, int(at[1]*512)-4, int(at[0]*512)+4, int(at[1]*512)+4)
		r1, g1, b1 := meanColour(photo, pr)
		r2, g2, b2 := meanColour(square, sr)
		if abs(int64(r1-r2)) > 8 || abs(int64(g1-g2)) > 8 || abs(int64(b1-b2)) > 8 {
			t.Errorf("Process(1200×1600) 512 at %v = (%d, %d, %d), want about (%d, %d, %d)", at, r2, g2, b2, r1, g1, b1)
		}
	}
}

func TestProcessIsDeterministic(t *testing.T) {
	t.Parallel()
	photo := testPhoto(700, 900)
	for _, tt := range []struct {
		name string
		data []byte
	}{
		{"JPEG", encodeJPEG(t, photo)},
		{"JPEG with orientation 6", withExif(encodeJPEG(t, photo), exifTIFF(binary.BigEndian, 6))},
		{"PNG", encodePNG(t, photo)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			focal := FocalPoint{X: 0.3, Y: 0.4}
			first, err := Process(bytes.NewReader(tt.data), Limits{}, focal)
			if err != nil {
				t.Fatalf("Process(%s) = %v, want no error", tt.name, err)
			}
			again, err := Process(bytes.NewReader(bytes.Clone(tt.data)), Limits{}, focal)
			if err != nil {
				t.Fatalf("Process(%s) = %v, want no error", tt.name, err)
			}
			if diff := cmp.Diff(first, again); diff != "" {
				t.Errorf("Process(%s) twice differs (-first +again):\n%s", tt.name, diff)
			}
		})
	}
}

// Metadata never reaches the outputs: not EXIF with its GPS position, nor comments, XMP or
// ICC profiles. checkProcessed checks that the outputs have no segments but the pixels'; this
// also looks for the bytes themselves.
func TestProcessStripsMetadata(t *testing.T) {
	t.Parallel()
	photo := testPhoto(200, 300)
	for _, order := range []binary.AppendByteOrder{binary.LittleEndian, binary.BigEndian} {
		tiff := exifTIFF(order, 1)
		jpg := withExif(encodeJPEG(t, photo), tiff)
		jpg = withSegment(jpg, 0xe1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>secret</x:xmpmeta>"))
		jpg = withSegment(jpg, 0xe2, []byte("ICC_PROFILE\x00\x01\x01secret"))
		jpg = withSegment(jpg, 0xfe, []byte("a secret comment"))
		pngData := withChunk(encodePNG(t, photo), "eXIf", tiff)
		pngData = withChunk(pngData, "tEXt", []byte("Comment\x00a secret comment"))
		for _, tt := range []struct {
			name string
			data []byte
		}{
			{fmt.Sprintf("JPEG with EXIF GPS (%v)", order), jpg},
			{fmt.Sprintf("PNG with eXIf GPS (%v)", order), pngData},
		} {
			if !bytes.Contains(tt.data, []byte(gpsDatum)) {
				t.Fatalf("%s: the input carries no GPS datum", tt.name)
			}
			p, err := Process(bytes.NewReader(tt.data), Limits{}, Centre)
			if err != nil {
				t.Fatalf("Process(%s) = %v, want no error", tt.name, err)
			}
			checkProcessed(t, tt.name, p)
			latitude := tiff[gpsLatitudeOffset : gpsLatitudeOffset+24]
			for _, out := range allJPEGs(p) {
				for _, secret := range [][]byte{[]byte("Exif"), []byte(gpsDatum), latitude, []byte("secret"), {0xff, 0xe1}} {
					if bytes.Contains(out, secret) {
						t.Errorf("Process(%s) output contains %q, want none", tt.name, secret)
					}
				}
			}
		}
	}
}

// Each EXIF orientation is applied: the photo is stored with red in the stored corner that
// shows top left, and blue in the one that shows top right.
func TestProcessOrientation(t *testing.T) {
	t.Parallel()
	const storedW, storedH = 64, 48
	for _, tt := range []struct {
		orientation uint16
		red, blue   string // the stored corners that show top left and top right
	}{
		{1, "tl", "tr"},
		{2, "tr", "tl"},
		{3, "br", "bl"},
		{4, "bl", "br"},
		{5, "tl", "bl"},
		{6, "bl", "tl"},
		{7, "br", "tr"},
		{8, "tr", "br"},
	} {
		stored := blocks(storedW, storedH, map[string]color.RGBA{
			tt.red:  {255, 0, 0, 255},
			tt.blue: {0, 0, 255, 255},
		})
		wantW, wantH := storedW, storedH
		if tt.orientation >= 5 {
			wantW, wantH = storedH, storedW
		}
		for _, in := range []struct {
			name string
			data []byte
		}{
			{fmt.Sprintf("JPEG orientation %d, little-endian", tt.orientation), withExif(encodeJPEG(t, stored), exifTIFF(binary.LittleEndian, tt.orientation))},
			{fmt.Sprintf("JPEG orientation %d, big-endian", tt.orientation), withExif(encodeJPEG(t, stored), exifTIFF(binary.BigEndian, tt.orientation))},
			{fmt.Sprintf("PNG orientation %d", tt.orientation), withChunk(encodePNG(t, stored), "eXIf", exifTIFF(binary.BigEndian, tt.orientation))},
		} {
			p, err := Process(bytes.NewReader(in.data), Limits{}, Centre)
			if err != nil {
				t.Fatalf("Process(%s) = %v, want no error", in.name, err)
			}
			if p.Width != wantW || p.Height != wantH || p.Master.Width != wantW || p.Master.Height != wantH {
				t.Errorf("Process(%s) = %d×%d, master %d×%d, want %d×%d", in.name, p.Width, p.Height, p.Master.Width, p.Master.Height, wantW, wantH)
				continue
			}
			master := decodeJPEG(t, p.Master.JPEG)
			for corner, want := range map[string]string{"tl": "red", "tr": "blue", "bl": "grey", "br": "grey"} {
				r, g, b := meanColour(master, cornerRect(wantW, wantH, corner, 8).Add(offsetInward(corner, 4)))
				if got := colourName(r, g, b); got != want {
					t.Errorf("Process(%s) %s corner is %s (%d, %d, %d), want %s", in.name, corner, got, r, g, b, want)
				}
			}
		}
	}
}

// offsetInward moves a corner square away from the edges, clear of the JPEG's blur there.
func offsetInward(corner string, by int) image.Point {
	p := image.Pt(by, by)
	if corner == "tr" || corner == "br" {
		p.X = -by
	}
	if corner == "bl" || corner == "br" {
		p.Y = -by
	}
	return p
}

func colourName(r, g, b int) string {
	switch {
	case r > 200 && g < 60 && b < 60:
		return "red"
	case b > 200 && r < 60 && g < 60:
		return "blue"
	case abs(int64(r-128)) < 20 && abs(int64(g-128)) < 20 && abs(int64(b-128)) < 20:
		return "grey"
	}
	return "something else"
}

// The crops follow the focal point, as far as the image allows.
func TestProcessFocalPoint(t *testing.T) {
	t.Parallel()
	// Three squares side by side, red, grey and blue: small ones, enlarged to every square
	// size, and large ones, from which the small squares are made via the 256 square.
	for _, side := range []int{100, 300} {
		stripes := image.NewRGBA(image.Rect(0, 0, 3*side, side))
		for y := range side {
			for x := range 3 * side {
				c := color.RGBA{128, 128, 128, 255}
				if x < side {
					c = color.RGBA{255, 0, 0, 255}
				} else if x >= 2*side {
					c = color.RGBA{0, 0, 255, 255}
				}
				stripes.SetRGBA(x, y, c)
			}
		}
		data := encodePNG(t, stripes)
		for _, tt := range []struct {
			focal FocalPoint
			want  string
		}{
			{FocalPoint{0, 0}, "red"},
			{FocalPoint{0, 1}, "red"},
			{FocalPoint{0.1, 0.5}, "red"},
			{Centre, "grey"},
			{FocalPoint{1, 0}, "blue"},
			{FocalPoint{1, 1}, "blue"},
		} {
			name := fmt.Sprintf("%d×%d stripes, %v", 3*side, side, tt.focal)
			p, err := Process(bytes.NewReader(data), Limits{}, tt.focal)
			if err != nil {
				t.Fatalf("Process(%s) = %v, want no error", name, err)
			}
			for _, v := range p.Variants[:5] { // the squares
				m := decodeJPEG(t, v.JPEG)
				r, g, b := meanColour(m, m.Bounds().Inset(m.Bounds().Dx()/8))
				if got := colourName(r, g, b); got != tt.want {
					t.Errorf("Process(%s) %s square is %s (%d, %d, %d), want %s", name, v.Size, got, r, g, b, tt.want)
				}
			}
		}
	}
}

// Shrinking averages fine detail rather than picking pixels: a checkerboard of single black
// and white pixels becomes an even grey, where nearest-neighbour would give black, white or
// moiré.
func TestProcessAveragesFineDetail(t *testing.T) {
	t.Parallel()
	board := image.NewGray(image.Rect(0, 0, 1280, 1280))
	for y := range 1280 {
		for x := range 1280 {
			if (x+y)%2 == 0 {
				board.Pix[y*board.Stride+x] = 255
			}
		}
	}
	p, err := Process(bytes.NewReader(encodePNG(t, board)), Limits{}, Centre)
	if err != nil {
		t.Fatalf("Process(checkerboard) = %v, want no error", err)
	}
	for _, img := range append([]Image{p.Master}, p.Variants...) {
		m := decodeJPEG(t, img.JPEG)
		b := m.Bounds()
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				c := color.GrayModel.Convert(m.At(x, y)).(color.Gray)
				if c.Y < 118 || c.Y > 138 {
					t.Fatalf("Process(checkerboard) %q pixel (%d, %d) = %d, want 128 ± 10", img.Size, x, y, c.Y)
				}
			}
		}
	}
}

// A transparent PNG shows white where it is transparent.
func TestProcessAlphaOverWhite(t *testing.T) {
	t.Parallel()
	m := image.NewNRGBA(image.Rect(0, 0, 40, 40))
	for y := range 40 {
		for x := range 40 {
			switch {
			case x < 20:
				m.SetNRGBA(x, y, color.NRGBA{0, 0, 0, 0}) // transparent black
			default:
				m.SetNRGBA(x, y, color.NRGBA{255, 0, 0, 128}) // half-transparent red
			}
		}
	}
	p, err := Process(bytes.NewReader(encodePNG(t, m)), Limits{}, Centre)
	if err != nil {
		t.Fatalf("Process(transparent PNG) = %v, want no error", err)
	}
	master := decodeJPEG(t, p.Master.JPEG)
	for _, tt := range []struct {
		region  image.Rectangle
		r, g, b int
	}{
		{image.Rect(4, 4, 14, 36), 255, 255, 255},
		{image.Rect(26, 4, 36, 36), 255, 127, 127},
	} {
		r, g, b := meanColour(master, tt.region)
		if abs(int64(r-tt.r)) > 6 || abs(int64(g-tt.g)) > 6 || abs(int64(b-tt.b)) > 6 {
			t.Errorf("Process(transparent PNG) %v = (%d, %d, %d), want (%d, %d, %d)", tt.region, r, g, b, tt.r, tt.g, tt.b)
		}
	}
}

// pngHeader returns the signature and IHDR chunk of a width×height RGB PNG, with no pixels.
func pngHeader(width, height uint32) []byte {
	ihdr := binary.BigEndian.AppendUint32(nil, width)
	ihdr = binary.BigEndian.AppendUint32(ihdr, height)
	ihdr = append(ihdr, 8, 2, 0, 0, 0) // 8 bits, RGB, deflate, no filter, not interlaced
	chunk := binary.BigEndian.AppendUint32(nil, uint32(len(ihdr)))
	chunk = append(chunk, "IHDR"...)
	chunk = append(chunk, ihdr...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	return append([]byte(pngSignature), chunk...)
}

func TestProcessRefuses(t *testing.T) {
	t.Parallel()
	jpg := encodeJPEG(t, testPhoto(64, 64))
	for _, tt := range []struct {
		name    string
		data    []byte
		limits  Limits
		focal   FocalPoint
		kind    rapport.Kind
		message string // a part of the message
	}{
		{"a text file named photo.jpg", []byte("Dear parents, the photos will be taken on Monday.\n"), Limits{}, Centre,
			rapport.UnsupportedMedia, "the file looks like text, but a JPEG or PNG image is needed"},
		{"an empty file", nil, Limits{}, Centre, rapport.UnsupportedMedia, "the file is empty"},
		{"a GIF", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), Limits{}, Centre, rapport.UnsupportedMedia, "looks like a GIF image"},
		{"a WebP", []byte("RIFF\x24\x00\x00\x00WEBPVP8 "), Limits{}, Centre, rapport.UnsupportedMedia, "looks like a WebP image"},
		{"a HEIC", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic"), Limits{}, Centre, rapport.UnsupportedMedia, "looks like a HEIC image"},
		{"a PDF", []byte("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"), Limits{}, Centre, rapport.UnsupportedMedia, "looks like a PDF document"},
		{"random bytes", []byte{0x00, 0x9c, 0xff, 0x01, 0x02}, Limits{}, Centre, rapport.UnsupportedMedia, "the file is not a JPEG or PNG image"},
		{"a truncated JPEG", jpg[:len(jpg)/2], Limits{}, Centre, rapport.Unprocessable, "the JPEG could not be read: "},
		{"a JPEG cut in its header", jpg[:40], Limits{}, Centre, rapport.Unprocessable, "the JPEG could not be read: "},
		{"a truncated PNG", encodePNG(t, testPhoto(64, 64))[:300], Limits{}, Centre, rapport.Unprocessable, "the PNG could not be read: "},
		{"a PNG declaring 100000×100000", pngHeader(100000, 100000), Limits{MaxPixels: 40_000_000}, Centre, rapport.Unprocessable,
			"the image is 100000×100000 pixels (10000 megapixels); at most 40 megapixels are accepted"},
		{"a PNG declaring 100000×100000, default limits", pngHeader(100000, 100000), Limits{}, Centre, rapport.Unprocessable,
			"at most 40 megapixels are accepted"},
		{"a PNG over a lower limit", pngHeader(2000, 1200), Limits{MaxPixels: 2_000_000}, Centre, rapport.Unprocessable,
			"the image is 2000×1200 pixels (2.4 megapixels); at most 2 megapixels are accepted"},
		{"a JPEG over a lower limit", jpg, Limits{MaxPixels: 4000}, Centre, rapport.Unprocessable, "the image is 64×64 pixels"},
		{"a PNG declaring 0×10", pngHeader(0, 10), Limits{}, Centre, rapport.Unprocessable, "the PNG could not be read"},
		{"a PNG 70000 pixels wide", pngHeader(70000, 1), Limits{}, Centre, rapport.Unprocessable,
			"the image is 70000×1 pixels; at most 65535 pixels a side are accepted"},
		{"a focal point off the image", jpg, Limits{}, FocalPoint{1.5, 0.5}, rapport.Unprocessable, "the focal point (1.5, 0.5) is outside the image"},
		{"a focal point of NaN", jpg, Limits{}, FocalPoint{math.NaN(), 0.5}, rapport.Unprocessable, "is outside the image"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Process(bytes.NewReader(tt.data), tt.limits, tt.focal)
			var e *rapport.Error
			if !errors.As(err, &e) || e.Kind != tt.kind || !strings.Contains(e.Message, tt.message) {
				t.Errorf("Process(%s) = %v, want a %s error saying %q", tt.name, err, tt.kind, tt.message)
			}
		})
	}
}

// A PNG declaring 100000×100000 pixels is refused from its header, without allocating for
// its pixels.
func TestProcessRefusesPixelBombCheaply(t *testing.T) {
	data := pngHeader(100000, 100000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Process(bytes.NewReader(data), Limits{MaxPixels: 40_000_000}, Centre)
	runtime.ReadMemStats(&after)
	if rapport.ErrorKind(err) != rapport.Unprocessable {
		t.Fatalf("Process(100000×100000 PNG) = %v, want an Unprocessable error", err)
	}
	if allocated := after.TotalAlloc - before.TotalAlloc; allocated > 1<<20 {
		t.Errorf("Process(100000×100000 PNG) allocated %d bytes, want under 1 MiB", allocated)
	}
}

func TestProcessPassesOnReadErrors(t *testing.T) {
	t.Parallel()
	failure := errors.New("connection reset")
	_, err := Process(failingReader{failure}, Limits{}, Centre)
	if !errors.Is(err, failure) || rapport.ErrorKind(err) != rapport.Internal {
		t.Errorf("Process(failing reader) = %v, want %v, unclassified", err, failure)
	}
}

type failingReader struct{ err error }

func (r failingReader) Read([]byte) (int, error) { return 0, r.err }

func TestRender(t *testing.T) {
	t.Parallel()
	data := withExif(encodeJPEG(t, testPhoto(900, 700)), exifTIFF(binary.LittleEndian, 8))
	p, err := Process(bytes.NewReader(data), Limits{}, Centre)
	if err != nil {
		t.Fatalf("Process(900×700, orientation 8) = %v, want no error", err)
	}
	for _, focal := range []FocalPoint{Centre, {0, 0}, {1, 1}, {0.25, 0.75}} {
		variants, err := Render(p.Master.JPEG, focal)
		if err != nil {
			t.Fatalf("Render(master, %v) = %v, want no error", focal, err)
		}
		checkProcessed(t, fmt.Sprintf("Render(master, %v)", focal), Processed{Master: p.Master, Variants: variants})
		again, err := Render(p.Master.JPEG, focal)
		if err != nil {
			t.Fatalf("Render(master, %v) = %v, want no error", focal, err)
		}
		if diff := cmp.Diff(variants, again); diff != "" {
			t.Errorf("Render(master, %v) twice differs (-first +again):\n%s", focal, diff)
		}
	}

	// The master is upright (700×900 from orientation 8), so a focal point at the top
	// crops the top of the square.
	top, err := Render(p.Master.JPEG, FocalPoint{0.5, 0})
	if err != nil {
		t.Fatalf("Render(master, top) = %v, want no error", err)
	}
	bottom, err := Render(p.Master.JPEG, FocalPoint{0.5, 1})
	if err != nil {
		t.Fatalf("Render(master, bottom) = %v, want no error", err)
	}
	if top[0].Hash == bottom[0].Hash {
		t.Errorf("Render(master, top) = Render(master, bottom), want different crops")
	}
}

func TestRenderRefuses(t *testing.T) {
	t.Parallel()
	large := encodeJPEG(t, testPhoto(700, 700))
	master := encodeJPEG(t, testPhoto(64, 64))
	for _, tt := range []struct {
		name   string
		master []byte
		focal  FocalPoint
		kind   rapport.Kind
	}{
		{"a focal point off the image", master, FocalPoint{-0.1, 0}, rapport.Unprocessable},
		{"a PNG", encodePNG(t, testPhoto(8, 8)), Centre, rapport.Internal},
		{"a truncated master", master[:len(master)/2], Centre, rapport.Internal},
		{"an original, not a master", large, Centre, rapport.Internal},
	} {
		_, err := Render(tt.master, tt.focal)
		if err == nil || rapport.ErrorKind(err) != tt.kind {
			t.Errorf("Render(%s) = %v, want a %s error", tt.name, err, tt.kind)
		}
	}
}
