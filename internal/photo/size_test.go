package photo

import (
	"image"
	"math"
	"testing"
)

func TestSizes(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name          string
		size          Size
		ok            bool
		width, height int
	}{
		{"48", Size48, true, 48, 48},
		{"96", Size96, true, 96, 96},
		{"128", Size128, true, 128, 128},
		{"256", Size256, true, 256, 256},
		{"512", Size512, true, 512, 512},
		{"id_card", SizeIDCard, true, 175, 263},
		{"64", "", false, 0, 0},
		{"", "", false, 0, 0},
		{"ID_CARD", "", false, 0, 0},
	} {
		size, ok := ParseSize(tt.name)
		if size != tt.size || ok != tt.ok {
			t.Errorf("ParseSize(%q) = %q, %v, want %q, %v", tt.name, size, ok, tt.size, tt.ok)
		}
		if w, h := Size(tt.name).Dimensions(); w != tt.width || h != tt.height {
			t.Errorf("Size(%q).Dimensions() = %d×%d, want %d×%d", tt.name, w, h, tt.width, tt.height)
		}
	}
	if len(Sizes) != 6 {
		t.Errorf("len(Sizes) = %d, want 6", len(Sizes))
	}
}

func TestFocalPointValid(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		focal FocalPoint
		want  bool
	}{
		{Centre, true},
		{FocalPoint{0, 0}, true},
		{FocalPoint{1, 1}, true},
		{FocalPoint{-0.01, 0.5}, false},
		{FocalPoint{0.5, 1.01}, false},
		{FocalPoint{math.NaN(), 0.5}, false},
		{FocalPoint{0.5, math.Inf(1)}, false},
	} {
		if got := tt.focal.Valid(); got != tt.want {
			t.Errorf("%v.Valid() = %v, want %v", tt.focal, got, tt.want)
		}
	}
}

func TestCropAround(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name                      string
		width, height, aspW, aspH int
		focal                     FocalPoint
		want                      image.Rectangle
	}{
		{"portrait square, centre", 640, 800, 1, 1, Centre, image.Rect(0, 80, 640, 720)},
		{"portrait square, top left", 640, 800, 1, 1, FocalPoint{0, 0}, image.Rect(0, 0, 640, 640)},
		{"portrait square, bottom right", 640, 800, 1, 1, FocalPoint{1, 1}, image.Rect(0, 160, 640, 800)},
		{"portrait square, near the top", 640, 800, 1, 1, FocalPoint{0.5, 0.45}, image.Rect(0, 40, 640, 680)},
		{"landscape square, top right", 800, 640, 1, 1, FocalPoint{1, 0}, image.Rect(160, 0, 800, 640)},
		{"landscape square, bottom left", 800, 640, 1, 1, FocalPoint{0, 1}, image.Rect(0, 0, 640, 640)},
		{"ID card of a school photo", 640, 800, 175, 263, Centre, image.Rect(54, 0, 586, 800)},
		{"ID card, left edge", 640, 800, 175, 263, FocalPoint{0, 0.5}, image.Rect(0, 0, 532, 800)},
		{"ID card of a tall strip", 100, 1000, 175, 263, FocalPoint{0.5, 0}, image.Rect(0, 0, 100, 150)},
		{"ID card of a tall strip, bottom", 100, 1000, 175, 263, FocalPoint{0.5, 1}, image.Rect(0, 850, 100, 1000)},
		{"1×1 square", 1, 1, 1, 1, Centre, image.Rect(0, 0, 1, 1)},
		{"1×1 ID card", 1, 1, 175, 263, Centre, image.Rect(0, 0, 1, 1)},
		{"10×2000 square", 10, 2000, 1, 1, Centre, image.Rect(0, 995, 10, 1005)},
		{"10×2000 ID card", 10, 2000, 175, 263, Centre, image.Rect(0, 993, 10, 1008)},
		{"2000×1 ID card", 2000, 1, 175, 263, FocalPoint{1, 1}, image.Rect(1999, 0, 2000, 1)},
	} {
		if got := cropAround(tt.width, tt.height, tt.aspW, tt.aspH, tt.focal); got != tt.want {
			t.Errorf("cropAround(%s) = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// Every filter's weights sum to one, so that resampling neither brightens nor darkens, and
// an unscaled filter copies.
func TestNewFilter(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name                                     string
		n, start, length, lumaOut, inSub, outSub int
		out                                      int
	}{
		{"copy", 100, 0, 100, 100, 1, 1, 100},
		{"shrink a crop", 800, 80, 640, 512, 1, 1, 512},
		{"shrink a lot", 4000, 0, 4000, 853, 1, 1, 853},
		{"enlarge", 10, 0, 10, 512, 1, 1, 512},
		{"one to many", 1, 0, 1, 263, 1, 1, 263},
		{"4:4:4 chroma to 4:2:0", 641, 0, 641, 641, 1, 2, 321},
		{"4:2:0 chroma of an odd crop", 321, 13, 611, 175, 2, 2, 88},
	} {
		f := newFilter(tt.n, tt.start, tt.length, tt.lumaOut, tt.inSub, tt.outSub, tt.out)
		for i := range tt.out {
			if f.first[i] < 0 || f.first[i]+f.taps > tt.n {
				t.Fatalf("newFilter(%s) output %d reads samples %d to %d of %d", tt.name, i, f.first[i], f.first[i]+f.taps, tt.n)
			}
			var sum int32
			for _, w := range f.weights[i*f.taps : (i+1)*f.taps] {
				if w < 0 {
					t.Errorf("newFilter(%s) output %d has a negative weight", tt.name, i)
				}
				sum += w
			}
			if sum != 1<<weightBits {
				t.Errorf("newFilter(%s) output %d weights sum to %d, want %d", tt.name, i, sum, 1<<weightBits)
			}
			if tt.name == "copy" {
				if k := i - f.first[i]; k < 0 || k >= f.taps || f.weights[i*f.taps+k] != 1<<weightBits {
					t.Errorf("newFilter(copy) output %d does not copy sample %d: reads from %d with weights %v", i, i, f.first[i], f.weights[i*f.taps:(i+1)*f.taps])
				}
			}
		}
	}
}
