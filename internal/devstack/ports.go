package devstack

import (
	"fmt"
	"math/rand/v2"
	"net"
	"strconv"
)

// portPicker chooses TCP ports by listening on them. It keeps every listener
// open until close, so no port is handed out twice; the ports are then free
// for the servers to bind a moment later.
type portPicker struct {
	listeners []net.Listener
	// below, when set, keeps picked ports under it (PostgreSQL stores the services'
	// membership ports as smallint: at most 32767).
	below int
}

// pick returns a port that is free on host.
func (pp *portPicker) pick(host string) (int, error) {
	if pp.below == 0 {
		return pp.reserve(host, 0)
	}
	for range 200 {
		if port, err := pp.reserve(host, 20000+rand.IntN(pp.below-20000)); err == nil {
			return port, nil
		}
	}
	return 0, fmt.Errorf("find a free TCP port under %d on %s", pp.below, host)
}

// reserve checks that host:port is free (port 0 picks any) and holds it until close.
func (pp *portPicker) reserve(host string, port int) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		if port == 0 {
			return 0, fmt.Errorf("find a free TCP port on %s: %w", host, err)
		}
		return 0, fmt.Errorf("port %d on %s is not available: %w", port, host, err)
	}
	pp.listeners = append(pp.listeners, l)
	return l.Addr().(*net.TCPAddr).Port, nil
}

// close releases every port held.
func (pp *portPicker) close() {
	for _, l := range pp.listeners {
		_ = l.Close()
	}
	pp.listeners = nil
}

// checkPortFree fails when host:port cannot be listened on right now.
func checkPortFree(host string, port int) error {
	var pp portPicker
	defer pp.close()
	_, err := pp.reserve(host, port)
	return err
}
