package postgres

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/rapportlib/rapport/internal/rapport"
)

func TestCursorsAreSealed(t *testing.T) {
	codec, err := newCursorCodec(bytes.Repeat([]byte{7}, 32))
	if err != nil {
		t.Fatal(err)
	}
	district := uuid.MustParse("01934f6e-5a7b-7c3d-9e2f-0a1b2c3d4e5f")
	list := "patrons " + district.String()
	id := uuid.MustParse("01934f6e-0000-7000-8000-000000000001")
	cursor := codec.encode(list, "Nguyễn-Okafor", "Zoë", id)

	var family, given string
	var got uuid.UUID
	if err := codec.decode(list, cursor, &family, &given, &got); err != nil || family != "Nguyễn-Okafor" || given != "Zoë" || got != id {
		t.Fatalf("decode(encode) = %q %q %v, %v", family, given, got, err)
	}
	if again := codec.encode(list, "Nguyễn-Okafor", "Zoë", id); again != cursor {
		t.Errorf("the same key sealed twice gave two cursors; a public page's ETag would change on every request")
	}

	raw, _ := base64.RawURLEncoding.DecodeString(cursor)
	for _, secret := range []string{"Okafor", "Zoë", "Nguy", id.String()} {
		if bytes.Contains(raw, []byte(secret)) || bytes.Contains([]byte(cursor), []byte(secret)) {
			t.Errorf("the cursor shows %q", secret)
		}
	}

	bad := func(what, list, cursor string) {
		t.Helper()
		err := codec.decode(list, cursor, &family, &given, &got)
		if rapport.ErrorKind(err) != rapport.Invalid {
			t.Errorf("%s: decode = %v, want Invalid", what, err)
		}
	}
	for i := range raw { // every byte changed, one at a time
		tampered := bytes.Clone(raw)
		tampered[i] ^= 0x01
		bad(fmt.Sprintf("byte %d changed", i), list, base64.RawURLEncoding.EncodeToString(tampered))
	}
	bad("truncated", list, cursor[:len(cursor)-4])
	bad("extended", list, cursor+"AAAA")
	bad("empty", list, "")
	bad("not base64", list, "%%%")
	bad("another district", "patrons "+uuid.NewString(), cursor)
	bad("another list", "schools "+district.String(), cursor)
	bad("another order", list+" by update", cursor)
	other, _ := newCursorCodec(bytes.Repeat([]byte{8}, 32))
	bad("another installation", list, other.encode(list, "Nguyễn-Okafor", "Zoë", id))
	bad("the key of another page type", list, codec.encode(list, time.Now(), id))
}
