package loadtest

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// Kinds of broker operations an OpsProxy counts. A kind alone counts every
// such method frame; "<kind> <exchange>" (for publish, return and deliver)
// counts those of one exchange ("" is the default exchange).
const (
	OpPublish     = "publish"      // basic.publish, client to broker
	OpConfirm     = "confirm"      // basic.ack, broker to client (a publisher confirm)
	OpConfirmNack = "confirm-nack" // basic.nack, broker to client
	OpDeliver     = "deliver"      // basic.deliver, broker to client
	OpAck         = "ack"          // basic.ack, client to broker (a consumer's ack)
	OpAckMultiple = "ack-multiple" // of those, with the multiple flag
	OpNack        = "nack"         // basic.nack or basic.reject, client to broker
	OpReturn      = "return"       // basic.return, broker to client
	OpGet         = "get"          // basic.get, client to broker
	OpOther       = "other"        // every other method frame but heartbeats (channel.open, queue.declare, ...)
)

// Ops counts broker operations by kind (see the Op constants) and, for
// OpOther, by "class.method" name.
type Ops map[string]int64

// Sub returns o − before, per key.
func (o Ops) Sub(before Ops) Ops {
	out := Ops{}
	for k, v := range o {
		if d := v - before[k]; d != 0 {
			out[k] = d
		}
	}
	return out
}

// Add returns o + other, per key.
func (o Ops) Add(other Ops) Ops {
	out := Ops{}
	for k, v := range o {
		out[k] += v
	}
	for k, v := range other {
		out[k] += v
	}
	return out
}

// Count is the count of one exchange.
type Count struct {
	Exchange string // "(default)" for the default exchange
	N        int64
}

// ByExchange returns, for kind, the count of each exchange sorted by name.
func (o Ops) ByExchange(kind string) []Count {
	var out []Count
	for k, v := range o {
		x, ok := strings.CutPrefix(k, kind+" ")
		if !ok {
			continue
		}
		if x == "" {
			x = "(default)"
		}
		out = append(out, Count{x, v})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Exchange < out[j].Exchange })
	return out
}

// Others lists the OpOther methods by name, sorted.
func (o Ops) Others() []string {
	var out []string
	for k := range o {
		if m, ok := strings.CutPrefix(k, OpOther+" "); ok {
			out = append(out, m)
		}
	}
	sort.Strings(out)
	return out
}

// OpsProxy forwards AMQP 0-9-1 connections to a broker unchanged and counts
// the method frames that pass, by kind: what the broker is asked to do and
// what it sends back. Point a client's URL at it (URL) to count that
// client's operations; plaintext AMQP only (it must read the frames).
// Safe for concurrent use.
type OpsProxy struct {
	ln     net.Listener
	target string

	mu     sync.Mutex
	ops    Ops
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// NewOpsProxy listens on a free port of 127.0.0.1 and forwards every
// connection to target (host:port).
func NewOpsProxy(target string) (*OpsProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("ops proxy: listen: %w", err)
	}
	p := &OpsProxy{ln: ln, target: target, ops: Ops{}, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the proxy's host:port.
func (p *OpsProxy) Addr() string { return p.ln.Addr().String() }

// URL returns amqpURL with its host replaced by the proxy's.
func (p *OpsProxy) URL(amqpURL string) (string, error) {
	u, err := url.Parse(amqpURL)
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("%w: ops proxy: not an AMQP URL with a host", ErrConfig)
	}
	u.Host = p.Addr()
	return u.String(), nil
}

// Ops returns a copy of the counts so far.
func (p *OpsProxy) Ops() Ops {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make(Ops, len(p.ops))
	for k, v := range p.ops {
		out[k] = v
	}
	return out
}

// Close stops accepting, closes every forwarded connection and waits for
// its goroutines.
func (p *OpsProxy) Close() error {
	p.mu.Lock()
	p.closed = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	err := p.ln.Close()
	p.wg.Wait()
	return err
}

func (p *OpsProxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		_ = c.Close()
		return false
	}
	p.conns[c] = struct{}{}
	return true
}

func (p *OpsProxy) untrack(c net.Conn) {
	p.mu.Lock()
	delete(p.conns, c)
	p.mu.Unlock()
	_ = c.Close()
}

func (p *OpsProxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		broker, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = client.Close()
			continue
		}
		if !p.track(client) || !p.track(broker) {
			_, _ = client.Close(), broker.Close()
			continue
		}
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			_ = p.forward(broker, client, true)
			p.untrack(broker)
			p.untrack(client)
		}()
		go func() {
			defer p.wg.Done()
			_ = p.forward(client, broker, false)
			p.untrack(client)
			p.untrack(broker)
		}()
	}
}

// forward copies frames from src to dst, counting them; fromClient says
// which way they go (the client starts with the 8-byte protocol header).
func (p *OpsProxy) forward(dst io.Writer, src io.Reader, fromClient bool) error {
	r := bufio.NewReaderSize(src, 64<<10)
	w := bufio.NewWriterSize(dst, 64<<10)
	if fromClient {
		var hdr [8]byte
		if _, err := io.ReadFull(r, hdr[:]); err != nil {
			return err
		}
		if _, err := w.Write(hdr[:]); err != nil {
			return err
		}
	}
	var head [7]byte
	buf := make([]byte, 0, 4096)
	local := Ops{}
	for {
		if r.Buffered() == 0 {
			// About to block: hand over what we have, and our counts.
			if err := w.Flush(); err != nil {
				return err
			}
			p.merge(local)
		}
		if _, err := io.ReadFull(r, head[:]); err != nil {
			_ = w.Flush()
			p.merge(local)
			return err
		}
		size := int(binary.BigEndian.Uint32(head[3:7]))
		if size > 64<<20 {
			return errors.New("ops proxy: frame larger than 64 MiB")
		}
		if cap(buf) < size+1 {
			buf = make([]byte, size+1)
		}
		buf = buf[:size+1]
		if _, err := io.ReadFull(r, buf); err != nil {
			return err
		}
		if head[0] == 1 { // method frame
			count(local, buf[:size], fromClient)
		}
		if _, err := w.Write(head[:]); err != nil {
			return err
		}
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
}

// merge adds local to the proxy's counts and clears it.
func (p *OpsProxy) merge(local Ops) {
	if len(local) == 0 {
		return
	}
	p.mu.Lock()
	for k, v := range local {
		p.ops[k] += v
		delete(local, k)
	}
	p.mu.Unlock()
}

// AMQP 0-9-1 class and method ids.
const (
	classBasic   = 60
	basicPublish = 40
	basicReturn  = 50
	basicDeliver = 60
	basicGet     = 70
	basicAck     = 80
	basicReject  = 90
	basicNack    = 120
)

// count classifies one method frame's payload.
func count(ops Ops, payload []byte, fromClient bool) {
	if len(payload) < 4 {
		return
	}
	class := binary.BigEndian.Uint16(payload[0:2])
	method := binary.BigEndian.Uint16(payload[2:4])
	args := payload[4:]
	if class == classBasic {
		switch {
		case method == basicPublish && fromClient:
			// reserved short, exchange shortstr, routing key shortstr, bits
			ops[OpPublish]++
			if x, ok := shortstr(args, 2); ok {
				ops[OpPublish+" "+x]++
			}
			return
		case method == basicReturn && !fromClient:
			// reply code short, reply text shortstr, exchange shortstr, ...
			ops[OpReturn]++
			if text, ok := shortstr(args, 2); ok {
				if x, ok := shortstr(args, 2+1+len(text)); ok {
					ops[OpReturn+" "+x]++
				}
			}
			return
		case method == basicDeliver && !fromClient:
			// consumer tag shortstr, delivery tag longlong, redelivered
			// bit, exchange shortstr, routing key shortstr
			ops[OpDeliver]++
			if tag, ok := shortstr(args, 0); ok {
				if x, ok := shortstr(args, 1+len(tag)+8+1); ok {
					ops[OpDeliver+" "+x]++
				}
			}
			return
		case method == basicAck && fromClient:
			ops[OpAck]++
			if len(args) >= 9 && args[8]&1 == 1 {
				ops[OpAckMultiple]++
			}
			return
		case method == basicAck:
			ops[OpConfirm]++
			return
		case (method == basicNack || method == basicReject) && fromClient:
			ops[OpNack]++
			return
		case method == basicNack:
			ops[OpConfirmNack]++
			return
		case method == basicGet && fromClient:
			ops[OpGet]++
			return
		}
	}
	ops[OpOther]++
	ops[OpOther+" "+methodName(class, method)]++
}

// shortstr reads the AMQP short string at off of b.
func shortstr(b []byte, off int) (string, bool) {
	if off >= len(b) {
		return "", false
	}
	n := int(b[off])
	if off+1+n > len(b) {
		return "", false
	}
	return string(b[off+1 : off+1+n]), true
}

// methodNames names the methods a client commonly sends or gets besides
// the counted ones.
var methodNames = map[[2]uint16]string{
	{10, 10}: "connection.start", {10, 11}: "connection.start-ok", {10, 30}: "connection.tune",
	{10, 31}: "connection.tune-ok", {10, 40}: "connection.open", {10, 41}: "connection.open-ok",
	{10, 50}: "connection.close", {10, 51}: "connection.close-ok",
	{10, 60}: "connection.blocked", {10, 61}: "connection.unblocked",
	{20, 10}: "channel.open", {20, 11}: "channel.open-ok", {20, 20}: "channel.flow", {20, 21}: "channel.flow-ok",
	{20, 40}: "channel.close", {20, 41}: "channel.close-ok",
	{40, 10}: "exchange.declare", {40, 11}: "exchange.declare-ok",
	{50, 10}: "queue.declare", {50, 11}: "queue.declare-ok", {50, 20}: "queue.bind", {50, 21}: "queue.bind-ok",
	{50, 40}: "queue.delete", {50, 41}: "queue.delete-ok",
	{60, 10}: "basic.qos", {60, 11}: "basic.qos-ok", {60, 20}: "basic.consume", {60, 21}: "basic.consume-ok",
	{60, 30}: "basic.cancel", {60, 31}: "basic.cancel-ok", {60, 71}: "basic.get-ok", {60, 72}: "basic.get-empty",
	{85, 10}: "confirm.select", {85, 11}: "confirm.select-ok",
}

func methodName(class, method uint16) string {
	if n, ok := methodNames[[2]uint16{class, method}]; ok {
		return n
	}
	return fmt.Sprintf("%d.%d", class, method)
}
