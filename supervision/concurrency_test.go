package supervision_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	sv "github.com/opengallery/opengallery/supervision"
)

// TestConcurrentApply runs whole flows of every template on many goroutines
// at once, plus many goroutines applying to one shared input value, so that
// -race sees the pooled machines and the value semantics under load.
func TestConcurrentApply(t *testing.T) {
	p := sv.DefaultPolicy()
	const workers, flowsEach = 16, 40
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < flowsEach; i++ {
				fc := flowCases[(w+i)%len(flowCases)]
				f, err := sv.New(fmt.Sprintf("f-%d-%d", w, i), fc.kind, t0, sv.WithPlatformReview(fc.review))
				if err != nil {
					errs <- err
					return
				}
				now := t0
				for f.Status != sv.Completed {
					now = now.Add(time.Hour)
					var c sv.Command
					switch f.Status {
					case sv.AwaitingRequest:
						c = validCommand(sv.SubmitRequest, sv.Buyer)
					case sv.AwaitingConfirmation:
						c = validCommand(sv.ConfirmRequest, sv.Seller)
					case sv.AwaitingDelivery:
						c = validCommand(sv.Deliver, sv.Seller)
					case sv.PlatformReview:
						c = validCommand(sv.ApproveDelivery, sv.Operator)
					case sv.AwaitingAcceptance:
						c = validCommand(sv.Accept, sv.Buyer)
					}
					if f, _, err = sv.Apply(f, c, now, p); err != nil {
						errs <- fmt.Errorf("%s %s: %w", f.ID, c.Action, err)
						return
					}
				}
			}
		}(w)
	}
	shared := standardAt(sv.AwaitingAcceptance)
	results := make([]sv.Flow, workers)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := validCommand(sv.RejectDelivery, sv.Buyer)
			c.Reason = fmt.Sprintf("reason %d", w)
			n, rec, err := sv.Apply(shared, c, t0.Add(time.Hour), p)
			if err != nil || rec.Reason != c.Reason {
				errs <- fmt.Errorf("shared input: %v %q", err, rec.Reason)
				return
			}
			results[w] = n
		}(w)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for w, n := range results {
		if n.BuyerRejections != 1 || n.Status != sv.AwaitingDelivery {
			t.Errorf("worker %d result: %+v", w, n)
		}
	}
	if shared.Status != sv.AwaitingAcceptance || shared.BuyerRejections != 0 {
		t.Errorf("shared input changed: %+v", shared)
	}
}
