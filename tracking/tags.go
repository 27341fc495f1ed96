package tracking

import (
	"errors"
	"fmt"
)

// SetRunTag records (or overwrites) a tag of a run, ID or unique prefix, from outside the
// run: a label or a note a person adds later. An empty value deletes the tag. The run's
// heartbeat is left alone: a tag written by a reader is no sign that the run is alive.
func (s *Store) SetRunTag(runID, key, value string) error {
	if key == "" {
		return errors.New("tracking: empty tag key")
	}
	id, err := s.ResolveID(runID)
	if err != nil {
		return err
	}
	if value == "" {
		_, err = s.db.Exec(`DELETE FROM tags WHERE key = ? AND rid = (SELECT rid FROM runs WHERE id = ?)`, key, id)
	} else {
		_, err = s.db.Exec(`INSERT INTO tags(rid, key, value) SELECT rid, ?, ? FROM runs WHERE id = ?
			ON CONFLICT(rid, key) DO UPDATE SET value = excluded.value`, key, value, id)
	}
	if err != nil {
		return fmt.Errorf("tracking: tag %q of run %s: %w", key, id, err)
	}
	return nil
}
