package marketplace

// Role is the kind of party acting on the marketplace.
type Role string

// The roles. A reseller's associated customer is a RoleBuyer with a
// ResellerID.
const (
	RoleBuyer    Role = "buyer"
	RoleSeller   Role = "seller"
	RoleOperator Role = "operator"
	RoleSystem   Role = "system" // the due-work runner and other platform automation
)

// Actor is the party taking an action. The host authenticates it (the HTTP
// adapter's Authenticator port) and passes it to every use case; the
// marketplace authorizes it.
type Actor struct {
	Role Role   `json:"role"`
	ID   string `json:"id,omitempty"`
	// ResellerID is set for a buyer who is a reseller's associated customer:
	// their orders are placed without payment (the amount is for reference)
	// and the reseller settles offline.
	ResellerID string `json:"reseller_id,omitempty"`
}

// BuyerActor returns a buyer actor.
func BuyerActor(id string) Actor { return Actor{Role: RoleBuyer, ID: id} }

// ResellerCustomer returns a buyer actor associated with a reseller.
func ResellerCustomer(id, resellerID string) Actor {
	return Actor{Role: RoleBuyer, ID: id, ResellerID: resellerID}
}

// SellerActor returns a seller actor.
func SellerActor(id string) Actor { return Actor{Role: RoleSeller, ID: id} }

// OperatorActor returns a platform operator actor.
func OperatorActor(id string) Actor { return Actor{Role: RoleOperator, ID: id} }

// SystemActor returns the platform's own actor, used by the due-work runner.
func SystemActor() Actor { return Actor{Role: RoleSystem, ID: "system"} }

// Validate checks that the actor has a known role and an id.
//
// Errors: *InputError (ErrInvalidInput).
func (a Actor) Validate() error {
	switch a.Role {
	case RoleBuyer, RoleSeller, RoleOperator, RoleSystem:
	default:
		return inputErr("actor.role", a.Role, "must be buyer, seller, operator or system")
	}
	if a.ID == "" {
		return inputErr("actor.id", a.ID, "must not be empty")
	}
	if a.ResellerID != "" && a.Role != RoleBuyer {
		return inputErr("actor.reseller_id", a.ResellerID, "only a buyer can be a reseller's customer")
	}
	return nil
}

// String returns "role:id".
func (a Actor) String() string { return string(a.Role) + ":" + a.ID }

// IsBuyer reports whether a is the buyer with the given id.
func (a Actor) IsBuyer(id string) bool { return a.Role == RoleBuyer && a.ID == id }

// IsSeller reports whether a is the seller with the given id.
func (a Actor) IsSeller(id string) bool { return a.Role == RoleSeller && a.ID == id }

// IsOperator reports whether a is an operator.
func (a Actor) IsOperator() bool { return a.Role == RoleOperator }

// IsSystem reports whether a is the platform itself.
func (a Actor) IsSystem() bool { return a.Role == RoleSystem }
