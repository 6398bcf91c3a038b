package mongodb

import "go.mongodb.org/mongo-driver/v2/event"

// SetTestMonitor makes every client made after it report its commands to m (nil: none).
func SetTestMonitor(m *event.CommandMonitor) { testMonitor = m }
