// machine.go holds what turns a template table into looplab/fsm machines:
// the dense command→event index, the compiled events and the machine pool.

package supervision

import (
	"fmt"

	"github.com/looplab/fsm"
)

// Dense indexes of the closed enumerations, for the event arrays.
var (
	roleIndex   = [...]Role{Buyer, Seller, Operator, System}
	actionIndex = [...]Action{
		SubmitRequest, ConfirmRequest, RejectRequest, Deliver, ApproveDelivery, ReturnDelivery,
		Accept, RejectDelivery, Remind, Appeal, Resume, Complete, Terminate, AutoAccept,
	}
	statusIndex = [...]Status{
		AwaitingRequest, AwaitingConfirmation, AwaitingDelivery, PlatformReview,
		AwaitingAcceptance, AwaitingOperations, Completed, Terminated,
	}
)

func indexOf[T comparable](xs []T, x T) int {
	for i, y := range xs {
		if y == x {
			return i
		}
	}
	return -1
}

// roleIdx, actionIdx and statusIdx are the positions in the index arrays, or
// -1. Switches compile to a binary search on the strings, cheaper than a
// scan on the path every action takes.
func roleIdx(r Role) int {
	switch r {
	case Buyer:
		return 0
	case Seller:
		return 1
	case Operator:
		return 2
	case System:
		return 3
	}
	return -1
}

func actionIdx(a Action) int {
	switch a {
	case SubmitRequest:
		return 0
	case ConfirmRequest:
		return 1
	case RejectRequest:
		return 2
	case Deliver:
		return 3
	case ApproveDelivery:
		return 4
	case ReturnDelivery:
		return 5
	case Accept:
		return 6
	case RejectDelivery:
		return 7
	case Remind:
		return 8
	case Appeal:
		return 9
	case Resume:
		return 10
	case Complete:
		return 11
	case Terminate:
		return 12
	case AutoAccept:
		return 13
	}
	return -1
}

func statusIdx(s Status) int {
	switch s {
	case AwaitingRequest:
		return 0
	case AwaitingConfirmation:
		return 1
	case AwaitingDelivery:
		return 2
	case PlatformReview:
		return 3
	case AwaitingAcceptance:
		return 4
	case AwaitingOperations:
		return 5
	case Completed:
		return 6
	case Terminated:
		return 7
	}
	return -1
}

// event returns the fsm event a command maps to, or false when the template
// has no row for that role, action (and resume target) at all.
func (t *Template) event(r Role, a Action, target Status, review bool) (string, bool) {
	ri, ai := roleIdx(r), actionIdx(a)
	if ri < 0 || ai < 0 {
		return "", false
	}
	rv := 0
	if review {
		rv = 1
	}
	name := t.events[ri][ai][rv]
	if a == Resume {
		si := statusIdx(target)
		if si < 0 {
			return "", false
		}
		name = t.resume[si][rv]
	}
	return name, name != ""
}

// eventName is the fsm event for a row: role, action, the target for
// Resume (one event per target) and the review condition.
func eventName(r Transition) string {
	n := string(r.Role) + ":" + string(r.Action)
	if r.Action == Resume {
		n += ">" + string(r.To)
	}
	switch r.Review {
	case ReviewOn:
		n += "+review"
	case ReviewOff:
		n += "-review"
	}
	return n
}

// compile derives the fsm events, the command→event index and the per-status
// index from the table. looplab/fsm maps (event, source) to a destination, so
// one event may lead to different places from different sources (Remind
// loops on each status it is allowed in); a table that maps one command in
// one status to two destinations is a programming error caught at init.
func (t *Template) compile() {
	t.byStatus = make(map[Status][]int)
	for _, s := range t.statuses {
		t.has[statusIdx(s)] = true
	}
	type edge struct{ name, to string }
	seen := map[[2]string]Status{}
	srcs := map[edge][]string{}
	var order []edge
	for i, r := range t.table {
		name := eventName(r)
		k := [2]string{name, string(r.From)}
		if d, ok := seen[k]; ok {
			panic(fmt.Sprintf("supervision: template %s: event %s from %s defined twice (to %s and %s)", t.kind, name, r.From, d, r.To))
		}
		seen[k] = r.To
		e := edge{name, string(r.To)}
		if _, ok := srcs[e]; !ok {
			order = append(order, e)
		}
		srcs[e] = append(srcs[e], string(r.From))
		for rv, on := range []bool{false, true} {
			if (r.Review == ReviewOn && !on) || (r.Review == ReviewOff && on) || (on && !t.reviewSupported) {
				continue
			}
			if r.Action == Resume {
				t.resume[indexOf(statusIndex[:], r.To)][rv] = name
			} else {
				t.events[indexOf(roleIndex[:], r.Role)][indexOf(actionIndex[:], r.Action)][rv] = name
			}
		}
		t.byStatus[r.From] = append(t.byStatus[r.From], i)
	}
	for _, e := range order {
		t.fsmDescs = append(t.fsmDescs, fsm.EventDesc{Name: e.name, Src: srcs[e], Dst: e.to})
	}
	t.pool.New = func() any { return fsm.NewFSM(string(t.initial), t.fsmDescs, nil) }
}

// machine returns a pooled machine set to status s. Machines carry no
// callbacks and no per-flow data, so SetState fully resets one; each is used
// by one goroutine at a time (looplab/fsm is not safe for concurrent use).
func (t *Template) machine(s Status) *fsm.FSM {
	m := t.pool.Get().(*fsm.FSM)
	m.SetState(string(s))
	return m
}

func (t *Template) release(m *fsm.FSM) { t.pool.Put(m) }
