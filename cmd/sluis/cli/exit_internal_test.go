package cli

import "testing"

// Every settled state of send maps to its documented exit code
// (docs/cli.md); "failed" cannot be caused from outside in a test.
func TestSettledStateExitCodes(t *testing.T) {
	cases := []struct {
		state string
		code  int
	}{
		{"delivered", ExitOK}, {"accepted", ExitOK}, {"rejected", ExitOK}, {"overdue", ExitOK},
		{"invalid", ExitInvalid}, {"refused", ExitRefused}, {"failed", ExitFailed},
	}
	for _, tc := range cases {
		t.Run(tc.state, func(t *testing.T) {
			if !settled[tc.state] {
				t.Fatalf("%s does not end send", tc.state)
			}
			if got := exitCode(ended(tc.state)); got != tc.code {
				t.Fatalf("exit %d, want %d", got, tc.code)
			}
		})
	}
}
