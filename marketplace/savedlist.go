package marketplace

import (
	"context"
	"time"
)

// SavedItem is a product specification on a buyer's saved list. Its key is
// (BuyerID, ProductID, SpecID); SpecID may be empty for the product as a
// whole.
type SavedItem struct {
	BuyerID   string    `json:"buyer_id"`
	ProductID string    `json:"product_id"`
	SpecID    string    `json:"spec_id,omitempty"`
	AddedAt   time.Time `json:"added_at"`
}

// SavedInput names a product (and optionally one specification) on a
// buyer's saved list.
type SavedInput struct {
	ProductID string `json:"product_id"`
	SpecID    string `json:"spec_id,omitempty"`
}

// Validate checks the input.
//
// Errors: *InputError (ErrInvalidInput).
func (in SavedInput) Validate() error {
	if err := checkID("product_id", in.ProductID); err != nil {
		return err
	}
	if in.SpecID != "" {
		return checkID("spec_id", in.SpecID)
	}
	return nil
}

// SaveItem adds a listed product (or one of its active specifications) to
// the buyer's saved list; saving it again refreshes it.
//
// Errors: *InputError; *NotAllowedError for anyone but a buyer;
// *NotFoundError for a product that is not listed or a spec it lacks.
func (s *Service) SaveItem(ctx context.Context, actor Actor, in SavedInput) (SavedItem, error) {
	if err := checkActor(actor, "save a product", RoleBuyer); err != nil {
		return SavedItem{}, err
	}
	if err := in.Validate(); err != nil {
		return SavedItem{}, err
	}
	var out SavedItem
	err := s.update(ctx, func(tx Tx) error {
		p, err := tx.Product(in.ProductID)
		if err != nil {
			return err
		}
		if p.Status != ProductListed {
			return notFound(KindProduct, in.ProductID)
		}
		if in.SpecID != "" {
			if sp, ok := p.Spec(in.SpecID); !ok || sp.Status != SpecActive {
				return notFound("specification", in.SpecID)
			}
		}
		now := s.now()
		out = SavedItem{BuyerID: actor.ID, ProductID: in.ProductID, SpecID: in.SpecID, AddedAt: now}
		if err := tx.PutSavedItem(out); err != nil {
			return err
		}
		return emit(tx, now, actor, KindSavedItem, actor.ID, "saved_list.added", "", "", in)
	})
	return out, err
}

// RemoveSavedItem removes an item from the buyer's saved list.
//
// Errors: *InputError; *NotAllowedError for anyone but a buyer;
// *NotFoundError when the item is not on the list.
func (s *Service) RemoveSavedItem(ctx context.Context, actor Actor, in SavedInput) error {
	if err := checkActor(actor, "remove a saved product", RoleBuyer); err != nil {
		return err
	}
	if err := in.Validate(); err != nil {
		return err
	}
	return s.update(ctx, func(tx Tx) error {
		if err := tx.DeleteSavedItem(actor.ID, in.ProductID, in.SpecID); err != nil {
			return err
		}
		return emit(tx, s.now(), actor, KindSavedItem, actor.ID, "saved_list.removed", "", "", in)
	})
}

// SavedEntry is a saved item with the product as it is now (nil when the
// product is no longer listed), its whitelist withheld (see Restriction).
type SavedEntry struct {
	SavedItem
	Product *Product `json:"product,omitempty"`
}

// SavedList returns the buyer's saved list, oldest first. Buying from the
// list is CreateOrder with the entry's product and specification.
//
// Errors: *InputError; *NotAllowedError for anyone but a buyer; store errors.
func (s *Service) SavedList(ctx context.Context, actor Actor) ([]SavedEntry, error) {
	if err := checkActor(actor, "read a saved list", RoleBuyer); err != nil {
		return nil, err
	}
	var out []SavedEntry
	err := s.store.View(ctx, func(tx ReadTx) error {
		items, err := tx.SavedItems(actor.ID)
		if err != nil {
			return err
		}
		out = make([]SavedEntry, 0, len(items))
		for _, it := range items {
			e := SavedEntry{SavedItem: it}
			if p, err := tx.Product(it.ProductID); err == nil && p.Status == ProductListed {
				v := p.view(actor)
				e.Product = &v
			}
			out = append(out, e)
		}
		return nil
	})
	return out, err
}
