package feed

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"iter"
	"strings"

	"golang.org/x/net/html/charset"
)

// gofeed builds every item (and every category, link or extension element)
// of a document before Parse can apply maxItems, and a tiny element costs it
// hundreds of bytes: a 5 MiB JSON Feed of empty items allocates over a
// gigabyte. cut therefore streams over the body first and hands gofeed only
// the part Parse will read.
const (
	// maxElements bounds the XML elements gofeed is given, which costs it
	// up to 1 KB each. It leaves 250 per item for 100 items, ten times
	// what a news feed uses; a full-text XHTML feed past it loses its
	// oldest items, not the feed, while a header of 650,000 <link/> or
	// extension elements is cut short.
	maxElements = 25_000
	// maxDepth bounds element nesting, which no real feed comes near and
	// which costs gofeed a stack entry per level.
	maxDepth = 256
)

// cut returns a document gofeed parses into at most maxItems items. A body
// that needs no cutting comes back as it is; an error means a JSON body is
// not a JSON Feed gofeed could read either.
func cut(body []byte) ([]byte, error) {
	// Like gofeed's type detection, skip white space and the bytes of byte
	// order marks to tell XML from JSON.
	i := 0
	for i < len(body) && strings.IndexByte(" \r\n\t\xFE\xFF\x00\xEF\xBB\xBF", body[i]) >= 0 {
		i++
	}
	switch {
	case i == len(body):
		return body, nil
	case body[i] == '<':
		return cutXML(body), nil
	case body[i] == '{':
		return cutJSON(body)
	}
	return body, nil
}

// cutXML scans RSS 2.0, RSS 1.0 and Atom with encoding/xml's lenient mode,
// the decoder gofeed itself uses, and cuts after the maxItems-th item or
// entry, or earlier when the document spends its element or depth budget.
//
// It reads RawToken and keeps its own stack of open elements, with their
// prefixes, so that a cut can be closed as written (</rdf:RDF>). Token would
// lose the prefixes, and with xml.HTMLAutoClose it even misreads RSS: the
// <link> of a channel counts as an HTML void element, so the </link> that
// follows closes the channel.
func cutXML(body []byte) []byte {
	// encoding/xml reads some 30 MB a second, so a feed the bytes show
	// needs no cut is not decoded twice.
	if elements, items := countTags(body); elements <= maxElements && items <= maxItems {
		return body
	}
	r := bytes.NewReader(body)
	d := xml.NewDecoder(r)
	d.Strict = false
	d.Entity = xml.HTMLEntity
	// A declared encoding other than UTF-8 makes the decoder read the rest
	// through a converter, so its offsets past the declaration count UTF-8
	// bytes, not the body's. The converter is noted so the cut can be
	// converted the same way.
	var conv *converted
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		if conv != nil {
			return nil, errors.New("feed: a second encoding declaration")
		}
		conv = &converted{label: label, declStart: -1, from: int64(len(body) - r.Len())}
		return charset.NewReaderLabel(label, in)
	}

	var (
		open      []xml.Name // raw names: Space holds the prefix
		items     int
		itemDepth = -1 // where the open top-level item sits in open
		itemStart int64
		elements  int
	)
	for {
		before := d.InputOffset()
		tok, err := d.RawToken()
		if conv != nil && conv.declStart < 0 {
			conv.declStart = before
		}
		if err == io.EOF {
			return body
		}
		if err != nil {
			var root string
			if len(open) > 0 {
				root = rawName(open[0])
			}
			return cutBytes(body, root)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			elements++
			if elements > maxElements || len(open) == maxDepth {
				// Stop before the element over budget, and before a
				// half-read item rather than hand gofeed a truncated one.
				if itemDepth >= 0 {
					return closeCut(body, conv, itemStart, open[:itemDepth])
				}
				return closeCut(body, conv, before, open)
			}
			if itemDepth < 0 && isItem(t.Name.Local) {
				itemDepth, itemStart = len(open), before
			}
			open = append(open, t.Name)
		case xml.EndElement:
			// The lenient decoder gofeed uses closes every element above the
			// one an end tag names (an unclosed <br> in a description), so
			// the stack does the same, and a stray end tag closes nothing.
			i := len(open) - 1
			for i >= 0 && open[i].Local != t.Name.Local {
				i--
			}
			if i < 0 {
				continue
			}
			open = open[:i]
			if itemDepth >= 0 && i <= itemDepth {
				itemDepth = -1
				items++
				if items == maxItems {
					return closeCut(body, conv, d.InputOffset(), open)
				}
			}
		}
	}
}

// converted records where a document switched to a declared non-UTF-8
// encoding: the declaration spans body[declStart:from], and the decoder's
// offsets past from count the converter's UTF-8 output.
type converted struct {
	label     string
	declStart int64 // set when RawToken returns the declaration
	from      int64
}

// closeCut returns the document up to offset off, then end tags for the
// elements still open there.
func closeCut(body []byte, conv *converted, off int64, open []xml.Name) []byte {
	var out []byte
	if conv == nil || off < conv.from {
		out = append(out, body[:off]...)
	} else {
		// The part past the declaration is the converter's UTF-8, so the
		// declaration now says UTF-8.
		out = append(out, body[:conv.declStart]...)
		out = append(out, `<?xml version="1.0" encoding="UTF-8"?>`...)
		// Neither call fails: the decoder has converted this much already.
		utf, err := charset.NewReaderLabel(conv.label, bytes.NewReader(body[conv.from:]))
		if err != nil {
			return body
		}
		n := len(out)
		out = append(out, make([]byte, off-conv.from)...)
		if _, err := io.ReadFull(utf, out[n:]); err != nil {
			return body
		}
	}
	for i := len(open) - 1; i >= 0; i-- {
		out = append(out, "</"...)
		out = append(out, rawName(open[i])...)
		out = append(out, '>')
	}
	return out
}

// cutBytes is the fallback for a document the decoder gave up on before the
// cap: it cuts before the start tag of item maxItems+1 and closes the root,
// which the lenient decoder takes as closing everything below it too. A
// document with fewer items, or whose root was never read (gofeed, reading
// with the same decoder, will give up on it too), is returned whole.
func cutBytes(body []byte, root string) []byte {
	if root == "" {
		return body
	}
	items := 0
	for at, item := range startTags(body) {
		if item {
			if items++; items > maxItems {
				return append(body[:at:at], "</"+root+">"...)
			}
		}
	}
	return body
}

// countTags counts the start tags in body, and among them those of items
// and entries.
func countTags(body []byte) (elements, items int) {
	for _, item := range startTags(body) {
		elements++
		if item {
			items++
		}
	}
	return elements, items
}

// startTags yields the offset of every start tag in body and whether it
// opens an item or entry, whatever its prefix. It takes every '<' that does
// not open an end tag, comment or declaration, so markup quoted in CDATA
// counts too: it may find more tags than the decoder reads, never fewer.
func startTags(body []byte) iter.Seq2[int, bool] {
	return func(yield func(int, bool) bool) {
		for i := 0; i+1 < len(body); i++ {
			if body[i] != '<' {
				continue
			}
			switch body[i+1] {
			case '/', '!', '?':
				continue
			}
			// The name ends at the first byte no XML name holds, which '<'
			// is not, so no byte is read twice.
			end := i + 1
			for end < len(body) && isNameByte(body[end]) {
				end++
			}
			name := body[i+1 : end]
			if colon := bytes.LastIndexByte(name, ':'); colon >= 0 {
				name = name[colon+1:]
			}
			if !yield(i, isItem(string(name))) {
				return
			}
		}
	}
}

func isNameByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '_' || c == ':' || c == '.' || c == '-' || c >= 0x80
}

func isItem(local string) bool {
	return strings.EqualFold(local, "item") || strings.EqualFold(local, "entry")
}

func rawName(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// cutJSON keeps the first maxItems elements of a JSON Feed's items array
// and every other member as written. It reads one element at a time, so the
// elements it drops are never held together. A feed with no more items
// comes back whole.
func cutJSON(body []byte) ([]byte, error) {
	d := json.NewDecoder(bytes.NewReader(body))
	if _, err := d.Token(); err != nil { // the opening brace cut saw
		return nil, err
	}
	out := []byte{'{'}
	// One RawMessage serves every value: Decode reuses its capacity, so
	// skipping an element allocates nothing.
	var raw json.RawMessage
	dropped := false
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		if len(out) > 1 {
			out = append(out, ',')
		}
		k, _ := json.Marshal(key)
		out = append(out, k...)
		out = append(out, ':')
		// encoding/json, which gofeed decodes with, matches member names
		// case-insensitively and lets a repeated member replace the first,
		// so every "items", "Items" or "ITEMS" is cut.
		if !strings.EqualFold(key, "items") {
			if err := d.Decode(&raw); err != nil {
				return nil, err
			}
			out = append(out, raw...)
			continue
		}
		switch tok, err := d.Token(); {
		case err != nil:
			return nil, err
		case tok == nil:
			out = append(out, "null"...)
			continue
		case tok != json.Delim('['):
			return nil, errors.New("feed: JSON Feed items is not an array")
		}
		out = append(out, '[')
		for n := 0; d.More(); n++ {
			if err := d.Decode(&raw); err != nil {
				return nil, err
			}
			switch {
			case n == maxItems:
				dropped = true
			case n < maxItems:
				if n > 0 {
					out = append(out, ',')
				}
				out = append(out, raw...)
			}
		}
		if _, err := d.Token(); err != nil { // ]
			return nil, err
		}
		out = append(out, ']')
	}
	if _, err := d.Token(); err != nil { // }
		return nil, err
	}
	// gofeed's json.Unmarshal refuses anything after the object; so does cut.
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("feed: data after the JSON Feed object")
	}
	if !dropped {
		return body, nil
	}
	return append(out, '}'), nil
}
