// Package provisioning holds the contracts the marketplace calls to deliver
// what a buyer paid for, and the rules for valid requests.
//
// Two delivery paths exist:
//
//   - SaaS: the seller runs the software; the marketplace asks the seller's
//     endpoint to create, query, refresh, freeze/unfreeze, upgrade,
//     change-check and release an instance (the SaaS interface). The signed
//     HTTP protocol that carries these calls lives in adapters/saasaccess;
//     this package holds only the operations, their typed requests and
//     results, and the protocol's result codes with their meaning
//     (ResultCode, ResultError), because the marketplace decides what to do
//     on each.
//   - Image: the buyer's own virtual machines run the seller's image. An
//     infrastructure Catalog lists regions, zones, flavors, disk types and
//     VM prices; QuickRequest and CustomRequest are the two purchase forms;
//     PlanQuick and PlanCustom check them against the catalog, the quota and
//     the existing servers, name the new VMs (Names) and produce the
//     DeployRequest handed to a Deployer.
//
// DeliveryPolicy states, as data, how the marketplace retries each SaaS
// operation (create every 3 minutes up to 60 times, then cancel the order;
// refresh, status and release for one hour; query polled until app info
// arrives).
//
// Secrets stay secret: VM login passwords and SaaS app-info passwords are
// Secret values whose String, GoString, Format, MarshalJSON and LogValue all
// redact, so no request, result, error or log line prints them. A password is
// only ever read with Secret.Reveal by the code that must hand it on.
//
// Everything here is pure: no clock, no network, no storage. The package
// provisioning/fake has in-memory SaaS and Deployer implementations for
// tests and examples.
package provisioning
