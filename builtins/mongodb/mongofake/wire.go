package mongofake

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"
)

const (
	opReply = 1
	opQuery = 2004
	opMsg   = 2013

	maxMessageSize = 48_000_000
	maxBSONSize    = 16 << 20
	// maxWireDepth bounds nesting in incoming BSON before any recursive
	// decoder sees it: a deep enough document would overflow the stack,
	// which Go cannot recover from.
	maxWireDepth = 180

	flagChecksum   = 1 << 0
	flagMoreToCome = 1 << 1
	flagExhaust    = 1 << 16
)

var errMalformed = errors.New("malformed message")

var crcTable = crc32.MakeTable(crc32.Castagnoli)

type header struct {
	length, requestID, responseTo, opCode int32
}

// readMessage reads one message, rejecting a length outside [16, 48 MB]
// before reading the rest.
func readMessage(r io.Reader) (header, []byte, error) {
	var hb [16]byte
	if _, err := io.ReadFull(r, hb[:]); err != nil {
		return header{}, nil, err
	}
	h := header{
		length:     int32(binary.LittleEndian.Uint32(hb[0:])),
		requestID:  int32(binary.LittleEndian.Uint32(hb[4:])),
		responseTo: int32(binary.LittleEndian.Uint32(hb[8:])),
		opCode:     int32(binary.LittleEndian.Uint32(hb[12:])),
	}
	if h.length < 16 || h.length > maxMessageSize {
		return h, nil, errMalformed
	}
	// Grow the buffer as bytes arrive, so a peer that announces 48 MB and
	// sends little holds little memory.
	buf := bytes.NewBuffer(make([]byte, 0, min(int(h.length), 64<<10)))
	buf.Write(hb[:])
	n, err := buf.ReadFrom(io.LimitReader(r, int64(h.length)-16))
	if err != nil {
		return h, nil, err
	}
	if n != int64(h.length)-16 {
		return h, nil, io.ErrUnexpectedEOF
	}
	return h, buf.Bytes(), nil
}

// opMsgRequest is a decoded OP_MSG: the body with document sequences
// folded in as arrays.
type opMsgRequest struct {
	flags uint32
	cmd   bson.D
}

func parseOpMsg(msg []byte) (opMsgRequest, error) {
	b := msg[16:]
	if len(b) < 4 {
		return opMsgRequest{}, errMalformed
	}
	flags := binary.LittleEndian.Uint32(b)
	// Unknown bits in the low 16 are "required": the spec says to fail.
	if flags&0xFFFF&^(flagChecksum|flagMoreToCome) != 0 {
		return opMsgRequest{}, errMalformed
	}
	if flags&flagChecksum != 0 {
		if len(b) < 8 {
			return opMsgRequest{}, errMalformed
		}
		sum := binary.LittleEndian.Uint32(msg[len(msg)-4:])
		if crc32.Checksum(msg[:len(msg)-4], crcTable) != sum {
			return opMsgRequest{}, errMalformed
		}
		b = b[:len(b)-4]
	}
	b = b[4:]
	var body []byte
	type sequence struct {
		id   string
		docs bson.A
	}
	var seqs []sequence
	for len(b) > 0 {
		kind := b[0]
		b = b[1:]
		switch kind {
		case 0:
			n, err := docLen(b)
			if err != nil || body != nil {
				return opMsgRequest{}, errMalformed
			}
			body, b = b[:n], b[n:]
		case 1:
			if len(b) < 4 {
				return opMsgRequest{}, errMalformed
			}
			size := int(binary.LittleEndian.Uint32(b))
			if size < 5 || size > len(b) {
				return opMsgRequest{}, errMalformed
			}
			sec := b[4:size]
			b = b[size:]
			nul := bytes.IndexByte(sec, 0)
			if nul < 0 {
				return opMsgRequest{}, errMalformed
			}
			seq := sequence{id: string(sec[:nul]), docs: bson.A{}}
			for sec = sec[nul+1:]; len(sec) > 0; {
				n, err := docLen(sec)
				if err != nil {
					return opMsgRequest{}, errMalformed
				}
				d, err := decodeDoc(sec[:n])
				if err != nil {
					return opMsgRequest{}, err
				}
				seq.docs = append(seq.docs, d)
				sec = sec[n:]
			}
			seqs = append(seqs, seq)
		default:
			return opMsgRequest{}, errMalformed
		}
	}
	if body == nil {
		return opMsgRequest{}, errMalformed
	}
	cmd, err := decodeDoc(body)
	if err != nil || len(cmd) == 0 {
		return opMsgRequest{}, errMalformed
	}
	for _, s := range seqs {
		if fieldIndex(cmd, s.id) >= 0 {
			return opMsgRequest{}, errMalformed
		}
		cmd = append(cmd, bson.E{Key: s.id, Value: s.docs})
	}
	return opMsgRequest{flags: flags, cmd: cmd}, nil
}

// parseOpQuery decodes the legacy OP_QUERY the driver uses for its first
// hello; it returns the database and the command.
func parseOpQuery(msg []byte) (string, bson.D, error) {
	b := msg[16:]
	if len(b) < 4 {
		return "", nil, errMalformed
	}
	b = b[4:] // flags
	nul := bytes.IndexByte(b, 0)
	if nul < 0 {
		return "", nil, errMalformed
	}
	ns := string(b[:nul])
	b = b[nul+1:]
	if len(b) < 8 {
		return "", nil, errMalformed
	}
	b = b[8:] // numberToSkip, numberToReturn
	n, err := docLen(b)
	if err != nil {
		return "", nil, err
	}
	q, err := decodeDoc(b[:n])
	if err != nil {
		return "", nil, err
	}
	if len(q) > 0 && (q[0].Key == "$query" || q[0].Key == "query") {
		if inner, ok := q[0].Value.(bson.D); ok {
			q = inner
		}
	}
	db, coll, ok := strings.Cut(ns, ".")
	if !ok || coll != "$cmd" || len(q) == 0 {
		return "", nil, errMalformed
	}
	return db, q, nil
}

// docLen reads the length prefix of the BSON document at the start of b.
func docLen(b []byte) (int, error) {
	if len(b) < 5 {
		return 0, errMalformed
	}
	n := int(int32(binary.LittleEndian.Uint32(b)))
	if n < 5 || n > len(b) || n > maxMessageSize {
		return 0, errMalformed
	}
	return n, nil
}

func decodeDoc(b []byte) (bson.D, error) {
	if err := validateBSON(b, 0); err != nil {
		return nil, err
	}
	var d bson.D
	if err := bson.Unmarshal(b, &d); err != nil {
		return nil, errMalformed
	}
	return d, nil
}

// validateBSON checks a document's structure and bounds its depth.
func validateBSON(b []byte, depth int) error {
	if depth > maxWireDepth {
		return errMalformed
	}
	if len(b) < 5 || int(binary.LittleEndian.Uint32(b)) != len(b) || b[len(b)-1] != 0 {
		return errMalformed
	}
	end := len(b) - 1
	p := 4
	i32 := func() (int, bool) {
		if p+4 > end {
			return 0, false
		}
		return int(int32(binary.LittleEndian.Uint32(b[p:]))), true
	}
	cstring := func() bool {
		k := bytes.IndexByte(b[p:end], 0)
		if k < 0 {
			return false
		}
		p += k + 1
		return true
	}
	str := func() bool {
		n, ok := i32()
		if !ok || n < 1 || p+4+n > end || b[p+4+n-1] != 0 {
			return false
		}
		p += 4 + n
		return true
	}
	for p < end {
		t := b[p]
		p++
		if !cstring() {
			return errMalformed
		}
		ok := true
		switch t {
		case 0x01, 0x09, 0x11, 0x12:
			p += 8
		case 0x02, 0x0D, 0x0E:
			ok = str()
		case 0x03, 0x04:
			n, ok2 := i32()
			if !ok2 || n < 5 || p+n > end {
				return errMalformed
			}
			if err := validateBSON(b[p:p+n], depth+1); err != nil {
				return err
			}
			p += n
		case 0x05:
			n, ok2 := i32()
			if !ok2 || n < 0 {
				return errMalformed
			}
			p += 5 + n
		case 0x06, 0x0A, 0x7F, 0xFF:
		case 0x07:
			p += 12
		case 0x08:
			if p >= end || b[p] > 1 {
				return errMalformed
			}
			p++
		case 0x0B:
			ok = cstring() && cstring()
		case 0x0C:
			ok = str()
			p += 12
		case 0x0F:
			n, ok2 := i32()
			if !ok2 || n < 14 || p+n > end {
				return errMalformed
			}
			start := p
			p += 4
			if !str() || p > start+n {
				return errMalformed
			}
			if err := validateBSON(b[p:start+n], depth+1); err != nil {
				return err
			}
			p = start + n
		case 0x10:
			p += 4
		case 0x13:
			p += 16
		default:
			return errMalformed
		}
		if !ok || p > end {
			return errMalformed
		}
	}
	return nil
}

func appendHeader(dst []byte, length int, requestID, responseTo, opCode int32) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(length))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(requestID))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(responseTo))
	return binary.LittleEndian.AppendUint32(dst, uint32(opCode))
}

func encodeOpMsg(requestID, responseTo int32, doc []byte) []byte {
	n := 16 + 4 + 1 + len(doc)
	out := appendHeader(make([]byte, 0, n), n, requestID, responseTo, opMsg)
	out = binary.LittleEndian.AppendUint32(out, 0)
	out = append(out, 0)
	return append(out, doc...)
}

func encodeOpReply(requestID, responseTo int32, doc []byte) []byte {
	n := 16 + 20 + len(doc)
	out := appendHeader(make([]byte, 0, n), n, requestID, responseTo, opReply)
	out = binary.LittleEndian.AppendUint32(out, 8) // AwaitCapable, as servers set
	out = binary.LittleEndian.AppendUint64(out, 0) // cursorID
	out = binary.LittleEndian.AppendUint32(out, 0) // startingFrom
	out = binary.LittleEndian.AppendUint32(out, 1) // numberReturned
	return append(out, doc...)
}
