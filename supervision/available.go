package supervision

import "time"

// Available returns the actions an actor of role r may take on f at now
// under p, in table order: what the HTTP adapter shows as buttons. Every
// action listed succeeds in Apply given a valid command; every other action
// fails with ErrNotAllowed. An invalid flow or policy has no actions (nil).
func Available(f Flow, r Role, now time.Time, p Policy) []Action {
	if p.Validate() != nil {
		return nil
	}
	t, err := f.template()
	if err != nil || (f.Frozen && r != Operator) {
		return nil
	}
	now = now.UTC()
	var out []Action
	for _, i := range t.byStatus[f.Status] {
		row := t.table[i]
		if row.Role != r || !reviewMatches(row.Review, f.PlatformReview) || containsAction(out, row.Action) {
			continue
		}
		if guard(&f, row.Action, r, now, &p) != nil {
			continue
		}
		out = append(out, row.Action)
	}
	return out
}

func reviewMatches(rv Review, on bool) bool {
	return rv == ReviewAny || (rv == ReviewOn) == on
}

func containsAction(as []Action, a Action) bool {
	for _, x := range as {
		if x == a {
			return true
		}
	}
	return false
}
