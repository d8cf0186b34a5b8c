package photo

import (
	"image"
	"math"
)

// Size names one variant of a photo: a square of 48 to 512 pixels, or the portrait crop
// printed on ID cards.
type Size string

// The variants rendered of every photo.
const (
	Size48     Size = "48"
	Size96     Size = "96"
	Size128    Size = "128"
	Size256    Size = "256"
	Size512    Size = "512"
	SizeIDCard Size = "id_card"
)

// Sizes lists every variant, smallest square first, in the order Processed.Variants and
// Render return them. Treat it as a constant.
var Sizes = []Size{Size48, Size96, Size128, Size256, Size512, SizeIDCard}

// The ID card variant is a 2:3 portrait of 175×263 pixels.
const (
	idCardWidth  = 175
	idCardHeight = 263
)

// Dimensions returns the width and height of the variant in pixels, or zeros for a Size that
// is not one of Sizes.
func (s Size) Dimensions() (width, height int) {
	switch s {
	case Size48:
		return 48, 48
	case Size96:
		return 96, 96
	case Size128:
		return 128, 128
	case Size256:
		return 256, 256
	case Size512:
		return 512, 512
	case SizeIDCard:
		return idCardWidth, idCardHeight
	}
	return 0, 0
}

// ParseSize returns the Size named s, and false when s names none of Sizes.
func ParseSize(s string) (Size, bool) {
	for _, size := range Sizes {
		if string(size) == s {
			return size, true
		}
	}
	return "", false
}

// FocalPoint is where the crops of a photo are centred, as fractions (0 to 1) of the upright
// image's width and height, from its top left corner.
type FocalPoint struct {
	X, Y float64
}

// Centre is the focal point of a photo nobody placed one on: the middle. Treat it as a
// constant.
var Centre = FocalPoint{X: 0.5, Y: 0.5}

// Valid reports whether the point lies within the image: X and Y from 0 to 1 (NaN is not).
func (f FocalPoint) Valid() bool {
	return f.X >= 0 && f.X <= 1 && f.Y >= 0 && f.Y <= 1
}

// cropAround returns the largest rectangle of the aspect ratio aspectW:aspectH that fits in a
// width×height image, centred as near the focal point as the image allows: where the point
// is near an edge, the rectangle is moved back inside rather than cut off. The rectangle is at
// least one pixel each way.
func cropAround(width, height, aspectW, aspectH int, focal FocalPoint) image.Rectangle {
	// As wide as the image, unless that makes it taller than the image.
	cw, ch := width, divRound(width*aspectH, aspectW)
	if ch > height {
		cw, ch = divRound(height*aspectW, aspectH), height
	}
	cw = min(max(cw, 1), width)
	ch = min(max(ch, 1), height)

	// The centre is rounded to a whole pixel straight after its one multiplication, which no
	// machine can fuse with another operation (an FMA) and round differently: the crop, and
	// so the bytes, must be the same everywhere.
	centreX := int(math.Round(focal.X * float64(width)))
	centreY := int(math.Round(focal.Y * float64(height)))
	x0 := min(max(centreX-cw/2, 0), width-cw)
	y0 := min(max(centreY-ch/2, 0), height-ch)
	return image.Rect(x0, y0, x0+cw, y0+ch)
}

// divRound returns a/b rounded to the nearest integer, for a ≥ 0 and b > 0.
func divRound(a, b int) int {
	return (2*a + b) / (2 * b)
}
