package discord

import (
	"fmt"
	"runtime/debug"
)

// sorry is what a member reads when answering them panicked: the bug is
// ours, and nothing about it is theirs to see.
const sorry = "Something went wrong on my side; please try again later."

// recovered is deferred at the root of every goroutine the adapter runs
// code on, discordgo's event handlers included: a panic there would end
// the whole process, and every member's conversation with it. It logs the
// panic with its stack, counts it, and runs apologise (which may be nil)
// to answer whoever was waiting. recover only works called directly by
// the deferred function, so this is deferred itself, not called from a
// deferred closure.
func (a *Adapter) recovered(where string, apologise func()) {
	v := recover()
	if v == nil {
		return
	}
	a.cfg.Log.Error("recovered from a panic", "where", where, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
	if a.cfg.Panicked != nil {
		a.cfg.Panicked()
	}
	if apologise == nil {
		return
	}
	// The apology talks to Discord and could panic in turn; this
	// goroutine is already unwinding, so that one is logged and dropped.
	defer func() {
		if v := recover(); v != nil {
			a.cfg.Log.Error("recovered from a panic while apologising", "where", where, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
		}
	}()
	apologise()
}
