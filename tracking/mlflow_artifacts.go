package tracking

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// mlflowArtifactFolders are the artifact kinds an export copies, by the folder of the run's
// artifacts they go to ("" for the top): the files a person opens. Checkpoints, embeddings
// and data sets stay where they are: they are large, and MLflow cannot show them.
var mlflowArtifactFolders = map[string]string{ArtifactFigure: "figures", ArtifactTable: "tables", ArtifactResults: "tables", ArtifactConfig: ""}

// exportArtifacts copies the run's figures, tables, results and config into dir (see
// mlflowArtifactFolders). A recorded path is read as it was recorded: relative to the
// directory the run was started in, which is where byb is usually run from again.
func (s *Store) exportArtifacts(r RunInfo, dir string, res *MLflowExport) error {
	rows, err := s.db.Query(`SELECT path, kind FROM artifacts WHERE rid = ? ORDER BY ts_ms, path`, r.rid)
	if err != nil {
		return err
	}
	type artifact struct{ path, kind string }
	var arts []artifact
	for rows.Next() {
		var a artifact
		if err := rows.Scan(&a.path, &a.kind); err != nil {
			rows.Close()
			return err
		}
		arts = append(arts, a)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	used := map[string]bool{}
	for _, a := range arts {
		folder, ok := mlflowArtifactFolders[a.kind]
		if !ok {
			continue
		}
		if _, err := os.Stat(a.path); err != nil {
			res.Missing = append(res.Missing, a.path)
			continue
		}
		// Two artifacts of one name (a figure per data set in folders of their own) are told
		// apart by their folder's name.
		name := filepath.Base(a.path)
		if used[filepath.Join(folder, name)] {
			name = filepath.Base(filepath.Dir(a.path)) + "-" + name
		}
		used[filepath.Join(folder, name)] = true
		n, err := copyTree(a.path, filepath.Join(dir, folder, name))
		if err != nil {
			return fmt.Errorf("copying the artifact %s: %w", a.path, err)
		}
		res.Artifacts += n
	}
	return nil
}

// copyTree copies the file or directory src to dst and returns the number of files copied.
func copyTree(src, dst string) (int, error) {
	n := 0
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		n++
		return copyFile(path, target)
	})
	return n, err
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp := dst + ".byb-tmp"
	out, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(tmp)
		return err
	}
	if err := out.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, dst)
}
