package consent

import (
	"errors"
	"time"

	"github.com/kubusdev/kubus/store"
)

// Entry points for hosts outside an execution (the HTTP server's Consents API). Each runs the
// operation of the JS function of the same name in tx at now (truncated to milliseconds, as the
// execution clock is): the same checks, the same state changes and the same audit events, so a
// change made over HTTP is indistinguishable from one made by rule code. The caller commits tx
// (or discards it); every check is made before anything is written, so a refused call leaves tx
// without writes. Refusals are *Error with the contract's type and HTTP status; a value that
// cannot be read (a list filter with a syntax error, an unknown sort field) is reported by
// ArgumentProblem.

// Create is Consent.create: a new pending consent (created true), or the one already there for the
// same user, type, document uri and context (created false).
func Create(tx store.Tx, now time.Time, s CreateSpec) (c *Consent, created bool, err error) {
	s.id = ""
	return newEnv(tx, now).create(s)
}

// Give is Consent.give; matching false is scope "instance".
func Give(tx store.Tx, now time.Time, id string, matching bool) (*Consent, error) {
	return newEnv(tx, now).give(id, matching)
}

// Revoke is Consent.revoke; with hasIfMatch the consent's etag must match ifMatch.
func Revoke(tx store.Tx, now time.Time, id, ifMatch string, hasIfMatch bool) (*Consent, error) {
	return newEnv(tx, now).revoke(id, ifMatch, hasIfMatch)
}

// Rescind is Consent.rescind.
func Rescind(tx store.Tx, now time.Time, s RescindSpec) ([]*Consent, error) {
	return newEnv(tx, now).rescind(s)
}

// ReviseDocument is Consent.reviseDocument.
func ReviseDocument(tx store.Tx, now time.Time, s ReviseSpec) ([]*Consent, error) {
	return newEnv(tx, now).reviseDocument(s)
}

// MoveDocument is Consent.moveDocument.
func MoveDocument(tx store.Tx, now time.Time, s MoveSpec) ([]*Consent, error) {
	return newEnv(tx, now).moveDocument(s)
}

// Needed is Consent.needed.
func Needed(tx store.Tx, now time.Time, userID string, consolidate bool) ([]*Consent, error) {
	return newEnv(tx, now).needed(userID, consolidate)
}

// List is Consent.list (Limit -1: no limit).
func List(tx store.Tx, now time.Time, s ListSpec) ([]*Consent, error) {
	return newEnv(tx, now).list(s)
}

// Get reads one consent: consentRefNotFound (an *Error) when there is none.
func Get(tx store.Tx, id string) (*Consent, error) {
	return newEnv(tx, time.Time{}).load(id)
}

// TypeNames is Consent.typeNames.
func TypeNames(tx store.Tx) ([]TypeName, error) {
	return newEnv(tx, time.Time{}).typeNames()
}

// SetTypeNames is Consent.setTypeNames (a label defaults to the name).
func SetTypeNames(tx store.Tx, now time.Time, names []TypeName) ([]TypeName, error) {
	return newEnv(tx, now).setTypeNames(names)
}

// ArgumentProblem says whether err is a value that cannot be read (what Consent.list throws as a
// RangeError), and its message.
func ArgumentProblem(err error) (string, bool) {
	var ae *argError
	if errors.As(err, &ae) {
		return ae.msg, true
	}
	return "", false
}
