package console

import (
	"errors"

	"github.com/sluis-gateway/sluis/internal/breach"
	"github.com/sluis-gateway/sluis/internal/casework"
	"github.com/sluis-gateway/sluis/internal/rights"
)

// problemNL is a refused request as the console's Dutch pages say it: the
// Dutch text the refusal carries (breach.InvalidError, casework's and
// rights' RequestError), else its English text, which names the field and
// its rule. Neither holds a value the user entered.
func problemNL(err error) string {
	var (
		inv *breach.InvalidError
		cre *casework.RequestError
		rre *rights.RequestError
	)
	switch {
	case errors.As(err, &inv) && inv.Dutch != "":
		return inv.Dutch
	case errors.As(err, &cre) && cre.Dutch != "":
		return cre.Dutch
	case errors.As(err, &rre) && rre.Dutch != "":
		return rre.Dutch
	}
	return err.Error()
}

// stateProblemNL says that an action does not fit the incident's state.
func stateProblemNL(s breach.State) string {
	return "deze handeling past niet bij een datalek dat " + stateNL[s] + " is"
}
