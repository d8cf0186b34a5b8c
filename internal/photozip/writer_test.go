package photozip_test

import (
	"archive/zip"
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rapportlib/rapport/internal/photozip"
	"github.com/rapportlib/rapport/internal/rapport"
)

// export writes entries in format and returns the zip. Every Add must succeed.
func export(t *testing.T, format photozip.ExportFormat, entries ...photozip.ExportEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := photozip.NewWriter(&buf, format)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := w.Add(e); err != nil {
			t.Fatalf("Add(%+v) = %v", e, err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestWriterRoundTrip(t *testing.T) {
	t.Parallel()
	modified := time.Date(2026, 9, 14, 10, 30, 0, 0, time.UTC)
	entries := []photozip.ExportEntry{
		{SISID: "1001", Barcode: "B1001", JPEG: []byte(photo("ann")), Modified: modified},
		{SISID: "0042", Barcode: "B0042", JPEG: []byte(photo("bob")), Modified: modified},
	}
	tests := []struct {
		format  photozip.ExportFormat
		want    result
		wantMap string // the map file's bytes
	}{{
		format: photozip.ExportDestiny,
		want: result{Format: photozip.MapIDLink, MapFile: "idlink.txt", Entries: []photozip.Entry{
			{Line: 1, ID: "B1001", File: "B1001.jpg"},
			{Line: 2, ID: "B0042", File: "B0042.jpg"},
		}},
		wantMap: "B1001,B1001.jpg\r\nB0042,B0042.jpg\r\n",
	}, {
		format: photozip.ExportDestinyDistrict,
		want: result{Format: photozip.MapIDLink, MapFile: "idlink.txt", Entries: []photozip.Entry{
			{Line: 1, ID: "1001", File: "1001.jpg"},
			{Line: 2, ID: "0042", File: "0042.jpg"},
		}},
		wantMap: "1001,1001.jpg\r\n0042,0042.jpg\r\n",
	}, {
		format: photozip.ExportPowerSchool,
		want: result{Format: photozip.MapPowerSchool, MapFile: "mapping.txt", Entries: []photozip.Entry{
			{Line: 1, ID: "1001", File: "1001.jpg"},
			{Line: 2, ID: "0042", File: "0042.jpg"},
		}},
		wantMap: "1001\t1001.jpg\r\n0042\t0042.jpg\r\n",
	}, {
		format: photozip.ExportInfiniteCampus,
		want: result{Format: photozip.MapFilenames, Entries: []photozip.Entry{
			{ID: "1001", File: "1001.jpg"},
			{ID: "0042", File: "0042.jpg"},
		}},
	}, {
		format: photozip.ExportSISIDFilenames,
		want: result{Format: photozip.MapFilenames, Entries: []photozip.Entry{
			{ID: "1001", File: "1001.jpg"},
			{ID: "0042", File: "0042.jpg"},
		}},
	}}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			t.Parallel()
			data := export(t, tt.format, entries...)

			a, err := open(data, photozip.Limits{})
			if err != nil {
				t.Fatalf("Open(%s) = %v, want no error", tt.format, err)
			}
			if diff := cmp.Diff(tt.want, resultOf(a), cmpopts.EquateEmpty()); diff != "" {
				t.Fatalf("Open(%s) mismatch (-want +got):\n%s", tt.format, diff)
			}
			for i, e := range a.Entries {
				rc, err := a.OpenFile(e.File)
				if err != nil {
					t.Fatalf("OpenFile(%s) = %v", e.File, err)
				}
				got, err := io.ReadAll(rc)
				rc.Close()
				if err != nil || !bytes.Equal(got, entries[i].JPEG) {
					t.Errorf("OpenFile(%s) read %q, %v; want %q", e.File, got, err, entries[i].JPEG)
				}
			}

			// Each file is stored, with its sizes ahead of its bytes (no data descriptor), and
			// carries the photo's time; the map is as the format's documentation says.
			zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range zr.File {
				if f.Method != zip.Store || f.Flags&0x8 != 0 || !f.Modified.Equal(modified) {
					t.Errorf("%s: method %d, flags %#x, modified %v; want stored, no data descriptor, modified %v",
						f.Name, f.Method, f.Flags, f.Modified, modified)
				}
				if f.Name != tt.want.MapFile {
					continue
				}
				rc, err := f.Open()
				if err != nil {
					t.Fatal(err)
				}
				got, _ := io.ReadAll(rc)
				rc.Close()
				if string(got) != tt.wantMap {
					t.Errorf("%s = %q, want %q", f.Name, got, tt.wantMap)
				}
			}
		})
	}
}

func TestWriterAddRefuses(t *testing.T) {
	t.Parallel()
	jpeg := []byte(photo("x"))
	tests := []struct {
		name   string
		format photozip.ExportFormat
		entry  photozip.ExportEntry
	}{
		{name: "Destiny without a barcode", format: photozip.ExportDestiny, entry: photozip.ExportEntry{SISID: "1", JPEG: jpeg}},
		{name: "PowerSchool without an SIS id", format: photozip.ExportPowerSchool, entry: photozip.ExportEntry{Barcode: "B1", JPEG: jpeg}},
		{name: "an id that climbs out", format: photozip.ExportSISIDFilenames, entry: photozip.ExportEntry{SISID: "../1", JPEG: jpeg}},
		{name: "an id with a slash", format: photozip.ExportSISIDFilenames, entry: photozip.ExportEntry{SISID: "a/b", JPEG: jpeg}},
		{name: "an id with a backslash", format: photozip.ExportInfiniteCampus, entry: photozip.ExportEntry{SISID: `a\b`, JPEG: jpeg}},
		{name: "an id with a space", format: photozip.ExportDestiny, entry: photozip.ExportEntry{Barcode: "B 1", JPEG: jpeg}},
		{name: "an id with a comma", format: photozip.ExportDestiny, entry: photozip.ExportEntry{Barcode: "B,1", JPEG: jpeg}},
		{name: "an id that hides the file", format: photozip.ExportSISIDFilenames, entry: photozip.ExportEntry{SISID: ".1", JPEG: jpeg}},
		{name: "an id of 101 characters", format: photozip.ExportSISIDFilenames, entry: photozip.ExportEntry{SISID: strings.Repeat("1", 101), JPEG: jpeg}},
		{name: "an id in another script", format: photozip.ExportSISIDFilenames, entry: photozip.ExportEntry{SISID: "١٢٣", JPEG: jpeg}},
		{name: "an id already added, in another case", format: photozip.ExportDestiny, entry: photozip.ExportEntry{Barcode: "ok1", JPEG: jpeg}},
		{name: "a PNG", format: photozip.ExportSISIDFilenames, entry: photozip.ExportEntry{SISID: "2", JPEG: []byte("\x89PNG\r\n\x1a\n")}},
		{name: "no photo", format: photozip.ExportSISIDFilenames, entry: photozip.ExportEntry{SISID: "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			w, err := photozip.NewWriter(&buf, tt.format)
			if err != nil {
				t.Fatal(err)
			}
			good := photozip.ExportEntry{SISID: "OK1", Barcode: "OK1", JPEG: jpeg}
			if err := w.Add(good); err != nil {
				t.Fatalf("Add(%+v) = %v", good, err)
			}
			if err := w.Add(tt.entry); rapport.ErrorKind(err) != rapport.Unprocessable {
				t.Errorf("Add(%s) = %v, want an error of kind %s", tt.name, err, rapport.Unprocessable)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			// The refused entry left nothing behind: the zip holds the good photo alone.
			a, err := open(buf.Bytes(), photozip.Limits{})
			if err != nil || len(a.Entries) != 1 || len(a.Problems) != 0 {
				t.Errorf("Open(zip after %s) = %+v, %v; want the one good entry", tt.name, a, err)
			}
		})
	}
}

func TestNewWriterUnknownFormat(t *testing.T) {
	t.Parallel()
	if _, err := photozip.NewWriter(io.Discard, "koha"); rapport.ErrorKind(err) != rapport.Invalid {
		t.Errorf("NewWriter(koha) = %v, want an error of kind %s", err, rapport.Invalid)
	}
}
