package httpapi

import (
	"context"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/marketplace"
)

// Service is the part of *marketplace.Service the adapter calls. It is
// declared here, by its consumer, so that tests and benchmarks can supply a
// fake; *marketplace.Service satisfies it. Every method's errors are the
// marketplace's, mapped to HTTP by the error table.
type Service interface {
	// Catalog.
	Search(ctx context.Context, actor marketplace.Actor, in marketplace.SearchInput) (marketplace.Page[marketplace.Product], error)
	GetProduct(ctx context.Context, actor marketplace.Actor, id string) (marketplace.Product, error)
	ProductContact(ctx context.Context, actor marketplace.Actor, productID string) (marketplace.Contact, error)
	GetSeller(ctx context.Context, actor marketplace.Actor, id string) (marketplace.Seller, error)
	RegisterSeller(ctx context.Context, actor marketplace.Actor, in marketplace.SellerInput) (marketplace.Seller, error)
	SellerProducts(ctx context.Context, actor marketplace.Actor, sellerID string, statuses []marketplace.ProductStatus, cursor string, limit int) (marketplace.Page[marketplace.Product], error)
	CreateProduct(ctx context.Context, actor marketplace.Actor, in marketplace.ProductInput) (marketplace.Product, error)
	UpdateProduct(ctx context.Context, actor marketplace.Actor, id string, version int64, in marketplace.ProductInput) (marketplace.Product, error)
	SubmitProduct(ctx context.Context, actor marketplace.Actor, id string) (marketplace.Product, error)
	DelistProduct(ctx context.Context, actor marketplace.Actor, id string) (marketplace.Product, error)
	DiscontinueSpec(ctx context.Context, actor marketplace.Actor, productID, specID string) (marketplace.Product, error)
	ReviewProduct(ctx context.Context, actor marketplace.Actor, in marketplace.ReviewInput) (marketplace.Product, error)
	ReviewQueue(ctx context.Context, actor marketplace.Actor, cursor string, limit int) (marketplace.Page[marketplace.Product], error)

	// Checkout and orders.
	Quote(ctx context.Context, actor marketplace.Actor, in marketplace.QuoteInput) (billing.Quote, error)
	CreateOrder(ctx context.Context, actor marketplace.Actor, in marketplace.CreateOrderInput) (marketplace.Order, error)
	GetOrder(ctx context.Context, actor marketplace.Actor, id string) (marketplace.Order, error)
	ListOrders(ctx context.Context, actor marketplace.Actor, in marketplace.ListOrdersInput) (marketplace.Page[marketplace.Order], error)
	CancelOrder(ctx context.Context, actor marketplace.Actor, id string) (marketplace.Order, error)
	PayOrder(ctx context.Context, actor marketplace.Actor, in marketplace.PayInput) (marketplace.Order, error)

	// Supervision.
	ListFlows(ctx context.Context, actor marketplace.Actor, in marketplace.ListFlowsInput) (marketplace.Page[marketplace.Flow], error)
	GetFlow(ctx context.Context, actor marketplace.Actor, id string) (marketplace.FlowView, error)
	Act(ctx context.Context, actor marketplace.Actor, in marketplace.FlowActionInput) (marketplace.Flow, error)

	// Purchased apps and their lifecycle.
	ListPurchasedApps(ctx context.Context, actor marketplace.Actor, in marketplace.ListAppsInput) (marketplace.Page[marketplace.PurchasedApp], error)
	GetPurchasedApp(ctx context.Context, actor marketplace.Actor, id string) (marketplace.PurchasedApp, error)
	GetResource(ctx context.Context, actor marketplace.Actor, id string) (marketplace.Resource, error)
	RevealPassword(ctx context.Context, actor marketplace.Actor, resourceID string) (string, error)
	ResourceContact(ctx context.Context, actor marketplace.Actor, resourceID string) (marketplace.Contact, error)
	QuoteUpgrade(ctx context.Context, actor marketplace.Actor, in marketplace.UpgradeInput) (billing.Upgrade, error)
	Upgrade(ctx context.Context, actor marketplace.Actor, in marketplace.UpgradeInput) (marketplace.Order, error)
	Renew(ctx context.Context, actor marketplace.Actor, in marketplace.RenewInput) (marketplace.Order, error)
	SetAutoRenew(ctx context.Context, actor marketplace.Actor, in marketplace.AutoRenewInput) (marketplace.Resource, error)
	SetRenewalDay(ctx context.Context, actor marketplace.Actor, in marketplace.RenewalDayInput) ([]marketplace.Resource, error)

	// Unsubscription.
	UnsubscribeEligibility(ctx context.Context, actor marketplace.Actor, resourceID string) (marketplace.UnsubscribeCheck, error)
	QuoteUnsubscribe(ctx context.Context, actor marketplace.Actor, resourceID string) (billing.Refund, error)
	ProposeUnsubscribe(ctx context.Context, actor marketplace.Actor, in marketplace.ProposeInput) (marketplace.UnsubscribeRequest, error)
	DecideUnsubscribe(ctx context.Context, actor marketplace.Actor, in marketplace.DecideInput) (marketplace.UnsubscribeRequest, error)
	ListUnsubscribeRequests(ctx context.Context, actor marketplace.Actor, status marketplace.UnsubscribeStatus, cursor string, limit int) (marketplace.Page[marketplace.UnsubscribeRequest], error)
	GetUnsubscribeRequest(ctx context.Context, actor marketplace.Actor, id string) (marketplace.UnsubscribeRequest, error)
	UnsubscribeResource(ctx context.Context, actor marketplace.Actor, in marketplace.UnsubscribeInput) (marketplace.Order, error)
	EndPayPerUse(ctx context.Context, actor marketplace.Actor, resourceID string) (marketplace.Resource, error)

	// Refund review (operators).
	ReviewRefund(ctx context.Context, actor marketplace.Actor, in marketplace.RefundDecisionInput) (marketplace.Order, error)
	RefundReviews(ctx context.Context, actor marketplace.Actor, cursor string, limit int) (marketplace.Page[marketplace.Order], error)

	// Invoices.
	RequestInvoice(ctx context.Context, actor marketplace.Actor, in marketplace.InvoiceInput) (marketplace.Invoice, error)
	GetInvoice(ctx context.Context, actor marketplace.Actor, id string) (marketplace.Invoice, error)
	IssueInvoiceIf(ctx context.Context, actor marketplace.Actor, in marketplace.InvoiceActionInput) (marketplace.Invoice, error)
	ReturnInvoiceIf(ctx context.Context, actor marketplace.Actor, in marketplace.InvoiceActionInput) (marketplace.Invoice, error)
	ListInvoices(ctx context.Context, actor marketplace.Actor, status marketplace.InvoiceStatus, cursor string, limit int) (marketplace.Page[marketplace.Invoice], error)

	// Accounts and the event feed.
	TopUp(ctx context.Context, actor marketplace.Actor, in marketplace.TopUpInput) (marketplace.Account, error)
	SetCreditIf(ctx context.Context, actor marketplace.Actor, in marketplace.CreditInput) (marketplace.Account, error)
	GetAccount(ctx context.Context, actor marketplace.Actor, id string) (marketplace.Account, error)
	SettleCredit(ctx context.Context, actor marketplace.Actor, accountID string) (billing.Money, error)
	Events(ctx context.Context, actor marketplace.Actor, after int64, limit int) ([]marketplace.Event, error)

	// Saved list.
	SaveItem(ctx context.Context, actor marketplace.Actor, in marketplace.SavedInput) (marketplace.SavedItem, error)
	RemoveSavedItem(ctx context.Context, actor marketplace.Actor, in marketplace.SavedInput) error
	SavedList(ctx context.Context, actor marketplace.Actor) ([]marketplace.SavedEntry, error)
}

// register adds every use-case route.
func (h *Handler) register() {
	h.registerCatalog()
	h.registerSaved()
	h.registerOrders()
	h.registerFlows()
	h.registerApps()
	h.registerUnsubscribe()
	h.registerRefunds()
	h.registerInvoices()
	h.registerAccounts()
}
