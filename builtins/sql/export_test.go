package sql

// InUse is how many connections of a configured connection's pool are in use (0 before it opens).
func InUse(m *Module, name string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := m.conns[name]
	if c == nil || c.db == nil {
		return 0
	}
	return c.db.Stats().InUse
}
