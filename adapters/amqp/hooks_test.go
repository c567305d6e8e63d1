package amqp

// localAddr is the local address of the live connection, "" if none.
func (p *Publisher) localAddr() string {
	p.mu.Lock()
	s := p.sess
	p.mu.Unlock()
	if s == nil {
		return ""
	}
	return s.conn.LocalAddr().String()
}
