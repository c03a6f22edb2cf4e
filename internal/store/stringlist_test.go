package store

import (
	"encoding/json"
	"reflect"
	"testing"
)

// FuzzStringList: stringList reads whatever it is given as encoding/json
// does (errors ignored), its fast path and all; `go test` runs the seeds,
// `go test -fuzz StringList` looks for more.
func FuzzStringList(f *testing.F) {
	for _, s := range []string{
		`[]`, `["Apple"]`, `["Elon Musk","Microsoft"]`, `[""]`, `["a",""]`, `null`, ``, `[`, `]`, `["a"`, `["a",]`,
		`["a" ,"b"]`, `[ "a"]`, `["a\"b"]`, `["a\\"]`, `["\u00e9"]`, `["é","ü"]`, "[\"\xff\"]", "[\"a\tb\"]",
		`["a","b"]x`, `x["a"]`, `["a"]]`, `[["a"]]`, `[1]`, `["a",1]`, `[null]`, `["a"],`, `[,"a"]`, `["a",,"b"]`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var want []string
		_ = json.Unmarshal([]byte(s), &want)
		if got := stringList(s); !reflect.DeepEqual(got, want) {
			t.Errorf("stringList(%q) = %#v, encoding/json gives %#v", s, got, want)
		}
	})
}
