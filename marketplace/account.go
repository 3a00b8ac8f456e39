package marketplace

import (
	"context"
	"strconv"

	"github.com/opengallery/opengallery/billing"
)

// TopUpInput adds money to a buyer's prepaid balance (the default payment
// port's account).
type TopUpInput struct {
	AccountID string        `json:"account_id"`
	Amount    billing.Money `json:"amount"`
}

// Validate checks the input.
//
// Errors: *InputError (ErrInvalidInput).
func (in TopUpInput) Validate() error {
	if err := checkID("account_id", in.AccountID); err != nil {
		return err
	}
	if !in.Amount.Valid() || !in.Amount.IsPositive() {
		return inputErr("amount", in.Amount, "must be a positive amount in a known currency")
	}
	return nil
}

// TopUp credits a buyer's prepaid balance, opening the account in the
// amount's currency if needed (operators; hosts with their own payment
// port have no use for it).
//
// Errors: *InputError; *NotAllowedError for anyone but an operator or the
// system; *PaymentError for an account in another currency; store errors.
func (s *Service) TopUp(ctx context.Context, actor Actor, in TopUpInput) (Account, error) {
	if err := checkActor(actor, "top up an account", RoleOperator, RoleSystem); err != nil {
		return Account{}, err
	}
	if err := in.Validate(); err != nil {
		return Account{}, err
	}
	var out Account
	err := s.update(ctx, func(tx Tx) error {
		now := s.now()
		a, err := tx.Account(in.AccountID)
		if errIsNotFound(err) {
			a, err = Account{ID: in.AccountID, Balance: billing.Zero(in.Amount.Currency), CreditUsed: billing.Zero(in.Amount.Currency)}, nil
		}
		if err != nil {
			return err
		}
		bal, err := a.Balance.Add(in.Amount)
		if err != nil {
			return &PaymentError{Account: a.ID, Amount: in.Amount.String(), Reason: "account is in " + string(a.Balance.Currency)}
		}
		from := a.Balance.String()
		a.Balance, a.UpdatedAt = bal, now
		if err := tx.PutAccount(&a); err != nil {
			return err
		}
		out = a
		return emit(tx, now, actor, KindAccount, a.ID, "account.topped_up", from, a.Balance.String(), nil)
	})
	return out, err
}

// SetCredit makes a buyer's account a credit account (orders are recorded
// and settled monthly with SettleCredit) or a prepaid one.
//
// Errors: *InputError; *NotAllowedError for anyone but an operator;
// *NotFoundError for an account never opened; store errors.
func (s *Service) SetCredit(ctx context.Context, actor Actor, accountID string, credit bool) (Account, error) {
	return s.SetCreditIf(ctx, actor, CreditInput{AccountID: accountID, Credit: credit})
}

// CreditInput makes an account a credit or a prepaid one and, optionally,
// names the version the caller read: an account that moved on since is
// not changed.
type CreditInput struct {
	AccountID string `json:"account_id"`
	Credit    bool   `json:"credit"`
	// Version is the account's version as read (GetAccount); 0 skips the
	// check.
	Version int64 `json:"version,omitempty"`
}

// Validate checks the input.
//
// Errors: *InputError (ErrInvalidInput).
func (in CreditInput) Validate() error {
	if err := checkID("account_id", in.AccountID); err != nil {
		return err
	}
	if err := checkVersionInput(in.Version); err != nil {
		return err
	}
	return nil
}

// SetCreditIf is SetCredit conditional on the account still being at
// in.Version (when set).
//
// Errors: as SetCredit; *PreconditionError (ErrConflict, Want and Have
// set) when the account's version is no longer in.Version.
func (s *Service) SetCreditIf(ctx context.Context, actor Actor, in CreditInput) (Account, error) {
	if err := checkActor(actor, "set a credit account", RoleOperator); err != nil {
		return Account{}, err
	}
	if err := in.Validate(); err != nil {
		return Account{}, err
	}
	var out Account
	err := s.update(ctx, func(tx Tx) error {
		a, err := tx.Account(in.AccountID)
		if err != nil {
			return err
		}
		if err := checkVersion(KindAccount, a.ID, in.Version, a.Version); err != nil {
			return err
		}
		now := s.now()
		a.Credit, a.UpdatedAt = in.Credit, now
		if err := tx.PutAccount(&a); err != nil {
			return err
		}
		out = a
		return emit(tx, now, actor, KindAccount, a.ID, "account.credit_set", "", boolText(in.Credit), nil)
	})
	return out, err
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// GetAccount returns a buyer's account to that buyer or an operator.
//
// Errors: *InputError; *NotFoundError; store errors.
func (s *Service) GetAccount(ctx context.Context, actor Actor, id string) (Account, error) {
	if err := checkActor(actor, "read an account", RoleBuyer, RoleOperator); err != nil {
		return Account{}, err
	}
	if actor.Role == RoleBuyer && actor.ID != id {
		return Account{}, notFound(KindAccount, id)
	}
	var out Account
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		out, err = tx.Account(id)
		return err
	})
	return out, err
}

// SettleCredit settles a credit account's monthly bill: every unsettled
// credit payment is marked settled and the credit used goes down by
// exactly the amount settled. It returns the amount settled (charges less
// refunds; the host collects it).
//
// The store's transactions may not query, so the unsettled payments are
// listed first, every page, and then settled in one transaction: the
// amount returned is what that transaction settled, and when SettleCredit
// fails nothing is settled, so no amount settled goes uncollected. A
// credit payment made after the listing is left unsettled and stays in the
// credit used, for the next settlement; one settled meanwhile by another
// call is skipped.
//
// Errors: *InputError; *NotAllowedError for anyone but an operator or the
// system; *NotFoundError; *PaymentError for a payment in another currency
// than the account's; store errors.
func (s *Service) SettleCredit(ctx context.Context, actor Actor, accountID string) (billing.Money, error) {
	if err := checkActor(actor, "settle credit", RoleOperator, RoleSystem); err != nil {
		return billing.Money{}, err
	}
	if err := checkID("account_id", accountID); err != nil {
		return billing.Money{}, err
	}
	var ids []string
	for cur := ""; ; {
		pg, err := s.store.ListPayments(ctx, PaymentQuery{BuyerID: accountID, Method: PayCredit, Unsettled: true, Cursor: cur, Limit: MaxPageSize})
		if err != nil {
			return billing.Money{}, err
		}
		for _, p := range pg.Items {
			ids = append(ids, p.ID)
		}
		if pg.Next == "" {
			break
		}
		cur = pg.Next
	}
	var total billing.Money
	err := s.update(ctx, func(tx Tx) error {
		a, err := tx.Account(accountID)
		if err != nil {
			return err
		}
		now := s.now()
		total = billing.Zero(a.Balance.Currency)
		n := 0
		for _, id := range ids {
			cur, err := tx.Payment(id)
			if err != nil {
				return err
			}
			if cur.SettledAt != nil {
				continue
			}
			amt := cur.Amount
			if cur.Kind == PaymentRefund {
				amt = amt.Neg()
			}
			if total, err = total.Add(amt); err != nil {
				return &PaymentError{Account: a.ID, Amount: cur.Amount.String(), Reason: "payment " + cur.ID + ": " + err.Error()}
			}
			cur.SettledAt = &now
			if err := tx.PutPayment(&cur); err != nil {
				return err
			}
			n++
		}
		if a.CreditUsed.Currency == "" {
			a.CreditUsed = billing.Zero(a.Balance.Currency)
		}
		if a.CreditUsed, err = a.CreditUsed.Sub(total); err != nil {
			return &PaymentError{Account: a.ID, Amount: total.String(), Reason: "credit used: " + err.Error()}
		}
		a.UpdatedAt = now
		if err := tx.PutAccount(&a); err != nil {
			return err
		}
		return emit(tx, now, actor, KindAccount, a.ID, "account.credit_settled", "", total.String(),
			map[string]string{"credit_used": a.CreditUsed.String(), "payments": strconv.Itoa(n)})
	})
	if err != nil {
		return billing.Money{}, err
	}
	return total, nil
}

// accountOnce is a Tx that reads an account from the store once per
// transaction: paying an order reads the buyer's account to choose the
// method (credit or balance), and the payment reads it again to charge it
// (BalancePayments.ChargeTx) or to add to the credit used. It remembers the
// last account read (or its absence) and forgets it when the account is
// written. Both readers get the same value: Account holds no reference a
// reader could change in place (billing.Money's decimals are immutable).
type accountOnce struct {
	Tx
	id   string
	acc  Account
	err  error // nil or the *NotFoundError the read returned
	have bool
}

// Account implements ReadTx.
func (t *accountOnce) Account(id string) (Account, error) {
	if t.have && t.id == id {
		return t.acc, t.err
	}
	a, err := t.Tx.Account(id)
	if err == nil || errIsNotFound(err) {
		t.id, t.acc, t.err, t.have = id, a, err, true
	}
	return a, err
}

// PutAccount implements Tx.
func (t *accountOnce) PutAccount(v *Account) error {
	if t.id == v.ID {
		t.have = false
	}
	return t.Tx.PutAccount(v)
}
