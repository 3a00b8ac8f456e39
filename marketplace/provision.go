package marketplace

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/opengallery/opengallery/billing"
	"github.com/opengallery/opengallery/provisioning"
)

// wrapProvisioning classifies a provisioning error for the caller: bad
// requests are invalid input, unreachable endpoints unavailable.
func wrapProvisioning(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, provisioning.ErrInvalidInput), errors.Is(err, provisioning.ErrQuotaExceeded),
		errors.Is(err, provisioning.ErrNameConflict), errors.Is(err, provisioning.ErrNotFound):
		return fmt.Errorf("%w: %w", ErrInvalidInput, err)
	default:
		return fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
}

// buyerReason says why a provisioning call failed in words fit for the
// order and resource fields buyers read (Provisioning.LastError,
// CancelReason, SellerCall.LastError) and for the events: a provisioner's
// error may quote the seller's endpoint URL, its signed query or its
// addresses, and a seller's result message is free text, so only the kind
// of failure is kept. The full error goes to the service's logger.
func buyerReason(err error) string {
	var (
		re *provisioning.ResultError
		fe *provisioning.FieldError
	)
	switch {
	case errors.As(err, &re):
		return fmt.Sprintf("the seller answered %s (%s)", re.Code, re.Code.Meaning())
	case errors.Is(err, context.DeadlineExceeded):
		return "the delivery endpoint did not answer in time"
	case errors.Is(err, context.Canceled):
		return "the call to the delivery endpoint was interrupted"
	case errors.Is(err, provisioning.ErrUnavailable), errors.Is(err, ErrUnavailable):
		return "the delivery endpoint is unavailable"
	case errors.As(err, &fe):
		return fmt.Sprintf("the delivery request is invalid (%s)", fe.Field)
	case errors.Is(err, provisioning.ErrQuotaExceeded):
		return "the server quota is exceeded"
	case errors.Is(err, provisioning.ErrNameConflict):
		return "the server name is already in use"
	case errors.Is(err, provisioning.ErrNotFound):
		return "a requested cloud resource does not exist"
	}
	return "an unexpected error occurred"
}

// planImage checks an image order's deployment against the catalog, the
// buyer's servers and quota, with the password given at payment, and
// returns the deployment plan. Nothing is charged if it fails.
func (s *Service) planImage(ctx context.Context, o Order, p Product, login *ImageLogin) (provisioning.Plan, error) {
	if s.deployer == nil {
		return provisioning.Plan{}, fmt.Errorf("%w: %w", ErrUnavailable, errNoDeployer)
	}
	if o.Image == nil {
		return provisioning.Plan{}, inputErr("image", nil, "the order has no deployment")
	}
	if login == nil {
		return provisioning.Plan{}, inputErr("login", nil, "an image purchase needs the servers' login password")
	}
	im := *o.Image
	inv, err := s.deployer.Inventory(ctx, o.BuyerID, im.Region)
	if err != nil {
		return provisioning.Plan{}, wrapProvisioning(err)
	}
	env := provisioning.Environment{Catalog: s.catalog, Inventory: inv}
	image := p.ID
	if im.Version != "" {
		image += ":" + im.Version
	}
	vmMode := o.Mode
	if vmMode == billing.OneTime {
		vmMode = billing.PayPerUse // a bought-out image runs on servers billed by the hour
	}
	duration := o.Duration
	if !vmMode.Prepaid() {
		duration = 0
	}
	var plan provisioning.Plan
	if im.Mode == "quick" {
		plan, err = provisioning.PlanQuick(provisioning.QuickRequest{
			Account: o.BuyerID, OrderID: o.ID, OrderLineID: o.ID + "-1", Region: im.Region, Image: image, Flavor: im.Flavor,
			VPC: im.VPC, Subnet: im.Subnet, SecurityGroup: provisioning.SecurityGroupChoice{ID: im.SecurityGroup},
			Password: login.Password, ConfirmPassword: login.ConfirmPassword, TermsAgreed: true, Mode: vmMode, Duration: duration,
		}, env)
	} else {
		req := provisioning.CustomRequest{
			Account: o.BuyerID, OrderID: o.ID, OrderLineID: o.ID + "-1", Mode: vmMode, Duration: duration,
			Region: im.Region, Zone: im.Zone, Flavor: im.Flavor, Image: image,
			SystemDisk:     provisioning.Disk{Type: im.SystemDisk, SizeGiB: im.SystemDiskGiB},
			Network:        provisioning.Network{VPC: im.VPC, Subnet: im.Subnet},
			SecurityGroups: []provisioning.SecurityGroupChoice{{ID: im.SecurityGroup}},
			Name:           im.Name, Quantity: im.servers(), TermsAgreed: true,
			Login: provisioning.Login{Password: login.Password, ConfirmPassword: login.ConfirmPassword, KeyPair: login.KeyPair},
		}
		if login.KeyPair != "" {
			req.Login.Mode = provisioning.LoginKeyPair
		}
		if im.EIPMbps > 0 {
			req.EIP = &provisioning.EIP{BandwidthMbps: im.EIPMbps}
		}
		plan, err = provisioning.PlanCustom(req, env)
	}
	if err != nil {
		return provisioning.Plan{}, wrapProvisioning(err)
	}
	return plan, nil
}

// deploy hands a paid image order's plan to the deployer. The password is
// in req only for this call.
func (s *Service) deploy(ctx context.Context, orderID string, req provisioning.DeployRequest) {
	dep, err := s.deployer.Deploy(ctx, req)
	s.afterDeploy(ctx, orderID, 0, dep, err)
}

// afterDeploy records a deploy or deployment poll result: active servers
// complete the order, a failure cancels and refunds it, a deployment still
// building is polled under the delivery policy's query rule.
func (s *Service) afterDeploy(ctx context.Context, orderID string, version int64, dep provisioning.Deployment, callErr error) {
	if callErr != nil {
		s.log.Warn("marketplace: deployment call failed", "order", orderID, "err", callErr)
	}
	refund := false
	err := s.update(ctx, func(tx Tx) error {
		o, err := tx.Order(orderID)
		if err != nil {
			return err
		}
		if o.Provisioning.Phase != PhaseDeploy || (version != 0 && o.Version != version) {
			return nil // handled elsewhere meanwhile
		}
		now := s.now()
		pr := &o.Provisioning
		pr.attempt(now)
		switch {
		case callErr != nil && pr.InstanceID == "":
			// The first deploy call failed: the password is gone, so the
			// order cannot be retried. Cancel and refund.
			pr.Phase, pr.LastError = PhaseFailed, buyerReason(callErr)
			refund = true
			return s.cancelPaid(tx, &o, now, "image deployment failed: "+pr.LastError)
		case callErr == nil && dep.Status == provisioning.DeploymentFailed:
			pr.Phase, pr.LastError = PhaseFailed, "deployment failed"
			refund = true
			return s.cancelPaid(tx, &o, now, "image deployment failed")
		case callErr == nil && dep.Status == provisioning.DeploymentActive:
			pr.InstanceID, pr.Phase, pr.DoneAt, pr.LastError = dep.ID, PhaseDone, &now, ""
			r, err := tx.Resource(o.ResourceID)
			if err != nil {
				return err
			}
			r.App.InstanceID = dep.ID
			r.App.Servers = nil
			for _, sv := range dep.Servers {
				r.App.Servers = append(r.App.Servers, sv.ID)
			}
			if err := s.activate(&r, *o.PaidAt, now); err != nil {
				return err
			}
			if err := tx.PutResource(&r); err != nil {
				return err
			}
			if err := emit(tx, now, SystemActor(), KindResource, r.ID, "resource.activated", string(ResourcePending), string(r.Status), nil); err != nil {
				return err
			}
			return s.completeOrder(tx, &o, now, nil)
		default: // building, or a poll failed: poll again later
			if callErr == nil {
				pr.InstanceID = dep.ID
			} else {
				pr.LastError = buyerReason(callErr)
			}
			next, ok := s.delivery.Query.Next(pr.Attempts, *pr.FirstAt, now)
			if !ok {
				pr.Phase = PhaseStalled
				o.NextDueAt = nil
				if err := tx.PutOrder(&o); err != nil {
					return err
				}
				return emit(tx, now, SystemActor(), KindOrder, o.ID, "order.provisioning_stalled", "", "", map[string]string{"error": pr.LastError})
			}
			next = next.UTC().Truncate(time.Microsecond)
			o.NextDueAt = &next
			return tx.PutOrder(&o)
		}
	})
	if err != nil {
		s.log.Error("marketplace: record deployment", "order", orderID, "err", err)
		return
	}
	if refund {
		if err := s.settleRefund(ctx, orderID); err != nil {
			s.log.Warn("marketplace: refund after failed deployment; the runner retries", "order", orderID, "err", err)
		}
	}
}

// provisionStep makes one SaaS provisioning call for a paid order (create,
// or query until app info arrives) and records the outcome under the
// delivery policy. It returns whether it acted.
func (s *Service) provisionStep(ctx context.Context, orderID string) {
	var o Order
	var p Product
	err := s.store.View(ctx, func(tx ReadTx) error {
		var err error
		if o, err = tx.Order(orderID); err != nil {
			return err
		}
		p, err = tx.Product(o.ProductID)
		return err
	})
	if err != nil {
		s.log.Error("marketplace: provisioning: read order", "order", orderID, "err", err)
		return
	}
	if o.Status != OrderProcessing || (o.Provisioning.Phase != PhaseCreate && o.Provisioning.Phase != PhaseQuery) ||
		o.NextDueAt == nil || o.NextDueAt.After(s.now()) {
		return
	}
	if s.saas == nil {
		s.recordProvisioning(ctx, o, nil, provisioning.CreateResult{}, fmt.Errorf("%w: no SaaS endpoint configured", ErrUnavailable))
		return
	}
	ep, err := s.saas.SaaSFor(ctx, p)
	if err != nil {
		s.recordProvisioning(ctx, o, nil, provisioning.CreateResult{}, fmt.Errorf("%w: %w", ErrUnavailable, err))
		return
	}
	if o.Provisioning.Phase == PhaseCreate {
		res, err := ep.CreateInstance(ctx, s.createRequest(o, p))
		s.recordProvisioning(ctx, o, nil, res, err)
		return
	}
	infos, err := ep.QueryInstances(ctx, provisioning.QueryRequest{InstanceIDs: []string{o.Provisioning.InstanceID}})
	var app *provisioning.AppInfo
	for _, in := range infos {
		if in.InstanceID == o.Provisioning.InstanceID && in.Ready() {
			app = in.AppInfo
		}
	}
	s.recordProvisioning(ctx, o, app, provisioning.CreateResult{}, err)
}

func (s *Service) createRequest(o Order, p Product) provisioning.CreateRequest {
	req := provisioning.CreateRequest{
		OrderID: o.ID, OrderLineID: o.ID + "-1", BusinessID: s.ids.NewID("business"), ProductID: p.ID, Mode: o.Mode,
		Buyer: provisioning.Buyer{CustomerID: o.BuyerID},
		Order: provisioning.OrderDetails{Trial: o.Trial, Amount: o.Amount, PeriodCount: o.Duration, CreatedAt: o.CreatedAt,
			Products: []provisioning.ProductInfo{{ProductID: p.ID, SKUCode: o.SpecID, LinearValue: int64(o.Quantity)}}},
	}
	switch o.Mode {
	case billing.Monthly:
		req.Order.PeriodType = "month"
	case billing.Yearly:
		req.Order.PeriodType = "year"
	}
	return req
}

// recordProvisioning applies the result of one SaaS call to the order.
func (s *Service) recordProvisioning(ctx context.Context, read Order, app *provisioning.AppInfo, created provisioning.CreateResult, callErr error) {
	if callErr != nil {
		s.log.Warn("marketplace: provisioning call failed", "order", read.ID, "phase", read.Provisioning.Phase, "err", callErr)
	}
	refund := false
	err := s.update(ctx, func(tx Tx) error {
		o, err := tx.Order(read.ID)
		if err != nil {
			return err
		}
		if o.Version != read.Version {
			if read.Provisioning.Phase == PhaseCreate && callErr == nil && created.InstanceID != "" {
				return s.createdForEnded(tx, o, created.InstanceID)
			}
			return nil // another runner got there first
		}
		now := s.now()
		pr := &o.Provisioning
		pr.attempt(now)
		phase := pr.Phase
		if phase == PhaseCreate && callErr == nil && !created.Processing {
			// Created: poll for the app info from now on (unless it came
			// with the answer).
			pr.InstanceID, pr.Phase, pr.Attempts, pr.FirstAt, pr.LastError = created.InstanceID, PhaseQuery, 0, &now, ""
			app = created.AppInfo
			if err := emit(tx, now, SystemActor(), KindOrder, o.ID, "order.instance_created", "", "", map[string]string{"instance_id": created.InstanceID}); err != nil {
				return err
			}
			if app == nil {
				o.NextDueAt = &now
				return tx.PutOrder(&o)
			}
		}
		if app != nil {
			return s.delivered(tx, &o, *app, now)
		}
		if callErr != nil {
			pr.LastError = buyerReason(callErr)
		} else if created.Processing {
			pr.LastError = "the seller is processing the request"
		} else {
			pr.LastError = "app info not ready"
		}
		policy := s.delivery.Query
		if phase == PhaseCreate {
			policy = s.delivery.Create
		}
		next, ok := policy.Next(pr.Attempts, *pr.FirstAt, now)
		if callErr != nil && !provisioning.Retryable(callErr) && !errors.Is(callErr, ErrUnavailable) {
			ok = false
		}
		if ok {
			next = next.UTC().Truncate(time.Microsecond)
			o.NextDueAt = &next
			return tx.PutOrder(&o)
		}
		if phase == PhaseCreate && policy.OnExhausted != provisioning.ExhaustManual {
			pr.Phase = PhaseFailed
			refund = true
			return s.cancelPaid(tx, &o, now, "provisioning failed: "+pr.LastError)
		}
		pr.Phase, o.NextDueAt = PhaseStalled, nil
		if err := tx.PutOrder(&o); err != nil {
			return err
		}
		return emit(tx, now, SystemActor(), KindOrder, o.ID, "order.provisioning_stalled", "", "", map[string]string{"error": pr.LastError})
	})
	if err != nil {
		s.log.Error("marketplace: record provisioning", "order", read.ID, "err", err)
		return
	}
	if refund {
		if err := s.settleRefund(ctx, read.ID); err != nil {
			s.log.Warn("marketplace: refund after failed provisioning; the runner retries", "order", read.ID, "err", err)
		}
	}
}

// createdForEnded records an instance the seller created for an order
// that moved on while the create call was at the seller. An order still
// processing provisions on (its next create call, under the same key, gets
// the same instance back). An order that ended meanwhile (its purchase was
// unsubscribed, or an operator terminated it) is provisioned no further,
// and nothing else knows the instance: it is recorded on the order and, if
// the resource has ended, released at the seller.
func (s *Service) createdForEnded(tx Tx, o Order, instanceID string) error {
	if o.Status == OrderProcessing || o.Provisioning.InstanceID != "" {
		return nil
	}
	now := s.now()
	o.Provisioning.InstanceID, o.UpdatedAt = instanceID, now
	if err := tx.PutOrder(&o); err != nil {
		return err
	}
	if err := emit(tx, now, SystemActor(), KindOrder, o.ID, "order.instance_created", "", "", map[string]string{"instance_id": instanceID}); err != nil {
		return err
	}
	if o.ResourceID == "" {
		return nil
	}
	r, err := tx.Resource(o.ResourceID)
	if err != nil {
		return err
	}
	switch r.Status {
	case ResourceUnsubscribed, ResourceFailed, ResourceReleased:
	default:
		return nil
	}
	if r.App.InstanceID != "" {
		return nil // the resource has an instance of its own to release
	}
	callOrder := o.ID
	if n := len(r.OrderIDs); n > 0 {
		callOrder = r.OrderIDs[n-1] // the order that ended it
	}
	before := len(r.SellerCalls)
	s.oweFor(&r, CallRelease, callOrder, instanceID, now)
	if len(r.SellerCalls) == before {
		return nil
	}
	r.UpdatedAt = now
	s.scheduleResource(&r, now)
	return tx.PutResource(&r)
}

// delivered stores a SaaS instance's app info (password sealed) and, for
// an unsupervised product, activates the resource and completes the order.
func (s *Service) delivered(tx Tx, o *Order, app provisioning.AppInfo, now time.Time) error {
	pr := &o.Provisioning
	pr.Phase, pr.DoneAt, pr.LastError = PhaseDone, &now, ""
	r, err := tx.Resource(o.ResourceID)
	if err != nil {
		return err
	}
	r.App = AppInfo{InstanceID: pr.InstanceID, Username: app.UserName, PasswordCipher: s.creds.seal(r.ID, app.Password.Reveal()),
		FrontEndURL: app.FrontEndURL, AdminURL: app.AdminURL, GuideURL: r.App.GuideURL, Memo: app.Memo}
	r.UpdatedAt = now
	from := r.Status
	if !r.Supervised {
		if err := s.activate(&r, *o.PaidAt, now); err != nil {
			return err
		}
		s.complete(o, now)
	} else {
		o.NextDueAt = nil
		if f, err := tx.Flow(o.FlowID); err == nil && f.Supervision.Accepted() {
			// Accepted before the instance was ready: complete on schedule.
			if at, ok := f.Supervision.OrderCompletionAt(s.policy); ok {
				at = at.UTC()
				o.NextDueAt = &at
			}
		}
	}
	if err := tx.PutResource(&r); err != nil {
		return err
	}
	if err := emit(tx, now, SystemActor(), KindResource, r.ID, "resource.delivered", string(from), string(r.Status), map[string]string{"instance_id": pr.InstanceID}); err != nil {
		return err
	}
	if err := tx.PutOrder(o); err != nil {
		return err
	}
	if o.Status == OrderCompleted {
		return emit(tx, now, SystemActor(), KindOrder, o.ID, "order.completed", string(OrderProcessing), string(OrderCompleted), nil)
	}
	return nil
}
