package loadtest

import (
	"errors"
	"os"
	"testing"
	"time"
)

func TestParseStatCPU(t *testing.T) {
	cases := []struct {
		name    string
		line    string
		want    time.Duration
		wantErr bool
	}{
		{
			name: "command with blanks and parentheses",
			line: "4242 (sluis (serve) x) S 1 4242 4242 0 -1 4194560 500 0 0 0 250 75 0 0 20 0 9 0 100 0 0",
			want: 3250 * time.Millisecond,
		},
		{name: "no command", line: "4242 S 1", wantErr: true},
		{name: "too short", line: "1 (a) S 1 2 3", wantErr: true},
		{name: "not a number", line: "1 (a) S 1 1 1 0 -1 0 0 0 0 0 x 1 0", wantErr: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := parseStatCPU([]byte(c.line))
			if c.wantErr {
				if !errors.Is(err, ErrProc) {
					t.Fatalf("err = %v, want ErrProc", err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %v, %v; want %v", got, err, c.want)
			}
		})
	}
}

func TestParseStatusKB(t *testing.T) {
	status := "Name:\tsluis\nVmPeak:\t  900000 kB\nVmHWM:\t   61234 kB\nVmRSS:\t   50000 kB\n"
	got, err := parseStatusKB([]byte(status), "VmHWM")
	if err != nil || got != 61234*1024 {
		t.Fatalf("got %d, %v", got, err)
	}
	if _, err := parseStatusKB([]byte("Name: x\n"), "VmHWM"); !errors.Is(err, ErrProc) {
		t.Fatalf("missing line: err = %v", err)
	}
}

func TestOwnProcess(t *testing.T) {
	pid := os.Getpid()
	if _, err := ProcCPU(pid); err != nil {
		t.Fatal(err)
	}
	rss, err := PeakRSS(pid)
	if err != nil {
		t.Fatal(err)
	}
	if rss <= 0 {
		t.Fatalf("peak RSS %d", rss)
	}
}

func TestSummarise(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		out := make([]time.Duration, len(ns))
		for i, n := range ns {
			out[i] = time.Duration(n) * time.Millisecond
		}
		return out
	}
	cases := []struct {
		name               string
		in                 []time.Duration
		p50, p95, p99, max time.Duration
	}{
		{"empty", nil, 0, 0, 0, 0},
		{"one value", ms(7), 7 * time.Millisecond, 7 * time.Millisecond, 7 * time.Millisecond, 7 * time.Millisecond},
		{"unsorted ten", ms(10, 9, 8, 7, 6, 5, 4, 3, 2, 1), 5 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond, 10 * time.Millisecond},
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i
	}
	cases = append(cases, struct {
		name               string
		in                 []time.Duration
		p50, p95, p99, max time.Duration
	}{"one to a hundred", ms(hundred...), 50 * time.Millisecond, 95 * time.Millisecond, 99 * time.Millisecond, 100 * time.Millisecond})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := Summarise(c.in)
			if s.P50 != c.p50 || s.P95 != c.p95 || s.P99 != c.p99 || s.Max != c.max {
				t.Fatalf("got %+v", s)
			}
		})
	}
}
