package natprobe

import (
	"fmt"
	"net"
	"net/netip"

	"github.com/pion/stun/v2"
)

// change is the CHANGE-REQUEST flags of RFC 5780 §7.2: bit 0x04 asks the
// server to answer from its alternate IP, 0x02 from its alternate port.
type change byte

const (
	changeNone change = 0
	changePort change = 0x02
	changeIP   change = 0x04
	changeBoth        = changeIP | changePort
)

func (c change) String() string {
	switch c {
	case changeBoth:
		return "CHANGE-REQUEST(ip,port)"
	case changePort:
		return "CHANGE-REQUEST(port)"
	case changeIP:
		return "CHANGE-REQUEST(ip)"
	}
	return ""
}

// AddTo adds CHANGE-REQUEST (RFC 5780 §7.2). pion/stun v2 names the
// attribute type (AttrChangeRequest) but has no setter for it.
func (c change) AddTo(m *stun.Message) error {
	if c == changeNone {
		return nil
	}
	m.Add(stun.AttrChangeRequest, []byte{0, 0, 0, byte(c)})
	return nil
}

// newRequest builds a Binding request (RFC 5389 §7.1) with a fresh
// transaction ID, plus CHANGE-REQUEST when c asks for it.
func newRequest(c change) (*stun.Message, error) {
	return stun.Build(stun.TransactionID, stun.BindingRequest, c, stun.Fingerprint)
}

// answer is what the probe keeps of one STUN response.
type answer struct {
	From   netip.AddrPort // source address of the datagram
	Mapped netip.AddrPort // XOR-MAPPED-ADDRESS (or MAPPED-ADDRESS from old servers)
	Other  netip.AddrPort // OTHER-ADDRESS (RFC 5780 §7.4), invalid when absent
	Origin netip.AddrPort // RESPONSE-ORIGIN (RFC 5780 §7.3), invalid when absent
	Error  string         // an error response's code and reason, "" on success
}

func addrPort(ip net.IP, port int) netip.AddrPort {
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return netip.AddrPort{}
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(port))
}

// parseAnswer decodes a response to a Binding request. It accepts success and
// error responses (RFC 5389 §7.3.3); anything else is an error and is dropped
// by the caller, as RFC 5389 §7.3 says for unexpected messages.
func parseAnswer(m *stun.Message, from netip.AddrPort) (answer, error) {
	a := answer{From: from}
	if m.Type.Method != stun.MethodBinding {
		return a, fmt.Errorf("not a Binding response: %s", m.Type)
	}
	switch m.Type.Class {
	case stun.ClassSuccessResponse:
	case stun.ClassErrorResponse:
		var code stun.ErrorCodeAttribute
		if err := code.GetFrom(m); err != nil {
			a.Error = "error response"
		} else {
			a.Error = fmt.Sprintf("%d %s", code.Code, code.Reason)
		}
		return a, nil
	default:
		return a, fmt.Errorf("not a response: %s", m.Type)
	}
	var xor stun.XORMappedAddress
	if err := xor.GetFrom(m); err == nil {
		a.Mapped = addrPort(xor.IP, xor.Port)
	} else {
		// RFC 5389 §15.1: MAPPED-ADDRESS is kept for RFC 3489 servers.
		var ma stun.MappedAddress
		if err := ma.GetFrom(m); err != nil {
			return a, fmt.Errorf("response without a mapped address")
		}
		a.Mapped = addrPort(ma.IP, ma.Port)
	}
	var other stun.OtherAddress
	if err := other.GetFrom(m); err == nil {
		a.Other = addrPort(other.IP, other.Port)
	}
	var origin stun.ResponseOrigin
	if err := origin.GetFrom(m); err == nil {
		a.Origin = addrPort(origin.IP, origin.Port)
	}
	return a, nil
}
