package app

import (
	"fmt"

	"github.com/sluis-gateway/sluis/internal/archive"
	"github.com/sluis-gateway/sluis/internal/config"
)

// OpenArchive loads the archive master key (generating it first with
// development keys when the file is missing; an existing file is never
// overwritten) and builds the evidence archive on store.
func OpenArchive(cfg config.Config, store archive.Store) (*archive.Archive, error) {
	if cfg.DevKeys && missing(cfg.ArchiveMasterKey) {
		if err := archive.GenerateMasterKeyFile(cfg.ArchiveMasterKey); err != nil {
			return nil, err
		}
	}
	master, err := archive.LoadMasterKeyFile(cfg.ArchiveMasterKey)
	if err != nil {
		return nil, fmt.Errorf("SLUIS_ARCHIVE_MASTER_KEY: %w", err)
	}
	return archive.New(store, master)
}
