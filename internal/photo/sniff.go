package photo

import (
	"bytes"
	"unicode/utf8"

	"github.com/rapportlib/rapport/internal/rapport"
)

// Format is the media type of an image the pipeline accepts.
type Format string

// The formats Process accepts.
const (
	JPEG Format = "image/jpeg"
	PNG  Format = "image/png"
)

// The signatures the formats start with.
const (
	jpegSignature = "\xff\xd8\xff"
	pngSignature  = "\x89PNG\r\n\x1a\n"
)

// Sniff says which accepted format the bytes are, from their first bytes alone: a declared
// type (a Content-Type header, a file name) is never trusted. It reports false for anything
// but JPEG or PNG.
func Sniff(head []byte) (Format, bool) {
	switch {
	case bytes.HasPrefix(head, []byte(jpegSignature)):
		return JPEG, true
	case bytes.HasPrefix(head, []byte(pngSignature)):
		return PNG, true
	}
	return "", false
}

// unsupported returns the error of kind UnsupportedMedia for bytes that are neither JPEG nor
// PNG, naming what they look like when that is easy to tell.
func unsupported(head []byte) error {
	if len(head) == 0 {
		return rapport.Errorf(rapport.UnsupportedMedia, "the file is empty; a JPEG or PNG image is needed")
	}
	if kind := lookalike(head); kind != "" {
		return rapport.Errorf(rapport.UnsupportedMedia, "the file looks like %s, but a JPEG or PNG image is needed", kind)
	}
	return rapport.Errorf(rapport.UnsupportedMedia, "the file is not a JPEG or PNG image; a JPEG or PNG image is needed")
}

// lookalike names the kind of file head starts like, for the formats people send by mistake,
// or returns "" when it cannot tell.
func lookalike(head []byte) string {
	switch {
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return "a GIF image"
	case len(head) >= 12 && string(head[0:4]) == "RIFF" && string(head[8:12]) == "WEBP":
		return "a WebP image"
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return "a PDF document"
	case bytes.HasPrefix(head, []byte("II*\x00")), bytes.HasPrefix(head, []byte("MM\x00*")):
		return "a TIFF image"
	case len(head) >= 10 && string(head[0:2]) == "BM" && string(head[6:10]) == "\x00\x00\x00\x00":
		return "a BMP image"
	}
	// ISO base media files (HEIC, AVIF) start with a box whose type is "ftyp", followed by
	// the major brand.
	if len(head) >= 12 && string(head[4:8]) == "ftyp" {
		switch string(head[8:12]) {
		case "heic", "heix", "heim", "heis", "hevc", "hevx", "hevm", "hevs", "mif1", "msf1":
			return "a HEIC image"
		case "avif", "avis":
			return "an AVIF image"
		}
	}
	if looksLikeText(head) {
		if bytes.Contains(head, []byte("<svg")) {
			return "an SVG image"
		}
		return "text"
	}
	return ""
}

// looksLikeText reports whether head is not empty and its first 512 bytes are UTF-8 without
// control characters other than white space. A character cut off at the end of head does not count
// against it.
func looksLikeText(head []byte) bool {
	if len(head) == 0 {
		return false
	}
	if len(head) > 512 {
		head = head[:512]
	}
	for len(head) > 0 {
		r, size := utf8.DecodeRune(head)
		if r == utf8.RuneError && size <= 1 {
			return !utf8.FullRune(head) // a character cut off by the 512-byte window
		}
		if r < 0x20 && r != '\t' && r != '\n' && r != '\r' && r != '\f' || r == 0x7f {
			return false
		}
		head = head[size:]
	}
	return true
}
