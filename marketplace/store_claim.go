package marketplace

import "time"

// DueResourceTx is an optional capability of the Tx a store hands to
// Update: claiming due resources inside the read-write transaction that
// processes them. RunDue uses it when the Tx implements it; it then reads
// each due resource once and writes it once, in one transaction per batch,
// instead of leasing it (ClaimDue), reading it and writing it in three. A
// store whose Tx does not implement it keeps working through ClaimDue.
//
// A store implementing it must keep ClaimDue's promise across both ways of
// claiming: a resource held by one transaction's DueResources is returned
// by no other DueResources or ClaimDue (in any process) before that
// transaction ends, and afterwards only if it is still due and unleased.
type DueResourceTx interface {
	Tx

	// DueResources returns up to limit resources whose NextDueAt is at or
	// before now and that no lease running at now holds, oldest due first
	// (NextDueAt, then ID), as the transaction sees them (its own writes
	// included), and holds them for the transaction: SQLite's single
	// writer does so by running one transaction at a time, PostgreSQL by
	// SELECT … FOR UPDATE SKIP LOCKED.
	//
	// Errors: *InputError (ErrInvalidInput) for limit < 1; the store's
	// read errors.
	DueResources(now time.Time, limit int) ([]Resource, error)

	// PutResources writes each of vs as PutResource does (the same
	// version check; each written value's Version becomes the new
	// version), in order, and stops at the first failure, which it
	// returns: the values from that one on are unchanged and the caller
	// should fail the transaction. A loop over PutResource is a correct
	// implementation; a store may do better with all of them at once
	// (encode the documents in parallel, send the statements in one round
	// trip).
	//
	// Errors: those of PutResource (*ConflictError, *InputError, the
	// store's).
	PutResources(vs []*Resource) error

	// LeaseResources leases the resources ids to owner until until, as
	// ClaimDue would have, when the transaction commits (and not at all
	// if it rolls back): RunDue leases the due resources it read with
	// DueResources but processes after the commit, outside the
	// transaction. An id that does not exist is ignored.
	//
	// Errors: *InputError (ErrInvalidInput) for an empty owner; the
	// store's write errors.
	LeaseResources(ids []string, owner string, until time.Time) error
}
