package archive

import (
	"fmt"
	"time"

	"github.com/sluis-gateway/sluis/messages"
)

// Retention terms of archived messages, in years. Issue 17 ("Retention,
// erasure and the breach register") decides from when the law counts a term
// (end of care, decision, ...) and documents the sources in
// docs/retention.md; until then the term runs from delivery.
const (
	// RetentionYearsIJw: Jeugdwet files are kept twenty years.
	RetentionYearsIJw = 20
	// RetentionYearsIWmo: WMO files are kept fifteen years.
	RetentionYearsIWmo = 15
)

// RetainUntil is the end of the retention term of a message of standard
// ("iJw" or "iWmo") delivered at delivered.
func RetainUntil(standard string, delivered time.Time) (time.Time, error) {
	switch standard {
	case string(messages.IJw):
		return delivered.UTC().AddDate(RetentionYearsIJw, 0, 0), nil
	case string(messages.IWmo):
		return delivered.UTC().AddDate(RetentionYearsIWmo, 0, 0), nil
	}
	return time.Time{}, fmt.Errorf("%w: no retention term for standard %q", ErrBadArgument, standard)
}
