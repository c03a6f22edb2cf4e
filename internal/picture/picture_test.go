package picture

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/disputebot/disputebot/data"
	"gonum.org/v1/plot/vg"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

// corpusTimeline is a built-in dispute with made-up but steady coverage:
// the corpus holds no counts, and a golden picture must not move.
func corpusTimeline(t testing.TB, id string) Timeline {
	t.Helper()
	c, err := data.Load()
	if err != nil {
		t.Fatal(err)
	}
	d, ok := c.Dispute(id)
	if !ok {
		t.Fatalf("no dispute %s in the corpus", id)
	}
	return FromDispute(d, steadyCoverage(FromDispute(d, nil).Events))
}

// steadyCoverage counts a few articles in each event's month and one in
// the month before: bars that follow the story the way coverage does.
func steadyCoverage(evs []Event) []Month {
	per := map[time.Time]int{}
	for _, e := range evs {
		m := monthStart(e.Date)
		per[m] += 2 + e.Date.Day()%4
		per[m.AddDate(0, -1, 0)]++
	}
	var out []Month
	for m, n := range per {
		out = append(out, Month{Start: m, Articles: n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}

// twoEvents is a made-up dispute with the least a picture can show.
func twoEvents() Timeline {
	return Timeline{
		Title: "Acme vs Globex: a made-up patent suit",
		Events: []Event{
			{Date: day("2024-03-04"), Label: "Acme sues Globex over widget patents", Kind: Filing},
			{Date: day("2024-05-20"), Label: "Judge rules Globex infringed two patents", Kind: Ruling},
		},
		Status:     "ruled",
		StatusDate: day("2024-05-20"),
	}
}

// crowded is a made-up dispute of 48 events over six years, bunched the
// way real disputes are (a burst around each ruling), with every kind.
func crowded() Timeline {
	headlines := []string{
		"Regulator files complaint against Initech", "Initech says it will fight the complaint",
		"Judge rules part of the case may proceed", "Initech fined $2bn for abuse of dominance",
		"Initech appeals the fine", "Initech and rivals settle the damages claims",
	}
	t := Timeline{Title: "Regulators vs Initech: six years of a made-up antitrust case that will not end", Status: "under appeal", StatusDate: day("2025-02-11")}
	d := day("2019-01-15")
	for i := range 48 {
		step := 9 + (i*37)%80
		if i%7 == 3 {
			step = 1 // a burst: two events a day apart
		}
		d = d.AddDate(0, 0, step)
		h := headlines[i%len(headlines)]
		t.Events = append(t.Events, Event{Date: d, Label: fmt.Sprintf("%s (%d)", h, i+1), Kind: KindOf(h)})
	}
	t.Events[len(t.Events)-1].Date = t.StatusDate
	t.Coverage = steadyCoverage(t.Events)
	return t
}

var goldenCases = []struct {
	name string
	tl   func(testing.TB) Timeline
}{
	{"adobe-figma", func(t testing.TB) Timeline { return corpusTimeline(t, "adobe-figma") }},
	{"ec-google", func(t testing.TB) Timeline { return corpusTimeline(t, "ec-google") }},
	{"us-tiktok", func(t testing.TB) Timeline { return corpusTimeline(t, "us-tiktok") }},
	{"two-events", func(testing.TB) Timeline { return twoEvents() }},
	{"crowded-48", func(testing.TB) Timeline { return crowded() }},
}

// TestGolden compares each picture with its golden image, pixel by pixel
// with a small tolerance for anti-aliasing, and its description with its
// golden text. go test -update rewrites both.
func TestGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.name, func(t *testing.T) {
			tl := tc.tl(t)
			raw, err := Render(tl)
			if err != nil {
				t.Fatal(err)
			}
			got, err := png.Decode(bytes.NewReader(raw))
			if err != nil {
				t.Fatal(err)
			}
			if b := got.Bounds(); b.Dx() != Width || b.Dy() != Height {
				t.Fatalf("picture is %dx%d, want %dx%d", b.Dx(), b.Dy(), Width, Height)
			}
			imgPath := filepath.Join("testdata", tc.name+".png")
			altPath := filepath.Join("testdata", tc.name+".txt")
			alt := Describe(tl) + "\n"
			if *update {
				if err := os.WriteFile(imgPath, raw, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(altPath, []byte(alt), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			f, err := os.ReadFile(imgPath)
			if err != nil {
				t.Fatalf("%v (run go test -update to write it)", err)
			}
			want, err := png.Decode(bytes.NewReader(f))
			if err != nil {
				t.Fatal(err)
			}
			if n, frac := differing(got, want); frac > maxDiffering {
				t.Errorf("%d pixels (%.2f%%) differ from %s beyond the tolerance; look at the picture (go test -update rewrites it)", n, 100*frac, imgPath)
			}
			wantAlt, err := os.ReadFile(altPath)
			if err != nil {
				t.Fatal(err)
			}
			if alt != string(wantAlt) {
				t.Errorf("description:\n got %q\nwant %q", alt, wantAlt)
			}
		})
	}
}

// Anti-aliased glyph edges may shift a little between builds and
// machines: a pixel counts as different when a channel moves by more than
// pixelTolerance, and a picture when more than maxDiffering of its pixels
// do (0.05% is 120 pixels: less than one short word).
const (
	pixelTolerance = 32
	maxDiffering   = 0.0005
)

func differing(a, b image.Image) (int, float64) {
	ab, bb := a.Bounds(), b.Bounds()
	if ab.Size() != bb.Size() {
		return ab.Dx() * ab.Dy(), 1
	}
	n := 0
	for y := 0; y < ab.Dy(); y++ {
		for x := 0; x < ab.Dx(); x++ {
			r1, g1, b1, a1 := a.At(ab.Min.X+x, ab.Min.Y+y).RGBA()
			r2, g2, b2, a2 := b.At(bb.Min.X+x, bb.Min.Y+y).RGBA()
			for _, d := range []int{int(r1>>8) - int(r2>>8), int(g1>>8) - int(g2>>8), int(b1>>8) - int(b2>>8), int(a1>>8) - int(a2>>8)} {
				if d > pixelTolerance || d < -pixelTolerance {
					n++
					break
				}
			}
		}
	}
	return n, float64(n) / float64(ab.Dx()*ab.Dy())
}

// TestGoldenComparisonSeesAChange keeps the tolerance honest: a picture
// with one label changed must fail the comparison.
func TestGoldenComparisonSeesAChange(t *testing.T) {
	tl := twoEvents()
	a, _ := renderImage(tl)
	tl.Events[0].Label = "Acme sues Globex over gadget patents and trade secrets"
	b, _ := renderImage(tl)
	if _, frac := differing(a, b); frac <= maxDiffering {
		t.Errorf("a changed label differs in %.3f%% of pixels, within the tolerance of %.3f%%", 100*frac, 100*maxDiffering)
	}
}

// TestLabelsDoNotOverlap draws every built-in dispute and the made-up
// ones and checks the labels placed touch neither each other nor the
// picture's edge, and that the status is always labelled.
func TestLabelsDoNotOverlap(t *testing.T) {
	c, err := data.Load()
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]Timeline{"two-events": twoEvents(), "crowded-48": crowded()}
	for _, d := range c.Disputes {
		cases[d.ID] = FromDispute(d, nil)
	}
	full := vg.Rectangle{Max: vg.Point{X: vg.Length(Width) * vg.Inch / dpi, Y: vg.Length(Height) * vg.Inch / dpi}}
	for name, tl := range cases {
		t.Run(name, func(t *testing.T) {
			_, labels := renderImage(tl)
			if len(labels) == 0 {
				t.Fatal("no labels placed")
			}
			for i, a := range labels {
				if a.Min.X < full.Min.X || a.Min.Y < full.Min.Y || a.Max.X > full.Max.X || a.Max.Y > full.Max.Y {
					t.Errorf("label %d %v leaves the picture %v", i, a, full)
				}
				for j, b := range labels[:i] {
					if overlaps(a, b) {
						t.Errorf("labels %d %v and %d %v overlap", j, b, i, a)
					}
				}
			}
		})
	}
}

func TestOverlapsIsStrict(t *testing.T) {
	r := func(x0, y0, x1, y1 vg.Length) vg.Rectangle {
		return vg.Rectangle{Min: vg.Point{X: x0, Y: y0}, Max: vg.Point{X: x1, Y: y1}}
	}
	for _, tc := range []struct {
		name string
		a, b vg.Rectangle
		want bool
	}{
		{"apart", r(0, 0, 10, 10), r(20, 0, 30, 10), false},
		{"touching edges", r(0, 0, 10, 10), r(10, 0, 20, 10), false},
		{"sharing a corner", r(0, 0, 10, 10), r(5, 5, 15, 15), true},
		{"one inside the other", r(0, 0, 10, 10), r(2, 2, 3, 3), true},
		{"above", r(0, 0, 10, 10), r(0, 11, 10, 20), false},
	} {
		if got := overlaps(tc.a, tc.b); got != tc.want {
			t.Errorf("%s: overlaps = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestDateTicks checks the axis over spans from a month to decades keeps
// few enough labels that they never touch at the picture's width.
func TestDateTicks(t *testing.T) {
	sty := textStyle(sans, tickSize, mutedColor)
	axisWidth := vg.Length(Width)*vg.Inch/dpi - 2*pad
	for _, tc := range []struct {
		name     string
		from, to string
		first    string
	}{
		{"a month", "2024-03-10", "2024-04-20", "Apr 2024"},
		{"half a year", "2024-01-01", "2024-07-01", "Jan 2024"},
		{"two years", "2022-05-17", "2024-05-01", "Jul 2022"},
		{"seven years", "2017-06-01", "2024-06-01", "2018"},
		{"thirty years", "1995-01-01", "2025-01-01", "1995"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			lo, hi := float64(day(tc.from).Unix()), float64(day(tc.to).Unix())
			ticks := dateTicks(lo, hi)
			if len(ticks) == 0 || len(ticks) > maxTicks {
				t.Fatalf("%d ticks, want 1 to %d", len(ticks), maxTicks)
			}
			if ticks[0].Label != tc.first {
				t.Errorf("first tick %q, want %q", ticks[0].Label, tc.first)
			}
			perSecond := float64(axisWidth) / (hi - lo)
			for i := 1; i < len(ticks); i++ {
				gap := vg.Length((ticks[i].Value - ticks[i-1].Value) * perSecond)
				need := (sty.Width(ticks[i].Label)+sty.Width(ticks[i-1].Label))/2 + 6
				if gap < need {
					t.Errorf("ticks %q and %q are %.1fpt apart, need %.1fpt", ticks[i-1].Label, ticks[i].Label, gap, need)
				}
			}
		})
	}
}

func TestKindOf(t *testing.T) {
	for _, tc := range []struct {
		headline string
		want     Kind
	}{
		{"Epic sues Apple over App Store fees", Filing},
		{"Epic files antitrust lawsuit against Google", Filing},
		{"Musk sued by the SEC", Filing},
		{"Judge dismisses X's lawsuit against Media Matters", Ruling},
		{"Jury verdict: Google's Play store is a monopoly", Ruling},
		{"EU fines Google €4.34bn over Android", Fine},
		{"Meta fined €1.2bn after judge rules on transfers", Fine},
		{"Apple appeals the €13bn ruling", Appeal},
		{"Qualcomm and Apple settle all litigation", Settlement},
		{"Tesla reaches settlement; appeal withdrawn", Settlement},
		{"Microsoft says it will cooperate with regulators", Statement},
		{"Finest hour: Nvidia's earnings", Statement}, // whole words only
	} {
		if got := KindOf(tc.headline); got != tc.want {
			t.Errorf("KindOf(%q) = %v, want %v", tc.headline, got, tc.want)
		}
	}
}

func TestDescribe(t *testing.T) {
	for _, tc := range []struct {
		name string
		tl   Timeline
		want string
	}{
		{"two events", twoEvents(), "Timeline of Acme vs Globex: a made-up patent suit: 2 events from Mar 2024 to May 2024 (1 filing and 1 ruling); status ruled since 20 May 2024."},
		{"coverage", Timeline{Title: "A vs B", Events: []Event{{Date: day("2020-02-02"), Kind: Fine}}, Coverage: []Month{{day("2020-01-01"), 3}, {day("2020-02-01"), 7}, {day("2020-03-01"), 7}}},
			"Timeline of A vs B: 1 event in Feb 2020 (1 fine); coverage peaked at 7 articles in Feb 2020."},
		{"nothing", Timeline{Title: "Quiet"}, "Timeline of Quiet with no dated events."},
	} {
		if got := Describe(tc.tl); got != tc.want {
			t.Errorf("%s:\n got %q\nwant %q", tc.name, got, tc.want)
		}
	}
}

// TestFontsAreEmbedded: the picture's text comes from the fonts compiled
// into gonum/plot, so the title is drawn (dark pixels where it stands)
// with no system fonts and no network.
func TestFontsAreEmbedded(t *testing.T) {
	img, _ := renderImage(twoEvents())
	dark := 0
	for y := 8; y < 26; y++ {
		for x := 8; x < 300; x++ {
			r, g, b, _ := img.At(x, y).RGBA()
			if r>>8 < 0x80 && g>>8 < 0x80 && b>>8 < 0x80 {
				dark++
			}
		}
	}
	if dark < 200 {
		t.Errorf("only %d dark pixels where the title should be", dark)
	}
}

func TestFitShortensAtAWord(t *testing.T) {
	sty := textStyle(sans, labelSize, inkColor)
	s := "Adobe and Figma call off the merger; Adobe owes a $1bn break fee"
	got := fit(sty, s, 100)
	if !strings.HasSuffix(got, "…") || sty.Width(got) > 100 {
		t.Fatalf("fit = %q (%.1fpt), want at most 100pt ending in …", got, sty.Width(got))
	}
	if !strings.HasPrefix(s, strings.TrimSuffix(got, "…")) || strings.HasSuffix(strings.TrimSuffix(got, "…"), " ") {
		t.Errorf("fit = %q, want a prefix of the text cut at a word", got)
	}
	if got := fit(sty, "short", 100); got != "short" {
		t.Errorf("fit shortened text that fits: %q", got)
	}
}

func BenchmarkRender(b *testing.B) {
	tl := corpusTimeline(b, "ec-google")
	for b.Loop() {
		if _, err := Render(tl); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderCached(b *testing.B) {
	tl := corpusTimeline(b, "ec-google")
	c := NewCache(16)
	k := Key{Dispute: "ec-google", Version: "v1"}
	if _, err := c.Get(k, func() Timeline { return tl }); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := c.Get(k, func() Timeline { return tl }); err != nil {
			b.Fatal(err)
		}
	}
}
