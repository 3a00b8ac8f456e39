package supervision_test

import (
	"errors"
	"fmt"
	"time"

	"github.com/opengallery/opengallery/supervision"
)

// run applies commands in order an hour apart, printing each new status
// label or the error (which leaves the flow as it was), and returns the
// final flow.
func run(f supervision.Flow, at time.Time, cmds ...supervision.Command) supervision.Flow {
	p := supervision.DefaultPolicy()
	fmt.Println(f.Label())
	for _, c := range cmds {
		at = at.Add(time.Hour)
		n, rec, err := supervision.Apply(f, c, at, p)
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Printf("#%d %s %s -> %s\n", rec.Seq, c.Actor.Role, c.Action, n.Label())
		f = n
	}
	return f
}

// A license needs no request: the seller delivers offline, the buyer
// rejects once, then accepts. The order completes 3 hours after acceptance.
func ExampleApply_license() {
	paid := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	f, _ := supervision.New("order-1/line-1", supervision.License, paid)
	buyer := supervision.Actor{ID: "buyer-1", Role: supervision.Buyer}
	seller := supervision.Actor{ID: "isv-1", Role: supervision.Seller}
	f = run(f, paid,
		supervision.Command{Actor: seller, Action: supervision.Deliver, Result: "License key sent by email"},
		supervision.Command{Actor: buyer, Action: supervision.RejectDelivery, Reason: "No key received"},
		supervision.Command{Actor: seller, Action: supervision.Deliver, Result: "Key re-sent to the billing contact"},
		supervision.Command{Actor: buyer, Action: supervision.Accept},
	)
	done, _ := f.OrderCompletionAt(supervision.DefaultPolicy())
	start, _ := f.TermStart()
	fmt.Println("rejections:", f.BuyerRejections, "order completes:", done.Format(time.DateTime), "term starts:", start.Format(time.DateTime))
	// Output:
	// Waiting for the seller to provide the service
	// #1 seller deliver -> Waiting for the user to confirm acceptance
	// #2 buyer reject_delivery -> Waiting for the seller to provide the service
	// #3 seller deliver -> Waiting for the user to confirm acceptance
	// #4 buyer accept -> Service completed
	// rejections: 1 order completes: 2026-03-01 15:00:00 term starts: 2026-03-01 12:00:00
}

// A professional service: the seller sends the request back once, then
// confirms and delivers with an actual enabling time, from which the term
// starts.
func ExampleApply_standard() {
	paid := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	f, _ := supervision.New("order-2/line-1", supervision.Standard, paid)
	buyer := supervision.Actor{ID: "buyer-1", Role: supervision.Buyer}
	seller := supervision.Actor{ID: "isv-1", Role: supervision.Seller}
	f = run(f, paid,
		supervision.Command{Actor: buyer, Action: supervision.SubmitRequest, Description: "Migrate 3 VMs"},
		supervision.Command{Actor: seller, Action: supervision.RejectRequest, Reason: "Which region?"},
		supervision.Command{Actor: buyer, Action: supervision.SubmitRequest, Description: "Migrate 3 VMs to AP-Singapore"},
		supervision.Command{Actor: seller, Action: supervision.ConfirmRequest},
		supervision.Command{Actor: seller, Action: supervision.Deliver, Result: "Migrated",
			EnablingTime: paid.Add(4 * time.Hour),
			Attachments:  []supervision.Attachment{{Name: "acceptance.PDF", Size: 80_000, BlobRef: "blob/77"}}},
		supervision.Command{Actor: buyer, Action: supervision.Accept},
	)
	start, _ := f.TermStart()
	fmt.Println("seller rejections:", f.SellerRejections, "term starts:", start.Format(time.DateTime))
	// Output:
	// Waiting for the user to submit the request
	// #1 buyer submit_request -> Waiting for the seller to confirm the request
	// #2 seller reject_request -> Waiting for the user to submit the request
	// #3 buyer submit_request -> Waiting for the seller to confirm the request
	// #4 seller confirm_request -> Waiting for the seller to deliver the service
	// #5 seller deliver -> Waiting for the user to confirm acceptance
	// #6 buyer accept -> Service completed
	// seller rejections: 1 term starts: 2026-03-01 12:00:00
}

// Website deployment has the Standard shape under its own tab. Here the
// buyer rejects the delivery three times; the third rejection opens an
// appeal at once (no idle time needed), and an operator ends the flow with
// a refund for the order.
func ExampleApply_websiteDeployment() {
	paid := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	f, _ := supervision.New("order-6/line-1", supervision.WebsiteDeployment, paid)
	buyer := supervision.Actor{ID: "buyer-1", Role: supervision.Buyer}
	seller := supervision.Actor{ID: "isv-1", Role: supervision.Seller}
	ops := supervision.Actor{ID: "ops-1", Role: supervision.Operator}
	deliver := supervision.Command{Actor: seller, Action: supervision.Deliver, Result: "Site live at https://shop.example.com"}
	reject := supervision.Command{Actor: buyer, Action: supervision.RejectDelivery, Reason: "Checkout page fails"}
	f = run(f, paid,
		supervision.Command{Actor: buyer, Action: supervision.SubmitRequest, Description: "Deploy the shop on our domain"},
		supervision.Command{Actor: seller, Action: supervision.ConfirmRequest},
		deliver, reject, deliver, reject,
		supervision.Command{Actor: buyer, Action: supervision.Appeal, Reason: "Still broken"},
		deliver, reject,
		supervision.Command{Actor: buyer, Action: supervision.Appeal, Reason: "Broken after three deliveries"},
		supervision.Command{Actor: ops, Action: supervision.Terminate, Reason: "Seller cannot deliver", Refund: true},
	)
	fmt.Println("buyer rejections:", f.BuyerRejections, "refund:", f.Refund, "accepted:", f.Accepted())
	// Output:
	// Waiting for the user to submit the request
	// #1 buyer submit_request -> Waiting for the seller to confirm the request
	// #2 seller confirm_request -> Waiting for the seller to deliver the service
	// #3 seller deliver -> Waiting for the user to confirm acceptance
	// #4 buyer reject_delivery -> Waiting for the seller to deliver the service
	// #5 seller deliver -> Waiting for the user to confirm acceptance
	// #6 buyer reject_delivery -> Waiting for the seller to deliver the service
	// error: supervision: buyer may not appeal in status awaiting_delivery: needs 3 rejections either way (seller 0, buyer 2) or the other party idle for more than 120h0m0s
	// #7 seller deliver -> Waiting for the user to confirm acceptance
	// #8 buyer reject_delivery -> Waiting for the seller to deliver the service
	// #9 buyer appeal -> Waiting for the operations team to handle
	// #10 operator terminate -> Service terminated
	// buyer rejections: 3 refund: true accepted: false
}

// A SaaS product with the platform review on: the request needs an
// attachment, and an operator checks the delivery before the buyer sees it.
func ExampleApply_saas() {
	paid := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	f, _ := supervision.New("order-3/line-1", supervision.SaaS, paid, supervision.WithPlatformReview(true))
	buyer := supervision.Actor{ID: "buyer-1", Role: supervision.Buyer}
	seller := supervision.Actor{ID: "isv-1", Role: supervision.Seller}
	ops := supervision.Actor{ID: "ops-1", Role: supervision.Operator}
	form := supervision.Attachment{Name: "template.xlsx", Size: 9_000, BlobRef: "blob/9"}
	run(f, paid,
		supervision.Command{Actor: buyer, Action: supervision.SubmitRequest, Description: "20 seats"},
		supervision.Command{Actor: buyer, Action: supervision.SubmitRequest, Description: "20 seats",
			Attachments: []supervision.Attachment{form}},
		supervision.Command{Actor: seller, Action: supervision.ConfirmRequest},
		supervision.Command{Actor: seller, Action: supervision.Deliver, Result: "Tenant created"},
		supervision.Command{Actor: ops, Action: supervision.ReturnDelivery, Reason: "Admin URL missing"},
		supervision.Command{Actor: seller, Action: supervision.Deliver, Result: "Tenant created; admin URL added"},
		supervision.Command{Actor: ops, Action: supervision.ApproveDelivery},
		supervision.Command{Actor: buyer, Action: supervision.Accept},
	)
	// Output:
	// Waiting for the user to submit the request
	// error: supervision: invalid attachments 0: a SaaS request needs at least one attachment
	// #1 buyer submit_request -> Waiting for the seller to confirm the request
	// #2 seller confirm_request -> Waiting for the seller to deliver the service
	// #3 seller deliver -> HUAWEI CLOUD Reviews Service
	// #4 operator return_delivery -> Waiting for the seller to deliver the service
	// #5 seller deliver -> HUAWEI CLOUD Reviews Service
	// #6 operator approve_delivery -> Waiting for the user to confirm acceptance
	// #7 buyer accept -> Service completed
}

// An appeal freezes the flow: the buyer and seller can do nothing until an
// operator resolves it, here by resuming delivery.
func ExampleApply_appeal() {
	paid := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	p := supervision.DefaultPolicy()
	f, _ := supervision.New("order-4/line-1", supervision.License, paid)
	buyer := supervision.Actor{ID: "buyer-1", Role: supervision.Buyer}
	ops := supervision.Actor{ID: "ops-1", Role: supervision.Operator}

	appeal := supervision.Command{Actor: buyer, Action: supervision.Appeal, Reason: "No license after a week"}
	_, _, err := supervision.Apply(f, appeal, paid.Add(5*24*time.Hour), p)
	fmt.Println("after exactly 5 days:", errors.Is(err, supervision.ErrTooEarly))

	f, _, _ = supervision.Apply(f, appeal, paid.Add(5*24*time.Hour+time.Second), p)
	fmt.Println(f.Label(), "frozen:", f.Frozen)

	_, _, err = supervision.Apply(f, supervision.Command{Actor: buyer, Action: supervision.Remind}, paid.Add(6*24*time.Hour), p)
	fmt.Println("buyer while frozen:", errors.Is(err, supervision.ErrFrozen))
	fmt.Println("operator may:", supervision.Available(f, supervision.Operator, paid.Add(6*24*time.Hour), p))

	f, _, _ = supervision.Apply(f, supervision.Command{Actor: ops, Action: supervision.Resume,
		Reason: "Seller promised delivery by phone"}, paid.Add(6*24*time.Hour), p)
	fmt.Println(f.Label(), "frozen:", f.Frozen)
	// Output:
	// after exactly 5 days: true
	// Waiting for the operations team to handle frozen: true
	// buyer while frozen: true
	// operator may: [resume complete terminate]
	// Waiting for the seller to provide the service frozen: false
}

// Timers tell the host's runner what is due next.
func ExampleTimers() {
	paid := time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC)
	p := supervision.DefaultPolicy()
	f, _ := supervision.New("order-5/line-1", supervision.License, paid)
	for _, tm := range supervision.Timers(f, paid, p) {
		fmt.Println(tm.Kind, tm.Role, tm.At.Format(time.DateTime), tm.Due)
	}
	f, _, _ = supervision.Apply(f, supervision.Command{Actor: supervision.Actor{ID: "isv-1", Role: supervision.Seller},
		Action: supervision.Deliver, Result: "key"}, paid.Add(time.Hour), p)
	f, _, _ = supervision.Apply(f, supervision.Command{Actor: supervision.Actor{ID: "buyer-1", Role: supervision.Buyer},
		Action: supervision.Accept}, paid.Add(2*time.Hour), p)
	for _, tm := range supervision.Timers(f, paid.Add(5*time.Hour), p) {
		fmt.Println(tm.Kind, tm.Role, tm.At.Format(time.DateTime), tm.Due)
	}
	// Output:
	// appeal_available buyer 2026-03-06 08:00:00 false
	// order_completion system 2026-03-01 13:00:00 true
}

// Every template, where a new flow starts, and what its buyer first sees.
// Website deployment has the Standard shape under its own tab.
func ExampleTemplates() {
	for _, t := range supervision.Templates() {
		fmt.Printf("%s: %s (attachment required: %t, platform review: %t)\n",
			t.Name(), t.Label(t.Initial()), t.AttachmentRequired(), t.ReviewSupported())
	}
	// Output:
	// License: Waiting for the seller to provide the service (attachment required: false, platform review: false)
	// Standard: Waiting for the user to submit the request (attachment required: false, platform review: false)
	// Website deployment: Waiting for the user to submit the request (attachment required: false, platform review: false)
	// SaaS: Waiting for the user to submit the request (attachment required: true, platform review: true)
}
