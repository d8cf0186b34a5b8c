package photozip_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"io"
	"io/fs"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/rapportlib/rapport/internal/photozip"
	"github.com/rapportlib/rapport/internal/rapport"
)

// file is a member of a zip made by a test.
type file struct {
	name string
	data string
	mode fs.FileMode // zero for a regular file
}

// photo returns bytes that start as a JPEG does; Open does not look further.
func photo(name string) string {
	return "\xff\xd8\xff\xe0 photo " + name
}

// zipOf returns a zip of files, deflated, in the order given.
func zipOf(t *testing.T, files ...file) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		fh := &zip.FileHeader{Name: f.name, Method: zip.Deflate}
		if f.mode != 0 {
			fh.SetMode(f.mode)
		}
		w, err := zw.CreateHeader(fh)
		if err != nil {
			t.Fatal(err)
		}
		if f.data != "" {
			if _, err := io.WriteString(w, f.data); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func open(data []byte, limits photozip.Limits) (*photozip.Archive, error) {
	return photozip.Open(bytes.NewReader(data), int64(len(data)), limits)
}

// utf16LE returns s as Excel's "Unicode Text" writes it: UTF-16, little-endian, with a byte order
// mark.
func utf16LE(s string) string {
	b := []byte{0xFF, 0xFE}
	for _, u := range utf16.Encode([]rune(s)) {
		b = binary.LittleEndian.AppendUint16(b, u)
	}
	return string(b)
}

// result is what a test compares of an Archive.
type result struct {
	Format   photozip.MapFormat
	MapFile  string
	Header   []string
	Entries  []photozip.Entry
	Problems []photozip.Problem
}

func resultOf(a *photozip.Archive) result {
	return result{Format: a.Format, MapFile: a.MapFile, Header: a.Header, Entries: a.Entries, Problems: a.Problems}
}

func TestOpenMapFormats(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		files []file
		want  result
	}{{
		name: "Destiny idlink.txt as Lifetouch writes it: quoted, CR line ends, no header",
		files: []file{
			{name: "idlink.txt", data: "\"639465\",\"00002.jpg\"\r\"688692\",\"00003.jpg\"\r"},
			{name: "00002.jpg", data: photo("2")},
			{name: "00003.jpg", data: photo("3")},
		},
		want: result{Format: photozip.MapIDLink, MapFile: "idlink.txt", Entries: []photozip.Entry{
			{Line: 1, ID: "639465", File: "00002.jpg"},
			{Line: 2, ID: "688692", File: "00003.jpg"},
		}},
	}, {
		name: "Koha IDLINK.TXT: tab, LF, a header row",
		files: []file{
			{name: "a.jpg", data: photo("a")},
			{name: "IDLINK.TXT", data: "cardnumber\tfilename\nA100\ta.jpg\nA101\tb.jpg\n"},
			{name: "b.jpg", data: photo("b")},
		},
		want: result{Format: photozip.MapIDLink, MapFile: "IDLINK.TXT", Header: []string{"cardnumber", "filename"}, Entries: []photozip.Entry{
			{Line: 2, ID: "A100", File: "a.jpg"},
			{Line: 3, ID: "A101", File: "b.jpg"},
		}},
	}, {
		name: "Koha DATALINK.TXT: comma, CRLF, byte order mark, blank lines",
		files: []file{
			{name: "DATALINK.TXT", data: "\xef\xbb\xbf1,a.jpg\r\n\r\n2,b.jpg\r\n\r\n"},
			{name: "a.jpg", data: photo("a")},
			{name: "b.jpg", data: photo("b")},
		},
		want: result{Format: photozip.MapDataLink, MapFile: "DATALINK.TXT", Entries: []photozip.Entry{
			{Line: 1, ID: "1", File: "a.jpg"},
			{Line: 3, ID: "2", File: "b.jpg"},
		}},
	}, {
		name: "PowerSchool mapping: tab, no header, no final line end",
		files: []file{
			{name: "1.jpg", data: photo("1")},
			{name: "2.jpg", data: photo("2")},
			{name: "students.txt", data: "420101752\t1.jpg\n420103883\t2.jpg"},
		},
		want: result{Format: photozip.MapPowerSchool, MapFile: "students.txt", Entries: []photozip.Entry{
			{Line: 1, ID: "420101752", File: "1.jpg"},
			{Line: 2, ID: "420103883", File: "2.jpg"},
		}},
	}, {
		name: "PowerSchool mapping saved by Excel as Unicode Text, with a header",
		files: []file{
			{name: "map.txt", data: utf16LE("Student_Number\tFile Name\r\n420101752\t1.jpg\r\n")},
			{name: "1.jpg", data: photo("1")},
		},
		want: result{Format: photozip.MapPowerSchool, MapFile: "map.txt", Header: []string{"Student_Number", "File Name"}, Entries: []photozip.Entry{
			{Line: 2, ID: "420101752", File: "1.jpg"},
		}},
	}, {
		name: "map inside one top folder, names in another letter case",
		files: []file{
			{name: "Photos/", data: ""},
			{name: "Photos/idlink.txt", data: "1,A.JPG\n"},
			{name: "Photos/a.jpg", data: photo("a")},
		},
		want: result{Format: photozip.MapIDLink, MapFile: "Photos/idlink.txt", Entries: []photozip.Entry{
			{Line: 1, ID: "1", File: "Photos/a.jpg"},
		}},
	}, {
		name: "spaces around fields, a quote after a space, empty trailing columns",
		files: []file{
			{name: "idlink.txt", data: "1, a.jpg ,,\n 2 , \"b.jpg\"\n"},
			{name: "a.jpg", data: photo("a")},
			{name: "b.jpg", data: photo("b")},
		},
		want: result{Format: photozip.MapIDLink, MapFile: "idlink.txt", Entries: []photozip.Entry{
			{Line: 1, ID: "1", File: "a.jpg"},
			{Line: 2, ID: "2", File: "b.jpg"},
		}},
	}, {
		name: "a quoted file name holding the delimiter",
		files: []file{
			{name: "idlink.txt", data: "\"1\",\"Smith, Ann.jpg\"\n"},
			{name: "Smith, Ann.jpg", data: photo("ann")},
		},
		want: result{Format: photozip.MapIDLink, MapFile: "idlink.txt", Entries: []photozip.Entry{
			{Line: 1, ID: "1", File: "Smith, Ann.jpg"},
		}},
	}, {
		name: "files named by id, in folders, with a read-me that names no file",
		files: []file{
			{name: "readme.txt", data: "Photos by Lifetouch, fall 2026.\n"},
			{name: "grade1/100.jpg", data: photo("100")},
			{name: "grade2/0200.JPEG", data: photo("200")},
			{name: "grade2/notes.pdf", data: "%PDF"},
		},
		want: result{Format: photozip.MapFilenames, Entries: []photozip.Entry{
			{ID: "100", File: "grade1/100.jpg"},
			{ID: "0200", File: "grade2/0200.JPEG"},
		}, Problems: []photozip.Problem{
			{File: "readme.txt", Reason: "is not named as a photo (.jpg, .jpeg, .png or .gif)"},
			{File: "grade2/notes.pdf", Reason: "is not named as a photo (.jpg, .jpeg, .png or .gif)"},
		}},
	}, {
		name: "OS junk and folders are left out silently",
		files: []file{
			{name: "photos/", data: ""},
			{name: "photos/1.jpg", data: photo("1")},
			{name: "photos/.DS_Store", data: "junk"},
			{name: "photos/._1.jpg", data: "junk"},
			{name: "__MACOSX/photos/._1.jpg", data: "junk"},
			{name: "photos/Thumbs.db", data: "junk"},
			{name: "photos/desktop.ini", data: "junk"},
		},
		want: result{Format: photozip.MapFilenames, Entries: []photozip.Entry{
			{ID: "1", File: "photos/1.jpg"},
		}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := open(zipOf(t, tt.files...), photozip.Limits{})
			if err != nil {
				t.Fatalf("Open(%s) = %v, want no error", tt.name, err)
			}
			if diff := cmp.Diff(tt.want, resultOf(a), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Open(%s) mismatch (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

func TestOpenProblems(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		files  []file
		limits photozip.Limits
		want   result
	}{{
		name: "hostile names",
		files: []file{
			{name: "idlink.txt", data: "1,a.jpg\n"},
			{name: "a.jpg", data: photo("a")},
			{name: "../evil.jpg", data: photo("evil")},
			{name: "photos/../../evil.jpg", data: photo("evil")},
			{name: "/etc/evil.jpg", data: photo("evil")},
			{name: `..\..\evil.jpg`, data: photo("evil")},
			{name: "C:/evil.jpg", data: photo("evil")},
			{name: "evil\x00.jpg", data: photo("evil")},
		},
		want: result{Format: photozip.MapIDLink, MapFile: "idlink.txt", Entries: []photozip.Entry{
			{Line: 1, ID: "1", File: "a.jpg"},
		}, Problems: []photozip.Problem{
			{File: "../evil.jpg", Reason: "has a name that climbs out of its folder (../)"},
			{File: "photos/../../evil.jpg", Reason: "has a name that climbs out of its folder (../)"},
			{File: "/etc/evil.jpg", Reason: "has an absolute name"},
			{File: `..\..\evil.jpg`, Reason: "has a backslash in its name (a Windows path, or an escape)"},
			{File: "C:/evil.jpg", Reason: "has a name that starts with a drive letter"},
			{File: "evil\x00.jpg", Reason: "has a control character in its name"},
		}},
	}, {
		name: "a symbolic link and a duplicated name, both named by the map",
		files: []file{
			{name: "idlink.txt", data: "1,link.jpg\n2,twice.jpg\n"},
			{name: "link.jpg", data: "/etc/passwd", mode: fs.ModeSymlink | 0o777},
			{name: "twice.jpg", data: photo("one")},
			{name: "twice.jpg", data: photo("two")},
		},
		want: result{Format: photozip.MapIDLink, MapFile: "idlink.txt", Problems: []photozip.Problem{
			{File: "link.jpg", Reason: "is a symbolic link"},
			{File: "twice.jpg", Reason: "appears more than once in the zip"},
			{File: "twice.jpg", Reason: "appears more than once in the zip"},
			{Line: 1, File: "link.jpg", Reason: "its file is a symbolic link"},
			{Line: 2, File: "twice.jpg", Reason: "its file appears more than once in the zip"},
		}},
	}, {
		name: "lines that cannot become entries, and a file no line names",
		files: []file{
			{name: "idlink.txt", data: "1,a.jpg\n,b.jpg\n2,missing.jpg\n3,c.jpg\n3,d.jpg\n4\n5,e.jpg,extra\n6,\n"},
			{name: "a.jpg", data: photo("a")},
			{name: "b.jpg", data: photo("b")},
			{name: "c.jpg", data: photo("c")},
			{name: "d.jpg", data: photo("d")},
			{name: "e.jpg", data: photo("e")},
			{name: "stray.jpg", data: photo("stray")},
		},
		want: result{Format: photozip.MapIDLink, MapFile: "idlink.txt", Entries: []photozip.Entry{
			{Line: 1, ID: "1", File: "a.jpg"},
		}, Problems: []photozip.Problem{
			{File: "stray.jpg", Reason: "is not in the map"},
			{Line: 2, File: "b.jpg", Reason: "the id is blank"},
			{Line: 3, File: "missing.jpg", Reason: "the file is not in the zip"},
			{Line: 4, File: "c.jpg", Reason: "the id 3 is also on line 5"},
			{Line: 5, File: "d.jpg", Reason: "the id 3 is also on line 4"},
			{Line: 6, Reason: "the line has no file name"},
			{Line: 7, File: "e.jpg", Reason: "the line has 3 fields; want 2, an id and a file name"},
			{Line: 8, Reason: "the line has no file name"},
		}},
	}, {
		name: "files named by id: the same id twice, and a blank one",
		files: []file{
			{name: "1.jpg", data: photo("1")},
			{name: "x/1.png", data: photo("1")},
			{name: ".jpg", data: photo("blank")},
			{name: "2.jpg", data: photo("2")},
		},
		want: result{Format: photozip.MapFilenames, Entries: []photozip.Entry{
			{ID: "2", File: "2.jpg"},
		}, Problems: []photozip.Problem{
			{File: "1.jpg", Reason: "the id 1 is also the name of x/1.png"},
			{File: "x/1.png", Reason: "the id 1 is also the name of 1.jpg"},
			{File: ".jpg", Reason: "the id is blank"},
		}},
	}, {
		name:   "a member over the size limit, and the total limit",
		limits: photozip.Limits{MaxMemberBytes: 100, MaxTotalBytes: 150},
		files: []file{
			{name: "idlink.txt", data: "1,big.jpg\n2,a.jpg\n3,b.jpg\n"},
			{name: "big.jpg", data: photo(strings.Repeat("x", 200))},
			{name: "a.jpg", data: photo(strings.Repeat("a", 80))},
			{name: "b.jpg", data: photo(strings.Repeat("b", 80))},
		},
		want: result{Format: photozip.MapIDLink, MapFile: "idlink.txt", Entries: []photozip.Entry{
			{Line: 2, ID: "2", File: "a.jpg"},
		}, Problems: []photozip.Problem{
			{File: "big.jpg", Reason: "declares 211 bytes, over the limit of 100"},
			{File: "b.jpg", Reason: "would bring the photos past the limit of 150 bytes in all"},
			{Line: 1, File: "big.jpg", Reason: "its file declares 211 bytes, over the limit of 100"},
			{Line: 3, File: "b.jpg", Reason: "its file would bring the photos past the limit of 150 bytes in all"},
		}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := open(zipOf(t, tt.files...), tt.limits)
			if err != nil {
				t.Fatalf("Open(%s) = %v, want no error", tt.name, err)
			}
			if diff := cmp.Diff(tt.want, resultOf(a), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Open(%s) mismatch (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

func TestOpenRefuses(t *testing.T) {
	t.Parallel()
	manyFiles := make([]file, 3000)
	for i := range manyFiles {
		manyFiles[i] = file{name: strings.Repeat("n", 40) + string(rune('a'+i%26)) + strings.Repeat("x", i%7) + "/" + strings.Repeat("y", i%100)}
	}
	honest := zipOf(t, file{name: "idlink.txt", data: "1,a.jpg\n"}, file{name: "a.jpg", data: photo("a")})
	tests := []struct {
		name   string
		data   []byte
		limits photozip.Limits
		want   string // in the message
	}{{
		name: "not a zip",
		data: []byte("cardnumber,filename\n1,a.jpg\n"),
		want: "not a zip",
	}, {
		name: "empty",
		data: nil,
		want: "not a zip",
	}, {
		name: "cut short",
		data: honest[:len(honest)-30],
		want: "not a zip",
	}, {
		name:   "more members than the limit",
		data:   zipOf(t, file{name: "1.jpg"}, file{name: "2.jpg"}, file{name: "3.jpg"}, file{name: "4.jpg"}),
		limits: photozip.Limits{MaxMembers: 3},
		want:   "4 entries, more than the limit of 3",
	}, {
		name:   "a directory too long for the member limit",
		data:   zipOf(t, manyFiles...),
		limits: photozip.Limits{MaxMembers: 2},
		want:   "more entries than the limit of 2",
	}, {
		name: "two maps",
		data: zipOf(t, file{name: "idlink.txt", data: "1,a.jpg\n"}, file{name: "DATALINK.TXT", data: "1,a.jpg\n"}),
		want: "more than one map file (idlink.txt, DATALINK.TXT)",
	}, {
		name: "two text files and no idlink.txt",
		data: zipOf(t, file{name: "a.txt", data: "1,a.jpg\n"}, file{name: "b.csv", data: "1,a.jpg\n"}),
		want: "cannot tell which file is the map (a.txt, b.csv)",
	}, {
		name:   "a map over its limit",
		data:   honest,
		limits: photozip.Limits{MaxMapBytes: 4},
		want:   "the map file idlink.txt has 8 bytes, over the limit of 4",
	}, {
		name: "a map that is a symbolic link",
		data: zipOf(t, file{name: "idlink.txt", data: "/etc/passwd", mode: fs.ModeSymlink | 0o777}),
		want: "the map file idlink.txt is a symbolic link",
	}, {
		name: "a PowerSchool mapping by student name",
		data: zipOf(t, file{name: "map.txt", data: "Last_Name\tFirst_Name\tGrade_Level\ndavis\tdeanne\t9\t1.jpg\n"}, file{name: "1.jpg", data: photo("1")}),
		want: "the map's header names 3 columns",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := open(tt.data, tt.limits)
			if rapport.ErrorKind(err) != rapport.Unprocessable || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Open(%s) = %v, %v; want an error of kind %s saying %q", tt.name, a, err, rapport.Unprocessable, tt.want)
			}
		})
	}
}

// zeros reads as an endless run of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	clear(p)
	return len(p), nil
}

// bombZip returns a zip whose member name inflates to size zero bytes, deflated as tightly as
// Go's fastest level does it, together with a map that names it.
func bombZip(t *testing.T, name string, size int64) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	zw.RegisterCompressor(zip.Deflate, func(w io.Writer) (io.WriteCloser, error) {
		return flate.NewWriter(w, flate.BestSpeed)
	})
	w, err := zw.Create("idlink.txt")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(w, "1,"+name+"\n"); err != nil {
		t.Fatal(err)
	}
	w, err = zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.CopyN(w, zeros{}, size); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Offsets of fields in a central directory header.
const (
	crcField              = 16
	uncompressedSizeField = 24
)

// patchDirectory rewrites a 32-bit field of the zip's directory entry for name.
func patchDirectory(t *testing.T, data []byte, name string, field int, value uint32) []byte {
	t.Helper()
	data = bytes.Clone(data)
	sig := []byte("PK\x01\x02")
	for off := 0; ; {
		i := bytes.Index(data[off:], sig)
		if i < 0 {
			t.Fatalf("no directory entry for %s", name)
		}
		h := data[off+i:]
		nameLen := int(binary.LittleEndian.Uint16(h[28:]))
		if string(h[46:46+nameLen]) == name {
			binary.LittleEndian.PutUint32(h[field:], value)
			return data
		}
		off += i + len(sig)
	}
}

func TestOpenHostileSizes(t *testing.T) {
	t.Parallel()
	bomb := bombZip(t, "bomb.jpg", 300<<20)
	if len(bomb) > 1<<20 {
		t.Fatalf("the bomb zip has %d bytes, want under 1 MiB", len(bomb))
	}
	tests := []struct {
		name   string
		data   []byte
		limits photozip.Limits
		want   string // the start of the member's Reason
	}{{
		name: "300 MiB of zeros",
		data: bomb,
		want: "declares 314572800 bytes, over the limit of 10485760",
	}, {
		name: "2 MiB of zeros, under the size limit",
		data: bombZip(t, "bomb.jpg", 2<<20),
		want: "expands ",
	}, {
		name: "a header that declares 1000 bytes of 2 MiB",
		data: patchDirectory(t, bombZip(t, "liar.jpg", 2<<20), "liar.jpg", uncompressedSizeField, 1000),
		want: "inflates past the 1000 bytes its header declares",
	}, {
		name: "a checksum that does not match",
		data: patchDirectory(t, bombZip(t, "bad.jpg", 1000), "bad.jpg", crcField, 12345),
		want: "is damaged: its checksum does not match",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a, err := open(tt.data, tt.limits)
			if err != nil {
				t.Fatalf("Open(%s) = %v, want no error", tt.name, err)
			}
			if len(a.Entries) != 0 || len(a.Problems) != 2 || !strings.HasPrefix(a.Problems[0].Reason, tt.want) {
				t.Fatalf("Open(%s) = %+v, want no entry and a problem starting %q", tt.name, resultOf(a), tt.want)
			}
		})
	}
}

func TestOpenFile(t *testing.T) {
	t.Parallel()
	data := zipOf(t,
		file{name: "idlink.txt", data: "1,a.jpg\n2,../b.jpg\n"},
		file{name: "a.jpg", data: photo("a")},
		file{name: "../b.jpg", data: photo("b")},
	)
	a, err := open(data, photozip.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	rc, err := a.OpenFile("a.jpg")
	if err != nil {
		t.Fatalf("OpenFile(a.jpg) = %v", err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(got) != photo("a") {
		t.Errorf("OpenFile(a.jpg) read %q, %v; want %q", got, err, photo("a"))
	}
	for _, name := range []string{"../b.jpg", "idlink.txt", "c.jpg"} {
		if _, err := a.OpenFile(name); rapport.ErrorKind(err) != rapport.NotFound {
			t.Errorf("OpenFile(%s) = %v, want an error of kind %s", name, err, rapport.NotFound)
		}
	}
}

func TestNormalizeID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id    string
		rules photozip.IDRules
		want  string
	}{
		{id: " 000123 ", want: "000123"},
		{id: "000123", rules: photozip.IDRules{TrimLeadingZeros: true}, want: "123"},
		{id: "000", rules: photozip.IDRules{TrimLeadingZeros: true}, want: "0"},
		{id: "", rules: photozip.IDRules{TrimLeadingZeros: true}, want: ""},
		{id: "P00123", rules: photozip.IDRules{TrimLeadingZeros: true}, want: "P00123"},
		{id: "AbC12", want: "AbC12"},
		{id: "AbC12", rules: photozip.IDRules{FoldCase: true}, want: "abc12"},
		{id: "00Ab", rules: photozip.IDRules{TrimLeadingZeros: true, FoldCase: true}, want: "ab"},
	}
	for _, tt := range tests {
		if got := photozip.NormalizeID(tt.id, tt.rules); got != tt.want {
			t.Errorf("NormalizeID(%q, %+v) = %q, want %q", tt.id, tt.rules, got, tt.want)
		}
	}
}
