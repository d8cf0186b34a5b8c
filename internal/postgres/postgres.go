// Package postgres keeps Rapport's records in PostgreSQL through pgx. It is the only package
// that speaks SQL or imports pgx: driver errors end here, turned into *rapport.Error kinds.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgerrcode"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rapportlib/rapport/internal/rapport"
)

// Config tunes the connection pool.
type Config struct {
	// MaxConns is the most connections the pool opens. Defaults to pgxpool's default,
	// max(4, number of CPUs).
	MaxConns int32
	// StatementTimeout bounds every statement on the server side. Defaults to 15 seconds.
	StatementTimeout time.Duration
	// ConnectTimeout bounds opening a connection. Defaults to 5 seconds.
	ConnectTimeout time.Duration
	// IdleInTransactionTimeout ends a transaction left idle this long (the server froze or
	// hung while holding it): its locks, an Idempotency-Key's among them, are released, and the
	// change feed, which waits for every open transaction, moves on. Set it to the request
	// timeout: no request holds a transaction longer. Defaults to 30 seconds.
	IdleInTransactionTimeout time.Duration
	// Pooled says the connections go through a pooler in transaction mode (PgBouncer): a
	// server connection serves one transaction and then another client. Statements are then
	// sent without being prepared (pgx's exec mode: parsed and planned on every execution),
	// and no session settings are sent when connecting (PgBouncer refuses most of them): set
	// statement_timeout and idle_in_transaction_session_timeout on the role instead
	// (ALTER ROLE rapport_app SET statement_timeout = '15s').
	Pooled bool
}

// Open connects a store to the database at databaseURL; see OpenPool. Close the store when
// done.
func Open(ctx context.Context, databaseURL string, cfg Config) (*Store, error) {
	pool, err := OpenPool(ctx, databaseURL, cfg)
	if err != nil {
		return nil, err
	}
	return New(pool), nil
}

// New returns a store on a pool that others may share (a job queue on the same database).
// Closing the store closes the pool.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool, clock: func() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }}
}

// OpenPool connects to the database at databaseURL with the settings every user of it needs
// (time zone UTC, statement timeout, the uuid codec) and checks that it answers. A URL that
// does not parse, or a database that does not answer, is an error saying which.
func OpenPool(ctx context.Context, databaseURL string, cfg Config) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		return nil, fmt.Errorf("DATABASE_URL is not a valid PostgreSQL URL: %w", err)
	}
	if cfg.MaxConns > 0 {
		pc.MaxConns = cfg.MaxConns
	}
	pc.ConnConfig.ConnectTimeout = cmpOr(cfg.ConnectTimeout, 5*time.Second)
	pc.ConnConfig.RuntimeParams["application_name"] = "rapport"
	pc.ConnConfig.RuntimeParams["timezone"] = "UTC"
	if cfg.Pooled {
		pc.ConnConfig.DefaultQueryExecMode = pgx.QueryExecModeExec
	} else {
		pc.ConnConfig.RuntimeParams["statement_timeout"] = fmt.Sprint(cmpOr(cfg.StatementTimeout, 15*time.Second).Milliseconds())
		pc.ConnConfig.RuntimeParams["idle_in_transaction_session_timeout"] = fmt.Sprint(cmpOr(cfg.IdleInTransactionTimeout, 30*time.Second).Milliseconds())
		// Every statement is prepared once per connection and its SQL is built for the filters it
		// has (page sizes are literals), so one generic plan suits every execution; planning each
		// execution anew measured as a third of the time of a name search.
		pc.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_generic_plan"
	}
	pc.AfterConnect = func(_ context.Context, conn *pgx.Conn) error {
		RegisterUUID(conn.TypeMap())
		// Statements that are not prepared (Config.Pooled) get no parameter types from the
		// server: these say which type a Go value of the domain is.
		conn.TypeMap().RegisterDefaultPgType([]rapport.Scope(nil), "_text")
		conn.TypeMap().RegisterDefaultPgType(uuid.UUID{}, "uuid")
		conn.TypeMap().RegisterDefaultPgType([]uuid.UUID(nil), "_uuid")
		conn.TypeMap().RegisterDefaultPgType([]*uuid.UUID(nil), "_uuid")
		conn.TypeMap().RegisterDefaultPgType([]*string(nil), "_text")
		return nil
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("open database pool: %w", err)
	}
	pingCtx, cancel := context.WithTimeout(ctx, pc.ConnConfig.ConnectTimeout)
	defer cancel()
	if err := pool.Ping(pingCtx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("database at %s:%d does not answer: %s", pc.ConnConfig.Host, pc.ConnConfig.Port, oneLine(err))
	}
	return pool, nil
}

// oneLine flattens the lines pgx writes for each address it tried into one line, without
// repeats, so that a failed start says what went wrong in one line.
func oneLine(err error) string {
	var parts []string
	for _, line := range strings.Split(err.Error(), "\n") {
		if line = strings.TrimSpace(line); line != "" && !slices.Contains(parts, line) {
			parts = append(parts, line)
		}
	}
	return strings.Join(parts, " ")
}

func cmpOr(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Store keeps every kind of record. Its methods are safe for concurrent use.
type Store struct {
	pool  *pgxpool.Pool
	clock func() time.Time            // the time of a unit of work, in UTC to the microsecond PostgreSQL keeps
	codec atomic.Pointer[cursorCodec] // seals page cursors; read from the database on first use (cursors)

	photoLogOnce sync.Once
	photoLog     *photoReadLog // the log of single photos served; started on first use (photoReads)
}

// Pool returns the store's connection pool, for what shares the database (a job queue).
func (s *Store) Pool() *pgxpool.Pool {
	return s.pool
}

// Close stops the photo read log's writer and closes the store's connections, waiting for
// those in use to be released.
func (s *Store) Close() {
	s.photoReads().stop() // a read after this is refused, not left waiting
	s.pool.Close()
}

// PoolStats is a snapshot of the connection pool, for metrics.
type PoolStats struct {
	MaxConns, TotalConns, IdleConns, AcquiredConns        int32
	AcquireCount, EmptyAcquireCount, CanceledAcquireCount int64
	AcquireDuration                                       time.Duration
}

// Stats returns a snapshot of the connection pool.
func (s *Store) Stats() PoolStats {
	st := s.pool.Stat()
	return PoolStats{
		MaxConns: st.MaxConns(), TotalConns: st.TotalConns(), IdleConns: st.IdleConns(), AcquiredConns: st.AcquiredConns(),
		AcquireCount: st.AcquireCount(), EmptyAcquireCount: st.EmptyAcquireCount(),
		CanceledAcquireCount: st.CanceledAcquireCount(), AcquireDuration: st.AcquireDuration(),
	}
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return interpretError(fmt.Errorf("ping database: %w", err))
	}
	return nil
}

// constraintFields names the request field behind each unique or foreign-key constraint, so
// that a violation points at what the caller sent.
var constraintFields = map[string]rapport.FieldError{
	// Slugs and client ids are unique across districts (public addresses and the token endpoint
	// carry no district), so the message is the same whoever holds the value: it must not tell
	// one district which values another uses.
	"schools_slug_key":               {Pointer: "#/slug", Detail: "is not available; choose another"},
	"schools_sourced_id_key":         {Pointer: "#/sourced_id", Detail: "is taken by another school of the district"},
	"api_clients_client_id_key":      {Pointer: "#/client_id", Detail: "is not available; choose another, or leave it out for a random one"},
	"api_client_schools_school_fkey": {Pointer: "#/school_ids", Detail: "names a school that is not in the district"},
	"patrons_sourced_id_key":         {Pointer: "#/sourced_id", Detail: "is taken by another patron of the district"},
	"patrons_sis_id_key":             {Pointer: "#/sis_id", Detail: "is taken by another patron of the district"},
	"patrons_barcode_key":            {Pointer: "#/barcode", Detail: "is taken by another patron of the district"},
	"patrons_lms_id_key":             {Pointer: "#/lms_id", Detail: "is taken by another patron of the district"},
	"patrons_school_fkey":            {Pointer: "#/school_id", Detail: "is not a school the client can see"},

	// Interactions; the application checks these first, so they only back it up.
	"interactions_school_fkey":        {Pointer: "#/school_id", Detail: "is not a school the client can see"},
	"interactions_referral_check":     {Pointer: "#/referral", Detail: "is required when the outcome is referred, and only then"},
	"interaction_patrons_patron_fkey": {Pointer: "#/patron_ids", Detail: "names a patron that is not in the district"},

	// Feedback.
	"campaigns_school_fkey":         {Pointer: "#/school_id", Detail: "is not a school the client can see"},
	"feedback_items_school_fkey":    {Pointer: "#/school_id", Detail: "is not a school the client can see"},
	"feedback_items_patron_fkey":    {Pointer: "#/patron_id", Detail: "is not a patron the client can see"},
	"feedback_items_campaign_fkey":  {Pointer: "#/campaign_id", Detail: "is not a campaign of the item's school"},
	"feedback_items_decision_check": {Pointer: "#/text", Detail: "is required for a decision, and only for one"},
}

// stateConstraints are the rules of state machines that the database enforces with triggers. A
// move they refuse conflicts with the record's current state, and the message the database
// gives, written in the migration, says which state that is.
var stateConstraints = map[string]bool{
	"feedback_items_status_transition": true,
}

// interpretError turns driver failures into the kinds of rapport.Error the caller can act on:
// a violated unique constraint is Conflict, a violated foreign key or check is Unprocessable,
// a move a state machine refuses (stateConstraints) is Conflict, an unreachable or overloaded
// database is Unavailable. Other errors pass through as they are, and so become internal errors.
func interpretError(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*rapport.Error](err); ok {
		return err
	}
	// Whatever the server said when refusing a connection (no such database, too many
	// clients, starting up), the database is not available to us.
	if _, ok := errors.AsType[*pgconn.ConnectError](err); ok {
		return rapport.Errorf(rapport.Unavailable, "the database is not available")
	}
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
		field, known := constraintFields[pgErr.ConstraintName]
		switch {
		case stateConstraints[pgErr.ConstraintName]:
			return rapport.Errorf(rapport.Conflict, "%s", pgErr.Message)
		case pgErr.Code == pgerrcode.UniqueViolation:
			e := &rapport.Error{Kind: rapport.Conflict, Message: "a record with the same value exists"}
			if known {
				e.Message = field.Pointer[2:] + " " + field.Detail
				e.Fields = []rapport.FieldError{field}
			}
			return e
		case pgErr.Code == pgerrcode.ForeignKeyViolation || pgErr.Code == pgerrcode.CheckViolation:
			e := &rapport.Error{Kind: rapport.Unprocessable, Message: "the request breaks a rule of the data"}
			if known {
				e.Message = field.Pointer[2:] + " " + field.Detail
				e.Fields = []rapport.FieldError{field}
			}
			return e
		case pgErr.Code == pgerrcode.SerializationFailure || pgErr.Code == pgerrcode.DeadlockDetected:
			return rapport.Errorf(rapport.Conflict, "the record was changed by another request at the same time; try again")
		case pgErr.Code == pgerrcode.QueryCanceled || pgErr.Code == pgerrcode.IdleInTransactionSessionTimeout:
			return rapport.Errorf(rapport.Unavailable, "the database took too long to answer")
		case pgerrcode.IsConnectionException(pgErr.Code) || pgerrcode.IsInsufficientResources(pgErr.Code) ||
			pgerrcode.IsOperatorIntervention(pgErr.Code):
			return rapport.Errorf(rapport.Unavailable, "the database is not available")
		}
		return err
	}
	if _, ok := errors.AsType[net.Error](err); ok {
		return rapport.Errorf(rapport.Unavailable, "the database is not available")
	}
	// A caller that went away is not the database's fault: neither unavailable nor an error
	// worth logging.
	if errors.Is(err, context.Canceled) {
		return &rapport.Error{Kind: rapport.Canceled, Message: "the request was canceled"}
	}
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, pgconn.ErrConnClosed) ||
		pgconn.Timeout(err) || errors.Is(err, context.DeadlineExceeded) {
		return rapport.Errorf(rapport.Unavailable, "the database did not answer in time")
	}
	return err
}

// inTx runs fn in a transaction, committing when it returns nil. Inside a transaction the
// request holds (WithTx), it runs in a savepoint of it instead, so that a refused change leaves
// the rest of the request's work intact. Errors are interpreted.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	if a, ok := ctx.Value(txKey{}).(ambient); ok {
		return interpretError(pgx.BeginFunc(ctx, a.tx, fn))
	}
	return interpretError(pgx.BeginFunc(ctx, s.pool, fn))
}

// querier returns what a single statement runs through: the transaction the request holds,
// if any, or the pool.
func (s *Store) querier(ctx context.Context) querier {
	if a, ok := ctx.Value(txKey{}).(ambient); ok {
		return a.tx
	}
	return s.pool
}

// now returns the time of a unit of work: the time of the transaction the request holds, if
// any, so that one transaction has one time, or else the clock's.
func (s *Store) now(ctx context.Context) time.Time {
	if a, ok := ctx.Value(txKey{}).(ambient); ok {
		return a.now
	}
	return s.clock()
}

// notFound returns the error for a record absent or outside the caller's scope.
func notFound(what string) error {
	return rapport.Errorf(rapport.NotFound, "%s not found", what)
}

// checkMatch returns PreconditionFailed when match is set and does not list version.
func checkMatch(what string, match rapport.Match, version int) error {
	if match == nil {
		return nil
	}
	for _, v := range match {
		if v == version {
			return nil
		}
	}
	return rapport.Errorf(rapport.PreconditionFailed, "the %s was changed since the ETag in If-Match; fetch it again", what)
}

// nullIfEmpty returns nil for "", so that an absent optional text is stored as NULL.
func nullIfEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// querier is what both the pool and a transaction can do, so that read helpers serve both.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
}

// nullIfZero returns nil for 0, so that an absent optional number is stored as NULL.
func nullIfZero(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}
