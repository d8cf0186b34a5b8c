package photozip

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"strings"
	"time"

	"github.com/rapportlib/rapport/internal/rapport"
)

// ExportFormat is the layout of a photo zip written for another system. The facts behind each are
// in the package documentation.
type ExportFormat string

// The export formats.
const (
	// ExportDestiny is for a Destiny upload at a site: photos named <barcode>.jpg at the root and
	// a map idlink.txt of lines "barcode,<barcode>.jpg" ended by CR LF, no header, no quotes.
	// Koha reads the same zip (cardnumber = barcode).
	ExportDestiny ExportFormat = "destiny"
	// ExportDestinyDistrict is for a Destiny upload at the district: as ExportDestiny, keyed by
	// the District ID, which is taken to be the SIS id.
	ExportDestinyDistrict ExportFormat = "destiny_district"
	// ExportPowerSchool is for PowerSchool's Import Pictures: photos named <student number>.jpg at
	// the root and a mapping file mapping.txt of lines "student number<TAB><student number>.jpg"
	// ended by CR LF, no header. PowerSchool takes the mapping file as a separate upload.
	ExportPowerSchool ExportFormat = "powerschool"
	// ExportInfiniteCampus is for Infinite Campus's Photo Import: photos named <student
	// number>.jpg at the root, no map.
	ExportInfiniteCampus ExportFormat = "infinite_campus"
	// ExportSISIDFilenames is photos named <SIS id>.jpg at the root, no map: for systems that
	// match a photo to a student by a file named after the SIS id, such as Otus.
	ExportSISIDFilenames ExportFormat = "sis_id_filenames"
)

// ExportEntry is one patron's photo to write.
type ExportEntry struct {
	// SISID is the student or staff number in the SIS: PowerSchool's Student_Number, Infinite
	// Campus's student number, Destiny's District ID.
	SISID string
	// Barcode is the library card's barcode, Destiny's id at a site.
	Barcode string
	// JPEG is the photo, a JPEG file.
	JPEG []byte
	// Modified is when the photo last changed, written as the file's time. Zero writes none.
	Modified time.Time
}

// Writer writes a photo zip in one export format: each photo as it is added, the map file (if the
// format has one) when it is closed. It holds only the map's rows in memory. A Writer is not safe
// for concurrent use.
type Writer struct {
	format ExportFormat
	zw     *zip.Writer
	rows   [][]string      // the map's rows: id, file name
	names  map[string]bool // file names written, in lower case: zips are often unpacked on disks that ignore case
	latest time.Time       // the latest Modified, for the map file
	err    error           // the first write error; the zip is unusable after it
	closed bool
}

// NewWriter returns a Writer of format that writes to w. It returns an error of kind Invalid for
// a format it does not know.
func NewWriter(w io.Writer, format ExportFormat) (*Writer, error) {
	switch format {
	case ExportDestiny, ExportDestinyDistrict, ExportPowerSchool, ExportInfiniteCampus, ExportSISIDFilenames:
	default:
		return nil, rapport.Errorf(rapport.Invalid, "unknown photo zip format %q", format)
	}
	return &Writer{format: format, zw: zip.NewWriter(w), names: make(map[string]bool)}, nil
}

// Add writes e's photo, named by the id its format uses (spaces around the id trimmed). It
// returns an error of kind Unprocessable, and writes nothing, when e lacks that id, when the id
// is already in the zip (in any letter case), when the id cannot name a file, or when the photo
// is not a JPEG; the caller reports it and goes on.
//
// Ids are refused, not rewritten, when they cannot name a file: only ASCII letters, digits, '-',
// '_' and '.' are allowed, not first a '.', and at most 100 of them. Rewriting could give two
// patrons one name, and Destiny wants no spaces in picture names.
//
// Any other error is a failure to write, after which the zip is unusable and Add and Close return
// the same error.
func (w *Writer) Add(e ExportEntry) error {
	if w.closed {
		return errors.New("photozip: Add after Close")
	}
	if w.err != nil {
		return w.err
	}
	id, err := w.id(e)
	if err != nil {
		return err
	}
	if !bytes.HasPrefix(e.JPEG, []byte{0xFF, 0xD8, 0xFF}) {
		return rapport.Errorf(rapport.Unprocessable, "the photo of %s is not a JPEG file", id)
	}
	name := id + ".jpg"
	if w.names[strings.ToLower(name)] {
		return rapport.Errorf(rapport.Unprocessable, "the id %s is already in the zip", id)
	}
	if err := w.store(name, e.JPEG, e.Modified); err != nil {
		return err
	}
	w.names[strings.ToLower(name)] = true
	w.rows = append(w.rows, []string{id, name})
	if e.Modified.After(w.latest) {
		w.latest = e.Modified
	}
	return nil
}

// Close writes the map file, if the format has one, and finishes the zip. It does not close the
// underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return errors.New("photozip: Close called twice")
	}
	w.closed = true
	if w.err != nil {
		return w.err
	}
	var comma rune
	var mapName string
	switch w.format {
	case ExportDestiny, ExportDestinyDistrict:
		comma, mapName = ',', "idlink.txt"
	case ExportPowerSchool:
		comma, mapName = '\t', "mapping.txt"
	}
	if mapName != "" {
		var buf bytes.Buffer
		cw := csv.NewWriter(&buf)
		cw.Comma = comma
		cw.UseCRLF = true
		if err := cw.WriteAll(w.rows); err != nil {
			return fmt.Errorf("write %s: %w", mapName, err)
		}
		if err := w.store(mapName, buf.Bytes(), w.latest); err != nil {
			return err
		}
	}
	if err := w.zw.Close(); err != nil {
		return fmt.Errorf("finish zip: %w", err)
	}
	return nil
}

// id returns the id that e's file is named by in w's format.
func (w *Writer) id(e ExportEntry) (string, error) {
	id, what := strings.TrimSpace(e.SISID), "SIS id"
	if w.format == ExportDestiny {
		id, what = strings.TrimSpace(e.Barcode), "barcode"
	}
	if id == "" {
		return "", rapport.Errorf(rapport.Unprocessable, "the patron has no %s, which the %s format names photos by", what, w.format)
	}
	if !safeID(id) {
		return "", rapport.Errorf(rapport.Unprocessable,
			"the %s %q cannot name a file: only letters, digits, '-', '_' and '.' can, up to 100 of them", what, id)
	}
	return id, nil
}

// safeID reports whether id can name a file in any system: ASCII letters, digits, '-', '_' and
// '.', not starting with '.', at most 100 bytes.
func safeID(id string) bool {
	if id == "" || len(id) > 100 || id[0] == '.' {
		return false
	}
	for _, c := range []byte(id) {
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '-', c == '_', c == '.':
		default:
			return false
		}
	}
	return true
}

// store writes one file, uncompressed, with its size and checksum in the header ahead of the
// bytes. JPEGs are compressed already; and a header that states the sizes, rather than a data
// descriptor after the bytes, is readable by Java's ZipInputStream, which refuses stored files
// with a descriptor.
func (w *Writer) store(name string, data []byte, modified time.Time) error {
	fh := &zip.FileHeader{
		Name:               name,
		Method:             zip.Store,
		CreatorVersion:     20, // zip 2.0, as archive/zip writes it
		ReaderVersion:      20,
		CRC32:              crc32.ChecksumIEEE(data),
		CompressedSize64:   uint64(len(data)),
		UncompressedSize64: uint64(len(data)),
	}
	if !modified.IsZero() {
		fh.ModifiedDate, fh.ModifiedTime = msDosTime(modified)
	}
	fw, err := w.zw.CreateRaw(fh)
	if err == nil {
		_, err = fw.Write(data)
	}
	if err != nil {
		w.err = fmt.Errorf("write %s: %w", name, err)
		return w.err
	}
	return nil
}

// msDosTime returns t as the date and time fields of a zip header, to the two seconds they hold.
// The fields hold the years 1980 to 2107; times outside are written as the nearest they hold.
func msDosTime(t time.Time) (date, clock uint16) {
	switch {
	case t.Year() < 1980:
		t = time.Date(1980, 1, 1, 0, 0, 0, 0, t.Location())
	case t.Year() > 2107:
		t = time.Date(2107, 12, 31, 23, 59, 58, 0, t.Location())
	}
	date = uint16(t.Day() + int(t.Month())<<5 + (t.Year()-1980)<<9)
	clock = uint16(t.Second()/2 + t.Minute()<<5 + t.Hour()<<11)
	return date, clock
}
