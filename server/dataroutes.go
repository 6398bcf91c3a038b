package server

// dataRoutes are the routes of persisted entities and personal data (entities, consents, data
// debits, alert aggregation, audit).
func (s *Server) dataRoutes() []*route {
	return nil
}
