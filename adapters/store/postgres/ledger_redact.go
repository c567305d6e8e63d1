package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/sluis-gateway/sluis/internal/ledger"
)

// RedactAbout implements ledger.Redactor. PLACEHOLDER until the ledger
// redaction (hash scheme 2) lands from the lead's branch, which replaces
// this file.
func (s *Store) RedactAbout(ctx context.Context, ref ledger.Ref, at time.Time) (int, error) {
	return 0, errors.New("ledger redaction: not yet implemented")
}
