package postgres

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/rapportlib/rapport/internal/rapport"
)

// photoReadLog writes the access log of single photos served, and counts them against each
// client's daily cap, by group commit: a read waits until its log row is committed before the
// photo is sent (a photo is never served unlogged), but the rows of all the reads waiting at
// once go in one transaction. A commit per read, and one counter row per client updated by
// every read, would make the reads of a client queue one behind the other on that row and on
// the log's flush to disk; a batch pays for both once.
//
// The count a client is held to is what the database counted (the last batch's total, read
// back) plus what this replica let through since: exact on one replica, and on several behind
// by what the others let through in the last batch or so.
type photoReadLog struct {
	store    *Store
	queue    chan *photoRead
	stopped  chan struct{}
	stopOnce sync.Once

	mu     sync.Mutex
	counts map[clientDay]*dailyReads
}

// clientDay names a client's count of a day (UTC).
type clientDay struct {
	client uuid.UUID
	day    string
}

// dailyReads is what this replica knows of a client's reads of a day.
type dailyReads struct {
	counted int64 // what the database had counted at the last batch (or first lookup)
	pending int64 // reads let through since, not yet counted
}

// photoRead is one read waiting for its log row.
type photoRead struct {
	district, patron uuid.UUID
	detail           string
	by               rapport.Actor
	requestID        string
	at               time.Time
	key              clientDay
	done             chan error
}

// photoReadBatch is the most reads one transaction logs.
const photoReadBatch = 1000

// photoReads returns the store's photo read log, starting its writer on first use.
func (s *Store) photoReads() *photoReadLog {
	s.photoLogOnce.Do(func() {
		s.photoLog = &photoReadLog{store: s, queue: make(chan *photoRead, photoReadBatch),
			stopped: make(chan struct{}), counts: map[clientDay]*dailyReads{}}
		go s.photoLog.run()
	})
	return s.photoLog
}

// reserve lets one more read of the client's today through, or reports false when its cap is
// reached. A read let through is either logged (log) or handed back (release).
func (l *photoReadLog) reserve(ctx context.Context, key clientDay, dailyCap int) (bool, error) {
	l.mu.Lock()
	reads, ok := l.counts[key]
	l.mu.Unlock()
	if !ok {
		// First read of the day on this replica: what the others counted.
		var counted int64
		err := l.store.pool.QueryRow(ctx, `SELECT coalesce((SELECT reads FROM photo_reads_daily WHERE client_uuid = $1 AND day = $2), 0)`,
			key.client, key.day).Scan(&counted)
		if err != nil {
			return false, interpretError(fmt.Errorf("read the daily photo count: %w", err))
		}
		l.mu.Lock()
		if reads, ok = l.counts[key]; !ok {
			reads = &dailyReads{counted: counted}
			l.counts[key] = reads
		}
		l.mu.Unlock()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if reads.counted+reads.pending >= int64(dailyCap) {
		return false, nil
	}
	reads.pending++
	return true, nil
}

// release hands back a read reserve let through that served nothing.
func (l *photoReadLog) release(key clientDay) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if reads, ok := l.counts[key]; ok && reads.pending > 0 {
		reads.pending--
	}
}

// log writes the read's log row and counts it, returning once it is committed. The read's
// reservation is settled either way: by the batch that takes it, or here when none does.
func (l *photoReadLog) log(ctx context.Context, r *photoRead) error {
	r.done = make(chan error, 1)
	select {
	case l.queue <- r:
	case <-l.stopped:
		l.release(r.key)
		return rapport.Errorf(rapport.Unavailable, "the server is stopping")
	case <-ctx.Done():
		l.release(r.key)
		return ctx.Err()
	}
	select {
	case err := <-r.done:
		return err
	case <-l.stopped:
		return rapport.Errorf(rapport.Unavailable, "the server is stopping")
	case <-ctx.Done():
		return ctx.Err() // the row may still be written: the log then holds a read not sent
	}
}

// run writes batches until the store closes: it waits for a read, takes every read waiting
// then (up to a batch), and writes them in one transaction.
func (l *photoReadLog) run() {
	for {
		var batch []*photoRead
		select {
		case r := <-l.queue:
			batch = append(batch, r)
		case <-l.stopped:
			return
		}
	more:
		for len(batch) < photoReadBatch {
			select {
			case r := <-l.queue:
				batch = append(batch, r)
			default:
				break more
			}
		}
		err := l.write(batch)
		for _, r := range batch {
			r.done <- err
		}
	}
}

// write logs a batch of reads and adds them to their clients' daily counts, then learns the
// counts the database now holds.
func (l *photoReadLog) write(batch []*photoRead) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	n := len(batch)
	districts, patrons := make([]uuid.UUID, n), make([]uuid.UUID, n)
	details, clients, users, sources, requests := make([]string, n), make([]string, n), make([]*string, n), make([]*string, n), make([]*string, n)
	ats := make([]time.Time, n)
	perDay := map[clientDay]int64{}
	for i, r := range batch {
		districts[i], patrons[i], details[i], clients[i] = r.district, r.patron, r.detail, r.by.ClientID
		users[i], sources[i], requests[i] = nullIfEmpty(r.by.ActingUser), nullIfEmpty(string(r.by.ActingUserSource)), nullIfEmpty(r.requestID)
		ats[i] = r.at
		perDay[r.key]++
	}
	dayClients, days, counts := make([]uuid.UUID, 0, len(perDay)), make([]string, 0, len(perDay)), make([]int64, 0, len(perDay))
	for key, count := range perDay {
		dayClients, days, counts = append(dayClients, key.client), append(days, key.day), append(counts, count)
	}
	// One statement, so one round trip: a statement is atomic on its own.
	totals := map[clientDay]int64{}
	rows, err := l.store.pool.Query(ctx, `
		WITH logged AS (
			INSERT INTO access_log (district_id, patron_id, resource, detail, client_id, acting_user, acting_user_source, request_id, accessed_at)
			SELECT u.district, u.patron, 'photo', u.detail, u.client, u.acting_user, u.source, u.request, u.at
			FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamptz[])
				AS u(district, patron, detail, client, acting_user, source, request, at)
		)
		INSERT INTO photo_reads_daily (client_uuid, day, reads)
		SELECT * FROM unnest($9::uuid[], $10::date[], $11::bigint[]) ORDER BY 1, 2
		ON CONFLICT (client_uuid, day) DO UPDATE SET reads = photo_reads_daily.reads + EXCLUDED.reads
		RETURNING client_uuid, day::text, reads`,
		districts, patrons, details, clients, users, sources, requests, ats, dayClients, days, counts)
	if err == nil {
		for rows.Next() {
			var key clientDay
			var total int64
			if err = rows.Scan(&key.client, &key.day, &total); err != nil {
				break
			}
			totals[key] = total
		}
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
	}
	if err != nil {
		err = interpretError(fmt.Errorf("log photo reads: %w", err))
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for key, count := range perDay {
		reads, ok := l.counts[key]
		if !ok {
			continue
		}
		reads.pending -= count
		if err == nil {
			reads.counted = totals[key]
		}
	}
	// Yesterday's counts are no use any more.
	today := time.Now().UTC().Format(time.DateOnly)
	for key := range l.counts {
		if key.day < today && l.counts[key].pending == 0 {
			delete(l.counts, key)
		}
	}
	return err
}

// stop ends the writer; reads still waiting are refused. Stopping twice is stopping once.
func (l *photoReadLog) stop() {
	l.stopOnce.Do(func() { close(l.stopped) })
}
