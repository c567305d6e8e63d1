package logctx

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

func TestFrom(t *testing.T) {
	var buf bytes.Buffer
	base := slog.New(slog.NewTextHandler(&buf, nil))
	tests := []struct {
		name string
		ctx  context.Context
		want string
	}{
		{"no logger in the context: the fallback", context.Background(), "msg=x\n"},
		{"a logger with fields: its fields on the line", With(context.Background(), base.With("disclosure_id", "d1")), "msg=x disclosure_id=d1\n"},
		{"a nil logger: the fallback", With(context.Background(), nil), "msg=x\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			buf.Reset()
			From(tc.ctx, base).Info("x")
			if got := buf.String(); !strings.HasSuffix(got, tc.want) {
				t.Errorf("line %q, want it to end in %q", got, tc.want)
			}
		})
	}
}
