package marketplace

import (
	"context"
	"errors"
	"time"

	"github.com/opengallery/opengallery/billing"
)

// PaymentKind tells charges from refunds.
type PaymentKind string

// The payment kinds.
const (
	PaymentCharge PaymentKind = "charge"
	PaymentRefund PaymentKind = "refund"
)

// Payment is a charge or refund recorded by the marketplace, whichever
// port moved the money.
type Payment struct {
	ID      string        `json:"id"`
	Kind    PaymentKind   `json:"kind"`
	Method  PaymentMethod `json:"method"`
	OrderID string        `json:"order_id"`
	BuyerID string        `json:"buyer_id"`
	Amount  billing.Money `json:"amount"`
	// IdempotencyKey is the key the port was called with; Reference is the
	// port's own id for the transaction.
	IdempotencyKey string    `json:"idempotency_key"`
	Reference      string    `json:"reference,omitempty"`
	CreatedAt      time.Time `json:"created_at"`
	// SettledAt is set when a credit payment is settled.
	SettledAt *time.Time `json:"settled_at,omitempty"`
	Version   int64      `json:"version"`
}

// Account is a buyer's account with the default payment port: a prepaid
// balance, or a credit account settled monthly.
type Account struct {
	ID      string        `json:"id"` // the buyer id
	Balance billing.Money `json:"balance"`
	Credit  bool          `json:"credit"`
	// CreditUsed is the unsettled credit spent in the current cycle.
	CreditUsed billing.Money `json:"credit_used"`
	UpdatedAt  time.Time     `json:"updated_at"`
	Version    int64         `json:"version"`
}

// PaymentPort moves money for the marketplace. The host implements it
// against its payment system; the default, BalancePayments, keeps prepaid
// balances in the store. Both calls are idempotent on their key: repeating
// a call with the same key returns the first result and moves no more
// money, which is what makes a retried payment safe.
type PaymentPort interface {
	// Charge takes req.Amount from req.AccountID.
	//
	// Errors: *PaymentError (ErrPaymentFailed) when declined;
	// ErrUnavailable-wrapping errors for faults worth retrying.
	Charge(ctx context.Context, req ChargeRequest) (Receipt, error)
	// Refund returns req.Amount to req.AccountID.
	//
	// Errors: *PaymentError (ErrPaymentFailed); ErrUnavailable.
	Refund(ctx context.Context, req RefundRequest) (Receipt, error)
}

// TxCharger is an optional capability of a PaymentPort whose money lives
// in the marketplace's own store (found by type assertion, as
// database/sql/driver finds a driver's optional interfaces). When the
// service's port has it and ChargesIn reports the service's store,
// PayOrder charges inside the transaction that marks the order paid: one
// commit, and no crash can leave a charge on an unpaid order. Ports
// without it (a host's payment system) are called outside any
// transaction, as before, with the same idempotency keys. A port with this
// capability records its own Payment aggregates (charges and refunds) in
// the store, as BalancePayments does: the service records none for it.
type TxCharger interface {
	// ChargesIn reports whether the port keeps its state in store, so
	// that ChargeTx may run in one of store's transactions.
	ChargesIn(store Store) bool
	// ChargeTx takes req.Amount from req.AccountID inside tx, idempotent
	// on req.IdempotencyKey like Charge. It must do no I/O beyond tx and
	// must record the charge as a Payment aggregate whose id it returns
	// as the receipt's Reference.
	//
	// Errors: as PaymentPort.Charge; tx's errors.
	ChargeTx(tx Tx, req ChargeRequest) (Receipt, error)
}

// ChargeRequest asks the payment port for money.
type ChargeRequest struct {
	IdempotencyKey string
	AccountID      string // the buyer
	OrderID        string
	Amount         billing.Money
}

// RefundRequest asks the payment port to give money back.
type RefundRequest struct {
	IdempotencyKey string
	AccountID      string
	OrderID        string // the order refunded
	Amount         billing.Money
}

// Receipt is the port's record of a charge or refund.
type Receipt struct {
	Reference string // the port's id for the transaction
	Amount    billing.Money
}

// BalancePayments is the default PaymentPort: prepaid balances kept as
// Account aggregates in the store. Every charge and refund is a Payment
// aggregate written in the same transaction as the balance change and the
// idempotency record.
type BalancePayments struct {
	store Store
	clock func() time.Time
	ids   IDGenerator
}

// NewBalancePayments returns the default payment port over store. now and
// ids may be nil (real time, the default time-ordered ids).
func NewBalancePayments(store Store, now func() time.Time, ids IDGenerator) *BalancePayments {
	if now == nil {
		now = realNow
	}
	if ids == nil {
		ids = randomIDs{}
	}
	return &BalancePayments{store: store, clock: now, ids: ids}
}

// Charge implements PaymentPort: it debits the buyer's balance.
//
// Errors: *InputError for a missing key, account or non-positive amount;
// *PaymentError (ErrPaymentFailed) for a missing account, another currency
// or an insufficient balance; *IdempotencyError when the key was used for
// another request; store errors.
func (p *BalancePayments) Charge(ctx context.Context, req ChargeRequest) (Receipt, error) {
	return p.move(ctx, PaymentCharge, req.IdempotencyKey, req.AccountID, req.OrderID, req.Amount)
}

// Refund implements PaymentPort: it credits the buyer's balance (creating
// the account if needed).
//
// Errors: as Charge, except that the balance is not checked.
func (p *BalancePayments) Refund(ctx context.Context, req RefundRequest) (Receipt, error) {
	return p.move(ctx, PaymentRefund, req.IdempotencyKey, req.AccountID, req.OrderID, req.Amount)
}

func (p *BalancePayments) move(ctx context.Context, kind PaymentKind, key, account, orderID string, amount billing.Money) (Receipt, error) {
	if err := checkMove(key, account, amount); err != nil {
		return Receipt{}, err
	}
	var out Receipt
	err := retryConflicts(ctx, func(ctx context.Context) error {
		return p.store.Update(ctx, func(tx Tx) error {
			var err error
			out, err = p.moveTx(tx, kind, key, account, orderID, amount)
			return err
		})
	})
	return out, err
}

// ChargeTx implements TxCharger: it debits the buyer's balance inside tx,
// the caller's transaction in the store p keeps its balances in, so that
// the charge commits (or not) together with whatever the caller writes.
// A key already used returns the first charge's receipt and moves no more
// money.
//
// Errors: as Charge (store errors are those of tx).
func (p *BalancePayments) ChargeTx(tx Tx, req ChargeRequest) (Receipt, error) {
	if err := checkMove(req.IdempotencyKey, req.AccountID, req.Amount); err != nil {
		return Receipt{}, err
	}
	return p.moveTx(tx, PaymentCharge, req.IdempotencyKey, req.AccountID, req.OrderID, req.Amount)
}

// ChargesIn implements TxCharger: BalancePayments charges in a caller's
// transaction only when the caller's store is its own.
func (p *BalancePayments) ChargesIn(store Store) bool { return sameStore(p.store, store) }

// sameStore compares two stores without panicking on a store type that
// is not comparable (such a store is only ever equal to nothing).
func sameStore(a, b Store) (same bool) {
	defer func() {
		if recover() != nil {
			same = false
		}
	}()
	return a == b
}

func checkMove(key, account string, amount billing.Money) error {
	switch {
	case key == "":
		return inputErr("idempotency_key", key, "must not be empty")
	case account == "":
		return inputErr("account", account, "must not be empty")
	case !amount.Valid() || amount.IsNegative():
		return inputErr("amount", amount, "must be a non-negative amount in a known currency")
	}
	return nil
}

// moveKey is the idempotency key under which a move of kind with the
// caller's key is recorded.
func moveKey(kind PaymentKind, key string) string { return "payment:" + string(kind) + ":" + key }

// chargeRefs implements chargeReader: ChargeTx reads the charge's
// idempotency record, then the account.
func (p *BalancePayments) chargeRefs(req ChargeRequest) []Ref {
	return []Ref{{Kind: KindIdempotency, ID: moveKey(PaymentCharge, req.IdempotencyKey)}, {Kind: KindAccount, ID: req.AccountID}}
}

// moveTx moves money within tx: the balance change, the Payment, the
// idempotency record and the account's event.
func (p *BalancePayments) moveTx(tx Tx, kind PaymentKind, key, account, orderID string, amount billing.Money) (Receipt, error) {
	idemKey := moveKey(kind, key)
	hash := fingerprint(account, orderID, amount.String())
	if rec, err := tx.Idempotency(idemKey); err == nil {
		if rec.RequestHash != hash {
			return Receipt{}, &IdempotencyError{Key: key}
		}
		pay, err := tx.Payment(rec.ResultID)
		if err != nil {
			return Receipt{}, err
		}
		return Receipt{Reference: pay.ID, Amount: pay.Amount}, nil
	} else if !errors.Is(err, ErrNotFound) {
		return Receipt{}, err
	}
	now := p.clock().UTC()
	acc, err := tx.Account(account)
	switch {
	case errors.Is(err, ErrNotFound) && kind == PaymentRefund:
		acc = Account{ID: account, Balance: billing.Zero(amount.Currency), CreditUsed: billing.Zero(amount.Currency)}
	case errors.Is(err, ErrNotFound):
		return Receipt{}, &PaymentError{Account: account, Amount: amount.String(), Reason: "no prepaid account"}
	case err != nil:
		return Receipt{}, err
	}
	if acc.Balance.Currency != amount.Currency {
		return Receipt{}, &PaymentError{Account: account, Amount: amount.String(), Reason: "account is in " + string(acc.Balance.Currency)}
	}
	if kind == PaymentCharge {
		if acc.Balance.Amount.LessThan(amount.Amount) {
			return Receipt{}, &PaymentError{Account: account, Amount: amount.String(), Reason: "insufficient balance " + acc.Balance.String()}
		}
		acc.Balance.Amount = acc.Balance.Amount.Sub(amount.Amount)
	} else {
		acc.Balance.Amount = acc.Balance.Amount.Add(amount.Amount)
	}
	acc.UpdatedAt = now
	pay := Payment{ID: p.ids.NewID(KindPayment), Kind: kind, Method: PayBalance, OrderID: orderID, BuyerID: account,
		Amount: amount, IdempotencyKey: key, CreatedAt: now}
	if err := tx.PutAccount(&acc); err != nil {
		return Receipt{}, err
	}
	if err := tx.PutPayment(&pay); err != nil {
		return Receipt{}, err
	}
	if err := tx.PutIdempotency(IdempotencyRecord{Key: idemKey, RequestHash: hash, ResultKind: KindPayment, ResultID: pay.ID, CreatedAt: now}); err != nil {
		return Receipt{}, err
	}
	if err := tx.AppendEvent(&Event{At: now, Kind: KindAccount, AggregateID: account, Type: "account." + string(kind),
		Actor: SystemActor(), To: acc.Balance.String(), Data: eventData(map[string]string{"payment_id": pay.ID, "order_id": orderID, "amount": amount.String()})}); err != nil {
		return Receipt{}, err
	}
	return Receipt{Reference: pay.ID, Amount: amount}, nil
}
