package photo

import (
	"testing"
)

func TestSniff(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name      string
		head      string
		format    Format
		ok        bool
		lookalike string
	}{
		{"JPEG", "\xff\xd8\xff\xe0\x00\x10JFIF", JPEG, true, ""},
		{"PNG", "\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", PNG, true, ""},
		{"PNG signature cut short", "\x89PNG\r\n", "", false, ""},
		{"GIF87a", "GIF87a\x01\x00", "", false, "a GIF image"},
		{"GIF89a", "GIF89a\x01\x00", "", false, "a GIF image"},
		{"WebP", "RIFF\x10\x00\x00\x00WEBPVP8L", "", false, "a WebP image"},
		{"WAV", "RIFF\x10\x00\x00\x00WAVEfmt ", "", false, ""},
		{"HEIC", "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "", false, "a HEIC image"},
		{"HEIF", "\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00", "", false, "a HEIC image"},
		{"AVIF", "\x00\x00\x00\x1cftypavif\x00\x00\x00\x00", "", false, "an AVIF image"},
		{"MP4", "\x00\x00\x00\x18ftypisom\x00\x00\x02\x00", "", false, ""},
		{"PDF", "%PDF-1.4\n", "", false, "a PDF document"},
		{"TIFF", "II*\x00\x08\x00\x00\x00", "", false, "a TIFF image"},
		{"BMP", "BM\x36\x00\x0c\x00\x00\x00\x00\x00\x36\x00", "", false, "a BMP image"},
		{"SVG", "<?xml version=\"1.0\"?>\n<svg xmlns=\"http://www.w3.org/2000/svg\">", "", false, "an SVG image"},
		{"text", "Name,Grade\nAda,5\n", "", false, "text"},
		{"UTF-8 text", "Zoë Ñúñez — 5ᵗʰ grade", "", false, "text"},
		{"text cut in a character", "Zo\xc3", "", false, "text"},
		{"binary", "\x00\x01\x02\x03", "", false, ""},
		{"invalid UTF-8", "ab\xff\xfecd", "", false, ""},
		{"empty", "", "", false, ""},
	} {
		format, ok := Sniff([]byte(tt.head))
		if format != tt.format || ok != tt.ok {
			t.Errorf("Sniff(%s) = %q, %v, want %q, %v", tt.name, format, ok, tt.format, tt.ok)
		}
		if !ok {
			if got := lookalike([]byte(tt.head)); got != tt.lookalike {
				t.Errorf("lookalike(%s) = %q, want %q", tt.name, got, tt.lookalike)
			}
		}
	}
}
