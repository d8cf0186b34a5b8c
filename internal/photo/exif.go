package photo

import (
	"bytes"
	"encoding/binary"
)

// orientation is the EXIF Orientation of a stored image (tag 0x0112): how its rows and columns
// must be turned to show it upright. Cameras and phones store the sensor's pixels as they came
// and record the turn here, so a photo taken with the phone held upright is often stored
// lying on its side.
type orientation int

// The eight orientations, by what must be done to the stored image to show it upright.
const (
	orientNormal     orientation = 1 // as stored
	orientFlipH      orientation = 2 // mirror left to right
	orientRotate180  orientation = 3
	orientFlipV      orientation = 4 // mirror top to bottom
	orientTranspose  orientation = 5 // mirror along the top-left to bottom-right diagonal
	orientRotate90   orientation = 6 // turn a quarter clockwise
	orientTransverse orientation = 7 // mirror along the top-right to bottom-left diagonal
	orientRotate270  orientation = 8 // turn a quarter anticlockwise
)

// swapsAxes reports whether the upright image is the stored one turned on its side, its width
// the stored height.
func (o orientation) swapsAxes() bool {
	return o >= orientTranspose
}

// jpegOrientation returns the orientation recorded in the first APP1 "Exif" segment of a JPEG
// file, or orientNormal when there is none or it cannot be read. It reads only the segments
// before the image data.
func jpegOrientation(data []byte) orientation {
	if len(data) < 2 || data[0] != 0xff || data[1] != 0xd8 {
		return orientNormal
	}
	i := 2
	for i+4 <= len(data) {
		if data[i] != 0xff {
			return orientNormal // not a marker: the segments are malformed
		}
		marker := data[i+1]
		switch {
		case marker == 0xff: // fill byte before a marker
			i++
			continue
		case marker == 0x01 || marker >= 0xd0 && marker <= 0xd8: // markers without a length
			i += 2
			continue
		case marker == 0xda || marker == 0xd9: // start of scan, end of image: EXIF comes before
			return orientNormal
		}
		length := int(binary.BigEndian.Uint16(data[i+2 : i+4])) // counts its own two bytes
		if length < 2 || i+2+length > len(data) {
			return orientNormal
		}
		payload := data[i+4 : i+2+length]
		if marker == 0xe1 && len(payload) >= 6 && string(payload[:6]) == "Exif\x00\x00" {
			return tiffOrientation(payload[6:])
		}
		i += 2 + length
	}
	return orientNormal
}

// pngOrientation returns the orientation recorded in the eXIf chunk of a PNG file, or
// orientNormal when there is none or it cannot be read. Chunk CRCs are not checked.
func pngOrientation(data []byte) orientation {
	if len(data) < len(pngSignature) || string(data[:len(pngSignature)]) != pngSignature {
		return orientNormal
	}
	i := len(pngSignature)
	for i+8 <= len(data) {
		length := int64(binary.BigEndian.Uint32(data[i : i+4]))
		kind := string(data[i+4 : i+8])
		end := int64(i) + 8 + length
		if end > int64(len(data)) {
			return orientNormal
		}
		switch kind {
		case "eXIf":
			// Some writers keep the "Exif\0\0" that prefixes EXIF in a JPEG.
			exif := bytes.TrimPrefix(data[i+8:end], []byte("Exif\x00\x00"))
			return tiffOrientation(exif)
		case "IEND":
			return orientNormal
		}
		i = int(end) + 4 // the CRC
	}
	return orientNormal
}

// tiffOrientation reads the Orientation tag from IFD0 of EXIF data (a TIFF header and its
// directories, in either byte order). It returns orientNormal for anything malformed: a photo
// with broken metadata is shown as stored rather than refused.
func tiffOrientation(tiff []byte) orientation {
	if len(tiff) < 8 {
		return orientNormal
	}
	var order binary.ByteOrder
	switch string(tiff[:2]) {
	case "II":
		order = binary.LittleEndian
	case "MM":
		order = binary.BigEndian
	default:
		return orientNormal
	}
	if order.Uint16(tiff[2:4]) != 42 {
		return orientNormal
	}
	ifd := int64(order.Uint32(tiff[4:8]))
	if ifd < 8 || ifd+2 > int64(len(tiff)) {
		return orientNormal
	}
	count := int64(order.Uint16(tiff[ifd : ifd+2]))
	const (
		entrySize   = 12
		tagOrient   = 0x0112
		typeShort   = 3
		valueOffset = 8 // a value of four bytes or fewer is stored in the entry itself
	)
	for n := int64(0); n < count; n++ {
		entry := ifd + 2 + n*entrySize
		if entry+entrySize > int64(len(tiff)) {
			return orientNormal
		}
		e := tiff[entry : entry+entrySize]
		if order.Uint16(e[0:2]) != tagOrient {
			continue
		}
		if order.Uint16(e[2:4]) != typeShort || order.Uint32(e[4:8]) < 1 {
			return orientNormal
		}
		o := orientation(order.Uint16(e[valueOffset : valueOffset+2]))
		if o < orientNormal || o > orientRotate270 {
			return orientNormal
		}
		return o
	}
	return orientNormal
}
