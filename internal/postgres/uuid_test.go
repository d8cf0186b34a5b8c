package postgres_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/rapportlib/rapport/internal/postgres"
)

func TestRegisterUUIDEncodesTheSixteenBytes(t *testing.T) {
	m := pgtype.NewMap()
	postgres.RegisterUUID(m)
	id := uuid.New()

	// Without RegisterUUID pgx would still encode the value, through uuid.UUID's driver.Valuer
	// (a string parsed back): the plan is what proves the fast path is taken.
	if plan := fmt.Sprintf("%T", m.PlanEncode(pgtype.UUIDOID, pgtype.BinaryFormatCode, id)); plan != "*postgres.uuidEncodePlan" {
		t.Fatalf("uuid.UUID is encoded by %s, want *postgres.uuidEncodePlan", plan)
	}
	binary, err := m.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, id, nil)
	if err != nil || !bytes.Equal(binary, id[:]) {
		t.Fatalf("binary encoding = %x, %v; want %x", binary, err, id[:])
	}
	text, err := m.Encode(pgtype.UUIDOID, pgtype.TextFormatCode, id, nil)
	if err != nil || string(text) != id.String() {
		t.Fatalf("text encoding = %q, %v; want %q", text, err, id.String())
	}
	// Pointers and arrays reach the same plan through pgx's own wrappers.
	viaPointer, err := m.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, &id, nil)
	if err != nil || !bytes.Equal(viaPointer, id[:]) {
		t.Fatalf("*uuid.UUID encoding = %x, %v; want %x", viaPointer, err, id[:])
	}
	var nilID *uuid.UUID
	if null, err := m.Encode(pgtype.UUIDOID, pgtype.BinaryFormatCode, nilID, nil); err != nil || null != nil {
		t.Fatalf("nil *uuid.UUID = %x, %v; want SQL NULL", null, err)
	}
	ids := []uuid.UUID{uuid.New(), uuid.New()}
	array, err := m.Encode(pgtype.UUIDArrayOID, pgtype.BinaryFormatCode, ids, nil)
	if err != nil {
		t.Fatal(err)
	}
	var back []uuid.UUID
	if err := m.Scan(pgtype.UUIDArrayOID, pgtype.BinaryFormatCode, array, &back); err != nil || len(back) != 2 || back[0] != ids[0] || back[1] != ids[1] {
		t.Fatalf("array round trip = %v, %v; want %v", back, err, ids)
	}
}
