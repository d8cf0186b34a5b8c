package main

import (
	"archive/zip"
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rapportlib/rapport/internal/dbtest"
)

// TestImportPhotosCommand: `rapport import photos` imports a photographer's zip into the seeded
// district, reports what became of each file, and writes nothing on a dry run.
func TestImportPhotosCommand(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	vars := env(map[string]string{"DATABASE_URL": dbtest.NewDatabase(t)})
	if err := run(ctx, []string{"seed"}, vars, io.Discard, io.Discard); err != nil {
		t.Fatalf("seed: %v", err)
	}
	img := image.NewRGBA(image.Rect(0, 0, 120, 150))
	for i := range img.Pix {
		img.Pix[i] = uint8(i * 7)
	}
	img.Set(0, 0, color.Black)
	var picture bytes.Buffer
	if err := jpeg.Encode(&picture, img, nil); err != nil {
		t.Fatal(err)
	}
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	for name, data := range map[string][]byte{
		"idlink.txt": []byte("L1001,zoe.jpg\rL9999,nobody.jpg\r"),
		"zoe.jpg":    picture.Bytes(),
		"nobody.jpg": picture.Bytes(),
	} {
		w, _ := zw.Create(name)
		w.Write(data)
	}
	zw.Close()
	path := filepath.Join(t.TempDir(), "lifetouch.zip")
	if err := os.WriteFile(path, zipped.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}

	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"import", "photos", "--district", "demo-usd", "--dry-run", path},
			[]string{"dry run (nothing written)", "imported   1", "no_patron  1", "nobody.jpg (map line 2): no_patron"}},
		{[]string{"import", "photos", "--district", "demo-usd", "--captured-on", "2026-09-20", path},
			[]string{"map idlink, matched by barcode", "imported   1"}},
		{[]string{"import", "photos", "--district", "demo-usd", "--captured-on", "2026-09-20", path},
			[]string{"unchanged  1"}}, // the same zip again
	} {
		var out bytes.Buffer
		if err := run(ctx, tt.args, vars, &out, io.Discard); err != nil {
			t.Fatalf("%v: %v", tt.args, err)
		}
		for _, want := range tt.want {
			if !strings.Contains(out.String(), want) {
				t.Errorf("%v printed:\n%s\nwant it to say %q", tt.args, out.String(), want)
			}
		}
	}
	if err := run(ctx, []string{"import", "photos", "--district", "demo-usd", "--source", "instagram", path}, vars, io.Discard, io.Discard); err == nil {
		t.Error("an unknown source was taken")
	}
}
