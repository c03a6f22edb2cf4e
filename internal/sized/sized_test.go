package sized

import "testing"

func TestMapStaysWithinItsLimit(t *testing.T) {
	var m Map[int, string]
	const limit = 1000
	for i := range 500 {
		m.Put(i, "x", 10+i%50, limit)
		if m.Bytes() > limit {
			t.Fatalf("after %d puts: %d bytes kept, limit %d", i+1, m.Bytes(), limit)
		}
		if v, ok := m.Get(i); !ok || v != "x" {
			t.Fatalf("entry %d just put is not kept", i)
		}
	}
	sum := 0
	for _, e := range m.m {
		sum += e.size
	}
	if sum != m.Bytes() {
		t.Errorf("Bytes() = %d, entries hold %d", m.Bytes(), sum)
	}
	if m.Len() < limit/60 {
		t.Errorf("only %d entries kept within %d bytes", m.Len(), limit)
	}
	// Putting a key again replaces it, not adds to it.
	m.Clear()
	m.Put(1, "a", 100, limit)
	m.Put(1, "b", 200, limit)
	if v, _ := m.Get(1); v != "b" || m.Bytes() != 200 || m.Len() != 1 {
		t.Errorf("after replacing: %q, %d bytes, %d entries", v, m.Bytes(), m.Len())
	}
	m.Delete(1)
	if _, ok := m.Get(1); ok || m.Bytes() != 0 {
		t.Errorf("after Delete: kept %v, %d bytes", ok, m.Bytes())
	}
	m.Put(2, "big", limit+1, limit)
	if _, ok := m.Get(2); ok {
		t.Error("an entry larger than the limit was kept")
	}
}
