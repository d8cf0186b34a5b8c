package photozip

import (
	"archive/zip"
	"io"
	"strings"
	"testing"

	"github.com/rapportlib/rapport/internal/rapport"
)

// TestMemberReaderStopsAtLimit checks the reader's own bound, which archive/zip's check against the
// declared size makes hard to reach through a zip: a member that keeps inflating past the limit is
// cut off with an error, and no byte past the limit is returned.
func TestMemberReaderStopsAtLimit(t *testing.T) {
	t.Parallel()
	endless := io.NopCloser(strings.NewReader(strings.Repeat("x", 1000)))
	r := &memberReader{rc: endless, f: &zip.File{FileHeader: zip.FileHeader{Name: "liar.jpg", UncompressedSize64: 10}}, limit: 100}
	got, err := io.ReadAll(r)
	if rapport.ErrorKind(err) != rapport.Unprocessable || len(got) != 100 {
		t.Errorf("ReadAll(memberReader) = %d bytes, %v; want 100 bytes and an error of kind %s", len(got), err, rapport.Unprocessable)
	}
	if n, err := r.Read(make([]byte, 10)); n != 0 || err == nil {
		t.Errorf("Read after the limit = %d, %v; want 0 and an error", n, err)
	}
}
