package postgres

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"

	"github.com/rapportlib/rapport/internal/rapport"
)

// A cursor carries the sort key of the last item of a page, which may be personal data (a
// patron's name), through URLs and the access logs of every proxy on the way. So it is sealed:
// encrypted and authenticated with AES-256-GCM under a key that every replica reads from the
// database (cursor_secret, made by migration 000011), so that a cursor one replica gives out
// another accepts. The authenticated data names the list and the district the cursor belongs
// to: a cursor that was changed, made up, or given out by another list or to another district
// does not open, and is a 400.
//
// The nonce is derived from the sealed text (a synthetic IV: HMAC-SHA-256 of the list and the
// key, under a second key), so that the same page always gets the same cursor: a public page
// whose body holds its next cursor keeps its ETag. Equal cursors then reveal only that they
// are equal, which anyone who fetched the same page knows anyway.

// cursorCodec seals and opens cursors.
type cursorCodec struct {
	aead cipher.AEAD
	siv  []byte // the key of the synthetic IVs
}

// newCursorCodec derives the codec's two keys from the secret.
func newCursorCodec(secret []byte) (*cursorCodec, error) {
	derive := func(purpose string) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(purpose))
		return m.Sum(nil)
	}
	block, err := aes.NewCipher(derive("rapport cursor encryption"))
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &cursorCodec{aead: aead, siv: derive("rapport cursor nonce")}, nil
}

// encode seals the sort key of a page's last item, for the list named by list (its kind,
// order and district).
func (c *cursorCodec) encode(list string, key ...any) string {
	plain, err := json.Marshal(key)
	if err != nil {
		panic(fmt.Sprintf("encode cursor %v: %v", key, err)) // keys are plain values; cannot fail
	}
	m := hmac.New(sha256.New, c.siv)
	m.Write([]byte(list))
	m.Write([]byte{0})
	m.Write(plain)
	nonce := m.Sum(nil)[:c.aead.NonceSize()]
	return base64.RawURLEncoding.EncodeToString(c.aead.Seal(nonce, nonce, plain, []byte(list)))
}

// decode opens a cursor that encode sealed for the same list into the pointers of key. Any
// other cursor is an error of kind Invalid pointing at the query parameter.
func (c *cursorCodec) decode(list, cursor string, key ...any) error {
	bad := rapport.FieldErrorf(rapport.Invalid, "#/query/cursor", "is not a cursor this list gave out")
	sealed, err := base64.RawURLEncoding.Strict().DecodeString(cursor) // one spelling per cursor
	if err != nil || len(sealed) < c.aead.NonceSize()+c.aead.Overhead() {
		return bad
	}
	nonce, box := sealed[:c.aead.NonceSize()], sealed[c.aead.NonceSize():]
	plain, err := c.aead.Open(nil, nonce, box, []byte(list))
	if err != nil {
		return bad
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(plain, &raw); err != nil || len(raw) != len(key) {
		return bad
	}
	for i := range key {
		if err := json.Unmarshal(raw[i], key[i]); err != nil {
			return bad
		}
	}
	return nil
}

// cursors returns the store's cursor codec, reading the secret from the database the first
// time: after the migrations, which the server may run after it opened the store.
func (s *Store) cursors(ctx context.Context) (*cursorCodec, error) {
	if c := s.codec.Load(); c != nil {
		return c, nil
	}
	var secret []byte
	if err := s.pool.QueryRow(ctx, `SELECT secret FROM cursor_secret`).Scan(&secret); err != nil {
		return nil, interpretError(fmt.Errorf("read the cursor secret: %w", err))
	}
	c, err := newCursorCodec(secret)
	if err != nil {
		return nil, fmt.Errorf("cursor codec: %w", err)
	}
	s.codec.Store(c)
	return c, nil
}

// listCursors is the codec bound to one list of one district (and its order, when it has
// several): a cursor of one list or district does not open in another.
type listCursors struct {
	codec *cursorCodec
	list  string
}

// listCursors returns the cursors of the list of the kind in the scope's district.
func (s *Store) listCursors(ctx context.Context, kind string, scope rapport.TenantScope) (listCursors, error) {
	codec, err := s.cursors(ctx)
	if err != nil {
		return listCursors{}, err
	}
	return listCursors{codec: codec, list: kind + " " + scope.DistrictID.String()}, nil
}

// encode seals the sort key of a page's last item.
func (l listCursors) encode(key ...any) string { return l.codec.encode(l.list, key...) }

// decode opens a cursor of the list into the pointers of key; any other is Invalid.
func (l listCursors) decode(cursor string, key ...any) error {
	return l.codec.decode(l.list, cursor, key...)
}
