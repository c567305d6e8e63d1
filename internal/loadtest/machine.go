package loadtest

import (
	"fmt"
	"os"
	"runtime"
	"strings"
)

// Machine describes where the run happened.
type Machine struct {
	Cores  int
	CPU    string
	Memory string
	Kernel string
	Go     string
	// Load is /proc/loadavg's 1-minute figure when the run started and when
	// it ended: other work on the machine lowers every figure.
	LoadStart, LoadEnd float64
}

// LoadAverage is the 1-minute load average (0 when unknown).
func LoadAverage() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return 0
	}
	var l float64
	_, _ = fmt.Sscan(string(b), &l)
	return l
}

// ThisMachine reads /proc for the CPU model, memory and kernel.
func ThisMachine() Machine {
	m := Machine{Cores: runtime.NumCPU(), Go: runtime.Version(), CPU: "unknown", Memory: "unknown", Kernel: "unknown", LoadStart: LoadAverage()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if kb, err := parseStatusKB(b, "MemTotal"); err == nil {
			m.Memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<30))
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = "Linux " + strings.TrimSpace(string(b))
	}
	return m
}
