package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/sluis-gateway/sluis/internal/identity"
)

// ClientCert is the TLS identity `sluis status` presents: the CA that
// signed the gateway's certificate and a registration system's client
// certificate and key (PEM files).
type ClientCert struct {
	CA, Cert, Key string
}

// DevClientCert is the development identity in dir (SLUIS_DEV_IDENTITY_DIR)
// of system, when its files are there; else the zero ClientCert.
func DevClientCert(dir, system string) ClientCert {
	c := ClientCert{
		CA:   filepath.Join(dir, identity.DevCACert),
		Cert: filepath.Join(dir, identity.DevClientCert(system)),
		Key:  filepath.Join(dir, identity.DevClientKey(system)),
	}
	for _, f := range []string{c.CA, c.Cert, c.Key} {
		if _, err := os.Stat(f); errors.Is(err, fs.ErrNotExist) {
			return ClientCert{}
		}
	}
	return c
}

// HTTPClient is a client presenting c over TLS.
func (c ClientCert) HTTPClient() (*http.Client, error) {
	if c.CA == "" || c.Cert == "" || c.Key == "" {
		return nil, errors.New("no client certificate: give -ca, -cert and -key (or run the gateway with SLUIS_DEV_CA=true once for the development identity)")
	}
	tc, err := identity.ClientTLS(c.CA, c.Cert, c.Key)
	if err != nil {
		return nil, err
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: tc, ForceAttemptHTTP2: true}}, nil
}

// Status prints a disclosure's receipt from the HTTP API (https://...),
// asking with client.
func Status(ctx context.Context, out io.Writer, client *http.Client, api, id string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(api, "/")+"/v1/disclosures/"+id, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("is the gateway running? %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, body, "", "  ") == nil {
		body = pretty.Bytes()
	}
	fmt.Fprintln(out, string(body))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	return nil
}
