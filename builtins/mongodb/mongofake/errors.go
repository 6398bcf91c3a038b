package mongofake

import (
	"errors"
	"fmt"
)

// mongoError is a command error as MongoDB reports it.
type mongoError struct {
	code int32
	name string
	msg  string
}

func (e *mongoError) Error() string { return e.msg }

func errf(code int32, name, format string, args ...any) *mongoError {
	return &mongoError{code: code, name: name, msg: fmt.Sprintf(format, args...)}
}

func badValue(format string, args ...any) *mongoError {
	return errf(2, "BadValue", format, args...)
}

func typeMismatch(format string, args ...any) *mongoError {
	return errf(14, "TypeMismatch", format, args...)
}

// unsupportedError is something real MongoDB does that this server does not;
// the server records what for Server.Unsupported.
type unsupportedError struct {
	what string
}

func (e *unsupportedError) Error() string {
	return "the Kubus fixture server does not support " + e.what
}

func unsupported(format string, args ...any) error {
	return &unsupportedError{what: fmt.Sprintf(format, args...)}
}

// toMongoError maps any error to its code and name.
func toMongoError(err error) *mongoError {
	var me *mongoError
	if errors.As(err, &me) {
		return me
	}
	var ue *unsupportedError
	if errors.As(err, &ue) {
		return &mongoError{code: 238, name: "NotImplemented", msg: ue.Error()}
	}
	return &mongoError{code: 1, name: "InternalError", msg: err.Error()}
}
