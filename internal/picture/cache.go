package picture

import (
	"container/list"
	"fmt"
	"sync"
)

// Key names one rendering of a dispute's picture. Version changes when
// something new arrives for the dispute (KeyFor builds it from an answer),
// so a stale picture is never served: it is simply no longer asked for,
// and ages out.
type Key struct {
	Dispute, Version string
}

// Cache keeps the most recently used pictures, up to a fixed number. It is
// safe for concurrent use; callers asking for a picture being rendered
// wait for that rendering rather than starting their own.
type Cache struct {
	max    int
	render func(Timeline) ([]byte, error)

	mu      sync.Mutex
	order   *list.List // of *cached, most recently used first
	items   map[Key]*list.Element
	renders int
}

type cached struct {
	key  Key
	done chan struct{} // closed when png and err are set
	png  []byte
	err  error
}

// NewCache keeps up to n pictures (at least one). A picture is about
// 20–40 kB, so a few hundred cost a few megabytes.
func NewCache(n int) *Cache {
	return &Cache{max: max(1, n), render: Render, order: list.New(), items: map[Key]*list.Element{}}
}

// Get returns the picture for k, rendering the timeline that build returns
// only when the cache does not hold it. A failed rendering is not kept.
func (c *Cache) Get(k Key, build func() Timeline) ([]byte, error) {
	c.mu.Lock()
	if el, ok := c.items[k]; ok {
		c.order.MoveToFront(el)
		e := el.Value.(*cached)
		c.mu.Unlock()
		<-e.done
		return e.png, e.err
	}
	e := &cached{key: k, done: make(chan struct{})}
	c.items[k] = c.order.PushFront(e)
	for c.order.Len() > c.max {
		old := c.order.Back()
		c.order.Remove(old)
		delete(c.items, old.Value.(*cached).key)
	}
	c.renders++
	c.mu.Unlock()

	e.png, e.err = c.safeRender(build)
	close(e.done)
	if e.err != nil {
		c.mu.Lock()
		if el, ok := c.items[k]; ok && el.Value.(*cached) == e {
			c.order.Remove(el)
			delete(c.items, k)
		}
		c.mu.Unlock()
	}
	return e.png, e.err
}

// safeRender turns a panic while drawing into an error, so that callers
// waiting on the same key are answered and the bot answers in text.
func (c *Cache) safeRender(build func() Timeline) (png []byte, err error) {
	defer func() {
		if r := recover(); r != nil {
			png, err = nil, fmt.Errorf("picture: render panicked: %v", r)
		}
	}()
	return c.render(build())
}

// Renders counts the renderings the cache has started: what it could not
// serve from memory.
func (c *Cache) Renders() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.renders
}

// Len is how many pictures the cache holds.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
