package loadtest

import (
	"encoding/json"
	"fmt"

	"github.com/sluis-gateway/sluis/internal/disclosure"
)

// Item is one prepared request.
type Item struct {
	ID   string
	Body []byte
}

// Prepare generates n requests with g before any clock starts.
func Prepare(g *Generator, n int) ([]Item, error) {
	items := make([]Item, n)
	for i := range items {
		it, err := g.NextItem()
		if err != nil {
			return nil, err
		}
		items[i] = it
	}
	return items, nil
}

// PrepareWithConsents generates n requests and, when g's basis is consent,
// the record_consent command each relies on (nil otherwise).
func PrepareWithConsents(g *Generator, n int) (reqs, consents []Item, err error) {
	reqs = make([]Item, n)
	for i := range reqs {
		req := g.Next()
		body, err := json.Marshal(req)
		if err != nil {
			return nil, nil, fmt.Errorf("request: %w", err)
		}
		reqs[i] = Item{ID: req.ID, Body: body}
		if req.LegalBasis.Kind == disclosure.BasisConsent {
			c, err := g.ConsentFor(req)
			if err != nil {
				return nil, nil, err
			}
			consents = append(consents, c)
		}
	}
	return reqs, consents, nil
}

// MeanSize is the mean body size of items in bytes.
func MeanSize(items []Item) int {
	if len(items) == 0 {
		return 0
	}
	total := 0
	for _, it := range items {
		total += len(it.Body)
	}
	return total / len(items)
}
