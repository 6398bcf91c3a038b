package mail

// Claim claims a message as an outbox that then dies would (state sending, a lease, no report).
func (o *Outbox) Claim(id string) (bool, error) {
	_, _, _, ok, err := o.claim(id, "crashed-process")
	return ok, err
}
