package memory

import (
	"cmp"
	"slices"
	"time"

	"github.com/opengallery/opengallery/marketplace"
)

var _ marketplace.DueResourceTx = (*tx)(nil)

// leaseOp is a lease LeaseResources takes when its transaction commits.
type leaseOp struct {
	owner string
	until time.Time
}

// DueResources implements marketplace.DueResourceTx. Update holds the
// store's lock until it commits, so no other transaction or ClaimDue sees
// the resources before then.
//
// Errors: *marketplace.InputError for limit < 1; decoding errors.
func (t *tx) DueResources(now time.Time, limit int) ([]marketplace.Resource, error) {
	if limit < 1 {
		return nil, &marketplace.InputError{Field: "limit", Value: limit, Reason: "must be at least 1"}
	}
	type cand struct {
		due time.Time
		id  string
	}
	var cands []cand
	consider := func(id string, e *entry) {
		if e.due != nil && !e.due.After(now) && !e.claimUntil.After(now) && !t.leases[id].until.After(now) {
			cands = append(cands, cand{*e.due, id})
		}
	}
	for id, e := range t.staged[marketplace.KindResource] {
		consider(id, e)
	}
	for id, e := range t.s.docs[marketplace.KindResource] {
		if _, ok := t.staged[marketplace.KindResource][id]; !ok {
			consider(id, e)
		}
	}
	slices.SortFunc(cands, func(a, b cand) int { return cmp.Or(a.due.Compare(b.due), cmp.Compare(a.id, b.id)) })
	cands = cands[:min(limit, len(cands))]
	out := make([]marketplace.Resource, len(cands))
	for i, c := range cands {
		r, err := t.Resource(c.id)
		if err != nil {
			return nil, err
		}
		out[i] = r
	}
	return out, nil
}

// PutResources implements marketplace.DueResourceTx with PutResource.
//
// Errors: those of PutResource.
func (t *tx) PutResources(vs []*marketplace.Resource) error {
	for _, v := range vs {
		if err := t.PutResource(v); err != nil {
			return err
		}
	}
	return nil
}

// LeaseResources implements marketplace.DueResourceTx: Update applies the
// leases when it commits.
//
// Errors: *marketplace.InputError for an empty owner.
func (t *tx) LeaseResources(ids []string, owner string, until time.Time) error {
	if owner == "" {
		return &marketplace.InputError{Field: "owner", Value: owner, Reason: "must not be empty"}
	}
	if t.leases == nil {
		t.leases = map[string]leaseOp{}
	}
	for _, id := range ids {
		t.leases[id] = leaseOp{owner: owner, until: until}
	}
	return nil
}

// commitLeases applies the transaction's leases to the entries it leaves
// stored (a lease lives on the entry; a later write replaces the entry and
// so ends it).
func (t *tx) commitLeases() {
	for id, l := range t.leases {
		if e := t.s.docs[marketplace.KindResource][id]; e != nil {
			e.claimUntil, e.claimOwner = l.until, l.owner
		}
	}
}
