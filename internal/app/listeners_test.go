package app

import (
	"net"
	"testing"
)

// The limit holds: with n connections open the listener's slots are all
// taken (a further Accept waits), and closing one frees its slot so the
// next connection is accepted.
func TestLimitListener(t *testing.T) {
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l := limitListener(inner, 2).(*limited)
	t.Cleanup(func() { _ = l.Close() })
	dial := func() net.Conn {
		t.Helper()
		c, err := net.Dial("tcp", inner.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	var held []net.Conn
	for range 2 {
		dial()
		c, err := l.Accept()
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	if len(l.sem) != cap(l.sem) {
		t.Fatalf("%d of %d slots taken with 2 connections open", len(l.sem), cap(l.sem))
	}
	dial()
	accepted := make(chan error, 1)
	go func() {
		c, err := l.Accept()
		if err == nil {
			_ = c.Close()
		}
		accepted <- err
	}()
	_ = held[0].Close()
	_ = held[0].Close() // a second Close frees nothing more
	if err := <-accepted; err != nil {
		t.Fatal(err)
	}
	_ = held[1].Close()
	if len(l.sem) != 0 {
		t.Fatalf("%d slots still taken with every connection closed", len(l.sem))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Accept(); err == nil {
		t.Fatal("a closed listener accepted")
	}
}
