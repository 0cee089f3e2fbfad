package platform

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// The state the auth, core and analytics stand-ins share: users, their
// credit balances and the analytics events, all in memory and all
// bounded, so that a checklist (or anything else) looping over register
// or events cannot grow the demo without limit.

const (
	maxUsers = 10_000
	// maxAccounts bounds balances, which exist for every valid token's
	// subject (a user, or the auth-bypass fault's "anyone").
	maxAccounts = maxUsers + 100
	// maxEvents is how many analytics events the export keeps (the
	// newest); the usage count keeps counting.
	maxEvents = 10_000
	// maxAmount bounds one top-up or deduction, and maxBalance a balance.
	maxAmount  = 1_000_000
	maxBalance = 1_000_000_000
	newBalance = 100
)

var (
	errFull      = errors.New("too many users: the demo keeps at most 10000")
	errDuplicate = errors.New("already registered")
)

type user struct {
	id, email string
	pwHash    [32]byte
}

type event struct {
	at          time.Time
	typ, userID string
}

type store struct {
	mu       sync.Mutex
	users    map[string]*user // by id
	byEmail  map[string]*user
	balances map[string]int // by user id
	events   []event        // ring of the newest maxEvents
	next     int            // where the ring writes next
	counted  int            // events ever accepted
}

func newStore() *store {
	return &store{users: map[string]*user{}, byEmail: map[string]*user{}, balances: map[string]int{}}
}

func (s *store) register(email, password string) (*user, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := strings.ToLower(email)
	if _, dup := s.byEmail[key]; dup {
		return nil, errDuplicate
	}
	if len(s.users) >= maxUsers || len(s.balances) >= maxAccounts {
		return nil, errFull
	}
	u := &user{id: "usr_" + newID(), email: email, pwHash: sha256.Sum256([]byte(password))}
	s.users[u.id] = u
	s.byEmail[key] = u
	s.balances[u.id] = newBalance
	return u, nil
}

// login returns the user whose e-mail and password these are.
func (s *store) login(email, password string) (*user, bool) {
	s.mu.Lock()
	u, ok := s.byEmail[strings.ToLower(email)]
	s.mu.Unlock()
	h := sha256.Sum256([]byte(password))
	if !ok || subtle.ConstantTimeCompare(h[:], u.pwHash[:]) != 1 {
		return nil, false
	}
	return u, true
}

func (s *store) user(id string) (*user, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	return u, ok
}

func (s *store) remove(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	u, ok := s.users[id]
	if !ok {
		return false
	}
	delete(s.users, id)
	delete(s.byEmail, strings.ToLower(u.email))
	delete(s.balances, id)
	return true
}

// balance is the balance of id's account, opened with newBalance for a
// valid token's subject that has none yet (as before accounts existed,
// any valid token had a balance of 100).
func (s *store) balance(id string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.openLocked(id)
}

func (s *store) openLocked(id string) (int, error) {
	if b, ok := s.balances[id]; ok {
		return b, nil
	}
	if len(s.balances) >= maxAccounts {
		return 0, errFull
	}
	s.balances[id] = newBalance
	return newBalance, nil
}

// existing is the balance of a registered user's account only.
func (s *store) existing(id string) (int, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.users[id]; !ok {
		return 0, false
	}
	b, err := s.openLocked(id)
	return b, err == nil
}

var errInsufficient = errors.New("insufficient credits")

// add changes id's balance by delta, refusing to go below zero.
func (s *store) add(id string, delta int) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.openLocked(id)
	if err != nil {
		return 0, err
	}
	if b+delta < 0 {
		return b, errInsufficient
	}
	s.balances[id] = min(b+delta, maxBalance)
	return s.balances[id], nil
}

func (s *store) record(e event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.events) < maxEvents {
		s.events = append(s.events, e)
	} else {
		s.events[s.next] = e
	}
	s.next = (s.next + 1) % maxEvents
	s.counted++
}

// recent returns the kept events, oldest first, and the count of all.
func (s *store) recent() ([]event, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]event, 0, len(s.events))
	if len(s.events) == maxEvents {
		out = append(out, s.events[s.next:]...)
		out = append(out, s.events[:s.next]...)
	} else {
		out = append(out, s.events...)
	}
	return out, s.counted
}

// decodeBody decodes a small JSON request body into v.
func decodeBody(r *http.Request, v any) error {
	return json.NewDecoder(io.LimitReader(r.Body, 4096)).Decode(v)
}
