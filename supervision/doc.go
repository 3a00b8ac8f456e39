// Package supervision runs KooGallery-style service supervision: after a
// purchase of a license, a professional service or a SaaS product, the
// platform holds buyer and seller to a delivery process until the buyer
// accepts, and an operations team settles appeals.
//
// Each flow kind is a Template whose transition table (status, action, role,
// destination) is data. The same table builds the looplab/fsm machines that
// authorise every action, answers Available (the buttons a party sees), and
// generates the Mermaid diagrams kept in README.md, which a test checks for
// drift. Callers never see looplab/fsm.
//
// A Flow is a plain, fixed-size value. Apply takes a Command (actor, action,
// inputs), the caller's now and a Policy, and returns the new Flow and the
// action's operation Record, for the caller to persist together; the input is
// never modified. Nothing
// here stores, calls the network or reads the clock. Timers says what is due
// next (order completion 3 hours after acceptance, appeals opening after
// 5 idle days, optional automatic acceptance).
//
// Rules the sources leave open are Policy fields with the reference's
// recommended defaults (DefaultPolicy): an appeal threshold of 3
// rejections, 5 idle days, sellers appealing at any time, no 15-day guard,
// no automatic acceptance, one reminder per 24 hours.
//
// Which buyer or seller owns a flow is the marketplace's check; this package
// checks roles only.
//
// Performance: looplab/fsm machines are not safe for concurrent use and
// cost microseconds to build, so each template keeps a sync.Pool of
// prebuilt machines without callbacks; Apply takes one, resets it with
// SetState to the persisted status, fires one event and returns it. An
// action then costs about as much as a bare fsm.Event (see the benchmarks
// in machine_test.go: BenchmarkApplyVsBaseline runs both in one loop).
package supervision
