package saasaccess_test

import (
	"context"
	"fmt"
	"sync"

	"github.com/opengallery/opengallery/provisioning"
)

// fakeSeller is a hand-written in-memory Seller that records every request
// it receives and can be told to fail, answer "processing" or panic.
type fakeSeller struct {
	mu         sync.Mutex
	next       int
	calls      []any                            // the provisioning requests received, in order
	instances  map[string]string                // id → status ("NORMAL", "FREEZE", "RELEASED")
	appInfo    map[string]*provisioning.AppInfo // id → app info once ready
	failWith   map[provisioning.Operation]error
	panicOn    provisioning.Operation
	processing bool
	creates    int // CreateInstance calls that created an instance
}

func newFakeSeller() *fakeSeller {
	return &fakeSeller{
		instances: map[string]string{},
		appInfo:   map[string]*provisioning.AppInfo{},
		failWith:  map[provisioning.Operation]error{},
	}
}

func (f *fakeSeller) record(op provisioning.Operation, req any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, req)
	if f.panicOn == op {
		panic("fake seller told to panic on " + string(op))
	}
	return f.failWith[op]
}

func (f *fakeSeller) recorded() []any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]any(nil), f.calls...)
}

func (f *fakeSeller) known(id string) error {
	if _, ok := f.instances[id]; !ok {
		return &provisioning.ResultError{Code: provisioning.CodeInstanceNotFound, Message: "no instance " + id}
	}
	return nil
}

func (f *fakeSeller) CreateInstance(_ context.Context, req provisioning.CreateRequest) (provisioning.CreateResult, error) {
	if err := f.record(provisioning.OpCreate, req); err != nil {
		return provisioning.CreateResult{}, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.processing {
		return provisioning.CreateResult{Processing: true}, nil
	}
	f.next++
	f.creates++
	id := fmt.Sprintf("inst-%04d", f.next)
	f.instances[id] = "NORMAL"
	f.appInfo[id] = &provisioning.AppInfo{
		FrontEndURL: "https://saas.example.com/login/" + id, AdminURL: "https://saas.example.com/admin",
		UserName: "admin-" + id, Password: provisioning.NewSecret("pw-" + id + "-!秘"), Memo: "welcome",
	}
	return provisioning.CreateResult{InstanceID: id}, nil
}

func (f *fakeSeller) QueryInstances(_ context.Context, req provisioning.QueryRequest) ([]provisioning.InstanceInfo, error) {
	if err := f.record(provisioning.OpQuery, req); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []provisioning.InstanceInfo
	for _, id := range req.InstanceIDs {
		if _, ok := f.instances[id]; ok {
			out = append(out, provisioning.InstanceInfo{InstanceID: id, AppInfo: f.appInfo[id]})
		}
	}
	return out, nil
}

func (f *fakeSeller) Refresh(_ context.Context, req provisioning.RefreshRequest) error {
	if err := f.record(provisioning.OpRefresh, req); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.known(req.InstanceID)
}

func (f *fakeSeller) UpdateStatus(_ context.Context, req provisioning.StatusRequest) error {
	if err := f.record(provisioning.OpUpdateStatus, req); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.known(req.InstanceID); err != nil {
		return err
	}
	f.instances[req.InstanceID] = string(req.Status)
	return nil
}

func (f *fakeSeller) Upgrade(_ context.Context, req provisioning.UpgradeRequest) error {
	if err := f.record(provisioning.OpUpgrade, req); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.known(req.InstanceID)
}

func (f *fakeSeller) ChangeCheck(_ context.Context, req provisioning.ChangeCheckRequest) error {
	if err := f.record(provisioning.OpChangeCheck, req); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.known(req.InstanceID)
}

func (f *fakeSeller) Release(_ context.Context, req provisioning.ReleaseRequest) error {
	if err := f.record(provisioning.OpRelease, req); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := f.known(req.InstanceID); err != nil {
		return err
	}
	delete(f.instances, req.InstanceID)
	return nil
}
