package supervision_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	sv "github.com/opengallery/opengallery/supervision"
)

func TestCommandValidate(t *testing.T) {
	tests := []struct {
		name  string
		c     sv.Command
		field string // "" when valid
	}{
		{"valid accept", validCommand(sv.Accept, sv.Buyer), ""},
		{"unknown role", sv.Command{Actor: sv.Actor{ID: "x", Role: "admin"}, Action: sv.Accept}, "Actor.Role"},
		{"empty actor id", sv.Command{Actor: sv.Actor{Role: sv.Buyer}, Action: sv.Accept}, "Actor.ID"},
		{"long actor id", sv.Command{Actor: sv.Actor{ID: strings.Repeat("x", 129), Role: sv.Buyer}, Action: sv.Accept}, "Actor.ID"},
		{"unknown action", sv.Command{Actor: buyer, Action: "cancel"}, "Action"},
		{"reject without reason", sv.Command{Actor: seller, Action: sv.RejectRequest}, "Reason"},
		{"appeal with blank reason", sv.Command{Actor: buyer, Action: sv.Appeal, Reason: " \n"}, "Reason"},
		{"reason 1000 characters", sv.Command{Actor: buyer, Action: sv.Appeal, Reason: strings.Repeat("é", 1000)}, ""},
		{"reason 1001 characters", sv.Command{Actor: buyer, Action: sv.Appeal, Reason: strings.Repeat("é", 1001)}, "Reason"},
		{"optional reason on accept", sv.Command{Actor: buyer, Action: sv.Accept, Reason: "great"}, ""},
		{"deliver without result", sv.Command{Actor: seller, Action: sv.Deliver}, "Result"},
		{"result 4001 characters", sv.Command{Actor: seller, Action: sv.Deliver, Result: strings.Repeat("r", 4001)}, "Result"},
		{"description on accept", sv.Command{Actor: buyer, Action: sv.Accept, Description: "x"}, "Description"},
		{"result on accept", sv.Command{Actor: buyer, Action: sv.Accept, Result: "x"}, "Result"},
		{"enabling time on accept", sv.Command{Actor: buyer, Action: sv.Accept, EnablingTime: t0}, "EnablingTime"},
		{"resume status on complete", sv.Command{Actor: operator, Action: sv.Complete, Reason: "r", ResumeStatus: sv.AwaitingDelivery}, "ResumeStatus"},
		{"unknown resume status", sv.Command{Actor: operator, Action: sv.Resume, Reason: "r", ResumeStatus: "paused"}, "ResumeStatus"},
		{"refund on complete", sv.Command{Actor: operator, Action: sv.Complete, Reason: "r", Refund: true}, "Refund"},
		{"refund on terminate", sv.Command{Actor: operator, Action: sv.Terminate, Reason: "r", Refund: true}, ""},
		{"auto accept with files", sv.Command{Actor: system, Action: sv.AutoAccept, Attachments: []sv.Attachment{pdf}}, "Attachments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkInputError(t, tt.c.Validate(), tt.field)
		})
	}
}

func TestApplyRejectsBadInputs(t *testing.T) {
	f := mustNew(sv.Standard)
	bad := sv.DefaultPolicy()
	bad.AppealThreshold = 0
	broken := f
	broken.Status = sv.PlatformReview
	frozenMismatch := f
	frozenMismatch.Frozen = true
	tests := []struct {
		name  string
		f     sv.Flow
		c     sv.Command
		now   time.Time
		p     sv.Policy
		field string
	}{
		{"invalid policy", f, validCommand(sv.SubmitRequest, sv.Buyer), t0, bad, "Policy.AppealThreshold"},
		{"zero now", f, validCommand(sv.SubmitRequest, sv.Buyer), time.Time{}, sv.DefaultPolicy(), "now"},
		{"unknown template", sv.Flow{Template: "hardware", Status: sv.AwaitingRequest}, validCommand(sv.SubmitRequest, sv.Buyer), t0, sv.DefaultPolicy(), "Template"},
		{"status outside template", broken, validCommand(sv.SubmitRequest, sv.Buyer), t0, sv.DefaultPolicy(), "Status"},
		{"frozen without appeal status", frozenMismatch, validCommand(sv.SubmitRequest, sv.Buyer), t0, sv.DefaultPolicy(), "Frozen"},
		{"invalid command", f, sv.Command{Actor: buyer, Action: sv.SubmitRequest}, t0, sv.DefaultPolicy(), "Description"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, rec, err := sv.Apply(tt.f, tt.c, tt.now, tt.p)
			var ie *sv.InputError
			if !errors.As(err, &ie) || ie.Field != tt.field {
				t.Fatalf("err = %v, want InputError on %s", err, tt.field)
			}
			if got.Status != tt.f.Status || rec.Seq != 0 {
				t.Errorf("bad input changed something: %s %+v", got.Status, rec)
			}
			if sv.Available(tt.f, sv.Buyer, t0, tt.p) != nil && tt.field != "now" && tt.field != "Description" {
				t.Errorf("Available on bad input is not empty")
			}
		})
	}
}
