package photo

import (
	"image"
)

// upright returns m turned as o says, so that it shows upright: m itself for orientNormal, and
// otherwise a new 4:2:0 image, with the width and height swapped for the orientations that
// turn it on its side. m must be 4:2:0 and start at (0, 0).
//
// With an odd width or height, a mirrored chroma plane lands half a chroma sample (one pixel)
// off where an exact mirror would put it; nobody can see that.
func upright(m *image.YCbCr, o orientation) *image.YCbCr {
	if o == orientNormal {
		return m
	}
	w, h := m.Rect.Dx(), m.Rect.Dy()
	if o.swapsAxes() {
		w, h = h, w
	}
	out := image.NewYCbCr(image.Rect(0, 0, w, h), image.YCbCrSubsampleRatio420)
	srcY, srcCb, srcCr := planes(m)
	dstY, dstCb, dstCr := planes(out)
	turn(dstY, srcY, o)
	turn(dstCb, srcCb, o)
	turn(dstCr, srcCr, o)
	return out
}

// turn fills dst with src turned as o says. dst must be src's size, or its transpose for
// the orientations that swap the axes.
func turn(dst, src plane, o orientation) {
	// Each destination sample (x, y) comes from the source sample at offset
	// origin + x*stepX + y*stepY: origin is the source sample that lands in the top left
	// corner, and the steps say which way the source is walked for each step right and down.
	right, down := 1, src.stride // one sample right, one sample down in the source
	at := func(x, y int) int { return y*src.stride + x }
	w, h := src.width, src.height
	var origin, stepX, stepY int
	switch o {
	case orientFlipH:
		origin, stepX, stepY = at(w-1, 0), -right, down
	case orientRotate180:
		origin, stepX, stepY = at(w-1, h-1), -right, -down
	case orientFlipV:
		origin, stepX, stepY = at(0, h-1), right, -down
	case orientTranspose:
		origin, stepX, stepY = at(0, 0), down, right
	case orientRotate90:
		origin, stepX, stepY = at(0, h-1), -down, right
	case orientTransverse:
		origin, stepX, stepY = at(w-1, h-1), -down, -right
	case orientRotate270:
		origin, stepX, stepY = at(w-1, 0), down, -right
	default:
		origin, stepX, stepY = at(0, 0), right, down
	}

	for y := 0; y < dst.height; y++ {
		s := origin + y*stepY
		row := dst.pix[y*dst.stride : y*dst.stride+dst.width]
		for x := range row {
			row[x] = src.pix[s]
			s += stepX
		}
	}
}
