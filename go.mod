module github.com/byb-dev/byb

go 1.26.8

require (
	github.com/charmbracelet/bubbles v1.0.0 // TUI widgets (tables, text input)
	github.com/charmbracelet/bubbletea v1.3.10 // the TUI framework
	github.com/charmbracelet/lipgloss v1.1.0 // TUI styling
	github.com/charmbracelet/x/exp/teatest v0.0.0-20251215102626-e0db08df7383 // TUI model tests
	github.com/dustin/go-humanize v1.0.1 // sizes on the command line (--max-memory 16GiB)
	github.com/gomlx/gomlx v0.26.0 // the model, its gradients, optimizers, checkpoints, engines (newest served)
	github.com/mattn/go-runewidth v0.0.19 // terminal column widths in tables
	github.com/mattn/go-sqlite3 v1.14.32 // the tracker
	github.com/parquet-go/parquet-go v0.32.0 // Parquet import and embedding export
	github.com/schollz/progressbar/v3 v3.18.0 // progress with ETA
	golang.org/x/sys v0.39.0 // mmap of dataset arrays (already required by GoMLX and bubbletea)
	gonum.org/v1/gonum v0.17.0 // SVD for the effective rank of E; L-BFGS for the bag-of-IDs reference
	gonum.org/v1/plot v0.17.0 // PNG figures (Table 2's grouped bars), offline, no CDN
	gopkg.in/yaml.v3 v3.0.1 // MLflow export's meta.yaml files (already linked through GoMLX's testify)
	k8s.io/klog/v2 v2.130.1 // silencing go-xla's logging
)

require (
	codeberg.org/go-fonts/liberation v0.5.0 // indirect
	codeberg.org/go-latex/latex v0.2.0 // indirect
	codeberg.org/go-pdf/fpdf v0.11.1 // indirect
	git.sr.ht/~sbinet/gg v0.7.0 // indirect
	github.com/ajstarks/svgo v0.0.0-20211024235047-1546f124cd8b // indirect
	github.com/andybalholm/brotli v1.1.1 // indirect
	github.com/aymanbagabas/go-osc52/v2 v2.0.1 // indirect
	github.com/aymanbagabas/go-udiff v0.3.1 // indirect
	github.com/charmbracelet/colorprofile v0.4.1 // indirect
	github.com/charmbracelet/x/ansi v0.11.6 // indirect
	github.com/charmbracelet/x/cellbuf v0.0.15 // indirect
	github.com/charmbracelet/x/exp/golden v0.0.0-20241011142426-46044092ad91 // indirect
	github.com/charmbracelet/x/term v0.2.2 // indirect
	github.com/clipperhouse/displaywidth v0.9.0 // indirect
	github.com/clipperhouse/stringish v0.1.1 // indirect
	github.com/clipperhouse/uax29/v2 v2.5.0 // indirect
	github.com/erikgeiser/coninput v0.0.0-20211004153227-1c3628e74d0f // indirect
	github.com/go-logr/logr v1.4.3 // indirect
	github.com/golang/freetype v0.0.0-20170609003504-e2365dfdc4a0 // indirect
	github.com/gomlx/go-xla v0.1.4 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/klauspost/compress v1.17.9 // indirect
	github.com/kr/text v0.2.0 // indirect
	github.com/lucasb-eyer/go-colorful v1.3.0 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
	github.com/mattn/go-localereader v0.0.1 // indirect
	github.com/mitchellh/colorstring v0.0.0-20190213212951-d06e56a500db // indirect
	github.com/muesli/ansi v0.0.0-20230316100256-276c6243b2f6 // indirect
	github.com/muesli/cancelreader v0.2.2 // indirect
	github.com/muesli/termenv v0.16.0 // indirect
	github.com/parquet-go/bitpack v1.0.0 // indirect
	github.com/parquet-go/jsonlite v1.0.0 // indirect
	github.com/pierrec/lz4/v4 v4.1.21 // indirect
	github.com/pkg/errors v0.9.1 // indirect
	github.com/rivo/uniseg v0.4.7 // indirect
	github.com/twpayne/go-geom v1.6.1 // indirect
	github.com/x448/float16 v0.8.4 // indirect
	github.com/xo/terminfo v0.0.0-20220910002029-abceb7e1c41e // indirect
	golang.org/x/exp v0.0.0-20250819193227-8b4c13bb791b // indirect
	golang.org/x/image v0.30.0 // indirect
	golang.org/x/term v0.38.0 // indirect
	golang.org/x/text v0.28.0 // indirect
	golang.org/x/tools v0.36.0 // indirect
	google.golang.org/protobuf v1.36.10 // indirect
)
