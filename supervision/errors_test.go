package supervision_test

import (
	"errors"
	"testing"

	sv "github.com/opengallery/opengallery/supervision"
)

func TestErrors(t *testing.T) {
	ie := &sv.InputError{Field: "Description", Value: 1001, Reason: "too long"}
	if !errors.Is(ie, sv.ErrInvalidInput) || ie.Error() != "supervision: invalid Description 1001: too long" {
		t.Errorf("InputError: %v", ie)
	}
	_, _, err := sv.Apply(standardAt(sv.AwaitingDelivery), validCommand(sv.Appeal, sv.Buyer), t0, sv.DefaultPolicy())
	var na *sv.NotAllowedError
	if !errors.As(err, &na) || !errors.Is(err, sv.ErrTooEarly) || errors.Is(err, sv.ErrFrozen) || errors.Is(err, sv.ErrInvalidInput) {
		t.Fatalf("err = %v", err)
	}
	if na.Action != sv.Appeal || na.Role != sv.Buyer || na.Status != sv.AwaitingDelivery || na.Reason == "" {
		t.Errorf("NotAllowedError = %+v", na)
	}
	const prefix = "supervision: buyer may not appeal in status awaiting_delivery: "
	if got := na.Error(); len(got) <= len(prefix) || got[:len(prefix)] != prefix {
		t.Errorf("message = %q", got)
	}
	_, _, err = sv.Apply(standardAt(sv.AwaitingDelivery), validCommand(sv.Accept, sv.Buyer), t0, sv.DefaultPolicy())
	if !errors.Is(err, sv.ErrNotAllowed) || errors.Is(err, sv.ErrTooEarly) {
		t.Errorf("plain not allowed: %v", err)
	}
}
