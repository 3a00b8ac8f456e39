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
		{"unknown role", sv.Command{Actor: sv.Actor{ID: "x", Role: "admin"}, Action: sv.Accept}, "actor.role"},
		{"empty actor id", sv.Command{Actor: sv.Actor{Role: sv.Buyer}, Action: sv.Accept}, "actor.id"},
		{"long actor id", sv.Command{Actor: sv.Actor{ID: strings.Repeat("x", 129), Role: sv.Buyer}, Action: sv.Accept}, "actor.id"},
		{"unknown action", sv.Command{Actor: buyer, Action: "cancel"}, "action"},
		{"reject without reason", sv.Command{Actor: seller, Action: sv.RejectRequest}, "reason"},
		{"appeal with blank reason", sv.Command{Actor: buyer, Action: sv.Appeal, Reason: " \n"}, "reason"},
		{"reason 1000 characters", sv.Command{Actor: buyer, Action: sv.Appeal, Reason: strings.Repeat("é", 1000)}, ""},
		{"reason 1001 characters", sv.Command{Actor: buyer, Action: sv.Appeal, Reason: strings.Repeat("é", 1001)}, "reason"},
		{"optional reason on accept", sv.Command{Actor: buyer, Action: sv.Accept, Reason: "great"}, ""},
		{"deliver without result", sv.Command{Actor: seller, Action: sv.Deliver}, "result"},
		{"result 4001 characters", sv.Command{Actor: seller, Action: sv.Deliver, Result: strings.Repeat("r", 4001)}, "result"},
		{"description on accept", sv.Command{Actor: buyer, Action: sv.Accept, Description: "x"}, "description"},
		{"result on accept", sv.Command{Actor: buyer, Action: sv.Accept, Result: "x"}, "result"},
		{"enabling time on accept", sv.Command{Actor: buyer, Action: sv.Accept, EnablingTime: t0}, "enabling_time"},
		{"resume status on complete", sv.Command{Actor: operator, Action: sv.Complete, Reason: "r", ResumeStatus: sv.AwaitingDelivery}, "resume_status"},
		{"unknown resume status", sv.Command{Actor: operator, Action: sv.Resume, Reason: "r", ResumeStatus: "paused"}, "resume_status"},
		{"refund on complete", sv.Command{Actor: operator, Action: sv.Complete, Reason: "r", Refund: true}, "refund"},
		{"refund on terminate", sv.Command{Actor: operator, Action: sv.Terminate, Reason: "r", Refund: true}, ""},
		{"auto accept with files", sv.Command{Actor: system, Action: sv.AutoAccept, Attachments: []sv.Attachment{pdf}}, "attachments"},
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
		{"unknown template", sv.Flow{Template: "hardware", Status: sv.AwaitingRequest}, validCommand(sv.SubmitRequest, sv.Buyer), t0, sv.DefaultPolicy(), "template"},
		{"status outside template", broken, validCommand(sv.SubmitRequest, sv.Buyer), t0, sv.DefaultPolicy(), "status"},
		{"frozen without appeal status", frozenMismatch, validCommand(sv.SubmitRequest, sv.Buyer), t0, sv.DefaultPolicy(), "frozen"},
		{"invalid command", f, sv.Command{Actor: buyer, Action: sv.SubmitRequest}, t0, sv.DefaultPolicy(), "description"},
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
			if sv.Available(tt.f, sv.Buyer, t0, tt.p) != nil && tt.field != "now" && tt.field != "description" {
				t.Errorf("Available on bad input is not empty")
			}
		})
	}
}
