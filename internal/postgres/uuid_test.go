package postgres_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/rapportlib/rapport/internal/postgres"
)

// TestRegisterUUID checks that uuid.UUID values are encoded and scanned by the direct plans,
// in both formats, alone, behind pointers and in arrays. Without RegisterUUID pgx would still
// manage, through uuid.UUID's driver.Valuer and sql.Scanner: the plans' types are what show
// that the fast path is taken.
func TestRegisterUUID(t *testing.T) {
	m := pgtype.NewMap()
	postgres.RegisterUUID(m)
	id := uuid.New()

	for format, want := range map[int16]string{pgtype.BinaryFormatCode: "postgres.encodeUUIDBinary", pgtype.TextFormatCode: "postgres.encodeUUIDText"} {
		if plan := fmt.Sprintf("%T", m.PlanEncode(pgtype.UUIDOID, format, id)); plan != want {
			t.Errorf("uuid.UUID in format %d is encoded by %s, want %s", format, plan, want)
		}
	}
	for format, want := range map[int16]string{pgtype.BinaryFormatCode: "postgres.scanUUIDBinary", pgtype.TextFormatCode: "postgres.scanUUIDText"} {
		if plan := fmt.Sprintf("%T", m.PlanScan(pgtype.UUIDOID, format, &id)); plan != want {
			t.Errorf("*uuid.UUID in format %d is scanned by %s, want %s", format, plan, want)
		}
	}

	binary, err := m.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, id, nil)
	if err != nil || !bytes.Equal(binary, id[:]) {
		t.Fatalf("binary encoding = %x, %v; want %x", binary, err, id[:])
	}
	text, err := m.Encode(pgtype.UUIDOID, pgtype.TextFormatCode, id, nil)
	if err != nil || string(text) != id.String() {
		t.Fatalf("text encoding = %q, %v; want %q", text, err, id.String())
	}
	var fromBinary, fromText uuid.UUID
	if err := m.Scan(pgtype.UUIDOID, pgtype.BinaryFormatCode, binary, &fromBinary); err != nil || fromBinary != id {
		t.Fatalf("binary scan = %v, %v; want %v", fromBinary, err, id)
	}
	if err := m.Scan(pgtype.UUIDOID, pgtype.TextFormatCode, text, &fromText); err != nil || fromText != id {
		t.Fatalf("text scan = %v, %v; want %v", fromText, err, id)
	}
	if err := m.Scan(pgtype.UUIDOID, pgtype.BinaryFormatCode, nil, &fromBinary); err == nil {
		t.Fatal("scanning NULL into *uuid.UUID succeeded")
	}
	if err := m.Scan(pgtype.UUIDOID, pgtype.BinaryFormatCode, []byte{1, 2, 3}, &fromBinary); err == nil {
		t.Fatal("scanning 3 bytes into *uuid.UUID succeeded")
	}

	// Pointers: a nil one is SQL NULL, and NULL scans into a nil one.
	viaPointer, err := m.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, &id, nil)
	if err != nil || !bytes.Equal(viaPointer, id[:]) {
		t.Fatalf("*uuid.UUID encoding = %x, %v; want %x", viaPointer, err, id[:])
	}
	var nilID *uuid.UUID
	if null, err := m.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, nilID, nil); err != nil || null != nil {
		t.Fatalf("nil *uuid.UUID = %x, %v; want SQL NULL", null, err)
	}
	maybe := &id
	if err := m.Scan(pgtype.UUIDOID, pgtype.BinaryFormatCode, nil, &maybe); err != nil || maybe != nil {
		t.Fatalf("NULL into **uuid.UUID = %v, %v; want nil", maybe, err)
	}

	ids := []uuid.UUID{uuid.New(), uuid.New()}
	for _, format := range []int16{pgtype.BinaryFormatCode, pgtype.TextFormatCode} {
		array, err := m.Encode(pgtype.UUIDArrayOID, format, ids, nil)
		if err != nil {
			t.Fatal(err)
		}
		var back []uuid.UUID
		if err := m.Scan(pgtype.UUIDArrayOID, format, array, &back); err != nil || len(back) != 2 || back[0] != ids[0] || back[1] != ids[1] {
			t.Fatalf("array round trip in format %d = %v, %v; want %v", format, back, err, ids)
		}
	}
}
