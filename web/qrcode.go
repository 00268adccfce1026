package web

import (
	"fmt"
	"html/template"
	"strings"

	"github.com/yeqown/go-qrcode/v2"
)

// qrQuietZone is the blank margin, in modules, that the QR standard asks
// for around the symbol: scanners find the finder patterns by it.
const qrQuietZone = 4

// qrSVG draws text as a QR code in inline SVG: no image request, nothing
// for the CSP to allow, sharp at any size and in print. Medium error
// correction (15 %) keeps the symbol small enough to scan from a
// phone's screen across a counter, yet survives a scratched printout.
func qrSVG(text, label string) (template.HTML, error) {
	code, err := qrcode.NewWith(text, qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium))
	if err != nil {
		return "", fmt.Errorf("encoding a QR code: %w", err)
	}
	var m matrixWriter
	if err := code.Save(&m); err != nil {
		return "", fmt.Errorf("drawing a QR code: %w", err)
	}
	n := len(m.bits) + 2*qrQuietZone
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" role="img" aria-label="%s" shape-rendering="crispEdges">`,
		n, n, template.HTMLEscapeString(label))
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, n, n)
	// One rectangle per run of dark modules in a row: a fifth of the markup
	// of one square per module.
	for y, row := range m.bits {
		for x := 0; x < len(row); {
			if !row[x] {
				x++
				continue
			}
			start := x
			for x < len(row) && row[x] {
				x++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", start+qrQuietZone, y+qrQuietZone, x-start, x-start)
		}
	}
	b.WriteString(`"/></svg>`)
	return template.HTML(b.String()), nil // numbers and an escaped label only
}

// matrixWriter keeps the symbol's modules, true for dark, as the library
// hands them over.
type matrixWriter struct {
	bits [][]bool
}

func (m *matrixWriter) Write(mat qrcode.Matrix) error {
	m.bits = mat.Bitmap()
	return nil
}

func (m *matrixWriter) Close() error { return nil }
