package marketplace

import (
	"time"

	"github.com/opengallery/opengallery/billing"
)

// PaidPeriod is one paid yearly/monthly period of a resource: the term an
// order bought and what was paid for it.
//
// A resource renewed before its term ends has several: the term in use
// and the renewal periods queued after it. Resource.Term (with
// Resource.Paid) is always the latest, whose expiry is the resource's, so
// expiry, grace, retention, auto-renewal, upgrades and further renewals
// look at it alone; Resource.EarlierPeriods keeps the others for the
// unsubscription, which refunds each period on its own (billing's
// PeriodsRefund). Which period is in use is not stored: it follows from
// the time, the period whose start has come and whose expiry has not
// passed, so nothing changes when one period ends and the next begins.
type PaidPeriod struct {
	// OrderID is the order that paid for the period (the purchase or a
	// renewal); empty when it could not be told.
	OrderID string       `json:"order_id,omitempty"`
	Term    billing.Term `json:"term"`
	// Paid is what was paid for the period (plus upgrades paid while it
	// was in use).
	Paid billing.Money `json:"paid"`
}

// ended reports whether the period was used up by now.
func (p PaidPeriod) ended(now time.Time) bool { return now.After(p.Term.Expiry) }

// periodsBeforeRenewal returns the earlier periods a resource keeps when
// the renewal that follows r.Term is paid at now: its earlier periods and
// r.Term itself, less those already used up (a renewal in grace or
// retention follows a term that has ended) and those paid nothing for (a
// free trial: nothing to refund). Nil when none is left.
func periodsBeforeRenewal(tx ReadTx, r Resource, now time.Time) []PaidPeriod {
	var out []PaidPeriod
	for _, p := range r.EarlierPeriods {
		if !p.ended(now) && p.Paid.IsPositive() {
			out = append(out, p)
		}
	}
	if r.Term != nil {
		cur := PaidPeriod{Term: *r.Term, Paid: r.Paid}
		if !cur.ended(now) && cur.Paid.IsPositive() {
			cur.OrderID = termOrderID(tx, r)
			out = append(out, cur)
		}
	}
	return out
}

// termOrderID is the order that paid for r.Term: the latest purchase or
// renewal among the resource's orders (upgrades change the specification,
// not the term); empty if none can be read.
func termOrderID(tx ReadTx, r Resource) string {
	for i := len(r.OrderIDs) - 1; i >= 0; i-- {
		o, err := tx.Order(r.OrderIDs[i])
		if err != nil {
			return ""
		}
		if o.Kind == OrderNew || o.Kind == OrderRenewal {
			return o.ID
		}
	}
	return ""
}

// servingStart is when the first period of r not used up by now starts:
// the start of the period in use, or of the next one if none is (r.Term's
// start when there are no earlier periods). An unsubscription before it is
// a full refund.
func servingStart(r Resource, now time.Time) time.Time {
	for _, p := range r.EarlierPeriods {
		if !p.ended(now) {
			return p.Term.Start
		}
	}
	return r.Term.Start
}

// periodsRefund is the formula refund of r at term.At, where term is the
// refund input of r.Term: each earlier period not used up is refunded on
// its own with it (billing.PeriodsRefund: the period in use by the
// formula, those not started in full). Without earlier periods (also in
// documents stored before they existed) it is term's refund alone, as
// before.
//
// Errors: billing's, as billing.PeriodsRefund.
func (s *Service) periodsRefund(r Resource, term billing.RefundInput) (billing.Refund, error) {
	if len(r.EarlierPeriods) == 0 {
		return billing.InUseRefund(s.cfg, term)
	}
	orders := make([]billing.RefundInput, 0, len(r.EarlierPeriods)+1)
	for _, p := range r.EarlierPeriods {
		orders = append(orders, billing.RefundInput{Mode: p.Term.Mode, Count: p.Term.Count, Paid: p.Paid,
			EffectiveAt: p.Term.Start, Expiry: p.Term.Expiry, At: term.At, FeeWaived: term.FeeWaived, Label: s.periodLabel(p.Term)})
	}
	term.Label = s.periodLabel(*r.Term)
	return billing.PeriodsRefund(s.cfg, append(orders, term))
}

// periodLabel names a period by its dates in the platform zone, as
// "2026-01-05 to 2026-02-05".
func (s *Service) periodLabel(t billing.Term) string {
	loc := s.cfg.Location
	if loc == nil {
		loc = billing.PlatformZone
	}
	return t.Start.In(loc).Format(time.DateOnly) + " to " + t.Expiry.In(loc).Format(time.DateOnly)
}

// addPaidInUse adds amount (an upgrade's price) to what was paid for the
// period in use at now: an earlier period after an early renewal, r.Term
// (r.Paid) otherwise, as before. Upgrades are SaaS-only, refunded by
// negotiation rather than by the formula, so the share of the price that
// covers renewal periods queued after the one in use is not split off.
//
// Errors: *billing.MismatchError (ErrCurrencyMismatch) for an amount in
// another currency; nothing changes then.
func addPaidInUse(r *Resource, amount billing.Money, now time.Time) error {
	for i, p := range r.EarlierPeriods {
		if !p.ended(now) && !now.Before(p.Term.Start) {
			paid, err := p.Paid.Add(amount)
			if err != nil {
				return err
			}
			r.EarlierPeriods[i].Paid = paid
			return nil
		}
	}
	paid, err := r.Paid.Add(amount)
	if err != nil {
		return err
	}
	r.Paid = paid
	return nil
}
