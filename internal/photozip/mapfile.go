package photozip

import (
	"bytes"
	"encoding/binary"
	"encoding/csv"
	"fmt"
	"strings"
	"unicode/utf16"

	"github.com/rapportlib/rapport/internal/rapport"
)

// mapLine is one line of a map file: an id and a file name, or the problem that keeps it from
// being one.
type mapLine struct {
	line    int
	id      string
	file    string
	problem string
}

// parseMap parses the text of a map file: one "id,file name" per line. It takes what the schools'
// tools write:
//
//   - UTF-8 with or without a byte order mark, and UTF-16 with one (Excel's "Unicode Text");
//   - lines ended by CR LF, LF, or a bare CR (Lifetouch);
//   - a comma or a tab between the fields, whichever the first line that is not blank has (a tab
//     if it has one); the whole file uses that one;
//   - fields in double quotes or not, with spaces around them;
//   - empty fields after the second (a spreadsheet's empty columns);
//   - blank lines anywhere;
//   - a header row or none. The first row is a header when its second field has no dot and names
//     no file (isFile): "cardnumber,filename" and "Student_Number<TAB>File Name" are headers,
//     "639465,00002.jpg" is not.
//
// Each line is parsed on its own, so that a stray quote spoils one line and not the rest of the
// file. It returns an error of kind Unprocessable when the text cannot be decoded, or when the
// header names more than two columns: such a map (PowerSchool's mapping by student name, say)
// links photos by something other than an id.
func parseMap(data []byte, isFile func(name string) bool) (lines []mapLine, header []string, err error) {
	text, err := decodeText(data)
	if err != nil {
		return nil, nil, err
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	text = strings.ReplaceAll(text, "\r", "\n")

	comma := ','
	first := true
	for i, raw := range strings.Split(text, "\n") {
		if strings.TrimSpace(raw) == "" {
			continue
		}
		if first && strings.Contains(raw, "\t") {
			comma = '\t'
		}
		number := i + 1
		fields, err := parseFields(raw, comma)
		if err != nil {
			lines = append(lines, mapLine{line: number, problem: fmt.Sprintf("the line cannot be read: %v", err)})
			first = false
			continue
		}
		if len(fields) == 0 { // only delimiters: a spreadsheet's empty row
			continue
		}
		if first && len(fields) >= 2 && !strings.Contains(fields[1], ".") && !isFile(fields[1]) {
			if len(fields) > 2 {
				return nil, nil, rapport.Errorf(rapport.Unprocessable,
					"the map's header names %d columns (%s); only maps of an id and a file name can be read",
					len(fields), strings.Join(fields, ", "))
			}
			header = fields
			first = false
			continue
		}
		first = false

		l := mapLine{line: number, id: fields[0]}
		switch {
		case len(fields) == 1:
			l.problem = "the line has no file name"
		case len(fields) > 2:
			l.file = fields[1]
			l.problem = fmt.Sprintf("the line has %d fields; want 2, an id and a file name", len(fields))
		default:
			l.file = fields[1]
			if l.file == "" {
				l.problem = "the file name is blank"
			}
		}
		lines = append(lines, l)
	}
	return lines, header, nil
}

// parseFields splits one line into its fields, trimmed of spaces and of the double quotes that a
// space before the opening quote leaves in place. Empty fields at the end are dropped.
func parseFields(line string, comma rune) ([]string, error) {
	r := csv.NewReader(strings.NewReader(line))
	r.Comma = comma
	r.LazyQuotes = true
	r.FieldsPerRecord = -1
	fields, err := r.Read()
	if err != nil {
		return nil, err
	}
	for i, f := range fields {
		f = strings.TrimSpace(f)
		if len(f) >= 2 && f[0] == '"' && f[len(f)-1] == '"' {
			f = strings.TrimSpace(f[1 : len(f)-1])
		}
		fields[i] = f
	}
	for len(fields) > 0 && fields[len(fields)-1] == "" {
		fields = fields[:len(fields)-1]
	}
	return fields, nil
}

// decodeText returns data as a string, without its byte order mark, decoding UTF-16 when the mark
// says so. Text without a mark is taken as UTF-8; ids that are not are reported line by line.
func decodeText(data []byte) (string, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return string(data[3:]), nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return decodeUTF16(data[2:], binary.LittleEndian)
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return decodeUTF16(data[2:], binary.BigEndian)
	}
	return string(data), nil
}

func decodeUTF16(data []byte, order binary.ByteOrder) (string, error) {
	if len(data)%2 != 0 {
		return "", rapport.Errorf(rapport.Unprocessable, "the map file says it is UTF-16 text but has an odd number of bytes")
	}
	units := make([]uint16, len(data)/2)
	for i := range units {
		units[i] = order.Uint16(data[2*i:])
	}
	return string(utf16.Decode(units)), nil
}
