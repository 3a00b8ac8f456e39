package marketplace

import (
	"context"
	"time"

	"github.com/opengallery/opengallery/billing"
)

// MaskedPassword is what a password looks like until its owner reveals it.
const MaskedPassword = "********"

// AppView is application info as shown: the password masked.
type AppView struct {
	InstanceID  string   `json:"instance_id,omitempty"`
	Username    string   `json:"username,omitempty"`
	Password    string   `json:"password,omitempty"` // MaskedPassword when there is one
	FrontEndURL string   `json:"front_end_url,omitempty"`
	AdminURL    string   `json:"admin_url,omitempty"`
	GuideURL    string   `json:"guide_url,omitempty"`
	Memo        string   `json:"memo,omitempty"`
	Servers     []string `json:"servers,omitempty"`
	// ReleasedServers are an ended image's former servers, released in the
	// cloud.
	ReleasedServers []string `json:"released_servers,omitempty"`
}

func appView(a AppInfo) AppView {
	v := AppView{InstanceID: a.InstanceID, Username: a.Username, FrontEndURL: a.FrontEndURL, AdminURL: a.AdminURL,
		GuideURL: a.GuideURL, Memo: a.Memo, Servers: a.Servers, ReleasedServers: a.ReleasedServers}
	if len(a.PasswordCipher) > 0 {
		v.Password = MaskedPassword
	}
	return v
}

// PurchasedApp is a resource as the Purchased Apps page shows it.
type PurchasedApp struct {
	ID          string         `json:"id"`
	ProductID   string         `json:"product_id"`
	ProductName string         `json:"product_name"`
	SpecID      string         `json:"spec_id"`
	SpecName    string         `json:"spec_name"`
	Delivery    DeliveryMethod `json:"delivery"`
	Status      ResourceStatus `json:"status"`
	Mode        billing.Mode   `json:"mode"`
	Quantity    int            `json:"quantity"`
	PurchasedAt time.Time      `json:"purchased_at"`
	ExpiresAt   *time.Time     `json:"expires_at,omitempty"`
	// Remaining is the time left before expiry ("30 days"); empty without
	// an expiry.
	Remaining  string              `json:"remaining,omitempty"`
	AutoRenew  billing.AutoRenewal `json:"auto_renew"`
	RenewalDay int                 `json:"renewal_day,omitempty"`
	// Usage is a pay-per-use purchase's metering: hours charged, the
	// total, and since when it is in arrears.
	Usage    *Usage   `json:"usage,omitempty"`
	App      AppView  `json:"app"`
	Seller   Contact  `json:"seller"`
	FlowID   string   `json:"flow_id,omitempty"`
	OrderIDs []string `json:"order_ids"`
	Version  int64    `json:"version"`
}

func (s *Service) purchasedApp(tx ReadTx, r Resource, now time.Time) PurchasedApp {
	pa := PurchasedApp{ID: r.ID, ProductID: r.ProductID, ProductName: r.ProductName, SpecID: r.SpecID, SpecName: r.SpecName,
		Delivery: r.Delivery, Status: r.Status, Mode: r.Mode, Quantity: r.Quantity, PurchasedAt: r.PurchasedAt,
		ExpiresAt: r.ExpiresAt, AutoRenew: r.AutoRenew, RenewalDay: r.RenewalDay, App: appView(r.App), FlowID: r.FlowID,
		OrderIDs: r.OrderIDs, Usage: r.Usage, Version: r.Version}
	if r.ExpiresAt != nil {
		pa.Remaining = billing.RemainingAt(*r.ExpiresAt, now).String()
	}
	if sl, err := tx.Seller(r.SellerID); err == nil {
		pa.Seller = Contact{SellerID: sl.ID, SellerName: sl.Name, SupportEmail: sl.SupportEmail, SupportPhone: sl.SupportPhone, SupportHours: sl.SupportHours}
	}
	if p, err := tx.Product(r.ProductID); err == nil {
		pa.Seller.SupportRange = p.SupportRange
	}
	return pa
}

// ListAppsInput pages through Purchased Apps.
type ListAppsInput struct {
	Status ResourceStatus `json:"status,omitempty"`
	Cursor string         `json:"cursor,omitempty"`
	Limit  int            `json:"limit,omitempty"`
}

// ListPurchasedApps lists the buyer's purchased apps, newest first: those
// visible in Purchased Apps (a supervised SaaS product only once its
// supervision completed).
//
// Errors: *InputError; *NotAllowedError for anyone but a buyer; store
// errors.
func (s *Service) ListPurchasedApps(ctx context.Context, actor Actor, in ListAppsInput) (Page[PurchasedApp], error) {
	if err := checkActor(actor, "list purchased apps", RoleBuyer); err != nil {
		return Page[PurchasedApp]{}, err
	}
	pg, err := s.store.ListResources(ctx, ResourceQuery{BuyerID: actor.ID, Status: in.Status, VisibleOnly: true, Cursor: in.Cursor, Limit: defLimit(in.Limit)})
	if err != nil {
		return Page[PurchasedApp]{}, err
	}
	out := Page[PurchasedApp]{Total: pg.Total, Next: pg.Next, Items: make([]PurchasedApp, 0, len(pg.Items))}
	now := s.now()
	err = s.store.View(ctx, func(tx ReadTx) error {
		for _, r := range pg.Items {
			out.Items = append(out.Items, s.purchasedApp(tx, r, now))
		}
		return nil
	})
	return out, err
}

// GetPurchasedApp returns one purchased app to its buyer (an operator may
// read any); the password stays masked.
//
// Errors: *InputError; *NotFoundError (also someone else's, or one not yet
// shown in Purchased Apps); store errors.
func (s *Service) GetPurchasedApp(ctx context.Context, actor Actor, id string) (PurchasedApp, error) {
	if err := checkActor(actor, "read a purchased app", RoleBuyer, RoleOperator); err != nil {
		return PurchasedApp{}, err
	}
	var out PurchasedApp
	err := s.store.View(ctx, func(tx ReadTx) error {
		r, err := s.ownResource(tx, actor, id)
		if err != nil {
			return err
		}
		if !r.Visible && actor.Role == RoleBuyer {
			return notFound(KindResource, id)
		}
		out = s.purchasedApp(tx, r, s.now())
		return nil
	})
	return out, err
}

// GetResource returns the full resource to its buyer, its seller or an
// operator (the password sealed, never in clear). An ended image whose
// servers were released lists them in App.ReleasedServers, not
// App.Servers.
//
// Errors: *InputError; *NotFoundError; store errors.
func (s *Service) GetResource(ctx context.Context, actor Actor, id string) (Resource, error) {
	if err := checkActor(actor, "read a resource"); err != nil {
		return Resource{}, err
	}
	var out Resource
	err := s.store.View(ctx, func(tx ReadTx) error {
		r, err := tx.Resource(id)
		if err != nil {
			return err
		}
		if !canSee(actor, r.BuyerID, r.SellerID) {
			return notFound(KindResource, id)
		}
		out = r
		return nil
	})
	return out, err
}

func (s *Service) ownResource(tx ReadTx, actor Actor, id string) (Resource, error) {
	r, err := tx.Resource(id)
	if err != nil {
		return Resource{}, err
	}
	if !(actor.IsBuyer(r.BuyerID) || actor.IsOperator() || actor.IsSystem()) {
		return Resource{}, notFound(KindResource, id)
	}
	return r, nil
}

// RevealPassword opens the stored SaaS password for the owning buyer only
// (also while supervision is still running: the app info is visible on
// the flow). Each reveal is recorded as an event.
//
// Errors: *InputError; *NotAllowedError for anyone but a buyer;
// *NotFoundError (also someone else's resource, or no password); an error
// when the stored password does not open with the configured key.
func (s *Service) RevealPassword(ctx context.Context, actor Actor, resourceID string) (string, error) {
	if err := checkActor(actor, "reveal a password", RoleBuyer); err != nil {
		return "", err
	}
	var out string
	err := s.update(ctx, func(tx Tx) error {
		r, err := tx.Resource(resourceID)
		if err != nil {
			return err
		}
		if !actor.IsBuyer(r.BuyerID) || len(r.App.PasswordCipher) == 0 {
			return notFound(KindResource, resourceID)
		}
		if out, err = s.creds.open(r.ID, r.App.PasswordCipher); err != nil {
			return err
		}
		return emit(tx, s.now(), actor, KindResource, r.ID, "resource.password_revealed", "", "", nil)
	})
	return out, err
}

// ResourceContact is the after-sales contact of a purchased app's seller.
//
// Errors: *InputError; *NotFoundError; store errors.
func (s *Service) ResourceContact(ctx context.Context, actor Actor, resourceID string) (Contact, error) {
	if err := checkActor(actor, "contact a seller", RoleBuyer, RoleOperator); err != nil {
		return Contact{}, err
	}
	var r Resource
	var p Product
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		if r, err = s.ownResource(tx, actor, resourceID); err != nil {
			return err
		}
		p, _ = tx.Product(r.ProductID)
		return nil
	})
	if err != nil {
		return Contact{}, err
	}
	return s.contact(ctx, r.SellerID, p.SupportRange)
}
