package bench

import (
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/ThalesGroup/crypto11"

	"github.com/sluis-gateway/sluis/internal/loadtest"
)

// Signer names (the gateway's SLUIS_SIGNER).
const (
	SignerPEM    = "pem"
	SignerPKCS11 = "pkcs11"
)

// SoftHSMModule is where Debian's softhsm2 package puts its PKCS#11 module.
const SoftHSMModule = "/usr/lib/softhsm/libsofthsm2.so"

// ErrNoSoftHSM: SoftHSM2 is not installed, so the PKCS#11 signer is not
// measured.
var ErrNoSoftHSM = errors.New("SoftHSM2 not installed (apt-get install softhsm2)")

// SoftHSM is a SoftHSM2 token the bench initialised in a folder of its own,
// holding the bench's signing key.
type SoftHSM struct {
	Conf     string // SOFTHSM2_CONF of every process that uses the token
	Module   string
	Label    string // token label
	KeyLabel string // the signing key's label
	PINFile  string
}

// Env is the gateway's environment for signing on the token with the
// certificate it already has (SLUIS_SIGNING_CERT).
func (h SoftHSM) Env() []string {
	return []string{
		"SOFTHSM2_CONF=" + h.Conf, "SLUIS_SIGNER=" + SignerPKCS11, "SLUIS_PKCS11_MODULE=" + h.Module,
		"SLUIS_PKCS11_TOKEN_LABEL=" + h.Label, "SLUIS_PKCS11_PIN_FILE=" + h.PINFile, "SLUIS_PKCS11_KEY_LABEL=" + h.KeyLabel,
	}
}

// NewSoftHSM initialises a token under dir/softhsm and imports the PKCS#8
// PEM key file into it (as internal/testenv/softhsm does for the tests).
func NewSoftHSM(dir, keyFile string) (SoftHSM, error) {
	util, err := exec.LookPath("softhsm2-util")
	if err != nil {
		return SoftHSM{}, ErrNoSoftHSM
	}
	if _, err := os.Stat(SoftHSMModule); err != nil {
		return SoftHSM{}, ErrNoSoftHSM
	}
	// SoftHSM2's configuration parser ends a value at '#': the bench's
	// temporary folder has none.
	home := filepath.Join(dir, "softhsm")
	tokens := filepath.Join(home, "tokens")
	if err := os.MkdirAll(tokens, 0o700); err != nil {
		return SoftHSM{}, err
	}
	const label, keyLabel, pin = "sluis-bench", "signing", "1234"
	h := SoftHSM{Conf: filepath.Join(home, "softhsm2.conf"), Module: SoftHSMModule, Label: label, KeyLabel: keyLabel,
		PINFile: filepath.Join(home, "pin")}
	for f, data := range map[string]string{
		h.Conf:    "directories.tokendir = " + tokens + "\nobjectstore.backend = file\nlog.level = ERROR\n",
		h.PINFile: pin + "\n",
	} {
		if err := os.WriteFile(f, []byte(data), 0o600); err != nil {
			return SoftHSM{}, err
		}
	}
	env := append(os.Environ(), "SOFTHSM2_CONF="+h.Conf)
	for _, args := range [][]string{
		{"--init-token", "--free", "--label", label, "--pin", pin, "--so-pin", "5678"},
		{"--import", keyFile, "--token", label, "--label", keyLabel, "--id", "01", "--pin", pin},
	} {
		cmd := exec.Command(util, args...)
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			return SoftHSM{}, fmt.Errorf("softhsm2-util %s: %w: %s", args[0], err, out)
		}
	}
	return h, nil
}

// Floor is the cost of the one RSA operation every disclosure needs, by
// one signer: on one thread (CPU per signature, signatures per second of
// CPU), and with Workers goroutines at once (signatures per second by wall
// clock, CPU of the whole process).
type Floor struct {
	Signer     string // SignerPEM or SignerPKCS11
	What       string // what signs
	Bits       int
	Signatures int
	Wall       time.Duration
	CPU        time.Duration // CPU time of the signing thread
	PerSecond  float64       // signatures per second on one core (by CPU time)

	Workers          int
	ParallelRate     float64       // signatures per second by wall clock with Workers at once
	ParallelCPUEach  time.Duration // process CPU per signature then
	ParallelSigned   int
	ParallelDuration time.Duration
}

// PerSignature is the CPU time of one signature on one thread.
func (f Floor) PerSignature() time.Duration {
	if f.Signatures == 0 {
		return 0
	}
	return f.CPU / time.Duration(f.Signatures)
}

// rusageThread is RUSAGE_THREAD (Linux): the calling thread's usage.
const rusageThread = 1

func rusage(who int) (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(who, &ru); err != nil {
		return 0, fmt.Errorf("getrusage: %w", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}

// SignerFloor signs SHA-256 digests with s using RSA PKCS#1 v1.5 (what
// goxmldsig asks a crypto.Signer for RSA-SHA256): first on one goroutine
// locked to its thread for about d, measuring that thread's CPU time; then
// with workers goroutines for about d, measuring the wall-clock rate and
// this process's CPU (nothing else of it may be busy meanwhile).
func SignerFloor(name, what string, bits int, s crypto.Signer, d time.Duration, workers int) (Floor, error) {
	if s == nil || d <= 0 || workers < 1 {
		return Floor{}, fmt.Errorf("%w: floor needs a signer, a duration and workers", loadtest.ErrConfig)
	}
	f := Floor{Signer: name, What: what, Bits: bits, Workers: workers}
	sign := func(i uint64) error {
		var buf [8]byte
		binary.BigEndian.PutUint64(buf[:], i)
		h := sha256.Sum256(buf[:])
		if _, err := s.Sign(rand.Reader, h[:], crypto.SHA256); err != nil {
			return fmt.Errorf("%s sign: %w", name, err)
		}
		return nil
	}
	err := func() error {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for i := range 20 { // warm up: precomputed values, sessions, caches
			if err := sign(uint64(i)); err != nil {
				return err
			}
		}
		cpu0, err := rusage(rusageThread)
		if err != nil {
			return err
		}
		start := time.Now()
		n := 0
		for time.Since(start) < d {
			if err := sign(uint64(n)); err != nil {
				return err
			}
			n++
		}
		f.Wall = time.Since(start)
		cpu1, err := rusage(rusageThread)
		if err != nil {
			return err
		}
		f.Signatures, f.CPU = n, cpu1-cpu0
		if f.CPU > 0 {
			f.PerSecond = float64(n) / f.CPU.Seconds()
		}
		return nil
	}()
	if err != nil {
		return f, err
	}
	cpu0, err := rusage(syscall.RUSAGE_SELF)
	if err != nil {
		return f, err
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		total int
		first error
	)
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := 0
			for time.Since(start) < d {
				if err := sign(uint64(w)<<32 | uint64(n)); err != nil {
					mu.Lock()
					first = errors.Join(first, err)
					mu.Unlock()
					return
				}
				n++
			}
			mu.Lock()
			total += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	f.ParallelDuration = time.Since(start)
	if first != nil {
		return f, first
	}
	cpu1, err := rusage(syscall.RUSAGE_SELF)
	if err != nil {
		return f, err
	}
	f.ParallelSigned = total
	f.ParallelRate = float64(total) / f.ParallelDuration.Seconds()
	if total > 0 {
		f.ParallelCPUEach = (cpu1 - cpu0) / time.Duration(total)
	}
	return f, nil
}

// PKCS11Floor opens the token with crypto11 and measures its key like
// SignerFloor. SOFTHSM2_CONF is set in this process's environment (the
// module reads it when it loads).
func PKCS11Floor(h SoftHSM, bits int, d time.Duration, workers int) (Floor, error) {
	if err := os.Setenv("SOFTHSM2_CONF", h.Conf); err != nil {
		return Floor{}, err
	}
	pin, err := os.ReadFile(h.PINFile)
	if err != nil {
		return Floor{}, err
	}
	ctx, err := crypto11.Configure(&crypto11.Config{Path: h.Module, TokenLabel: h.Label, Pin: string(pin[:len(pin)-1])})
	if err != nil {
		return Floor{}, fmt.Errorf("open the SoftHSM2 token: %w", err)
	}
	defer ctx.Close()
	key, err := ctx.FindKeyPair(nil, []byte(h.KeyLabel))
	if err != nil || key == nil {
		return Floor{}, fmt.Errorf("find the key on the SoftHSM2 token: %v", err)
	}
	return SignerFloor(SignerPKCS11, "SoftHSM2 through crypto11, the PKCS#11 round trip included", bits, key, d, workers)
}
