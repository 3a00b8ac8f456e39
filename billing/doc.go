// Package billing holds the pure pricing rules of OpenGallery: exact money,
// billing modes and periods, quotes, expiry dates, renewal and auto-renewal
// schedules, the grace/retention lifecycle, upgrade proration,
// unsubscription and refund rules, and invoices.
//
// Every rule is a function of its inputs and an explicit now; nothing here
// reads the clock, stores anything or talks to the network. Amounts are
// decimal.Decimal values tagged with a currency; intermediate results keep at
// least 8 decimal places and every rounding step names its mode and
// precision. Quotes, upgrade costs and refunds explain themselves as line
// items whose amounts sum exactly to the total.
package billing
