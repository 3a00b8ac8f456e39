package saasaccess_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"

	"github.com/opengallery/opengallery/adapters/saasaccess"
	"github.com/opengallery/opengallery/provisioning"
	"github.com/opengallery/opengallery/provisioning/fake"
)

// A seller mounts a Handler over its implementation; the marketplace talks
// to it through a Client, which is a provisioning.SaaS.
func ExampleNewHandler() {
	const accessKey = "0123456789abcdef0123456789abcdef" // the Seller Console's key

	seller := fake.NewSaaS() // the seller's own implementation goes here
	h, err := saasaccess.NewHandler(accessKey, saasaccess.Idempotent(seller, &saasaccess.MemoryInstanceIDs{}))
	if err != nil {
		panic(err)
	}
	srv := httptest.NewServer(h) // a seller uses http.Handle("/saasproduce", h)
	defer srv.Close()

	var saas provisioning.SaaS
	saas, err = saasaccess.NewClient(srv.URL+"/saasproduce", accessKey, saasaccess.WithRequireBodySign())
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	req := provisioning.CreateRequest{OrderID: "CS2603010001", OrderLineID: "CS2603010001-000001", BusinessID: "b-1"}
	first, _ := saas.CreateInstance(ctx, req)
	req.BusinessID = "b-2" // a resend carries a new business id
	again, _ := saas.CreateInstance(ctx, req)
	fmt.Println(first.InstanceID, again.InstanceID)

	infos, _ := saas.QueryInstances(ctx, provisioning.QueryRequest{InstanceIDs: []string{first.InstanceID}})
	a := infos[0].AppInfo
	fmt.Println(a.FrontEndURL, a.Password, a.Password.Reveal()) // decrypted, redacted when printed

	err = saas.Release(ctx, provisioning.ReleaseRequest{InstanceID: "no-such-instance"})
	fmt.Println(errors.Is(err, provisioning.ErrInstanceNotFound), provisioning.Retryable(err))
	// Output:
	// inst-0001 inst-0001
	// https://saas.example/i/inst-0001 [REDACTED] Pw-inst-0001-1a!
	// true false
}
