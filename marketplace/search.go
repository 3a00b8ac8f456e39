package marketplace

import (
	"context"
	"strings"
	"unicode"

	"github.com/opengallery/opengallery/billing"
)

// Words splits s into the lower-cased words catalog text search matches
// against: maximal runs of letters and digits. Stores use it (or an
// equivalent tokenizer such as SQLite FTS5 unicode61 or PostgreSQL's simple
// configuration) so that every store answers a text query alike.
func Words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
}

// SearchTerms splits a query's Text into its lower-cased terms: the words of
// the text, as Words does.
func SearchTerms(text string) []string { return Words(text) }

// MatchesText reports whether every term is a prefix of some word of the
// product's name, description or seller name: the ProductQuery.Text rule.
func MatchesText(p Product, terms []string) bool {
	if len(terms) == 0 {
		return true
	}
	words := Words(p.Name + " " + p.Description + " " + p.SellerName)
	return MatchesWords(words, terms)
}

// MatchesWords reports whether every term is a prefix of one of words.
func MatchesWords(words, terms []string) bool {
	for _, t := range terms {
		found := false
		for _, w := range words {
			if strings.HasPrefix(w, t) {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// SearchInput is a buyer's catalog search. Zero fields do not filter; "clear
// filters" is the zero value.
type SearchInput struct {
	Text     string         `json:"text,omitempty"`
	Category string         `json:"category,omitempty"`
	OS       string         `json:"os,omitempty"`
	Delivery DeliveryMethod `json:"delivery,omitempty"`
	Mode     billing.Mode   `json:"mode,omitempty"`
	SellerID string         `json:"seller_id,omitempty"`
	Sort     ProductSort    `json:"sort,omitempty"`
	Cursor   string         `json:"cursor,omitempty"`
	// Limit is the page size, 1..MaxPageSize; 0 means 20.
	Limit int `json:"limit,omitempty"`
}

// Validate checks the input.
//
// Errors: *InputError (ErrInvalidInput).
func (in SearchInput) Validate() error {
	if len(in.Text) > 500 {
		return inputErr("text", len(in.Text), "must be at most 500 bytes")
	}
	if in.Delivery != "" && !Sellable(in.Delivery) {
		return inputErr("delivery", in.Delivery, "must be image, saas, license or professional_service")
	}
	if in.Mode != "" && !in.Mode.Valid() {
		return inputErr("mode", in.Mode, "unknown billing mode")
	}
	if in.Limit != 0 {
		if err := CheckLimit(in.Limit); err != nil {
			return err
		}
	}
	return CheckSort(in.Sort)
}

// Search searches the listed catalog: text over name, description and
// seller; filters by category, operating system, delivery method, billing
// mode and seller; a stable sort; cursor pagination; the total count. Every
// actor sees only listed products here (sellers manage their own through
// SellerProducts). Only a product's seller and operators read its
// whitelist; anyone else reads it withheld (see Restriction).
//
// Errors: *InputError (including a cursor from elsewhere); store errors.
func (s *Service) Search(ctx context.Context, actor Actor, in SearchInput) (Page[Product], error) {
	if err := checkActor(actor, "search"); err != nil {
		return Page[Product]{}, err
	}
	if err := in.Validate(); err != nil {
		return Page[Product]{}, err
	}
	limit := in.Limit
	if limit == 0 {
		limit = 20
	}
	pg, err := s.store.SearchProducts(ctx, ProductQuery{
		Text: in.Text, Category: in.Category, OS: in.OS, Delivery: in.Delivery, Mode: in.Mode, SellerID: in.SellerID,
		Statuses: []ProductStatus{ProductListed}, Sort: in.Sort, Cursor: in.Cursor, Limit: limit,
	})
	if err != nil {
		return Page[Product]{}, err
	}
	return viewPage(actor, pg), nil
}

// SellerProducts lists a seller's own products in every status (an
// operator may list any seller's).
//
// Errors: *InputError; *NotAllowedError for buyers and the system, or a
// seller asking for another seller; store errors.
func (s *Service) SellerProducts(ctx context.Context, actor Actor, sellerID string, statuses []ProductStatus, cursor string, limit int) (Page[Product], error) {
	if err := checkActor(actor, "list a seller's products", RoleSeller, RoleOperator); err != nil {
		return Page[Product]{}, err
	}
	if actor.Role == RoleSeller && actor.ID != sellerID {
		return Page[Product]{}, &NotAllowedError{Actor: actor, Action: "list another seller's products"}
	}
	if limit == 0 {
		limit = 20
	}
	return s.store.SearchProducts(ctx, ProductQuery{SellerID: sellerID, Statuses: statuses, Cursor: cursor, Limit: limit, Sort: SortNewest})
}

// ReviewQueue lists the products waiting for review, across sellers
// (operators only).
//
// Errors: *InputError; *NotAllowedError for anyone but an operator; store
// errors.
func (s *Service) ReviewQueue(ctx context.Context, actor Actor, cursor string, limit int) (Page[Product], error) {
	if err := checkActor(actor, "read the review queue", RoleOperator); err != nil {
		return Page[Product]{}, err
	}
	return s.store.SearchProducts(ctx, ProductQuery{Statuses: []ProductStatus{ProductInReview}, Sort: SortNewest, Cursor: cursor, Limit: defLimit(limit)})
}
