package httpapi

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/rapportlib/rapport/api"
	"github.com/rapportlib/rapport/internal/rapport"
)

// etagOf is the strong entity tag of a record at a version. A record's version rises with every
// change, so the tag changes exactly when the record does.
func etagOf(version int) string {
	return `"` + strconv.Itoa(version) + `"`
}

// publicCacheControl lets browsers and shared caches keep a public page for a minute.
const publicCacheControl = "public, max-age=60"

// etagOfBody is the strong entity tag of a representation that has no version of its own (a
// page of the public board, say): a hash of its JSON, so that the tag changes exactly when the
// body does.
func etagOfBody(body any) (string, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return "", fmt.Errorf("hash body for its ETag: %w", err)
	}
	sum := sha256.Sum256(b)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`, nil
}

// parseIfMatch turns an If-Match header into the versions a write may proceed from. An absent
// header or "*" is unconditional (nil). Tags this server did not make, and weak tags (which
// never match in If-Match), match no version, so the write fails with 412.
func parseIfMatch(header *string) rapport.Match {
	if header == nil || strings.TrimSpace(*header) == "*" {
		return nil
	}
	match := rapport.Match{}
	for _, tag := range strings.Split(*header, ",") {
		tag = strings.TrimSpace(tag)
		if len(tag) < 2 || tag[0] != '"' || tag[len(tag)-1] != '"' {
			continue
		}
		if v, err := strconv.Atoi(tag[1 : len(tag)-1]); err == nil {
			match = append(match, v)
		}
	}
	return match
}

// notModified reports whether an If-None-Match header lists etag (by weak comparison, as RFC
// 9110 §13.1.2 asks), so that a GET may answer 304.
func notModified(header *string, etag string) bool {
	if header == nil {
		return false
	}
	for _, tag := range strings.Split(*header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if tag == "*" || tag == etag {
			return true
		}
	}
	return false
}

// writtenNotShown is the answer to a write whose record the caller may not read (it lacks the
// resource's read scope): the write took effect, and the caller learns its ETag and, for a
// create, its address, but nothing it could not read.
// A batch has neither ETag nor location: pass "" for either.
func writtenNotShown(etag, location string) api.WrittenNotShownResponse {
	var res api.WrittenNotShownResponse
	if etag != "" {
		res.Headers.ETag = &etag
	}
	if location != "" {
		res.Headers.Location = &location
	}
	return res
}

// ifNoneMatchTags returns the entity tags of an If-None-Match header, unquoted, for a read
// that answers 304 without fetching the bytes when one is current.
func ifNoneMatchTags(header *string) []string {
	if header == nil {
		return nil
	}
	var tags []string
	for _, tag := range strings.Split(*header, ",") {
		tag = strings.TrimPrefix(strings.TrimSpace(tag), "W/")
		if len(tag) >= 2 && tag[0] == '"' && tag[len(tag)-1] == '"' {
			tags = append(tags, tag[1:len(tag)-1])
		}
	}
	return tags
}
