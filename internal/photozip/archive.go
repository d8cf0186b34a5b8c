package photozip

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/rapportlib/rapport/internal/rapport"
)

// MapFormat says how an imported zip links its photos to ids.
type MapFormat string

// The map formats Open recognises.
const (
	// MapIDLink is a map named idlink.txt: lines of "id,file name" (or id TAB file name), as
	// Destiny and Koha read it and photographers such as Lifetouch write it.
	MapIDLink MapFormat = "idlink"
	// MapDataLink is Koha's other name for the same map, DATALINK.TXT.
	MapDataLink MapFormat = "datalink"
	// MapPowerSchool is a map with no fixed name: the one .txt or .csv file in the zip, when it
	// names files in the zip. PowerSchool's mapping files have this layout and no fixed name.
	MapPowerSchool MapFormat = "powerschool"
	// MapFilenames is a zip with no map: each photo is named by its id (12345.jpg), in any folder.
	MapFilenames MapFormat = "filenames"
)

// Limits bound what Open and OpenFile accept. A zero field takes its default.
type Limits struct {
	// MaxMembers is the most entries the zip may list, folders and junk included; a zip with more
	// is refused whole. Defaults to DefaultMaxMembers.
	MaxMembers int
	// MaxMemberBytes is the most bytes one member may inflate to. Defaults to
	// DefaultMaxMemberBytes.
	MaxMemberBytes int64
	// MaxTotalBytes is the most bytes the photos taken from one zip may inflate to, all together.
	// Defaults to DefaultMaxTotalBytes.
	MaxTotalBytes int64
	// MaxRatio is the most a member over 64 KiB may expand when inflated (inflated size divided
	// by stored size). Defaults to DefaultMaxRatio.
	MaxRatio int64
	// MaxMapBytes is the most bytes the map file may have; it is the one member read whole into
	// memory. Defaults to DefaultMaxMapBytes.
	MaxMapBytes int64
}

// The default limits, with their reasons.
const (
	// DefaultMaxMembers is 20,000: a zip of 20,000 photos of 25 KB is 500 MB, Destiny's own upload
	// limit, and a district larger than that sends a zip per school.
	DefaultMaxMembers = 20_000
	// DefaultMaxMemberBytes is 10 MiB, room for a photo straight from a camera; the schools'
	// systems advise 20 to 35 KB and Koha refuses files over 550,000 bytes.
	DefaultMaxMemberBytes = 10 << 20
	// DefaultMaxTotalBytes is 1 GiB, twice Destiny's 500 MB upload limit: JPEGs hardly compress, so
	// the inflated total is close to the zip's size.
	DefaultMaxTotalBytes = 1 << 30
	// DefaultMaxRatio is 100. JPEG and PNG files expand by a few percent at most and a text map by
	// ten times or so, while zip bombs expand by a thousand times.
	DefaultMaxRatio = 100
	// DefaultMaxMapBytes is 4 MiB, about 100,000 lines of id and file name.
	DefaultMaxMapBytes = 4 << 20
)

// ratioFloor is the size under which a member's compression ratio is not checked: a small member
// cannot do harm whatever it expands to, and a small text file may compress very well.
const ratioFloor = 64 << 10

// directoryBytesPerMember is how many bytes of the zip's directory Open reads per member allowed by
// MaxMembers before it gives up, plus directorySlack for finding the directory. A directory entry
// is 46 bytes plus its name and extra fields, typically under 150 bytes in all.
const (
	directoryBytesPerMember = 512
	directorySlack          = 128 << 10
)

// DefaultLimits returns the default limits.
func DefaultLimits() Limits {
	return Limits{
		MaxMembers:     DefaultMaxMembers,
		MaxMemberBytes: DefaultMaxMemberBytes,
		MaxTotalBytes:  DefaultMaxTotalBytes,
		MaxRatio:       DefaultMaxRatio,
		MaxMapBytes:    DefaultMaxMapBytes,
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxMembers <= 0 {
		l.MaxMembers = d.MaxMembers
	}
	if l.MaxMemberBytes <= 0 {
		l.MaxMemberBytes = d.MaxMemberBytes
	}
	if l.MaxTotalBytes <= 0 {
		l.MaxTotalBytes = d.MaxTotalBytes
	}
	if l.MaxRatio <= 0 {
		l.MaxRatio = d.MaxRatio
	}
	if l.MaxMapBytes <= 0 {
		l.MaxMapBytes = d.MaxMapBytes
	}
	return l
}

// Entry is one photo that can be imported.
type Entry struct {
	// Line is the map line that names the photo; 0 for MapFilenames.
	Line int
	// ID is the id as the map (or the file name, without its extension) writes it, spaces and
	// quotes trimmed. Compare ids with NormalizeID.
	ID string
	// File is the member's name in the zip, as OpenFile takes it. It can differ from the map's
	// spelling by the map's folder and by letter case.
	File string
}

// Problem is something in the zip that is not imported, and why.
type Problem struct {
	// Line is the map line the problem is on; 0 when it is about a file.
	Line int
	// File is the member's name in the zip, or the file name as the map line writes it.
	File string
	// Reason says what is wrong, in words for the person who made the zip.
	Reason string
}

// Archive is an opened photo zip: which photos can be imported for which ids, and what cannot.
// It reads from the io.ReaderAt given to Open, which must stay readable while the Archive is used.
// OpenFile may be called from several goroutines at once.
type Archive struct {
	// Format is the map format found. Open cannot tell a zip named by id from a zip that lost its
	// map, so the caller should show it before importing.
	Format MapFormat
	// MapFile is the map's name in the zip; empty for MapFilenames.
	MapFile string
	// Header is the map's header row, when it had one: a first row whose second field has no dot
	// and names no file.
	Header []string
	// Entries are the photos that can be imported: each has an id that is not blank and appears
	// once (as written: ids that NormalizeID makes equal are the caller's to find), and a file
	// that passed every check. They come in map order (zip order for MapFilenames).
	Entries []Entry
	// Problems are the lines and files that are not imported, files first in zip order, then
	// lines in map order. OS junk (__MACOSX/, .DS_Store, ._*, Thumbs.db, desktop.ini) and folders
	// are left out silently.
	Problems []Problem

	limits  Limits
	members map[string]*zip.File // the files of Entries, by name
}

// member is a file of the zip, other than a folder or OS junk.
type member struct {
	index int // position in the zip's directory, for ordering problems
	f     *zip.File
	skip  string // why the member is not imported; empty while it may be
	used  bool   // a map line or, for MapFilenames, the member itself gives it an id
	isMap bool   // the map file
}

// row is a map line, or for MapFilenames a file, that may become an Entry.
type row struct {
	line int
	id   string
	file string  // as the map writes it
	m    *member // the member it names; nil when it names none
}

// Open reads the zip's directory, finds its map file, parses it and checks the members it names.
// Open reads each photo it will offer once, to the end and without keeping it, so that a damaged
// or lying member is reported now rather than halfway through an import; a member over
// MaxMemberBytes or MaxRatio is not read at all.
//
// Open refuses the zip whole, with an error of kind Unprocessable, when it is not a zip, lists
// more than MaxMembers entries, holds more than one map, or its map cannot be read. Everything
// else that is wrong with a member or a line becomes a Problem and Open goes on. Any other error
// is a failure to read r.
func Open(r io.ReaderAt, size int64, limits Limits) (*Archive, error) {
	limits = limits.withDefaults()
	zr, err := readDirectory(r, size, limits)
	if err != nil {
		return nil, err
	}
	a := &Archive{limits: limits, members: make(map[string]*zip.File)}
	var rep report

	members := checkMembers(zr.File, limits, &rep)
	mapMember, format, err := findMap(members)
	if err != nil {
		return nil, err
	}

	var rows []row
	if mapMember != nil {
		rows, err = a.readMap(mapMember, members, &rep)
		if err != nil {
			return nil, err
		}
		if format == MapPowerSchool && !namesAny(rows) {
			// A lone text file that names none of the zip's files is a read-me, not a map.
			mapMember, format, rows, rep.lines, a.Header = nil, MapFilenames, nil, nil, nil
			for _, m := range members {
				m.used = false
			}
		}
	}
	if mapMember == nil {
		rows = filenameRows(members)
	} else {
		a.MapFile = mapMember.f.Name
		mapMember.isMap = true
	}
	a.Format = format

	rows = checkRows(rows, format, &rep)
	unused := "is not in the map"
	if format == MapFilenames {
		unused = "is not named as a photo (.jpg, .jpeg, .png or .gif)"
	}
	for _, m := range members {
		if !m.used && !m.isMap && m.skip == "" {
			m.skip = unused
			rep.file(m, m.skip)
		}
	}
	checkTotal(members, limits, &rep)
	for _, m := range members {
		if !m.used || m.isMap || m.skip != "" {
			continue
		}
		if err := a.verify(m.f); err != nil {
			var bad *badMember
			if !errors.As(err, &bad) {
				return nil, err
			}
			m.skip = bad.reason
			rep.file(m, m.skip)
		}
	}

	for _, rw := range rows {
		if rw.m.skip != "" {
			if format != MapFilenames { // a file named by id has its problem already
				rep.line(rw.line, rw.file, "its file "+rw.m.skip)
			}
			continue
		}
		a.Entries = append(a.Entries, Entry{Line: rw.line, ID: rw.id, File: rw.m.f.Name})
		a.members[rw.m.f.Name] = rw.m.f
	}
	a.Problems = rep.sorted()
	return a, nil
}

// OpenFile returns the bytes of the member name, one of Entries' files. Reading stops with an
// error of kind Unprocessable past MaxMemberBytes, whatever the member's header declares, or
// when the member turns out to be damaged. It returns an error of kind NotFound when name is not
// the file of an Entry.
func (a *Archive) OpenFile(name string) (io.ReadCloser, error) {
	f, ok := a.members[name]
	if !ok {
		return nil, rapport.Errorf(rapport.NotFound, "%s is not a photo of this zip that can be imported", name)
	}
	return a.openMember(f)
}

func (a *Archive) openMember(f *zip.File) (io.ReadCloser, error) {
	rc, err := f.Open()
	var se *sourceError
	switch {
	case errors.As(err, &se):
		return nil, fmt.Errorf("open %s: %w", f.Name, err)
	case errors.Is(err, zip.ErrAlgorithm):
		return nil, newBadMember(f, "uses a compression method this reader does not know (method %d)", f.Method)
	case err != nil:
		return nil, newBadMember(f, "cannot be read: %v", err)
	}
	return &memberReader{rc: rc, f: f, limit: a.limits.MaxMemberBytes}, nil
}

// verify reads the member f to its end and returns the error reading it met, if any.
func (a *Archive) verify(f *zip.File) error {
	rc, err := a.openMember(f)
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(io.Discard, rc)
	return err
}

// memberReader reads a member's bytes and stops past limit, so that a member whose header lies
// about its size cannot inflate without end. (archive/zip also stops past the declared size.)
type memberReader struct {
	rc    io.ReadCloser
	f     *zip.File
	limit int64
	read  int64
}

func (r *memberReader) Read(p []byte) (int, error) {
	if r.read > r.limit {
		return 0, r.tooLarge()
	}
	if room := r.limit - r.read + 1; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := r.rc.Read(p)
	r.read += int64(n)
	if r.read > r.limit {
		return n - int(r.read-r.limit), r.tooLarge()
	}
	if err != nil && err != io.EOF {
		return n, r.damaged(err)
	}
	return n, err
}

func (r *memberReader) Close() error {
	return r.rc.Close()
}

func (r *memberReader) tooLarge() error {
	return newBadMember(r.f, "inflates past the limit of %d bytes", r.limit)
}

// damaged turns an error met while inflating into one that says what it means. An error of the
// underlying reader stays what it is.
func (r *memberReader) damaged(err error) error {
	var se *sourceError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("read %s: %w", r.f.Name, err)
	case errors.Is(err, zip.ErrFormat):
		// While a member is read, archive/zip says ErrFormat only when it inflates past the size
		// its header declares.
		return newBadMember(r.f, "inflates past the %d bytes its header declares", r.f.UncompressedSize64)
	case errors.Is(err, zip.ErrChecksum):
		return newBadMember(r.f, "is damaged: its checksum does not match")
	default:
		return newBadMember(r.f, "is damaged: %v", err)
	}
}

// badMember is the error of a member that cannot be read. Its reason goes into a Problem; it
// unwraps to an *rapport.Error of kind Unprocessable for the callers of OpenFile.
type badMember struct {
	reason string
	err    *rapport.Error
}

func newBadMember(f *zip.File, format string, args ...any) error {
	reason := fmt.Sprintf(format, args...)
	return &badMember{reason: reason, err: rapport.Errorf(rapport.Unprocessable, "%s %s", f.Name, reason)}
}

func (e *badMember) Error() string { return e.err.Error() }
func (e *badMember) Unwrap() error { return e.err }

// readDirectory parses the zip's directory. archive/zip keeps every directory entry in memory,
// so the directory is read through a budget of bytes derived from MaxMembers: a zip that lists
// millions of tiny entries is refused before they are all held.
func readDirectory(r io.ReaderAt, size int64, limits Limits) (*zip.Reader, error) {
	src := &source{r: r, parsing: true, budget: directorySlack + int64(limits.MaxMembers)*directoryBytesPerMember}
	zr, err := zip.NewReader(src, size)
	src.parsing = false
	var se *sourceError
	switch {
	case errors.Is(err, errDirectoryBudget):
		return nil, rapport.Errorf(rapport.Unprocessable, "the zip lists more entries than the limit of %d", limits.MaxMembers)
	case errors.As(err, &se):
		return nil, fmt.Errorf("read zip: %w", err)
	case err != nil && !errors.Is(err, zip.ErrInsecurePath):
		// ErrInsecurePath comes with a usable reader; such names are checked one by one.
		return nil, rapport.Errorf(rapport.Unprocessable, "the file is not a zip archive, or is damaged (%v)", err)
	}
	if len(zr.File) > limits.MaxMembers {
		return nil, rapport.Errorf(rapport.Unprocessable, "the zip lists %d entries, more than the limit of %d", len(zr.File), limits.MaxMembers)
	}
	return zr, nil
}

var errDirectoryBudget = errors.New("photozip: the zip's directory is too large")

// source is the zip's bytes as archive/zip reads them. While the directory is parsed it refuses to
// read more than budget bytes. It marks the errors of the underlying reader, so that they are not
// taken for a damaged zip.
type source struct {
	r       io.ReaderAt
	parsing bool // true while zip.NewReader parses the directory, and never again
	budget  int64
}

func (s *source) ReadAt(p []byte, off int64) (int, error) {
	if s.parsing {
		s.budget -= int64(len(p))
		if s.budget < 0 {
			return 0, errDirectoryBudget
		}
	}
	n, err := s.r.ReadAt(p, off)
	if err != nil && err != io.EOF {
		err = &sourceError{err: err}
	}
	return n, err
}

type sourceError struct {
	err error
}

func (e *sourceError) Error() string { return e.err.Error() }
func (e *sourceError) Unwrap() error { return e.err }

// checkMembers returns the zip's files, folders and OS junk left out, each with the reason it is
// skipped if a check fails. Every skipped member is reported.
func checkMembers(files []*zip.File, limits Limits, rep *report) []*member {
	count := make(map[string]int, len(files))
	for _, f := range files {
		count[f.Name]++
	}
	var members []*member
	for i, f := range files {
		reason := unsafeName(f.Name)
		if reason == "" && (strings.HasSuffix(f.Name, "/") || f.Mode().IsDir() || isJunk(f.Name)) {
			continue
		}
		m := &member{index: i, f: f}
		switch {
		case reason != "":
			m.skip = reason
		case f.Mode()&fs.ModeSymlink != 0:
			m.skip = "is a symbolic link"
		case !f.Mode().IsRegular():
			m.skip = "is not a regular file"
		case count[f.Name] > 1:
			m.skip = "appears more than once in the zip"
		case f.UncompressedSize64 > uint64(limits.MaxMemberBytes):
			m.skip = fmt.Sprintf("declares %d bytes, over the limit of %d", f.UncompressedSize64, limits.MaxMemberBytes)
		case f.UncompressedSize64 > ratioFloor && f.UncompressedSize64/max(f.CompressedSize64, 1) > uint64(limits.MaxRatio):
			m.skip = fmt.Sprintf("expands %d times when inflated, over the limit of %d (a zip bomb?)",
				f.UncompressedSize64/max(f.CompressedSize64, 1), limits.MaxRatio)
		}
		if m.skip != "" {
			rep.file(m, m.skip)
		}
		members = append(members, m)
	}
	return members
}

// unsafeName says why name could escape the folder it is unpacked into, or is empty when it
// cannot. Nothing here unpacks to disk, but such a name is never a school's photo.
func unsafeName(name string) string {
	switch {
	case name == "":
		return "has an empty name"
	case strings.Contains(name, `\`):
		return `has a backslash in its name (a Windows path, or an escape)`
	case strings.HasPrefix(name, "/"):
		return "has an absolute name"
	case len(name) >= 2 && name[1] == ':':
		return "has a name that starts with a drive letter"
	case strings.IndexFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f }) >= 0:
		return "has a control character in its name"
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "has a name that climbs out of its folder (../)"
		}
	}
	return ""
}

// isJunk reports whether name is a file that an operating system adds when it makes a zip.
func isJunk(name string) bool {
	if strings.HasPrefix(name, "__MACOSX/") || strings.Contains(name, "/__MACOSX/") {
		return true
	}
	base := path.Base(name)
	return base == ".DS_Store" || strings.HasPrefix(base, "._") ||
		strings.EqualFold(base, "Thumbs.db") || strings.EqualFold(base, "desktop.ini")
}

// findMap returns the map member and its format, or nil and MapFilenames when the zip has no map.
// A map is at the root or inside one top folder. idlink.txt and datalink.txt are maps in any
// letter case; failing those, a lone .txt or .csv file is taken for one (and given up by Open if
// it names none of the zip's files). It returns an error of kind Unprocessable when the zip holds
// two maps, or two candidates and neither is called idlink.txt or datalink.txt, or when the map
// was skipped.
func findMap(members []*member) (*member, MapFormat, error) {
	var named, other []*member
	for _, m := range members {
		dir, base := path.Split(m.f.Name)
		if strings.Count(dir, "/") > 1 {
			continue
		}
		lower := strings.ToLower(base)
		switch {
		case lower == "idlink.txt" || lower == "datalink.txt":
			named = append(named, m)
		case strings.HasSuffix(lower, ".txt") || strings.HasSuffix(lower, ".csv"):
			other = append(other, m)
		}
	}
	var found *member
	format := MapPowerSchool
	switch {
	case len(named) > 1:
		return nil, "", rapport.Errorf(rapport.Unprocessable, "the zip holds more than one map file (%s); keep one", memberNames(named))
	case len(named) == 1:
		found = named[0]
		format = MapIDLink
		if strings.EqualFold(path.Base(found.f.Name), "datalink.txt") {
			format = MapDataLink
		}
	case len(other) > 1:
		return nil, "", rapport.Errorf(rapport.Unprocessable, "cannot tell which file is the map (%s); name it idlink.txt", memberNames(other))
	case len(other) == 1:
		found = other[0]
	default:
		return nil, MapFilenames, nil
	}
	if found.skip != "" {
		return nil, "", rapport.Errorf(rapport.Unprocessable, "the map file %s %s", found.f.Name, found.skip)
	}
	return found, format, nil
}

func memberNames(ms []*member) string {
	names := make([]string, len(ms))
	for i, m := range ms {
		names[i] = m.f.Name
	}
	return strings.Join(names, ", ")
}

// readMap reads and parses the map m and links each line to the member it names: the file name
// is taken from the map's folder, exactly or else in another letter case when only one member
// matches so.
func (a *Archive) readMap(m *member, members []*member, rep *report) ([]row, error) {
	if m.f.UncompressedSize64 > uint64(a.limits.MaxMapBytes) {
		return nil, rapport.Errorf(rapport.Unprocessable, "the map file %s has %d bytes, over the limit of %d", m.f.Name, m.f.UncompressedSize64, a.limits.MaxMapBytes)
	}
	rc, err := a.openMember(m.f)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(&io.LimitedReader{R: rc, N: a.limits.MaxMapBytes + 1})
	if err != nil {
		if rapport.ErrorKind(err) == rapport.Unprocessable {
			return nil, rapport.Errorf(rapport.Unprocessable, "the map file cannot be read: %v", err)
		}
		return nil, err
	}
	if int64(len(data)) > a.limits.MaxMapBytes {
		return nil, rapport.Errorf(rapport.Unprocessable, "the map file %s is over the limit of %d bytes", m.f.Name, a.limits.MaxMapBytes)
	}

	exact := make(map[string]*member, len(members))
	folded := make(map[string][]*member, len(members))
	for _, mm := range members {
		if mm == m {
			continue
		}
		exact[mm.f.Name] = mm
		lower := strings.ToLower(mm.f.Name)
		folded[lower] = append(folded[lower], mm)
	}
	dir := path.Dir(m.f.Name) + "/"
	if dir == "./" {
		dir = ""
	}
	lookup := func(file string) *member {
		if mm, ok := exact[dir+file]; ok {
			return mm
		}
		if ms := folded[strings.ToLower(dir+file)]; len(ms) == 1 {
			return ms[0]
		}
		return nil
	}

	lines, header, err := parseMap(data, func(file string) bool { return lookup(file) != nil })
	if err != nil {
		return nil, err
	}
	a.Header = header
	rows := make([]row, 0, len(lines))
	for _, l := range lines {
		if l.problem != "" {
			rep.line(l.line, l.file, l.problem)
			if mm := lookup(l.file); l.file != "" && mm != nil {
				mm.used = true // its line is reported; the file is not also "not in the map"
			}
			continue
		}
		rows = append(rows, row{line: l.line, id: l.id, file: l.file, m: lookup(l.file)})
	}
	return rows, nil
}

// namesAny reports whether any row names a member.
func namesAny(rows []row) bool {
	for _, r := range rows {
		if r.m != nil {
			return true
		}
	}
	return false
}

// filenameRows makes a row of each member that is not skipped, its id the file name without the
// extension. A member whose name does not end in a photo extension is skipped.
func filenameRows(members []*member) []row {
	var rows []row
	for _, m := range members {
		if m.skip != "" {
			continue
		}
		base := path.Base(m.f.Name)
		ext := path.Ext(base)
		switch strings.ToLower(ext) {
		case ".jpg", ".jpeg", ".png", ".gif":
			rows = append(rows, row{id: strings.TrimSpace(strings.TrimSuffix(base, ext)), file: m.f.Name, m: m})
		}
		// Other members stay unused, and Open reports them as not named as photos.
	}
	return rows
}

// checkRows drops the rows that cannot become entries, reporting why: a blank id, an id that
// is not UTF-8 text, an id on more than one row, or a file that is not in the zip. It marks the
// members the remaining rows name as used.
func checkRows(rows []row, format MapFormat, rep *report) []row {
	where := func(r row) string {
		if format == MapFilenames {
			return r.file
		}
		return fmt.Sprintf("line %d", r.line)
	}
	seen := make(map[string][]row)
	for _, r := range rows {
		seen[r.id] = append(seen[r.id], r)
	}
	var kept []row
	for _, r := range rows {
		problem := ""
		switch {
		case r.id == "":
			problem = "the id is blank"
		case !utf8.ValidString(r.id):
			problem = "the id is not UTF-8 text"
		case r.m == nil:
			problem = "the file is not in the zip"
		case len(seen[r.id]) > 1:
			var others []string
			for _, o := range seen[r.id] {
				if o != r {
					others = append(others, where(o))
				}
			}
			problem = fmt.Sprintf("the id %s is also on %s", r.id, strings.Join(others, ", "))
			if format == MapFilenames {
				problem = fmt.Sprintf("the id %s is also the name of %s", r.id, strings.Join(others, ", "))
			}
		}
		if r.m != nil {
			r.m.used = true // named by the map, so not "not in the map" even when the line is dropped
		}
		if problem == "" {
			kept = append(kept, r)
			continue
		}
		if format == MapFilenames {
			r.m.skip = problem
			rep.file(r.m, problem)
		} else {
			rep.line(r.line, r.file, problem)
		}
	}
	return kept
}

// checkTotal skips, in zip order, the used members that would bring the photos past
// MaxTotalBytes.
func checkTotal(members []*member, limits Limits, rep *report) {
	var total uint64
	for _, m := range members {
		if !m.used || m.isMap || m.skip != "" {
			continue
		}
		if total+m.f.UncompressedSize64 > uint64(limits.MaxTotalBytes) {
			m.skip = fmt.Sprintf("would bring the photos past the limit of %d bytes in all", limits.MaxTotalBytes)
			rep.file(m, m.skip)
			continue
		}
		total += m.f.UncompressedSize64
	}
}

// report collects problems and puts them in order: files in zip order, then lines in map order.
type report struct {
	files []fileProblem
	lines []Problem
}

type fileProblem struct {
	index int
	p     Problem
}

func (r *report) file(m *member, reason string) {
	r.files = append(r.files, fileProblem{index: m.index, p: Problem{File: m.f.Name, Reason: reason}})
}

func (r *report) line(line int, file, reason string) {
	r.lines = append(r.lines, Problem{Line: line, File: file, Reason: reason})
}

func (r *report) sorted() []Problem {
	sort.SliceStable(r.files, func(i, j int) bool { return r.files[i].index < r.files[j].index })
	sort.SliceStable(r.lines, func(i, j int) bool { return r.lines[i].Line < r.lines[j].Line })
	var ps []Problem
	for _, f := range r.files {
		ps = append(ps, f.p)
	}
	return append(ps, r.lines...)
}
