// Package sized is a map bounded by the memory its entries hold rather
// than by how many there are: the caches of answers' rows and texts hold
// entries from a few hundred bytes to several kilobytes, and a bound in
// entries either wastes memory or holds too few of the small ones.
package sized

import "runtime"

// Map is a map whose entries' sizes, as the caller reckons them, add up
// to no more than the limit given to Put. When an entry does not fit,
// others go first: any will do, as a cache here cannot tell which will
// be asked for again, and map order is random. The zero value is ready;
// it is not safe for concurrent use.
type Map[K comparable, V any] struct {
	m     map[K]entry[V]
	bytes int
}

type entry[V any] struct {
	v    V
	size int
}

// Get returns the value kept under k.
func (m *Map[K, V]) Get(k K) (V, bool) {
	e, ok := m.m[k]
	return e.v, ok
}

// Put keeps v under k, reckoned at size bytes, making room within limit.
// An entry larger than limit on its own is not kept.
func (m *Map[K, V]) Put(k K, v V, size, limit int) {
	m.Delete(k)
	if size > limit {
		return
	}
	if m.m == nil {
		m.m = make(map[K]entry[V])
	}
	for old, e := range m.m {
		if m.bytes+size <= limit {
			break
		}
		delete(m.m, old)
		m.bytes -= e.size
	}
	m.m[k] = entry[V]{v, size}
	m.bytes += size
}

// Delete forgets k.
func (m *Map[K, V]) Delete(k K) {
	if e, ok := m.m[k]; ok {
		delete(m.m, k)
		m.bytes -= e.size
	}
}

// Clear forgets everything.
func (m *Map[K, V]) Clear() {
	clear(m.m)
	m.bytes = 0
}

// Len is how many entries are kept.
func (m *Map[K, V]) Len() int { return len(m.m) }

// Bytes is the sum of the kept entries' sizes.
func (m *Map[K, V]) Bytes() int { return m.bytes }

// HeapInUse is the heap's live bytes after a collection: what the tests
// of a map's reckoning compare its Bytes with.
func HeapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}
