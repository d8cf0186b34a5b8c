// Command baseline is the minimal server the benchmark measures Rapport against: net/http and
// a pgxpool, with no authentication, no validation, no middleware and no layers. It answers the
// benchmarked operations with the same SQL Rapport runs (internal/postgres; for search and a
// patron's history, Rapport's store itself) and the same JSON members (the Patron, Note and
// Interaction schemas of openapi.yaml), so that in the ratio Rapport ÷ baseline the database
// work cancels out and what remains is the cost of what Rapport adds around it: Echo, the
// middleware chain, validation against the spec, token checks, rate limiting, logging, metrics
// and the mapping between layers. The two creates are the least a handler can do instead: one
// INSERT statement each.
//
//	GET  /patrons/{id}               one patron
//	GET  /patrons?limit&cursor       a keyset page ordered by family name, given name, id
//	GET  /patrons?q=…                name search
//	GET  /patrons/{id}/interactions  a patron's history, newest first (Rapport's store)
//	POST /patrons/{id}/notes         add a note: one INSERT … RETURNING
//	POST /interactions               record an interaction and its patrons: one statement
//
// It serves one district, named by -district or else the one with the slug bench-usd.
package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rapportlib/rapport/internal/postgres"
	"github.com/rapportlib/rapport/internal/rapport"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18081", "listen address")
	dbURL := flag.String("database-url", os.Getenv("DATABASE_URL"), "PostgreSQL URL (default $DATABASE_URL)")
	conns := flag.Int("conns", 8, "connections in the pool (Rapport's RAPPORT_DB_MAX_CONNS in the benchmark)")
	district := flag.String("district", "", "the district served (default: the one with slug bench-usd)")
	pprofAddr := flag.String("pprof", "", "serve Go's profiler (/debug/pprof/) on this address, to compare profiles with Rapport's")
	flag.Parse()

	if *pprofAddr != "" {
		// The profiler's handlers register on http.DefaultServeMux, which the API does not use.
		go func() { log.Printf("baseline: pprof: %v", http.ListenAndServe(*pprofAddr, nil)) }()
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *addr, *dbURL, int32(*conns), *district); err != nil {
		log.Fatalf("baseline: %v", err)
	}
}

func run(ctx context.Context, addr, dbURL string, conns int32, district string) error {
	cfg, err := pgxpool.ParseConfig(dbURL)
	if err != nil {
		return fmt.Errorf("database URL: %w", err)
	}
	cfg.MaxConns = conns
	cfg.ConnConfig.RuntimeParams["application_name"] = "rapport-baseline"
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	// The same fast path for uuid arguments as Rapport's pool, so that the ratio does not count
	// it as Rapport's gain.
	cfg.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		postgres.RegisterUUID(conn.TypeMap())
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()

	store, err := postgres.Open(ctx, dbURL, postgres.Config{MaxConns: conns})
	if err != nil {
		return err
	}
	defer store.Close()
	a := &api{db: pool, store: store}
	if district != "" {
		a.district, err = uuid.Parse(district)
	} else {
		err = pool.QueryRow(ctx, `SELECT id FROM districts WHERE slug = 'bench-usd'`).Scan(&a.district)
	}
	if err != nil {
		return fmt.Errorf("find the district: %w", err)
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /patrons/{id}", a.getPatron)
	mux.HandleFunc("GET /patrons", a.listPatrons)
	mux.HandleFunc("POST /patrons/{id}/notes", a.createNote)
	mux.HandleFunc("GET /patrons/{id}/interactions", a.listPatronInteractions)
	mux.HandleFunc("POST /interactions", a.createInteraction)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}

	served := make(chan error, 1)
	go func() { served <- srv.ListenAndServe() }()
	log.Printf("baseline: serving district %s on http://%s with %d connections", a.district, addr, conns)
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}

type api struct {
	db       *pgxpool.Pool
	store    *postgres.Store // for search and histories, which run Rapport's own queries
	district uuid.UUID
}

// actor has the members of the Actor schema.
type actor struct {
	ActingUser       *string `json:"acting_user,omitempty"`
	ActingUserSource *string `json:"acting_user_source,omitempty"`
	ClientID         string  `json:"client_id"`
}

// newActor is who made a change: a client and, when one was named, the member of staff it
// asserted it acted for.
func newActor(clientID, actingUser string) actor {
	a := actor{ClientID: clientID, ActingUser: optional(actingUser)}
	if actingUser != "" {
		a.ActingUserSource = optional("client_assertion")
	}
	return a
}

// patron has the members of the Patron schema, in the order Rapport writes them.
type patron struct {
	Barcode           *string    `json:"barcode,omitempty"`
	CreatedAt         time.Time  `json:"created_at"`
	CreatedBy         actor      `json:"created_by"`
	DisplayName       string     `json:"display_name"`
	Email             *string    `json:"email,omitempty"`
	ErasedAt          *time.Time `json:"erased_at,omitempty"`
	FamilyName        string     `json:"family_name"`
	GivenName         string     `json:"given_name"`
	Grade             *string    `json:"grade,omitempty"`
	Homeroom          *string    `json:"homeroom,omitempty"`
	ID                uuid.UUID  `json:"id"`
	Interests         []string   `json:"interests"`
	LMSID             *string    `json:"lms_id,omitempty"`
	NamePronunciation *string    `json:"name_pronunciation,omitempty"`
	PreferredName     *string    `json:"preferred_name,omitempty"`
	Pronouns          *string    `json:"pronouns,omitempty"`
	Role              string     `json:"role"`
	SchoolID          uuid.UUID  `json:"school_id"`
	SISID             *string    `json:"sis_id,omitempty"`
	SourcedID         *string    `json:"sourced_id,omitempty"`
	Status            string     `json:"status"`
	UpdatedAt         time.Time  `json:"updated_at"`
	UpdatedBy         actor      `json:"updated_by"`
}

// patronColumns is Rapport's column list (internal/postgres/patron.go), so that PostgreSQL does
// the same work for both servers.
const patronColumns = `p.id, p.district_id, p.school_id, p.role, p.given_name, p.family_name,
	coalesce(p.preferred_name, ''), coalesce(p.pronouns, ''), coalesce(p.name_pronunciation, ''),
	coalesce(p.grade, ''), coalesce(p.homeroom, ''), coalesce(p.email, ''),
	coalesce(p.sourced_id, ''), coalesce(p.sis_id, ''), coalesce(p.barcode, ''), coalesce(p.lms_id, ''),
	p.status, p.interests, p.erased_at, p.version,
	p.created_at, p.created_by_client, coalesce(p.created_by_user, ''),
	p.updated_at, p.updated_by_client, coalesce(p.updated_by_user, '')`

// scanPatron reads one row of patronColumns into the JSON shape: empty texts become absent
// members, as Rapport renders them.
func scanPatron(row pgx.Row) (patron, error) {
	var p patron
	var districtID uuid.UUID
	var version int
	var preferred, pronouns, pronunciation, grade, homeroom, email, sourcedID, sisID, barcode, lmsID string
	var createdByUser, updatedByUser string
	err := row.Scan(&p.ID, &districtID, &p.SchoolID, &p.Role, &p.GivenName, &p.FamilyName,
		&preferred, &pronouns, &pronunciation, &grade, &homeroom, &email,
		&sourcedID, &sisID, &barcode, &lmsID, &p.Status, &p.Interests, &p.ErasedAt, &version,
		&p.CreatedAt, &p.CreatedBy.ClientID, &createdByUser,
		&p.UpdatedAt, &p.UpdatedBy.ClientID, &updatedByUser)
	if err != nil {
		return p, err
	}
	p.PreferredName, p.Pronouns, p.NamePronunciation = optional(preferred), optional(pronouns), optional(pronunciation)
	p.Grade, p.Homeroom, p.Email = optional(grade), optional(homeroom), optional(email)
	p.SourcedID, p.SISID, p.Barcode, p.LMSID = optional(sourcedID), optional(sisID), optional(barcode), optional(lmsID)
	p.CreatedBy, p.UpdatedBy = newActor(p.CreatedBy.ClientID, createdByUser), newActor(p.UpdatedBy.ClientID, updatedByUser)
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	if p.Interests == nil {
		p.Interests = []string{}
	}
	first := preferred
	if first == "" {
		first = p.GivenName
	}
	p.DisplayName = strings.TrimSpace(first + " " + p.FamilyName)
	return p, nil
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (a *api) getPatron(w http.ResponseWriter, r *http.Request) {
	id, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		http.Error(w, "bad id", http.StatusBadRequest)
		return
	}
	p, err := scanPatron(a.db.QueryRow(r.Context(),
		`SELECT `+patronColumns+` FROM patrons p WHERE p.id = $1 AND p.district_id = $2`, id, a.district))
	if errors.Is(err, pgx.ErrNoRows) {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

type patronList struct {
	Data       []patron `json:"data"`
	NextCursor *string  `json:"next_cursor,omitempty"`
}

// listPatrons serves a page by name, or the search when q is given.
func (a *api) listPatrons(w http.ResponseWriter, r *http.Request) {
	size := 50
	if n, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && n >= 1 && n <= 200 {
		size = n
	}
	if q := r.URL.Query().Get("q"); q != "" {
		a.searchPatrons(w, r, q, size)
		return
	}
	// The same keyset query as Rapport's listPatronsByName: one row more than the page, to
	// know whether another page follows.
	sql := `SELECT ` + patronColumns + ` FROM patrons p WHERE p.district_id = $1 AND p.erased_at IS NULL`
	args := []any{a.district}
	if c := r.URL.Query().Get("cursor"); c != "" {
		family, given, id, err := decodeCursor(c)
		if err != nil {
			http.Error(w, "bad cursor", http.StatusBadRequest)
			return
		}
		sql += ` AND (p.family_name, p.given_name, p.id) > ($2, $3, $4)`
		args = append(args, family, given, id)
	}
	args = append(args, size+1)
	sql += ` ORDER BY p.family_name, p.given_name, p.id LIMIT $` + strconv.Itoa(len(args))
	items, err := a.queryPatrons(r.Context(), sql, args)
	if err != nil {
		fail(w, err)
		return
	}
	out := patronList{Data: items}
	if len(items) > size {
		out.Data = items[:size]
		last := items[size-1]
		c := encodeCursor(last.FamilyName, last.GivenName, last.ID)
		out.NextCursor = &c
	}
	writeJSON(w, http.StatusOK, out)
}

// searchPatrons answers with Rapport's own search (internal/postgres), the same queries in the
// same order, so that the ratio shows what Rapport's HTTP layer adds around them.
func (a *api) searchPatrons(w http.ResponseWriter, r *http.Request, query string, size int) {
	page, err := a.store.ListPatrons(r.Context(), rapport.TenantScope{DistrictID: a.district},
		rapport.PatronFilter{Query: query}, rapport.PageRequest{Limit: size})
	if err != nil {
		fail(w, err)
		return
	}
	items := make([]patron, len(page.Items))
	for i, p := range page.Items {
		items[i] = toPatron(p)
	}
	writeJSON(w, http.StatusOK, patronList{Data: items})
}

// toPatron renders a patron of the store as scanPatron renders a row.
func toPatron(p rapport.Patron) patron {
	out := patron{
		ID: p.ID, SchoolID: p.SchoolID, Role: string(p.Role), GivenName: p.GivenName, FamilyName: p.FamilyName,
		PreferredName: optional(p.PreferredName), DisplayName: p.DisplayName(), Pronouns: optional(p.Pronouns),
		NamePronunciation: optional(p.NamePronunciation), Grade: optional(p.Grade), Homeroom: optional(p.Homeroom),
		Email: optional(p.Email), SourcedID: optional(p.SourcedID), SISID: optional(p.SISID), Barcode: optional(p.Barcode),
		LMSID: optional(p.LMSID), Status: string(p.Status), Interests: p.Interests,
		CreatedAt: p.CreatedAt.UTC(), CreatedBy: newActor(p.CreatedBy.ClientID, p.CreatedBy.ActingUser),
		UpdatedAt: p.UpdatedAt.UTC(), UpdatedBy: newActor(p.UpdatedBy.ClientID, p.UpdatedBy.ActingUser),
	}
	if out.Interests == nil {
		out.Interests = []string{}
	}
	if p.Erased() {
		erased := p.ErasedAt.UTC()
		out.ErasedAt = &erased
	}
	return out
}

func (a *api) queryPatrons(ctx context.Context, sql string, args []any) ([]patron, error) {
	rows, err := a.db.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (patron, error) { return scanPatron(row) })
}

// likeEscape makes user input match literally in a LIKE pattern.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// A cursor is base64url of the JSON array [family_name, given_name, id], like Rapport's; both
// are opaque to clients.
func encodeCursor(family, given string, id uuid.UUID) string {
	b, _ := json.Marshal([]any{family, given, id})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeCursor(c string) (family, given string, id uuid.UUID, err error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err != nil {
		return "", "", uuid.Nil, err
	}
	var key []json.RawMessage
	if err := json.Unmarshal(b, &key); err != nil || len(key) != 3 {
		return "", "", uuid.Nil, fmt.Errorf("not a cursor: %s", b)
	}
	for i, dst := range []any{&family, &given, &id} {
		if err := json.Unmarshal(key[i], dst); err != nil {
			return "", "", uuid.Nil, err
		}
	}
	return family, given, id, nil
}

// note has the members of the Note schema; follow_up is never set here.
type note struct {
	Body       string    `json:"body"`
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  actor     `json:"created_by"`
	ID         uuid.UUID `json:"id"`
	Kind       string    `json:"kind"`
	PatronID   uuid.UUID `json:"patron_id"`
	SchoolID   uuid.UUID `json:"school_id"`
	UpdatedAt  time.Time `json:"updated_at"`
	UpdatedBy  actor     `json:"updated_by"`
	Visibility string    `json:"visibility"`
}

// createNote adds a note with one INSERT that takes the district and school from the patron
// row. Rapport does more (a transaction that locks the patron and checks it is not erased);
// the difference is part of what the ratio shows.
func (a *api) createNote(w http.ResponseWriter, r *http.Request) {
	patronID, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		http.Error(w, "bad id", http.StatusBadRequest)
		return
	}
	var in struct {
		Body       string `json:"body"`
		Kind       string `json:"kind"`
		Visibility string `json:"visibility"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		http.Error(w, "bad body", http.StatusBadRequest)
		return
	}
	in.Kind, in.Visibility = cmpOr(in.Kind, "other"), cmpOr(in.Visibility, "library")
	var n note
	var createdByUser, updatedByUser string
	err = a.db.QueryRow(r.Context(), `
		INSERT INTO notes (id, district_id, school_id, patron_id, body, kind, visibility, created_by_client, updated_by_client)
		SELECT $1, p.district_id, p.school_id, p.id, $2, $3, $4, 'bench', 'bench'
		FROM patrons p
		WHERE p.id = $5 AND p.district_id = $6
		RETURNING id, school_id, patron_id, body, kind, visibility,
			created_at, created_by_client, coalesce(created_by_user, ''),
			updated_at, updated_by_client, coalesce(updated_by_user, '')`,
		uuid.Must(uuid.NewV7()), in.Body, in.Kind, in.Visibility, patronID, a.district).
		Scan(&n.ID, &n.SchoolID, &n.PatronID, &n.Body, &n.Kind, &n.Visibility,
			&n.CreatedAt, &n.CreatedBy.ClientID, &createdByUser,
			&n.UpdatedAt, &n.UpdatedBy.ClientID, &updatedByUser)
	if errors.Is(err, pgx.ErrNoRows) {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	if err != nil {
		fail(w, err)
		return
	}
	n.CreatedBy, n.UpdatedBy = newActor(n.CreatedBy.ClientID, createdByUser), newActor(n.UpdatedBy.ClientID, updatedByUser)
	n.CreatedAt, n.UpdatedAt = n.CreatedAt.UTC(), n.UpdatedAt.UTC()
	w.Header().Set("Location", "/notes/"+n.ID.String())
	writeJSON(w, http.StatusCreated, n)
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// writeJSON marshals first, so that the answer carries a Content-Length.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// fail answers 500; the load generator counts it as an error, and the log says why.
func fail(w http.ResponseWriter, err error) {
	log.Printf("baseline: %v", err)
	http.Error(w, "internal error", http.StatusInternalServerError)
}
