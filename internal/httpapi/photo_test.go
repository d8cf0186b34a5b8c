package httpapi_test

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/uuid"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/apitest"
	"github.com/rapportlib/rapport/internal/auth"
	"github.com/rapportlib/rapport/internal/httpapi"
	"github.com/rapportlib/rapport/internal/photozip"
	"github.com/rapportlib/rapport/internal/rapport"
)

// portrait draws a w×h picture that is not uniform (a gradient with a dark square at its
// top left), so that crops and scales of it differ.
func portrait(w, h int) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{R: uint8(255 * x / w), G: uint8(255 * y / h), B: 160, A: 255})
		}
	}
	for y := range h / 5 {
		for x := range w / 5 {
			img.Set(x, y, color.RGBA{A: 255})
		}
	}
	return img
}

func jpegOf(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func pngOf(t *testing.T, img image.Image) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// exifWithGPS is a little-endian TIFF block with two IFD0 entries, Orientation 1 and a
// GPSInfo pointer, and a GPS IFD with a latitude reference, as phones write it; the ASCII
// marker is there to be looked for in what is served.
func exifWithGPS() []byte {
	var b bytes.Buffer
	le := binary.LittleEndian
	b.WriteString("II")
	binary.Write(&b, le, uint16(42))
	binary.Write(&b, le, uint32(8)) // IFD0 at 8
	binary.Write(&b, le, uint16(2)) // two entries
	binary.Write(&b, le, []uint16{0x0112, 3})
	binary.Write(&b, le, uint32(1))
	binary.Write(&b, le, uint32(1)) // orientation 1
	binary.Write(&b, le, []uint16{0x8825, 4})
	binary.Write(&b, le, uint32(1))
	binary.Write(&b, le, uint32(38)) // GPS IFD at 38
	binary.Write(&b, le, uint32(0))  // no next IFD
	binary.Write(&b, le, uint16(1))  // GPS IFD: one entry
	binary.Write(&b, le, []uint16{0x0001, 2})
	binary.Write(&b, le, uint32(2))
	b.WriteString("N\x00\x00\x00")
	binary.Write(&b, le, uint32(0))
	b.WriteString("GPS-SECRET-LOCATION")
	return b.Bytes()
}

// withJPEGExif inserts an APP1 Exif segment right after the JPEG's start of image.
func withJPEGExif(jpg, tiff []byte) []byte {
	payload := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1, byte((len(payload) + 2) >> 8), byte(len(payload) + 2)}
	out := append([]byte{}, jpg[:2]...)
	out = append(out, seg...)
	out = append(out, payload...)
	return append(out, jpg[2:]...)
}

// withPNGExif inserts an eXIf chunk after the PNG's IHDR.
func withPNGExif(p, tiff []byte) []byte {
	const afterIHDR = 8 + 8 + 13 + 4
	var chunk bytes.Buffer
	binary.Write(&chunk, binary.BigEndian, uint32(len(tiff)))
	chunk.WriteString("eXIf")
	chunk.Write(tiff)
	binary.Write(&chunk, binary.BigEndian, crc32.ChecksumIEEE(append([]byte("eXIf"), tiff...)))
	out := append([]byte{}, p[:afterIHDR]...)
	out = append(out, chunk.Bytes()...)
	return append(out, p[afterIHDR:]...)
}

// hugePNGHeader is the start of a PNG that declares width×height pixels and holds none.
func hugePNGHeader(width, height uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], width)
	binary.BigEndian.PutUint32(ihdr[4:], height)
	ihdr[8], ihdr[9] = 8, 2 // 8 bits, truecolour
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.WriteString("IHDR")
	b.Write(ihdr)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(append([]byte("IHDR"), ihdr...)))
	return b.Bytes()
}

// multipartPhoto is a browser's form holding the picture as its photo part.
func multipartPhoto(t *testing.T, name string, picture []byte) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	form := multipart.NewWriter(&b)
	_ = form.WriteField("note", "from the desk")
	part, err := form.CreateFormFile(name, "me.png")
	if err != nil {
		t.Fatal(err)
	}
	part.Write(picture)
	form.Close()
	return b.Bytes(), form.FormDataContentType()
}

func putPhoto(env *apitest.Env, token, patronID string, body []byte, contentType string, headers ...string) *apitest.Response {
	return putPhotoAt(env, token, "/v1/patrons/"+patronID+"/photo", body, contentType, headers...)
}

func putPhotoAt(env *apitest.Env, token, path string, body []byte, contentType string, headers ...string) *apitest.Response {
	return env.Call(http.MethodPut, path, token, body, append([]string{"Content-Type", contentType}, headers...)...)
}

func decodeJPEG(t *testing.T, b []byte) image.Image {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decode served JPEG: %v", err)
	}
	return img
}

func photoHistory(t *testing.T, env *apitest.Env, token, patronID string) []string {
	t.Helper()
	var list api.PhotoList
	mustGet(t, env, token, "/v1/patrons/"+patronID+"/photos", &list)
	var out []string
	for _, ph := range list.Data {
		out = append(out, string(ph.State)+" "+string(ph.Source))
	}
	return out
}

func TestPhotoUploadAndPull(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	other := env.NewTenant("Other High")
	patron := env.NewPatron(tenant.Schools[0], "Maya", "Lopez")
	id := patron.ID.String()
	staff := env.Token(tenant, []rapport.Scope{rapport.ScopePhotosStaff, rapport.ScopePhotosWrite})
	stranger := env.Token(other, nil)
	path := "/v1/patrons/" + id + "/photo"

	original := jpegOf(t, portrait(640, 800))
	res := putPhoto(env, staff, id, original, "image/jpeg", "Acting-User", "ms.lee")
	if res.Status != http.StatusCreated {
		t.Fatalf("PUT photo = %d, want 201: %s", res.Status, res.Body)
	}
	var first api.Photo
	res.Decode(t, &first)
	if res.Header.Get("ETag") != `"1"` || first.Version != 1 || first.State != api.PhotoStateCurrent || first.Source != api.StaffUpload ||
		first.Width != 640 || first.Height != 800 || first.OriginalType != api.Imagejpeg ||
		first.OriginalBytes != int64(len(original)) || deref(first.CreatedBy.ActingUser) != "ms.lee" {
		t.Errorf("PUT photo = %+v (ETag %s)", first, res.Header.Get("ETag"))
	}
	var sizes []string
	for _, v := range first.Variants {
		sizes = append(sizes, string(v.Size)+":"+strconv.Itoa(int(v.Width))+"x"+strconv.Itoa(int(v.Height)))
	}
	if diff := cmp.Diff([]string{"48:48x48", "96:96x96", "128:128x128", "256:256x256", "512:512x512", "id_card:175x263"}, sizes); diff != "" {
		t.Errorf("variants (-want +got):\n%s", diff)
	}

	t.Run("pull a size", func(t *testing.T) {
		res := env.Call(http.MethodGet, path+"?size=96", staff, nil)
		if res.Status != http.StatusOK {
			t.Fatalf("GET photo = %d: %s", res.Status, res.Body)
		}
		if b := decodeJPEG(t, res.Body).Bounds(); b.Dx() != 96 || b.Dy() != 96 {
			t.Errorf("96 px variant is %dx%d", b.Dx(), b.Dy())
		}
		if got, want := res.Header.Get("ETag"), first.Variants[1].Etag; got != want {
			t.Errorf("ETag = %s, want the variant's %s", got, want)
		}
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(res.Header.Get("Cache-Control"), "private") {
			t.Errorf("headers = %v", res.Header)
		}
		again := env.Call(http.MethodGet, path+"?size=96", staff, nil, "If-None-Match", res.Header.Get("ETag"))
		if again.Status != http.StatusNotModified || len(again.Body) != 0 {
			t.Errorf("GET with If-None-Match = %d (%d bytes), want 304", again.Status, len(again.Body))
		}
		def := env.Call(http.MethodGet, path, staff, nil)
		if def.Status != http.StatusOK || decodeJPEG(t, def.Body).Bounds().Dx() != 256 {
			t.Errorf("GET without size = %d, want the 256 px variant", def.Status)
		}
		card := env.Call(http.MethodGet, path+"?size=id_card", staff, nil)
		if b := decodeJPEG(t, card.Body).Bounds(); card.Status != http.StatusOK || b.Dx() != 175 || b.Dy() != 263 {
			t.Errorf("GET id_card = %d, %v", card.Status, b)
		}
		if res := env.Call(http.MethodGet, path+"?size=1000", staff, nil); res.Status != http.StatusBadRequest {
			t.Errorf("GET size=1000 = %d, want 400", res.Status)
		}
	})

	t.Run("the same picture again changes nothing", func(t *testing.T) {
		res := putPhoto(env, staff, id, original, "image/jpeg")
		var again api.Photo
		res.Decode(t, &again)
		if res.Status != http.StatusOK || again.Id != first.Id || again.Version != 1 {
			t.Errorf("PUT the same photo = %d %+v, want 200 with photo 1", res.Status, again)
		}
	})

	t.Run("metadata is stripped", func(t *testing.T) {
		withGPS := withPNGExif(pngOf(t, portrait(300, 300)), exifWithGPS())
		if !bytes.Contains(withGPS, []byte("GPS-SECRET-LOCATION")) {
			t.Fatal("the test picture carries no GPS")
		}
		form, contentType := multipartPhoto(t, "photo", withGPS)
		res := putPhoto(env, staff, id, form, contentType, "If-Match", `"1"`)
		if res.Status != http.StatusOK {
			t.Fatalf("PUT multipart PNG = %d: %s", res.Status, res.Body)
		}
		var second api.Photo
		res.Decode(t, &second)
		if second.Version != 2 || second.OriginalType != api.Imagepng {
			t.Errorf("second photo = %+v", second)
		}
		for _, size := range []string{"48", "96", "128", "256", "512", "id_card"} {
			res := env.Call(http.MethodGet, path+"?size="+size, staff, nil)
			if res.Status != http.StatusOK {
				t.Fatalf("GET %s = %d", size, res.Status)
			}
			for _, leak := range []string{"Exif", "GPS-SECRET-LOCATION", "eXIf"} {
				if bytes.Contains(res.Body, []byte(leak)) {
					t.Errorf("size %s carries %q", size, leak)
				}
			}
		}
		jpegWithGPS := withJPEGExif(jpegOf(t, portrait(200, 260)), exifWithGPS())
		res = putPhoto(env, staff, id, jpegWithGPS, "image/jpeg")
		if res.Status != http.StatusOK {
			t.Fatalf("PUT JPEG with EXIF = %d: %s", res.Status, res.Body)
		}
		if got := env.Call(http.MethodGet, path+"?size=512", staff, nil); bytes.Contains(got.Body, []byte("GPS-SECRET-LOCATION")) {
			t.Error("the JPEG's GPS is served")
		}
	})

	t.Run("a stale If-Match changes nothing", func(t *testing.T) {
		res := putPhoto(env, staff, id, original, "image/jpeg", "If-Match", `"1"`)
		if res.Status != http.StatusPreconditionFailed {
			t.Errorf("PUT with If-Match 1 = %d, want 412", res.Status)
		}
	})

	t.Run("another district sees nothing", func(t *testing.T) {
		for _, call := range []struct {
			method, path string
			body         []byte
		}{
			{http.MethodGet, path, nil},
			{http.MethodGet, "/v1/patrons/" + id + "/photos", nil},
			{http.MethodPut, path, original},
			{http.MethodDelete, path, nil},
			{http.MethodGet, "/v1/patrons/" + id + "/photo-consent", nil},
		} {
			res := env.Call(call.method, call.path, stranger, call.body, "Content-Type", "image/jpeg")
			if res.Status != http.StatusNotFound {
				t.Errorf("%s %s by another district = %d, want 404", call.method, call.path, res.Status)
			}
		}
	})

	t.Run("focal point", func(t *testing.T) {
		before := env.Call(http.MethodGet, path+"?size=48", staff, nil)
		res := env.Call(http.MethodPatch, path, staff, map[string]any{"focal_point": map[string]any{"x": 0, "y": 0}})
		if res.Status != http.StatusOK {
			t.Fatalf("PATCH focal point = %d: %s", res.Status, res.Body)
		}
		var moved api.Photo
		res.Decode(t, &moved)
		if moved.Version != 4 || moved.FocalPoint.X != 0 || moved.FocalPoint.Y != 0 {
			t.Errorf("moved = %+v", moved)
		}
		after := env.Call(http.MethodGet, path+"?size=48", staff, nil)
		if after.Header.Get("ETag") == before.Header.Get("ETag") {
			t.Error("the 48 px crop did not change with the focal point")
		}
		if res := env.Call(http.MethodPatch, path, staff, map[string]any{"focal_point": map[string]any{"x": 2, "y": 0}}); res.Status != http.StatusUnprocessableEntity {
			t.Errorf("PATCH focal point x=2 = %d, want 422", res.Status)
		}
	})

	t.Run("remove", func(t *testing.T) {
		if res := env.Call(http.MethodDelete, path, staff, nil, "If-Match", `"1"`); res.Status != http.StatusPreconditionFailed {
			t.Errorf("DELETE with a stale If-Match = %d, want 412", res.Status)
		}
		if res := env.Call(http.MethodDelete, path, staff, nil); res.Status != http.StatusNoContent {
			t.Fatalf("DELETE photo = %d: %s", res.Status, res.Body)
		}
		if res := env.Call(http.MethodGet, path, staff, nil); res.Status != http.StatusNotFound {
			t.Errorf("GET a removed photo = %d, want 404", res.Status)
		}
		if res := env.Call(http.MethodDelete, path, staff, nil); res.Status != http.StatusNotFound {
			t.Errorf("DELETE again = %d, want 404", res.Status)
		}
		want := []string{"removed staff_upload", "replaced staff_upload", "replaced staff_upload", "replaced staff_upload"}
		if diff := cmp.Diff(want, photoHistory(t, env, staff, id)); diff != "" {
			t.Errorf("history (-want +got):\n%s", diff)
		}
	})
}

func TestPhotoUploadsRefused(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, func(c *httpapi.Config) { c.PhotoBodyLimit = 256 << 10; c.PhotoMaxPixels = 4_000_000 })
	tenant := env.NewTenant("Lincoln High")
	patron := env.NewPatron(tenant.Schools[0], "Maya", "Lopez")
	id := patron.ID.String()
	staff := env.Token(tenant, []rapport.Scope{rapport.ScopePhotosStaff, rapport.ScopePhotosWrite})
	good := jpegOf(t, portrait(64, 80))
	form, formType := multipartPhoto(t, "picture", good)
	noise := make([]byte, 300<<10)
	for i := range noise {
		noise[i] = byte(i*7 + i/255)
	}

	for _, tt := range []struct {
		name        string
		body        []byte
		contentType string
		query       string
		status      int
		detail      string // a part of the problem's detail
		pointer     string
	}{
		{"a text file sent as a JPEG", []byte("Just some notes about Maya, not a picture at all.\n"), "image/jpeg", "", http.StatusUnsupportedMediaType, "JPEG or PNG", ""},
		{"a GIF", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "image/png", "", http.StatusUnsupportedMediaType, "GIF", ""},
		{"a truncated JPEG", good[:len(good)/2], "image/jpeg", "", http.StatusUnprocessableEntity, "", ""},
		{"a PNG declaring 100000×100000", hugePNGHeader(100000, 100000), "image/png", "", http.StatusUnprocessableEntity, "100000×100000", ""},
		{"more bytes than allowed", noise, "image/jpeg", "", http.StatusRequestEntityTooLarge, "", ""},
		{"an empty body", nil, "image/jpeg", "", http.StatusUnprocessableEntity, "empty", ""},
		{"JSON", []byte(`{"photo": "me.jpg"}`), "application/json", "", http.StatusUnsupportedMediaType, "", ""},
		{"a form without its photo part", form, formType, "", http.StatusUnprocessableEntity, "", "#/photo"},
		{"a focal point outside the picture", good, "image/jpeg", "?focal_x=1.5", http.StatusBadRequest, "", ""},
		{"an unknown source", good, "image/jpeg", "?source=instagram", http.StatusBadRequest, "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := putPhotoAt(env, staff, "/v1/patrons/"+id+"/photo"+tt.query, tt.body, tt.contentType)
			if res.Status != tt.status {
				t.Fatalf("PUT = %d, want %d: %s", res.Status, tt.status, res.Body)
			}
			p := res.Problem(t)
			if !strings.Contains(deref(p.Detail), tt.detail) {
				t.Errorf("detail = %q, want it to say %q", deref(p.Detail), tt.detail)
			}
			if tt.pointer != "" && !slices.Contains(res.Pointers(t), tt.pointer) {
				t.Errorf("pointers = %v, want %s", res.Pointers(t), tt.pointer)
			}
		})
	}

	t.Run("a chunked body over the limit", func(t *testing.T) {
		req := apitest.Request(http.MethodPut, "/v1/patrons/"+id+"/photo", staff, nil)
		req.Body = io.NopCloser(bytes.NewReader(noise))
		req.ContentLength = -1
		req.Header.Set("Content-Type", "image/jpeg")
		if res := env.Do(req); res.Status != http.StatusRequestEntityTooLarge {
			t.Errorf("chunked PUT = %d, want 413", res.Status)
		}
	})

	// Nothing of any of it was kept.
	var list api.PhotoList
	mustGet(t, env, staff, "/v1/patrons/"+id+"/photos", &list)
	if len(list.Data) != 0 {
		t.Errorf("history after refusals = %+v, want none", list.Data)
	}
}

// TestPhotoConsentPerConsumer follows one patron's photo from the side of each consumer: the
// LMS, device management and the desk each see it exactly where its purpose is consented, in
// every way they can reach it (the photo, its history, the change feed), and a consumer whose
// consent is withdrawn is told to drop it.
func TestPhotoConsentPerConsumer(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	patron := env.NewPatron(tenant.Schools[0], "Maya", "Lopez")
	id := patron.ID.String()
	path := "/v1/patrons/" + id + "/photo"
	labels := map[uuid.UUID]string{patron.ID: "maya"}

	consumer := func(purpose rapport.PhotoPurpose, schools ...uuid.UUID) string {
		c, secret := env.NewClient(tenant, rapport.ClientCreate{Name: string(purpose) + " consumer", SchoolIDs: schools,
			Scopes: []rapport.Scope{rapport.ScopePhotosRead, rapport.ScopeChangesRead}, PhotoPurpose: purpose})
		return env.TokenOf(c, secret)
	}
	lms, mdm, desk := consumer(rapport.PurposeLMS), consumer(rapport.PurposeMDM), consumer(rapport.PurposeDesk)
	adamsDesk := consumer(rapport.PurposeDesk, tenant.Schools[1].ID)
	noPurpose := env.Token(tenant, []rapport.Scope{rapport.ScopePhotosRead, rapport.ScopeChangesRead})
	staff := env.Token(tenant, []rapport.Scope{rapport.ScopePhotosStaff, rapport.ScopePhotosWrite, rapport.ScopeChangesRead})
	uploader := env.Token(tenant, []rapport.Scope{rapport.ScopePhotosWrite})

	start := map[string]string{}
	for name, token := range map[string]string{"lms": lms, "mdm": mdm, "desk": desk, "staff": staff} {
		_, start[name] = feed(t, env, token, "", "", labels)
	}

	// Uploaded by a tool that may write photos and read nothing: it learns the ETag only.
	res := putPhoto(env, uploader, id, jpegOf(t, portrait(320, 400)), "image/jpeg")
	if res.Status != http.StatusNoContent || len(res.Body) != 0 || res.Header.Get("ETag") != `"1"` {
		t.Fatalf("PUT by a write-only client = %d %s (ETag %s), want 204 with the ETag", res.Status, res.Body, res.Header.Get("ETag"))
	}

	// sees answers the status of GET photo; while the patron has a photo, its history is seen
	// exactly where the photo is.
	hasPhoto := true
	sees := func(token string) int {
		t.Helper()
		res := env.Call(http.MethodGet, path+"?size=48", token, nil)
		list := env.Call(http.MethodGet, "/v1/patrons/"+id+"/photos", token, nil)
		if hasPhoto && res.Status != list.Status {
			t.Errorf("the photo answers %d but its history %d", res.Status, list.Status)
		}
		return res.Status
	}
	for _, c := range []struct {
		name, token string
		want        int
	}{
		{"the desk, consented by default", desk, http.StatusOK},
		{"the LMS, not consented by default", lms, http.StatusNotFound},
		{"device management", mdm, http.StatusNotFound},
		{"a client with no purpose", noPurpose, http.StatusNotFound},
		{"the desk of another school", adamsDesk, http.StatusNotFound},
		{"library staff", staff, http.StatusOK},
		{"the write-only uploader", uploader, http.StatusForbidden},
	} {
		if got := sees(c.token); got != c.want {
			t.Errorf("%s: GET photo = %d, want %d", c.name, got, c.want)
		}
	}

	// The family agrees to the LMS and refuses the desk.
	res = env.Call(http.MethodPut, "/v1/patrons/"+id+"/photo-consent", staff, map[string]any{"purposes": map[string]any{"lms": true, "desk": false}})
	if res.Status != http.StatusOK {
		t.Fatalf("PUT consent = %d: %s", res.Status, res.Body)
	}
	var consent api.PhotoConsent
	res.Decode(t, &consent)
	var got []string
	for _, pc := range consent.Purposes {
		got = append(got, string(pc.Purpose)+"="+strconv.FormatBool(pc.Granted)+" recorded="+strconv.FormatBool(pc.Recorded))
	}
	if diff := cmp.Diff([]string{"desk=false recorded=true", "lms=true recorded=true", "mdm=false recorded=false", "id_card=false recorded=false"}, got); diff != "" {
		t.Errorf("consent (-want +got):\n%s", diff)
	}
	if sees(lms) != http.StatusOK || sees(desk) != http.StatusNotFound || sees(mdm) != http.StatusNotFound || sees(staff) != http.StatusOK {
		t.Error("after consent: want the LMS and staff to see the photo, the desk and device management not")
	}

	// Each consumer's feed tells it what it may hold.
	for _, c := range []struct {
		name string
		want []string
	}{
		{"lms", []string{"photo created maya"}},
		{"mdm", nil},
		{"desk", []string{"photo created maya", "photo removed maya"}},
		{"staff", []string{"photo created maya"}},
	} {
		token := map[string]string{"lms": lms, "mdm": mdm, "desk": desk, "staff": staff}[c.name]
		if diff := cmp.Diff(c.want, feedSoon(t, env, token, start[c.name], "&types=photo", labels, c.want)); diff != "" {
			t.Errorf("%s's feed (-want +got):\n%s", c.name, diff)
		}
	}

	// Removed: the consumers that had it are told.
	if res := env.Call(http.MethodDelete, path, uploader, nil); res.Status != http.StatusNoContent {
		t.Fatalf("DELETE = %d", res.Status)
	}
	hasPhoto = false
	want := []string{"photo created maya", "photo removed maya"}
	if diff := cmp.Diff(want, feedSoon(t, env, lms, start["lms"], "&types=photo", labels, want)); diff != "" {
		t.Errorf("lms feed after removal (-want +got):\n%s", diff)
	}
	if sees(lms) != http.StatusNotFound {
		t.Error("the LMS still sees a removed photo")
	}

	// Every photo served is in the access log, with its size.
	var log api.AccessLogList
	mustGet(t, env, env.Token(tenant, nil), "/v1/patrons/"+id+"/access-log", &log)
	photos, histories := 0, 0
	for _, e := range log.Data {
		switch e.Resource {
		case "photo":
			photos++
		case "photos":
			histories++
		}
	}
	if photos < 4 || histories < 4 {
		t.Errorf("access log holds %d photo reads and %d history reads, want at least the 4 of each answered above: %+v", photos, histories, log.Data)
	}
}

// TestPhotoDailyCap: a client reads at most its cap of single photos a day, whatever the
// patrons; answers of 304 cost nothing, and a cap of its own takes the server's place.
func TestPhotoDailyCap(t *testing.T) {
	t.Parallel()
	env := apitest.New(t, func(c *httpapi.Config) { c.PhotoDailyCap = 3 })
	tenant := env.NewTenant("Lincoln High")
	staff := env.Token(tenant, []rapport.Scope{rapport.ScopePhotosStaff, rapport.ScopePhotosWrite})
	var paths []string
	for _, name := range []string{"Ana", "Ben", "Chloé", "Dev"} {
		patron := env.NewPatron(tenant.Schools[0], name, "Reader")
		if res := putPhoto(env, staff, patron.ID.String(), jpegOf(t, portrait(100, 120)), "image/jpeg"); res.Status != http.StatusCreated {
			t.Fatalf("PUT = %d", res.Status)
		}
		paths = append(paths, "/v1/patrons/"+patron.ID.String()+"/photo?size=48")
	}
	harvester := env.Token(tenant, []rapport.Scope{rapport.ScopePhotosStaff})
	var etag string
	for i, path := range paths[:3] {
		res := env.Call(http.MethodGet, path, harvester, nil)
		if res.Status != http.StatusOK {
			t.Fatalf("read %d = %d, want 200", i+1, res.Status)
		}
		etag = res.Header.Get("ETag")
	}
	if res := env.Call(http.MethodGet, paths[2], harvester, nil, "If-None-Match", etag); res.Status != http.StatusNotModified {
		t.Errorf("a 304 past the cap = %d, want 304 (it serves nothing)", res.Status)
	}
	res := env.Call(http.MethodGet, paths[3], harvester, nil)
	if res.Status != http.StatusTooManyRequests || !strings.Contains(deref(res.Problem(t).Detail), "3 photos") {
		t.Errorf("read 4 = %d %s, want 429 naming the cap", res.Status, res.Body)
	}
	// Nothing past the cap is in the log.
	var log api.AccessLogList
	mustGet(t, env, env.Token(tenant, nil), "/v1/access-log?resource=photo&client_id="+clientIDOf(t, env, harvester), &log)
	if len(log.Data) != 3 {
		t.Errorf("access log of the harvester holds %d reads, want 3", len(log.Data))
	}

	c, secret := env.NewClient(tenant, rapport.ClientCreate{Name: "ID cards", Scopes: []rapport.Scope{rapport.ScopePhotosStaff}, PhotoDailyCap: 4})
	cards := env.TokenOf(c, secret)
	for i, path := range paths {
		if res := env.Call(http.MethodGet, path, cards, nil); res.Status != http.StatusOK {
			t.Errorf("read %d with a cap of 4 = %d, want 200", i+1, res.Status)
		}
	}
}

// TestErasingAPatronErasesTheirPhotos: erasure deletes every photo the patron had, with the
// bytes no one else shares, and tells the consumers that held one to drop it.
func TestErasingAPatronErasesTheirPhotos(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	patron := env.NewPatron(tenant.Schools[0], "Maya", "Lopez")
	twin := env.NewPatron(tenant.Schools[0], "Mia", "Lopez")
	id := patron.ID.String()
	admin := env.Token(tenant, nil)
	labels := map[uuid.UUID]string{patron.ID: "maya", twin.ID: "mia"}
	_, start := feed(t, env, admin, "", "", labels)

	picture := jpegOf(t, portrait(200, 240))
	for _, p := range []string{id, twin.ID.String()} { // the same picture: shared bytes
		if res := putPhoto(env, admin, p, picture, "image/jpeg"); res.Status != http.StatusCreated {
			t.Fatalf("PUT = %d: %s", res.Status, res.Body)
		}
	}
	if res := putPhoto(env, admin, id, jpegOf(t, portrait(210, 240)), "image/jpeg"); res.Status != http.StatusOK {
		t.Fatalf("PUT a second photo = %d", res.Status)
	}
	blobs := func() int {
		var n int
		if err := env.Store.Pool().QueryRow(t.Context(), `SELECT count(*) FROM photo_blobs`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := blobs()
	if res := env.Call(http.MethodPost, "/v1/patrons/"+id+"/erase", admin, nil); res.Status != http.StatusOK {
		t.Fatalf("erase = %d: %s", res.Status, res.Body)
	}
	if res := env.Call(http.MethodGet, "/v1/patrons/"+id+"/photo", admin, nil); res.Status != http.StatusNotFound {
		t.Errorf("GET an erased patron's photo = %d, want 404", res.Status)
	}
	var photos int
	if err := env.Store.Pool().QueryRow(t.Context(), `SELECT count(*) FROM photos WHERE patron_id = $1`, patron.ID).Scan(&photos); err != nil || photos != 0 {
		t.Errorf("photos of the erased patron = %d (%v), want 0", photos, err)
	}
	// The second photo's 7 JPEGs went; the first one's are the twin's too and stay.
	if got := blobs(); got != before-7 {
		t.Errorf("photo bytes: %d before, %d after; want the 7 of the photo only Maya had to go", before, got)
	}
	if res := env.Call(http.MethodGet, "/v1/patrons/"+twin.ID.String()+"/photo", admin, nil); res.Status != http.StatusOK {
		t.Errorf("the twin's photo = %d, want 200", res.Status)
	}
	want := []string{"photo created maya", "photo created mia", "photo replaced maya", "photo removed maya"}
	if diff := cmp.Diff(want, feedSoon(t, env, admin, start, "&types=photo", labels, want)); diff != "" {
		t.Errorf("feed (-want +got):\n%s", diff)
	}
}

// TestDistrictPhotoConsentDefault: the district's default decides for the patrons who said
// nothing this school year, and its change reaches exactly their consumers.
func TestDistrictPhotoConsentDefault(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	other := env.NewTenant("Other High")
	silent := env.NewPatron(tenant.Schools[0], "Maya", "Lopez")
	refused := env.NewPatron(tenant.Schools[1], "Ben", "Okafor")
	labels := map[uuid.UUID]string{silent.ID: "maya", refused.ID: "ben"}
	admin := env.Token(tenant, nil)
	c, secret := env.NewClient(tenant, rapport.ClientCreate{Name: "LMS", PhotoPurpose: rapport.PurposeLMS,
		Scopes: []rapport.Scope{rapport.ScopePhotosRead, rapport.ScopeChangesRead}})
	lms := env.TokenOf(c, secret)
	for _, p := range []rapport.Patron{silent, refused} {
		if res := putPhoto(env, admin, p.ID.String(), jpegOf(t, portrait(120, 150)), "image/jpeg"); res.Status != http.StatusCreated {
			t.Fatalf("PUT = %d", res.Status)
		}
	}
	if res := env.Call(http.MethodPut, "/v1/patrons/"+refused.ID.String()+"/photo-consent", admin,
		map[string]any{"purposes": map[string]any{"lms": false}}); res.Status != http.StatusOK {
		t.Fatalf("PUT consent = %d", res.Status)
	}
	_, start := feed(t, env, lms, "", "", labels)

	var defaults api.DistrictPhotoConsent
	mustGet(t, env, admin, "/v1/district/photo-consent", &defaults)
	if d := defaults.Purposes; len(d) != 4 || !d[0].Granted || d[0].Set || d[1].Granted {
		t.Errorf("defaults before = %+v, want the desk only, none set", d)
	}
	adams := env.Token(tenant, nil, tenant.Schools[1].ID)
	if res := env.Call(http.MethodPut, "/v1/district/photo-consent", adams, map[string]any{"purposes": map[string]any{"lms": true}}); res.Status != http.StatusForbidden {
		t.Errorf("a school's admin sets the district's default = %d, want 403", res.Status)
	}
	res := env.Call(http.MethodPut, "/v1/district/photo-consent", admin, map[string]any{"purposes": map[string]any{"lms": true}})
	if res.Status != http.StatusOK {
		t.Fatalf("set default = %d: %s", res.Status, res.Body)
	}
	res.Decode(t, &defaults)
	if d := defaults.Purposes[1]; d.Purpose != api.PhotoPurposeLms || !d.Granted || !d.Set || d.UpdatedAt == nil {
		t.Errorf("lms default = %+v", d)
	}
	for _, tt := range []struct {
		patron rapport.Patron
		want   int
	}{{silent, http.StatusOK}, {refused, http.StatusNotFound}} {
		if res := env.Call(http.MethodGet, "/v1/patrons/"+tt.patron.ID.String()+"/photo", lms, nil); res.Status != tt.want {
			t.Errorf("LMS GET %s's photo = %d, want %d", tt.patron.GivenName, res.Status, tt.want)
		}
	}
	want := []string{"photo created maya"}
	if diff := cmp.Diff(want, feedSoon(t, env, lms, start, "&types=photo", labels, want)); diff != "" {
		t.Errorf("LMS feed (-want +got):\n%s", diff)
	}
	// Another district's default is its own.
	var theirs api.DistrictPhotoConsent
	mustGet(t, env, env.Token(other, nil), "/v1/district/photo-consent", &theirs)
	if theirs.Purposes[1].Granted || theirs.Purposes[1].Set {
		t.Errorf("another district's lms default = %+v", theirs.Purposes[1])
	}
}

// TestSignedPhotoURLs: consumers that cannot send a token pull photos by URLs they sign with a
// secret of their own, by the ids they hold; a URL works only as signed, until it expires,
// and only where the consumer's consent allows.
func TestSignedPhotoURLs(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	other := env.NewTenant("Other High")
	maya := env.NewPatron(tenant.Schools[0], "Maya", "Lopez", func(in *rapport.PatronCreate) {
		in.SISID, in.Barcode, in.Email = "000417", "L417", "mlopez@lincoln.example.org"
	})
	env.NewPatron(other.Schools[0], "Maya", "Lopez", func(in *rapport.PatronCreate) { in.SISID = "000417" })
	admin := env.Token(tenant, nil)
	if res := putPhoto(env, admin, maya.ID.String(), jpegOf(t, portrait(300, 360)), "image/jpeg"); res.Status != http.StatusCreated {
		t.Fatalf("PUT = %d", res.Status)
	}
	if res := env.Call(http.MethodPut, "/v1/patrons/"+maya.ID.String()+"/photo-consent", admin,
		map[string]any{"purposes": map[string]any{"mdm": true}}); res.Status != http.StatusOK {
		t.Fatalf("consent = %d", res.Status)
	}

	// consumer makes a photo consumer of the purpose and answers its client_id and URL secret.
	consumer := func(tenant apitest.Tenant, admin string, purpose rapport.PhotoPurpose) (string, string) {
		c, _ := env.NewClient(tenant, rapport.ClientCreate{Name: string(purpose), Scopes: []rapport.Scope{rapport.ScopePhotosRead}, PhotoPurpose: purpose})
		res := env.Call(http.MethodPost, "/v1/clients/"+c.ID.String()+"/photo-url-secret", admin, nil)
		if res.Status != http.StatusOK || res.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("photo URL secret = %d %v: %s", res.Status, res.Header, res.Body)
		}
		var got api.PhotoURLSecret
		res.Decode(t, &got)
		if !strings.HasPrefix(got.UrlTemplate, "/v1/photos/{id_type}/{id}/{size}.jpg?client_id="+c.ClientID) {
			t.Errorf("template = %s", got.UrlTemplate)
		}
		if raw, err := base64.RawURLEncoding.DecodeString(got.PhotoUrlSecret); err != nil || len(raw) != 32 {
			t.Fatalf("secret %q: %v, want 32 bytes in base64url", got.PhotoUrlSecret, err)
		}
		return c.ClientID, got.PhotoUrlSecret
	}
	mdm, mdmSecret := consumer(tenant, admin, rapport.PurposeMDM)
	idCards, idCardSecret := consumer(tenant, admin, rapport.PurposeIDCard)
	stranger, strangerSecret := consumer(other, env.Token(other, nil), rapport.PurposeMDM)

	exp := time.Now().Add(time.Hour).Unix()
	signed := func(path, clientID, secret string, exp int64) string {
		return path + "?client_id=" + clientID + "&exp=" + strconv.FormatInt(exp, 10) + "&sig=" + auth.SignPhotoURL(secret, "GET", path, clientID, exp)
	}
	get := func(url string, headers ...string) *apitest.Response {
		return env.Call(http.MethodGet, url, "", nil, headers...)
	}

	res := get(signed("/v1/photos/sis_id/000417/96.jpg", mdm, mdmSecret, exp))
	if res.Status != http.StatusOK || decodeJPEG(t, res.Body).Bounds().Dx() != 96 || !strings.HasPrefix(res.Header.Get("Cache-Control"), "private") {
		t.Fatalf("signed GET = %d %v", res.Status, res.Header)
	}
	etag := res.Header.Get("ETag")
	if res := get(signed("/v1/photos/sis_id/000417/96.jpg", mdm, mdmSecret, exp), "If-None-Match", etag); res.Status != http.StatusNotModified {
		t.Errorf("signed GET with If-None-Match = %d, want 304", res.Status)
	}
	// An id that needs escaping in a path is signed as it is sent, escaped.
	spaced := env.NewPatron(tenant.Schools[0], "Ben", "Okafor", func(in *rapport.PatronCreate) { in.Barcode = "L 418" })
	if res := putPhoto(env, admin, spaced.ID.String(), jpegOf(t, portrait(100, 120)), "image/jpeg"); res.Status != http.StatusCreated {
		t.Fatalf("PUT = %d", res.Status)
	}
	if res := env.Call(http.MethodPut, "/v1/patrons/"+spaced.ID.String()+"/photo-consent", admin,
		map[string]any{"purposes": map[string]any{"mdm": true}}); res.Status != http.StatusOK {
		t.Fatalf("consent = %d", res.Status)
	}
	for _, path := range []string{"/v1/photos/barcode/L417/id_card.jpg", "/v1/photos/username/mlopez/48.jpg",
		"/v1/photos/username/MLopez@Lincoln.example.org/48.jpg", "/v1/photos/barcode/L%20418/48.jpg"} {
		if res := get(signed(path, mdm, mdmSecret, exp)); res.Status != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", path, res.Status)
		}
	}

	t.Run("refused", func(t *testing.T) {
		good := signed("/v1/photos/sis_id/000417/96.jpg", mdm, mdmSecret, exp)
		for _, tt := range []struct {
			name, url string
			status    int
		}{
			{"expired", signed("/v1/photos/sis_id/000417/96.jpg", mdm, mdmSecret, time.Now().Add(-time.Minute).Unix()), http.StatusUnauthorized},
			{"another patron's path under this signature", strings.Replace(good, "000417", "000418", 1), http.StatusUnauthorized},
			{"another size under this signature", strings.Replace(good, "96.jpg", "512.jpg", 1), http.StatusUnauthorized},
			{"a later expiry under this signature", strings.Replace(good, "exp="+strconv.FormatInt(exp, 10), "exp="+strconv.FormatInt(exp+86400, 10), 1), http.StatusUnauthorized},
			{"another consumer's signature", signed("/v1/photos/sis_id/000417/96.jpg", mdm, idCardSecret, exp), http.StatusUnauthorized},
			{"an unknown consumer", signed("/v1/photos/sis_id/000417/96.jpg", "nobody", mdmSecret, exp), http.StatusUnauthorized},
			{"no signature", "/v1/photos/sis_id/000417/96.jpg", http.StatusBadRequest},
			{"a consumer without consent", signed("/v1/photos/sis_id/000417/96.jpg", idCards, idCardSecret, exp), http.StatusNotFound},
			{"another district's consumer", signed("/v1/photos/sis_id/000417/96.jpg", stranger, strangerSecret, exp), http.StatusNotFound},
			{"an id no patron has", signed("/v1/photos/sis_id/999999/96.jpg", mdm, mdmSecret, exp), http.StatusNotFound},
			{"an unknown size", signed("/v1/photos/sis_id/000417/97.jpg", mdm, mdmSecret, exp), http.StatusBadRequest},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if res := get(tt.url); res.Status != tt.status {
					t.Errorf("GET = %d, want %d: %s", res.Status, tt.status, res.Body)
				}
			})
		}
		// A token does not stand in for the signature.
		if res := env.Call(http.MethodGet, strings.Replace(good, "sig=", "sig=x", 1)[:len(good)], admin, nil); res.Status != http.StatusUnauthorized {
			t.Errorf("bearer token with a bad signature = %d, want 401", res.Status)
		}
	})

	t.Run("versioned URLs change with the photo", func(t *testing.T) {
		version := strings.Trim(etag, `"`)
		path := "/v1/photos/sis_id/000417/" + version + "/96.jpg"
		res := get(signed(path, mdm, mdmSecret, exp))
		if res.Status != http.StatusOK || !strings.Contains(res.Header.Get("Cache-Control"), "immutable") {
			t.Fatalf("versioned GET = %d %v", res.Status, res.Header)
		}
		if res := putPhoto(env, admin, maya.ID.String(), jpegOf(t, portrait(310, 360)), "image/jpeg"); res.Status != http.StatusOK {
			t.Fatalf("replace = %d", res.Status)
		}
		if res := get(signed(path, mdm, mdmSecret, exp)); res.Status != http.StatusNotFound {
			t.Errorf("the old version after a new photo = %d, want 404", res.Status)
		}
	})

	t.Run("a new secret ends the old URLs", func(t *testing.T) {
		url := signed("/v1/photos/sis_id/000417/96.jpg", mdm, mdmSecret, exp)
		var c api.ClientList
		mustGet(t, env, admin, "/v1/clients?limit=200", &c)
		var id string
		for _, cl := range c.Data {
			if cl.ClientId == mdm {
				id = cl.Id.String()
			}
		}
		if res := env.Call(http.MethodPost, "/v1/clients/"+id+"/photo-url-secret", admin, nil); res.Status != http.StatusOK {
			t.Fatalf("rotate = %d", res.Status)
		}
		if res := get(url); res.Status != http.StatusUnauthorized {
			t.Errorf("a URL signed with the old secret = %d, want 401", res.Status)
		}
	})

	t.Run("only photo consumers sign URLs", func(t *testing.T) {
		c, _ := env.NewClient(tenant, rapport.ClientCreate{Name: "notes", Scopes: []rapport.Scope{rapport.ScopeNotesRead}})
		if res := env.Call(http.MethodPost, "/v1/clients/"+c.ID.String()+"/photo-url-secret", admin, nil); res.Status != http.StatusConflict {
			t.Errorf("a secret for a client that reads no photos = %d, want 409", res.Status)
		}
	})
}

// TestPhotoExport: a zip in the layout the target system imports, of the photos the caller may
// see, logged, and read back by the import's own reader.
func TestPhotoExport(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	other := env.NewTenant("Other High")
	admin := env.Token(tenant, nil)
	for i, name := range []string{"Ana", "Ben", "Chloé"} {
		patron := env.NewPatron(tenant.Schools[0], name, "Reader", func(in *rapport.PatronCreate) {
			in.SISID = "S" + strconv.Itoa(100+i)
			if name != "Chloé" {
				in.Barcode = "B" + strconv.Itoa(100+i)
			}
		})
		if res := putPhoto(env, admin, patron.ID.String(), jpegOf(t, portrait(100+i, 120)), "image/jpeg"); res.Status != http.StatusCreated {
			t.Fatalf("PUT = %d", res.Status)
		}
	}
	adams := env.NewPatron(tenant.Schools[1], "Dev", "Reader", func(in *rapport.PatronCreate) { in.SISID, in.Barcode = "S200", "B200" })
	putPhoto(env, admin, adams.ID.String(), jpegOf(t, portrait(90, 120)), "image/jpeg")

	export := func(token string, body map[string]any) (*apitest.Response, *photozip.Archive) {
		t.Helper()
		res := env.Call(http.MethodPost, "/v1/exports/photos", token, body)
		if res.Status != http.StatusOK {
			return res, nil
		}
		if res.Header.Get("Content-Type") != "application/zip" || !strings.Contains(res.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("export headers = %v", res.Header)
		}
		archive, err := photozip.Open(bytes.NewReader(res.Body), int64(len(res.Body)), photozip.DefaultLimits())
		if err != nil {
			t.Fatalf("the export does not open as a photo zip: %v", err)
		}
		return res, archive
	}
	ids := func(a *photozip.Archive) []string {
		var out []string
		for _, e := range a.Entries {
			out = append(out, e.ID+"="+e.File)
		}
		slices.Sort(out)
		return out
	}

	_, destiny := export(admin, map[string]any{"format": "destiny", "school_id": tenant.Schools[0].ID, "size": "96"})
	if destiny == nil {
		t.Fatal("destiny export failed")
	}
	// Chloé has no barcode: left out. Dev is at another school.
	if diff := cmp.Diff([]string{"B100=B100.jpg", "B101=B101.jpg"}, ids(destiny)); diff != "" || destiny.Format != photozip.MapIDLink {
		t.Errorf("destiny export (format %s) (-want +got):\n%s", destiny.Format, diff)
	}
	rc, err := destiny.OpenFile("B100.jpg")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(rc)
	if b := decodeJPEG(t, data).Bounds(); b.Dx() != 96 {
		t.Errorf("exported photo is %v, want 96 px", b)
	}

	_, all := export(admin, map[string]any{"format": "sis_id_filenames"})
	if diff := cmp.Diff([]string{"S100=S100.jpg", "S101=S101.jpg", "S102=S102.jpg", "S200=S200.jpg"}, ids(all)); diff != "" {
		t.Errorf("district export (-want +got):\n%s", diff)
	}
	_, recent := export(admin, map[string]any{"format": "powerschool", "changed_since": time.Now().Add(time.Hour).Format(time.RFC3339)})
	if recent == nil || len(recent.Entries) != 0 {
		t.Errorf("export of photos changed in the future = %+v, want none", recent)
	}

	// A consumer without consent exports nothing; library staff's export is logged.
	c, secret := env.NewClient(tenant, rapport.ClientCreate{Name: "LMS", Scopes: []rapport.Scope{rapport.ScopePhotosRead}, PhotoPurpose: rapport.PurposeLMS})
	if _, none := export(env.TokenOf(c, secret), map[string]any{"format": "sis_id_filenames"}); none == nil || len(none.Entries) != 0 {
		t.Errorf("an LMS without consent exported %+v", none)
	}
	var log api.AccessLogList
	mustGet(t, env, admin, "/v1/access-log?resource=photo_export&limit=200", &log)
	if len(log.Data) != 2+4 {
		t.Errorf("access log holds %d exported photos, want 6", len(log.Data))
	}

	for _, tt := range []struct {
		name   string
		token  string
		body   map[string]any
		status int
	}{
		{"another district's school", admin, map[string]any{"format": "destiny", "school_id": other.Schools[0].ID}, http.StatusNotFound},
		{"an unknown format", admin, map[string]any{"format": "yearbook"}, http.StatusUnprocessableEntity},
		{"no format", admin, map[string]any{"size": "96"}, http.StatusUnprocessableEntity},
		{"a client that reads no photos", env.Token(tenant, []rapport.Scope{rapport.ScopePatronsRead}), map[string]any{"format": "destiny"}, http.StatusForbidden},
	} {
		if res, _ := export(tt.token, tt.body); res.Status != tt.status {
			t.Errorf("%s: export = %d, want %d: %s", tt.name, res.Status, tt.status, res.Body)
		}
	}
}

// zipOf builds a zip of the named files, in order.
func zipOf(t *testing.T, files ...any) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for i := 0; i+1 < len(files); i += 2 {
		w, err := zw.Create(files[i].(string))
		if err != nil {
			t.Fatal(err)
		}
		w.Write(files[i+1].([]byte))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestPhotoImport: a photographer's zip with Destiny's map, matched to patrons by barcode,
// each file imported whole or reported, again without change, dry, and rolled back.
func TestPhotoImport(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High")
	other := env.NewTenant("Other High")
	admin := env.Token(tenant, nil)
	ana := env.NewPatron(tenant.Schools[0], "Ana", "Reader", func(in *rapport.PatronCreate) { in.Barcode = "000417" })
	ben := env.NewPatron(tenant.Schools[0], "Ben", "Reader", func(in *rapport.PatronCreate) { in.Barcode = "B-22" })
	env.NewPatron(other.Schools[0], "Cleo", "Elsewhere", func(in *rapport.PatronCreate) { in.Barcode = "C9" })
	env.NewPatron(tenant.Schools[0], "Dee", "Reader", func(in *rapport.PatronCreate) { in.Barcode = "55" })
	// Ben had a photo the school chose; the import replaces it, and a rollback brings it back.
	if res := putPhoto(env, admin, ben.ID.String(), jpegOf(t, portrait(80, 100)), "image/jpeg"); res.Status != http.StatusCreated {
		t.Fatalf("PUT = %d", res.Status)
	}
	zipped := zipOf(t,
		"idlink.txt", []byte("417,ana.jpg\rb-22,ben.jpg\rC9,cleo.jpg\r999,nobody.jpg\r55,notes.jpg\r"),
		"ana.jpg", jpegOf(t, portrait(640, 800)),
		"ben.jpg", pngOf(t, portrait(300, 380)),
		"cleo.jpg", jpegOf(t, portrait(60, 80)),
		"nobody.jpg", jpegOf(t, portrait(60, 80)),
		"notes.jpg", []byte("these are my notes, not a picture"),
		"../escape.jpg", jpegOf(t, portrait(60, 80)),
	)
	path := "/v1/imports/photos?trim_leading_zeros=true&fold_case=true&captured_on=2026-09-15"
	post := func(token, path string, body []byte, contentType string) *apitest.Response {
		return env.Call(http.MethodPost, path, token, body, "Content-Type", contentType)
	}
	results := func(imp api.PhotoImport) []string {
		var out []string
		for _, f := range imp.Files {
			out = append(out, deref(f.File)+" "+string(f.Result))
		}
		slices.Sort(out)
		return out
	}

	res := post(admin, path+"&dry_run=true", zipped, "application/zip")
	if res.Status != http.StatusOK {
		t.Fatalf("dry run = %d: %s", res.Status, res.Body)
	}
	var dry api.PhotoImport
	res.Decode(t, &dry)
	want := []string{"../escape.jpg skipped", "ana.jpg imported", "ben.jpg imported", "cleo.jpg no_patron", "nobody.jpg no_patron", "notes.jpg not_image"}
	if diff := cmp.Diff(want, results(dry)); diff != "" || dry.Status != api.PhotoImportStatusDryRun || dry.MapFormat != api.PhotoImportMapFormatIdlink || dry.IdType != api.PhotoImportIdTypeBarcode {
		t.Errorf("dry run %s/%s/%s (-want +got):\n%s", dry.Status, dry.MapFormat, dry.IdType, diff)
	}
	if got := photoHistory(t, env, admin, ana.ID.String()); len(got) != 0 {
		t.Errorf("a dry run wrote %v", got)
	}

	res = post(admin, path, zipped, "application/zip")
	if res.Status != http.StatusCreated || !strings.HasPrefix(res.Header.Get("Location"), "/v1/imports/photos/") {
		t.Fatalf("import = %d: %s", res.Status, res.Body)
	}
	var imp api.PhotoImport
	res.Decode(t, &imp)
	if diff := cmp.Diff(want, results(imp)); diff != "" || imp.Counts["imported"] != 2 || imp.Counts["no_patron"] != 2 || imp.Counts["not_image"] != 1 {
		t.Errorf("import counts %v (-want +got):\n%s", imp.Counts, diff)
	}
	var anas api.PhotoList
	mustGet(t, env, admin, "/v1/patrons/"+ana.ID.String()+"/photos", &anas)
	if len(anas.Data) != 1 || anas.Data[0].Source != api.PhotographerImport || deref(anas.Data[0].ImportId) != imp.Id ||
		anas.Data[0].CapturedOn == nil || anas.Data[0].CapturedOn.String() != "2026-09-15" {
		t.Errorf("Ana's photos = %+v", anas.Data)
	}
	var kept api.PhotoImport
	mustGet(t, env, admin, "/v1/imports/photos/"+imp.Id.String(), &kept)
	if kept.Counts["imported"] != 2 || len(kept.Files) != 6 {
		t.Errorf("the kept report = %+v", kept)
	}

	// The same zip again changes nothing.
	res = post(admin, path, zipped, "application/zip")
	var again api.PhotoImport
	res.Decode(t, &again)
	if again.Counts["unchanged"] != 2 || again.Counts["imported"] != 0 {
		t.Errorf("the same zip again: counts %v, want 2 unchanged", again.Counts)
	}

	t.Run("refused whole", func(t *testing.T) {
		for _, tt := range []struct {
			name, contentType string
			body              []byte
			status            int
		}{
			{"not a zip", "application/zip", []byte("PK but not really a zip at all"), http.StatusUnprocessableEntity},
			{"a JSON body", "application/json", []byte(`{"zip":"x"}`), http.StatusUnsupportedMediaType},
			{"an empty body", "application/zip", nil, http.StatusUnprocessableEntity},
		} {
			if res := post(admin, path, tt.body, tt.contentType); res.Status != tt.status {
				t.Errorf("%s: import = %d, want %d: %s", tt.name, res.Status, tt.status, res.Body)
			}
		}
		if res := post(env.Token(tenant, []rapport.Scope{rapport.ScopePhotosWrite}), path, zipped, "application/zip"); res.Status != http.StatusForbidden {
			t.Errorf("import without imports:write = %d, want 403", res.Status)
		}
		if res := env.Call(http.MethodGet, "/v1/imports/photos/"+imp.Id.String(), env.Token(other, nil), nil); res.Status != http.StatusNotFound {
			t.Errorf("another district reads the import = %d, want 404", res.Status)
		}
	})

	// Rolled back: Ana has no photo again, Ben has the school's back.
	res = env.Call(http.MethodPost, "/v1/imports/photos/"+imp.Id.String()+"/rollback", admin, nil)
	if res.Status != http.StatusOK {
		t.Fatalf("rollback = %d: %s", res.Status, res.Body)
	}
	if res := env.Call(http.MethodGet, "/v1/patrons/"+ana.ID.String()+"/photo", admin, nil); res.Status != http.StatusNotFound {
		t.Errorf("Ana's photo after the rollback = %d, want 404", res.Status)
	}
	if diff := cmp.Diff([]string{"removed photographer_import", "current staff_upload"}, photoHistory(t, env, admin, ben.ID.String())); diff != "" {
		t.Errorf("Ben's photos after the rollback (-want +got):\n%s", diff)
	}
	if res := env.Call(http.MethodPost, "/v1/imports/photos/"+imp.Id.String()+"/rollback", admin, nil); res.Status != http.StatusConflict {
		t.Errorf("a second rollback = %d, want 409", res.Status)
	}
}

// TestPhotoRoutesKeepToTheirTenantsAndScopes goes through every photo route from the side of
// the callers that must not get through: a client of another district and one of another
// school (404, as if the patron were not there), a client holding the write scope alone (no
// field it could not read), and hostile bodies (4xx), and checks each time that nothing was
// stored.
func TestPhotoRoutesKeepToTheirTenantsAndScopes(t *testing.T) {
	t.Parallel()
	env := apitest.New(t)
	tenant := env.NewTenant("Lincoln High", "Adams Elementary")
	other := env.NewTenant("Other High")
	staff := env.Token(tenant, nil)
	patron := env.NewPatron(tenant.Schools[0], "Maya", "Lopez", func(in *rapport.PatronCreate) { in.Barcode = "L1" })
	id := patron.ID.String()
	picture := jpegOf(t, portrait(120, 150))
	if res := putPhoto(env, staff, id, picture, "image/jpeg"); res.Status != http.StatusCreated {
		t.Fatalf("PUT = %d", res.Status)
	}
	imp := env.Call(http.MethodPost, "/v1/imports/photos", staff, zipOf(t, "idlink.txt", []byte("L1,m.jpg\r"), "m.jpg", jpegOf(t, portrait(130, 150))),
		"Content-Type", "application/zip")
	if imp.Status != http.StatusCreated {
		t.Fatalf("import = %d: %s", imp.Status, imp.Body)
	}
	importPath := imp.Header.Get("Location")
	deskClient, _ := env.NewClient(tenant, rapport.ClientCreate{Name: "desk", Scopes: []rapport.Scope{rapport.ScopePhotosRead}, PhotoPurpose: rapport.PurposeDesk})

	strangers := map[string]string{
		"another district": env.Token(other, nil),
		"another school":   env.Token(tenant, nil, tenant.Schools[1].ID),
	}
	// state is what a refused call must leave as it was: the photo's history and consent, the
	// district's default, the import.
	state := func() string {
		t.Helper()
		var photos api.PhotoList
		mustGet(t, env, staff, "/v1/patrons/"+id+"/photos", &photos)
		var consent api.PhotoConsent
		mustGet(t, env, staff, "/v1/patrons/"+id+"/photo-consent", &consent)
		var defaults api.DistrictPhotoConsent
		mustGet(t, env, staff, "/v1/district/photo-consent", &defaults)
		var imported api.PhotoImport
		mustGet(t, env, staff, importPath, &imported)
		return fmt.Sprintf("%d photos, current v%d; consent %+v; defaults %+v; import %s", len(photos.Data), photos.Data[0].Version,
			consent.Purposes, defaults.Purposes, imported.Status)
	}
	before := state()

	type call struct {
		method, path string
		body         any
		contentType  string
	}
	json := func(method, path string, body any) call { return call{method, path, body, ""} }
	routes := []call{
		json(http.MethodGet, "/v1/patrons/"+id+"/photo", nil),
		json(http.MethodGet, "/v1/patrons/"+id+"/photos", nil),
		{http.MethodPut, "/v1/patrons/" + id + "/photo", picture, "image/jpeg"},
		json(http.MethodPatch, "/v1/patrons/"+id+"/photo", map[string]any{"focal_point": map[string]any{"x": 0.2, "y": 0.2}}),
		json(http.MethodDelete, "/v1/patrons/"+id+"/photo", nil),
		json(http.MethodGet, "/v1/patrons/"+id+"/photo-consent", nil),
		json(http.MethodPut, "/v1/patrons/"+id+"/photo-consent", map[string]any{"purposes": map[string]any{"lms": true}}),
		json(http.MethodGet, "/v1/access-log?patron_id="+id, nil),
		json(http.MethodPost, "/v1/clients/"+deskClient.ID.String()+"/photo-url-secret", nil),
		json(http.MethodPost, "/v1/exports/photos", map[string]any{"format": "destiny", "school_id": tenant.Schools[0].ID}),
		{http.MethodPost, "/v1/imports/photos?school_id=" + tenant.Schools[0].ID.String(), zipOf(t, "idlink.txt", []byte("L1,m.jpg\r"), "m.jpg", picture), "application/zip"},
		json(http.MethodGet, importPath, nil),
		json(http.MethodPost, importPath+"/rollback", nil),
	}
	for name, token := range strangers {
		for _, c := range routes {
			res := env.Call(c.method, c.path, token, c.body, "Content-Type", c.contentType)
			if res.Status != http.StatusNotFound {
				t.Errorf("%s: %s %s = %d, want 404: %s", name, c.method, c.path, res.Status, res.Body)
			}
		}
	}
	// Another school's admin may not set the district's default; another district's sets its own.
	if res := env.Call(http.MethodPut, "/v1/district/photo-consent", strangers["another school"], map[string]any{"purposes": map[string]any{"lms": true}}); res.Status != http.StatusForbidden {
		t.Errorf("another school's admin sets the district's default = %d, want 403", res.Status)
	}
	if res := env.Call(http.MethodPut, "/v1/district/photo-consent", strangers["another district"], map[string]any{"purposes": map[string]any{"lms": true}}); res.Status != http.StatusOK {
		t.Errorf("another district sets its own default = %d, want 200", res.Status)
	}
	var theirLog api.AccessLogList
	mustGet(t, env, strangers["another district"], "/v1/access-log?resource=photo", &theirLog)
	if len(theirLog.Data) != 0 {
		t.Errorf("another district's access log shows %d of our reads", len(theirLog.Data))
	}
	if got := state(); got != before {
		t.Errorf("after the strangers' calls:\n%s\nwant\n%s", got, before)
	}

	t.Run("hostile bodies", func(t *testing.T) {
		for _, c := range []struct {
			call
			status int
		}{
			{json(http.MethodPatch, "/v1/patrons/"+id+"/photo", map[string]any{"focal_point": map[string]any{"x": 2, "y": 0}}), http.StatusUnprocessableEntity},
			{json(http.MethodPatch, "/v1/patrons/"+id+"/photo", map[string]any{"source": "self"}), http.StatusUnprocessableEntity},
			{json(http.MethodPatch, "/v1/patrons/"+id+"/photo", `{"focal_point":{"x":0.1,"y":0.1},"focal_point":{"x":0.9,"y":0.9}}`), http.StatusBadRequest},
			{json(http.MethodPut, "/v1/patrons/"+id+"/photo-consent", map[string]any{"purposes": map[string]any{"yearbook": true}}), http.StatusUnprocessableEntity},
			{json(http.MethodPut, "/v1/patrons/"+id+"/photo-consent", map[string]any{"purposes": map[string]any{}}), http.StatusUnprocessableEntity},
			{json(http.MethodPut, "/v1/patrons/"+id+"/photo-consent", map[string]any{"purposes": map[string]any{"lms": "yes"}}), http.StatusUnprocessableEntity},
			{json(http.MethodPut, "/v1/patrons/"+id+"/photo-consent", map[string]any{"school_year": "2026-28", "purposes": map[string]any{"lms": true}}), http.StatusUnprocessableEntity},
			{json(http.MethodPut, "/v1/district/photo-consent", map[string]any{"purposes": map[string]any{"lms": null()}}), http.StatusUnprocessableEntity},
			{json(http.MethodPost, "/v1/exports/photos", map[string]any{"format": "destiny", "size": "1000"}), http.StatusUnprocessableEntity},
			{json(http.MethodPost, "/v1/clients/"+deskClient.ID.String()+"/photo-url-secret", "\x00"), http.StatusBadRequest},
		} {
			body := c.body
			if s, ok := body.(string); ok {
				body = []byte(s)
			}
			contentType := "application/json"
			if c.method == http.MethodPatch {
				contentType = "application/merge-patch+json"
			}
			res := env.Call(c.method, c.path, staff, body, "Content-Type", contentType)
			if res.Status != c.status || res.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s %s %v = %d, want %d problem+json: %s", c.method, c.path, c.body, res.Status, c.status, res.Body)
			}
		}
		if got := state(); got != before {
			t.Errorf("after the hostile bodies:\n%s\nwant\n%s", got, before)
		}
	})

	t.Run("the write scope alone", func(t *testing.T) {
		writer := env.Token(tenant, []rapport.Scope{rapport.ScopePhotosWrite})
		res := env.Call(http.MethodPatch, "/v1/patrons/"+id+"/photo", writer, map[string]any{"focal_point": map[string]any{"x": 0.3, "y": 0.3}})
		if res.Status != http.StatusNoContent || len(res.Body) != 0 || res.Header.Get("ETag") == "" {
			t.Errorf("PATCH by a writer = %d %q (ETag %q), want 204 with the ETag and no body", res.Status, res.Body, res.Header.Get("ETag"))
		}
		for _, c := range []call{
			json(http.MethodGet, "/v1/patrons/"+id+"/photo", nil),
			json(http.MethodGet, "/v1/patrons/"+id+"/photos", nil),
			json(http.MethodPost, "/v1/exports/photos", map[string]any{"format": "destiny"}),
			json(http.MethodGet, "/v1/access-log", nil),
			json(http.MethodGet, importPath, nil),
		} {
			if res := env.Call(c.method, c.path, writer, c.body); res.Status != http.StatusForbidden {
				t.Errorf("a writer's %s %s = %d, want 403", c.method, c.path, res.Status)
			}
		}
		// Consent is what the writer writes: it may read it back, and nothing else of the photo.
		res = env.Call(http.MethodPut, "/v1/patrons/"+id+"/photo-consent", writer, map[string]any{"purposes": map[string]any{"id_card": true}})
		var consent map[string]any
		res.Decode(t, &consent)
		if res.Status != http.StatusOK || len(consent) != 3 || consent["patron_id"] != id {
			t.Errorf("PUT consent by a writer = %d %v, want 200 with patron_id, school_year and purposes only", res.Status, consent)
		}
	})
}

func null() any { return nil }
