package marketplace

import "context"

// Events returns up to limit events after sequence number after, in order:
// the change feed a host follows (operators and the system only; it spans
// every buyer and seller).
//
// Errors: *InputError (limit outside 1..1000, after < 0);
// *NotAllowedError for buyers and sellers; store errors.
func (s *Service) Events(ctx context.Context, actor Actor, after int64, limit int) ([]Event, error) {
	if err := checkActor(actor, "read the event feed", RoleOperator, RoleSystem); err != nil {
		return nil, err
	}
	return s.store.Events(ctx, after, limit)
}
