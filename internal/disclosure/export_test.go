package disclosure

// Test helpers shared with the external test package.
var (
	Example = example
	SetPath = set
)
