package photo

import (
	"image"
	"image/color"
)

// The pipeline works on YCbCr images, the form JPEG stores: a decoded JPEG is used as it
// comes, without converting it to RGB and back, and each plane (luma Y, chroma Cb and Cr) is
// resampled on its own. Resampling is linear, so resampling the planes gives what resampling
// the RGB image would.
//
// The resampler is written here rather than taken from golang.org/x/image/draw: its kernel
// scaler keeps a float64 RGBA buffer of destination width × source height (82 MB to shrink a
// 4000×3000 photo to 853×640), and it takes 30 to 60 ms to render the variants of one school
// photo. This one works on 8-bit planes with integer weights: a few milliseconds, a few
// megabytes, and the same bytes on every machine (no floating point, so no FMA to round
// differently on arm64).

// plane is one channel of a YCbCr image: width×height 8-bit samples, row after row.
type plane struct {
	pix           []byte
	stride        int
	width, height int
}

// planes returns the three planes of m, which must start at (0, 0) and have a subsampling
// ratio that chromaFactors knows.
func planes(m *image.YCbCr) (y, cb, cr plane) {
	w, h := m.Rect.Dx(), m.Rect.Dy()
	fx, fy, _ := chromaFactors(m.SubsampleRatio)
	cw, ch := (w+fx-1)/fx, (h+fy-1)/fy
	y = plane{pix: m.Y, stride: m.YStride, width: w, height: h}
	cb = plane{pix: m.Cb, stride: m.CStride, width: cw, height: ch}
	cr = plane{pix: m.Cr, stride: m.CStride, width: cw, height: ch}
	return y, cb, cr
}

// chromaFactors returns how many pixels across and down share one chroma sample in a YCbCr
// image of the ratio, and false for a ratio it does not know.
func chromaFactors(r image.YCbCrSubsampleRatio) (across, down int, ok bool) {
	switch r {
	case image.YCbCrSubsampleRatio444:
		return 1, 1, true
	case image.YCbCrSubsampleRatio422:
		return 2, 1, true
	case image.YCbCrSubsampleRatio420:
		return 2, 2, true
	case image.YCbCrSubsampleRatio440:
		return 1, 2, true
	case image.YCbCrSubsampleRatio411:
		return 4, 1, true
	case image.YCbCrSubsampleRatio410:
		return 4, 2, true
	}
	return 0, 0, false
}

// asYCbCr returns m as a YCbCr image starting at (0, 0): a decoded JPEG as it is, anything
// else (PNG, grey or CMYK JPEG) converted at full chroma resolution, composited over white
// where it is not opaque.
func asYCbCr(m image.Image) *image.YCbCr {
	if src, ok := m.(*image.YCbCr); ok && src.Rect.Min == (image.Point{}) {
		if _, _, known := chromaFactors(src.SubsampleRatio); known {
			return src
		}
	}
	b := m.Bounds()
	out := image.NewYCbCr(image.Rect(0, 0, b.Dx(), b.Dy()), image.YCbCrSubsampleRatio444)
	// Every image type of the standard library implements RGBA64Image, which reads a pixel
	// without allocating; At is the slow way for any other.
	fast, _ := m.(image.RGBA64Image)
	for y := 0; y < b.Dy(); y++ {
		for x := 0; x < b.Dx(); x++ {
			var r, g, bl, a uint32
			if fast != nil {
				c := fast.RGBA64At(b.Min.X+x, b.Min.Y+y)
				r, g, bl, a = uint32(c.R), uint32(c.G), uint32(c.B), uint32(c.A)
			} else {
				r, g, bl, a = m.At(b.Min.X+x, b.Min.Y+y).RGBA()
			}
			// The colours are premultiplied by alpha: over white, what shows through
			// the transparent part is white, 0xffff-a of each channel.
			r, g, bl = r+0xffff-a, g+0xffff-a, bl+0xffff-a
			yy, cb, cr := color.RGBToYCbCr(uint8(r>>8), uint8(g>>8), uint8(bl>>8))
			out.Y[y*out.YStride+x] = yy
			out.Cb[y*out.CStride+x] = cb
			out.Cr[y*out.CStride+x] = cr
		}
	}
	return out
}

// resize fills dst, which is 4:2:0 and starts at (0, 0), with the region r of src (in
// pixels), stretched to fill it. Shrinking averages every source pixel in (see newFilter);
// enlarging interpolates linearly between neighbouring pixels.
func resize(dst, src *image.YCbCr, r image.Rectangle) {
	fx, fy, _ := chromaFactors(src.SubsampleRatio)
	w, h := dst.Rect.Dx(), dst.Rect.Dy()
	srcY, srcCb, srcCr := planes(src)
	dstY, dstCb, dstCr := planes(dst)

	across := newFilter(srcY.width, r.Min.X, r.Dx(), w, 1, 1, dstY.width)
	down := newFilter(srcY.height, r.Min.Y, r.Dy(), h, 1, 1, dstY.height)
	resample(dstY, srcY, across, down)

	across = newFilter(srcCb.width, r.Min.X, r.Dx(), w, fx, 2, dstCb.width)
	down = newFilter(srcCb.height, r.Min.Y, r.Dy(), h, fy, 2, dstCb.height)
	resample(dstCb, srcCb, across, down)
	resample(dstCr, srcCr, across, down)
}

// weightBits is the precision of the filter weights: they are fractions of 1<<weightBits.
const weightBits = 14

// filter says how each sample of a resampled row (or column) is made from the source row:
// output sample i is the sum over k < taps of weights[i*taps+k] × source[first[i]+k], divided
// by 1<<weightBits.
type filter struct {
	first   []int
	taps    int
	weights []int32
}

// newFilter returns the filter that resamples, along one axis, the stretch of length pixels
// from pixel start of a source plane of n samples to out samples. lumaOut is the length of the
// whole destination in pixels; inSub and outSub are how many pixels share a sample in the
// source plane and in the destination plane (2 for the chroma of a 4:2:0 image, 1 for luma).
//
// The kernel is a triangle (the "bilinear" kernel of golang.org/x/image/draw's BiLinear).
// When enlarging it spans one source sample each side: linear interpolation. When shrinking
// it is widened to one destination sample each side, so that every source sample counts and
// fine detail is averaged rather than aliased (never nearest-neighbour). Samples past the
// plane's edges are taken as the edge sample.
//
// Positions are kept as integers, in units of 1/den of a source sample, so that the weights
// are exact and the same on every machine.
func newFilter(n, start, length, lumaOut, inSub, outSub, out int) filter {
	L, inS, outS := int64(lumaOut), int64(inSub), int64(outSub)
	den := 2 * L * inS
	// The kernel's half-width: one source sample (den) or one destination sample, whichever
	// is wider.
	reach := max(den, 2*outS*int64(length))
	taps := min(int(ceilDiv(2*reach, den)), n) // the most samples strictly inside the kernel
	f := filter{first: make([]int, out), taps: taps, weights: make([]int32, out*taps)}
	raw := make([]int64, taps)
	for i := range out {
		// The centre of output sample i: it covers destination pixels outSub*i to
		// outSub*(i+1), which map to source pixels start + (those) × length/lumaOut;
		// divided by inSub into source samples, less half a sample because sample j's
		// centre is at j+½.
		centre := 2*L*int64(start) + outS*int64(2*i+1)*int64(length) - L*inS
		lo := floorDiv(centre-reach, den) + 1 // the first sample strictly inside the kernel
		hi := ceilDiv(centre+reach, den) - 1  // the last
		first := min(max(lo, 0), int64(n-taps))
		clear(raw)
		var total int64
		for j := lo; j <= hi; j++ {
			weight := reach - abs(j*den-centre)
			if weight <= 0 {
				continue
			}
			k := min(max(j, 0), int64(n-1)) - first
			raw[k] += weight
			total += weight
		}
		f.first[i] = int(first)
		weights := f.weights[i*taps : (i+1)*taps]
		var sum int32
		largest := 0
		for k, w := range raw {
			weights[k] = int32((w<<weightBits + total/2) / total)
			sum += weights[k]
			if weights[k] > weights[largest] {
				largest = k
			}
		}
		weights[largest] += 1<<weightBits - sum // rounding must not brighten or darken
	}
	return f
}

// resample fills dst from src, down with one filter and across with the other.
//
// It goes down first: summing whole rows is the cheaper pass, and shrinking the rows first
// leaves fewer of them for the dearer pass across.
func resample(dst, src plane, across, down filter) {
	const half = 1 << (weightBits - 1)
	// First down: each destination row, over the source columns the across filter reads.
	left := across.first[0]
	cols := across.first[len(across.first)-1] + across.taps - left
	mid := make([]byte, dst.height*cols)
	acc := make([]int32, cols)
	for o := range dst.height {
		clear(acc)
		w := down.weights[o*down.taps : (o+1)*down.taps]
		for k, weight := range w {
			if weight == 0 {
				continue
			}
			r := down.first[o] + k
			in := src.pix[r*src.stride+left : r*src.stride+left+cols]
			in = in[:len(acc)]
			for x := range acc {
				acc[x] += weight * int32(in[x])
			}
		}
		out := mid[o*cols : (o+1)*cols]
		out = out[:len(acc)]
		for x := range acc {
			out[x] = uint8((acc[x] + half) >> weightBits)
		}
	}

	// Then across, one destination sample at a time.
	taps, first, weights := across.taps, across.first[:dst.width], across.weights
	for o := range dst.height {
		in := mid[o*cols : (o+1)*cols]
		out := dst.pix[o*dst.stride : o*dst.stride+dst.width]
		for i, f := range first {
			s := in[f-left : f-left+taps]
			w := weights[i*taps : i*taps+len(s)]
			var sum int32
			for k, sample := range s {
				sum += w[k] * int32(sample)
			}
			out[i] = uint8((sum + half) >> weightBits)
		}
	}
}

// floorDiv returns a/b rounded down, for b > 0.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}

// ceilDiv returns a/b rounded up, for b > 0.
func ceilDiv(a, b int64) int64 {
	return -floorDiv(-a, b)
}

func abs(a int64) int64 {
	if a < 0 {
		return -a
	}
	return a
}
