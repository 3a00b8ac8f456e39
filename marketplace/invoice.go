package marketplace

import (
	"context"
	"time"

	"github.com/opengallery/opengallery/billing"
)

// InvoiceStatus is an invoice's status: requested → issued → returned.
// An issued invoice blocks unsubscription until it is returned.
type InvoiceStatus string

// The invoice statuses.
const (
	InvoiceRequested InvoiceStatus = "requested"
	InvoiceIssued    InvoiceStatus = "issued"
	InvoiceReturned  InvoiceStatus = "returned"
)

// Invoice is an invoice for a paid order.
type Invoice struct {
	ID          string        `json:"id"`
	OrderID     string        `json:"order_id"`
	ResourceID  string        `json:"resource_id,omitempty"`
	BuyerID     string        `json:"buyer_id"`
	SellerID    string        `json:"seller_id"`
	Title       string        `json:"title"`
	TaxID       string        `json:"tax_id,omitempty"`
	Amount      billing.Money `json:"amount"`
	Status      InvoiceStatus `json:"status"`
	Number      string        `json:"number,omitempty"` // set when issued
	RequestedAt time.Time     `json:"requested_at"`
	IssuedAt    *time.Time    `json:"issued_at,omitempty"`
	ReturnedAt  *time.Time    `json:"returned_at,omitempty"`
	Version     int64         `json:"version"`
}

// InvoiceInput asks for the invoice of a paid order.
type InvoiceInput struct {
	OrderID string `json:"order_id"`
	Title   string `json:"title"`
	TaxID   string `json:"tax_id,omitempty"`
}

// Validate checks the input.
//
// Errors: *InputError (ErrInvalidInput).
func (in InvoiceInput) Validate() error {
	if err := checkID("order_id", in.OrderID); err != nil {
		return err
	}
	if err := checkText("title", in.Title, 1, 200); err != nil {
		return err
	}
	return checkText("tax_id", in.TaxID, 0, 64)
}

// RequestInvoice requests the invoice of the buyer's paid order. An order
// has at most one invoice that is not returned.
//
// Errors: *InputError (also billing's, e.g. for a free order);
// *NotAllowedError for anyone but a buyer; *NotFoundError; *StateError for
// an unpaid order or one already invoiced; store errors.
func (s *Service) RequestInvoice(ctx context.Context, actor Actor, in InvoiceInput) (Invoice, error) {
	if err := checkActor(actor, "request an invoice", RoleBuyer); err != nil {
		return Invoice{}, err
	}
	if err := in.Validate(); err != nil {
		return Invoice{}, err
	}
	// Orders invoiced before InvoiceID was kept are found by this query;
	// the others by their InvoiceID, inside the transaction.
	existing, err := s.store.ListInvoices(ctx, InvoiceQuery{OrderID: in.OrderID, Limit: MaxPageSize})
	if err != nil {
		return Invoice{}, err
	}
	var out Invoice
	err = s.update(ctx, func(tx Tx) error {
		o, err := tx.Order(in.OrderID)
		if err != nil {
			return err
		}
		if !actor.IsBuyer(o.BuyerID) {
			return notFound(KindOrder, in.OrderID)
		}
		if o.PaidAt == nil || o.Kind == OrderUnsubscription {
			return &StateError{Kind: KindOrder, ID: o.ID, State: string(o.Status), Action: "invoice", Reason: "only paid orders are invoiced"}
		}
		for _, inv := range existing.Items {
			if inv.Status != InvoiceReturned {
				return &StateError{Kind: KindOrder, ID: o.ID, State: string(o.Status), Action: "invoice", Reason: "already invoiced"}
			}
		}
		if o.InvoiceID != "" {
			last, err := tx.Invoice(o.InvoiceID)
			if err != nil {
				return err
			}
			if last.Status != InvoiceReturned {
				return &StateError{Kind: KindOrder, ID: o.ID, State: string(o.Status), Action: "invoice", Reason: "already invoiced"}
			}
		}
		now := s.now()
		if _, err := billing.RequestInvoice(billing.InvoiceRequest{OrderID: o.ID, Paid: o.Amount, At: now}); err != nil {
			return wrapBilling(KindOrder, o.ID, "invoice", err)
		}
		inv := Invoice{ID: s.ids.NewID(KindInvoice), OrderID: o.ID, ResourceID: o.ResourceID, BuyerID: o.BuyerID, SellerID: o.SellerID,
			Title: in.Title, TaxID: in.TaxID, Amount: o.Amount, Status: InvoiceRequested, RequestedAt: now}
		if err := tx.PutInvoice(&inv); err != nil {
			return err
		}
		o.Invoiced, o.InvoiceID, o.UpdatedAt = true, inv.ID, now
		if err := tx.PutOrder(&o); err != nil {
			return err
		}
		out = inv
		return emit(tx, now, actor, KindInvoice, inv.ID, "invoice.requested", "", string(inv.Status), map[string]string{"order_id": o.ID})
	})
	return out, err
}

// billingInvoice is the billing value of a stored invoice.
func billingInvoice(inv Invoice) billing.Invoice {
	b := billing.Invoice{OrderID: inv.OrderID, Amount: inv.Amount, State: billing.InvoiceState(inv.Status), RequestedAt: inv.RequestedAt}
	if inv.IssuedAt != nil {
		b.IssuedAt = *inv.IssuedAt
	}
	if inv.ReturnedAt != nil {
		b.ReturnedAt = *inv.ReturnedAt
	}
	return b
}

// GetInvoice returns one invoice to its buyer or an operator; its Version
// is what InvoiceActionInput.Version names for a conditional change.
//
// Errors: *InputError; *NotAllowedError for sellers and the system;
// *NotFoundError (also for another buyer's invoice); store errors.
func (s *Service) GetInvoice(ctx context.Context, actor Actor, id string) (Invoice, error) {
	if err := checkActor(actor, "read an invoice", RoleBuyer, RoleOperator); err != nil {
		return Invoice{}, err
	}
	if err := checkID("invoice_id", id); err != nil {
		return Invoice{}, err
	}
	var inv Invoice
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		if inv, err = tx.Invoice(id); err != nil {
			return err
		}
		if actor.Role == RoleBuyer && !actor.IsBuyer(inv.BuyerID) {
			return notFound(KindInvoice, id)
		}
		return nil
	})
	if err != nil {
		return Invoice{}, err
	}
	return inv, nil
}

// InvoiceActionInput names an invoice to issue or return and, optionally,
// the version the caller read: a change to an invoice that moved on since
// is refused rather than applied to a state the caller did not see.
type InvoiceActionInput struct {
	InvoiceID string `json:"invoice_id"`
	// Version is the invoice's version as read (GetInvoice); 0 skips the
	// check.
	Version int64 `json:"version,omitempty"`
}

// Validate checks the input.
//
// Errors: *InputError (ErrInvalidInput).
func (in InvoiceActionInput) Validate() error {
	if err := checkID("invoice_id", in.InvoiceID); err != nil {
		return err
	}
	if err := checkVersionInput(in.Version); err != nil {
		return err
	}
	return nil
}

// IssueInvoice issues a requested invoice (operators). An issued invoice
// blocks unsubscription until it is returned.
//
// Errors: *InputError; *NotAllowedError for anyone but an operator;
// *NotFoundError; errors wrapping ErrConflict and billing's
// *TransitionError unless requested; store errors.
func (s *Service) IssueInvoice(ctx context.Context, actor Actor, id string) (Invoice, error) {
	return s.moveInvoice(ctx, actor, InvoiceActionInput{InvoiceID: id}, "issue", RoleOperator)
}

// IssueInvoiceIf is IssueInvoice conditional on the invoice still being
// at in.Version (when set).
//
// Errors: as IssueInvoice; *PreconditionError (ErrConflict, Want and Have
// set) when the invoice's version is no longer in.Version.
func (s *Service) IssueInvoiceIf(ctx context.Context, actor Actor, in InvoiceActionInput) (Invoice, error) {
	return s.moveInvoice(ctx, actor, in, "issue", RoleOperator)
}

// ReturnInvoice returns an issued invoice (its buyer or an operator): a
// credit memo cancels it and the order may then be unsubscribed or
// invoiced again.
//
// Errors: as IssueInvoice, with the buyer allowed too.
func (s *Service) ReturnInvoice(ctx context.Context, actor Actor, id string) (Invoice, error) {
	return s.moveInvoice(ctx, actor, InvoiceActionInput{InvoiceID: id}, "return", RoleOperator, RoleBuyer)
}

// ReturnInvoiceIf is ReturnInvoice conditional on the invoice still being
// at in.Version (when set).
//
// Errors: as ReturnInvoice; *PreconditionError (ErrConflict, Want and
// Have set) when the invoice's version is no longer in.Version.
func (s *Service) ReturnInvoiceIf(ctx context.Context, actor Actor, in InvoiceActionInput) (Invoice, error) {
	return s.moveInvoice(ctx, actor, in, "return", RoleOperator, RoleBuyer)
}

func (s *Service) moveInvoice(ctx context.Context, actor Actor, in InvoiceActionInput, action string, roles ...Role) (Invoice, error) {
	if err := checkActor(actor, action+" an invoice", roles...); err != nil {
		return Invoice{}, err
	}
	if err := in.Validate(); err != nil {
		return Invoice{}, err
	}
	id := in.InvoiceID
	var out Invoice
	err := s.update(ctx, func(tx Tx) error {
		inv, err := tx.Invoice(id)
		if err != nil {
			return err
		}
		if actor.Role == RoleBuyer && !actor.IsBuyer(inv.BuyerID) {
			return notFound(KindInvoice, id)
		}
		if err := checkVersion(KindInvoice, id, in.Version, inv.Version); err != nil {
			return err
		}
		now := s.now()
		b := billingInvoice(inv)
		from := inv.Status
		if action == "issue" {
			if b, err = b.Issue(now); err != nil {
				return wrapBilling(KindInvoice, id, action, err)
			}
			inv.IssuedAt, inv.Number = &now, "INV-"+inv.ID
		} else {
			if b, err = b.Return(now); err != nil {
				return wrapBilling(KindInvoice, id, action, err)
			}
			inv.ReturnedAt = &now
		}
		inv.Status = InvoiceStatus(b.State)
		if err := tx.PutInvoice(&inv); err != nil {
			return err
		}
		out = inv
		return emit(tx, now, actor, KindInvoice, inv.ID, "invoice."+string(inv.Status), string(from), string(inv.Status), nil)
	})
	return out, err
}

// ListInvoices lists the buyer's or the seller's invoices (operators:
// all), newest first.
//
// Errors: *InputError; *NotAllowedError for the system; store errors.
func (s *Service) ListInvoices(ctx context.Context, actor Actor, status InvoiceStatus, cursor string, limit int) (Page[Invoice], error) {
	if err := checkActor(actor, "list invoices", RoleBuyer, RoleSeller, RoleOperator); err != nil {
		return Page[Invoice]{}, err
	}
	q := InvoiceQuery{Status: status, Cursor: cursor, Limit: defLimit(limit)}
	switch actor.Role {
	case RoleBuyer:
		q.BuyerID = actor.ID
	case RoleSeller:
		q.SellerID = actor.ID
	}
	return s.store.ListInvoices(ctx, q)
}
