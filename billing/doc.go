// Package billing holds the pure pricing rules of OpenGallery: exact money,
// billing modes and periods, quotes, expiry dates, renewal and auto-renewal
// schedules, the grace/retention lifecycle, upgrade proration,
// unsubscription and refund rules, and invoices.
//
// Every rule is a function of its inputs and an explicit now; nothing here
// reads the clock, stores anything or talks to the network. Amounts are
// decimal.Decimal values tagged with a currency (Money); intermediate
// results keep at least IntermediatePlaces (8) decimal places, rounded
// half-up, and amounts charged or refunded are rounded half-up to the
// currency's minor unit. Quotes, upgrade costs and refunds explain
// themselves: their Lines method returns line items carrying their inputs,
// a Description and a Formula, whose amounts sum exactly to the total (an
// explicit rounding line records the last step). Lines are built on
// demand, so that pricing many offers allocates no explanation.
//
// The site's rules (platform time zone, grace and retention lengths,
// allowed durations, auto-renewal hour and days, refund review threshold,
// handling fees) are a Config: start from DefaultConfig, change what the
// site needs and call Validate once.
//
// The rules, by file:
//
//   - money.go, currency.go: Money, ParseMoney, currencies and minor units.
//   - mode.go, delivery.go: billing modes (pay-per-use, monthly, yearly,
//     one-time), price periods and delivery methods.
//   - pricing.go: PricePlan (linear, tiered or volume quantity pricing,
//     rate, fixed-price or amount-off discounts) and Pricing, a
//     specification's plans and trial.
//   - quote.go: NewQuote — unit price × duration × quantity, plus the VM
//     flavor for images; CostDetails renders "$5.00 USD/month × 1 month(s)".
//   - term.go: ExpiryAfter (platform date + N months or years, anchored on
//     the original day and clamped to month end, at 23:59:59), TermStart
//     (acceptance or the seller's enabling time for supervised products),
//     TrialExpiry, RemainingAt.
//   - lifecycle.go: active → grace → retention → released, and when the
//     next change is due.
//   - renewal.go: Renewable and Renew (from the original expiry, also in
//     grace or retention; uniform renewal day).
//   - autorenew.go: NextAutoRenewAttempt, the pure deduction schedule, and
//     CanChangeAutoRenew.
//   - upgrade.go: RemainingPeriods and UpgradeCost (never negative; a
//     cheaper target is ErrDowngrade).
//   - refund.go: UnsubscribeEligibility, InUseRefund, NegotiatedRefund.
//   - periodsrefund.go: PeriodsRefund — a term renewed before it ended is
//     refunded period by period (the one in use by the formula, renewal
//     periods not started in full) and the refunds add up.
//   - invoice.go: Invoice requested → issued → returned (credit memo); an
//     issued invoice blocks unsubscription.
//
// Errors wrap the exported sentinels (ErrInvalidInput, ErrUnknownCurrency,
// ErrCurrencyMismatch, ErrPriceMissing, ErrDowngrade, ErrNotRenewable,
// ErrNotRefundable, ErrNotAllowed, ErrInvalidTransition) in typed errors
// that carry the offending values or a Reason.
package billing
