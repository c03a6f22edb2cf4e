package picture

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	stdfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The picture is 800×300 pixels: as wide as Discord shows an embed's image
// on a desktop, and short enough to leave the text of the answer in view.
// Lengths below are in points; at 96 dots per inch a point is 4/3 pixel.
const (
	dpi    = 96
	Width  = 800 // pixels
	Height = 300 // pixels

	pad       = vg.Length(8) // around the card's edge
	markerR   = vg.Length(3.2)
	stackGap  = vg.Length(1)  // between markers stacked on close dates
	maxStack  = 6             // markers stacked higher than this overlap
	barsH     = vg.Length(52) // the coverage band, its caption included
	labelW    = vg.Length(200)
	labelGap  = vg.Length(2) // the least space around a label
	leaderGap = vg.Length(2) // between a leader line and its marker
	maxTicks  = 7            // date labels on the axis, so they never touch

	// Discord shows an embed's image at about half this width on a
	// low-density screen, so no text is smaller than 7 points.
	labelSize = vg.Length(8.5)
	tickSize  = vg.Length(8.5)
)

// The palette is drawn on a light card, so it reads the same in Discord's
// light and dark themes. Marker colours come from the Okabe–Ito palette,
// told apart by people with colour-blindness, darkened where needed to
// keep 3:1 against the card; shapes tell the kinds apart without colour.
var (
	cardColor   = color.RGBA{0xF6, 0xF7, 0xF9, 0xFF}
	borderColor = color.RGBA{0xC9, 0xCE, 0xD6, 0xFF}
	inkColor    = color.RGBA{0x1F, 0x23, 0x28, 0xFF}
	mutedColor  = color.RGBA{0x55, 0x5D, 0x6B, 0xFF}
	spineColor  = color.RGBA{0xB4, 0xBB, 0xC6, 0xFF}
	barColor    = color.RGBA{0x8C, 0x9C, 0xB4, 0xFF}
	statusColor = color.RGBA{0x33, 0x3A, 0x45, 0xFF}
)

// kindStyle is how each kind is drawn.
var kindStyle = [numKinds]draw.GlyphStyle{
	Statement:  {Color: color.RGBA{0x6B, 0x72, 0x80, 0xFF}, Radius: markerR, Shape: ringGlyph{}},
	Filing:     {Color: color.RGBA{0x00, 0x72, 0xB2, 0xFF}, Radius: markerR, Shape: draw.CircleGlyph{}},
	Ruling:     {Color: color.RGBA{0xC4, 0x4E, 0x00, 0xFF}, Radius: markerR, Shape: draw.BoxGlyph{}},
	Fine:       {Color: color.RGBA{0xA6, 0x3D, 0x8C, 0xFF}, Radius: markerR + 0.6, Shape: draw.PyramidGlyph{}},
	Settlement: {Color: color.RGBA{0x00, 0x85, 0x61, 0xFF}, Radius: markerR + 0.6, Shape: diamondGlyph{}},
	Appeal:     {Color: color.RGBA{0xA8, 0x6A, 0x00, 0xFF}, Radius: markerR + 0.6, Shape: downGlyph{}},
}

// legendOrder lists kinds as a dispute runs: filed, ruled, fined, settled,
// appealed; statements last.
var legendOrder = []Kind{Filing, Ruling, Fine, Settlement, Appeal, Statement}

var (
	sans     = font.Font{Typeface: "Liberation", Variant: "Sans"}
	sansBold = font.Font{Typeface: "Liberation", Variant: "Sans", Weight: stdfont.WeightBold}
)

func textStyle(f font.Font, size vg.Length, c color.Color) text.Style {
	return text.Style{Color: c, Font: font.From(f, size), Handler: plot.DefaultTextHandler}
}

// Render draws the timeline as a PNG.
func Render(t Timeline) ([]byte, error) {
	c, _ := drawCanvas(t)
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: c}).WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("picture: %w", err)
	}
	return buf.Bytes(), nil
}

// renderImage draws the timeline and says where its labels went, for tests.
func renderImage(t Timeline) (image.Image, []vg.Rectangle) {
	c, labels := drawCanvas(t)
	return c.Image(), labels
}

// drawCanvas draws the picture and returns the rectangles of the labels
// it placed (event and status labels, not the axis).
func drawCanvas(t Timeline) (*vgimg.Canvas, []vg.Rectangle) {
	w, h := vg.Length(Width)*vg.Inch/dpi, vg.Length(Height)*vg.Inch/dpi
	img := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(dpi), vgimg.UseBackgroundColor(cardColor))
	dc := draw.New(img)
	dc.SetLineStyle(draw.LineStyle{Color: borderColor, Width: 1})
	dc.Stroke(vg.Rectangle{Min: vg.Point{X: 0.5, Y: 0.5}, Max: vg.Point{X: w - 0.5, Y: h - 0.5}}.Path())

	evs := sortedEvents(t.Events)
	top := drawHeader(dc, t.Title, evs)

	lay := &layer{t: t, events: evs}
	lay.xmin, lay.xmax = span(t, evs)
	p := plot.New()
	p.BackgroundColor = nil
	p.HideY()
	p.X.Min, p.X.Max = lay.xmin, lay.xmax
	p.X.Tick.Marker = plot.TickerFunc(dateTicks)
	p.X.Tick.Label = textStyle(sans, tickSize, mutedColor)
	p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = text.XCenter, text.YTop
	p.X.Tick.LineStyle = draw.LineStyle{Color: spineColor, Width: 0.75}
	p.X.LineStyle = draw.LineStyle{Color: spineColor, Width: 0.75}
	p.X.Padding = 2
	p.X.Tick.Length = 3
	p.Add(lay)
	p.Draw(draw.Crop(dc, pad, -pad, pad/2, -(dc.Max.Y - top)))
	return img, lay.placed
}

// drawHeader writes the title and, under it, the legend of the kinds the
// picture shows, and returns where the plot may begin.
func drawHeader(dc draw.Canvas, title string, evs []Event) vg.Length {
	ts := textStyle(sansBold, 12, inkColor)
	ts.YAlign = text.YTop
	y := dc.Max.Y - pad
	dc.FillText(ts, vg.Point{X: pad, Y: y}, fit(ts, strings.TrimSpace(title), dc.Max.X-2*pad))
	y -= ts.Height("Ag") + 4

	var present [numKinds]bool
	for _, e := range evs {
		present[e.Kind%numKinds] = true
	}
	ls := textStyle(sans, 8, mutedColor)
	ls.YAlign = text.YCenter
	x := pad
	cy := y - ls.Height("Ag")/2
	for _, k := range legendOrder {
		if !present[k] {
			continue
		}
		g := kindStyle[k]
		dc.DrawGlyphNoClip(g, vg.Point{X: x + g.Radius, Y: cy})
		x += 2*g.Radius + 3
		dc.FillText(ls, vg.Point{X: x, Y: cy}, k.String())
		x += ls.Width(k.String()) + 10
	}
	return y - ls.Height("Ag") - 2
}

// span is the stretch of time the axis covers: every event, the status
// and every month counted, with a margin so edge markers are whole.
func span(t Timeline, evs []Event) (float64, float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	see := func(d time.Time) {
		s := float64(d.Unix())
		lo, hi = math.Min(lo, s), math.Max(hi, s)
	}
	for _, e := range evs {
		see(e.Date)
	}
	if t.Status != "" && !t.StatusDate.IsZero() {
		see(t.StatusDate)
	}
	for _, m := range t.Coverage {
		start := monthStart(m.Start)
		see(start)
		see(start.AddDate(0, 1, 0))
	}
	if math.IsInf(lo, 0) {
		now := float64(time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Unix())
		lo, hi = now, now
	}
	const minSpan = 60 * 24 * 3600
	if hi-lo < minSpan {
		mid := (hi + lo) / 2
		lo, hi = mid-minSpan/2, mid+minSpan/2
	}
	margin := (hi - lo) * 0.03
	return lo - margin, hi + margin
}

func monthStart(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// tickSteps are the month steps the axis may take, smallest first.
var tickSteps = []int{1, 2, 3, 6, 12, 24, 36, 60, 120, 240}

// dateTicks marks the axis on whole months or years: the smallest step
// that keeps to maxTicks labels, so that at the picture's width the
// labels never touch. Month steps read "Mar 2024", year steps "2024".
func dateTicks(lo, hi float64) []plot.Tick {
	from := time.Unix(int64(lo), 0).UTC()
	to := time.Unix(int64(hi), 0).UTC()
	months := func(t time.Time) int { return t.Year()*12 + int(t.Month()) - 1 }
	for _, step := range tickSteps {
		first := months(from)
		if from.Day() > 1 || from.Hour() > 0 {
			first++ // the first whole month inside the axis
		}
		first = (first + step - 1) / step * step
		var ticks []plot.Tick
		for m := first; m <= months(to); m += step {
			d := time.Date(m/12, time.Month(m%12+1), 1, 0, 0, 0, 0, time.UTC)
			label := d.Format("2006")
			if step < 12 {
				label = d.Format("Jan 2006")
			}
			ticks = append(ticks, plot.Tick{Value: float64(d.Unix()), Label: label})
		}
		if len(ticks) <= maxTicks {
			return ticks
		}
	}
	return nil
}

func sortedEvents(evs []Event) []Event {
	out := append([]Event(nil), evs...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Date.Before(out[j].Date) })
	return out
}

// fit shortens s, at a word where it can, until it is at most w wide.
func fit(sty text.Style, s string, w vg.Length) string {
	if sty.Width(s) <= w {
		return s
	}
	r := []rune(s)
	for n := len(r) - 1; n > 0; n-- {
		cut := strings.TrimRight(string(r[:n]), " ,;:·-–—")
		if i := strings.LastIndexByte(cut, ' '); i > len(cut)/2 {
			cut = strings.TrimRight(cut[:i], " ,;:·-–—")
		}
		if sty.Width(cut+"…") <= w {
			return cut + "…"
		}
	}
	return "…"
}

// layer draws everything inside the plot's data area.
type layer struct {
	t          Timeline
	events     []Event
	xmin, xmax float64
	placed     []vg.Rectangle // the labels, for tests
}

// DataRange implements plot.DataRanger: the axis spans the timeline.
func (l *layer) DataRange() (xmin, xmax, ymin, ymax float64) {
	return l.xmin, l.xmax, 0, 1
}

// Plot implements plot.Plotter.
func (l *layer) Plot(c draw.Canvas, p *plot.Plot) {
	trX, _ := p.Transforms(&c)
	x := func(d time.Time) vg.Length { return trX(float64(d.Unix())) }
	bottom, top := c.Min.Y, c.Max.Y
	if len(l.t.Coverage) > 0 {
		l.drawCoverage(c, x, bottom, bottom+barsH)
		bottom += barsH + 6
	}

	// The spine: markers sit on it, stacked upward when their dates are
	// too close to tell apart at this width.
	// It sits a third of the way up, leaving the rows above for labels
	// and stacks, and keeping the picture's weight low.
	spine := bottom + max(markerR+4, (top-bottom)/3)
	c.StrokeLine2(draw.LineStyle{Color: spineColor, Width: 1}, c.Min.X, spine, c.Max.X, spine)
	type mark struct {
		pt  vg.Point
		box vg.Rectangle
	}
	marks := make([]mark, len(l.events))
	var levelEnd []vg.Length // the right edge of the last marker at each level
	var obstacles []vg.Rectangle
	for i, e := range l.events {
		px := x(e.Date)
		lvl := 0
		for lvl < len(levelEnd) && lvl < maxStack && px-markerR-stackGap < levelEnd[lvl] {
			lvl++
		}
		if lvl == len(levelEnd) {
			levelEnd = append(levelEnd, 0)
		}
		levelEnd[lvl] = px + markerR
		pt := vg.Point{X: px, Y: spine + vg.Length(lvl)*(2*markerR+stackGap)}
		g := kindStyle[e.Kind%numKinds]
		box := vg.Rectangle{Min: vg.Point{X: pt.X - g.Radius, Y: pt.Y - g.Radius}, Max: vg.Point{X: pt.X + g.Radius, Y: pt.Y + g.Radius}}
		marks[i] = mark{pt: pt, box: box}
		obstacles = append(obstacles, box)
		c.DrawGlyphNoClip(g, pt)
	}

	area := vg.Rectangle{Min: vg.Point{X: c.Min.X, Y: bottom}, Max: vg.Point{X: c.Max.X, Y: top}}
	var lp labelPlacer
	lp.area, lp.obstacles = area, obstacles

	// The status: a dashed line at its date, labelled on the top row.
	if l.t.Status != "" && !l.t.StatusDate.IsZero() {
		sx := x(l.t.StatusDate)
		c.StrokeLine2(draw.LineStyle{Color: statusColor, Width: 0.75, Dashes: []vg.Length{2, 2}}, sx, c.Min.Y, sx, top)
		sty := textStyle(sansBold, labelSize, statusColor)
		lp.place(sty, "status: "+l.t.Status+" · "+dayMonthYear(l.t.StatusDate), sx, noLeader, 1)
		lp.line = &vg.Rectangle{Min: vg.Point{X: sx - 0.5, Y: c.Min.Y}, Max: vg.Point{X: sx + 0.5, Y: top}}
	}

	// The few events worth a label: the one that set the status, the
	// latest and the first, in that order of importance.
	sty := textStyle(sans, labelSize, inkColor)
	for _, i := range l.keyEvents() {
		e, m := l.events[i], marks[i]
		lp.place(sty, monthYear(e.Date)+" · "+e.Label, m.pt.X, m.box.Max.Y+leaderGap, 0)
	}
	for _, lb := range lp.labels {
		if !math.IsNaN(float64(lb.leaderTo)) {
			c.StrokeLine2(draw.LineStyle{Color: spineColor, Width: 0.6}, lb.leaderX, lb.box.Min.Y, lb.leaderX, lb.leaderTo)
		}
		// Text drawn at a point hangs its descenders below it: lift it so
		// the ink stays inside the box that was placed.
		ink := lb.sty.Rectangle(lb.text)
		c.FillText(lb.sty, vg.Point{X: lb.box.Min.X - ink.Min.X, Y: lb.box.Min.Y - ink.Min.Y}, lb.text)
		l.placed = append(l.placed, lb.box)
	}
}

// keyEvents are the indexes of the events to label, most important first.
func (l *layer) keyEvents() []int {
	var out []int
	add := func(i int) {
		if i >= 0 && i < len(l.events) && !containsInt(out, i) {
			out = append(out, i)
		}
	}
	if l.t.Status != "" && !l.t.StatusDate.IsZero() {
		sd := l.t.StatusDate.Format(time.DateOnly)
		status := -1
		for i, e := range l.events {
			if e.Date.Format(time.DateOnly) == sd {
				status = i
			}
		}
		add(status)
	}
	add(len(l.events) - 1)
	add(0)
	return out
}

func containsInt(s []int, v int) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// drawCoverage draws the bars of articles per month in the band from y0 to
// y1, under a caption giving the peak.
func (l *layer) drawCoverage(c draw.Canvas, x func(time.Time) vg.Length, y0, y1 vg.Length) {
	peak, _ := peakMonth(l.t.Coverage)
	cs := textStyle(sans, 7, mutedColor)
	cs.YAlign = text.YTop
	c.FillText(cs, vg.Point{X: c.Min.X, Y: y1}, fmt.Sprintf("articles read a month (most: %d)", peak.Articles))
	barTop := y1 - cs.Height("Ag") - 2
	if peak.Articles == 0 {
		return
	}
	for _, m := range l.t.Coverage {
		if m.Articles <= 0 {
			continue
		}
		start := monthStart(m.Start)
		x0, x1 := x(start), x(start.AddDate(0, 1, 0))-0.5
		if x1-x0 < 0.75 {
			x1 = x0 + 0.75
		}
		hgt := (barTop - y0) * vg.Length(m.Articles) / vg.Length(peak.Articles)
		c.FillPolygon(barColor, []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y0 + hgt}, {X: x0, Y: y0 + hgt}})
	}
}

// label is one placed piece of text.
type label struct {
	sty      text.Style
	text     string
	box      vg.Rectangle // where the text is drawn
	leaderX  vg.Length
	leaderTo vg.Length // NaN: no leader line
}

// labelPlacer puts labels in rows from the top of an area down, each
// beside its anchor, where they touch no other label, marker or leader.
type labelPlacer struct {
	area      vg.Rectangle
	obstacles []vg.Rectangle
	// line is the status line: no label crosses it but those of events
	// on it, whose leaders run along it.
	line   *vg.Rectangle
	labels []label
}

// noLeader marks a label drawn without a leader line.
var noLeader = vg.Length(math.NaN())

// place puts text beside anchor x on the highest free row, starting at
// row first, with a leader line down to y (NaN: no leader). A label that
// finds no room is shortened once, then left out: a picture with fewer
// labels beats one whose labels collide.
func (lp *labelPlacer) place(sty text.Style, s string, ax, leaderTo vg.Length, rows int) bool {
	maxW := min(labelW, lp.area.Size().X)
	for _, width := range []vg.Length{maxW, maxW / 2} {
		t := fit(sty, s, width)
		ink := sty.Rectangle(t)
		w, h := ink.Size().X, ink.Size().Y
		// Rows count down from the top. A label with a leader takes the
		// lowest free row above its marker, keeping the leader short; the
		// status label keeps to its first rows, at the top.
		nRows := int((lp.area.Size().Y + labelGap) / (h + labelGap))
		order := make([]int, 0, nRows)
		for row := range nRows {
			if rows > 0 && row >= rows {
				break
			}
			order = append(order, row)
		}
		if !math.IsNaN(float64(leaderTo)) {
			slices.Reverse(order)
		}
		for _, row := range order {
			y1 := lp.area.Max.Y - vg.Length(row)*(h+labelGap)
			y0 := y1 - h
			if y0 < lp.area.Min.Y || !math.IsNaN(float64(leaderTo)) && y0 < leaderTo {
				continue
			}
			// Beside the anchor, toward the middle of the picture, else
			// the other way; kept inside the area.
			right := vg.Rectangle{Min: vg.Point{X: ax + labelGap, Y: y0}, Max: vg.Point{X: ax + labelGap + w, Y: y1}}
			left := vg.Rectangle{Min: vg.Point{X: ax - labelGap - w, Y: y0}, Max: vg.Point{X: ax - labelGap, Y: y1}}
			if !math.IsNaN(float64(leaderTo)) {
				right.Min.X, right.Max.X = right.Min.X-labelGap, right.Max.X-labelGap
				left.Min.X, left.Max.X = left.Min.X+labelGap, left.Max.X+labelGap
			}
			sides := []vg.Rectangle{right, left}
			if ax > (lp.area.Min.X+lp.area.Max.X)/2 {
				sides = []vg.Rectangle{left, right}
			}
			for _, r := range sides {
				r = lp.clamp(r)
				if lp.free(r, ax, leaderTo) {
					lb := label{sty: sty, text: t, box: r, leaderX: ax, leaderTo: leaderTo}
					lp.labels = append(lp.labels, lb)
					return true
				}
			}
		}
	}
	return false
}

func (lp *labelPlacer) clamp(r vg.Rectangle) vg.Rectangle {
	if d := lp.area.Min.X - r.Min.X; d > 0 {
		r.Min.X, r.Max.X = r.Min.X+d, r.Max.X+d
	}
	if d := r.Max.X - lp.area.Max.X; d > 0 {
		r.Min.X, r.Max.X = r.Min.X-d, r.Max.X-d
	}
	return r
}

// free reports whether a label at r, with its leader from r down to
// leaderTo at x, would touch nothing already there.
func (lp *labelPlacer) free(r vg.Rectangle, x, leaderTo vg.Length) bool {
	grown := vg.Rectangle{Min: vg.Point{X: r.Min.X - labelGap, Y: r.Min.Y - labelGap/2}, Max: vg.Point{X: r.Max.X + labelGap, Y: r.Max.Y + labelGap/2}}
	// Markers get a clear point more above and below than labels need
	// between each other, so no label sits on a stack of them.
	roomy := vg.Rectangle{Min: vg.Point{X: grown.Min.X, Y: grown.Min.Y - labelGap}, Max: vg.Point{X: grown.Max.X, Y: grown.Max.Y + labelGap}}
	for _, o := range lp.obstacles {
		if overlaps(roomy, o) {
			return false
		}
	}
	if lp.line != nil && math.Abs(float64(x-lp.line.Min.X-0.5)) > 3 && overlaps(grown, *lp.line) {
		return false
	}
	var leader vg.Rectangle
	hasLeader := !math.IsNaN(float64(leaderTo))
	if hasLeader {
		leader = vg.Rectangle{Min: vg.Point{X: x - 0.5, Y: leaderTo}, Max: vg.Point{X: x + 0.5, Y: r.Min.Y}}
	}
	for _, lb := range lp.labels {
		if overlaps(grown, lb.box) {
			return false
		}
		if hasLeader && overlaps(leader, lb.box) {
			return false
		}
		if !math.IsNaN(float64(lb.leaderTo)) {
			other := vg.Rectangle{Min: vg.Point{X: lb.leaderX - 0.5, Y: lb.leaderTo}, Max: vg.Point{X: lb.leaderX + 0.5, Y: lb.box.Min.Y}}
			if overlaps(grown, other) {
				return false
			}
		}
	}
	return true
}

func overlaps(a, b vg.Rectangle) bool {
	return a.Min.X < b.Max.X && b.Min.X < a.Max.X && a.Min.Y < b.Max.Y && b.Min.Y < a.Max.Y
}

// diamondGlyph is a filled diamond: a settlement.
type diamondGlyph struct{}

func (diamondGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius
	var p vg.Path
	p.Move(vg.Point{X: pt.X, Y: pt.Y + r})
	p.Line(vg.Point{X: pt.X + r, Y: pt.Y})
	p.Line(vg.Point{X: pt.X, Y: pt.Y - r})
	p.Line(vg.Point{X: pt.X - r, Y: pt.Y})
	p.Close()
	c.Fill(p)
}

// downGlyph is a filled triangle pointing down: an appeal, which sends a
// case back down the courts' ladder as often as up it, is told from a
// fine (pointing up) by its direction.
type downGlyph struct{}

func (downGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	r := sty.Radius
	var p vg.Path
	p.Move(vg.Point{X: pt.X - r, Y: pt.Y + r*0.8})
	p.Line(vg.Point{X: pt.X + r, Y: pt.Y + r*0.8})
	p.Line(vg.Point{X: pt.X, Y: pt.Y - r})
	p.Close()
	c.Fill(p)
}

// ringGlyph is a hollow circle, heavier than gonum's hairline ring so it
// survives scaling down: a statement, the least of the kinds.
type ringGlyph struct{}

func (ringGlyph) DrawGlyph(c *draw.Canvas, sty draw.GlyphStyle, pt vg.Point) {
	c.SetLineStyle(draw.LineStyle{Color: sty.Color, Width: 1.2})
	var p vg.Path
	r := sty.Radius - 0.6
	p.Move(vg.Point{X: pt.X + r, Y: pt.Y})
	p.Arc(pt, r, 0, 2*math.Pi)
	p.Close()
	c.Stroke(p)
}
